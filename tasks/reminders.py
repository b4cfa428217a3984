"""What needs a user's attention in their scope: due within 14 days, or overdue (API.md ``/reminders/``).

Milestones come from :mod:`tasks.progress` (a milestone reminds while the county is still below it),
rectification items from their deadlines, parcels from their planned dates, approval lapses and the
令53 procedure's deadlines. A fixed number of queries, whatever the scope's size.
"""

import datetime
import functools
from dataclasses import dataclass, replace

from django.db.models import F
from django.urls import reverse

from landtrack.dates import cn_date, cn_month_day, full_years_passed_from, latest_start
from landtrack.numbers import format_area, rate_2
from leadership.scope import visible_region_ids
from parcels.models import Parcel
from parcels.rules import flag_filter, procedure_deadlines, with_rule_facts

from .catalog import held
from .choices import ReminderKind, TaskCategory
from .models import CountyTask, RectificationItem
from .progress import task_progress, task_refs

HORIZON_DAYS = 14


@dataclass
class Reminder:
    kind: str  # a ReminderKind
    due: datetime.date
    days_left: int  # negative when overdue
    county: str
    county_name: str
    title: str
    url: str

    @property
    def overdue(self):
        return self.days_left < 0

    def as_json(self):
        """As the API answers it (the ReminderSerializer's fields), without a serializer's per-field work:
        the country's reminders are a hundred thousand."""
        return {
            "kind": self.kind,
            "due": self.due.isoformat(),
            "days_left": self.days_left,
            "county": self.county,
            "title": self.title,
            "url": self.url,
        }


def _reminder(kind, due, as_of, county_code, county_name, title, url):
    """A reminder due on ``due``, its days left counted from ``as_of`` (negative when overdue)."""
    return Reminder(kind, due, (due - as_of).days, county_code, county_name, title, url)


def as_read_by(user, items):
    """The reminders with their titles as the user reads them: a parcel's code or a rectification item is
    unique only within its county, so where the user sees more than that county (a city, the country) a
    title that does not name it gets its county's name in front. The API's titles stay as they are: its
    reminders carry their county code."""
    home = user.region.code if user.region_id else None
    return [
        item
        if item.county == home or item.title.startswith(item.county_name)
        else replace(item, title=f"{item.county_name}：{item.title}")
        for item in items
    ]


def _url_of(name, placeholder=0):
    """``key → reverse(name, args=[key])``, reversed once: the URLs differ only by the id, or by the county
    code (``placeholder`` "000000"); neither needs quoting."""
    head, _, tail = reverse(name, args=[placeholder]).rpartition(f"/{placeholder}/")
    return lambda key: f"{head}/{key}/{tail}"


def _order(items):
    items.sort(key=lambda item: (item.due, item.kind, item.county, item.title))
    return items


def reminders_for(user, as_of, horizon=HORIZON_DAYS):
    """The user's reminders as of a date, soonest (most overdue) first."""
    until = as_of + datetime.timedelta(days=horizon)
    items = []
    items += _milestone_reminders(user, as_of, until)
    items += _rectification_reminders(user, as_of, until)
    items += _parcel_reminders(user, as_of, until)[0]
    return _order(items)


def reminder_panel(user, as_of, limit, horizon=HORIZON_DAYS, worked_out=None):
    """The soonest ``limit`` reminders and how many there are in all, for the dashboard's panel (a Panel).

    The same reminders as :func:`reminders_for`, but the parcels' (the country has tens of thousands
    overdue) are read only as far as the panel shows, soonest first, and otherwise counted.
    ``worked_out``: ``(year, progress)`` as the caller has it (:func:`_milestone_reminders`).
    """
    until = as_of + datetime.timedelta(days=horizon)
    items = _milestone_reminders(user, as_of, until, worked_out)
    items += _rectification_reminders(user, as_of, until)
    parcel_items, parcel_count, capped = _parcel_reminders(user, as_of, until, limit=limit)
    return Panel(_order(items + parcel_items)[:limit], len(items) + parcel_count, capped)


@dataclass
class Panel:
    """The dashboard's reminders: the soonest few, how many in all, and whether that count stopped at
    COUNT_CAP of a kind (then "more than" the total)."""

    items: list
    total: int
    capped: bool


def _tasks_overlapping_year(year):
    """Every county task whose period overlaps the calendar year, as TaskRefs by county code, year and
    category: held by the process while the catalog is unchanged (1 query), else read again (3), as
    :func:`tasks.progress.year_tasks` holds a year's. A task's year (年度) need not be its period's: a
    2023 task may run from July 2022 to June 2023."""
    first, last = datetime.date(year, 1, 1), datetime.date(year, 12, 31)
    return held(
        ("tasks_overlapping_year", year),
        lambda: tuple(task_refs(CountyTask.objects.filter(start_date__lte=last, end_date__gte=first))),
    )


def _open_on_date(tasks, as_of, visible, other_than_year=None):
    """The tasks whose period holds the date, of the regions ``visible`` (None: all of them), leaving out
    those of ``other_than_year``."""
    return [
        task
        for task in tasks
        if task.start_date <= as_of <= task.end_date
        and (visible is None or task.county_id in visible)
        and task.year != other_than_year
    ]


def _milestone_reminders(user, as_of, until, worked_out=None):
    """Milestone reminders of every task open on the date (its period holds the date, whatever its
    year), from their progress as of the date.

    ``worked_out``: ``(year, progress)``, the TaskProgress of every task of the user's scope in that year
    as of the date, in any order, that the caller already has (the dashboard's rows). When it is the
    date's year, only the tasks of other years open on the date are worked out here (mostly none: then
    the catalog stamp is the one query); otherwise the progress of every open task is.
    """
    year = as_of.year
    if worked_out is not None and worked_out[0] == year:
        progress_list = [
            progress
            for progress in worked_out[1]
            if progress.task.start_date <= as_of <= progress.task.end_date
        ]
        others = _open_on_date(_tasks_overlapping_year(year), as_of, None, other_than_year=year)
        if others:
            progress_list += task_progress(_open_on_date(others, as_of, visible_region_ids(user)), as_of)
            progress_list.sort(key=lambda row: (row.task.county.code, row.task.year, row.task.category))
    else:
        # The scope first, as tasks_in_scope reads it: a user who may read no region has no tasks to read.
        visible = visible_region_ids(user)
        tasks = [] if visible is not None and not visible else _tasks_overlapping_year(year)
        progress_list = task_progress(_open_on_date(tasks, as_of, visible), as_of)
    items = []
    county_url = _url_of("dashboard-county", "000000")
    as_of_text = f"{as_of:%Y-%m-%d}"
    # What the tasks of a campaign share (milestone dates and rates, category names): written once each.
    day = functools.cache(cn_month_day)
    rate = functools.cache(lambda target_rate: str(rate_2(target_rate)))
    category = functools.cache(lambda value: str(TaskCategory(value).label))
    for progress in progress_list:
        task = progress.task
        county = task.county
        # The county's page as of the reminder's date: the figures it states are the ones shown there.
        url = f"{county_url(county.code)}?year={task.year}&as_of={as_of_text}"
        done = progress.completed_area_mu
        missed = [m for m in progress.milestones if m.met is False and done < m.target_area_mu]
        if missed:
            latest = missed[-1]
            items.append(
                _reminder(
                    ReminderKind.MILESTONE,
                    latest.due,
                    as_of,
                    county.code,
                    county.name,
                    f"{county.name}{category(task.category)}任务未达到 {day(latest.due)} 节点"
                    f"（{rate(latest.target_rate)}%），还差 {format_area(latest.target_area_mu - done)} 亩",
                    url,
                )
            )
        upcoming = progress.next_milestone
        if upcoming and upcoming.due <= until and upcoming.remaining_area_mu > 0:
            items.append(
                _reminder(
                    ReminderKind.MILESTONE,
                    upcoming.due,
                    as_of,
                    county.code,
                    county.name,
                    f"{county.name}{category(task.category)}任务 {day(upcoming.due)} 须达到 "
                    f"{rate(upcoming.target_rate)}%，还需 {format_area(upcoming.remaining_area_mu)} 亩",
                    url,
                )
            )
    return items


def _rectification_reminders(user, as_of, until):
    items = []
    pending = (
        RectificationItem.objects.visible_to(user)
        .pending_on(as_of)
        .filter(deadline__lte=until)
        .select_related("county")
    )
    for item in pending:
        state = "已逾期" if item.deadline < as_of else "即将到期"
        # Done after the date: as of the date it was still to do, in a status no longer recorded.
        status = f"{cn_date(item.completed_date)}完成" if item.completed_date else item.get_status_display()
        items.append(
            _reminder(
                ReminderKind.RECTIFICATION,
                item.deadline,
                as_of,
                item.county.code,
                item.county.name,
                f"整改事项“{item.title}”{state}（{status}）",
                reverse("admin:tasks_rectificationitem_change", args=[item.pk]),
            )
        )
    return items


COUNT_CAP = 1000


def _capped_count(queryset):
    """How many rows, reading at most COUNT_CAP + 1 of them (the country has hundreds of thousands)."""
    return len(queryset.order_by().values_list("pk", flat=True)[: COUNT_CAP + 1])


def _soonest(queryset, date_field, limit, tied_through=None):
    """The rows of the ``limit`` earliest dates, ties at the last one included: the panel's soonest
    ``limit`` can only come from these, however ties order. The last date is read first, through the
    date's index, so that the rows are then one index range. ``tied_through`` maps that date to the
    last one whose reminder falls on the same day, where the reminder's date is not the field's own."""
    dates = list(queryset.order_by(date_field).values_list(date_field, flat=True)[:limit])
    if len(dates) < limit:
        return queryset
    last = tied_through(dates[-1]) if tied_through else dates[-1]
    return queryset.filter(**{f"{date_field}__lte": last}).order_by(date_field)


def _lapse_tied_through(approval_date):
    """The last approval date that lapses on the same day as ``approval_date``: approvals of 28 and of
    29 February 2020 both lapse from 1 March 2022."""
    return latest_start(full_years_passed_from(approval_date, 2), 2)


def _parcel_reminders(user, as_of, until, limit=None):
    """Reminders of the parcels (planned dates, lapsing approvals, 令53 deadlines), how many there are,
    and whether a count stopped at COUNT_CAP.

    With ``limit``, planned dates and lapses are read soonest first and only ``limit`` of each (the
    soonest ``limit`` of all can only come from those), and counted in the database.
    """
    items, count, capped = [], 0, False
    parcels = with_rule_facts(Parcel.objects.visible_to(user), as_of)
    planned = parcels.filter(planned_date__lte=until, disposed_as_of__lt=F("area_mu"))
    lapsing = parcels.filter(flag_filter("approval_lapsed", until))
    if limit is not None:
        # Counted up to COUNT_CAP each: "more than a thousand" is all a panel needs to say.
        for queryset in (planned, lapsing):
            found = _capped_count(queryset)
            capped = capped or found > COUNT_CAP
            count += min(found, COUNT_CAP)
        planned = _soonest(planned, "planned_date", limit)
        lapsing = _soonest(lapsing, "approval_date", limit, _lapse_tied_through)
    # Read as values, not parcels: the country has a hundred thousand of these reminders.
    url_of = _url_of("admin:parcels_parcel_change")
    for pk, code, planned_date, area, disposed, county_code, county_name in planned.values_list(
        "pk", "code", "planned_date", "area_mu", "disposed_as_of", "county__code", "county__name"
    ):
        items.append(
            _reminder(
                ReminderKind.PARCEL,
                planned_date,
                as_of,
                county_code,
                county_name,
                f"地块 {code} 计划{cn_date(planned_date)}完成处置，尚余 {format_area(area - disposed)} 亩",
                url_of(pk),
            )
        )
    # Approvals that lapse within the horizon, or have lapsed.
    for pk, code, approval_date, approval_number, county_code, county_name in lapsing.values_list(
        "pk", "code", "approval_date", "approval_number", "county__code", "county__name"
    ):
        lapse_from = full_years_passed_from(approval_date, 2)
        items.append(
            _reminder(
                ReminderKind.PARCEL,
                lapse_from,
                as_of,
                county_code,
                county_name,
                f"地块 {code} 批准文件（{approval_number}）满两年未实施，{cn_date(lapse_from)}起失效",
                url_of(pk),
            )
        )
    # The 令53 deadlines still running: a parcel disposed of in full needs no notice, answer or start any
    # more (procedure_deadlines says so of each; the filter only spares reading such parcels).
    procedures = with_rule_facts(
        Parcel.objects.visible_to(user)
        .filter(idle_procedure__isnull=False)
        .select_related("county", "idle_procedure"),
        as_of,
    ).filter(disposed_as_of__lt=F("area_mu"))
    for parcel in procedures:
        procedure = parcel.idle_procedure
        procedure.parcel = parcel
        for deadline in procedure_deadlines(procedure, as_of):
            if (
                deadline.done is None
                and not deadline.settled
                and not deadline.met
                and deadline.due <= until
                and (deadline.overdue or deadline.due >= as_of)
            ):
                items.append(
                    _reminder(
                        ReminderKind.PARCEL,
                        deadline.due,
                        as_of,
                        parcel.county.code,
                        parcel.county.name,
                        f"地块 {parcel.code} 闲置土地处置：{deadline.name}",
                        url_of(parcel.pk),
                    )
                )
                if limit is not None:
                    count += 1
    if limit is None:
        count = len(items)
    return items, count, capped
