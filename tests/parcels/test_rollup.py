"""The totals kept beside the ledger (parcels.rollup): exact for any window, whatever writes happen.

Every test that uses the database also ends with the check of tests/conftest.py that the totals equal
the ledger (``rollup_drift``); these tests add the windows worked out by hand, random data against a
plain recount, concurrent writes and the parcel counts.
"""

import datetime
import random
import threading
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.models import Sum

from parcels import rollup, services
from parcels.models import Disposal, DisposalYearTotal, Parcel, ParcelCount
from parcels.rollup import disposed_by_county_kind, parcel_counts_refresh, rollup_drift, window_pieces
from tests.factories import IdleParcelFactory, ParcelFactory

D = datetime.date


# --- splitting a window, by hand ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "first, last, today, months, days",
    [
        # Whole months only: January to May is "through May"; March to May is "through May less through Feb".
        (D(2023, 1, 1), D(2023, 5, 31), D(2024, 1, 1), [(1, 2023, 5)], []),
        (D(2023, 3, 1), D(2023, 5, 31), D(2024, 1, 1), [(1, 2023, 5), (-1, 2023, 2)], []),
        # 1 January to 24 November, today 24 November: through November less 25–30 November (no disposal
        # can be dated after today, so those 6 days read nothing).
        (D(2026, 1, 1), D(2026, 11, 24), D(2026, 11, 24), [(1, 2026, 11)], [(-1, D(2026, 11, 25), D(2026, 11, 30))]),
        # …in the past, 24 days inside against 6 outside: still the month less its last 6 days.
        (D(2023, 1, 1), D(2023, 11, 24), D(2024, 1, 1), [(1, 2023, 11)], [(-1, D(2023, 11, 25), D(2023, 11, 30))]),
        # 1 January to 5 September: 5 days inside against 25 outside: through August plus 1–5 September.
        (D(2022, 1, 1), D(2022, 9, 5), D(2024, 1, 1), [(1, 2022, 8)], [(1, D(2022, 9, 1), D(2022, 9, 5))]),
        # 20 March to 10 April: 12 days of March (rather than 19 before) and 10 of April (rather than 20).
        (D(2023, 3, 20), D(2023, 4, 10), D(2024, 1, 1), [], [(1, D(2023, 3, 20), D(2023, 3, 31)), (1, D(2023, 4, 1), D(2023, 4, 10))]),
        # 3 March to 28 May: March less 1–2 March, whole April, May less 29–31 May.
        (
            D(2023, 3, 3),
            D(2023, 5, 28),
            D(2024, 1, 1),
            [(1, 2023, 5), (-1, 2023, 2)],
            [(-1, D(2023, 3, 1), D(2023, 3, 2)), (-1, D(2023, 5, 29), D(2023, 5, 31))],
        ),
        # Within one month: the inside (5 days) rather than the month less 26 days.
        (D(2023, 6, 10), D(2023, 6, 14), D(2024, 1, 1), [], [(1, D(2023, 6, 10), D(2023, 6, 14))]),
        # Within one month, mostly: 2–29 February 2024 (a leap year) is February less the 1st.
        (D(2024, 2, 2), D(2024, 2, 29), D(2025, 1, 1), [(1, 2024, 2), (-1, 2024, 1)], [(-1, D(2024, 2, 1), D(2024, 2, 1))]),
        # Across a year end: July 2022 to February 2023 is the rest of 2022 and through February 2023.
        (D(2022, 7, 1), D(2023, 2, 28), D(2024, 1, 1), [(1, 2022, 12), (-1, 2022, 6), (1, 2023, 2)], []),
        # Empty.
        (D(2023, 5, 2), D(2023, 5, 1), D(2024, 1, 1), [], []),
    ],
)
def test_a_window_splits_into_whole_months_and_the_fewest_days(first, last, today, months, days):
    assert window_pieces(first, last, today) == (months, days)


# --- against a plain recount --------------------------------------------------------------------------


def recount(county_id, kind, first, last):
    return Disposal.objects.filter(
        parcel__county_id=county_id, parcel__kind=kind, date__gte=first, date__lte=last
    ).aggregate(total=Sum("area_mu"))["total"] or Decimal(0)


@pytest.mark.django_db
@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("one_year", [False, True], ids=["across-years", "one-year"])
@pytest.mark.parametrize("limit", [500, 0], ids=["counties-named", "counties-kept-as-read"])
def test_random_ledgers_give_the_recounts_figures_for_random_windows(regions, seed, one_year, limit, monkeypatch):
    """Across years the year rows are summed per county and kind; inside one year (a campaign's report)
    each window is a difference of one row's columns: both give the recount's figures. Counties are
    named in the queries, or, when more than COUNTY_FILTER_LIMIT, kept as the rows are read."""
    monkeypatch.setattr(rollup, "COUNTY_FILTER_LIMIT", limit)
    rng = random.Random(seed)
    counties = [regions["141026"], regions["141029"]]
    today = D(2024, 3, 15)
    parcels = []
    for number in range(12):
        county = rng.choice(counties)
        factory = IdleParcelFactory if rng.random() < 0.4 else ParcelFactory
        parcels.append(factory(county=county, code=f"R{seed}-{number}", area_mu=Decimal("500")))
    disposals = []
    for _ in range(60):
        parcel = rng.choice(parcels)
        method = "supply_transfer" if parcel.kind == "unsupplied" else "deadline_extended"
        date = D(2022, 1, 1) + datetime.timedelta(days=rng.randrange((today - D(2022, 1, 1)).days + 1))
        area = Decimal(rng.randint(1, 999)) / 100
        disposals.append(services.disposal_record(parcel=parcel, method=method, area_mu=area, date=date))
    # Corrections: areas changed, dates moved across months and years, disposals deleted.
    for disposal in rng.sample(disposals, 15):
        moved = D(2022, 1, 1) + datetime.timedelta(days=rng.randrange(700))
        services.disposal_update(disposal=disposal, date=moved, area_mu=Decimal(rng.randint(1, 500)) / 100)
    for disposal in rng.sample(disposals, 10):
        if Disposal.objects.filter(pk=disposal.pk).exists():
            services.disposal_delete(disposal=disposal)
    assert rollup_drift() == []

    windows = []
    for _ in range(25):
        if one_year:
            first = D(2023, 1, 1) + datetime.timedelta(days=rng.randrange(365))
            last = min(first + datetime.timedelta(days=rng.randrange(200)), D(2023, 12, 31))
        else:
            first = D(2021, 12, 1) + datetime.timedelta(days=rng.randrange(850))
            last = first + datetime.timedelta(days=rng.randrange(400))
        windows.append((first, last))
    if one_year:
        windows += [(D(2023, 1, 1), D(2023, 12, 31)), (D(2023, 1, 1), D(2023, 5, 31)), (D(2023, 6, 1), D(2023, 9, 30))]
    else:
        windows += [(D(2022, 1, 1), D(2022, 12, 31)), (D(2023, 1, 1), today), (D(2024, 3, 1), D(2024, 3, 15))]
        # Windows of many years (a task period of decades), whose year terms share one CASE per column.
        windows += [(D(1990, 1, 1), today), (D(2000, 6, 15), D(2023, 8, 31)), (D(1999, 12, 31), D(2022, 2, 1))]
    sums = disposed_by_county_kind(windows, {county.pk for county in counties}, today=today)
    for county in counties:
        for kind in ("unsupplied", "idle"):
            values = sums.get((county.pk, kind), [Decimal(0)] * len(windows))
            for (first, last), value in zip(windows, values, strict=True):
                assert value == recount(county.pk, kind, first, last), (county.code, kind, first, last)
    # Only the counties asked for.
    assert {county_id for county_id, _ in disposed_by_county_kind(windows, {counties[0].pk}, today=today)} == {
        counties[0].pk
    }


@pytest.mark.django_db
def test_loaded_fixtures_are_counted(demo):
    """loaddata saves rows raw, without save(): the totals still follow (the demo's 乡宁 23.71 亩)."""
    xiangning = demo["141029"]
    row = DisposalYearTotal.objects.get(county=xiangning, kind="unsupplied", year=2022)
    assert rollup_drift() == []
    sums = disposed_by_county_kind([(D(2022, 1, 1), D(2022, 9, 5))], {xiangning.pk}, today=D(2026, 1, 1))
    assert sums[(xiangning.pk, "unsupplied")] == [Decimal("23.71")]
    # By 31 May 2022: 7.10 亩, the first milestone's figure in API.md's example row.
    assert row.through_05 == Decimal("7.10")


@pytest.mark.django_db(transaction=True)
def test_clerks_writing_at_once_in_one_county_and_month_are_all_counted(regions):
    """Eight clerks record a disposal each, at the same moment, on eight parcels of one county in one
    month: all eight land in the month's total (no lost increment) and nothing else does."""
    county = regions["141026"]
    parcels = [ParcelFactory(county=county, code=f"C{n}", area_mu=Decimal("10")) for n in range(8)]
    barrier = threading.Barrier(len(parcels))
    errors = []

    def clerk(parcel, area):
        try:
            barrier.wait(timeout=20)
            services.disposal_record(parcel=parcel, method="supply_transfer", area_mu=area, date=D(2023, 4, 10))
        except Exception as error:  # noqa: BLE001 — reported below
            errors.append(error)
        finally:
            connection.close()

    areas = [Decimal(n + 1) / 4 for n in range(len(parcels))]  # 0.25 + 0.50 + … + 2.00 = 9.00
    threads = [threading.Thread(target=clerk, args=pair) for pair in zip(parcels, areas, strict=True)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    row = DisposalYearTotal.objects.get(county=county, kind="unsupplied", year=2023)
    assert (row.through_03, row.through_04, row.through_12, row.disposals) == (
        Decimal("0"),
        Decimal("9.00"),
        Decimal("9.00"),
        8,
    )
    assert rollup_drift() == []


# --- parcel counts -------------------------------------------------------------------------------------


def counts():
    """The parcels counted per county and kind, whatever their status."""
    rows = ParcelCount.objects.values_list("county__code", "kind").annotate(total=Sum("parcels"))
    return {(code, kind): total for code, kind, total in rows if total}


def statuses(county):
    """The parcels counted per status in one county."""
    rows = ParcelCount.objects.filter(county=county).values_list("status").annotate(total=Sum("parcels"))
    return {status: total for status, total in rows if total}


@pytest.mark.django_db
def test_parcel_counts_follow_every_change_of_status(regions):
    """待处置 → 部分处置 → 已处置, back to 部分处置 when the area grows, to 待处置 when the disposals go: the
    counts per status follow each write, as the ledger gives them (and the drift check after every test)."""
    anze = regions["141026"]
    parcel = ParcelFactory(county=anze, code="S1", area_mu=Decimal("10"))
    ParcelFactory(county=anze, code="S2", area_mu=Decimal("5"))
    assert statuses(anze) == {"pending": 2}
    first = services.disposal_record(
        parcel=parcel, method="supply_transfer", area_mu=Decimal("4"), date=D(2023, 4, 10)
    )
    assert statuses(anze) == {"pending": 1, "partial": 1}
    second = services.disposal_record(
        parcel=parcel, method="supply_transfer", area_mu=Decimal("6"), date=D(2023, 5, 10)
    )
    assert statuses(anze) == {"pending": 1, "disposed": 1}
    parcel.refresh_from_db()
    services.parcel_update(parcel=parcel, area_mu=Decimal("12"))
    assert statuses(anze) == {"pending": 1, "partial": 1}
    services.disposal_delete(disposal=second)
    services.disposal_delete(disposal=first)
    assert statuses(anze) == {"pending": 2}
    # A parcel read before its disposals went is deleted (as the shell would) from the count it is stored
    # under, not from the one its stale copy implies.
    other = Parcel.objects.get(code="S2")
    disposal = services.disposal_record(
        parcel=other, method="supply_transfer", area_mu=Decimal("5"), date=D(2023, 6, 1)
    )
    assert statuses(anze) == {"pending": 1, "disposed": 1}
    stale = Parcel.objects.get(code="S2")  # read as disposed of in full
    services.disposal_delete(disposal=disposal)
    stale.delete()
    assert statuses(anze) == {"pending": 1}


@pytest.mark.django_db
def test_parcel_counts_follow_every_create_move_and_delete(regions):
    anze, xiangning = regions["141026"], regions["141029"]
    first = ParcelFactory(county=anze, code="P1")
    ParcelFactory(county=anze, code="P2")
    idle = IdleParcelFactory(county=anze, code="P3")
    assert counts() == {("141026", "unsupplied"): 2, ("141026", "idle"): 1}
    services.parcel_update(parcel=first, county=xiangning, town=None)  # no disposals yet: it may move
    assert counts() == {("141026", "unsupplied"): 1, ("141026", "idle"): 1, ("141029", "unsupplied"): 1}
    services.parcel_delete(parcel=idle)
    assert counts() == {("141026", "unsupplied"): 1, ("141029", "unsupplied"): 1}
    # Raw bulk writes skip the signals; a refresh recounts.
    Parcel.objects.bulk_create(ParcelFactory.build(county=xiangning, code=f"B{n}") for n in range(3))
    assert counts()[("141029", "unsupplied")] == 1
    parcel_counts_refresh([xiangning.pk])
    assert counts() == {("141026", "unsupplied"): 1, ("141029", "unsupplied"): 4}


# --- the command ---------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_command_reports_drift_changes_nothing_on_check_and_rebuilds_exactly(regions, capsys):
    anze = regions["141026"]
    parcel = ParcelFactory(county=anze, code="CMD", area_mu=Decimal("10"))
    services.disposal_record(parcel=parcel, method="supply_transfer", area_mu=Decimal("2.5"), date=D(2023, 4, 10))
    call_command("rebuild_progress_rollup", "--check")
    assert "一致" in capsys.readouterr().out
    # Writes behind the program's back: the year's December figure changed, the county's parcel count gone.
    DisposalYearTotal.objects.filter(county=anze).update(through_12=Decimal("1"))
    ParcelCount.objects.filter(county=anze).delete()
    with pytest.raises(CommandError, match="有 2 处不一致"):
        call_command("rebuild_progress_rollup", "--check")
    assert DisposalYearTotal.objects.get(county=anze).through_12 == Decimal("1")  # --check changes nothing
    assert not ParcelCount.objects.filter(county=anze).exists()
    call_command("rebuild_progress_rollup")
    assert "重建前有 2 处不一致" in capsys.readouterr().out
    # 2.5 亩 on 10 April 2023: nothing through March, 2.5 from April on; one disposal; one parcel.
    row = DisposalYearTotal.objects.get(county=anze, kind="unsupplied", year=2023)
    assert (row.through_03, row.through_04, row.through_12, row.disposals) == (
        Decimal("0"),
        Decimal("2.5"),
        Decimal("2.5"),
        1,
    )
    assert ParcelCount.objects.get(county=anze, kind="unsupplied").parcels == 1
    assert rollup_drift() == []


@pytest.mark.django_db
def test_an_import_that_changes_a_parcels_area_moves_it_to_its_new_status(regions):
    """The Excel import writes in bulk, past the signals: it counts the parcels itself, a status changed by a
    new area included (12.5 亩 disposed of in full, re-imported at 15: 部分处置)."""
    import io

    from parcels import ledger
    from tests.parcels.ledger_files import ledger_bytes, unsupplied_row

    anze = regions["141026"]
    first = ledger.ledger_import(
        source=io.BytesIO(ledger_bytes("unsupplied", [unsupplied_row("L1"), unsupplied_row("L2")])),
        kind="unsupplied",
        county=anze,
    )
    assert first.ok and statuses(anze) == {"pending": 2}
    parcel = Parcel.objects.get(code="L1")
    services.disposal_record(
        parcel=parcel, method="supply_transfer", area_mu=Decimal("12.5"), date=D(2023, 4, 10)
    )
    assert statuses(anze) == {"pending": 1, "disposed": 1}
    rows = [unsupplied_row("L1", **{"未供面积（亩）": 15}), unsupplied_row("L2", 项目名称="改名")]
    source = io.BytesIO(ledger_bytes("unsupplied", rows))
    again = ledger.ledger_import(source=source, kind="unsupplied", county=anze)
    assert again.ok and len(again.updated) == 2
    assert statuses(anze) == {"pending": 1, "partial": 1}
