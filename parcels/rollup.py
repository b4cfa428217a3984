"""Totals kept beside the ledger, so that figures for 2,850 counties read thousands of rows, not millions.

Two tables are denormalised copies of the ledger, kept in the same transaction as every write:

- ``DisposalYearTotal``: per county, parcel kind and year, the area disposed of from 1 January through
  the end of each month (``through_01`` … ``through_12``). Any window of dates is then a difference of
  two such figures for its whole months, plus or minus the disposals of the few days at its ends that
  cut a month, read directly (each disposal carries its parcel's county and kind for that). Exact for
  any date, never stale.
- ``ParcelCount``: per county, kind and status (待处置, 部分处置, 已处置), how many parcels the ledger
  holds: the parcel list's count, filtered by a status or not. A parcel's status moves with its disposed
  area (parcels.signals.refresh_disposed_area) and its own area.

How they stay right:

- every write adjusts its rows with one atomic ``INSERT … ON CONFLICT DO UPDATE SET x = x + delta``:
  the database serialises concurrent increments on the row, so two clerks writing at once both count,
  with no read-modify-write in Python;
- the adjustments run from the models' signals, so the services, the admin, ``loaddata`` and the shell
  all keep them; bulk writes that skip signals (``generate_demo_data``) call :func:`rollup_rebuild`;
- :func:`rollup_drift` compares the tables with the ledger itself (the tests after every scenario, and
  ``manage.py rebuild_progress_rollup --check``).
"""

import calendar
import datetime
from collections import defaultdict
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import Case, CharField, Count, DecimalField, ExpressionWrapper, F, Sum, Value, When
from django.db.models.functions import ExtractMonth, ExtractYear
from django.db.models.signals import post_delete, post_save, pre_delete, pre_save
from django.dispatch import receiver
from django.utils import timezone

from landtrack.queries import compiled_rows
from landtrack.validation import AREA_DECIMAL_PLACES, AREA_MAX_DIGITS, ZERO, exact_area

from .choices import ParcelStatus
from .models import Disposal, DisposalYearTotal, Parcel, ParcelCount

__all__ = [
    "THROUGH",
    "parcels_added",
    "count_keys",
    "count_keys_changed",
    "parcel_counts_refresh",
    "window_pieces",
    "disposed_by_county_kind",
    "rollup_rebuild",
    "rollup_drift",
]

# The column holding the cumulative area through the end of month m (1–12).
THROUGH = {month: f"through_{month:02d}" for month in range(1, 13)}
ONE_DAY = datetime.timedelta(days=1)


def _month_start(date):
    return date.replace(day=1)


def _month_end(date):
    return date.replace(day=calendar.monthrange(date.year, date.month)[1])


def _cost(first, last, today):
    """How many days of disposals a range makes the database read: none for days still to come."""
    last = min(last, today)
    return max((last - first).days + 1, 0)


def window_pieces(first, last, today=None):
    """The disposals dated ``first`` … ``last`` as signed pieces the tables can answer.

    Returns ``(months, days)``: ``months`` is a list of ``(sign, year, month)`` — the year's cumulative
    area through that month's end — and ``days`` a list of ``(sign, first day, last day)`` ranges read
    from the disposals. Where the window cuts a month, it takes whichever side reads fewer days: the
    days inside the window, or the whole month less the days outside it (days after today hold no
    disposals, so "through the end of this month, less the days still to come" reads none).
    """
    if last < first:
        return [], []
    today = today or timezone.localdate()
    months, days = [], []

    def whole_months(start, end):
        """Months ``start`` … ``end`` (first days) as differences of the years' cumulative figures."""
        if start > end:
            return
        for year in range(start.year, end.year + 1):
            through = end.month if year == end.year else 12
            before = start.month - 1 if year == start.year else 0
            months.append((1, year, through))
            if before:
                months.append((-1, year, before))

    if _month_start(first) == _month_start(last):
        inside = _cost(first, last, today)
        outside = _cost(_month_start(first), first - ONE_DAY, today) + _cost(last + ONE_DAY, _month_end(last), today)
        if first.day == 1 and last == _month_end(last) or outside < inside:
            whole_months(_month_start(first), _month_start(first))
            if first.day != 1:
                days.append((-1, _month_start(first), first - ONE_DAY))
            if last != _month_end(last):
                days.append((-1, last + ONE_DAY, _month_end(last)))
        else:
            days.append((1, first, last))
        return months, days

    start = _month_start(first)
    if first.day != 1:
        head_in = _cost(first, _month_end(first), today)
        head_out = _cost(start, first - ONE_DAY, today)
        if head_out < head_in:
            days.append((-1, start, first - ONE_DAY))
        else:
            days.append((1, first, _month_end(first)))
            start = _month_end(first) + ONE_DAY
    end = _month_start(last)
    if last != _month_end(last):
        tail_in = _cost(end, last, today)
        tail_out = _cost(last + ONE_DAY, _month_end(last), today)
        if tail_out < tail_in:
            days.append((-1, last + ONE_DAY, _month_end(last)))
        else:
            days.append((1, end, last))
            end = _month_start(end - ONE_DAY)
    whole_months(start, end)
    return months, days


AREA = DecimalField(max_digits=AREA_MAX_DIGITS, decimal_places=AREA_DECIMAL_PLACES)

def _unchanged(value):
    return value


# Above this many counties, reading every county's rows is cheaper than naming them all in the query.
COUNTY_FILTER_LIMIT = 500


def _terms_by_column(terms):
    """``[(sign, month, years)]``: a window's ``(sign, year, month)`` terms with those of one sign and column
    taken together, each year once in a group. One CASE per group, not per year: a window of many years
    (a task period of 20) otherwise nests a term per year, past what SQLite's parser takes."""
    groups = []
    for sign, year, month in terms:
        for group_sign, group_month, years in groups:
            if (group_sign, group_month) == (sign, month) and year not in years:
                years.append(year)
                break
        else:
            groups.append((sign, month, [year]))
    return groups


def _whole_months(month_terms, count, county_ids, wanted, exact):
    """The whole-month part of each window, from the year rows: ``{(county_id, kind): [area per window]}``.

    ``county_ids`` are named in the query; ``wanted`` (when not None) keeps only those counties' rows as
    they are read, for a list of counties too long to name.

    ``month_terms`` maps a window's index to its ``(sign, year, month)`` terms. When every term falls in
    one year (a campaign's report), each county and kind has one row and each window is a difference of
    its columns, read as they are; across years the rows are summed per county and kind.
    """
    years = sorted({year for terms in month_terms.values() for _, year, _ in terms})
    indexes = sorted(month_terms)
    rows = DisposalYearTotal.objects.filter(year__in=years)
    if county_ids is not None:
        rows = rows.filter(county_id__in=county_ids)
    if len(years) == 1:
        columns = []
        for index in indexes:
            column = None
            for sign, _, month in month_terms[index]:
                term = F(THROUGH[month])
                column = (term if sign > 0 else -term) if column is None else (
                    column + term if sign > 0 else column - term
                )
            columns.append(column)
        rows = rows.order_by().values_list(
            "county_id", "kind", *(ExpressionWrapper(column, output_field=AREA) for column in columns)
        )
    else:
        columns = []
        for index in indexes:
            terms = None
            for sign, month, years_of in _terms_by_column(month_terms[index]):
                term = Case(
                    When(year__in=years_of, then=F(THROUGH[month])), default=Value(ZERO), output_field=AREA
                )
                term = term if sign > 0 else -term
                terms = term if terms is None else terms + term
            columns.append(Sum(terms, output_field=AREA))
        rows = rows.order_by().values("county_id", "kind").annotate(
            **{f"w{index}": column for index, column in zip(indexes, columns, strict=True)}
        ).values_list("county_id", "kind", *(f"w{index}" for index in indexes))
    # The statement is run as compiled, without the ORM's per-value conversions: the country's report
    # reads some 6,000 rows of a dozen figures, and the values arrive as the database's own numbers.
    fetched = compiled_rows(rows)
    result = {}
    if len(indexes) == count and exact is _unchanged:
        for county_id, kind, *values in fetched:
            if wanted is None or county_id in wanted:
                result[(county_id, kind)] = values
    else:
        for county_id, kind, *values in fetched:
            if wanted is not None and county_id not in wanted:
                continue
            figures = [ZERO] * count
            for index, value in zip(indexes, values, strict=True):
                figures[index] = exact(value)
            result[(county_id, kind)] = figures
    return result


def disposed_by_county_kind(windows, county_ids=None, today=None):
    """The area disposed of per county and parcel kind in each window, in two queries whatever the size.

    ``windows`` is a list of ``(first, last)`` dates, both counted. Returns ``{(county_id, kind):
    [Decimal per window, in the order given]}``; a missing key means nothing was disposed of.
    """
    today = today or timezone.localdate()
    few_counties = county_ids is not None and len(county_ids) <= COUNTY_FILTER_LIMIT
    ranges, day_terms, month_terms = {}, [], {}
    for index, (first, last) in enumerate(windows):
        months, days = window_pieces(first, last, today)
        if months:
            month_terms[index] = months
        for sign, a, b in days:
            day_terms.append((index, sign, ranges.setdefault((a, b), f"d{len(ranges)}")))

    count = len(windows)
    result = {}
    # Counties too many to name in the queries are kept as the rows are read.
    wanted = None if county_ids is None or few_counties else set(county_ids)
    # PostgreSQL sums numerics exactly; SQLite's float sums are brought back to their 4 places.
    exact = exact_area if connection.vendor == "sqlite" else _unchanged
    if month_terms:
        result = _whole_months(month_terms, count, county_ids if few_counties else None, wanted, exact)

    if ranges:
        # One statement, a UNION ALL of one range each: each part is an index-only range scan on PostgreSQL,
        # where a single scan over OR-ed ranges would read the table's pages.
        parts = []
        for (first, last), name in ranges.items():
            rows = Disposal.objects.filter(date__gte=first, date__lte=last)
            if few_counties:
                rows = rows.filter(county_id__in=county_ids)
            parts.append(
                rows.order_by()
                .values("county_id", "kind")
                .annotate(area=Sum("area_mu"), part=Value(name, output_field=CharField()))
            )
        in_days = defaultdict(dict)
        for row in parts[0].union(*parts[1:], all=True):
            if wanted is None or row["county_id"] in wanted:
                in_days[(row["county_id"], row["kind"])][row["part"]] = exact(row["area"])
        for key, sums in in_days.items():
            values = result.get(key)
            if values is None:
                values = result[key] = [ZERO] * count
            for index, sign, part in day_terms:
                area = sums.get(part)
                if area:
                    values[index] += area if sign > 0 else -area

    return result


# -- keeping the rows ----------------------------------------------------------------------------------------


def _quoted(model):
    return connection.ops.quote_name(model._meta.db_table)


def _add_disposed(changes):
    """Add each ``(county_id, kind, year, month): (area, count)`` change to its year's row, in key order.

    The area counts from its month to December. Rows are touched in key order, so transactions that touch
    several rows take their locks in the same order and cannot deadlock each other.
    """
    table = _quoted(DisposalYearTotal)
    columns = [THROUGH[month] for month in range(1, 13)]
    updates = ", ".join(f"{column} = ROUND({table}.{column} + excluded.{column}, 4)" for column in columns)
    sql = (
        f"INSERT INTO {table} (county_id, kind, year, {', '.join(columns)}, disposals) "
        f"VALUES (%s, %s, %s, {', '.join(['%s'] * 12)}, %s) "
        f"ON CONFLICT (county_id, kind, year) DO UPDATE SET {updates}, "
        f"disposals = {table}.disposals + excluded.disposals"
    )
    merged = defaultdict(lambda: [ZERO, 0])
    for (county_id, kind, year, month), (area, count) in changes:
        entry = merged[(county_id, kind, year, month)]
        entry[0] += area
        entry[1] += count
    with connection.cursor() as cursor:
        for (county_id, kind, year, month), (area, count) in sorted(merged.items()):
            if area == 0 and count == 0:
                continue
            cumulative = [area if m >= month else ZERO for m in range(1, 13)]
            cursor.execute(sql, [county_id, kind, year, *cumulative, count])


def _add_parcels(changes):
    """Add each ``(county_id, kind, status): count`` change to the parcel counts, in key order."""
    table = _quoted(ParcelCount)
    sql = (
        f"INSERT INTO {table} (county_id, kind, status, parcels) VALUES (%s, %s, %s, %s) "
        f"ON CONFLICT (county_id, kind, status) DO UPDATE SET parcels = {table}.parcels + excluded.parcels"
    )
    with connection.cursor() as cursor:
        for (county_id, kind, status), count in sorted(changes.items()):
            if count:
                cursor.execute(sql, [county_id, kind, status, count])


def parcels_added(changes):
    """Count parcels written in bulk, which skips the signals: ``{(county_id, kind, status): +n or −n}``."""
    _add_parcels(changes)


def count_key(county_id, kind, area_mu, disposed_area_mu):
    """The ``ParcelCount`` row that counts a parcel: its county, kind and status."""
    return (county_id, kind, ParcelStatus.of(area_mu, disposed_area_mu))


def count_keys(parcel_ids):
    """``{parcel id: count key}`` of the parcels as stored, their rows locked until the transaction ends:
    read before and after a write that may move a parcel to another row (:func:`count_keys_changed`)."""
    rows = Parcel.objects.select_for_update().filter(pk__in=parcel_ids).order_by("pk")
    return {
        pk: count_key(county_id, kind, area, disposed)
        for pk, county_id, kind, area, disposed in rows.values_list(
            "pk", "county_id", "kind", "area_mu", "disposed_area_mu"
        )
    }


def count_keys_changed(before, after):
    """Move each parcel counted under ``before``'s key to ``after``'s (both from :func:`count_keys`)."""
    changes = defaultdict(int)
    for pk in set(before) | set(after):
        if before.get(pk) != after.get(pk):
            if pk in before:
                changes[before[pk]] -= 1
            if pk in after:
                changes[after[pk]] += 1
    _add_parcels(changes)


# A parcel's status in SQL, as ParcelStatus.of gives it.
STATUS = Case(
    When(disposed_area_mu__lte=0, then=Value(ParcelStatus.PENDING)),
    When(disposed_area_mu__lt=F("area_mu"), then=Value(ParcelStatus.PARTIAL)),
    default=Value(ParcelStatus.DISPOSED),
    output_field=CharField(),
)


def _counted(parcels):
    """The parcels counted per county, kind and status: ``values`` rows with ``count``."""
    return (
        parcels.order_by()
        .annotate(status=STATUS)
        .values("county_id", "kind", "status")
        .annotate(count=Count("id"))
    )


@transaction.atomic
def parcel_counts_refresh(county_ids):
    """Recount the parcels of some counties from the ledger (after raw bulk deletes or inserts)."""
    county_ids = list(county_ids)
    ParcelCount.objects.filter(county_id__in=county_ids).delete()
    ParcelCount.objects.bulk_create(
        ParcelCount(county_id=row["county_id"], kind=row["kind"], status=row["status"], parcels=row["count"])
        for row in _counted(Parcel.objects.filter(county_id__in=county_ids))
    )


@receiver(pre_save, sender=Disposal, dispatch_uid="disposal_rollup_remember")
def _disposal_remember(sender, instance, raw=False, **kwargs):
    """Before a disposal is saved: fill its copies of the parcel (``loaddata`` skips ``save()``), and note
    what its stored version counted, to take that back out after the save."""
    if raw or instance.county_id is None or not instance.kind:
        instance.copy_parcel_fields()
    instance._rollup_stored = None
    if instance.pk is not None:
        instance._rollup_stored = (
            Disposal.objects.filter(pk=instance.pk).values_list("county_id", "kind", "date", "area_mu").first()
        )


@receiver(post_save, sender=Disposal, dispatch_uid="disposal_rollup_saved")
def _disposal_saved(sender, instance, **kwargs):
    changes = []
    stored = getattr(instance, "_rollup_stored", None)
    if stored is not None:
        county_id, kind, date, area = stored
        changes.append(((county_id, kind, date.year, date.month), (-area, -1)))
    date = instance.date
    changes.append(((instance.county_id, instance.kind, date.year, date.month), (Decimal(instance.area_mu), 1)))
    _add_disposed(changes)
    instance._rollup_stored = None


@receiver(post_delete, sender=Disposal, dispatch_uid="disposal_rollup_deleted")
def _disposal_deleted(sender, instance, **kwargs):
    date = instance.date
    _add_disposed([((instance.county_id, instance.kind, date.year, date.month), (-Decimal(instance.area_mu), -1))])


def _stored_key(instance):
    """The count key of a parcel as stored (None if it is not): what its save or deletion takes back."""
    if instance.pk is None:
        return None
    stored = (
        Parcel.objects.filter(pk=instance.pk)
        .values_list("county_id", "kind", "area_mu", "disposed_area_mu")
        .first()
    )
    return count_key(*stored) if stored is not None else None


@receiver(pre_save, sender=Parcel, dispatch_uid="parcel_count_remember")
def _parcel_remember(sender, instance, **kwargs):
    instance._count_stored = _stored_key(instance)


@receiver(post_save, sender=Parcel, dispatch_uid="parcel_count_saved")
def _parcel_saved(sender, instance, **kwargs):
    stored = getattr(instance, "_count_stored", None)
    # As saved: the row holds the instance's values (the services set its disposed area from the database).
    now = count_key(instance.county_id, instance.kind, instance.area_mu, instance.disposed_area_mu)
    instance._count_stored = None
    if stored == now:
        return
    changes = defaultdict(int)
    if stored is not None:
        changes[stored] -= 1
    changes[now] += 1
    _add_parcels(changes)


@receiver(pre_delete, sender=Parcel, dispatch_uid="parcel_count_forget")
def _parcel_forget(sender, instance, **kwargs):
    # The stored row, not the instance: its disposed area may have been read before disposals went.
    instance._count_stored = _stored_key(instance)


@receiver(post_delete, sender=Parcel, dispatch_uid="parcel_count_deleted")
def _parcel_deleted(sender, instance, **kwargs):
    stored = getattr(instance, "_count_stored", None)
    if stored is None:
        stored = count_key(instance.county_id, instance.kind, instance.area_mu, instance.disposed_area_mu)
    instance._count_stored = None
    _add_parcels({stored: -1})


# -- rebuilding and checking ------------------------------------------------------------------------------


def _fresh_year_totals():
    """The year rows as the disposals themselves give them, computed from scratch."""
    rows = (
        Disposal.objects.order_by()
        .annotate(year=ExtractYear("date"), month=ExtractMonth("date"))
        .values("county_id", "kind", "year", "month")
        .annotate(area=Sum("area_mu"), count=Count("id"))
    )
    totals = {}
    for row in rows.iterator(chunk_size=10_000):
        key = (row["county_id"], row["kind"], row["year"])
        entry = totals.setdefault(key, {"through": [ZERO] * 12, "disposals": 0})
        for month in range(row["month"], 13):
            entry["through"][month - 1] += exact_area(row["area"])
        entry["disposals"] += row["count"]
    return totals


def _fresh_parcel_counts():
    return {(row["county_id"], row["kind"], row["status"]): row["count"] for row in _counted(Parcel.objects)}


@transaction.atomic
def rollup_rebuild():
    """Recompute both tables from the ledger: after bulk inserts that bypass the signals, or as a repair."""
    DisposalYearTotal.objects.all().delete()
    ParcelCount.objects.all().delete()
    DisposalYearTotal.objects.bulk_create(
        (
            DisposalYearTotal(
                county_id=county_id,
                kind=kind,
                year=year,
                disposals=entry["disposals"],
                **{THROUGH[month]: entry["through"][month - 1] for month in range(1, 13)},
            )
            for (county_id, kind, year), entry in _fresh_year_totals().items()
        ),
        batch_size=2000,
    )
    ParcelCount.objects.bulk_create(
        (
            ParcelCount(county_id=county_id, kind=kind, status=status, parcels=count)
            for (county_id, kind, status), count in _fresh_parcel_counts().items()
        ),
        batch_size=2000,
    )


def rollup_drift():
    """Where the tables differ from the ledger: a list of ``(table, key, stored, fresh)``; empty when exact."""
    drift = []
    fresh = {
        key: (tuple(entry["through"]), entry["disposals"]) for key, entry in _fresh_year_totals().items()
    }
    columns = [THROUGH[month] for month in range(1, 13)]
    stored = {}
    for county_id, kind, year, count, *through in DisposalYearTotal.objects.values_list(
        "county_id", "kind", "year", "disposals", *columns
    ):
        if count or any(through):
            stored[(county_id, kind, year)] = (tuple(through), count)
    empty = ((ZERO,) * 12, 0)
    for key in sorted(set(fresh) | set(stored)):
        if stored.get(key, empty) != fresh.get(key, empty):
            drift.append(("disposals", key, stored.get(key, empty), fresh.get(key, empty)))
    fresh_counts = _fresh_parcel_counts()
    stored_counts = {
        (county_id, kind, status): count
        for county_id, kind, status, count in ParcelCount.objects.values_list(
            "county_id", "kind", "status", "parcels"
        )
        if count
    }
    for key in sorted(set(fresh_counts) | set(stored_counts)):
        if stored_counts.get(key, 0) != fresh_counts.get(key, 0):
            drift.append(("parcels", key, stored_counts.get(key, 0), fresh_counts.get(key, 0)))
    return drift
