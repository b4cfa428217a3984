"""How far each county task is, as of any date: the one place where completion figures are computed.

DOMAIN.md §4. For a task of county C, category K and period [start, end], the completed area as of D is
the sum of the disposals of C's parcels whose kind K counts, dated inside the period and on or before D.
Everything is exact Decimal; rounding (half-up) happens only where figures are shown. The REST API,
the dashboard and the Excel reports call :func:`task_progress`; none of them computes a rate itself.

The number of queries does not depend on how many counties, tasks, milestones or parcels there are:
tasks and milestones (2), one aggregate of disposals over every window any task needs (1), and, when
asked, the town/unit breakdown (2) and the monthly curve (1).
"""

import calendar
import datetime
import math
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, Prefetch, Q, Sum

from landtrack.validation import ZERO
from parcels.models import Disposal, Parcel

from .choices import KINDS_BY_CATEGORY, ProgressStatus
from .models import CountyTask, Milestone

HUNDRED = Decimal("100")
AT_RISK_DAYS = 14
PACE_DAYS = 60


@dataclass
class MilestoneProgress:
    due: datetime.date
    target_rate: Decimal
    target_area_mu: Decimal
    completed_area_mu: Decimal | None  # None while not yet due
    met: bool | None  # None while not yet due


@dataclass
class NextMilestone:
    due: datetime.date
    target_rate: Decimal
    target_area_mu: Decimal
    remaining_area_mu: Decimal
    days_left: int


@dataclass
class Forecast:
    """When a milestone still ahead would be reached at the pace of the last 60 days."""

    due: datetime.date
    target_rate: Decimal
    target_area_mu: Decimal
    reached: bool  # already reached as of the date
    expected: datetime.date | None  # None: no progress in 60 days, so never at this pace
    late: bool  # 滞后风险: expected after the due date (or never)


@dataclass
class Breakdown:
    """One town (or zone) or one responsible unit of a task's county."""

    code: str | None
    name: str
    parcels: int = 0
    area_mu: Decimal = ZERO
    completed_area_mu: Decimal = ZERO
    id: int | None = None


@dataclass
class TaskProgress:
    task: CountyTask
    as_of: datetime.date
    target_area_mu: Decimal
    completed_area_mu: Decimal
    completion_rate: Decimal
    required_rate: Decimal
    required_area_mu: Decimal
    shortfall_area_mu: Decimal
    status: str
    next_milestone: NextMilestone | None
    milestones: list
    pace_mu_per_day: Decimal = ZERO
    forecasts: list = field(default_factory=list)
    towns: list | None = None
    units: list | None = None
    monthly: list | None = None  # [(month end, cumulative completed)] up to the date

    @property
    def status_label(self):
        return ProgressStatus(self.status).label

    @property
    def county(self):
        return self.task.county


def _period_cutoff(task, date):
    """The last day counted for ``date``: the date itself, but never after the task period."""
    return min(task.end_date, date)


def _window(task, date):
    """The disposals counted toward ``task`` as of ``date``: (first day, last day) or None if empty."""
    last = _period_cutoff(task, date)
    if last < task.start_date:
        return None
    return (task.start_date, last)


def _month_ends(task, as_of):
    """Each month end of the task period up to the date, and the date itself if mid-month."""
    ends = []
    year, month = task.start_date.year, task.start_date.month
    last = _period_cutoff(task, as_of)
    while True:
        end = datetime.date(year, month, calendar.monthrange(year, month)[1])
        if end >= last:
            if last >= task.start_date:
                ends.append(last)
            break
        ends.append(end)
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return ends


def _sums(disposals, group_by, windows):
    """Disposed area per group and window, in one aggregate query.

    ``windows`` maps a name to (first, last) dates; the result maps (group values..., name) to Decimal.
    """
    if not windows:
        return {}
    earliest = min(first for first, _ in windows.values())
    latest = max(last for _, last in windows.values())
    aggregates = {
        name: Sum("area_mu", filter=Q(date__gte=first, date__lte=last))
        for name, (first, last) in windows.items()
    }
    rows = (
        disposals.filter(date__gte=earliest, date__lte=latest)
        .order_by()
        .values(*group_by)
        .annotate(**aggregates)
    )
    result = {}
    for row in rows:
        key = tuple(row[name] for name in group_by)
        for name in windows:
            result[key + (name,)] = row[name] or ZERO
    return result


def _status(rate, required_rate, next_milestone):
    if rate >= HUNDRED:
        return ProgressStatus.COMPLETED
    if rate < required_rate:
        return ProgressStatus.BEHIND
    if (
        next_milestone is not None
        and next_milestone.days_left <= AT_RISK_DAYS
        and rate < next_milestone.target_rate
    ):
        return ProgressStatus.AT_RISK
    return ProgressStatus.ON_TRACK


def tasks_in_scope(user, *, year=None, category=None, county_code=None):
    """The county tasks the user may read, with county and milestones loaded (2 queries)."""
    tasks = (
        CountyTask.objects.visible_to(user)
        .select_related("county")
        .prefetch_related(Prefetch("milestones", queryset=Milestone.objects.order_by("due")))
        .order_by("county__code", "year", "category")
    )
    if year is not None:
        tasks = tasks.filter(year=year)
    if category:
        tasks = tasks.filter(category=category)
    if county_code:
        tasks = tasks.filter(county__code=county_code)
    return list(tasks)


def task_progress(tasks, as_of, *, breakdown=False, curve=False):
    """The progress of each task as of ``as_of``, in the order given.

    ``breakdown`` adds the per-town and per-responsible-unit figures; ``curve`` adds the cumulative
    completion at each month end. Either costs a fixed number of extra queries.
    """
    if not tasks:
        return []
    windows = {}
    needs = {}
    for task in tasks:
        wanted = {
            "now": _window(task, as_of),
            "pace": _window(task, as_of - datetime.timedelta(days=PACE_DAYS)),
        }
        for milestone in task.milestones.all():
            if milestone.due <= as_of:
                wanted[milestone.due] = _window(task, milestone.due)
        if curve:
            for end in _month_ends(task, as_of):
                wanted[("month", end)] = _window(task, end)
        keys = {}
        for purpose, span in wanted.items():
            if span is None:
                keys[purpose] = None
                continue
            name = f"w{span[0]:%Y%m%d}_{span[1]:%Y%m%d}"
            windows[name] = span
            keys[purpose] = name
        needs[task.pk] = keys

    county_ids = {task.county_id for task in tasks}
    disposals = Disposal.objects.filter(parcel__county_id__in=county_ids)
    sums = _sums(disposals, ("parcel__county_id", "parcel__kind"), windows)

    def completed(task, purpose):
        name = needs[task.pk].get(purpose)
        if name is None:
            return ZERO
        return sum(
            (sums.get((task.county_id, kind, name), ZERO) for kind in KINDS_BY_CATEGORY[task.category]), ZERO
        )

    results = []
    for task in tasks:
        target = task.target_area_mu
        done = completed(task, "now")
        rate = done / target * HUNDRED
        milestones, required_rate, next_milestone = [], ZERO, None
        for milestone in task.milestones.all():
            target_area = target * milestone.target_rate / HUNDRED
            if milestone.due <= as_of:
                reached = completed(task, milestone.due)
                milestones.append(
                    MilestoneProgress(
                        milestone.due, milestone.target_rate, target_area, reached, reached >= target_area
                    )
                )
                required_rate = max(required_rate, milestone.target_rate)
            else:
                milestones.append(
                    MilestoneProgress(milestone.due, milestone.target_rate, target_area, None, None)
                )
                if next_milestone is None:
                    next_milestone = NextMilestone(
                        milestone.due,
                        milestone.target_rate,
                        target_area,
                        max(target_area - done, ZERO),
                        (milestone.due - as_of).days,
                    )
        required_area = target * required_rate / HUNDRED
        progress = TaskProgress(
            task=task,
            as_of=as_of,
            target_area_mu=target,
            completed_area_mu=done,
            completion_rate=rate,
            required_rate=required_rate,
            required_area_mu=required_area,
            shortfall_area_mu=max(required_area - done, ZERO),
            status=_status(rate, required_rate, next_milestone),
            next_milestone=next_milestone,
            milestones=milestones,
        )
        _forecast(progress, done - completed(task, "pace"))
        if curve:
            progress.monthly = [(end, completed(task, ("month", end))) for end in _month_ends(task, as_of)]
        results.append(progress)

    if breakdown:
        _add_breakdowns(results, as_of)
    return results


def _forecast(progress, gained_in_pace_window):
    """Pace forecast: at the last 60 days' pace, when each milestone still ahead would be reached."""
    pace = gained_in_pace_window / PACE_DAYS
    progress.pace_mu_per_day = pace
    for milestone in progress.milestones:
        if milestone.completed_area_mu is not None:
            continue  # already due: judged, not forecast
        missing = milestone.target_area_mu - progress.completed_area_mu
        if missing <= 0:
            progress.forecasts.append(
                Forecast(
                    milestone.due,
                    milestone.target_rate,
                    milestone.target_area_mu,
                    True,
                    progress.as_of,
                    False,
                )
            )
            continue
        if pace <= 0:
            progress.forecasts.append(
                Forecast(milestone.due, milestone.target_rate, milestone.target_area_mu, False, None, True)
            )
            continue
        days = math.ceil(missing / pace)
        expected = progress.as_of + datetime.timedelta(days=days)
        progress.forecasts.append(
            Forecast(
                milestone.due,
                milestone.target_rate,
                milestone.target_area_mu,
                False,
                expected,
                expected > milestone.due,
            )
        )


def _add_breakdowns(results, as_of):
    """Per town (or zone) and per responsible unit of each task's county: parcels, area, completed."""
    county_ids = {progress.task.county_id for progress in results}
    parcel_rows = (
        Parcel.objects.filter(county_id__in=county_ids)
        .order_by()
        .values(
            "county_id",
            "kind",
            "town_id",
            "town__code",
            "town__name",
            "responsible_unit_id",
            "responsible_unit__name",
        )
        .annotate(parcels=Count("id"), area=Sum("area_mu"))
    )
    windows = {}
    for progress in results:
        span = _window(progress.task, as_of)
        if span is not None:
            windows[f"t{progress.task.pk}"] = span
    disposal_sums = _sums(
        Disposal.objects.filter(parcel__county_id__in=county_ids),
        ("parcel__county_id", "parcel__kind", "parcel__town_id", "parcel__responsible_unit_id"),
        windows,
    )
    parcel_rows = list(parcel_rows)
    for progress in results:
        task = progress.task
        kinds = KINDS_BY_CATEGORY[task.category]
        towns, units = {}, {}
        for row in parcel_rows:
            if row["county_id"] != task.county_id or row["kind"] not in kinds:
                continue
            town = towns.setdefault(
                row["town_id"],
                Breakdown(code=row["town__code"], name=row["town__name"] or "未填乡镇（园区）"),
            )
            unit = units.setdefault(
                row["responsible_unit_id"],
                Breakdown(
                    code=None,
                    name=row["responsible_unit__name"] or "未填责任单位",
                    id=row["responsible_unit_id"],
                ),
            )
            done = disposal_sums.get(
                (task.county_id, row["kind"], row["town_id"], row["responsible_unit_id"], f"t{task.pk}"), ZERO
            )
            for entry in (town, unit):
                entry.parcels += row["parcels"]
                entry.area_mu += row["area"] or ZERO
                entry.completed_area_mu += done
        progress.towns = sorted(towns.values(), key=lambda entry: (entry.code is None, entry.code or ""))
        progress.units = sorted(units.values(), key=lambda entry: (entry.id is None, entry.name))


def category_totals(results):
    """Target, completed and rate summed per task category, for the city's totals row."""
    totals = defaultdict(lambda: [ZERO, ZERO])
    for progress in results:
        entry = totals[progress.task.category]
        entry[0] += progress.target_area_mu
        entry[1] += progress.completed_area_mu
    return [
        {
            "category": category,
            "target_area_mu": target,
            "completed_area_mu": done,
            "completion_rate": done / target * HUNDRED if target else ZERO,
        }
        for category, (target, done) in sorted(totals.items())
    ]
