"""The 令53 procedure on idle land: art. 12 methods, hearing before a fee or recovery, one-year extension."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from parcels import services
from parcels.models import IdleProcedure
from parcels.rules import procedure_deadlines
from tests.factories import IdleParcelFactory
from tests.helpers import refused

pytestmark = pytest.mark.django_db

D = datetime.date


@pytest.fixture
def government_idle(anze):
    return IdleParcelFactory(county=anze, code="GOV", idle_cause="government", government_cause="planning_revised")


@pytest.fixture
def user_idle(anze):
    return IdleParcelFactory(county=anze, code="USR", idle_cause="user")


@pytest.mark.parametrize("method", ["free_recovery", "construction_started"])
def test_government_caused_idleness_takes_only_article_12_methods(government_idle, method):
    with refused("method", "第十二条"):
        services.disposal_record(parcel=government_idle, method=method, area_mu=Decimal("1"), date=D(2022, 1, 5))


@pytest.mark.parametrize("method", ["deadline_extended", "use_adjusted", "temporary_use", "paid_recovery", "land_swap", "other"])
def test_article_12_methods_are_accepted_for_government_caused_idleness(government_idle, method):
    assert services.disposal_record(parcel=government_idle, method=method, area_mu=Decimal("1"), date=D(2022, 1, 5)).pk


def test_user_caused_idleness_may_be_recovered_free(user_idle):
    assert services.disposal_record(parcel=user_idle, method="free_recovery", area_mu=Decimal("1"), date=D(2022, 1, 5)).pk


def procedure(parcel, **fields):
    return IdleProcedure(parcel=parcel, **fields)


def test_a_fee_or_recovery_decision_needs_a_hearing_offered_first(user_idle):
    with refused("hearing_offered_date", "听证"):
        procedure(user_idle, finding_number="认定书1", finding_date=D(2022, 3, 1), decision_kind="fee",
                  decision_number="征缴1", decision_date=D(2022, 4, 1)).save()
    with refused("hearing_offered_date", "之前"):
        procedure(user_idle, hearing_offered_date=D(2022, 4, 2), decision_kind="recovery",
                  decision_number="收回1", decision_date=D(2022, 4, 1)).save()
    procedure(user_idle, hearing_offered_date=D(2022, 3, 10), decision_kind="fee", decision_number="征缴1",
              decision_date=D(2022, 4, 1)).save()


def test_no_idle_fee_for_government_caused_idleness(government_idle):
    with refused("decision_kind", "不征缴土地闲置费"):
        procedure(government_idle, hearing_offered_date=D(2022, 3, 10), decision_kind="fee",
                  decision_number="征缴1", decision_date=D(2022, 4, 1)).save()


@pytest.mark.parametrize(
    "agreed, until, ok",
    [
        (D(2023, 3, 1), D(2024, 3, 1), True),  # one full year: to the end of the anniversary
        (D(2023, 3, 1), D(2024, 3, 2), False),
        (D(2024, 2, 29), D(2025, 2, 28), True),  # no 29 Feb in 2025: the month's last day
        (D(2024, 2, 29), D(2025, 3, 1), False),
    ],
)
def test_an_extension_is_at_most_one_year(government_idle, agreed, until, ok):
    item = procedure(government_idle, supplementary_agreement_date=agreed, extension_until=until)
    if ok:
        item.save()
    else:
        with refused("extension_until", "最长不超过一年"):
            item.save()


def test_procedure_dates_follow_each_other(user_idle):
    with refused("answer_date", "不能早于调查通知书送达日期"):
        procedure(user_idle, found_date=D(2022, 1, 1), notice_date=D(2022, 1, 20), answer_date=D(2022, 1, 10)).save()


def test_procedure_deadlines_are_flagged_when_passed(user_idle):
    item = procedure(user_idle, found_date=D(2022, 1, 1), notice_date=D(2022, 1, 20))
    item.save()
    deadlines = {d.name: d for d in procedure_deadlines(item, D(2022, 2, 20))}
    notice = deadlines["送达调查通知书（发现后 30 日内）"]
    assert (notice.due, notice.overdue, notice.late) == (D(2022, 1, 31), False, False)
    answer = deadlines["使用权人答复（通知书送达后 30 日内）"]
    assert (answer.due, answer.overdue) == (D(2022, 2, 19), True)
    assert not {d.name: d for d in procedure_deadlines(item, D(2022, 2, 19))}[answer.name].overdue


def test_only_idle_parcels_have_the_procedure(anze):
    from tests.factories import ParcelFactory

    unsupplied = ParcelFactory(county=anze)
    with refused("parcel", "只有闲置土地"):
        procedure(unsupplied).save()


def test_the_idle_parcel_page_shows_flags_with_reasons_and_the_procedure(client, superuser, demo):
    from parcels.models import Parcel

    client.force_login(superuser)
    parcel = Parcel.objects.get(code="AZ-XZ-003")
    page = client.get(reverse("admin:parcels_parcel_change", args=[parcel.pk])).content.decode()
    assert "应征缴土地闲置费" in page and "306.0000 万元" in page and "第十四条" in page
    assert "可无偿收回" in page
    assert "闲置土地处置程序" in page and "调查通知书文号" in page
    flagged = client.get(reverse("admin:parcels_parcel_changelist"), {"flag": "idle_fee_due"})
    assert [p.code for p in flagged.context["cl"].result_list] == ["AZ-XZ-003"]


def test_no_deadline_runs_once_the_parcel_is_disposed_of_in_full(government_idle):
    """The extension's deadline cannot be met on a government-caused parcel (construction_started is not an
    art. 12 method): it stayed 已逾期 for ever, even after the parcel was taken back in full."""
    from parcels.models import Parcel
    from parcels.rules import with_rule_facts

    item = procedure(
        government_idle,
        found_date=D(2022, 1, 1),
        supplementary_agreement_date=D(2022, 3, 1),
        extension_until=D(2023, 2, 28),
    )
    item.save()
    services.disposal_record(
        parcel=government_idle, method="paid_recovery", area_mu=government_idle.area_mu, date=D(2023, 3, 5)
    )

    def deadlines(as_of, annotated):
        if annotated:  # as reminders read it: the parcel's facts annotated as of the date
            item.parcel = with_rule_facts(Parcel.objects.filter(pk=government_idle.pk), as_of).get()
        else:  # as the parcel's page reads it: the procedure's own parcel
            item.parcel = Parcel.objects.get(pk=government_idle.pk)
        return {d.name: (d.overdue, d.settled) for d in procedure_deadlines(item, as_of)}

    notice, extension = "送达调查通知书（发现后 30 日内）", "延长后动工开发期限届满"
    for annotated in (True, False):
        # The day before the recovery: both passed and not met.
        assert deadlines(D(2023, 3, 4), annotated) == {notice: (True, False), extension: (True, False)}
        # From the recovery on, neither runs.
        assert deadlines(D(2023, 3, 5), annotated) == {notice: (False, True), extension: (False, True)}


def test_a_partly_disposed_parcel_keeps_its_deadlines(government_idle):
    item = procedure(
        government_idle, supplementary_agreement_date=D(2022, 3, 1), extension_until=D(2023, 2, 28)
    )
    item.save()
    services.disposal_record(
        parcel=government_idle,
        method="paid_recovery",
        area_mu=government_idle.area_mu - Decimal("0.0001"),
        date=D(2023, 3, 5),
    )
    (extension,) = procedure_deadlines(item, D(2023, 3, 10))
    assert (extension.overdue, extension.settled) == (True, False)


def test_the_parcel_page_stops_showing_the_deadlines_overdue_once_disposed_of_in_full(
    client, superuser, government_idle
):
    client.force_login(superuser)
    services.idle_procedure_save(
        procedure=procedure(
            government_idle, supplementary_agreement_date=D(2022, 3, 1), extension_until=D(2023, 2, 28)
        )
    )
    url = reverse("admin:parcels_parcel_change", args=[government_idle.pk])
    page = client.get(url).content.decode()
    assert '<div class="deadline overdue">延长后动工开发期限届满：2023年2月28日 已逾期</div>' in page
    services.disposal_record(
        parcel=government_idle, method="paid_recovery", area_mu=government_idle.area_mu, date=D(2023, 3, 5)
    )
    page = client.get(url).content.decode()
    settled = '<div class="deadline ok">延长后动工开发期限届满：2023年2月28日 （地块已全部处置，不再计算）</div>'
    assert settled in page
    assert "已逾期" not in page


def test_the_parcel_page_shows_each_deadline_met_late_or_overdue(client, superuser, user_idle):
    """The page's 程序期限 showed "-" whatever the dates: its dates reached format_html already escaped."""
    client.force_login(superuser)
    services.idle_procedure_save(
        procedure=procedure(
            user_idle, found_date=D(2022, 1, 1), notice_number="通知1", notice_date=D(2022, 2, 15)
        )
    )
    page = client.get(reverse("admin:parcels_parcel_change", args=[user_idle.pk])).content.decode()
    assert (
        '<div class="deadline late">送达调查通知书（发现后 30 日内）：2022年1月31日 （2022年2月15日 完成，已超期）</div>'
        '<div class="deadline overdue">使用权人答复（通知书送达后 30 日内）：2022年3月17日 已逾期</div>'
    ) in page
