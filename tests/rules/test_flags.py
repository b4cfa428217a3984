"""Parcel flags and the idle fee at their boundaries, through the API (API.md "Rules")."""

import datetime
from decimal import Decimal

import pytest

from parcels import services
from tests.api.harness import client_for
from tests.factories import IdleParcelFactory, ParcelFactory

pytestmark = pytest.mark.django_db

D = datetime.date


@pytest.fixture
def clerk(users):
    return client_for(users["clerk"])


def flags(client, parcel, as_of):
    body = client.get(f"/api/v1/parcels/{parcel.pk}/", {"as_of": as_of.isoformat()}).json()
    return body["flags"], body["idle_fee_wan"]


def listed(client, flag, as_of):
    rows = client.get("/api/v1/parcels/", {"flag": flag, "as_of": as_of.isoformat(), "page_size": 500}).json()
    return {row["code"] for row in rows["results"]}


@pytest.fixture
def leap_approval(anze):
    """Approved 29 Feb 2020, expropriation not started, nothing done: lapses from 1 Mar 2022."""
    return ParcelFactory(
        county=anze, code="LAPSE", approval_date=D(2020, 2, 29), expropriation_status="not_started"
    )


@pytest.mark.parametrize(
    "as_of, expected",
    [
        (D(2021, 11, 30), []),  # 91 days before
        (D(2021, 12, 1), ["approval_lapsing"]),  # 90 days before
        (D(2022, 2, 28), ["approval_lapsing"]),  # the last day of the two years
        (D(2022, 3, 1), ["approval_lapsed"]),  # two full years have passed
    ],
)
def test_an_approval_lapses_after_two_full_years(clerk, leap_approval, as_of, expected):
    assert flags(clerk, leap_approval, as_of) == (expected, None)
    for flag in ("approval_lapsing", "approval_lapsed"):
        assert ("LAPSE" in listed(clerk, flag, as_of)) == (flag in expected)


def test_any_disposal_or_started_expropriation_stops_the_lapse(clerk, anze, leap_approval):
    partial = ParcelFactory(
        county=anze, code="P2", approval_date=D(2020, 2, 29), expropriation_status="partial"
    )
    services.disposal_record(
        parcel=leap_approval, method="approval_adjusted", area_mu=Decimal("1"), date=D(2021, 5, 1)
    )
    assert flags(clerk, leap_approval, D(2022, 6, 1))[0] == []
    assert flags(clerk, partial, D(2022, 6, 1))[0] == []
    # Judged as of a date: before that disposal, the warning stood.
    assert flags(clerk, leap_approval, D(2021, 4, 30))[0] == []  # more than 90 days before
    assert listed(clerk, "approval_lapsed", D(2022, 6, 1)) == set()


@pytest.fixture
def idle_user(anze):
    """User-caused idle land agreed to start 30 June 2021, price 1530 万元."""
    return IdleParcelFactory(
        county=anze,
        code="IDLE",
        agreed_start_date=D(2021, 6, 30),
        idle_cause="user",
        price_wan=Decimal("1530"),
        supply_date=D(2020, 12, 1),
    )


@pytest.mark.parametrize(
    "as_of, expected, fee",
    [
        (D(2022, 6, 30), [], None),
        (D(2022, 7, 1), ["idle_fee_due"], "306.0000"),  # one full year: 20 % of 1530
        (D(2023, 6, 30), ["idle_fee_due"], "306.0000"),
        (D(2023, 7, 1), ["idle_fee_due", "free_recovery_eligible"], "306.0000"),
    ],
)
def test_user_caused_idleness_meets_the_fee_then_recovery(clerk, idle_user, as_of, expected, fee):
    assert flags(clerk, idle_user, as_of) == (expected, fee)
    for flag in ("idle_fee_due", "free_recovery_eligible"):
        assert ("IDLE" in listed(clerk, flag, as_of)) == (flag in expected)


def test_starting_construction_ends_the_idle_flags(clerk, idle_user):
    services.disposal_record(
        parcel=idle_user, method="construction_started", area_mu=Decimal("2"), date=D(2023, 1, 10)
    )
    assert flags(clerk, idle_user, D(2023, 1, 9))[0] == ["idle_fee_due"]
    assert flags(clerk, idle_user, D(2023, 1, 10)) == ([], None)


def test_government_caused_idleness_carries_no_fee(clerk, anze):
    parcel = IdleParcelFactory(
        county=anze,
        agreed_start_date=D(2019, 1, 1),
        idle_cause="government",
        government_cause="planning_revised",
    )
    assert flags(clerk, parcel, D(2024, 1, 1)) == ([], None)


def test_without_a_price_the_fee_is_flagged_but_not_computed(clerk, anze):
    parcel = IdleParcelFactory(county=anze, agreed_start_date=D(2019, 1, 1), price_wan=None)
    assert flags(clerk, parcel, D(2024, 1, 1)) == (["idle_fee_due", "free_recovery_eligible"], None)


@pytest.mark.parametrize("as_of, overdue", [(D(2023, 6, 30), False), (D(2023, 7, 1), True)])
def test_a_passed_planned_date_with_area_left_is_overdue(clerk, anze, as_of, overdue):
    parcel = ParcelFactory(
        county=anze, code="PLAN", planned_date=D(2023, 6, 30), planned_method="supply_transfer"
    )
    assert ("plan_overdue" in flags(clerk, parcel, as_of)[0]) == overdue
    assert ("PLAN" in listed(clerk, "plan_overdue", as_of)) == overdue


def test_a_fully_disposed_parcel_is_not_overdue(clerk, anze):
    parcel = ParcelFactory(county=anze, area_mu=Decimal("2"), planned_date=D(2023, 6, 30))
    services.disposal_record(
        parcel=parcel, method="supply_transfer", area_mu=Decimal("2"), date=D(2023, 7, 5)
    )
    assert flags(clerk, parcel, D(2023, 7, 4))[0] == ["plan_overdue"]
    assert flags(clerk, parcel, D(2023, 7, 5))[0] == []


def test_the_demo_parcels_flags_on_a_date(users, demo):
    client = client_for(users["city"])
    rows = client.get(
        "/api/v1/parcels/", {"county": "141026", "as_of": "2024-03-16", "page_size": 100}
    ).json()
    by_code = {row["code"]: (row["flags"], row["idle_fee_wan"]) for row in rows["results"]}
    # AZ-PW-005: approved 2022-03-15, expropriation not started, nothing done → lapsed from 2024-03-16.
    assert "approval_lapsed" in by_code["AZ-PW-005"][0]
    # AZ-XZ-003: agreed start 2021-10-31, user-caused, price 1530 万元 → fee 306, recovery from 2023-11-01.
    assert by_code["AZ-XZ-003"] == (["idle_fee_due", "free_recovery_eligible"], "306.0000")


def test_a_bad_as_of_is_400(clerk, anze):
    ParcelFactory(county=anze)
    response = clerk.get("/api/v1/parcels/", {"as_of": "2023-02-30"})
    assert response.status_code == 400 and "as_of" in response.json()


def test_flags_do_not_add_queries_to_the_list(clerk, anze, django_assert_num_queries):
    for number in range(5):
        IdleParcelFactory(county=anze, code=f"Q{number}", agreed_start_date=D(2019, 1, 1))
    with django_assert_num_queries(2):
        response = clerk.get("/api/v1/parcels/", {"flag": "idle_fee_due"})
    assert response.json()["count"] == 5


def test_disposed_as_of_today_is_the_parcels_own_figure_and_earlier_dates_sum_the_disposals(regions):
    """As of today every disposal counts (none is ever dated later), so the kept figure serves; as of an
    earlier date only the disposals dated by then do."""
    import datetime
    from decimal import Decimal

    from django.utils import timezone

    from parcels import services
    from parcels.models import Parcel
    from parcels.rules import with_disposed_as_of
    from tests.factories import ParcelFactory

    today = timezone.localdate()
    parcel = ParcelFactory(county=regions["141026"], code="AS-OF", area_mu=Decimal("10"))
    services.disposal_record(parcel=parcel, method="supply_transfer", area_mu=Decimal("1.25"), date=today)
    services.disposal_record(
        parcel=parcel, method="supply_transfer", area_mu=Decimal("2.5"), date=today - datetime.timedelta(days=3)
    )

    def disposed(as_of):
        return with_disposed_as_of(Parcel.objects.filter(pk=parcel.pk), as_of).get().disposed_as_of

    assert disposed(today) == Decimal("3.75")
    assert disposed(today + datetime.timedelta(days=30)) == Decimal("3.75")
    assert disposed(today - datetime.timedelta(days=1)) == Decimal("2.5")
    assert disposed(today - datetime.timedelta(days=4)) == Decimal("0")
