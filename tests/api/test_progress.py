"""The progress endpoints over the demo, against the figures of the 乡宁 notice worked out by hand."""

import pytest
from rest_framework.test import APIClient

from leadership.choices import Role
from leadership.models import Region
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def as_role(demo):
    def client(role, code):
        api = APIClient()
        api.force_authenticate(
            UserFactory(username=f"{role}_{code}", role=role, region=Region.objects.get(code=code))
        )
        return api

    return client


def test_xiangning_on_5_september_2022_as_the_contract_shows(as_role):
    body = as_role(Role.CITY_BUREAU, "141000").get("/api/v1/progress/", {"as_of": "2022-09-05"}).json()
    assert body["as_of"] == "2022-09-05"
    (row,) = body["results"]
    row.pop("task_id")
    assert row == {
        "county": "141029",
        "county_name": "乡宁县",
        "year": 2022,
        "category": "unsupplied",
        "as_of": "2022-09-05",
        "target_area_mu": "26.96",
        "completed_area_mu": "23.71",
        "completion_rate": "87.95",
        "required_rate": "50.00",
        "required_area_mu": "13.48",
        "shortfall_area_mu": "0.00",
        "status": "on_track",
        "next_milestone": {
            "due": "2022-09-30",
            "target_rate": "85.00",
            "target_area_mu": "22.92",
            "remaining_area_mu": "0.00",
        },
        "milestones": [
            {
                "due": "2022-05-31",
                "target_rate": "25.00",
                "target_area_mu": "6.74",
                "completed_area_mu": "7.10",
                "met": True,
            },
            {
                "due": "2022-06-30",
                "target_rate": "50.00",
                "target_area_mu": "13.48",
                "completed_area_mu": "16.46",
                "met": True,
            },
            {
                "due": "2022-09-30",
                "target_rate": "85.00",
                "target_area_mu": "22.92",
                "completed_area_mu": None,
                "met": None,
            },
            {
                "due": "2022-11-30",
                "target_rate": "100.00",
                "target_area_mu": "26.96",
                "completed_area_mu": None,
                "met": None,
            },
        ],
    }
    assert body["totals"] == [
        {
            "category": "unsupplied",
            "target_area_mu": "26.96",
            "completed_area_mu": "23.71",
            "completion_rate": "87.95",
        }
    ]


@pytest.mark.parametrize(
    "as_of, completed, rate, required, shortfall, status, next_due",
    [
        # nothing before 18 April; 31 May (25 % = 6.74) is 43 days away
        ("2022-04-17", "0.00", "0.00", "0.00", "0.00", "on_track", "2022-05-31"),
        # 11 days before 31 May, but 7.10 ÷ 26.96 = 26.34 % is already past its 25 %: not at risk
        ("2022-05-20", "7.10", "26.34", "0.00", "0.00", "on_track", "2022-05-31"),
        # 85 % is due in 14 days, and 87.95 % is already past it: not at risk either
        ("2022-09-16", "23.71", "87.95", "50.00", "0.00", "on_track", "2022-09-30"),
        # 16.46 ÷ 26.96 = 61.05 %, 37 days before the 85 % milestone
        ("2022-08-24", "16.46", "61.05", "50.00", "0.00", "on_track", "2022-09-30"),
        ("2022-09-17", "23.71", "87.95", "50.00", "0.00", "on_track", "2022-09-30"),
        # after 30 Nov: 100 % required, 26.96 − 23.71 = 3.25 short
        ("2022-12-01", "23.71", "87.95", "100.00", "3.25", "behind", None),
    ],
)
def test_xiangning_at_many_dates(as_role, as_of, completed, rate, required, shortfall, status, next_due):
    (row,) = (
        as_role(Role.COUNTY_OFFICE, "141029").get("/api/v1/progress/", {"as_of": as_of}).json()["results"]
    )
    assert (
        row["completed_area_mu"],
        row["completion_rate"],
        row["required_rate"],
        row["shortfall_area_mu"],
        row["status"],
    ) == (completed, rate, required, shortfall, status)
    assert (row["next_milestone"] or {}).get("due") == next_due


def test_xiangning_is_at_risk_two_weeks_before_a_milestone_it_has_not_reached(as_role):
    # 1 Jun: 7.10 done (26.34 %) and 50 % (13.48) is due 30 June, 29 days away; on 16 June, 14 days away.
    rows = {
        d: as_role(Role.CITY_BUREAU, "141000").get("/api/v1/progress/", {"as_of": d}).json()["results"][0]
        for d in ("2022-06-15", "2022-06-16")
    }
    assert rows["2022-06-15"]["status"] == "on_track"
    assert rows["2022-06-16"]["status"] == "at_risk"
    assert rows["2022-06-16"]["next_milestone"]["remaining_area_mu"] == "6.38"  # 13.48 − 7.10


def test_anze_2023_exceeds_its_task(as_role):
    (row,) = (
        as_role(Role.COUNTY_OFFICE, "141026")
        .get("/api/v1/progress/", {"as_of": "2023-12-31"})
        .json()["results"]
    )
    # 12.40 + 18.80 + 9.60 + 12.00 + 11.50 = 64.30 of 60 → 107.17 %
    assert (row["completed_area_mu"], row["completion_rate"], row["status"]) == (
        "64.30",
        "107.17",
        "completed",
    )
    assert [m["met"] for m in row["milestones"]] == [False, True, True, True]


def test_each_role_reads_its_own_scope(as_role, demo):
    def counties(client, **params):
        return [row["county"] for row in client.get("/api/v1/progress/", params).json()["results"]]

    assert counties(as_role(Role.CITY_BUREAU, "141000"), year=2023, as_of="2023-12-31") == ["141026"]
    assert counties(as_role(Role.COUNTY_OFFICE, "141029"), year=2023, as_of="2023-12-31") == []
    assert counties(as_role(Role.COUNTY_CLERK, "141029"), as_of="2022-12-31") == ["141029"]
    assert counties(as_role(Role.COUNTY_OFFICE, "141029"), as_of="2022-12-31", county="141026") == []


def test_the_county_endpoint_breaks_down_by_town(as_role):
    body = as_role(Role.CITY_BUREAU, "141000").get("/api/v1/progress/141029/", {"as_of": "2022-09-05"}).json()
    assert (body["county"], body["county_name"], body["as_of"]) == ("141029", "乡宁县", "2022-09-05")
    (row,) = body["results"]
    assert row["towns"] == [
        {"code": "141029100", "name": "昌宁镇", "parcels": 1, "area_mu": "7.10", "completed_area_mu": "7.10"},
        {"code": "141029101", "name": "光华镇", "parcels": 1, "area_mu": "9.36", "completed_area_mu": "9.36"},
        {"code": "141029102", "name": "台头镇", "parcels": 1, "area_mu": "8.50", "completed_area_mu": "7.25"},
        {
            "code": "141029400",
            "name": "乡宁生态文化旅游示范区",
            "parcels": 1,
            "area_mu": "2.00",
            "completed_area_mu": "0.00",
        },
    ]


@pytest.mark.parametrize("code", ["141026", "999999", "141029100"])
def test_a_county_outside_the_scope_or_unknown_is_404(as_role, code):
    assert as_role(Role.COUNTY_OFFICE, "141029").get(f"/api/v1/progress/{code}/").status_code == 404


@pytest.mark.parametrize(
    "params, field",
    [
        ({"as_of": "2022-02-30"}, "as_of"),
        ({"year": "abc"}, "year"),
        ({"category": "x"}, "category"),
        ({"year": "99999"}, "year"),
    ],
)
def test_bad_parameters_are_400(as_role, params, field):
    response = as_role(Role.CITY_BUREAU, "141000").get("/api/v1/progress/", params)
    assert response.status_code == 400
    assert field in response.json()


def test_progress_is_not_paginated_and_needs_a_role(demo):
    assert APIClient().get("/api/v1/progress/").status_code == 401
    nobody = APIClient()
    nobody.force_authenticate(UserFactory(username="nobody", role="", region=None))
    assert nobody.get("/api/v1/progress/").status_code == 403


def test_the_progress_endpoint_query_count_is_pinned(as_role, django_assert_num_queries):
    from tasks.catalog import forget

    client = as_role(Role.CITY_BUREAU, "141000")
    forget()
    # the city's counties, the catalog stamp, tasks, milestones; the year totals and the days of September
    # not yet in a whole month
    with django_assert_num_queries(6):
        client.get("/api/v1/progress/", {"as_of": "2022-09-05"})
    # … the year's tasks now held by the process: the stamp says they are unchanged
    with django_assert_num_queries(4):
        client.get("/api/v1/progress/", {"as_of": "2022-09-05"})
    # … and the county, the towns' parcels and their disposals
    with django_assert_num_queries(7):
        client.get("/api/v1/progress/141029/", {"as_of": "2022-09-05"})


@pytest.mark.parametrize("as_of", ["2022-05-31", "2022-09-05", "2022-12-31", "2023-06-20", "2023-12-31"])
def test_the_report_rows_are_exactly_what_the_schema_describes(as_role, superuser, as_of):
    """The city-wide report builds its rows directly, for speed; the schema documents them with
    ProgressSerializer. Both must give the same JSON, field for field, on every row."""
    import datetime
    import json

    from rest_framework.renderers import JSONRenderer

    from tasks.api.progress import ProgressSerializer
    from tasks.progress import category_totals, task_progress, tasks_in_scope

    client = as_role(Role.CITY_BUREAU, "141000")
    for year in (2022, 2023):
        served = client.get("/api/v1/progress/", {"as_of": as_of, "year": year}).json()
        date = datetime.date.fromisoformat(as_of)
        rows = task_progress(tasks_in_scope(superuser, year=year), date)
        described = ProgressSerializer({"as_of": date, "results": rows, "totals": category_totals(rows)}).data
        assert served == json.loads(JSONRenderer().render(described))
        assert served["results"], "a year of the demo without rows proves nothing"


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_report_rows_match_the_engine_on_random_campaigns(regions, superuser, seed):
    """Random counties, categories, periods (some across a year end), custom milestones and disposals:
    the report's rows, written straight from the engine's figures, are field for field what
    ProgressSerializer makes of the engine's TaskProgress objects, at dates before, between and after
    the milestones; and every status occurs."""
    import datetime
    import json
    import random
    from decimal import Decimal

    from rest_framework.renderers import JSONRenderer

    from tasks import services as task_services
    from tasks.api.progress import ProgressSerializer
    from tasks.models import CountyTask
    from tasks.progress import category_totals, task_progress, tasks_in_scope
    from tests.factories import IdleParcelFactory, ParcelFactory
    from tests.helpers import record_random_disposals

    rng = random.Random(seed)
    day = datetime.date
    counties = list(Region.objects.filter(level="county").order_by("code"))
    for county in counties:
        parcels = [
            ParcelFactory(county=county, area_mu=Decimal("400"), approval_date=day(2015, 1, 1)),
            IdleParcelFactory(county=county, area_mu=Decimal("400")),
        ]
        for parcel in parcels:
            record_random_disposals(rng, parcel, most=6, first_day=day(2022, 10, 1), days=450, largest=4000)
        category = rng.choice(["unsupplied", "idle", "both"])
        target = Decimal(rng.randrange(100, 30000)) / 100
        if rng.random() < 0.5:
            task_services.task_create(county=county, year=2023, category=category, target_area_mu=target)
        else:
            start = day(2022, 11, 1) + datetime.timedelta(days=rng.randrange(0, 120))
            end = start + datetime.timedelta(days=rng.randrange(150, 330))
            dues = sorted(rng.sample(range(1, (end - start).days + 1), rng.randrange(1, 4)))
            rates = sorted(rng.sample(range(5, 100), len(dues) - 1)) + [100]
            task_services.task_save(
                task=CountyTask(
                    county=county, year=2023, category=category, target_area_mu=target,
                    start_date=start, end_date=end,
                ),
                milestones=[
                    (start + datetime.timedelta(days=offset), Decimal(rate))
                    for offset, rate in zip(dues, rates, strict=True)
                ],
            )
    client = APIClient()
    client.force_authenticate(superuser)
    statuses = set()
    for as_of in ["2022-12-31", "2023-02-14", "2023-05-31", "2023-06-20", "2023-09-17", "2023-12-31", "2024-03-01"]:
        served = client.get("/api/v1/progress/", {"as_of": as_of, "year": 2023}).json()
        rows = task_progress(tasks_in_scope(superuser, year=2023), datetime.date.fromisoformat(as_of))
        described = ProgressSerializer({"as_of": as_of, "results": rows, "totals": category_totals(rows)}).data
        assert served == json.loads(JSONRenderer().render(described))
        assert len(served["results"]) == len(counties)
        statuses |= {row["status"] for row in served["results"]}
    assert statuses == {"on_track", "at_risk", "behind", "completed"}


def test_the_report_counts_a_milestone_reached_exactly_as_met_and_a_hair_short_as_not(regions, superuser):
    """200 亩 task: 25 % by 31 May is 50 亩. 安泽 disposes exactly 50, 乡宁 49.9999 (shown as 50.00)."""
    import datetime
    from decimal import Decimal

    from parcels import services as parcel_services
    from tasks import services as task_services
    from tests.factories import ParcelFactory

    for code, area in (("141026", "50"), ("141029", "49.9999")):
        county = Region.objects.get(code=code)
        task_services.task_create(county=county, year=2023, category="unsupplied", target_area_mu=Decimal("200"))
        parcel = ParcelFactory(county=county, area_mu=Decimal("500"), approval_date=datetime.date(2015, 1, 1))
        parcel_services.disposal_record(
            parcel=parcel, method="supply_transfer", area_mu=Decimal(area), date=datetime.date(2023, 5, 31)
        )
    client = APIClient()
    client.force_authenticate(superuser)
    body = client.get("/api/v1/progress/", {"as_of": "2023-06-01", "year": 2023}).json()
    anze, xiangning = body["results"]
    assert anze["milestones"][0] == {
        "due": "2023-05-31", "target_rate": "25.00", "target_area_mu": "50.00", "completed_area_mu": "50.00",
        "met": True,
    }
    assert (anze["status"], anze["shortfall_area_mu"]) == ("on_track", "0.00")
    assert xiangning["milestones"][0]["completed_area_mu"] == "50.00"
    assert xiangning["milestones"][0]["met"] is False
    assert (xiangning["status"], xiangning["shortfall_area_mu"]) == ("behind", "0.00")
    assert xiangning["next_milestone"] == {
        "due": "2023-06-30", "target_rate": "50.00", "target_area_mu": "100.00", "remaining_area_mu": "50.00",
    }
