import re

from django.contrib import admin, messages
from django.contrib.admin.actions import delete_selected
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from landtrack.admin_base import COUNTY_FILTERS, REGION_FILTERS, LandTrackAdmin, ScopedInlineMixin
from landtrack.dates import cn_month_day
from landtrack.numbers import format_area
from leadership.choices import RegionLevel
from leadership.models import Region
from leadership.scope import is_admin, writable_counties

from . import services
from .choices import RectificationStatus
from .forms import (
    CountyAreasForm,
    CountyTaskForm,
    MilestoneInlineFormSet,
    MilestoneRowFormSet,
    RectificationItemForm,
    TaskAssignForm,
)
from .models import (
    CLOSED_NOT_DELETED,
    Campaign,
    CampaignPhase,
    CountyTask,
    Milestone,
    RectificationItem,
    year_validators,
)


class CampaignPhaseInline(ScopedInlineMixin, admin.TabularInline):
    model = CampaignPhase
    fields = ("order", "name", "start_date", "end_date")
    extra = 0


@admin.register(Campaign)
class CampaignAdmin(LandTrackAdmin):
    inlines = [CampaignPhaseInline]
    list_display = ("name", "region", "year", "document_number", "document_date", "leadership_group")
    list_select_related = ("region", "leadership_group")
    list_filter = (*REGION_FILTERS, "year")
    search_fields = ("name", "document_number")
    fields = (
        ("region", "year"),
        "name",
        ("issuer", "document_number", "document_date"),
        ("scope_start_year", "scope_end_year"),
        "goals",
        "leadership_group",
    )


class MilestoneInline(ScopedInlineMixin, admin.TabularInline):
    model = Milestone
    formset = MilestoneInlineFormSet
    fields = ("due", "target_rate")
    extra = 0
    verbose_name_plural = (
        "时间节点（新建任务时不填，则按 5月31日 25%、6月30日 50%、9月30日 85%、11月30日 100% 设置）"
    )


@admin.register(CountyTask)
class CountyTaskAdmin(LandTrackAdmin):
    form = CountyTaskForm
    inlines = [MilestoneInline]
    inlines_in_version = (Milestone,)  # written with the task by services.task_save, which raises its version
    list_display = (
        "__str__",
        "county",
        "year",
        "category",
        "target_display",
        "start_date",
        "end_date",
        "assigned_by",
        "milestone_summary",
    )
    list_select_related = ("county",)
    list_filter = (*COUNTY_FILTERS, "year", "category")
    search_fields = ("name", "document_number", "county__name")
    fields = (
        "expected_version",
        ("county", "year", "category"),
        "name",
        "target_area_mu",
        ("assigned_by", "document_number"),
        ("start_date", "end_date"),
        ("lead_unit", "campaign"),
        "note",
    )

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("milestones")

    @admin.display(description="任务面积（亩）", ordering="target_area_mu")
    def target_display(self, task):
        return format_area(task.target_area_mu)

    @admin.display(description="时间节点")
    def milestone_summary(self, task):
        return format_html_join(
            "；", "{} {}%", ((cn_month_day(m.due), m.target_rate) for m in task.milestones.all())
        )

    def save_model(self, request, obj, form, change):
        # Saved together with its milestones in save_related, through the task service.
        request.landtrack_expected_version = form.cleaned_data.get("expected_version") if change else None

    def save_related(self, request, form, formsets, change):
        milestone_formset = next(fs for fs in formsets if fs.model is Milestone)
        milestone_formset.save(commit=False)
        pairs = milestone_formset.milestone_pairs()
        services.task_save(
            task=form.instance,
            milestones=pairs or None,
            user=request.user,
            expected_version=getattr(request, "landtrack_expected_version", None),
        )
        form.instance.refresh_from_db()

    def delete_model(self, request, obj):
        services.task_delete(task=obj, user=request.user)

    # -- 下达任务: one year's tasks of a city's counties on one page -----------------------------------

    def get_urls(self):
        prefix = f"{self.opts.app_label}_{self.opts.model_name}"
        return [
            path("assign/", self.admin_site.admin_view(self.assign_view), name=f"{prefix}_assign"),
            *super().get_urls(),
        ]

    def assign_view(self, request):
        """The city assigns its counties their tasks of a year: the shared fields and milestones once, then
        each county's area (blank: no task). Everything is judged first and written all or none
        (services.task_bulk_assign), and the list of that year's tasks follows."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        city, cities = self._assign_city(request)
        counties = (
            list(writable_counties(request.user, self.opts.label_lower).filter(parent=city)) if city else []
        )
        year = _year_asked(request.GET.get("year"))
        initial_milestones = [
            {"due": due, "target_rate": rate} for due, rate in CountyTask(year=year).default_milestones()
        ]
        data = request.POST if request.method == "POST" else None
        form = TaskAssignForm(data, city=city, initial={"year": year}, prefix="task")
        milestones = MilestoneRowFormSet(data, initial=initial_milestones, prefix="milestones")
        areas = CountyAreasForm(data, counties=counties)
        problems = []
        if data is not None:
            problems = self._assign(request, city, counties, form, milestones, areas)
            if problems is None:
                return HttpResponseRedirect(
                    reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_changelist")
                    + f"?year__exact={form.cleaned_data['year']}"
                )
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": "批量下达任务",
            "changelist_url": reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_changelist"),
            "city": city,
            "cities": cities,
            "year": year,
            "form": form,
            "milestones": milestones,
            "areas": areas,
            "problems": problems,
        }
        return TemplateResponse(request, "admin/tasks/countytask/assign.html", context)

    def _assign_city(self, request):
        """(the city whose counties the page lists, the cities an administrator may choose among).

        A city bureau assigns to its own city's counties; the administrator to any city's, named by its
        code in the query string (``?city=141000``) or chosen on the page first."""
        if not is_admin(request.user):
            region = request.user.region
            return (region if region is not None and region.level == RegionLevel.CITY else None), []
        cities = list(Region.objects.filter(level=RegionLevel.CITY).order_by("code"))
        code = request.GET.get("city") or ""
        return next((city for city in cities if city.code == code), None), cities

    def _assign(self, request, city, counties, form, milestones, areas):
        """Judge and write a posted assignment: None when written, else the problems to show."""
        offered = {county.pk for county in counties}
        forged = sorted(
            {
                int(match.group(1))
                for key, value in request.POST.items()
                if (match := AREA_FIELD.fullmatch(key))
                and value.strip()
                and int(match.group(1)) not in offered
            }
        )
        if forged:
            # Named by the id posted only: the name of a county outside the user's scope is not told.
            return [
                f"编号为 {'、'.join(map(str, forged))} 的县（市、区）不在本页可下达任务的范围内，"
                "本次未下达任何任务。"
            ]
        if city is None:
            return ["请先选择要下达任务的市。"]
        valid = all([form.is_valid(), milestones.is_valid(), areas.is_valid()])
        if not valid:
            return [*areas.problems(), "本次未下达任何任务，请改正标出的错误后重新提交。"]
        shared = form.cleaned_data
        tasks = [
            CountyTask(
                county=county,
                year=shared["year"],
                category=shared["category"],
                target_area_mu=area,
                assigned_by=shared["assigned_by"],
                document_number=shared["document_number"],
                start_date=shared["start_date"],
                end_date=shared["end_date"],
                campaign=shared["campaign"],
            )
            for county, area in areas.filled()
        ]
        if not tasks:
            return ["请至少为一个县（市、区）填写任务面积（留空的县不下达任务）。"]
        try:
            services.task_bulk_assign(tasks=tasks, milestones=milestones.pairs() or None, user=request.user)
        except services.TasksRefused as refusal:
            for task, field, message in refusal.problems:
                if field == "target_area_mu":
                    areas.add_error(areas.field_name(task.county_id), message)
            return [*refusal.messages, "本次未下达任何任务。"]
        except IntegrityError:
            # Someone else's task of a county, year and category committed since the check
            # (task_unique_per_county_year_category): the whole batch was rolled back.
            return ["有县（市、区）的同类任务刚由他人下达，本次未下达任何任务。请核对后重新提交。"]
        self.message_user(request, f"已下达 {len(tasks)} 个县的任务。", messages.SUCCESS)
        return None


AREA_FIELD = re.compile(r"area_(\d{1,18})")


def _year_asked(value):
    """The year named in the query string if a task may have it (the model's year_validators), or this year."""
    try:
        year = int(value)
        for validator in year_validators():
            validator(year)
    except (TypeError, ValueError, ValidationError):
        return timezone.localdate().year
    return year


def delete_selected_unless_closed(modeladmin, request, queryset):
    """Django's "delete selected", refused with the items' titles when any of them is closed (销号)."""
    closed = list(queryset.closed().values_list("title", flat=True)[:6])
    if not closed:
        return delete_selected(modeladmin, request, queryset)
    named = "、".join(f"“{title}”" for title in closed[:5]) + ("等" if len(closed) > 5 else "")
    modeladmin.message_user(request, f"{CLOSED_NOT_DELETED[:-1]}：{named}。未删除任何事项。", messages.ERROR)
    return None


class OverdueFilter(admin.SimpleListFilter):
    title = "是否逾期"
    parameter_name = "overdue"

    def lookups(self, request, model_admin):
        return (("yes", "已逾期"), ("no", "未逾期"))

    def queryset(self, request, queryset):
        today = timezone.localdate()
        if self.value() == "yes":
            return queryset.overdue(today)
        if self.value() == "no":
            return queryset.exclude(pk__in=queryset.overdue(today).values("pk"))
        return queryset


@admin.register(RectificationItem)
class RectificationItemAdmin(LandTrackAdmin):
    form = RectificationItemForm
    list_display = (
        "title",
        "county",
        "section",
        "deadline",
        "status",
        "overdue_display",
        "lead_unit",
        "units",
    )
    list_select_related = ("county", "lead_unit")
    list_filter = (*COUNTY_FILTERS, "status", OverdueFilter)
    search_fields = ("title", "description", "section")
    filter_horizontal = ("responsible_units",)
    fields = (
        "expected_version",
        ("county", "campaign"),
        ("source_document", "section", "order"),
        "title",
        "description",
        "deadline",
        "lead_unit",
        "responsible_units",
        ("status", "completed_date"),
        "evidence",
    )

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("responsible_units")

    @admin.display(description="逾期", boolean=False)
    def overdue_display(self, item):
        if item.overdue:
            return format_html('<strong class="overdue">{}</strong>', "已逾期")
        return "—"

    @admin.display(description="责任单位")
    def units(self, item):
        return "、".join(unit.name for unit in item.responsible_units.all())

    def has_delete_permission(self, request, obj=None):
        # A closed item (销号) stays: its change page offers no deletion, and its delete page is refused.
        if obj is not None and obj.status == RectificationStatus.CLOSED:
            return False
        return super().has_delete_permission(request, obj)

    def get_actions(self, request):
        actions = super().get_actions(request)
        if "delete_selected" in actions:
            _, name, description = actions["delete_selected"]
            actions["delete_selected"] = (delete_selected_unless_closed, name, description)
        return actions

    def save_model(self, request, obj, form, change):
        services.rectification_save(
            item=obj,
            user=request.user,
            responsible_units=form.cleaned_data.get("responsible_units"),
            expected_version=form.cleaned_data.get("expected_version") if change else None,
        )
