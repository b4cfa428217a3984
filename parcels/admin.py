from django import forms
from django.contrib import admin
from django.db import models
from django.db.models import Exists, OuterRef
from django.utils.html import format_html

from landtrack.admin_base import (
    COUNTY_FILTERS,
    CountyFilter,
    LandTrackAdmin,
    ScopedInlineMixin,
)
from landtrack.numbers import format_area
from leadership.choices import RegionLevel
from leadership.models import Region
from leadership.scope import COUNTY_ROLES, scope_counties, scope_regions

from . import services
from .admin_boundary import BoundaryAdminMixin
from .admin_ledger import LedgerAdminMixin
from .admin_rules import RulesAdminMixin
from .choices import DisposalMethod, ParcelKind, ParcelStatus
from .forms import DisposalInlineFormSet, ParcelForm
from .models import SEARCH_LOOKUPS, Disposal, Parcel, ProgressNote
from .paging import CountedPaginator, counted, counts_of, in_county_order


class TownFilter(admin.SimpleListFilter):
    """The towns (and zones) of the chosen county, or of the user's one county; with several counties in
    scope and none chosen, none: a city's towns listed together repeat names (城关镇 …), and the
    country's are 20,000 links on every page."""

    title = "乡镇（园区）"
    parameter_name = "town"

    def lookups(self, request, model_admin):
        towns = Region.objects.filter(level__in=[RegionLevel.TOWN, RegionLevel.ZONE])
        regions = scope_regions(request.user)
        if regions is not None:
            towns = towns.filter(parent__in=regions.values("pk"))
        county = request.GET.get(CountyFilter.parameter_name)
        if county:
            towns = towns.filter(parent__code=county)
        elif self.value():  # a town chosen by link: its county's towns
            towns = towns.filter(parent__children__code=self.value())
        elif request.user.role not in COUNTY_ROLES:
            return []  # shown once a county is chosen
        return [(town.code, town.name) for town in towns.order_by("code")]

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(town__code=self.value())
        return queryset


class StatusFilter(admin.SimpleListFilter):
    title = "处置状态"
    parameter_name = "status"

    def lookups(self, request, model_admin):
        return ParcelStatus.choices

    def queryset(self, request, queryset):
        if self.value():
            return queryset.with_status(self.value())
        return queryset


class DisposalMethodFilter(admin.SimpleListFilter):
    title = "已采用的处置方式"
    parameter_name = "disposal_method"

    def lookups(self, request, model_admin):
        return DisposalMethod.choices

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(
                Exists(Disposal.objects.filter(parcel_id=OuterRef("pk"), method=self.value()))
            )
        return queryset


ONE_LINE_TEXT = {models.TextField: {"widget": forms.Textarea(attrs={"rows": 1, "cols": 28})}}


class DisposalInline(ScopedInlineMixin, admin.TabularInline):
    model = Disposal
    formfield_overrides = ONE_LINE_TEXT
    formset = DisposalInlineFormSet
    fields = ("method", "area_mu", "date", "document_number", "supervision_number", "note", "created_by")
    readonly_fields = ("created_by",)
    extra = 1
    classes = ("disposals",)

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("created_by")


class ProgressNoteInline(ScopedInlineMixin, admin.TabularInline):
    model = ProgressNote
    formfield_overrides = {models.TextField: {"widget": forms.Textarea(attrs={"rows": 2, "cols": 80})}}
    fields = ("date", "text", "created_by")
    readonly_fields = ("created_by",)
    extra = 1

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("created_by")


# The changelist's parameters that leave its parcels countable from ParcelCount (parcels.rollup): the region
# filters, the kind, the status, the page and the ordering.
COUNTED_PARAMETERS = {"kind__exact", "status", "p", "o"}
COUNTED_PARAMETERS |= {region.parameter_name for region in COUNTY_FILTERS}


def counted_rows(request):
    """The ``ParcelCount`` rows that count the changelist's parcels when only the user's scope, the region
    filters, a kind and a status filter them: a sum over some thousands of rows, not COUNT(*) over the million
    parcels, and the counties a page holds (:mod:`parcels.paging`). None when anything else does."""
    if set(request.GET) - COUNTED_PARAMETERS or any(len(values) > 1 for _, values in request.GET.lists()):
        return None
    kind, status = request.GET.get("kind__exact"), request.GET.get("status")
    if (kind is not None and kind not in ParcelKind.values) or (status and status not in ParcelStatus.values):
        return None  # lists nothing (or all, for a status it ignores): counted by the rows themselves
    counties = scope_counties(request.user)
    chosen = [(region, request.GET.get(region.parameter_name)) for region in COUNTY_FILTERS]
    chosen = [(region, code) for region, code in chosen if code]
    if chosen:
        counties = Region.objects.counties() if counties is None else counties
        for region, code in chosen:  # the filters' own rule, applied to the counties
            counties = region.narrow(request, counties, code, field="")
    return counts_of(counties, kind, status)


@admin.register(Parcel)
class ParcelAdmin(LedgerAdminMixin, BoundaryAdminMixin, RulesAdminMixin, LandTrackAdmin):
    form = ParcelForm
    inlines = [DisposalInline, ProgressNoteInline]
    inlines_in_version = (Disposal,)  # each disposal saved raises the parcel's version (parcels.signals)
    list_display = (
        "code",
        "name",
        "county",
        "town",
        "kind",
        "area_display",
        "disposed_display",
        "remaining_display",
        "status_display",
        "planned_method",
        "responsible_unit",
    )
    list_display_links = ("code", "name")
    list_select_related = ("county", "town", "responsible_unit")
    # A list of a million parcels: a filtered page says "12 条结果（显示全部）", not the whole scope's
    # count beside it (Django's advice for large tables: a second COUNT(*), 30 ms at national size).
    show_full_result_count = False
    list_filter = (
        *COUNTY_FILTERS,
        TownFilter,
        "kind",
        StatusFilter,
        "unsupplied_reason",
        "idle_cause",
        "planned_method",
        DisposalMethodFilter,
    )
    search_fields = SEARCH_LOOKUPS
    search_help_text = (
        "按地块编号、项目名称、批准文号、电子监管号、土地使用权人、合同编号、批次名称或坐落搜索"
    )
    readonly_fields = ("disposed_display", "remaining_display", "status_display")
    actions = None
    fieldsets = (
        (
            "基本信息",
            {
                "fields": (
                    "expected_version",
                    ("county", "town"),
                    ("code", "kind"),
                    "name",
                    "location",
                    ("area_mu", "land_use"),
                    "responsible_unit",
                    ("disposed_display", "remaining_display", "status_display"),
                )
            },
        ),
        (
            "批而未供信息",
            {
                "classes": ("kind-unsupplied",),
                "fields": (
                    ("approval_number", "approval_date"),
                    ("approving_authority", "batch_name"),
                    ("expropriation_status", "unsupplied_reason"),
                    "current_use",
                ),
            },
        ),
        (
            "闲置土地信息",
            {
                "classes": ("kind-idle",),
                "fields": (
                    ("supervision_number", "contract_number"),
                    "land_user",
                    ("supply_method", "supply_date"),
                    ("price_wan", "agreed_start_date"),
                    ("idle_cause", "government_cause"),
                    "not_started_reason",
                ),
            },
        ),
        ("处置计划", {"fields": (("planned_method", "planned_date"),)}),
        ("位置与备注", {"fields": (("center_lng", "center_lat"), "note")}),
    )

    class Media:
        js = ("parcels/parcel_form.js",)

    def get_paginator(self, request, queryset, per_page, orphans=0, allow_empty_first_page=True):
        counts = counted_rows(request)
        if in_county_order(queryset):
            # The list's own order (by county, then code): each page reads only the counties it holds,
            # counted from the counts or, under any other filter or a search, per county from its rows.
            return CountedPaginator(queryset, per_page, counts, orphans, allow_empty_first_page)
        paginator = super().get_paginator(request, queryset, per_page, orphans, allow_empty_first_page)
        if counts is not None:
            # Sorted by a column: counted all the same (a cached_property: set here, the paginator never counts).
            paginator.count = counted(counts)
        return paginator

    @admin.display(description="面积（亩）", ordering="area_mu")
    def area_display(self, parcel):
        return format_area(parcel.area_mu)

    @admin.display(description="已处置（亩）", ordering="disposed_area_mu")
    def disposed_display(self, parcel):
        return format_area(parcel.disposed_area_mu) if parcel.pk else "—"

    @admin.display(description="剩余面积（亩）")
    def remaining_display(self, parcel):
        return format_area(parcel.remaining_area_mu) if parcel.pk else "—"

    @admin.display(description="状态")
    def status_display(self, parcel):
        if not parcel.pk:
            return "—"
        return format_html(
            '<strong class="parcel-status parcel-status-{}">{}</strong>',
            parcel.status,
            parcel.get_status_display(),
        )

    def save_model(self, request, obj, form, change):
        if change and not form.has_changed():
            return
        services.parcel_save(
            parcel=obj,
            user=request.user,
            expected_version=form.cleaned_data.get("expected_version") if change else None,
        )

    def save_formset(self, request, form, formset, change):
        formset.save(commit=False)
        if formset.model is Disposal:
            for disposal in formset.deleted_objects:
                services.disposal_delete(disposal=disposal, user=request.user)
            # The rows that shrink first: judged together, the rows fit the parcel; saved one by one, each
            # checked against those stored by then, a split corrected in one save (5 + 5 → 6 + 4) so never
            # passes through more than the parcel's area.
            stored = {form.instance.pk: form.initial.get("area_mu") or 0 for form in formset.initial_forms}
            changed = sorted(
                (disposal for disposal, _ in formset.changed_objects),
                key=lambda disposal: (disposal.area_mu or 0) - stored.get(disposal.pk, 0),
            )
            for disposal in changed:
                services.disposal_save(disposal=disposal, user=request.user)
            for disposal in formset.new_objects:
                disposal.created_by = request.user
                services.disposal_save(disposal=disposal, user=request.user)
        elif formset.model is ProgressNote:
            for note in formset.deleted_objects:
                services.progress_note_delete(note=note, user=request.user)
            for note, _ in formset.changed_objects:
                services.progress_note_save(note=note, user=request.user)
            for note in formset.new_objects:
                note.created_by = request.user
                services.progress_note_save(note=note, user=request.user)
        else:  # the 令53 procedure of an idle parcel (parcels.admin_rules); it is never deleted here
            for procedure in [*formset.new_objects, *(procedure for procedure, _ in formset.changed_objects)]:
                services.idle_procedure_save(procedure=procedure, user=request.user)

    def delete_model(self, request, obj):
        services.parcel_delete(parcel=obj, user=request.user)
