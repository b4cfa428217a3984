"""Dates inside the Chinese sentences a user reads are written as the notices write them: 2022年8月31日.

API fields, query strings and files keep YYYY-MM-DD (API.md); these are the sentences around the dates:
flag reasons (规则提示及依据), validation messages, the 令53 deadlines on the parcel page and the names the
admin and its history give to rows. Every expected string is worked out by hand.
"""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from parcels import services
from parcels.models import Disposal, IdleProcedure, Parcel, ProgressNote, SupplyRecord
from parcels.rules import parcel_flags, procedure_errors, supply_record_flags, with_rule_facts
from tasks.models import Milestone, milestone_set_problems
from tests.factories import IdleParcelFactory, ParcelFactory

pytestmark = pytest.mark.django_db

D = datetime.date
APPROVAL_LAW = "国发〔2004〕28号；国土资发〔2004〕237号第十四条"
IDLE_LAW = "《闲置土地处置办法》（国土资源部令第53号）第十四条"


def reasons(parcel, as_of):
    """{flag code: reason} of the parcel as of the date, read as the admin page reads it."""
    annotated = with_rule_facts(Parcel.objects.filter(pk=parcel.pk), as_of).get()
    return {flag.code: flag.reason for flag in parcel_flags(annotated, as_of)}


def messages(caught):
    return caught.value.message_dict


def test_a_lapsed_approval_gives_its_dates_in_chinese(anze):
    # Approved 29 Feb 2020: two full years end on 28 Feb 2022 (no 29 Feb), the approval lapses from 1 Mar.
    parcel = ParcelFactory(county=anze, approval_date=D(2020, 2, 29), expropriation_status="not_started")
    assert reasons(parcel, D(2022, 3, 1)) == {
        "approval_lapsed": (
            "批准时间 2020年2月29日，至 2022年2月28日 已满两年，未实施征收、也无任何处置；"
            f"按{APPROVAL_LAW}，批准文件自 2022年3月1日 起失效，应办理撤回或调整批文。"
        )
    }


def test_a_lapsing_approval_gives_its_dates_in_chinese(anze):
    # Approved 5 Mar 2021, lapsing from 6 Mar 2023: from 1 Jan 2023 that is 31 + 28 + 5 = 64 days.
    parcel = ParcelFactory(county=anze, approval_date=D(2021, 3, 5), expropriation_status="not_started")
    assert reasons(parcel, D(2023, 1, 1)) == {
        "approval_lapsing": (
            "批准时间 2021年3月5日，至 2023年3月5日 满两年；尚未实施征收、也无任何处置，"
            f"还有 64 天批准文件将失效（{APPROVAL_LAW}）。"
        )
    }


def test_user_caused_idleness_gives_the_fee_and_recovery_dates_in_chinese(anze):
    # Agreed start 1 Nov 2019: one full year passed from 2 Nov 2020, two from 2 Nov 2021; 20 % of 500 万元.
    parcel = IdleParcelFactory(county=anze, agreed_start_date=D(2019, 11, 1), price_wan=Decimal("500"))
    assert reasons(parcel, D(2022, 1, 1)) == {
        "idle_fee_due": (
            "约定开工时间 2019年11月1日 起满一年（2020年11月2日 起）未动工，属企业原因闲置；"
            f"按{IDLE_LAW}第（一）项征缴土地闲置费：应征缴 100.0000 万元（价款 500.0000 万元的 20%）。"
        ),
        "free_recovery_eligible": (
            "约定开工时间 2019年11月1日 起满两年（2021年11月2日 起）未动工；"
            f"按{IDLE_LAW}第（二）项，可报经有批准权的人民政府批准后无偿收回（须先告知听证权利）。"
        ),
    }


def test_the_parcel_page_gives_an_overdue_plan_in_chinese(client, superuser, anze):
    parcel = ParcelFactory(county=anze, planned_date=D(2022, 8, 31))
    client.force_login(superuser)
    page = client.get(reverse("admin:parcels_parcel_change", args=[parcel.pk])).content.decode()
    assert (
        '<p class="flag flag-plan_overdue"><strong>逾期未按计划处置</strong>：'
        "计划完成时间 2022年8月31日 已过，仍有 10.00 亩未处置。</p>"
    ) in page


@pytest.mark.parametrize(
    ("dates", "reason"),
    [
        (
            {"agreed_start_date": D(2020, 9, 30)},
            "约定开工时间 2020年9月30日 起满一年（2021年10月1日 起）仍无实际开工记录，疑似闲置土地，"
            "应及时开展调查（《闲置土地处置办法》第二条）。",
        ),
        (
            {"agreed_start_date": None},
            "约定交地时间（未约定开工时间） 2020年4月30日 起满一年（2021年5月1日 起）仍无实际开工记录，"
            "疑似闲置土地，应及时开展调查（《闲置土地处置办法》第二条）。",
        ),
    ],
)
def test_a_suspected_idle_supply_record_gives_its_dates_in_chinese(anze, dates, reason):
    record = SupplyRecord(county=anze, agreed_delivery_date=D(2020, 4, 30), **dates)
    assert [flag.reason for flag in supply_record_flags(record, D(2021, 10, 1))] == [reason]


def test_rows_are_named_with_chinese_dates():
    disposal = Disposal(method="supply_transfer", area_mu=Decimal("12.5000"), date=D(2022, 8, 31))
    assert str(disposal) == "出让供应 12.5000 亩（2022年8月31日）"
    assert str(Milestone(due=D(2022, 5, 31), target_rate=Decimal("25.00"))) == "2022年5月31日 完成 25.00%"
    assert str(ProgressNote(date=D(2022, 9, 5), text="已签订出让合同")) == "2022年9月5日 已签订出让合同"


def test_a_disposal_before_the_approval_is_refused_with_the_approval_date_in_chinese(anze):
    parcel = ParcelFactory(county=anze, approval_date=D(2020, 3, 1))
    with pytest.raises(ValidationError) as caught:
        services.disposal_record(
            parcel=parcel, method="supply_transfer", area_mu=Decimal("1"), date=D(2020, 2, 29)
        )
    assert messages(caught) == {"date": ["完成日期不能早于地块的批准时间 2020年3月1日。"]}


def test_an_approval_moved_after_a_disposal_is_refused_with_its_date_in_chinese(anze):
    parcel = ParcelFactory(county=anze, approval_date=D(2020, 3, 1))
    services.disposal_record(
        parcel=parcel, method="supply_transfer", area_mu=Decimal("1"), date=D(2021, 1, 10)
    )
    parcel.refresh_from_db()
    with pytest.raises(ValidationError) as caught:
        services.parcel_update(parcel=parcel, approval_date=D(2021, 2, 1))
    assert messages(caught) == {"approval_date": ["已有 2021年1月10日 的处置记录，批准时间不能晚于该日期。"]}


def test_milestone_problems_give_their_dates_in_chinese():
    milestones = [
        (D(2023, 5, 31), Decimal("0")),
        (D(2023, 9, 30), Decimal("50")),
        (D(2023, 6, 30), Decimal("60")),
    ]
    assert milestone_set_problems(milestones, D(2023, 6, 1), D(2023, 12, 31)) == [
        ("target_rate", "节点 2023年5月31日 的目标 0% 应大于 0。"),
        ("target_rate", "节点目标应随日期递增：2023年9月30日 的 50% 不高于 2023年6月30日 的 60%。"),
        ("target_rate", "最后一个节点（2023年9月30日）的目标应为 100%。"),
        ("due", "节点日期 2023年5月31日 不在任务期 2023年6月1日 至 2023年12月31日 内。"),
    ]


def test_procedure_dates_out_of_order_are_refused_in_chinese(anze):
    parcel = IdleParcelFactory(county=anze)
    procedure = IdleProcedure(
        parcel=parcel, found_date=D(2022, 8, 1), notice_date=D(2022, 8, 31), answer_date=D(2022, 8, 15)
    )
    assert procedure_errors(procedure, D(2023, 1, 1)) == {
        "answer_date": "使用权人答复日期不能早于调查通知书送达日期（2022年8月31日）。"
    }


def test_an_extension_beyond_one_year_is_refused_with_its_last_day_in_chinese(anze):
    parcel = IdleParcelFactory(county=anze, idle_cause="government", government_cause="planning_revised")
    procedure = IdleProcedure(
        parcel=parcel, supplementary_agreement_date=D(2024, 2, 29), extension_until=D(2025, 3, 1)
    )
    # One full year from 29 Feb 2024 ends on 28 Feb 2025 (no 29 Feb).
    assert procedure_errors(procedure, D(2025, 6, 1)) == {
        "extension_until": (
            "延长动工开发期限最长不超过一年：自 2024年2月29日 起最迟至 2025年2月28日"
            "（《闲置土地处置办法》第十二条第（一）项）。"
        )
    }


def test_the_parcel_page_gives_the_procedure_deadlines_in_chinese(client, superuser, anze):
    parcel = IdleParcelFactory(county=anze)
    # Found 1 Aug 2022: the notice is due 30 days later, 31 Aug, and was served that day; the answer was
    # due 30 days after it, 30 Sept, and never came.
    services.idle_procedure_save(
        procedure=IdleProcedure(
            parcel=parcel, found_date=D(2022, 8, 1), notice_number="通知1", notice_date=D(2022, 8, 31)
        )
    )
    client.force_login(superuser)
    page = client.get(reverse("admin:parcels_parcel_change", args=[parcel.pk])).content.decode()
    assert (
        '<div class="deadline ok">送达调查通知书（发现后 30 日内）：2022年8月31日 （2022年8月31日 完成）</div>'
        '<div class="deadline overdue">使用权人答复（通知书送达后 30 日内）：2022年9月30日 已逾期</div>'
    ) in page


def test_the_refusal_of_a_page_saved_meanwhile_says_when_as_the_notices_write_dates():
    from types import SimpleNamespace

    from django.utils import timezone

    from landtrack.admin_base import stale_message

    # 1 March 2023, 01:05 UTC is 09:05 in Shanghai (the project's time zone).
    latest = SimpleNamespace(
        history_user=SimpleNamespace(get_username=lambda: "az_clerk"),
        history_date=datetime.datetime(2023, 3, 1, 1, 5, tzinfo=datetime.UTC),
    )
    assert timezone.get_current_timezone_name() == "Asia/Shanghai"
    assert stale_message(latest) == (
        "该记录已被az_clerk于 2023年3月1日 09:05 修改，您的修改未保存，以免覆盖他人的修改。请刷新页面后在最新版本上重新修改。"
    )
