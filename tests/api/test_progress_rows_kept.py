"""The country-wide report's rows kept by the process (tasks.api.progress.report_rows): written again the
moment anything they show could differ, and byte for byte what a process keeping nothing writes."""

import datetime
import random
from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from leadership.choices import RegionLevel
from leadership.models import Region
from parcels import services as parcel_services
from tasks import services as task_services
from tasks.api import progress as progress_api
from tasks.models import CountyTask, Milestone
from tests.factories import IdleParcelFactory, ParcelFactory
from tests.helpers import record_random_disposals

pytestmark = pytest.mark.django_db

DAY = datetime.date


@pytest.fixture
def campaign(regions):
    """A 2023 task in every county of the regions fixture, with a parcel of each kind and some disposals."""
    rng = random.Random(7)
    parcels = {}
    for county in Region.objects.filter(level=RegionLevel.COUNTY).order_by("code"):
        unsupplied = ParcelFactory(county=county, area_mu=Decimal("900"), approval_date=DAY(2015, 1, 1))
        idle = IdleParcelFactory(county=county, area_mu=Decimal("900"))
        parcels[county.code] = (unsupplied, idle)
        for parcel in (unsupplied, idle):
            record_random_disposals(rng, parcel, most=4, first_day=DAY(2023, 1, 1), days=200, largest=3000)
        task_services.task_create(
            county=county,
            year=2023,
            category=rng.choice(["unsupplied", "idle", "both"]),
            target_area_mu=Decimal(rng.randrange(1000, 40000)) / 100,
        )
    return parcels


@pytest.fixture
def api(superuser):
    client = APIClient()
    client.force_authenticate(superuser)
    return client


def report(api, as_of="2023-09-05"):
    response = api.get("/api/v1/progress/", {"year": 2023, "as_of": as_of})
    assert response.status_code == 200
    return response.json()


def written_afresh(api, as_of="2023-09-05"):
    """The report as a process that keeps no rows writes it."""
    kept = dict(progress_api._written)
    progress_api.forget_rows()
    try:
        return report(api, as_of)
    finally:
        progress_api._written.clear()
        progress_api._written.update(kept)


def kept_rows():
    return {pk: entry[4] for pk, entry in progress_api._written.items()}


def test_rows_are_kept_and_served_again_while_nothing_they_show_changed(campaign, api):
    first = report(api)
    rows = kept_rows()
    assert len(rows) == CountyTask.objects.filter(year=2023).count() > 2
    assert report(api) == first == written_afresh(api)
    assert all(kept_rows()[pk] is row for pk, row in rows.items())


def counted_and_not(campaign, task):
    """(parcel, method) whose disposals count toward the task, and one whose do not (None for "both")."""
    unsupplied, idle = campaign[task.county.code]
    counted = (idle, "construction_started") if task.category == "idle" else (unsupplied, "supply_transfer")
    other = {"unsupplied": (idle, "construction_started"), "idle": (unsupplied, "supply_transfer")}
    return counted, other.get(task.category)


def test_a_disposal_rewrites_its_countys_rows_at_once_and_only_them(campaign, api):
    task = CountyTask.objects.select_related("county").get(year=2023, county__code="141026")
    (parcel, method), _ = counted_and_not(campaign, task)
    before = report(api)
    rows = kept_rows()
    parcel_services.disposal_record(
        parcel=parcel, method=method, area_mu=Decimal("12.34"), date=DAY(2023, 8, 1)
    )
    after = report(api)
    assert after == written_afresh(api)
    unchanged = [row for row in after["results"] if row in before["results"]]
    assert {row["county"] for row in after["results"]} - {row["county"] for row in unchanged} == {"141026"}
    for pk, row in kept_rows().items():
        assert (row is rows[pk]) == (pk != task.pk)


def test_a_disposal_of_a_kind_the_task_does_not_count_rewrites_nothing(campaign, api):
    task = next(
        task
        for task in CountyTask.objects.select_related("county").filter(year=2023).order_by("county__code")
        if task.category != "both"
    )
    _, (parcel, method) = counted_and_not(campaign, task)
    before = report(api)
    rows = kept_rows()
    parcel_services.disposal_record(parcel=parcel, method=method, area_mu=Decimal("7"), date=DAY(2023, 8, 1))
    assert report(api) == before == written_afresh(api)
    assert all(kept_rows()[pk] is row for pk, row in rows.items())


def test_a_disposal_deleted_or_dated_outside_the_date_is_seen_too(campaign, api):
    report(api)
    unsupplied, _ = campaign["141029"]
    disposal = parcel_services.disposal_record(
        parcel=unsupplied, method="supply_transfer", area_mu=Decimal("3"), date=DAY(2023, 9, 6)
    )
    assert report(api) == written_afresh(api)  # the day after the date: counted from the 6th on
    assert report(api, "2023-09-06") == written_afresh(api, "2023-09-06")
    parcel_services.disposal_delete(disposal=disposal)
    assert report(api, "2023-09-06") == written_afresh(api, "2023-09-06")
    assert report(api) == written_afresh(api)


@pytest.mark.parametrize(
    "change",
    ["target", "category", "period", "milestone", "milestone added", "county renamed", "county recoded"],
)
def test_a_catalog_change_rewrites_the_rows_it_touches(campaign, api, change):
    report(api)
    task = CountyTask.objects.select_related("county").get(year=2023, county__code="141026")
    if change == "target":
        CountyTask.objects.filter(pk=task.pk).update(target_area_mu=task.target_area_mu + Decimal("0.01"))
    elif change == "category":
        other = {"both": "idle", "idle": "unsupplied", "unsupplied": "both"}[task.category]
        CountyTask.objects.filter(pk=task.pk).update(category=other)
    elif change == "period":
        CountyTask.objects.filter(pk=task.pk).update(start_date=DAY(2023, 3, 1))
    elif change == "milestone":
        Milestone.objects.filter(task=task, due=DAY(2023, 6, 30)).update(target_rate=Decimal("50.01"))
    elif change == "milestone added":
        Milestone.objects.create(task=task, due=DAY(2023, 8, 31), target_rate=Decimal("70"))
    elif change == "county renamed":
        Region.objects.filter(pk=task.county_id).update(name="安泽新县")
    else:
        Region.objects.filter(pk=task.county_id).update(code="141099")
    after = report(api)
    assert after == written_afresh(api)
    (row,) = [row for row in after["results"] if row["task_id"] == task.pk]
    if change == "county renamed":
        assert row["county_name"] == "安泽新县"
    if change == "county recoded":
        assert row["county"] == "141099"
    if change == "milestone added":
        assert "2023-08-31" in [milestone["due"] for milestone in row["milestones"]]


def test_rows_of_another_date_are_written_for_it(campaign, api):
    for as_of in ("2023-05-30", "2023-05-31", "2023-09-05", "2023-05-31", "2024-01-01"):
        assert report(api, as_of) == written_afresh(api, as_of)


def test_what_the_process_keeps_is_bounded(campaign, api, monkeypatch):
    monkeypatch.setattr(progress_api, "ROWS_KEPT", 1)
    report(api)
    tasks = CountyTask.objects.filter(year=2023).count()
    assert len(progress_api._written) == tasks  # a report's rows are all kept …
    CountyTask.objects.create(
        county=Region.objects.get(code="141002"),
        year=2024,
        category="both",
        target_area_mu=Decimal("10"),
        start_date=DAY(2024, 1, 1),
        end_date=DAY(2024, 12, 31),
    )
    assert api.get("/api/v1/progress/", {"year": 2024, "as_of": "2024-03-01"}).status_code == 200
    assert list(progress_api._written) == [CountyTask.objects.get(year=2024).pk]  # … dropped past the limit
    assert report(api) == written_afresh(api)


def test_a_task_read_again_after_a_catalog_change_reuses_its_row_when_it_is_the_same(campaign, api):
    report(api)
    rows = kept_rows()
    untouched = CountyTask.objects.get(year=2023, county__code="141029")
    touched = CountyTask.objects.get(year=2023, county__code="141026")
    CountyTask.objects.filter(pk=touched.pk).update(target_area_mu=touched.target_area_mu * 2)
    report(api)
    assert kept_rows()[untouched.pk] is rows[untouched.pk]
    assert kept_rows()[touched.pk] is not rows[touched.pk]


def test_a_disposal_moved_before_a_milestone_rewrites_the_row_though_the_total_is_the_same(campaign, api):
    unsupplied, idle = campaign["141029"]
    task = CountyTask.objects.get(year=2023, county__code="141029")
    parcel, method = (
        (idle, "construction_started") if task.category == "idle" else (unsupplied, "supply_transfer")
    )
    later = parcel_services.disposal_record(
        parcel=parcel, method=method, area_mu=Decimal("5"), date=DAY(2023, 7, 10)
    )
    before = [row for row in report(api)["results"] if row["task_id"] == task.pk]
    parcel_services.disposal_delete(disposal=later)
    parcel_services.disposal_record(parcel=parcel, method=method, area_mu=Decimal("5"), date=DAY(2023, 5, 10))
    after = report(api)
    assert after == written_afresh(api)
    (row,) = [row for row in after["results"] if row["task_id"] == task.pk]
    assert row["completed_area_mu"] == before[0]["completed_area_mu"]
    assert row["milestones"][0]["completed_area_mu"] != before[0]["milestones"][0]["completed_area_mu"]
