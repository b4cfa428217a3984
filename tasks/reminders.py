"""What needs a user's attention in their scope: due within 14 days, or overdue (API.md ``/reminders/``).

Milestones come from :mod:`tasks.progress` (a milestone reminds while the county is still below it),
rectification items from their deadlines, parcels from their planned dates, approval lapses and the
令53 procedure's deadlines. A fixed number of queries, whatever the scope's size.
"""

import datetime
from dataclasses import dataclass

from django.db.models import F
from django.urls import reverse

from landtrack.dates import full_years_passed_from
from landtrack.numbers import format_area, rate_2
from parcels.models import Parcel
from parcels.rules import flag_filter, procedure_deadlines, with_rule_facts

from .choices import FINISHED_RECTIFICATION
from .models import RectificationItem
from .progress import task_progress, tasks_in_scope

HORIZON_DAYS = 14


@dataclass
class Reminder:
    kind: str  # milestone | rectification | parcel
    due: datetime.date
    days_left: int  # negative when overdue
    county: str
    county_name: str
    title: str
    url: str

    @property
    def overdue(self):
        return self.days_left < 0


def _reminder(kind, due, as_of, county, title, url):
    return Reminder(kind, due, (due - as_of).days, county.code, county.name, title, url)


def reminders_for(user, as_of, horizon=HORIZON_DAYS):
    """The user's reminders as of a date, soonest (most overdue) first."""
    until = as_of + datetime.timedelta(days=horizon)
    items = []
    items += _milestone_reminders(user, as_of, until)
    items += _rectification_reminders(user, as_of, until)
    items += _parcel_reminders(user, as_of, until)
    items.sort(key=lambda item: (item.due, item.kind, item.county, item.title))
    return items


def _milestone_reminders(user, as_of, until):
    items = []
    for progress in task_progress(tasks_in_scope(user, year=as_of.year), as_of):
        county = progress.task.county
        url = reverse("dashboard-county", args=[county.code]) + f"?year={progress.task.year}"
        missed = [
            m for m in progress.milestones if m.met is False and progress.completed_area_mu < m.target_area_mu
        ]
        if missed:
            latest = missed[-1]
            items.append(
                _reminder(
                    "milestone",
                    latest.due,
                    as_of,
                    county,
                    f"{county.name}{progress.task.get_category_display()}任务未达到 {latest.due:%m月%d日} 节点"
                    f"（{rate_2(latest.target_rate)}%），还差 {format_area(latest.target_area_mu - progress.completed_area_mu)} 亩",
                    url,
                )
            )
        upcoming = progress.next_milestone
        if upcoming and upcoming.due <= until and upcoming.remaining_area_mu > 0:
            items.append(
                _reminder(
                    "milestone",
                    upcoming.due,
                    as_of,
                    county,
                    f"{county.name}{progress.task.get_category_display()}任务 {upcoming.due:%m月%d日} 须达到 "
                    f"{rate_2(upcoming.target_rate)}%，还需 {format_area(upcoming.remaining_area_mu)} 亩",
                    url,
                )
            )
    return items


def _rectification_reminders(user, as_of, until):
    items = []
    pending = (
        RectificationItem.objects.visible_to(user)
        .filter(deadline__lte=until)
        .exclude(status__in=FINISHED_RECTIFICATION)
        .select_related("county")
    )
    for item in pending:
        state = "已逾期" if item.deadline < as_of else "即将到期"
        items.append(
            _reminder(
                "rectification",
                item.deadline,
                as_of,
                item.county,
                f"整改事项“{item.title}”{state}（{item.get_status_display()}）",
                reverse("admin:tasks_rectificationitem_change", args=[item.pk]),
            )
        )
    return items


def _parcel_reminders(user, as_of, until):
    items = []
    parcels = with_rule_facts(Parcel.objects.visible_to(user).select_related("county"), as_of)
    planned = parcels.filter(planned_date__lte=until, disposed_as_of__lt=F("area_mu"))
    for parcel in planned:
        left = format_area(parcel.area_mu - parcel.disposed_as_of)
        items.append(
            _reminder(
                "parcel",
                parcel.planned_date,
                as_of,
                parcel.county,
                f"地块 {parcel.code} 计划 {parcel.planned_date:%Y-%m-%d} 完成处置，尚余 {left} 亩",
                reverse("admin:parcels_parcel_change", args=[parcel.pk]),
            )
        )
    # Approvals that lapse within the horizon, or have lapsed.
    lapsing = parcels.filter(flag_filter("approval_lapsed", until))
    for parcel in lapsing:
        lapse_from = full_years_passed_from(parcel.approval_date, 2)
        items.append(
            _reminder(
                "parcel",
                lapse_from,
                as_of,
                parcel.county,
                f"地块 {parcel.code} 批准文件（{parcel.approval_number}）满两年未实施，{lapse_from:%Y-%m-%d} 起失效",
                reverse("admin:parcels_parcel_change", args=[parcel.pk]),
            )
        )
    procedures = with_rule_facts(
        Parcel.objects.visible_to(user)
        .filter(idle_procedure__isnull=False)
        .select_related("county", "idle_procedure"),
        as_of,
    )
    for parcel in procedures:
        procedure = parcel.idle_procedure
        procedure.parcel = parcel
        for deadline in procedure_deadlines(procedure, as_of):
            if (
                deadline.done is None
                and deadline.due <= until
                and (deadline.overdue or deadline.due >= as_of)
            ):
                items.append(
                    _reminder(
                        "parcel",
                        deadline.due,
                        as_of,
                        parcel.county,
                        f"地块 {parcel.code} 闲置土地处置：{deadline.name}",
                        reverse("admin:parcels_parcel_change", args=[parcel.pk]),
                    )
                )
    return items
