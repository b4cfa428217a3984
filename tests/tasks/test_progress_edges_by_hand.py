"""Progress at its edges (DOMAIN.md §4, API.md "Progress row"): a malformed county parameter, a task period
of decades, a leap-day milestone of a period not starting on 1 January. Each test states what a user does
and what they should see, worked out by hand.
"""

import datetime
from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from parcels import services as parcel_services
from tasks import services as task_services
from tasks.models import CountyTask
from tests.factories import ParcelFactory

pytestmark = pytest.mark.django_db

D = datetime.date


def dispose(parcel, area, date):
    return parcel_services.disposal_record(
        parcel=parcel, method="supply_transfer", area_mu=Decimal(area), date=date
    )


def api(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.mark.parametrize("county", ["141029\n", "１４１０２９", "١٤١٠٢٩"])
def test_a_county_filter_that_is_not_six_ascii_digits_is_refused_not_answered_empty(
    demo, city_linfen, county
):
    """API.md: ?county= is a 6-digit code (the served schema: pattern ^[0-9]{6}$, ASCII digits to the end
    of the value); a malformed parameter is a 400 naming the field, as "141029 " already is
    (tests/fuzz/test_findings.py). "141029\\n" (Python's `$` matches before a final newline) and codes
    written in full-width or Arabic-Indic digits (Python's `\\d` is Unicode) pass the check instead and
    the city bureau is told, with a 200, that 乡宁县 has no task at all on 5 September 2022 (it has one:
    26.96 亩, 23.71 done)."""
    response = api(city_linfen).get("/api/v1/progress/", {"county": county, "as_of": "2022-09-05"})
    assert response.status_code == 400, response.json()
    assert list(response.json()) == ["county"]
    # The import template reads the same parameter.
    response = api(city_linfen).get("/api/v1/parcels/import-template/", {"county": county})
    assert response.status_code == 400, response.status_code
    assert list(response.json()) == ["county"]


def test_a_task_period_of_twenty_years_does_not_break_the_citys_dashboards(regions, city_linfen, client):
    """The city bureau assigns 安泽县 its 2023 task with the period 2004-01-01 … 2023-12-31 (the model and
    the API accept any period that holds a day of the task's year: 20 calendar years here), milestones
    50 % on 2023-06-30 and 100 % on 2023-12-31, target 40 亩; 3 亩 disposed of on 2023-05-05.

    By hand, as of 2023-12-31: completed 3.00, rate 3 ÷ 40 = 7.50 %, required 100 %, shortfall 37.00,
    behind. Instead the one disposed-area query nests a term per calendar year of the window
    (parcels.rollup._whole_months) and SQLite refuses it ("parser stack overflow"): /api/v1/progress/,
    the overview, the county page, the reminders — every page with the reminders panel — answer 500 to
    every user of the city."""
    anze = regions["141026"]
    task = task_services.task_save(
        task=CountyTask(
            county=anze,
            year=2023,
            category="unsupplied",
            target_area_mu=Decimal("40"),
            start_date=D(2004, 1, 1),
            end_date=D(2023, 12, 31),
        ),
        milestones=[(D(2023, 6, 30), 50), (D(2023, 12, 31), 100)],
    )
    parcel = ParcelFactory(county=anze, area_mu=Decimal("100"), approval_date=D(2015, 1, 1))
    dispose(parcel, "3", D(2023, 5, 5))

    city = api(city_linfen)
    city.raise_request_exception = False
    response = city.get("/api/v1/progress/", {"year": 2023, "as_of": "2023-12-31"})
    assert response.status_code == 200
    (row,) = response.json()["results"]
    assert row["task_id"] == task.pk
    assert (row["completed_area_mu"], row["completion_rate"], row["shortfall_area_mu"], row["status"]) == (
        "3.00",
        "7.50",
        "37.00",
        "behind",
    )
    client.raise_request_exception = False
    client.force_login(city_linfen)
    assert client.get("/dashboard/", {"year": 2023, "as_of": "2023-12-31"}).status_code == 200
    assert client.get("/dashboard/141026/", {"year": 2023, "as_of": "2023-12-31"}).status_code == 200


def test_a_leap_day_milestone_of_a_period_not_starting_on_1_january(regions, superuser, client):
    """安泽县 2024 task, 40 亩, period 2023-03-01 … 2024-02-29, milestones 25 % 2023-06-30 (10 亩),
    50 % 2023-12-31 (20), 85 % 2024-02-28 (34), 100 % 2024-02-29 (40). Disposals: 5 on 2023-02-28 (the
    day before the period: never), 10 on 2023-03-01, 10 on 2023-12-31, 14 on 2024-02-28, 1 on 2024-02-29,
    3 on 2024-03-01 (the day after: never).

    As of 2024-02-28: 10 + 10 + 14 = 34 = 85 % on its due day → met, not behind; 100 % is 1 day away and
    85 < 100 → at_risk, 6.00 still needed. As of 2024-02-29 (the leap day, the last due date): 35 →
    87.50 %, required 100 % → behind by 40 − 35 = 5.00; the 3 of 1 March never count. The county page
    (HTML) and the API say the same."""
    anze = regions["141026"]
    task = task_services.task_save(
        task=CountyTask(
            county=anze,
            year=2024,
            category="unsupplied",
            target_area_mu=Decimal("40"),
            start_date=D(2023, 3, 1),
            end_date=D(2024, 2, 29),
        ),
        milestones=[(D(2023, 6, 30), 25), (D(2023, 12, 31), 50), (D(2024, 2, 28), 85), (D(2024, 2, 29), 100)],
    )
    parcel = ParcelFactory(county=anze, area_mu=Decimal("100"), approval_date=D(2015, 1, 1))
    for area, day in [
        ("5", D(2023, 2, 28)),
        ("10", D(2023, 3, 1)),
        ("10", D(2023, 12, 31)),
        ("14", D(2024, 2, 28)),
        ("1", D(2024, 2, 29)),
        ("3", D(2024, 3, 1)),
    ]:
        dispose(parcel, area, day)
    client.force_login(superuser)
    expected = {
        "2024-02-28": ("34.00", "85.00", "85.00", "0.00", "at_risk", [True, True, True, None]),
        "2024-02-29": ("35.00", "87.50", "100.00", "5.00", "behind", [True, True, True, False]),
        "2024-03-01": ("35.00", "87.50", "100.00", "5.00", "behind", [True, True, True, False]),
    }
    for as_of, (done, rate, required, shortfall, status, met) in expected.items():
        (row,) = (
            api(superuser).get("/api/v1/progress/141026/", {"year": 2024, "as_of": as_of}).json()["results"]
        )
        assert row["task_id"] == task.pk
        assert (
            row["completed_area_mu"],
            row["completion_rate"],
            row["required_rate"],
            row["shortfall_area_mu"],
            row["status"],
            [m["met"] for m in row["milestones"]],
        ) == (done, rate, required, shortfall, status, met), as_of
        assert sum(Decimal(town["completed_area_mu"]) for town in row["towns"]) == Decimal(done)
        page = client.get("/dashboard/141026/", {"year": 2024, "as_of": as_of})
        (shown,) = page.context["rows"]
        assert (f"{shown.completed_area_mu:.2f}", shown.status) == (done, status)
        html = page.content.decode()
        assert f"<dd>{done} 亩" in html and f"<dd>{rate}%</dd>" in html and f"<dd>{shortfall} 亩</dd>" in html
    (row,) = api(superuser).get("/api/v1/progress/", {"year": 2024, "as_of": "2024-02-28"}).json()["results"]
    assert row["next_milestone"] == {
        "due": "2024-02-29",
        "target_rate": "100.00",
        "target_area_mu": "40.00",
        "remaining_area_mu": "6.00",
    }


def test_the_town_and_unit_breakdowns_count_the_parcels_on_the_ledger_by_the_date(regions, superuser, client):
    """安泽县's 2023 task; in one town, parcel A approved 2022-01-01 (10 亩) and parcel B approved 2023-06-01
    (20 亩), 4 亩 of A disposed of on 2023-03-01. As of 2023-05-31 the town held A alone: 1 parcel, 10 亩,
    4 done (the county page's pending list says the same); B counted from the day it was approved."""
    anze = regions["141026"]
    town = next(code for code in regions if code.startswith("141026") and len(code) == 9)
    task_services.task_save(
        task=CountyTask(county=anze, year=2023, category="unsupplied", target_area_mu=Decimal("40")),
    )
    early = ParcelFactory(
        county=anze, town=regions[town], code="A", area_mu=Decimal("10"), approval_date=D(2022, 1, 1)
    )
    ParcelFactory(
        county=anze, town=regions[town], code="B", area_mu=Decimal("20"), approval_date=D(2023, 6, 1)
    )
    dispose(early, "4", D(2023, 3, 1))
    for as_of, parcels, area in [("2023-05-31", 1, "10.00"), ("2023-06-01", 2, "30.00")]:
        (row,) = (
            api(superuser).get("/api/v1/progress/141026/", {"year": 2023, "as_of": as_of}).json()["results"]
        )
        (shown,) = row["towns"]
        assert (shown["code"], shown["parcels"], shown["area_mu"], shown["completed_area_mu"]) == (
            town,
            parcels,
            area,
            "4.00",
        ), as_of
        client.force_login(superuser)
        page = client.get("/dashboard/141026/", {"year": 2023, "as_of": as_of})
        (unit,) = page.context["rows"][0].units
        assert (unit.parcels, f"{unit.area_mu:.2f}") == (parcels, area), as_of
