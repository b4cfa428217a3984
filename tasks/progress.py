"""How far each county task is, as of any date: the one place where completion figures are computed.

DOMAIN.md §4. For a task of county C, category K and period [start, end], the completed area as of D is
the sum of the disposals of C's parcels whose kind K counts, dated inside the period and on or before D.
Everything is exact Decimal; rounding (half-up) happens only where figures are shown. The figures come
from one engine, :func:`progress_figures`; the dashboard, the Excel reports and the county report read
them as TaskProgress objects (:func:`task_progress`), the country-wide report writes its rows straight
from its two halves (:func:`completed_figures`, :func:`derived_figures`). None of them computes a rate
itself.

The number of queries does not depend on how many counties, tasks, milestones or parcels there are:
tasks and milestones (2, or only the catalog stamp when this process already holds the year's tasks:
:func:`year_tasks`), the disposed area of every window any task needs (2: whole months from the
totals kept by parcels.rollup, and the days of the months a window cuts), and, when asked, the
town/unit breakdown (2). Tasks are read as light TaskRefs, not model instances, so that the country's
2,850 counties cost thousands of tuples rather than tens of thousands of objects.
"""

import calendar
import datetime
import math
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import NamedTuple

from django.db import connection
from django.db.models import Aggregate, CharField, Count, Q, Sum, Value
from django.db.models.functions import Cast, Concat

from landtrack.queries import compiled_rows
from landtrack.validation import LATEST_DATE, ZERO, exact_area
from leadership.scope import visible_region_ids
from parcels.models import Disposal, Parcel
from parcels.rollup import disposed_by_county_kind
from parcels.rules import on_ledger_by

from .catalog import held
from .choices import KINDS_BY_CATEGORY, ProgressStatus, TaskCategory
from .models import CountyTask, Milestone

HUNDRED = Decimal("100")
AT_RISK_DAYS = 14
PACE_DAYS = 60


@dataclass(slots=True)
class MilestoneProgress:
    due: datetime.date
    target_rate: Decimal
    target_area_mu: Decimal
    completed_area_mu: Decimal | None  # None while not yet due
    met: bool | None  # None while not yet due

    @property
    def shortfall_area_mu(self):
        """What was missing on the due date (never below 0); None while not yet due."""
        if self.completed_area_mu is None:
            return None
        return max(self.target_area_mu - self.completed_area_mu, ZERO)


@dataclass(slots=True)
class NextMilestone:
    due: datetime.date
    target_rate: Decimal
    target_area_mu: Decimal
    remaining_area_mu: Decimal
    days_left: int


@dataclass(slots=True)
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
    order: int = 0  # a unit's place in its county's list of units (Unit.order)


class CountyRef(NamedTuple):
    """The county of a task, as the progress figures name it."""

    pk: int
    code: str
    name: str

    @property
    def id(self):
        return self.pk

    def __str__(self):
        return self.name


class TaskRef(NamedTuple):
    """A county task as the progress figures read it: its fields and its milestones, without a model
    instance per task and per milestone (the city's and the country's reports list thousands).
    Immutable (a named tuple: built several times faster than a frozen dataclass, which the first report
    after a catalog change pays 2,850 times): :func:`year_tasks` shares the same TaskRefs between the
    requests of a process."""

    pk: int
    county_id: int
    county: CountyRef
    year: int
    category: str
    name: str
    target_area_mu: Decimal
    start_date: datetime.date
    end_date: datetime.date
    assigned_by: str
    document_number: str
    lead_unit_id: int | None
    milestone_targets: tuple  # ((due, target rate), …) by date

    @property
    def id(self):
        return self.pk

    def get_category_display(self):
        return TaskCategory(self.category).label

    def __str__(self):
        return self.name or f"{self.county}{self.year}年度{self.get_category_display()}任务"


@dataclass
class TaskProgress:
    task: TaskRef | CountyTask
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


def _milestone_targets(task):
    """``((due, target rate), …)`` by date, from a TaskRef or from a task's (prefetched) milestones."""
    targets = getattr(task, "milestone_targets", None)
    if targets is None:
        targets = tuple((milestone.due, milestone.target_rate) for milestone in task.milestones.all())
        targets = tuple(sorted(targets))
    return targets


def _span(task, date):
    """The disposals counted toward ``task`` as of ``date``: (first day, last day), or None if none are."""
    last = task.end_date if task.end_date < date else date
    if last < task.start_date:
        return None
    return (task.start_date, last)


_window = _span  # the name the dashboard's chart and the breakdown use


def _month_ends(task, as_of):
    """Each month end of the task period up to the date, and the date itself if mid-month."""
    ends = []
    year, month = task.start_date.year, task.start_date.month
    last = min(task.end_date, as_of)
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
    """Disposed area per group and window, in one aggregate query over the disposals themselves.

    ``windows`` maps a name to (first, last) dates; the result maps (group values..., name) to Decimal.
    Used for one county's breakdown by town and unit; every county's totals come from parcels.rollup.
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
            result[key + (name,)] = exact_area(row[name]) or ZERO
    return result


def _status(rate, required_rate, upcoming_rate=None, days_left=None):
    """On track, at risk, behind or completed: ``upcoming_rate`` and ``days_left`` are those of the next
    milestone not yet due (None after the last one)."""
    if rate >= HUNDRED:
        return ProgressStatus.COMPLETED
    if rate < required_rate:
        return ProgressStatus.BEHIND
    if upcoming_rate is not None and days_left <= AT_RISK_DAYS and rate < upcoming_rate:
        return ProgressStatus.AT_RISK
    return ProgressStatus.ON_TRACK


class _Joined(Aggregate):
    """A group's texts joined by commas, in no set order (STRING_AGG; GROUP_CONCAT on SQLite)."""

    function = "STRING_AGG"
    template = "%(function)s(%(expressions)s, ',')"
    output_field = CharField()

    def as_sqlite(self, compiler, connection, **extra_context):
        return super().as_sql(compiler, connection, function="GROUP_CONCAT", **extra_context)


RATE_PLACES = Decimal(1).scaleb(-Milestone._meta.get_field("target_rate").decimal_places)


def _parse_milestones(text, parsed):
    """``((due, rate), …)`` by date from "due rate,due rate,…", parsed once per distinct text: the tasks
    of a campaign share one list (and so one tuple, which the shapes in task_progress then compare fast)."""
    targets = parsed.get(text)
    if targets is None:
        pairs = (pair.split(" ") for pair in text.split(",")) if text else ()
        targets = parsed[text] = tuple(
            sorted(
                (datetime.date.fromisoformat(due), Decimal(rate).quantize(RATE_PLACES)) for due, rate in pairs
            )
        )
    return targets


def _rows(queryset):
    """A values_list queryset's rows: on PostgreSQL run as compiled, without the ORM's per-row work (the
    values arrive as the ORM would give them: the fields read here have no converters there)."""
    if connection.vendor != "postgresql":
        return list(queryset)  # SQLite's dates need the ORM's converters
    return compiled_rows(queryset)


def task_refs(tasks):
    """TaskRefs of a CountyTask queryset, with county and milestones, by county code, year, category (2
    queries)."""
    milestone_texts = dict(
        _rows(
            Milestone.objects.filter(task__in=tasks.values("pk"))
            .order_by()
            .values("task_id")
            .annotate(
                text=_Joined(
                    Concat(
                        Cast("due", CharField()),
                        Value(" "),
                        Cast("target_rate", CharField()),
                        output_field=CharField(),
                    )
                )
            )
            .values_list("task_id", "text")
        )
    )
    rows = _rows(
        tasks.order_by("county__code", "year", "category").values_list(
            "pk", "county_id", "county__code", "county__name", "year", "category", "name", "target_area_mu",
            "start_date", "end_date", "assigned_by", "document_number", "lead_unit_id",
        )
    )
    counties, parsed = {}, {}
    refs = []
    make_ref, make_county, parse = TaskRef._make, CountyRef, _parse_milestones
    for pk, county_id, code, county_name, *fields in rows:
        county = counties.get(county_id)
        if county is None:
            county = counties[county_id] = make_county(county_id, code, county_name)
        refs.append(make_ref((pk, county_id, county, *fields, parse(milestone_texts.get(pk), parsed))))
    return refs


def year_tasks(year):
    """Every county task of the year as TaskRefs, by county code and category: held by the process while
    the catalog is unchanged (:func:`tasks.catalog.held`: 1 query), else read again (3)."""
    return held(("year_tasks", year), lambda: tuple(task_refs(CountyTask.objects.filter(year=year))))


def tasks_in_scope(user, *, year=None, category=None, county_code=None):
    """The county tasks the user may read, as TaskRefs with county and milestones, by county code, year
    and category. A year's tasks come from :func:`year_tasks` (1 query while unchanged, else 3), filtered
    here by the regions :func:`leadership.scope.visible_region_ids` lets the user read (1 more query for a
    city account); without a year, from the database (2 queries)."""
    if year is None:
        tasks = CountyTask.objects.visible_to(user)
        if category:
            tasks = tasks.filter(category=category)
        if county_code:
            tasks = tasks.filter(county__code=county_code)
        return task_refs(tasks)
    visible = visible_region_ids(user)
    if visible is not None and not visible:
        return []
    return [
        task
        for task in year_tasks(year)
        if (visible is None or task.county_id in visible)
        and (not category or task.category == category)
        and (not county_code or task.county.code == county_code)
    ]


@dataclass(slots=True, eq=False)
class Shape:
    """What the tasks of one campaign shape (period and milestones) share as of a date: worked out once.

    ``milestones``: ``(due, target rate, share of the target, window counted by the due date)`` by date;
    those already due come first (``due_count`` of them), the window of the others is None. A window is
    an index into the figures of the task's county and category (None: an empty window).
    """

    now: int | None
    pace: int | None
    milestones: tuple
    due_count: int
    due_windows: tuple  # the windows of the milestones already due
    required_rate: Decimal  # the highest rate of the milestones already due (0 before the first)
    required_share: Decimal
    upcoming_rate: Decimal | None  # of the first milestone not yet due (None after the last)
    days_left: int | None
    months: list  # [(month end, window)] for the curve


def completed_figures(tasks, as_of, *, forecast=False, curve=False):
    """The milestone engine's first half: what each task has completed, in the order given.

    Yields ``(task, shape, figures, done, reached)``: ``figures`` the disposed area of the task's county
    and category per window (None: nothing), ``done`` the completed area as of the date and ``reached``
    the completed area by each milestone already due (a list). Everything else about the task follows from
    these and the task itself (:func:`derived_figures`).
    """
    if not tasks:
        return
    pace_date = as_of - datetime.timedelta(days=PACE_DAYS)
    plans, windows = [], {}  # windows: span -> its index in the list handed to the rollup

    def index_of(span):
        if span is None:
            return None
        index = windows.get(span)
        if index is None:
            index = windows[span] = len(windows)
        return index

    # Tasks of one campaign share their period and milestones: their windows are worked out once.
    shapes = {}
    for task in tasks:
        targets = _milestone_targets(task)
        key = (task.start_date, task.end_date, targets)
        shape = shapes.get(key)
        if shape is None:
            due = [(day, rate) for day, rate in targets if day <= as_of]
            ahead = targets[len(due)] if len(due) < len(targets) else None
            required_rate = max((ZERO, *(rate for _, rate in due)))
            milestones = tuple(
                (day, rate, rate / HUNDRED, index_of(_span(task, day)) if day <= as_of else None)
                for day, rate in targets
            )
            shape = shapes[key] = Shape(
                now=index_of(_span(task, as_of)),
                pace=index_of(_span(task, pace_date)) if forecast else None,
                milestones=milestones,
                due_count=len(due),
                due_windows=tuple(window for _, _, _, window in milestones[: len(due)]),
                required_rate=required_rate,
                required_share=required_rate / HUNDRED,
                upcoming_rate=None if ahead is None else ahead[1],
                days_left=None if ahead is None else (ahead[0] - as_of).days,
                months=[(end, index_of(_span(task, end))) for end in _month_ends(task, as_of)] if curve else [],
            )
        plans.append((task, shape))

    sums = disposed_by_county_kind(list(windows), {task.county_id for task in tasks})
    # The figures of a county's parcels of the kinds a category counts, per window (None: nothing
    # disposed of), shared by the tasks of that county and category.
    counted = {}
    for task in tasks:
        county_id, category = task.county_id, task.category
        if (county_id, category) not in counted:
            rows = [sums[county_id, kind] for kind in KINDS_BY_CATEGORY[category] if (county_id, kind) in sums]
            if len(rows) == 2:
                rows = [[first + second for first, second in zip(*rows, strict=True)]]
            elif len(rows) > 2:
                rows = [[sum(column, ZERO) for column in zip(*rows, strict=True)]]
            counted[county_id, category] = rows[0] if rows else None

    for task, shape in plans:
        figures = counted[task.county_id, task.category]
        now = shape.now
        if figures is None:
            yield task, shape, None, ZERO, [ZERO] * shape.due_count
        else:
            done = ZERO if now is None else figures[now]
            reached = [ZERO if window is None else figures[window] for window in shape.due_windows]
            yield task, shape, figures, done, reached


def derived_figures(task, shape, done):
    """The milestone engine's second half: what the completed area makes of the task's target and milestones.

    Returns ``(rate, areas, required_area, shortfall, remaining, status)``: ``rate`` the completed area's
    percentage of the target, ``areas`` each milestone's target area, ``required_area`` what the
    milestones due require, ``shortfall`` what is missing of it and ``remaining`` what is missing of the
    next milestone's area (both never below 0; ``remaining`` None after the last), ``status`` on track,
    at risk, behind or completed.
    """
    target = task.target_area_mu
    rate = done / target * HUNDRED
    areas = [target * share for _, _, share, _ in shape.milestones]
    required_area = target * shape.required_share
    shortfall = max(required_area - done, ZERO)
    remaining = None if shape.upcoming_rate is None else max(areas[shape.due_count] - done, ZERO)
    status = _status(rate, shape.required_rate, shape.upcoming_rate, shape.days_left)
    return rate, areas, required_area, shortfall, remaining, status


def progress_figures(tasks, as_of, *, forecast=False, curve=False):
    """The milestone engine: each task's figures as of the date, in the order given, as plain values.

    Yields ``(task, shape, figures, done, rate, areas, reached, required_area, shortfall, remaining,
    status)``: :func:`completed_figures` and :func:`derived_figures` together. :func:`task_progress`
    wraps them in TaskProgress objects; the country-wide report writes its rows from the two halves.
    """
    halves = completed_figures(tasks, as_of, forecast=forecast, curve=curve)
    for task, shape, figures, done, reached in halves:
        rate, areas, required_area, shortfall, remaining, status = derived_figures(task, shape, done)
        yield task, shape, figures, done, rate, areas, reached, required_area, shortfall, remaining, status


def _completed(figures, window):
    return ZERO if window is None or figures is None else figures[window]


def task_progress(tasks, as_of, *, breakdown=False, curve=False, forecast=False):
    """The progress of each task as of ``as_of``, in the order given (TaskRefs or CountyTask instances).

    ``breakdown`` adds the per-town and per-responsible-unit figures; ``curve`` adds the cumulative
    completion at each month end (either costs a fixed number of extra queries); ``forecast`` adds the
    pace of the last 60 days and when each milestone ahead would be reached at it.
    """
    results = []
    for task, shape, figures, done, rate, areas, reached, required_area, shortfall, remaining, status in (
        progress_figures(tasks, as_of, forecast=forecast, curve=curve)
    ):
        milestones, next_milestone = [], None
        for position, (due, milestone_rate, _, _) in enumerate(shape.milestones):
            area = areas[position]
            if position < shape.due_count:
                got = reached[position]
                milestones.append(MilestoneProgress(due, milestone_rate, area, got, got >= area))
            else:
                milestones.append(MilestoneProgress(due, milestone_rate, area, None, None))
                if next_milestone is None:
                    next_milestone = NextMilestone(due, milestone_rate, area, remaining, shape.days_left)
        progress = TaskProgress(
            task=task,
            as_of=as_of,
            target_area_mu=task.target_area_mu,
            completed_area_mu=done,
            completion_rate=rate,
            required_rate=shape.required_rate,
            required_area_mu=required_area,
            shortfall_area_mu=shortfall,
            status=status,
            next_milestone=next_milestone,
            milestones=milestones,
        )
        if forecast:
            _forecast(progress, done - _completed(figures, shape.pace))
        if curve:
            progress.monthly = [(end, _completed(figures, index)) for end, index in shape.months]
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
        days = math.ceil(missing / pace) if pace > 0 else None
        if days is None or days > (LATEST_DATE - progress.as_of).days:
            # No progress in 60 days, or so little that the date lies past any the calendar holds: never.
            progress.forecasts.append(
                Forecast(milestone.due, milestone.target_rate, milestone.target_area_mu, False, None, True)
            )
            continue
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


# Windows summed by one statement of the breakdown (each is a column).
WINDOWS_PER_QUERY = 500


def _add_breakdowns(results, as_of):
    """Per town (or zone) and per responsible unit of each task's county: parcels on the ledger by the date
    (as the county page's pending list), their area, and the area completed."""
    county_ids = {progress.task.county_id for progress in results}
    parcel_rows = (
        Parcel.objects.filter(on_ledger_by(as_of), county_id__in=county_ids)
        .order_by()
        .values(
            "county_id",
            "kind",
            "town_id",
            "town__code",
            "town__name",
            "responsible_unit_id",
            "responsible_unit__name",
            "responsible_unit__order",
        )
        .annotate(parcels=Count("id"), area=Sum("area_mu"))
    )
    # One column per distinct window, not per task: the tasks of a year mostly share theirs, and a
    # statement has at most 1,664 columns on PostgreSQL (the country has 2,850 tasks a year).
    spans, window_of = {}, {}
    for progress in results:
        span = _window(progress.task, as_of)
        if span is not None:
            window_of[progress.task.pk] = spans.setdefault(span, f"w{len(spans)}")
    named = [(name, span) for span, name in spans.items()]
    disposal_sums = {}
    for start in range(0, len(named), WINDOWS_PER_QUERY):
        disposal_sums.update(
            _sums(
                Disposal.objects.filter(county_id__in=county_ids),
                ("county_id", "kind", "parcel__town_id", "parcel__responsible_unit_id"),
                dict(named[start : start + WINDOWS_PER_QUERY]),
            )
        )
    rows_of = defaultdict(list)
    for row in parcel_rows:
        rows_of[row["county_id"]].append(row)
    for progress in results:
        task = progress.task
        kinds = KINDS_BY_CATEGORY[task.category]
        towns, units = {}, {}
        for row in rows_of[task.county_id]:
            if row["kind"] not in kinds:
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
                    order=row["responsible_unit__order"] or 0,
                ),
            )
            key = (task.county_id, row["kind"], row["town_id"], row["responsible_unit_id"])
            done = disposal_sums.get((*key, window_of.get(task.pk)), ZERO)
            for entry in (town, unit):
                entry.parcels += row["parcels"]
                entry.area_mu += exact_area(row["area"]) or ZERO
                entry.completed_area_mu += done
        progress.towns = sorted(towns.values(), key=lambda entry: (entry.code is None, entry.code or ""))
        # In the order of the county's units (as the 责任清单 lists them), those without one last.
        progress.units = sorted(
            units.values(), key=lambda entry: (entry.id is None, entry.order, entry.id or 0)
        )


def category_totals(results):
    """Target, completed and rate summed per task category, for the city's totals row."""
    return category_sums(
        (progress.task.category, progress.target_area_mu, progress.completed_area_mu) for progress in results
    )


def category_sums(figures):
    """:func:`category_totals` from ``(category, target, completed)`` of each task."""
    totals = defaultdict(lambda: [ZERO, ZERO])
    for category, target, done in figures:
        entry = totals[category]
        entry[0] += target
        entry[1] += done
    return [
        {
            "category": category,
            "target_area_mu": target,
            "completed_area_mu": done,
            "completion_rate": done / target * HUNDRED if target else ZERO,
        }
        for category, (target, done) in sorted(totals.items())
    ]
