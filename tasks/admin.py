from django.contrib import admin, messages
from django.contrib.admin.actions import delete_selected
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from landtrack.admin_base import COUNTY_FILTERS, REGION_FILTERS, LandTrackAdmin, ScopedInlineMixin
from landtrack.dates import cn_month_day
from landtrack.numbers import format_area

from . import services
from .choices import RectificationStatus
from .forms import CountyTaskForm, MilestoneInlineFormSet, RectificationItemForm
from .models import CLOSED_NOT_DELETED, Campaign, CampaignPhase, CountyTask, Milestone, RectificationItem


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
