"""The leadership dashboard: every county task against its milestones, for the office and the city.

Figures come from :mod:`tasks.progress`; these views only choose what to show and in what order.
Pages work without JavaScript and print cleanly.
"""

import datetime
from dataclasses import dataclass

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import F
from django.http import Http404
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone

from leadership.choices import RegionLevel
from leadership.models import Region
from leadership.scope import has_role, region_in_scope
from parcels.models import Parcel, not_before_1949
from parcels.rules import on_ledger_by, with_disposed_as_of

from .charts import completion_bar, completion_curve
from .choices import KINDS_BY_CATEGORY, ProgressStatus, ReminderKind
from .models import CountyTask, RectificationItem
from .progress import category_totals, task_progress, tasks_in_scope
from .reminders import HORIZON_DAYS, as_read_by, reminder_panel, reminders_for

STATUS_ORDER = {
    ProgressStatus.BEHIND: 0,
    ProgressStatus.AT_RISK: 1,
    ProgressStatus.ON_TRACK: 2,
    ProgressStatus.COMPLETED: 3,
}
SORT_KEYS = {
    "county": lambda row: row.task.county.code,
    "category": lambda row: row.task.category,
    "target": lambda row: row.target_area_mu,
    "completed": lambda row: row.completed_area_mu,
    "rate": lambda row: row.completion_rate,
    "required": lambda row: row.required_rate,
    "status": lambda row: STATUS_ORDER[row.status],
    "shortfall": lambda row: row.shortfall_area_mu,
    "next": lambda row: (row.next_milestone is None, row.next_milestone.due if row.next_milestone else None),
}
COLUMNS = [
    ("county", "县（市、区）"),
    ("category", "类别"),
    ("target", "任务（亩）"),
    ("completed", "已完成（亩）"),
    ("rate", "完成率"),
    ("required", "应达比例"),
    ("status", "状态"),
    ("shortfall", "差额（亩）"),
    ("next", "下一节点"),
]
PENDING_LIMIT = 100
PANEL_LIMIT = 12
ROWS_PER_PAGE = 200


class DashboardQuery(forms.Form):
    year = forms.IntegerField(label="年度", required=False, min_value=2000, max_value=2100)
    # The API's range (landtrack.api.fields.DateField): the figures look 60 days back and the reminders
    # 14 days ahead, which the calendar's first and last days do not have.
    as_of = forms.DateField(
        label="截至日期",
        required=False,
        validators=[not_before_1949],
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    # Labels in Chinese: the form names a bad value's field in its message.
    sort = forms.ChoiceField(label="排序", choices=[(key, key) for key in SORT_KEYS], required=False)
    dir = forms.ChoiceField(label="排序方向", choices=[("asc", "asc"), ("desc", "desc")], required=False)


@dataclass
class View:
    year: int | None
    as_of: datetime.date
    years: list
    sort: str
    descending: bool
    form: DashboardQuery


def _require_role(user):
    if not has_role(user):
        raise PermissionDenied("您的账号没有角色或所属区划，请联系系统管理员。")


def _query(request, tasks):
    """Read ?year=&as_of=&sort=&dir=; bad values are shown on the form and replaced by defaults."""
    form = DashboardQuery(request.GET or None)
    # Only a bad value gives way to its default: cleaned_data keeps the fields that were good, so a stale
    # sort key in a bookmark does not turn the date and year asked for into today's.
    if form.is_bound:
        form.is_valid()
    data = form.cleaned_data if form.is_bound else {}
    as_of = data.get("as_of") or timezone.localdate()
    years = sorted(set(tasks.values_list("year", flat=True)), reverse=True)
    year = data.get("year")
    if year is None and years:
        # The year of the date if it has tasks, else the latest year before it, else the latest of all.
        earlier = [candidate for candidate in years if candidate <= as_of.year]
        year = earlier[0] if earlier else years[0]
    if year is not None and year not in years:
        # A year asked for that has no task in the user's scope is still the year the page shows: the list
        # offers it, selected, rather than showing the first year and sending it with the next 查看.
        years = sorted({*years, year}, reverse=True)
    if not form.is_bound:
        form = DashboardQuery(initial={"year": year, "as_of": as_of})
    return View(
        year=year,
        as_of=as_of,
        years=years,
        sort=data.get("sort") or "status",
        descending=data.get("dir") == "desc",
        form=form,
    )


def _column_links(view):
    links = []
    for key, label in COLUMNS:
        descending = not view.descending if key == view.sort else False
        query = f"?year={view.year or ''}&as_of={view.as_of:%Y-%m-%d}&sort={key}&dir={'desc' if descending else 'asc'}"
        links.append(
            {"key": key, "label": label, "query": query, "active": key == view.sort, "desc": view.descending}
        )
    return links


@login_required
def overview(request):
    """One row per county task in the user's scope, with the city's totals."""
    _require_role(request.user)
    view = _query(request, CountyTask.objects.visible_to(request.user))
    rows = task_progress(tasks_in_scope(request.user, year=view.year), view.as_of) if view.year else []
    rows.sort(key=SORT_KEYS[view.sort], reverse=view.descending)
    counts = {status: sum(1 for row in rows if row.status == status) for status in ProgressStatus}
    # A city has a few dozen rows, the country thousands: the page shows ROWS_PER_PAGE of them, in the
    # order chosen; the counts by status and the totals are over all of them.
    page = Paginator(rows, ROWS_PER_PAGE).get_page(request.GET.get("page"))
    for row in page.object_list:
        row.bar = completion_bar(row)
    # The panel's milestone reminders take these rows' figures when they are of the date's own year (the
    # tasks of other years open on the date are worked out by the panel).
    panel = reminder_panel(request.user, view.as_of, PANEL_LIMIT, worked_out=(view.year, rows))
    return render(
        request,
        "dashboard/overview.html",
        {
            "view": view,
            "rows": page.object_list,
            "page": page,
            "page_query": f"?year={view.year or ''}&as_of={view.as_of:%Y-%m-%d}&sort={view.sort}"
            f"&dir={'desc' if view.descending else 'asc'}",
            "totals": category_totals(rows),
            "columns": _column_links(view),
            "status_counts": [(ProgressStatus(status), counts[status]) for status in STATUS_ORDER],
            "reminders": as_read_by(request.user, panel.items),
            "reminder_count": panel.total,
            "reminder_count_capped": panel.capped,
            "horizon": HORIZON_DAYS,
        },
    )


REMINDERS_PER_PAGE = 200


@login_required
def reminders(request):
    """Everything overdue or due within 14 days in the user's scope, by kind (?kind=), REMINDERS_PER_PAGE
    to a page: a city has hundreds, the country's admin a hundred thousand."""
    _require_role(request.user)
    view = _query(request, CountyTask.objects.visible_to(request.user))
    everything = reminders_for(request.user, view.as_of)
    kind = request.GET.get("kind")
    if kind not in ReminderKind.values:
        kind = ""
    chosen = [item for item in everything if item.kind == kind] if kind else everything
    page = Paginator(chosen, REMINDERS_PER_PAGE).get_page(request.GET.get("page"))
    query = f"?as_of={view.as_of:%Y-%m-%d}"
    counts = dict.fromkeys(ReminderKind.values, 0)
    for item in everything:
        counts[item.kind] += 1
    kinds = [{"value": "", "label": "全部", "count": len(everything), "query": query}] + [
        {"value": value, "label": label, "count": counts[value], "query": f"{query}&kind={value}"}
        for value, label in ReminderKind.choices
    ]
    return render(
        request,
        "dashboard/reminders.html",
        {
            "view": view,
            "reminders": as_read_by(request.user, page.object_list),
            "page": page,
            "page_numbers": page.paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1),
            "page_query": f"{query}&kind={kind}" if kind else query,
            "kind": kind,
            "kinds": kinds,
            "dated_only": True,  # reminders are of every task open on the date: no year to choose
            "overdue": sum(1 for item in chosen if item.overdue),
            "horizon": HORIZON_DAYS,
        },
    )


@login_required
def rectifications(request, county_code):
    """A county's rectification items with their deadlines, status and overdue flags (整改清单)."""
    _require_role(request.user)
    region = (
        Region.objects.filter(code=county_code, level=RegionLevel.COUNTY).select_related("parent").first()
    )
    if region is None or not region_in_scope(request.user, region):
        raise Http404("未找到该县（市、区）。")
    view = _query(request, CountyTask.objects.visible_to(request.user).filter(county=region))
    items = list(
        RectificationItem.objects.visible_to(request.user)
        .filter(county=region)
        .select_related("lead_unit", "campaign")
        .prefetch_related("responsible_units")
        .order_by("order", "deadline", "id")
    )
    for item in items:
        item.overdue_now = item.is_overdue(view.as_of)
        # Finished only after the date looked at: not done on it (as the reminders say of such an item).
        item.done_later = bool(item.completed_date) and not item.done_by(view.as_of)
        item.admin_url = reverse("admin:tasks_rectificationitem_change", args=[item.pk])
    return render(
        request,
        "dashboard/rectifications.html",
        {
            "view": view,
            "county": region,
            "items": items,
            "overdue": sum(item.overdue_now for item in items),
            # Items are the county's whatever the year (an item of last year's inspection may be open still);
            # the year is only carried back to the pages it came from.
            "dated_only": True,
            "carry_year": True,
        },
    )


@login_required
def county(request, county_code):
    """A county's tasks: milestones, curve, breakdowns, pace forecast and pending parcels."""
    _require_role(request.user)
    region = (
        Region.objects.filter(code=county_code, level=RegionLevel.COUNTY).select_related("parent").first()
    )
    if region is None or not region_in_scope(request.user, region):
        raise Http404("未找到该县（市、区）。")
    view = _query(request, CountyTask.objects.visible_to(request.user).filter(county=region))
    tasks = tasks_in_scope(request.user, year=view.year, county_code=region.code) if view.year else []
    rows = task_progress(tasks, view.as_of, breakdown=True, curve=True, forecast=True)
    for row in rows:
        row.bar = completion_bar(row)
        row.curve = completion_curve(row)
    kinds = {kind for row in rows for kind in KINDS_BY_CATEGORY[row.task.category]} or set(
        KINDS_BY_CATEGORY["both"]
    )
    # Pending as of the date looked at: on the ledger by then (approved or supplied), area left after the
    # disposals dated up to it.
    pending = (
        with_disposed_as_of(
            Parcel.objects.visible_to(request.user).filter(
                on_ledger_by(view.as_of), county=region, kind__in=kinds
            ),
            view.as_of,
        )
        .filter(disposed_as_of__lt=F("area_mu"))
        .select_related("town", "responsible_unit")
        .annotate(remaining=F("area_mu") - F("disposed_as_of"))
        .order_by("-remaining", "code")
    )
    pending = list(pending[: PENDING_LIMIT + 1])
    for parcel in pending:
        parcel.admin_url = reverse("admin:parcels_parcel_change", args=[parcel.pk])
    # The monthly report of the tasks shown: it reads the months of one task year, so a date after the
    # page's year gives that year's December, a date before it its January (the date's own year would
    # be a report of other tasks, or of none).
    report_year = view.year or view.as_of.year
    if view.as_of.year == report_year:
        report_month = view.as_of.month
    else:
        report_month = 12 if view.as_of.year > report_year else 1
    return render(
        request,
        "dashboard/county.html",
        {
            "view": view,
            "county": region,
            "rows": rows,
            "pending": pending[:PENDING_LIMIT],
            "pending_more": len(pending) > PENDING_LIMIT,
            "pending_admin_url": f"{reverse('admin:parcels_parcel_changelist')}?county={region.code}&status=pending",
            "report_year": report_year,
            "report_month": report_month,
        },
    )
