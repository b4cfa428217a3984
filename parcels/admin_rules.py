"""The parcel admin's rule flags and idle-land procedure (issue 6): mixed into ParcelAdmin."""

from urllib.parse import urlencode

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from landtrack.admin_base import COUNTY_FILTERS, LandTrackAdmin, ScopedInlineMixin
from landtrack.dates import cn_date
from leadership.models import Region
from leadership.scope import can_write, is_admin

from . import services
from .admin_ledger import writable_counties
from .choices import ParcelFlag, ParcelKind
from .models import IdleProcedure, SupplyRecord
from .rules import (
    flag_filter,
    parcel_flags,
    procedure_deadlines,
    supply_record_flags,
    suspected_idle_filter,
    with_rule_facts,
)
from .supply_records import COLUMNS as SUPPLY_COLUMNS
from .supply_records import MAX_ROWS as SUPPLY_MAX_ROWS
from .supply_records import supply_records_import


class FlagFilter(admin.SimpleListFilter):
    title = "规则提示"
    parameter_name = "flag"

    def lookups(self, request, model_admin):
        return ParcelFlag.choices

    def queryset(self, request, queryset):
        if self.value() in ParcelFlag.values:
            return queryset.filter(flag_filter(self.value(), timezone.localdate()))
        return queryset


class IdleProcedureFormSet(forms.BaseInlineFormSet):
    def _construct_form(self, i, **kwargs):
        form = super()._construct_form(i, **kwargs)
        # The page's parcel, read with its rule facts as of today (RulesAdminMixin.get_queryset), which the
        # deadlines need: not read again.
        form.instance.parcel = self.instance
        return form


class IdleProcedureInline(ScopedInlineMixin, admin.StackedInline):
    """The 令53 procedure: notice, answer, finding, hearing, decision — each deadline flagged when passed."""

    model = IdleProcedure
    formset = IdleProcedureFormSet
    max_num = 1
    extra = 0
    can_delete = False
    readonly_fields = ("deadlines",)
    fieldsets = (
        ("调查", {"fields": ("found_date", ("notice_number", "notice_date"), "answer_date")}),
        ("认定", {"fields": (("finding_number", "finding_date"),)}),
        (
            "听证与决定",
            {
                "fields": (
                    ("hearing_offered_date", "hearing_requested", "hearing_date"),
                    ("decision_kind", "decision_number", "decision_date"),
                )
            },
        ),
        (
            "延长动工开发期限（第十二条第（一）项）",
            {"fields": (("supplementary_agreement_date", "extension_until"),)},
        ),
        ("期限", {"fields": ("deadlines", "note")}),
    )

    @admin.display(description="程序期限")
    def deadlines(self, procedure):
        if not procedure.pk:
            return "保存后显示各项期限。"
        items = procedure_deadlines(procedure, timezone.localdate())
        if not items:
            return "—"
        return format_html_join(
            "",
            '<div class="deadline {}">{}：{} {}</div>',
            (
                (
                    "overdue" if item.overdue else "late" if item.late else "ok",
                    item.name,
                    cn_date(item.due),  # format_html escapes each value into text first
                    "已逾期"
                    if item.overdue
                    else f"（{cn_date(item.done)} 完成，已超期）"
                    if item.late
                    else f"（{cn_date(item.done)} 完成）"
                    if item.done
                    else "（已动工开发）"
                    if item.met
                    else "（地块已全部处置，不再计算）"
                    if item.settled
                    else "",
                )
                for item in items
            ),
        )


# The parameter of the parcel add page opened from a supply record ("生成台账"): the record's id.
SUPPLY_RECORD_PARAMETER = "supply_record"


def supply_record_pk(raw):
    """The supply record's id in a "生成台账" link, or None when the text is no id (①, 1e3, a 30-digit number)."""
    if raw and raw.isascii() and raw.isdecimal() and len(raw) <= 18:
        return int(raw)
    return None


class OpenedFromSupplyRecordForm:
    """The add form of an idle-land ledger line opened from a supply record: refused on the form, with what
    the clerk typed kept, when the record may not open one (services.supply_record_lock_for_ledger), and
    when the line would not be the record's land (another county, kind or 电子监管号).

    The record is locked from this check until the admin's transaction (the whole POST) ends, so the line,
    its disposals and the record's link are saved together or not at all, and a second clerk saving from
    the same record waits, then is refused.
    """

    supply_record_parameter = ""  # the link's text, set by RulesAdminMixin.get_form
    supply_record_user = None
    supply_record = None  # the locked record, once the form is valid

    def clean(self):
        cleaned = super().clean()
        pk = supply_record_pk(self.supply_record_parameter)
        if pk is None:
            raise services.SupplyRecordNotFound()
        record = services.supply_record_lock_for_ledger(
            pk=pk, records=SupplyRecord.objects.visible_to(self.supply_record_user)
        )
        problems = services.supply_record_mismatches(
            record,
            county=cleaned.get("county"),
            kind=cleaned.get("kind"),
            supervision_number=cleaned.get("supervision_number"),
        )
        for field, message in problems.items():
            self.add_error(field, message)
        self.supply_record = record
        return cleaned


class RulesAdminMixin:
    """Adds the rule flags (with their reasons) and the 令53 procedure to the parcel pages."""

    def get_queryset(self, request):
        return with_rule_facts(super().get_queryset(request), timezone.localdate())

    def get_list_filter(self, request):
        return [*super().get_list_filter(request), FlagFilter]

    def get_list_display(self, request):
        return [*super().get_list_display(request), "flags_column"]

    def get_readonly_fields(self, request, obj=None):
        return [*super().get_readonly_fields(request, obj), "flags_detail"]

    def get_fieldsets(self, request, obj=None):
        fieldsets = list(super().get_fieldsets(request, obj))
        if obj is not None:
            fieldsets.insert(1, ("规则提示", {"fields": ("flags_detail",)}))
        return fieldsets

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        if obj is None and SUPPLY_RECORD_PARAMETER in request.GET:
            opened = {
                "supply_record_parameter": request.GET[SUPPLY_RECORD_PARAMETER],
                "supply_record_user": request.user,
            }
            form = type(form.__name__, (OpenedFromSupplyRecordForm, form), opened)
        return form

    def get_changeform_initial_data(self, request):
        """The add page opened from a supply record ("生成台账"): filled in as the API's to-parcel fills it,
        the link's other parameters taking precedence; a record that may not open a line is said so at once,
        before anything is typed."""
        initial = super().get_changeform_initial_data(request)
        if SUPPLY_RECORD_PARAMETER not in request.GET:
            return initial
        pk = supply_record_pk(request.GET[SUPPLY_RECORD_PARAMETER])
        record = SupplyRecord.objects.visible_to(request.user).filter(pk=pk).first() if pk else None
        try:
            if record is None:
                raise services.SupplyRecordNotFound()
            services.supply_record_check_for_ledger(record)
        except services.SupplyRecordRefused as refusal:
            self.message_user(request, refusal.message, messages.ERROR)
        if record is None:
            return initial
        fields = services.supply_record_ledger_fields(record)
        fields["county"] = fields.pop("county_id")
        return {**fields, **initial}

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        record = getattr(form, "supply_record", None)
        if not change and record is not None:
            # Locked since the form's check, in this same transaction: the line and the link, or neither.
            services.supply_record_link(record=record, parcel=form.instance, user=request.user)

    def get_inlines(self, request, obj):
        inlines = list(super().get_inlines(request, obj))
        if obj is not None and obj.kind == ParcelKind.IDLE:
            inlines.append(IdleProcedureInline)
        return inlines

    @admin.display(description="规则提示")
    def flags_column(self, parcel):
        flags = parcel_flags(parcel, timezone.localdate()) if hasattr(parcel, "disposed_as_of") else []
        return "、".join(flag.label for flag in flags) or "—"

    @admin.display(description="规则提示及依据")
    def flags_detail(self, parcel):
        if not hasattr(parcel, "disposed_as_of"):
            return "—"
        flags = parcel_flags(parcel, timezone.localdate())
        if not flags:
            return "截至今天无规则提示。"
        return format_html_join(
            "",
            '<p class="flag flag-{}"><strong>{}</strong>：{}</p>',
            ((f.code, f.label, f.reason) for f in flags),
        )


class SuspectedIdleFilter(admin.SimpleListFilter):
    title = "疑似闲置（按今天）"
    parameter_name = "suspected_idle"

    def lookups(self, request, model_admin):
        return (("yes", "疑似闲置"), ("no", "否"))

    def queryset(self, request, queryset):
        condition = suspected_idle_filter(timezone.localdate())
        if self.value() == "yes":
            return queryset.filter(condition)
        if self.value() == "no":
            return queryset.exclude(condition)
        return queryset


class SupplyImportForm(forms.Form):
    file = forms.FileField(
        label="供地结果文件",
        help_text=f"监管系统导出的 Excel 工作簿（.xlsx），不超过 {SUPPLY_MAX_ROWS} 行。",
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx"}),
    )
    county = forms.ModelChoiceField(label="县（市、区）", queryset=Region.objects.none(), empty_label=None)
    dry_run = forms.BooleanField(label="只检查，不导入", required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        # Supply records are imported by those who keep the county's ledger.
        self.fields["county"].queryset = writable_counties(user)


@admin.register(SupplyRecord)
class SupplyRecordAdmin(LandTrackAdmin):
    """Supply results imported from the monitoring system: read-only, with the idle-land check."""

    change_list_template = "admin/parcels/supplyrecord_change_list.html"

    list_display = (
        "supervision_number",
        "project_name",
        "county",
        "land_user",
        "area_ha",
        "agreed_start_date",
        "actual_start_date",
        "suspected",
        "ledger",
    )
    list_select_related = ("county", "parcel")
    list_filter = (*COUNTY_FILTERS, SuspectedIdleFilter, "supply_method")
    search_fields = ("supervision_number", "project_name", "land_user")
    actions = None

    def get_urls(self):
        view = self.admin_site.admin_view(self.import_view)
        return [path("import/", view, name="parcels_supplyrecord_import"), *super().get_urls()]

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "can_import": writable_counties(request.user).exists()}
        return super().changelist_view(request, extra_context)

    def import_view(self, request):
        """Upload the monitoring system's export: every row is imported, or none (errors by row and column)."""
        if not writable_counties(request.user).exists():
            raise PermissionDenied
        result = None
        form = SupplyImportForm(request.POST or None, request.FILES or None, user=request.user)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            result = supply_records_import(
                source=data["file"], county=data["county"], user=request.user, dry_run=data["dry_run"]
            )
            if result.ok:
                counts = f"新增 {result.created} 条、更新 {result.updated} 条、未变 {result.unchanged} 条"
                if not data["dry_run"]:
                    self.message_user(
                        request, f"已导入{data['county'].name}的供地记录：{counts}。", messages.SUCCESS
                    )
                    return HttpResponseRedirect(reverse("admin:parcels_supplyrecord_changelist"))
                self.message_user(request, f"检查通过，导入后将{counts}；尚未写入。", messages.INFO)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": "导入监管系统供地结果",
            "form": form,
            "result": result,
            "columns": [column.header for column in SUPPLY_COLUMNS],
            "changelist_url": reverse("admin:parcels_supplyrecord_changelist"),
        }
        return TemplateResponse(request, "admin/parcels/supplyrecord_import.html", context)

    def has_add_permission(self, request, *args):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return is_admin(request.user)

    @admin.display(description="疑似闲置")
    def suspected(self, record):
        flags = supply_record_flags(record, timezone.localdate())
        if not flags:
            return "—"
        return format_html('<strong class="flag" title="{}">{}</strong>', flags[0].reason, flags[0].label)

    def get_list_display(self, request):
        user = request.user

        @admin.display(description="闲置土地台账")
        def ledger(record):
            # "生成台账" only for those who may add the line (the county's clerk): others would meet a refusal.
            return self.ledger(record, may_open=can_write(user, "parcels.parcel", record.county))

        return [ledger if name == "ledger" else name for name in super().get_list_display(request)]

    @admin.display(description="闲置土地台账")
    def ledger(self, record, may_open=False):
        if record.parcel_id:
            return format_html(
                '<a href="{}">{}</a>',
                reverse("admin:parcels_parcel_change", args=[record.parcel_id]),
                record.parcel.code,
            )
        if not may_open:
            return "—"
        # The add page fills itself in from the record (RulesAdminMixin.get_changeform_initial_data).
        query = urlencode({SUPPLY_RECORD_PARAMETER: record.pk})
        return format_html('<a href="{}?{}">生成台账</a>', reverse("admin:parcels_parcel_add"), query)
