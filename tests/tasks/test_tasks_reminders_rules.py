"""How the city assigns county tasks and milestones, the reminders, and suspected idle land: rules of
DOMAIN.md and API.md that a review found unkept (the first five sections), and behaviour pinned beside them.
"""

import datetime
from decimal import Decimal

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.test import APIClient

from leadership.choices import Role
from parcels import services as parcel_services
from parcels.models import IdleProcedure, SupplyRecord
from tasks import services as task_services
from tasks.models import Campaign, CountyTask, RectificationItem
from tasks.progress import task_progress
from tasks.reminders import reminders_for
from tests.admin_forms import admin_form_data
from tests.factories import IdleParcelFactory, ParcelFactory, UserFactory
from tests.helpers import database_snapshot

pytestmark = pytest.mark.django_db

D = datetime.date


def api(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def city(regions):
    return UserFactory(username="rev_city", role=Role.CITY_BUREAU, region=regions["141000"])


def post_task(client, **fields):
    """POST /tasks/ of a 10 亩 乡宁县 task of 2023 (both kinds), with ``fields`` changed or added."""
    body = {"county": "141029", "year": 2023, "category": "both", "target_area_mu": "10", **fields}
    return client.post("/api/v1/tasks/", body, format="json")


def anze_task(regions, milestones):
    return task_services.task_create(
        county=regions["141026"],
        year=2023,
        category="unsupplied",
        target_area_mu=Decimal("100"),
        milestones=milestones,
    )


# --- a milestone rate of 0 % or below is refused under milestones, naming it ---------------------------


@pytest.mark.parametrize("rate", ["0", "-5"])
def test_a_milestone_rate_not_above_zero_is_refused_under_milestones(city, rate):
    """API.md: 400 is {"field": ["message"]}; the field of a milestone is ``milestones`` (every other bad
    milestone — falling rates, last not 100, outside the period, a bad number — answers there, naming the
    item). A rate of 0 or below passes milestone_set_problems() and is caught only by the Milestone model
    while the service writes the rows: the answer is {"target_rate": [...]}, a field the task does not have,
    not saying which milestone."""
    before = database_snapshot()
    response = post_task(
        api(city),
        milestones=[{"due": "2023-06-30", "target_rate": rate}, {"due": "2023-11-30", "target_rate": "100"}],
    )
    assert response.status_code == 400
    assert database_snapshot() == before
    body = response.json()
    assert set(body) == {"milestones"}, body
    assert any("2023年6月30日" in message or "第 1 项" in message for message in body["milestones"]), body


# --- the admin keeps a new task whose period cannot hold the default milestones, and says why ----------


def test_the_admin_add_form_names_the_period_that_cannot_hold_the_default_milestones(
    client, regions, superuser
):
    """A new task without milestones gets 31 May … 30 Nov (DOMAIN §3). A period of July–December cannot hold
    them: the model says so on 任务期开始 (CountyTask._clean_period_against_milestones), but the admin's form
    switches that check off and the inline skips a new task without rows, so the refusal comes from
    task_save inside save_related: the admin redirects to an empty add form (everything typed is lost) with
    a message at the top naming no field. It should show the form again with the error on the period."""
    client.force_login(superuser)
    url = reverse("admin:tasks_countytask_add")
    data = admin_form_data(
        client.get(url),
        county=regions["141002"],
        year="2024",
        category="unsupplied",
        target_area_mu="40",
        start_date="2024-07-01",
        end_date="2024-12-31",
    )
    before = database_snapshot()
    response = client.post(url, data)
    assert database_snapshot() == before
    assert response.status_code == 200, "redirected: the entry is lost"
    # Said over the milestones, where the user adds the set the period holds, or sees why it must change.
    (milestones,) = [inline.formset for inline in response.context["inline_admin_formsets"]]
    assert milestones.non_form_errors() == [
        "任务期开始不能晚于时间节点 2024年5月31日（未给出时间节点的新任务按 5月31日、6月30日、9月30日、11月30日 设置节点）。"
    ]
    kept = response.context["adminform"].form
    assert (kept["start_date"].value(), kept["target_area_mu"].value()) == ("2024-07-01", "40")


# --- a fully disposed idle parcel reminds of no 令53 deadline ------------------------------------------


def test_a_fully_disposed_idle_parcel_reminds_of_no_extension_deadline(regions, superuser):
    """Reminders are what needs attention (API.md). A government-caused idle parcel may only be disposed of by
    art. 12 methods, so 动工开发 (construction_started) can never be recorded on it, and the extension's
    deadline (procedure_deadlines) is 'overdue' for ever once passed — even when the whole parcel has been
    taken back by 协议有偿收回. The other parcel reminders (planned date, flags) stop once no area remains."""
    parcel = IdleParcelFactory(
        county=regions["141026"],
        code="GOV",
        idle_cause="government",
        government_cause="planning_revised",
        area_mu=Decimal("5"),
    )
    parcel_services.idle_procedure_save(
        procedure=IdleProcedure(
            parcel=parcel, supplementary_agreement_date=D(2022, 3, 1), extension_until=D(2023, 2, 28)
        )
    )
    parcel_services.disposal_record(
        parcel=parcel, method="paid_recovery", area_mu=Decimal("5"), date=D(2023, 1, 5)
    )
    assert [item.title for item in reminders_for(superuser, D(2023, 3, 10))] == []


# --- a county's task belongs to its own county's or city's campaign -------------------------------------


def test_a_task_cannot_belong_to_another_countys_campaign(regions):
    """As a rectification item does (整改方案应属于本县或所属市), a county task refuses a campaign that is not of
    its county or city: 安泽县's task filed under 乡宁县's 专项行动 was saved, and the admin's task form offers
    the city bureau every county's campaigns of its city."""
    xiangning_campaign = Campaign.objects.create(region=regions["141029"], year=2023, name="乡宁县专项行动")
    with pytest.raises(ValidationError) as caught:
        task_services.task_create(
            county=regions["141026"],
            year=2023,
            category="both",
            target_area_mu=Decimal("5"),
            campaign=xiangning_campaign,
        )
    assert "campaign" in caught.value.message_dict
    assert not CountyTask.objects.exists()


# --- send_reminders refuses a date the API refuses, with a message --------------------------------------


@pytest.mark.parametrize("as_of", ["9999-12-31", "0001-01-01"])
def test_send_reminders_refuses_a_date_out_of_range_with_a_message(regions, as_of):
    """``--as-of 2022-02-30`` is a CommandError (“日期…无效”); a date outside the range every date of
    LandTrack keeps (1949-10-01 … 2999-12-31, refused by /reminders/ with a 400) ends in OverflowError /
    ValueError with a traceback, as the 14-day horizon and the full-year rules step past datetime's range."""
    UserFactory(
        username="rev_mail_city", role=Role.CITY_BUREAU, region=regions["141000"], email="c@linfen.cn"
    )
    ParcelFactory(county=regions["141026"], code="PX", planned_date=D(2023, 6, 5))
    with pytest.raises(CommandError):
        call_command("send_reminders", as_of=as_of, dry_run=True)


# --- passing: behaviour worth pinning ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "as_of, expected",
    [
        (D(2023, 6, 15), []),  # 15 days ahead: not yet
        (D(2023, 6, 16), [(D(2023, 6, 30), 14, "须达到 50.00%，还需 50.00 亩")]),  # the 14th day: reminded
        (D(2023, 6, 30), [(D(2023, 6, 30), 0, "未达到 6月30日 节点（50.00%），还差 50.00 亩")]),
        (D(2023, 7, 1), [(D(2023, 6, 30), -1, "未达到 6月30日 节点（50.00%），还差 50.00 亩")]),
    ],
)
def test_a_milestone_reminds_from_14_days_before_it_as_the_status_turns_at_risk(
    regions, superuser, as_of, expected
):
    task = anze_task(regions, [(D(2023, 6, 30), Decimal("50")), (D(2023, 11, 30), Decimal("100"))])
    items = reminders_for(superuser, as_of)
    assert [(item.due, item.days_left) for item in items] == [(due, days) for due, days, _ in expected]
    assert all(text in item.title for item, (_, _, text) in zip(items, expected, strict=True))
    status = task_progress([task], as_of)[0].status
    assert status == {D(2023, 6, 15): "on_track", D(2023, 6, 16): "at_risk"}.get(as_of, "behind")


def test_a_milestone_met_in_advance_reminds_of_nothing(regions, superuser):
    anze_task(regions, [(D(2023, 6, 30), Decimal("50")), (D(2023, 11, 30), Decimal("100"))])
    parcel = ParcelFactory(county=regions["141026"], code="DONE", area_mu=Decimal("60"))
    parcel_services.disposal_record(
        parcel=parcel, method="supply_transfer", area_mu=Decimal("50"), date=D(2023, 6, 1)
    )
    assert reminders_for(superuser, D(2023, 6, 20)) == []


@pytest.mark.parametrize(
    "deadline, expected",
    [
        (D(2023, 6, 25), None),  # 15 days ahead
        (D(2023, 6, 24), (14, "即将到期")),
        (D(2023, 6, 10), (0, "即将到期")),  # due today: not yet overdue
        (D(2023, 6, 9), (-1, "已逾期")),  # overdue from the day after
    ],
)
def test_a_rectification_item_reminds_14_days_ahead_and_is_overdue_from_the_day_after(
    regions, superuser, deadline, expected
):
    task_services.rectification_save(
        item=RectificationItem(county=regions["141029"], title="整改一", deadline=deadline)
    )
    items = [(item.days_left, item.title) for item in reminders_for(superuser, D(2023, 6, 10))]
    if expected is None:
        assert items == []
    else:
        assert items == [(expected[0], f"整改事项“整改一”{expected[1]}（未开始）")]


def test_the_reminders_cost_the_same_queries_however_many_counties_and_items(regions, superuser):
    client = api(superuser)
    counts, sizes = [], []
    for number, code in enumerate(["141021", "141022", "141023"]):
        county = regions[code]
        task_services.task_create(
            county=county, year=2023, category="unsupplied", target_area_mu=Decimal("100")
        )
        task_services.rectification_save(
            item=RectificationItem(county=county, title=f"整改{number}", deadline=D(2023, 6, 1))
        )
        ParcelFactory(county=county, code=f"P{number}", planned_date=D(2023, 6, 5))
        idle = IdleParcelFactory(county=county, code=f"I{number}")
        parcel_services.idle_procedure_save(procedure=IdleProcedure(parcel=idle, found_date=D(2023, 5, 1)))
        with CaptureQueriesContext(connection) as context:
            response = client.get("/api/v1/reminders/", {"as_of": "2023-06-10"})
        assert response.status_code == 200
        counts.append(len(context))
        sizes.append(len(response.json()))
    # Each county: its missed 31 May milestone, its item, its planned parcel, its notice deadline.
    assert sizes == [4, 8, 12]
    assert len(set(counts)) == 1, counts


def test_changing_only_the_milestones_moves_the_etag_so_a_stale_edit_is_412(city):
    client = api(city)
    task_id = post_task(client).json()["id"]
    url = f"/api/v1/tasks/{task_id}/"
    etag = client.get(url)["ETag"]
    changed = client.patch(
        url, {"milestones": [{"due": "2023-12-20", "target_rate": "100"}]}, format="json", HTTP_IF_MATCH=etag
    )
    assert changed.status_code == 200, changed.content
    assert changed["ETag"] != etag
    before = database_snapshot()
    stale = client.patch(url, {"target_area_mu": "20"}, format="json", HTTP_IF_MATCH=etag)
    assert stale.status_code == 412
    assert client.delete(url, HTTP_IF_MATCH=etag).status_code == 412
    assert database_snapshot() == before


def test_a_posted_period_that_cannot_hold_the_default_milestones_is_400_and_writes_nothing(city):
    before = database_snapshot()
    response = post_task(api(city), start_date="2023-07-01")
    assert response.status_code == 400
    assert response.json() == {
        "milestones": [
            "节点日期 2023年5月31日 不在任务期 2023年7月1日 至 2023年12月31日 内。",
            "节点日期 2023年6月30日 不在任务期 2023年7月1日 至 2023年12月31日 内。",
        ]
    }
    assert database_snapshot() == before


def test_a_county_office_cannot_change_or_withdraw_its_own_task(regions, city):
    office = UserFactory(username="rev_office", role=Role.COUNTY_OFFICE, region=regions["141029"])
    task_id = post_task(api(city)).json()["id"]
    before = database_snapshot()
    client = api(office)
    assert client.get(f"/api/v1/tasks/{task_id}/").status_code == 200
    assert (
        client.patch(f"/api/v1/tasks/{task_id}/", {"target_area_mu": "1"}, format="json").status_code == 403
    )
    assert client.delete(f"/api/v1/tasks/{task_id}/").status_code == 403
    assert database_snapshot() == before


@pytest.mark.parametrize(
    "as_of, expected",
    [(D(2021, 2, 28), []), (D(2021, 3, 1), ["LEAP"])],
)
def test_a_record_agreed_to_start_on_29_february_is_suspected_idle_from_1_march_next_year(
    regions, superuser, as_of, expected
):
    """One full year after 2020-02-29 ends with 28 February 2021 (no 29th): suspected from 1 March."""
    SupplyRecord(
        county=regions["141026"],
        supervision_number="LEAP",
        project_name="某项目",
        area_ha=Decimal("1"),
        agreed_start_date=D(2020, 2, 29),
    ).save()
    client = api(superuser)
    flagged = client.get("/api/v1/supply-records/", {"flag": "suspected_idle", "as_of": as_of.isoformat()})
    assert [row["supervision_number"] for row in flagged.json()["results"]] == expected
    row = client.get("/api/v1/supply-records/", {"as_of": as_of.isoformat()}).json()["results"][0]
    assert row["flags"] == (["suspected_idle"] if expected else [])


def test_send_reminders_skips_inactive_accounts(regions):
    UserFactory(username="rev_active", role=Role.COUNTY_OFFICE, region=regions["141029"], email="a@xn.cn")
    UserFactory(
        username="rev_gone",
        role=Role.COUNTY_OFFICE,
        region=regions["141029"],
        email="b@xn.cn",
        is_active=False,
    )
    task_services.rectification_save(
        item=RectificationItem(county=regions["141029"], title="整改一", deadline=D(2023, 6, 1))
    )
    call_command("send_reminders", as_of="2023-06-10")
    assert [message.to for message in mail.outbox] == [["a@xn.cn"]]
    assert "逾期 9 天" in mail.outbox[0].body
