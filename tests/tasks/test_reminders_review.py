"""Reminders and their e-mail: what a review found unkept (the first sections), and behaviour pinned beside them
(the last section, marked as such: verified right and untested before).

Every figure below is worked out by hand in the comments, from the dates and areas the test sets up or from the
demo's ledger (fixtures/demo.json: the 乡宁县 2022 task of the seed notice, 乡政办发〔2022〕60号).
"""

import datetime
import re
import smtplib
from decimal import Decimal

import pytest
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from django.core.management import CommandError, call_command
from rest_framework.test import APIClient

from leadership.choices import Role
from parcels import services as parcel_services
from parcels.models import IdleProcedure
from tasks import services as task_services
from tasks.models import RectificationItem
from tasks.reminders import reminders_for
from tests.factories import IdleParcelFactory, UserFactory

pytestmark = pytest.mark.django_db

D = datetime.date
NOTICE = "送达调查通知书（发现后 30 日内）"
ANSWER = "使用权人答复（通知书送达后 30 日内）"
EXTENSION = "延长后动工开发期限届满"


def procedure_reminders(user, as_of):
    return [(item.due, item.days_left, item.title) for item in reminders_for(user, as_of)]


# --- the 令53 deadlines are judged as of the date asked for, not as of today --------------------------------


@pytest.mark.parametrize(
    "as_of, expected",
    [
        # Found 1 May 2023: the notice is due within 30 days, by 31 May. It was served only on 15 June, so on
        # 25 May it was 6 days from due, and on 5 June 5 days overdue.
        (D(2023, 5, 25), [(D(2023, 5, 31), 6)]),
        (D(2023, 6, 5), [(D(2023, 5, 31), -5)]),
        # Pinned (passes before the fix too): on 20 June the notice is served (late); the user's answer is
        # due 15 July, 25 days ahead: nothing.
        (D(2023, 6, 20), []),
    ],
)
def test_a_notice_served_only_after_the_date_is_reminded_as_still_due_on_it(
    regions, superuser, as_of, expected
):
    """/reminders/?as_of= and send_reminders --as-of read the ledger as of the date (disposals, rectification
    items done after it); procedure_deadlines took a notice served after the date as served on it, so looking
    back at 25 May or 5 June showed nothing due."""
    parcel = IdleParcelFactory(county=regions["141026"], code="XZ1")
    parcel_services.idle_procedure_save(
        procedure=IdleProcedure(parcel=parcel, found_date=D(2023, 5, 1), notice_date=D(2023, 6, 15))
    )
    assert procedure_reminders(superuser, as_of) == [
        (due, days, f"地块 XZ1 闲置土地处置：{NOTICE}") for due, days in expected
    ]


def test_an_answer_received_after_the_date_was_overdue_on_it(regions, superuser):
    """Notice served 10 May 2023: the answer is due 30 days later, 9 June. It came on 12 June; as of 10 June
    it was 1 day overdue, and the reminders of 10 June must say so."""
    parcel = IdleParcelFactory(county=regions["141026"], code="XZ2")
    parcel_services.idle_procedure_save(
        procedure=IdleProcedure(
            parcel=parcel, found_date=D(2023, 5, 1), notice_date=D(2023, 5, 10), answer_date=D(2023, 6, 12)
        )
    )
    assert procedure_reminders(superuser, D(2023, 6, 10)) == [
        (D(2023, 6, 9), -1, f"地块 XZ2 闲置土地处置：{ANSWER}")
    ]


def test_an_extension_met_by_construction_started_reminds_of_nothing(regions, superuser):
    """procedure_deadlines: "An extension is met by construction started (recorded as a disposal) by the
    date" — once passed, such an extension is not overdue. But in the 14 days before its end it was still
    reminded as coming due, although construction had started."""
    parcel = IdleParcelFactory(county=regions["141026"], code="XZ3", area_mu=Decimal("10"))
    parcel_services.idle_procedure_save(
        procedure=IdleProcedure(
            parcel=parcel, supplementary_agreement_date=D(2023, 3, 1), extension_until=D(2024, 2, 28)
        )
    )
    # Before construction starts, 20 February 2024 is 8 days before the extension ends: reminded.
    assert procedure_reminders(superuser, D(2024, 1, 31)) == []  # 28 days ahead: not yet
    assert procedure_reminders(superuser, D(2024, 2, 20)) == [
        (D(2024, 2, 28), 8, f"地块 XZ3 闲置土地处置：{EXTENSION}")
    ]
    parcel_services.disposal_record(
        parcel=parcel, method="construction_started", area_mu=Decimal("4"), date=D(2024, 2, 1)
    )
    # Started on 1 February (4 of 10 亩): the extension is met, before and after its end alike.
    assert procedure_reminders(superuser, D(2024, 2, 20)) == []
    assert procedure_reminders(superuser, D(2024, 3, 5)) == []


def test_the_parcel_page_says_an_extension_is_met_once_construction_started(client, regions, superuser):
    parcel = IdleParcelFactory(county=regions["141026"], code="XZ3", area_mu=Decimal("10"))
    parcel_services.idle_procedure_save(
        procedure=IdleProcedure(
            parcel=parcel, supplementary_agreement_date=D(2023, 3, 1), extension_until=D(2024, 2, 28)
        )
    )
    parcel_services.disposal_record(
        parcel=parcel, method="construction_started", area_mu=Decimal("4"), date=D(2024, 2, 1)
    )
    client.force_login(superuser)
    page = client.get(f"/admin/parcels/parcel/{parcel.pk}/change/").content.decode()
    assert f'<div class="deadline ok">{EXTENSION}：2024年2月28日 （已动工开发）</div>' in page


# --- the e-mail ---------------------------------------------------------------------------------------------


def office(regions, code="141029", username="xn_office", email="office@xiangning.example"):
    return UserFactory(username=username, role=Role.COUNTY_OFFICE, region=regions[code], email=email)


def rectification(regions, title, deadline, code="141029"):
    task_services.rectification_save(
        item=RectificationItem(county=regions[code], title=title, deadline=deadline)
    )


def test_an_item_due_today_reads_due_today_in_the_mail(regions):
    """The panel says 今天到期; the mail said “还有 0 天”."""
    office(regions)
    rectification(regions, "整改一", D(2023, 6, 10))
    call_command("send_reminders", as_of="2023-06-10")
    (message,) = mail.outbox
    assert "  2023年6月10日（今天到期）整改事项“整改一”即将到期（未开始）" in message.body
    assert "0 天" not in message.body


def test_the_citys_mail_names_the_county_of_each_parcel_and_rectification_item(demo):
    """The city bureau reads 17 counties, and a parcel's code is unique only in its county; a parcel's or a
    rectification item's title names no county, so the city's mail listed “地块 XN2022-003 …” without saying
    where. 乡宁县 as of 20 September 2022: XN2022-003 (8.50 亩, 7.25 disposed of on 25 August) was planned for
    31 August, 20 days ago, 1.25 亩 left; two items were due 15 September, one 30 September."""
    UserFactory(username="city", role=Role.CITY_BUREAU, region=demo["141000"], email="city@linfen.example")
    office(demo)
    call_command("send_reminders", as_of="2022-09-20")
    city = next(message for message in mail.outbox if message.to == ["city@linfen.example"])
    county = next(message for message in mail.outbox if message.to == ["office@xiangning.example"])
    assert (
        "  2022年8月31日（逾期 20 天）乡宁县：地块 XN2022-003 计划2022年8月31日完成处置，尚余 1.25 亩"
        in city.body
    )
    assert "（逾期 5 天）乡宁县：整改事项“明确责任主体，压实工作责任”已逾期（未开始）" in city.body
    assert "（还有 10 天）乡宁县：整改事项“制定工作计划" in city.body
    # The county's own office reads its own county only: its lines stay as they were.
    assert "  2022年8月31日（逾期 20 天）地块 XN2022-003 计划2022年8月31日完成处置，尚余 1.25 亩" in county.body


LINK = re.compile(r"  (\S+)$")


@pytest.mark.parametrize("configured", ["setting", "option"])
def test_the_links_in_the_mail_open_from_a_mail_reader(regions, settings, configured):
    """A mail reader has no page to resolve a path against: “/admin/tasks/rectificationitem/1/change/” in a
    mail opens nothing. With the site's address configured, every link is absolute.
    (The setting LANDTRACK_SITE_URL is not yet in landtrack/settings.py: the fix there reads it from the
    environment, as LANDTRACK_MAP_TILE_URL is.)"""
    office(regions)
    rectification(regions, "整改一", D(2023, 6, 1))
    rectification(regions, "整改二", D(2023, 6, 20))
    options = {"as_of": "2023-06-10"}
    if configured == "setting":
        settings.LANDTRACK_SITE_URL = "https://landtrack.example.cn/"
    else:
        options["site_url"] = "https://landtrack.example.cn"
    call_command("send_reminders", **options)
    (message,) = mail.outbox
    links = [LINK.search(line).group(1) for line in message.body.splitlines() if line.startswith("  20")]
    assert len(links) == 2
    assert all(
        re.fullmatch(r"https://landtrack\.example\.cn/admin/tasks/rectificationitem/\d+/change/", link)
        for link in links
    ), links


class RefusingBackend(BaseEmailBackend):
    """As Django's SMTP backend does with fail_silently off: sends the messages in order and raises at the
    first one the server refuses (here, any address at refused.example)."""

    def send_messages(self, email_messages):
        for message in email_messages:
            if message.to[0].endswith("@refused.example"):
                raise smtplib.SMTPRecipientsRefused({message.to[0]: (550, b"5.1.1 mailbox unavailable")})
            mail.outbox.append(message)
        return len(email_messages)


def test_one_address_the_mail_server_refuses_does_not_stop_the_others_mail(regions, settings, capsys):
    """Accounts are mailed in username order: a_office, b_office (a mistyped mailbox), c_city. All three
    messages went to the backend at once, so the refusal of b_office's raised out of the command with a
    traceback and c_city never had its reminders; cron saw only an exception."""
    settings.EMAIL_BACKEND = "tests.tasks.test_reminders_review.RefusingBackend"
    office(regions, "141029", "a_office", "a@xiangning.example")
    office(regions, "141026", "b_office", "b@refused.example")
    UserFactory(username="c_city", role=Role.CITY_BUREAU, region=regions["141000"], email="c@linfen.example")
    rectification(regions, "整改一", D(2023, 6, 1), "141029")
    rectification(regions, "整改二", D(2023, 6, 1), "141026")
    with pytest.raises(CommandError, match="b_office"):
        call_command("send_reminders", as_of="2023-06-10")
    assert [message.to for message in mail.outbox] == [["a@xiangning.example"], ["c@linfen.example"]]
    assert "已发送 2 封" in capsys.readouterr().out


def test_the_citys_dashboard_panel_names_the_county_of_each_parcel_and_rectification_item(client, demo):
    """The same as the mail, on the overview's 需要关注 panel and /dashboard/reminders/: a city account reads
    “地块 XN2022-003 计划 …” and “整改事项“…”” with no county (tasks.reminders.as_read_by)."""
    city = UserFactory(username="city", role=Role.CITY_BUREAU, region=demo["141000"])
    client.force_login(city)
    for url in ("/dashboard/", "/dashboard/reminders/"):
        page = client.get(url, {"as_of": "2022-09-20"}).content.decode()
        items = re.findall(r"<li class=\"(?:overdue|upcoming)[^\"]*\">(.*?)</li>", page, re.S)
        assert len(items) == 4, items  # XN2022-003's plan, three rectification items
        assert all("乡宁县" in item for item in items), (url, items)


# --- the API's description -----------------------------------------------------------------------------------


def test_the_reminders_operation_is_described_in_chinese():
    """Swagger UI (/api/docs/) showed this operation's description in English ("What needs the caller's
    attention…"), where the task, parcel and rectification operations speak Chinese; and ``kind``'s values
    were described by themselves ("`milestone` - milestone"), not by their labels (进度节点, 整改事项, 地块)."""
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    kinds = schema["components"]["schemas"]["ReminderKindEnum"]
    assert kinds["enum"] == ["milestone", "rectification", "parcel"]
    assert all(label in kinds.get("description", "") for label in ("进度节点", "整改事项", "地块")), kinds
    operation = schema["paths"]["/api/v1/reminders/"]["get"]
    assert re.search(r"[\u4e00-\u9fff]", operation["description"]), operation["description"]
    assert not re.search(r"[A-Za-z]{4,} [A-Za-z]{4,}", operation["description"]), operation["description"]


# --- pinned: verified right, untested before -----------------------------------------------------------------


@pytest.mark.parametrize(
    "as_of, expected",
    [
        # 乡宁县's 2022 task: 26.96 亩; disposed of 7.10 (18 April), 9.36 (20 June), 7.25 (25 August) = 23.71.
        # 85 % by 30 September is 22.916 亩: met. On 20 November the 100 % of 30 November is 10 days away and
        # 26.96 − 23.71 = 3.25 亩 still needed — the notice's "11 月底前最少完成供地 3.25 亩".
        ("2022-11-20", [("2022-11-30", 10, "乡宁县批而未供任务 11月30日 须达到 100.00%，还需 3.25 亩")]),
        # On 1 December it was missed the day before, 3.25 亩 short.
        (
            "2022-12-01",
            [("2022-11-30", -1, "乡宁县批而未供任务未达到 11月30日 节点（100.00%），还差 3.25 亩")],
        ),
        # 16 September: 30 September is 14 days away and already met in advance (23.71 ≥ 22.916): nothing.
        ("2022-09-16", []),
        # 19 June: 50 % of 26.96 by 30 June is 13.48 亩, 7.10 done: 6.38 still needed. Dates as the notices
        # write them, without a leading zero (6月30日, not 06月30日).
        ("2022-06-19", [("2022-06-30", 11, "乡宁县批而未供任务 6月30日 须达到 50.00%，还需 6.38 亩")]),
    ],
)
def test_pinned_xiangnings_milestone_reminders_follow_the_seed_notice(demo, as_of, expected):
    client = APIClient()
    client.force_authenticate(office(demo))
    answer = client.get("/api/v1/reminders/", {"as_of": as_of})
    assert answer.status_code == 200
    assert [
        (item["due"], item["days_left"], item["title"])
        for item in answer.json()
        if item["kind"] == "milestone"
    ] == expected


def test_the_mail_dates_its_figures_as_the_notices_write_dates(demo):
    office(demo)
    call_command("send_reminders", as_of="2022-06-19")
    (message,) = mail.outbox
    assert "截至 2022年6月19日，乡宁县有以下事项需要关注。" in message.body
    assert "乡宁县批而未供任务 6月30日 须达到 50.00%，还需 6.38 亩" in message.body


def test_pinned_a_dry_run_sends_nothing_and_previews_each_mail(regions, capsys):
    office(regions)
    rectification(regions, "整改一", D(2023, 6, 1))
    call_command("send_reminders", as_of="2023-06-10", dry_run=True)
    assert mail.outbox == []
    out = capsys.readouterr().out
    assert "收件人：office@xiangning.example" in out
    assert "主题：LandTrack 提醒：乡宁县 1 项逾期、0 项即将到期" in out
    assert "  2023年6月1日（逾期 9 天）整改事项“整改一”已逾期（未开始）" in out
    assert "预览 1 封提醒邮件（2023年6月10日）。" in out
