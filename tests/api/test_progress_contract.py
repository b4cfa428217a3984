"""/progress/ and /progress/{county}/ read as an outside client would (API.md "Progress row").

The scenario is built through the API only: the city bureau's tasks, the clerks' parcels and their
disposals. Every figure below is worked out by hand in the comments, never taken from the code. The four
counties of 临汾 in 2023:

尧都区 141002 — 批而未供, 100 亩, the notice's milestones 25/50/85/100 % at 31 May, 30 June, 30 Sept, 30 Nov
    (25.00 / 50.00 / 85.00 / 100.00 亩). Parcel A-U (批而未供, 150 亩) disposed of:
        5       on 2022-12-31  (before the task period: never counts)
        12.345  on 2023-03-01
        12.655  on 2023-05-31  (on the first due date: counts for it; 12.345 + 12.655 = 25.000)
        20      on 2023-06-16
        10      on 2024-01-05  (after the task period: never counts)
    Parcel A-I (闲置, 20 亩): 7 on 2023-04-01 — the other kind, never counts.
曲沃县 141021 — 批而未用 (both kinds), 60 亩, custom milestones 30 % by 15 April (18.00), 70 % by 31 Aug (42.00),
    100 % by 31 Oct (60.00). B-I (闲置, 40): 8.5 on 2023-04-10 and 30 on 2023-10-20;
    B-U (批而未供, 40): 10 on 2023-04-15 and 20 on 2023-08-01.
翼城县 141022 — 批而未供, 30 亩, the notice's milestones (7.50 / 15.00 / 25.50 / 30.00); one parcel, no disposal.
安泽县 141026 — 闲置土地, 20 亩, the notice's milestones (5.00 / 10.00 / 17.00 / 20.00). D-1 (闲置, 12, 府城镇): 6 on
    2023-02-01; D-2 (闲置, 8, 和川镇): 8 on 2023-06-30; D-3 (闲置, 5, no town); D-U (批而未供, 9, 府城镇): 9 on
    2023-03-01 — the other kind.
"""

import datetime
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from leadership.choices import Role
from leadership.models import Region
from tasks.catalog import forget
from tests.factories import IdleParcelFactory, RegionFactory, UnitFactory, UserFactory

pytestmark = pytest.mark.django_db

CHINESE = re.compile(r"[\u4e00-\u9fff]")


def api(user=None):
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


def created(response):
    assert response.status_code == 201, response.content.decode()
    return response.json()


def unsupplied(county, code, area, town=None):
    return {
        "county": county,
        "town": town,
        "kind": "unsupplied",
        "code": code,
        "name": f"{code}项目",
        "area_mu": area,
        "approval_number": f"晋政地字〔2019〕{code}号",
        "approval_date": "2019-05-05",
        "expropriation_status": "completed",
        "unsupplied_reason": "no_user",
    }


def idle(county, code, area, town=None):
    return {
        "county": county,
        "town": town,
        "kind": "idle",
        "code": code,
        "name": f"{code}项目",
        "area_mu": area,
        "land_user": "某某公司",
        "supply_method": "transfer",
        "supply_date": "2020-02-02",
        "agreed_start_date": "2020-08-01",
        "idle_cause": "user",
        "price_wan": "100",
    }


@pytest.fixture
def people(regions):
    def user(name, role, code):
        return UserFactory(username=name, role=role, region=Region.objects.get(code=code) if code else None)

    return {
        "root": UserFactory(username="root", role=Role.ADMIN, is_superuser=True),
        "city": user("city", Role.CITY_BUREAU, "141000"),
        "anze_office": user("anze_office", Role.COUNTY_OFFICE, "141026"),
        "yaodu_clerk": user("yaodu_clerk", Role.COUNTY_CLERK, "141002"),
    }


@pytest.fixture
def scenario(people):
    """The four counties' tasks, parcels and disposals, written through the API."""
    city = api(people["city"])
    root = api(people["root"])

    def task(county, category, target, milestones=None):
        payload = {"county": county, "year": 2023, "category": category, "target_area_mu": target}
        if milestones:
            payload["milestones"] = [{"due": due, "target_rate": rate} for due, rate in milestones]
        return created(city.post("/api/v1/tasks/", payload, format="json"))

    def parcel(payload):
        return created(root.post("/api/v1/parcels/", payload, format="json"))["id"]

    def dispose(parcel_id, method, area, date):
        created(
            root.post(
                f"/api/v1/parcels/{parcel_id}/disposals/",
                {"method": method, "area_mu": area, "date": date},
                format="json",
            )
        )

    tasks = {
        "141002": task("141002", "unsupplied", "100"),
        "141021": task(
            "141021", "both", "60", [("2023-04-15", "30"), ("2023-08-31", "70"), ("2023-10-31", "100")]
        ),
        "141022": task("141022", "unsupplied", "30"),
        "141026": task("141026", "idle", "20"),
    }
    a_u = parcel(unsupplied("141002", "A-U", "150"))
    for area, date in (
        ("5", "2022-12-31"),
        ("12.345", "2023-03-01"),
        ("12.655", "2023-05-31"),
        ("20", "2023-06-16"),
        ("10", "2024-01-05"),
    ):
        dispose(a_u, "supply_transfer", area, date)
    dispose(parcel(idle("141002", "A-I", "20")), "construction_started", "7", "2023-04-01")

    b_i = parcel(idle("141021", "B-I", "40"))
    b_u = parcel(unsupplied("141021", "B-U", "40"))
    dispose(b_i, "construction_started", "8.5", "2023-04-10")
    dispose(b_u, "supply_transfer", "10", "2023-04-15")
    dispose(b_u, "supply_allocation", "20", "2023-08-01")
    dispose(b_i, "use_adjusted", "30", "2023-10-20")

    parcel(unsupplied("141022", "C-U", "12"))

    dispose(parcel(idle("141026", "D-1", "12", "141026100")), "construction_started", "6", "2023-02-01")
    dispose(parcel(idle("141026", "D-2", "8", "141026101")), "construction_started", "8", "2023-06-30")
    parcel(idle("141026", "D-3", "5"))
    dispose(parcel(unsupplied("141026", "D-U", "9", "141026100")), "supply_transfer", "9", "2023-03-01")
    return {"tasks": tasks, "city": city}


def rows_by_county(client, **params):
    response = client.get("/api/v1/progress/", params)
    assert response.status_code == 200, response.content.decode()
    return {row["county"]: row for row in response.json()["results"]}


def row_of(scenario, county, as_of, **params):
    return rows_by_county(scenario["city"], as_of=as_of, **params)[county]


def not_due(due, rate, area):
    return {"due": due, "target_rate": rate, "target_area_mu": area, "completed_area_mu": None, "met": None}


def judged(due, rate, area, completed, met):
    return {
        "due": due,
        "target_rate": rate,
        "target_area_mu": area,
        "completed_area_mu": completed,
        "met": met,
    }


def expected_row(scenario, county, county_name, category, as_of, **figures):
    return {
        "county": county,
        "county_name": county_name,
        "task_id": scenario["tasks"][county]["id"],
        "year": 2023,
        "category": category,
        "as_of": as_of,
        **figures,
    }


# ---------------------------------------------------------------------------------------------------
# 尧都区: every field at the dates around each edge


YAODU_MILESTONES = [
    ("2023-05-31", "25.00", "25.00"),
    ("2023-06-30", "50.00", "50.00"),
    ("2023-09-30", "85.00", "85.00"),
    ("2023-11-30", "100.00", "100.00"),
]


def test_yaodu_before_anything_counts(scenario):
    # 28 Feb: the 5 亩 of 2022-12-31 lie before the period, so nothing is done; no milestone is due, so
    # nothing is required; 31 May is 92 days away, far from the 14-day window.
    assert row_of(scenario, "141002", "2023-02-28") == expected_row(
        scenario,
        "141002",
        "尧都区",
        "unsupplied",
        "2023-02-28",
        target_area_mu="100.00",
        completed_area_mu="0.00",
        completion_rate="0.00",
        required_rate="0.00",
        required_area_mu="0.00",
        shortfall_area_mu="0.00",
        status="on_track",
        next_milestone={
            "due": "2023-05-31",
            "target_rate": "25.00",
            "target_area_mu": "25.00",
            "remaining_area_mu": "25.00",
        },
        milestones=[not_due(*m) for m in YAODU_MILESTONES],
    )


def test_yaodu_rounds_half_up_from_the_exact_sum(scenario):
    # 1 March: 12.345 亩 done of 100 → 12.345 % → "12.35" (half-up; half-even would give 12.34).
    # The area 12.345 → "12.35"; 25 − 12.345 = 12.655 still needed for 31 May → "12.66".
    row = row_of(scenario, "141002", "2023-03-01")
    assert (row["completed_area_mu"], row["completion_rate"]) == ("12.35", "12.35")
    assert row["next_milestone"]["remaining_area_mu"] == "12.66"
    assert (row["required_rate"], row["required_area_mu"], row["status"]) == ("0.00", "0.00", "on_track")


@pytest.mark.parametrize(
    "as_of, days_before, status",
    [
        ("2023-05-16", 15, "on_track"),
        ("2023-05-17", 14, "at_risk"),
        ("2023-05-18", 13, "at_risk"),
        ("2023-05-30", 1, "at_risk"),
    ],
)
def test_yaodu_at_risk_window_before_the_first_milestone(scenario, as_of, days_before, status):
    # 12.345 % done, below the 25 % due 31 May: at risk from 14 days before it, not at 15.
    assert (datetime.date(2023, 5, 31) - datetime.date.fromisoformat(as_of)).days == days_before
    row = row_of(scenario, "141002", as_of)
    assert (row["completion_rate"], row["required_rate"], row["status"]) == ("12.35", "0.00", status)


def test_yaodu_a_disposal_on_the_due_date_counts_for_that_milestone(scenario):
    # 31 May: 12.345 + 12.655 (dated that day) = 25.000 = 25 % of 100, exactly the target: met.
    # Required 25 % → 25.00 亩, done 25.00: no shortfall. 30 June (50 %) is 30 days away: on track.
    assert row_of(scenario, "141002", "2023-05-31") == expected_row(
        scenario,
        "141002",
        "尧都区",
        "unsupplied",
        "2023-05-31",
        target_area_mu="100.00",
        completed_area_mu="25.00",
        completion_rate="25.00",
        required_rate="25.00",
        required_area_mu="25.00",
        shortfall_area_mu="0.00",
        status="on_track",
        next_milestone={
            "due": "2023-06-30",
            "target_rate": "50.00",
            "target_area_mu": "50.00",
            "remaining_area_mu": "25.00",
        },
        milestones=[judged(*YAODU_MILESTONES[0], "25.00", True)]
        + [not_due(*m) for m in YAODU_MILESTONES[1:]],
    )


@pytest.mark.parametrize(
    "as_of, completed, rate, remaining, status",
    [
        # 15 days before 30 June: 25 of 100 done, 25.00 still needed for 50 %.
        ("2023-06-15", "25.00", "25.00", "25.00", "on_track"),
        # 14 days before: the 20 亩 of 16 June bring 45 (45 %), still below 50 %: 5.00 to go.
        ("2023-06-16", "45.00", "45.00", "5.00", "at_risk"),
        ("2023-06-17", "45.00", "45.00", "5.00", "at_risk"),
    ],
)
def test_yaodu_at_risk_window_before_the_second_milestone(
    scenario, as_of, completed, rate, remaining, status
):
    row = row_of(scenario, "141002", as_of)
    assert (row["completed_area_mu"], row["completion_rate"], row["required_rate"]) == (
        completed,
        rate,
        "25.00",
    )
    assert (row["next_milestone"]["due"], row["next_milestone"]["remaining_area_mu"]) == (
        "2023-06-30",
        remaining,
    )
    assert (row["shortfall_area_mu"], row["status"]) == ("0.00", status)


def test_yaodu_misses_the_second_milestone(scenario):
    # 30 June: 45 done, 50 % (50.00) required → 5.00 short, behind. Next: 30 Sept 85 % = 85.00, 40.00 to go.
    assert row_of(scenario, "141002", "2023-06-30") == expected_row(
        scenario,
        "141002",
        "尧都区",
        "unsupplied",
        "2023-06-30",
        target_area_mu="100.00",
        completed_area_mu="45.00",
        completion_rate="45.00",
        required_rate="50.00",
        required_area_mu="50.00",
        shortfall_area_mu="5.00",
        status="behind",
        next_milestone={
            "due": "2023-09-30",
            "target_rate": "85.00",
            "target_area_mu": "85.00",
            "remaining_area_mu": "40.00",
        },
        milestones=[
            judged(*YAODU_MILESTONES[0], "25.00", True),
            judged(*YAODU_MILESTONES[1], "45.00", False),
            not_due(*YAODU_MILESTONES[2]),
            not_due(*YAODU_MILESTONES[3]),
        ],
    )


@pytest.mark.parametrize("as_of", ["2023-12-31", "2024-03-01"])
def test_yaodu_after_the_last_milestone(scenario, as_of):
    # After 30 Nov: 100 % required, 45 done → 55.00 short, no next milestone. The 10 亩 of 2024-01-05 fall
    # after the task period (ending 2023-12-31), so even read on 2024-03-01 the task stays at 45.
    assert row_of(scenario, "141002", as_of, year=2023) == expected_row(
        scenario,
        "141002",
        "尧都区",
        "unsupplied",
        as_of,
        target_area_mu="100.00",
        completed_area_mu="45.00",
        completion_rate="45.00",
        required_rate="100.00",
        required_area_mu="100.00",
        shortfall_area_mu="55.00",
        status="behind",
        next_milestone=None,
        milestones=[
            judged(*YAODU_MILESTONES[0], "25.00", True),
            judged(*YAODU_MILESTONES[1], "45.00", False),
            judged(*YAODU_MILESTONES[2], "45.00", False),
            judged(*YAODU_MILESTONES[3], "45.00", False),
        ],
    )


# ---------------------------------------------------------------------------------------------------
# 曲沃县: a 批而未用 task with custom milestones, going past 100 %

QUWO_MILESTONES = [
    ("2023-04-15", "30.00", "18.00"),
    ("2023-08-31", "70.00", "42.00"),
    ("2023-10-31", "100.00", "60.00"),
]


def test_quwo_before_its_first_custom_milestone(scenario):
    # 14 April: only the idle 8.5 (10 April) — a both task counts it. 8.5 ÷ 60 = 14.1666… % → "14.17".
    # Nothing due yet: required 0. 15 April (30 % = 18.00) is 1 day away and 8.5 < 18: at risk, 9.50 to go.
    assert row_of(scenario, "141021", "2023-04-14") == expected_row(
        scenario,
        "141021",
        "曲沃县",
        "both",
        "2023-04-14",
        target_area_mu="60.00",
        completed_area_mu="8.50",
        completion_rate="14.17",
        required_rate="0.00",
        required_area_mu="0.00",
        shortfall_area_mu="0.00",
        status="at_risk",
        next_milestone={
            "due": "2023-04-15",
            "target_rate": "30.00",
            "target_area_mu": "18.00",
            "remaining_area_mu": "9.50",
        },
        milestones=[not_due(*m) for m in QUWO_MILESTONES],
    )


def test_quwo_counts_both_kinds_on_the_due_date(scenario):
    # 15 April: 8.5 (idle) + 10 (批而未供, that day) = 18.5 ≥ 18.00: met. 18.5 ÷ 60 = 30.8333… → "30.83".
    # Next: 31 Aug 70 % = 42.00, 42 − 18.5 = 23.50 to go, 138 days away: on track.
    row = row_of(scenario, "141021", "2023-04-15")
    assert (row["completed_area_mu"], row["completion_rate"], row["required_rate"]) == (
        "18.50",
        "30.83",
        "30.00",
    )
    assert (row["required_area_mu"], row["shortfall_area_mu"], row["status"]) == ("18.00", "0.00", "on_track")
    assert row["next_milestone"] == {
        "due": "2023-08-31",
        "target_rate": "70.00",
        "target_area_mu": "42.00",
        "remaining_area_mu": "23.50",
    }
    assert row["milestones"][0] == judged(*QUWO_MILESTONES[0], "18.50", True)


def test_quwo_behind_its_second_custom_milestone(scenario):
    # 1 Sept: 18.5 + 20 = 38.5 → 64.1666… % → "64.17"; 70 % (42.00) due 31 Aug → 3.50 short.
    row = row_of(scenario, "141021", "2023-09-01")
    assert (row["completed_area_mu"], row["completion_rate"], row["required_rate"]) == (
        "38.50",
        "64.17",
        "70.00",
    )
    assert (row["required_area_mu"], row["shortfall_area_mu"], row["status"]) == ("42.00", "3.50", "behind")
    assert row["milestones"][1] == judged(*QUWO_MILESTONES[1], "38.50", False)
    assert row["next_milestone"]["remaining_area_mu"] == "21.50"  # 60 − 38.5


def test_quwo_over_100_percent_is_never_capped(scenario):
    # 15 Nov: 38.5 + 30 = 68.5 of 60 → 114.1666… % → "114.17", completed; past the last milestone.
    assert row_of(scenario, "141021", "2023-11-15") == expected_row(
        scenario,
        "141021",
        "曲沃县",
        "both",
        "2023-11-15",
        target_area_mu="60.00",
        completed_area_mu="68.50",
        completion_rate="114.17",
        required_rate="100.00",
        required_area_mu="60.00",
        shortfall_area_mu="0.00",
        status="completed",
        next_milestone=None,
        milestones=[
            judged(*QUWO_MILESTONES[0], "18.50", True),
            judged(*QUWO_MILESTONES[1], "38.50", False),
            judged(*QUWO_MILESTONES[2], "68.50", True),
        ],
    )


# ---------------------------------------------------------------------------------------------------
# 翼城县 and 安泽县


def test_yicheng_with_no_disposals(scenario):
    # 1 July: nothing done; 50 % of 30 = 15.00 required → 15.00 short. 31 May: 7.50 needed, 0 done.
    # Next: 30 Sept 85 % of 30 = 25.50, all of it still to do.
    assert row_of(scenario, "141022", "2023-07-01") == expected_row(
        scenario,
        "141022",
        "翼城县",
        "unsupplied",
        "2023-07-01",
        target_area_mu="30.00",
        completed_area_mu="0.00",
        completion_rate="0.00",
        required_rate="50.00",
        required_area_mu="15.00",
        shortfall_area_mu="15.00",
        status="behind",
        next_milestone={
            "due": "2023-09-30",
            "target_rate": "85.00",
            "target_area_mu": "25.50",
            "remaining_area_mu": "25.50",
        },
        milestones=[
            judged("2023-05-31", "25.00", "7.50", "0.00", False),
            judged("2023-06-30", "50.00", "15.00", "0.00", False),
            not_due("2023-09-30", "85.00", "25.50"),
            not_due("2023-11-30", "100.00", "30.00"),
        ],
    )


def test_anze_idle_task_ignores_the_unsupplied_disposal(scenario):
    # 1 July: idle 6 (1 Feb) + 8 (30 June) = 14 of 20 = 70.00 %; the 批而未供 9 亩 do not count.
    # 31 May 25 % = 5.00 (6 done by then: met); 30 June 50 % = 10.00 (14 by then: met).
    assert row_of(scenario, "141026", "2023-07-01") == expected_row(
        scenario,
        "141026",
        "安泽县",
        "idle",
        "2023-07-01",
        target_area_mu="20.00",
        completed_area_mu="14.00",
        completion_rate="70.00",
        required_rate="50.00",
        required_area_mu="10.00",
        shortfall_area_mu="0.00",
        status="on_track",
        next_milestone={
            "due": "2023-09-30",
            "target_rate": "85.00",
            "target_area_mu": "17.00",
            "remaining_area_mu": "3.00",
        },
        milestones=[
            judged("2023-05-31", "25.00", "5.00", "6.00", True),
            judged("2023-06-30", "50.00", "10.00", "14.00", True),
            not_due("2023-09-30", "85.00", "17.00"),
            not_due("2023-11-30", "100.00", "20.00"),
        ],
    )


# ---------------------------------------------------------------------------------------------------
# /progress/: totals, parameters, scope


def test_the_city_totals_per_category(scenario):
    # 1 July — 批而未用: 曲沃 60, 8.5 + 10 = 18.5 → 30.8333… → "30.83".
    # 闲置土地: 安泽 20, 14 → "70.00".
    # 批而未供: 尧都 100 + 翼城 30 = 130; 45 + 0 = 45 → 34.6153… → "34.62".
    body = scenario["city"].get("/api/v1/progress/", {"as_of": "2023-07-01"}).json()
    assert body["as_of"] == "2023-07-01"
    assert [row["county"] for row in body["results"]] == ["141002", "141021", "141022", "141026"]
    assert body["totals"] == [
        {
            "category": "both",
            "target_area_mu": "60.00",
            "completed_area_mu": "18.50",
            "completion_rate": "30.83",
        },
        {
            "category": "idle",
            "target_area_mu": "20.00",
            "completed_area_mu": "14.00",
            "completion_rate": "70.00",
        },
        {
            "category": "unsupplied",
            "target_area_mu": "130.00",
            "completed_area_mu": "45.00",
            "completion_rate": "34.62",
        },
    ]


def test_totals_are_rounded_from_exact_sums(scenario):
    # 1 March — 批而未供: 12.345 of 130 = 9.4961… % → "9.50"; the area 12.345 → "12.35".
    totals = scenario["city"].get("/api/v1/progress/", {"as_of": "2023-03-01"}).json()["totals"]
    unsupplied_total = next(total for total in totals if total["category"] == "unsupplied")
    assert unsupplied_total == {
        "category": "unsupplied",
        "target_area_mu": "130.00",
        "completed_area_mu": "12.35",
        "completion_rate": "9.50",
    }


def test_filters_by_category_and_county(scenario):
    city = scenario["city"]
    assert list(rows_by_county(city, as_of="2023-07-01", category="unsupplied")) == ["141002", "141022"]
    assert list(rows_by_county(city, as_of="2023-07-01", category="both")) == ["141021"]
    body = city.get("/api/v1/progress/", {"as_of": "2023-07-01", "county": "141026"}).json()
    assert [row["county"] for row in body["results"]] == ["141026"]
    assert body["totals"] == [
        {
            "category": "idle",
            "target_area_mu": "20.00",
            "completed_area_mu": "14.00",
            "completion_rate": "70.00",
        }
    ]
    # A county with no task, or unknown: no rows (a filter, not an object).
    assert city.get("/api/v1/progress/", {"as_of": "2023-07-01", "county": "141029"}).json()["results"] == []


def test_the_year_defaults_to_that_of_the_date(scenario):
    city = scenario["city"]
    # as_of in 2024 without a year reads 2024's tasks: there are none.
    assert city.get("/api/v1/progress/", {"as_of": "2024-03-01"}).json() == {
        "as_of": "2024-03-01",
        "results": [],
        "totals": [],
    }
    assert len(city.get("/api/v1/progress/", {"as_of": "2024-03-01", "year": 2023}).json()["results"]) == 4
    assert city.get("/api/v1/progress/", {"as_of": "2023-07-01", "year": 2022}).json()["results"] == []


def test_as_of_defaults_to_today_in_beijing_time(scenario, monkeypatch):
    # 2023-07-01 17:30 UTC is already 2 July 01:30 in Asia/Shanghai.
    moment = datetime.datetime(2023, 7, 1, 17, 30, tzinfo=datetime.UTC)
    monkeypatch.setattr(timezone, "now", lambda: moment)
    body = scenario["city"].get("/api/v1/progress/").json()
    assert body["as_of"] == "2023-07-02"
    assert {row["as_of"] for row in body["results"]} == {"2023-07-02"}
    county = scenario["city"].get("/api/v1/progress/141026/").json()
    assert county["as_of"] == "2023-07-02"


@pytest.mark.parametrize(
    "params, field",
    [
        ({"as_of": "2023-02-30"}, "as_of"),
        ({"as_of": "yesterday"}, "as_of"),
        ({"as_of": "2023/07/01"}, "as_of"),
        ({"year": "abc"}, "year"),
        ({"year": "1999"}, "year"),
        ({"year": "99999999999999999999"}, "year"),
        ({"category": "all"}, "category"),
        ({"county": "abc"}, "county"),
        ({"county": "1410261000"}, "county"),
    ],
)
def test_bad_parameters_are_refused_in_chinese(scenario, params, field):
    for url in ("/api/v1/progress/", "/api/v1/progress/141026/"):
        if url != "/api/v1/progress/" and field in ("category", "county"):
            continue
        response = scenario["city"].get(url, params)
        assert response.status_code == 400, (url, response.content)
        body = response.json()
        assert list(body) == [field]
        assert all(CHINESE.search(message) for message in body[field]), body


# ---------------------------------------------------------------------------------------------------
# /progress/{county}/: the towns


def test_the_county_endpoint_breaks_anze_down_by_town(scenario):
    # Idle parcels of 安泽: 府城镇 D-1 (12, 6 done), 和川镇 D-2 (8, 8 done on 30 June), D-3 (5, no town).
    # D-U (批而未供) is not of the task's kind: not in the towns.
    body = scenario["city"].get("/api/v1/progress/141026/", {"as_of": "2023-07-01"}).json()
    assert (body["county"], body["county_name"], body["as_of"]) == ("141026", "安泽县", "2023-07-01")
    (row,) = body["results"]
    towns = row.pop("towns")
    assert row == row_of(scenario, "141026", "2023-07-01")
    assert towns == [
        {
            "code": "141026100",
            "name": "府城镇",
            "parcels": 1,
            "area_mu": "12.00",
            "completed_area_mu": "6.00",
        },
        {"code": "141026101", "name": "和川镇", "parcels": 1, "area_mu": "8.00", "completed_area_mu": "8.00"},
        {
            "code": None,
            "name": "未填乡镇（园区）",
            "parcels": 1,
            "area_mu": "5.00",
            "completed_area_mu": "0.00",
        },
    ]
    # The day before, 和川镇's 8 亩 are not yet done.
    earlier = scenario["city"].get("/api/v1/progress/141026/", {"as_of": "2023-06-29"}).json()
    assert [town["completed_area_mu"] for town in earlier["results"][0]["towns"]] == ["6.00", "0.00", "0.00"]


def test_the_county_endpoint_of_a_both_task_counts_both_kinds_by_town(scenario):
    # 曲沃 has no towns on file: both its parcels (40 + 40) fall under "未填"; done by 15 Nov 68.5.
    (row,) = scenario["city"].get("/api/v1/progress/141021/", {"as_of": "2023-11-15"}).json()["results"]
    assert row["towns"] == [
        {
            "code": None,
            "name": "未填乡镇（园区）",
            "parcels": 2,
            "area_mu": "80.00",
            "completed_area_mu": "68.50",
        }
    ]


def test_the_county_endpoint_of_a_county_with_no_task_that_year(scenario):
    body = scenario["city"].get("/api/v1/progress/141029/", {"as_of": "2023-07-01"}).json()
    assert body == {"county": "141029", "county_name": "乡宁县", "as_of": "2023-07-01", "results": []}


# ---------------------------------------------------------------------------------------------------
# Scope


def test_each_role_reads_only_its_scope(scenario, people):
    office = api(people["anze_office"])
    assert list(rows_by_county(office, as_of="2023-07-01")) == ["141026"]
    assert list(rows_by_county(office, as_of="2023-07-01", county="141002")) == []
    clerk = api(people["yaodu_clerk"])
    assert list(rows_by_county(clerk, as_of="2023-07-01")) == ["141002"]
    assert office.get("/api/v1/progress/141026/").status_code == 200


@pytest.mark.parametrize("code", ["141002", "999999", "141026100", "141000", "abc"])
def test_a_county_outside_the_scope_unknown_or_not_a_county_is_404(scenario, people, code):
    response = api(people["anze_office"]).get(f"/api/v1/progress/{code}/", {"as_of": "2023-07-01"})
    assert response.status_code == 404
    assert response.json() == {"detail": "未找到。"}


def test_anonymous_callers_are_401(scenario):
    assert api().get("/api/v1/progress/").status_code == 401
    assert api().get("/api/v1/progress/141026/").status_code == 401


# ---------------------------------------------------------------------------------------------------
# A constant number of queries


def queries(client, url, params, *, cold=True):
    """The queries of one request; ``cold``: with nothing of the catalog held by the process (tasks.catalog)."""
    if cold:
        forget()
    with CaptureQueriesContext(connection) as context:
        response = client.get(url, params)
    assert response.status_code == 200
    return len(context)


def test_the_query_count_does_not_grow_with_counties(scenario):
    city = scenario["city"]
    one = queries(city, "/api/v1/progress/", {"as_of": "2023-07-01", "county": "141002"})
    four = queries(city, "/api/v1/progress/", {"as_of": "2023-07-01"})
    assert one == four
    # … and once the year's tasks are held by the process (the catalog stamp unchanged): fewer, still equal
    warm_one = queries(city, "/api/v1/progress/", {"as_of": "2023-07-01", "county": "141002"}, cold=False)
    assert warm_one == queries(city, "/api/v1/progress/", {"as_of": "2023-07-01"}, cold=False) < one
    # The county endpoint: a county of 3 towns costs what one without towns does, and the same again
    # with more towns, units and parcels.
    with_towns = queries(city, "/api/v1/progress/141026/", {"as_of": "2023-07-01"})
    assert with_towns == queries(city, "/api/v1/progress/141021/", {"as_of": "2023-07-01"})
    anze = Region.objects.get(code="141026")
    for number in range(3):
        town = RegionFactory(code=f"14102620{number}", name=f"新镇{number}", level="town", parent=anze)
        unit = UnitFactory(region=anze, name=f"新单位{number}")
        IdleParcelFactory(county=anze, code=f"N-{number}", town=town, responsible_unit=unit)
    assert queries(city, "/api/v1/progress/141026/", {"as_of": "2023-07-01"}) == with_towns
