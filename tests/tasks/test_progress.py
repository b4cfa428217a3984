"""The milestone engine against figures worked out by hand (DOMAIN.md §4)."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.db.models import Prefetch
from django.test.utils import CaptureQueriesContext

from leadership.models import Region
from parcels import services as parcel_services
from tasks import services as task_services
from tasks.models import CountyTask, Milestone
from tasks.progress import category_totals, task_progress
from tests.factories import IdleParcelFactory, ParcelFactory

pytestmark = pytest.mark.django_db

D = datetime.date


def dispose(parcel, area, date, method=None):
    method = method or ("supply_transfer" if parcel.kind == "unsupplied" else "construction_started")
    return parcel_services.disposal_record(parcel=parcel, method=method, area_mu=Decimal(area), date=date)


def _reload(task):
    """The task as the API loads it: county and milestones in hand."""
    return CountyTask.objects.select_related("county").prefetch_related("milestones").get(pk=task.pk)


def one(task, as_of, **options):
    (progress,) = task_progress([_reload(task)], as_of, **options)
    return progress


@pytest.fixture
def task(anze):
    """安泽县 2023, 批而未供, 200 亩, default milestones 25/50/85/100 % = 50/100/170/200 亩."""
    return task_services.task_create(
        county=anze, year=2023, category="unsupplied", target_area_mu=Decimal("200")
    )


@pytest.fixture
def parcel(anze):
    return ParcelFactory(county=anze, area_mu=Decimal("500"), approval_date=D(2015, 1, 1))


def test_a_disposal_on_a_due_date_counts_for_that_milestone(task, parcel):
    dispose(parcel, "50", D(2023, 5, 31))
    progress = one(task, D(2023, 6, 10))
    first = progress.milestones[0]
    assert (first.due, first.completed_area_mu, first.met) == (D(2023, 5, 31), Decimal("50"), True)


def test_a_milestone_missed_by_a_hair_is_not_met(task, parcel):
    dispose(parcel, "49.9999", D(2023, 5, 31))
    dispose(parcel, "0.0001", D(2023, 6, 1))
    progress = one(task, D(2023, 6, 10))
    assert progress.milestones[0].met is False
    assert progress.completed_area_mu == Decimal("50")


def test_before_the_first_milestone_nothing_is_required(task, parcel):
    dispose(parcel, "10", D(2023, 3, 1))
    progress = one(task, D(2023, 4, 1))
    assert progress.required_rate == 0 and progress.required_area_mu == 0
    assert progress.shortfall_area_mu == 0
    assert progress.status == "on_track"
    # 10 ÷ 200 = 5 %; next: 31 May, 50 亩, 40 still to go, 60 days away.
    assert progress.completion_rate == Decimal("5")
    assert (progress.next_milestone.due, progress.next_milestone.remaining_area_mu) == (
        D(2023, 5, 31),
        Decimal("40"),
    )
    assert progress.next_milestone.days_left == 60
    assert all(m.completed_area_mu is None and m.met is None for m in progress.milestones)


def test_disposals_outside_the_task_period_do_not_count(task, parcel):
    dispose(parcel, "30", D(2022, 12, 31))  # the year before
    dispose(parcel, "7", D(2023, 1, 1))
    dispose(parcel, "11", D(2023, 12, 31))
    progress = one(task, D(2024, 2, 1))
    assert progress.completed_area_mu == Decimal("18")


def test_disposals_after_the_as_of_date_do_not_count(task, parcel):
    dispose(parcel, "7", D(2023, 3, 1))
    dispose(parcel, "5", D(2023, 3, 2))
    assert one(task, D(2023, 3, 1)).completed_area_mu == Decimal("7")


def test_disposals_of_the_other_kind_do_not_count(task, parcel, anze):
    idle = IdleParcelFactory(county=anze, area_mu=Decimal("40"))
    dispose(idle, "40", D(2023, 3, 1))
    dispose(parcel, "3", D(2023, 3, 1))
    assert one(task, D(2023, 3, 31)).completed_area_mu == Decimal("3")


def test_disposals_of_another_county_do_not_count(task, xiangning):
    other = ParcelFactory(county=xiangning, area_mu=Decimal("40"))
    dispose(other, "40", D(2023, 3, 1))
    assert one(task, D(2023, 3, 31)).completed_area_mu == Decimal("0")


def test_a_both_task_counts_both_kinds(anze, parcel):
    both = task_services.task_create(county=anze, year=2023, category="both", target_area_mu=Decimal("80"))
    idle = IdleParcelFactory(county=anze, area_mu=Decimal("40"))
    dispose(idle, "12.5", D(2023, 3, 1))
    dispose(parcel, "7.5", D(2023, 4, 1))
    progress = one(both, D(2023, 4, 30))
    # (12.5 + 7.5) ÷ 80 = 25 %
    assert progress.completed_area_mu == Decimal("20")
    assert progress.completion_rate == Decimal("25")


def test_over_100_percent_is_shown_as_it_is(anze, parcel):
    small = task_services.task_create(
        county=anze, year=2023, category="unsupplied", target_area_mu=Decimal("60")
    )
    dispose(parcel, "64.3", D(2023, 11, 20))
    progress = one(small, D(2023, 12, 31))
    # 64.3 ÷ 60 × 100 = 107.1666… → 107.17 shown
    assert progress.completion_rate.quantize(Decimal("0.01")) == Decimal("107.17")
    assert progress.status == "completed"
    assert progress.next_milestone is None


def test_rates_are_exact_until_shown_and_then_rounded_half_up(anze, parcel, users_client):
    task = task_services.task_create(
        county=anze, year=2023, category="unsupplied", target_area_mu=Decimal("100")
    )
    dispose(parcel, "12.345", D(2023, 3, 1))
    progress = one(task, D(2023, 3, 31))
    assert progress.completion_rate == Decimal("12.345")
    row = users_client.get("/api/v1/progress/", {"year": 2023, "as_of": "2023-03-31"}).json()["results"][0]
    assert row["completion_rate"] == "12.35"  # half-up, not half-even's 12.34
    assert row["completed_area_mu"] == "12.35"


@pytest.mark.parametrize(
    "as_of, status",
    [
        (D(2023, 5, 16), "on_track"),  # 15 days before 31 May
        (D(2023, 5, 17), "at_risk"),  # 14 days before: within the window
        (D(2023, 5, 30), "at_risk"),
        (D(2023, 5, 31), "behind"),  # due and below 25 %
    ],
)
def test_the_at_risk_window_is_14_days(task, parcel, as_of, status):
    dispose(parcel, "20", D(2023, 2, 1))  # 10 %, below the 25 % due 31 May
    assert one(task, as_of).status == status


def test_at_risk_needs_the_rate_still_below_the_next_milestone(task, parcel):
    dispose(parcel, "50", D(2023, 2, 1))  # 25 % already
    assert one(task, D(2023, 5, 20)).status == "on_track"


def test_a_county_with_no_disposals_is_behind_after_the_first_milestone(task):
    progress = one(task, D(2023, 7, 1))
    assert progress.completed_area_mu == 0 and progress.completion_rate == 0
    assert progress.required_rate == Decimal("50.00")
    assert progress.shortfall_area_mu == Decimal("100")
    assert progress.status == "behind"
    assert [m.met for m in progress.milestones] == [False, False, None, None]


def test_shortfall_is_the_required_area_less_what_was_done(task, parcel):
    dispose(parcel, "120", D(2023, 9, 1))
    progress = one(task, D(2023, 10, 1))
    # required 85 % × 200 = 170; done 120; shortfall 50
    assert (progress.required_area_mu, progress.shortfall_area_mu) == (Decimal("170"), Decimal("50"))
    assert progress.status == "behind"


def test_custom_milestones_drive_required_rate_and_next_milestone(anze, parcel):
    custom = task_services.task_create(
        county=anze,
        year=2023,
        category="unsupplied",
        target_area_mu=Decimal("90"),
        milestones=[
            (D(2023, 3, 15), Decimal("10")),
            (D(2023, 8, 31), Decimal("60")),
            (D(2023, 12, 20), Decimal("100")),
        ],
    )
    dispose(parcel, "9", D(2023, 3, 15))
    progress = one(custom, D(2023, 8, 1))
    # required 10 % of 90 = 9; done 9; next 31 Aug 60 % = 54, 45 to go, 30 days away
    assert (progress.required_rate, progress.required_area_mu, progress.shortfall_area_mu) == (
        Decimal("10.00"),
        Decimal("9"),
        Decimal("0"),
    )
    assert progress.milestones[0].met is True
    assert progress.next_milestone.target_area_mu == Decimal("54")
    assert progress.next_milestone.remaining_area_mu == Decimal("45")
    assert progress.status == "on_track"


def test_a_task_period_other_than_the_calendar_year(anze, parcel):
    from tasks.models import CountyTask

    task = task_services.task_save(
        task=CountyTask(
            county=anze,
            year=2023,
            category="unsupplied",
            target_area_mu=Decimal("10"),
            start_date=D(2023, 6, 1),
            end_date=D(2023, 11, 30),
        ),
        milestones=[(D(2023, 11, 30), Decimal("100"))],
    )
    dispose(parcel, "4", D(2023, 5, 31))
    dispose(parcel, "3", D(2023, 6, 1))
    dispose(parcel, "2", D(2023, 12, 1))
    assert one(task, D(2023, 12, 31)).completed_area_mu == Decimal("3")


def test_the_pace_forecast_of_the_last_60_days(task, parcel):
    dispose(parcel, "60", D(2023, 4, 1))
    dispose(parcel, "30", D(2023, 7, 10))  # inside the 60 days before 31 July
    progress = one(task, D(2023, 7, 31), forecast=True)
    # pace = 30 亩 ÷ 60 days = 0.5 亩/day; done 90
    assert progress.pace_mu_per_day == Decimal("0.5")
    by_due = {f.due: f for f in progress.forecasts}
    # 85 %: 170 − 90 = 80 亩 → 160 days → 7 Jan 2024, after 30 Sept: 滞后风险
    assert by_due[D(2023, 9, 30)].expected == D(2024, 1, 7)
    assert by_due[D(2023, 9, 30)].late is True
    # 100 %: 200 − 90 = 110 亩 → 220 days → 7 Mar 2024
    assert by_due[D(2023, 11, 30)].expected == D(2024, 3, 7)


def test_a_forecast_without_recent_progress_never_arrives(task, parcel):
    dispose(parcel, "60", D(2023, 1, 10))
    progress = one(task, D(2023, 7, 31), forecast=True)
    assert progress.pace_mu_per_day == 0
    assert all(f.expected is None and f.late for f in progress.forecasts)


def test_a_pace_too_slow_to_arrive_before_the_calendars_end_never_arrives(task, parcel):
    # 1 m² (0.0015 亩) in the last 60 days: 200 亩 would take 8,000,000 days, past year 9999.
    dispose(parcel, "0.0015", D(2023, 6, 15))
    progress = one(task, D(2023, 7, 31), forecast=True)
    assert progress.pace_mu_per_day == Decimal("0.000025")
    assert [(f.expected, f.late) for f in progress.forecasts] == [(None, True), (None, True)]


def test_the_monthly_curve_is_cumulative(task, parcel):
    dispose(parcel, "10", D(2023, 1, 31))
    dispose(parcel, "5", D(2023, 2, 1))
    dispose(parcel, "2", D(2023, 3, 15))
    progress = one(task, D(2023, 3, 20), curve=True)
    assert progress.monthly == [
        (D(2023, 1, 31), Decimal("10")),
        (D(2023, 2, 28), Decimal("15")),
        (D(2023, 3, 20), Decimal("17")),
    ]


def test_town_and_unit_breakdown(task, regions, anze):
    from leadership.models import Unit

    unit = Unit.objects.create(region=anze, name="安泽县自然资源局")
    a = ParcelFactory(county=anze, town=regions["141026100"], area_mu=Decimal("30"), responsible_unit=unit)
    b = ParcelFactory(county=anze, town=regions["141026100"], area_mu=Decimal("20"))
    c = ParcelFactory(county=anze, town=regions["141026101"], area_mu=Decimal("5"), responsible_unit=unit)
    dispose(a, "12", D(2023, 2, 1))
    dispose(b, "3", D(2022, 2, 1))  # before the period: not completed for this task
    dispose(c, "5", D(2023, 6, 1))
    progress = one(task, D(2023, 12, 31), breakdown=True)
    towns = {t.code: (t.parcels, t.area_mu, t.completed_area_mu) for t in progress.towns}
    assert towns == {
        "141026100": (2, Decimal("50"), Decimal("12")),
        "141026101": (1, Decimal("5"), Decimal("5")),
    }
    units = {u.name: (u.parcels, u.area_mu, u.completed_area_mu) for u in progress.units}
    assert units == {
        "安泽县自然资源局": (2, Decimal("35"), Decimal("17")),
        "未填责任单位": (1, Decimal("20"), Decimal("0")),
    }


def test_breakdowns_of_tasks_with_different_windows_each_count_their_own(regions, monkeypatch):
    """Tasks that share a window share its column; more windows than one statement takes are summed by
    several (PostgreSQL refuses a statement of more than 1,664 columns: the country has 2,850 tasks a year)."""
    import tasks.progress

    anze, xiangning = regions["141026"], regions["141029"]
    anze_2022 = task_services.task_create(
        county=anze, year=2022, category="unsupplied", target_area_mu=Decimal("40")
    )
    anze_2023 = task_services.task_create(
        county=anze, year=2023, category="unsupplied", target_area_mu=Decimal("40")
    )
    xiangning_2023 = task_services.task_create(
        county=xiangning, year=2023, category="unsupplied", target_area_mu=Decimal("40")
    )
    a = ParcelFactory(
        county=anze, town=regions["141026100"], area_mu=Decimal("50"), approval_date=D(2015, 1, 1)
    )
    x = ParcelFactory(county=xiangning, area_mu=Decimal("50"), approval_date=D(2015, 1, 1))
    dispose(a, "7", D(2022, 3, 1))
    dispose(a, "11", D(2023, 3, 1))
    dispose(x, "2", D(2022, 3, 1))
    dispose(x, "13", D(2023, 4, 1))
    monkeypatch.setattr(tasks.progress, "WINDOWS_PER_QUERY", 1)
    loaded = [_reload(task) for task in (anze_2022, anze_2023, xiangning_2023)]
    with CaptureQueriesContext(connection) as queries:
        results = task_progress(loaded, D(2023, 12, 31), breakdown=True)
    breakdowns = [[(t.code, t.parcels, t.completed_area_mu) for t in progress.towns] for progress in results]
    assert breakdowns == [
        [("141026100", 1, Decimal("7"))],  # 安泽 2022: 2022's disposal only
        [("141026100", 1, Decimal("11"))],  # 安泽 2023
        [(None, 1, Decimal("13"))],  # 乡宁 2023, no town
    ]
    # Two windows (2022, 2023), one statement each at one window per statement.
    sums = [query["sql"] for query in queries.captured_queries if 'FROM "parcels_disposal"' in query["sql"]]
    with CaptureQueriesContext(connection) as together:
        monkeypatch.setattr(tasks.progress, "WINDOWS_PER_QUERY", 500)
        again = task_progress(loaded, D(2023, 12, 31), breakdown=True)
    assert [
        [(t.code, t.parcels, t.completed_area_mu) for t in progress.towns] for progress in again
    ] == breakdowns
    assert len(queries.captured_queries) - len(together.captured_queries) == 1
    (summed,) = [
        query["sql"] for query in together.captured_queries if 'FROM "parcels_disposal"' in query["sql"]
    ]
    assert len(sums) == 2 and summed.upper().count("SUM(") == 2  # a column per window, not per task


def test_category_totals_sum_targets_and_completions(regions):
    anze, xiangning = regions["141026"], regions["141029"]
    t1 = task_services.task_create(
        county=anze, year=2023, category="unsupplied", target_area_mu=Decimal("30")
    )
    t2 = task_services.task_create(
        county=xiangning, year=2023, category="unsupplied", target_area_mu=Decimal("10")
    )
    dispose(ParcelFactory(county=anze, area_mu=Decimal("50")), "6", D(2023, 2, 1))
    dispose(ParcelFactory(county=xiangning, area_mu=Decimal("50")), "4", D(2023, 2, 1))
    totals = category_totals(task_progress([_reload(t1), _reload(t2)], D(2023, 3, 1)))
    assert totals == [
        {
            "category": "unsupplied",
            "target_area_mu": Decimal("40"),
            "completed_area_mu": Decimal("10"),
            "completion_rate": Decimal("25"),
        }
    ]


def _add_counties(city, numbers):
    """Counties with a town, a 批而未用 task (20/60/100 % custom milestones) and 2 + 2 亩 disposed of."""
    for number in numbers:
        county = Region.objects.create(
            code=f"15{number + 101:04d}", name=f"测试县{number}", level="county", parent=city
        )
        town = Region.objects.create(code=f"{county.code}100", name="某镇", level="town", parent=county)
        task = task_services.task_create(
            county=county, year=2023, category="both", target_area_mu=Decimal("10")
        )
        task_services.task_save(
            task=task,
            milestones=[
                (D(2023, 4, 30), Decimal("20")),
                (D(2023, 6, 30), Decimal("60")),
                (D(2023, 10, 31), Decimal("100")),
            ],
        )
        for kind_factory in (ParcelFactory, IdleParcelFactory):
            parcel = kind_factory(county=county, town=town, area_mu=Decimal("5"))
            dispose(parcel, "1", D(2023, 3, 1))
            dispose(parcel, "1", D(2023, 5, 1))


def _all_tasks():
    return list(
        CountyTask.objects.select_related("county").prefetch_related(
            Prefetch("milestones", queryset=Milestone.objects.order_by("due"))
        )
    )


def _measured(**options):
    with CaptureQueriesContext(connection) as context:
        results = task_progress(_all_tasks(), D(2023, 7, 1), **options)
    return results, len(context)


@pytest.mark.parametrize(
    "options, queries",
    [
        # tasks, milestones; whole months from the year totals, the days of the months cut (parcels.rollup)
        ({}, 4),
        ({"breakdown": True}, 6),  # + parcels by town/unit, disposals by town/unit
        ({"breakdown": True, "curve": True}, 6),  # the monthly curve rides on the same two
    ],
)
def test_the_query_count_is_the_same_for_1_county_and_30(db, options, queries):
    city = Region.objects.create(code="150100", name="测试市", level="city")
    _add_counties(city, range(1))
    one, queries_for_one = _measured(**options)
    _add_counties(city, range(1, 30))
    thirty, queries_for_thirty = _measured(**options)
    assert (len(one), len(thirty)) == (1, 30)
    assert queries_for_one == queries_for_thirty == queries
    # every county: 2 + 2 of 10 亩 by 1 July → 40 %, behind the 60 % due 30 June (6 亩: 2 short)
    assert {(r.completion_rate, r.shortfall_area_mu, r.status) for r in thirty} == {
        (Decimal("40"), Decimal("2"), "behind")
    }
    if options.get("breakdown"):
        assert {
            (t.code[-3:], t.parcels, t.area_mu, t.completed_area_mu) for r in thirty for t in r.towns
        } == {("100", 2, Decimal("10"), Decimal("4"))}


@pytest.fixture
def users_client(regions):
    from rest_framework.test import APIClient

    from leadership.choices import Role
    from tests.factories import UserFactory

    client = APIClient()
    client.force_authenticate(UserFactory(username="city", role=Role.CITY_BUREAU, region=regions["141000"]))
    return client
