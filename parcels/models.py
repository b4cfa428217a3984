import functools
import operator

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import F, Q, Sum
from django.utils import timezone
from django.utils.deconstruct import deconstructible
from simple_history.models import HistoricalRecords

from landtrack.dates import cn_date
from landtrack.lookups import SearchWord
from landtrack.validation import (
    AREA_DECIMAL_PLACES,
    AREA_MAX_DIGITS,
    DATE_RANGE_MESSAGES,
    ZERO,
    PositiveValidator,
    ValidatedModel,
    area_field,
    date_out_of_range,
    exact_area,
    text_field,
)
from leadership.choices import SUBCOUNTY_LEVELS, RegionLevel
from leadership.models import Region, Unit
from leadership.scope import ScopedQuerySet

from .choices import (
    ARTICLE_12_METHODS,
    METHODS_BY_KIND,
    DecisionKind,
    DisposalMethod,
    ExpropriationStatus,
    GovernmentCause,
    IdleCause,
    ParcelKind,
    ParcelStatus,
    SupplyMethod,
    UnsuppliedReason,
)

__all__ = ["Parcel", "Disposal", "ProgressNote", "SupplyRecord", "IdleProcedure", "SEARCH_FIELDS", "SEARCH_LOOKUPS"]

# What the admin's and the API's parcel search look in (each word, case-insensitively, in any of them).
# On PostgreSQL each has a trigram index on the search's own expression (migration 0009): a column added
# here needs its index there too (tests/parcels/test_search_index.py checks the plan).
SEARCH_FIELDS = (
    "code",
    "name",
    "approval_number",
    "supervision_number",
    "land_user",
    "contract_number",
    "batch_name",
    "location",
)
# The search fields as the admin and the API take them: each word with landtrack.lookups.SearchWord,
# which skips the upper-casing a caseless word too short for a trigram does not need.
SEARCH_LOOKUPS = tuple(f"{field}__{SearchWord.lookup_name}" for field in SEARCH_FIELDS)


# Fields each kind requires, and the fields that belong to one kind only.
UNSUPPLIED_REQUIRED = ("approval_number", "approval_date", "expropriation_status", "unsupplied_reason")
IDLE_REQUIRED = ("land_user", "supply_method", "supply_date", "agreed_start_date", "idle_cause")
UNSUPPLIED_ONLY = (
    "approval_number",
    "approval_date",
    "approving_authority",
    "batch_name",
    "expropriation_status",
    "current_use",
    "unsupplied_reason",
)
IDLE_ONLY = (
    "supervision_number",
    "contract_number",
    "land_user",
    "supply_method",
    "supply_date",
    "price_wan",
    "agreed_start_date",
    "idle_cause",
    "government_cause",
    "not_started_reason",
)


def not_before_1949(value):
    """A plausible date: from 1 October 1949 to the end of 2999 (the name is kept for the migrations)."""
    problem = date_out_of_range(value)
    if problem:
        raise ValidationError(DATE_RANGE_MESSAGES[problem], code="implausible_date")


@deconstructible
class WholeMatchValidator(RegexValidator):
    """A RegexValidator that the whole value must match. The pattern is written as the API schema publishes
    it, for any client's regular expressions (``^…$``, not Python's ``\\A…\\Z``); Python's ``$`` also
    matches before a final line break, which matching the whole value does not let through."""

    def __call__(self, value):
        if not self.regex.fullmatch(str(value)):
            raise ValidationError(self.message, code=self.code, params={"value": value})


def single_line(label):
    """The validator of a code or document number that a ledger's re-import matches: no line break, tab or
    other control character (NUL keeps ValidatedModel's own message). Pasted in by mistake, one makes a
    second code that looks the same, and an exported ledger, where XML makes every line break a line feed,
    no longer finds its parcel."""
    # What may be typed, not what may not: the API schema publishes the pattern as it stands. Blank values
    # are never validated, and the schema offers them apart: "+", so that the two do not overlap.
    return WholeMatchValidator(
        r"^[^\x01-\x1f\x7f-\x9f\u2028\u2029]+$",
        message=f"{label}不得包含换行、制表符等控制字符，请删去后再保存。",
        code="control_characters_not_allowed",
    )


def is_blank(value):
    return value is None or value == ""


def methods_fit_kind(field):
    """The condition that ``field`` holds a disposal method of the row's ``kind`` (METHODS_BY_KIND)."""
    return functools.reduce(
        operator.or_,
        (
            Q(kind=kind, **{f"{field}__in": [str(m) for m in methods]})
            for kind, methods in METHODS_BY_KIND.items()
        ),
    )


def disposals_outside_article_12(path=""):
    """The count of disposals (reached by ``path`` from the model asked) whose method art. 12 does not offer
    government-caused idleness: Parcel.clean refuses that cause to a parcel that has any."""
    return models.Count(f"{path}pk", filter=~Q(**{f"{path}method__in": ARTICLE_12_METHODS}))


class ParcelQuerySet(ScopedQuerySet):
    county_lookup = "county"

    def with_status(self, status):
        """Parcels whose disposals leave them pending, partly disposed of, or fully disposed of."""
        if status == ParcelStatus.PENDING:
            return self.filter(disposed_area_mu=0)
        if status == ParcelStatus.PARTIAL:
            return self.filter(disposed_area_mu__gt=0, disposed_area_mu__lt=F("area_mu"))
        if status == ParcelStatus.DISPOSED:
            return self.filter(disposed_area_mu__gte=F("area_mu"))
        return self.none()


class Parcel(ValidatedModel):
    """One ledger line (地块/宗地): approved land not yet supplied, or supplied land left idle."""

    #: The fields that may name a row of the county's city, not only the county's own (clean()).
    fields_of_its_city = frozenset({"responsible_unit"})

    county = models.ForeignKey(
        Region,
        on_delete=models.PROTECT,
        related_name="parcels",
        limit_choices_to={"level": RegionLevel.COUNTY},
        verbose_name="县（市、区）",
    )
    town = models.ForeignKey(
        Region,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="town_parcels",
        limit_choices_to={"level__in": [RegionLevel.TOWN, RegionLevel.ZONE]},
        verbose_name="乡镇（园区）",
    )
    code = models.CharField(
        "地块编号",
        max_length=50,
        validators=[single_line("地块编号")],
        help_text="本县内唯一；按文本保存，保留前导零。",
    )
    name = models.CharField("项目名称", max_length=200)
    location = models.CharField("坐落", max_length=200, blank=True)
    kind = models.CharField("类型", max_length=16, choices=ParcelKind.choices)
    area_mu = area_field("面积（亩）", help_text="批而未供填未供面积，闲置土地填闲置面积。")
    land_use = models.CharField("土地用途", max_length=100, blank=True)
    responsible_unit = models.ForeignKey(
        Unit,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="parcels",
        verbose_name="责任单位",
    )
    planned_method = models.CharField("拟处置方式", max_length=32, choices=DisposalMethod.choices, blank=True)
    planned_date = models.DateField("计划完成时间", null=True, blank=True, validators=[not_before_1949])
    center_lng = models.DecimalField(
        "中心点经度",
        max_digits=9,
        decimal_places=6,
        null=True,
        blank=True,
        validators=[
            MinValueValidator(73, "经度应在 73 至 136 度之间。"),
            MaxValueValidator(136, "经度应在 73 至 136 度之间。"),
        ],
    )
    center_lat = models.DecimalField(
        "中心点纬度",
        max_digits=8,
        decimal_places=6,
        null=True,
        blank=True,
        validators=[
            MinValueValidator(3, "纬度应在 3 至 54 度之间。"),
            MaxValueValidator(54, "纬度应在 3 至 54 度之间。"),
        ],
    )
    note = text_field("备注", blank=True)

    # 批而未供
    approval_number = models.CharField(
        "批准文号", max_length=100, blank=True, validators=[single_line("批准文号")]
    )
    approval_date = models.DateField("批准时间", null=True, blank=True, validators=[not_before_1949])
    approving_authority = models.CharField("批准机关", max_length=100, blank=True)
    batch_name = models.CharField("批次名称", max_length=200, blank=True)
    expropriation_status = models.CharField(
        "征收情况", max_length=16, choices=ExpropriationStatus.choices, blank=True
    )
    current_use = models.CharField("利用现状", max_length=200, blank=True)
    unsupplied_reason = models.CharField(
        "未供原因", max_length=32, choices=UnsuppliedReason.choices, blank=True
    )

    # 闲置土地
    supervision_number = models.CharField(
        "电子监管号", max_length=50, blank=True, validators=[single_line("电子监管号")]
    )
    contract_number = models.CharField(
        "合同编号", max_length=100, blank=True, validators=[single_line("合同编号")]
    )
    land_user = models.CharField("土地使用权人", max_length=200, blank=True)
    supply_method = models.CharField("供地方式", max_length=16, choices=SupplyMethod.choices, blank=True)
    supply_date = models.DateField("供地时间", null=True, blank=True, validators=[not_before_1949])
    price_wan = models.DecimalField(
        "价款（万元）",
        max_digits=14,
        decimal_places=4,
        null=True,
        blank=True,
        validators=[MinValueValidator(0, "价款不能为负数。")],
    )
    agreed_start_date = models.DateField("约定开工时间", null=True, blank=True, validators=[not_before_1949])
    idle_cause = models.CharField("闲置原因类别", max_length=16, choices=IdleCause.choices, blank=True)
    government_cause = models.CharField(
        "政府原因具体情形", max_length=32, choices=GovernmentCause.choices, blank=True
    )
    not_started_reason = text_field("未开工原因", blank=True)

    # Kept by the database from the parcel's disposals (signals.py); never edited by hand.
    disposed_area_mu = models.DecimalField(
        "已处置面积（亩）",
        max_digits=AREA_MAX_DIGITS,
        decimal_places=AREA_DECIMAL_PLACES,
        default=ZERO,
        editable=False,
    )
    # Raised on every change of the parcel or its disposals; the API's ETag and the admin's edit check.
    version = models.PositiveIntegerField("版本", default=1, editable=False)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    objects = ParcelQuerySet.as_manager()
    history = HistoricalRecords(
        verbose_name="地块变更记录",
        excluded_fields=["disposed_area_mu", "version", "created_at", "updated_at"],
    )

    class Meta:
        verbose_name = "地块"
        verbose_name_plural = "地块"
        ordering = ["county__code", "code"]
        indexes = [
            models.Index(fields=["county", "kind"], name="parcel_county_kind"),
            models.Index(fields=["county", "town"], name="parcel_county_town"),
            # The reminders read the soonest planned dates and the oldest unimplemented approvals.
            models.Index(
                fields=["planned_date"], name="parcel_planned_date", condition=Q(planned_date__isnull=False)
            ),
            models.Index(
                fields=["approval_date"],
                name="parcel_unimplemented_approval",
                condition=Q(kind=ParcelKind.UNSUPPLIED, expropriation_status=ExpropriationStatus.NOT_STARTED),
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["county", "code"],
                name="parcel_code_unique_per_county",
                violation_error_message="本县已有相同地块编号的地块。",
            ),
            models.CheckConstraint(
                condition=Q(kind__in=ParcelKind.values),
                name="parcel_kind_valid",
                violation_error_message="地块类型无效。",
            ),
            models.CheckConstraint(
                condition=Q(area_mu__gt=0),
                name="parcel_area_positive",
                violation_error_message="面积必须大于 0 亩。",
            ),
            models.CheckConstraint(
                condition=Q(disposed_area_mu__gte=0) & Q(disposed_area_mu__lte=F("area_mu")),
                name="parcel_disposed_within_area",
                violation_error_message="地块的处置面积合计不得超过地块面积。",
            ),
            models.CheckConstraint(
                condition=~Q(kind=ParcelKind.UNSUPPLIED)
                | (
                    ~Q(approval_number="")
                    & Q(approval_date__isnull=False)
                    & Q(expropriation_status__in=ExpropriationStatus.values)
                    & Q(unsupplied_reason__in=UnsuppliedReason.values)
                ),
                name="parcel_unsupplied_required",
                violation_error_message="批而未供地块必须填写批准文号、批准时间、征收情况和未供原因。",
            ),
            models.CheckConstraint(
                condition=~Q(kind=ParcelKind.IDLE)
                | (
                    ~Q(land_user="")
                    & Q(supply_date__isnull=False)
                    & Q(agreed_start_date__isnull=False)
                    & Q(supply_method__in=SupplyMethod.values)
                    & Q(idle_cause__in=IdleCause.values)
                ),
                name="parcel_idle_required",
                violation_error_message="闲置土地必须填写土地使用权人、供地方式、供地时间、约定开工时间和闲置原因类别。",
            ),
            models.CheckConstraint(
                condition=Q(government_cause="") | Q(idle_cause=IdleCause.GOVERNMENT),
                name="parcel_government_cause_needs_government",
                violation_error_message="只有政府原因造成的闲置才填写政府原因具体情形。",
            ),
            models.CheckConstraint(
                condition=Q(planned_method="") | methods_fit_kind("planned_method"),
                name="parcel_planned_method_fits_kind",
                violation_error_message="拟处置方式与地块类型不符。",
            ),
            models.CheckConstraint(
                condition=Q(center_lng__isnull=True, center_lat__isnull=True)
                | Q(center_lng__isnull=False, center_lat__isnull=False),
                name="parcel_centre_point_complete",
                violation_error_message="中心点经度和纬度应同时填写。",
            ),
        ]

    def __str__(self):
        return f"{self.code} {self.name}"

    @property
    def remaining_area_mu(self):
        return self.area_mu - self.disposed_area_mu

    @property
    def status(self):
        return ParcelStatus.of(self.area_mu, self.disposed_area_mu)

    def get_status_display(self):
        return ParcelStatus(self.status).label

    @property
    def base_date(self):
        """The date disposals may not precede: approval for 批而未供, supply for 闲置土地."""
        return self.approval_date if self.kind == ParcelKind.UNSUPPLIED else self.supply_date

    def clean(self):
        errors = {}

        def add(field, message):
            errors.setdefault(field, []).append(message)

        county = self.county if self.county_id else None
        if county is not None and county.level != RegionLevel.COUNTY:
            add("county", "请选择县（市、区）级区划。")
        if self.town_id:
            town = self.town
            if town.level not in SUBCOUNTY_LEVELS:
                add("town", "请选择乡镇或开发区（园区）。")
            elif county is not None and town.parent_id != county.pk:
                add("town", f"{town.name}不属于{county.name}。")
        if self.responsible_unit_id and county is not None:
            unit = self.responsible_unit
            if unit.region_id not in (county.pk, county.parent_id):
                add("responsible_unit", f"责任单位“{unit.name}”不属于{county.name}或其所属市。")

        if self.code:
            self.code = self.code.strip()
            if "," in self.code or "，" in self.code:
                # The coordinate files (DOMAIN.md §5) separate their fields by commas, either width.
                add(
                    "code",
                    "地块编号不能含逗号（“,”或“，”）：界址点坐标文件以逗号分隔各项，这样的编号无法写入和读回。",
                )
            elif self.county_id and self._code_in_use():
                add("code", f"本县已有地块编号为“{self.code}”的地块。")

        kind_label = ParcelKind(self.kind).label if self.kind in ParcelKind.values else ""
        if self.kind == ParcelKind.UNSUPPLIED:
            required, foreign = UNSUPPLIED_REQUIRED, IDLE_ONLY
        elif self.kind == ParcelKind.IDLE:
            required, foreign = IDLE_REQUIRED, UNSUPPLIED_ONLY
        else:
            required, foreign = (), ()
        for name in required:
            if is_blank(getattr(self, name)):
                add(name, f"{kind_label}地块必须填写{self._meta.get_field(name).verbose_name}。")
        for name in foreign:
            if not is_blank(getattr(self, name)):
                add(name, f"{kind_label}地块不填写{self._meta.get_field(name).verbose_name}。")

        if self.government_cause and self.idle_cause != IdleCause.GOVERNMENT:
            add("government_cause", "只有政府原因造成的闲置才填写政府原因具体情形。")
        if self.planned_method and self.kind in METHODS_BY_KIND:
            if self.planned_method not in METHODS_BY_KIND[self.kind]:
                add(
                    "planned_method",
                    f"“{DisposalMethod(self.planned_method).label}”不是{kind_label}的处置方式。",
                )

        today = timezone.localdate()
        for name in ("approval_date", "supply_date"):
            value = getattr(self, name)
            if value and value > today:
                add(name, f"{self._meta.get_field(name).verbose_name}不能晚于今天。")
        if (self.center_lng is None) != (self.center_lat is None):
            add("center_lng" if self.center_lng is None else "center_lat", "中心点经度和纬度应同时填写。")

        if self.pk:
            self._clean_against_disposals(add)
        if errors:
            raise ValidationError(errors)

    # clean() asks the database two questions: is the code taken in the county, and what do the parcel's
    # disposals pin down. The Excel importer (parcels/ledger.py) validates thousands of rows at once: it
    # loads both answers for the whole county in two queries and hands them to each row's parcel through
    # use_preloaded_checks(), so that every row still passes through this same clean().

    def use_preloaded_checks(self, *, codes, disposals):
        """Answer clean()'s database questions from the county's data loaded once, not one query each.

        ``codes`` maps every stored code of the parcel's county to its parcel's id; ``disposals`` maps
        the id of each parcel that has disposals to what :meth:`_stored_disposals` would read for it.
        """
        self._preloaded_checks = (codes, disposals)

    def _code_in_use(self):
        """Whether another parcel of the county already has this code."""
        preloaded = self.__dict__.get("_preloaded_checks")
        if preloaded is not None:
            owner = preloaded[0].get(self.code)
            return owner is not None and owner != self.pk
        return Parcel.objects.filter(county_id=self.county_id, code=self.code).exclude(pk=self.pk).exists()

    def _stored_disposals(self):
        """The stored county, kind, disposed area and first disposal date; None without disposals."""
        preloaded = self.__dict__.get("_preloaded_checks")
        if preloaded is not None:
            return preloaded[1].get(self.pk)
        rows = (
            Parcel.objects.filter(pk=self.pk)
            .order_by()
            .annotate(
                disposed=Sum("disposals__area_mu"),
                first=models.Min("disposals__date"),
                outside_article_12=disposals_outside_article_12("disposals__"),
            )
            .values("county_id", "kind", "disposed", "first", "outside_article_12")
        )
        stored = next(iter(rows), None)
        if stored is not None:
            stored["disposed"] = exact_area(stored["disposed"])
        return stored

    def _disposal_methods_outside_article_12(self):
        """The stored disposals' methods that art. 12 does not offer government-caused idleness, in order."""
        methods = set(
            Disposal.objects.filter(parcel_id=self.pk)
            .exclude(method__in=ARTICLE_12_METHODS)
            .values_list("method", flat=True)
        )
        return [method for method in DisposalMethod.values if method in methods]

    def _clean_against_disposals(self, add):
        stored = self._stored_disposals()
        if not stored or stored["disposed"] is None:
            return
        if stored["kind"] != self.kind:
            add("kind", "地块已有处置记录，不能更改类型。")
        if stored["county_id"] != self.county_id:
            add("county", "地块已有处置记录，不能更改所属县（市、区）。")
        if self.area_mu is not None and self.area_mu < stored["disposed"]:
            add("area_mu", f"面积不能小于已处置面积 {stored['disposed']:.4f} 亩。")
        if self.kind == ParcelKind.IDLE and self.idle_cause == IdleCause.GOVERNMENT and stored["outside_article_12"]:
            # Government-caused idleness is disposed of by art. 12's methods only (Disposal.clean): a cause
            # changed to it may not leave the parcel with disposals that the rule refuses. Which they are is
            # read only to say so.
            outside = self._disposal_methods_outside_article_12()
            if outside:
                labels = "、".join(f"“{DisposalMethod(method).label}”" for method in outside)
                add(
                    "idle_cause",
                    f"地块已有{labels}的处置记录，而政府原因造成的闲置土地只能按《闲置土地处置办法》第十二条处置；"
                    "如闲置原因确需改为政府原因，请先更正这些处置记录。",
                )
        base = self.base_date
        if base and base > stored["first"]:
            field = "approval_date" if self.kind == ParcelKind.UNSUPPLIED else "supply_date"
            add(
                field,
                f"已有 {cn_date(stored['first'])} 的处置记录，{self._meta.get_field(field).verbose_name}不能晚于该日期。",
            )


for searched in SEARCH_FIELDS:
    Parcel._meta.get_field(searched).register_lookup(SearchWord)


class DisposalQuerySet(ScopedQuerySet):
    county_lookup = "parcel__county"


class Disposal(ValidatedModel):
    """A dated act that takes area off the ledger (处置/消化): a supply, a withdrawal, a recovery and so on."""

    parcel = models.ForeignKey(
        Parcel, on_delete=models.PROTECT, related_name="disposals", verbose_name="地块"
    )
    method = models.CharField("处置方式", max_length=32, choices=DisposalMethod.choices)
    area_mu = area_field("处置面积（亩）")
    date = models.DateField("完成日期", validators=[not_before_1949])
    document_number = models.CharField("批文/合同/决定书编号", max_length=100, blank=True)
    supervision_number = models.CharField(
        "电子监管号",
        max_length=50,
        blank=True,
        help_text="供应处置可填写土地市场动态监测与监管系统的电子监管号。",
    )
    note = text_field("备注", blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
        verbose_name="录入人",
    )
    created_at = models.DateTimeField("录入时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)
    # Copies of the parcel's county and kind, which cannot change once it has disposals (Parcel.clean):
    # progress reads the disposals of a few days for every county at once without joining the parcels.
    # Set by parcels.rollup on every save, never by hand.
    county = models.ForeignKey(
        Region,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
        editable=False,
        verbose_name="县（市、区）",
    )
    kind = models.CharField("地块类型", max_length=16, choices=ParcelKind.choices, editable=False)

    objects = DisposalQuerySet.as_manager()
    history = HistoricalRecords(
        verbose_name="处置记录变更记录", excluded_fields=["updated_at", "county", "kind"]
    )

    class Meta:
        verbose_name = "处置记录"
        verbose_name_plural = "处置记录"
        ordering = ["date", "id"]
        indexes = [
            models.Index(fields=["parcel", "date"], name="disposal_parcel_date"),
            # The disposals of a few days, for every county at once (parcels.rollup): index-only on PostgreSQL.
            # Key columns rather than INCLUDE, which SQLite does not have.
            models.Index(fields=["date", "county", "kind", "area_mu"], name="disposal_date"),
            # One county's disposals of a period (its dashboard, its report): through the index above,
            # PostgreSQL walked the whole period of every county (23 ms of a county page; 0.6 with this).
            models.Index(fields=["county", "date"], name="disposal_county_date"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(area_mu__gt=0),
                name="disposal_area_positive",
                violation_error_message="处置面积必须大于 0 亩。",
            ),
            models.CheckConstraint(
                condition=Q(method__in=DisposalMethod.values),
                name="disposal_method_valid",
                violation_error_message="处置方式无效。",
            ),
            # On the copy of the parcel's kind: the database refuses what clean() reports on ``method``.
            models.CheckConstraint(
                condition=methods_fit_kind("method"),
                name="disposal_method_fits_kind",
                violation_error_message="处置方式与地块类型不符。",
            ),
        ]

    # Set by the admin's rows of a parcel (parcels.forms.DisposalInlineFormSet), which judge the rows' areas
    # together as typed: the form's check of this row alone against the others as stored is left to them.
    # Saving always checks against the rows stored (save, below).
    area_judged_with_rows = False

    def __str__(self):
        return f"{self.get_method_display()} {self.area_mu} 亩（{cn_date(self.date)}）"

    def copy_parcel_fields(self):
        """Take the parcel's county and kind (the copies progress reads); the parcel may be cached or not."""
        if self.parcel_id:
            parcel = self.parcel
            self.county_id, self.kind = parcel.county_id, parcel.kind

    def save(self, *args, **kwargs):
        self.area_judged_with_rows = False  # the rows stored are what the saved row must fit with
        super().save(*args, **kwargs)

    def clean_fields(self, exclude=None):
        self.copy_parcel_fields()
        # The copies are the parcel's; a missing parcel is reported on ``parcel`` alone.
        super().clean_fields(exclude={*(exclude or ()), "county", "kind"})

    def clean(self):
        errors = {}
        # The parcel as given: on the admin's page, the parcel as typed above the disposal's row, not yet
        # saved when the page adds it (so without an id); that the rows are checked against it, as saving
        # checks them again, keeps a refusal on its row rather than losing the whole page to it.
        if self.parcel_id is None and not self._meta.get_field("parcel").is_cached(self):
            return
        parcel = self.parcel
        if parcel is None or parcel.kind not in METHODS_BY_KIND:
            return  # the parcel's own form reports its kind
        kind_methods = METHODS_BY_KIND[parcel.kind]
        if self.method and self.method not in kind_methods:
            label = dict(DisposalMethod.choices).get(self.method, self.method)
            errors["method"] = f"“{label}”不是{parcel.get_kind_display()}的处置方式。"
        else:
            from .rules import method_errors  # the rules module reads this one: import late

            if article_12 := method_errors(parcel, self.method):
                errors["method"] = article_12
        if self.date:
            if self.date > timezone.localdate():
                errors["date"] = "完成日期不能晚于今天。"
            elif parcel.base_date and self.date < parcel.base_date:
                base_name = "批准时间" if parcel.kind == ParcelKind.UNSUPPLIED else "供地时间"
                errors["date"] = f"完成日期不能早于地块的{base_name} {cn_date(parcel.base_date)}。"
        if self.pk:
            stored_parcel = Disposal.objects.filter(pk=self.pk).values_list("parcel_id", flat=True).first()
            if stored_parcel is not None and stored_parcel != self.parcel_id:
                errors["parcel"] = "处置记录不能移到其他地块。"
        if (
            self.area_mu is not None
            and self.area_mu > 0
            and parcel.area_mu is not None
            and not self.area_judged_with_rows
        ):
            others = ZERO
            if self.parcel_id is not None:  # a parcel still to be saved has no disposals stored
                others = exact_area(
                    Disposal.objects.filter(parcel_id=self.parcel_id)
                    .exclude(pk=self.pk)
                    .aggregate(total=Sum("area_mu"))["total"]
                    or ZERO
                )
            remaining = parcel.area_mu - others
            if self.area_mu > remaining:
                errors["area_mu"] = f"处置面积 {self.area_mu:.4f} 亩超过地块剩余面积 {remaining:.4f} 亩。"
        if errors:
            raise ValidationError(errors)


class ProgressNoteQuerySet(ScopedQuerySet):
    county_lookup = "parcel__county"


class ProgressNote(ValidatedModel):
    """Dated free text on a parcel's progress (进展情况), for the ledger's dynamic management."""

    parcel = models.ForeignKey(Parcel, on_delete=models.CASCADE, related_name="notes", verbose_name="地块")
    date = models.DateField("日期", validators=[not_before_1949])
    text = text_field("进展情况")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
        verbose_name="录入人",
    )
    created_at = models.DateTimeField("录入时间", auto_now_add=True)

    objects = ProgressNoteQuerySet.as_manager()
    history = HistoricalRecords(verbose_name="进展情况变更记录")

    class Meta:
        verbose_name = "进展情况"
        verbose_name_plural = "进展情况"
        ordering = ["-date", "-id"]

    def __str__(self):
        return f"{cn_date(self.date)} {self.text[:20]}"

    def clean(self):
        if self.date and self.date > timezone.localdate():
            raise ValidationError({"date": "日期不能晚于今天。"})


class SupplyRecordQuerySet(ScopedQuerySet):
    county_lookup = "county"


class SupplyRecord(ValidatedModel):
    """A supply result from the national land-market monitoring system (土地市场动态监测与监管系统)."""

    county = models.ForeignKey(
        Region,
        on_delete=models.PROTECT,
        related_name="supply_records",
        limit_choices_to={"level": RegionLevel.COUNTY},
        verbose_name="县（市、区）",
    )
    supervision_number = models.CharField(
        "电子监管号", max_length=50, unique=True, validators=[single_line("电子监管号")]
    )
    project_name = models.CharField("项目名称", max_length=200)
    land_user = models.CharField("土地使用权人", max_length=200, blank=True)
    supply_method = models.CharField("供地方式", max_length=16, choices=SupplyMethod.choices, blank=True)
    area_ha = models.DecimalField(
        "面积（公顷）", max_digits=14, decimal_places=4, validators=[PositiveValidator("面积必须大于 0 公顷。")]
    )
    land_use = models.CharField("土地用途", max_length=100, blank=True)
    price_wan = models.DecimalField(
        "成交价格（万元）",
        max_digits=14,
        decimal_places=4,
        null=True,
        blank=True,
        validators=[MinValueValidator(0, "价格不能为负数。")],
    )
    contract_date = models.DateField("合同签订日期", null=True, blank=True, validators=[not_before_1949])
    agreed_delivery_date = models.DateField("约定交地时间", null=True, blank=True, validators=[not_before_1949])
    agreed_start_date = models.DateField("约定开工时间", null=True, blank=True, validators=[not_before_1949])
    agreed_completion_date = models.DateField("约定竣工时间", null=True, blank=True, validators=[not_before_1949])
    actual_start_date = models.DateField("实际开工时间", null=True, blank=True, validators=[not_before_1949])
    actual_completion_date = models.DateField("实际竣工时间", null=True, blank=True, validators=[not_before_1949])
    parcel = models.ForeignKey(
        Parcel,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="supply_records",
        verbose_name="对应闲置土地台账",
    )
    imported_at = models.DateTimeField("导入时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    objects = SupplyRecordQuerySet.as_manager()
    history = HistoricalRecords(verbose_name="供地记录变更记录", excluded_fields=["imported_at", "updated_at"])

    class Meta:
        verbose_name = "供地记录"
        verbose_name_plural = "供地记录（监管系统）"
        ordering = ["county__code", "supervision_number"]
        constraints = [
            models.CheckConstraint(
                condition=Q(area_ha__gt=0),
                name="supply_record_area_positive",
                violation_error_message="面积必须大于 0 公顷。",
            ),
            models.CheckConstraint(
                condition=Q(actual_completion_date__isnull=True)
                | Q(actual_start_date__isnull=True)
                | Q(actual_completion_date__gte=F("actual_start_date")),
                name="supply_record_completion_after_start",
                violation_error_message="实际竣工时间不能早于实际开工时间。",
            ),
        ]

    def __str__(self):
        return f"{self.supervision_number} {self.project_name}"

    # Dates of what has happened (the contract signed, the works started or finished): not in the future.
    PAST_DATES = ("contract_date", "actual_start_date", "actual_completion_date")

    def clean(self):
        """The rules the admin, the importer and the shell all apply (the constraints above, mirrored
        here so that a form or an import row names the field without asking the database)."""
        errors = {}
        today = timezone.localdate()
        for name in self.PAST_DATES:
            value = getattr(self, name)
            if value and value > today:
                errors[name] = f"{self._meta.get_field(name).verbose_name}不能晚于今天。"
        start, end = self.actual_start_date, self.actual_completion_date
        if start and end and end < start and "actual_completion_date" not in errors:
            errors["actual_completion_date"] = f"实际竣工时间不能早于实际开工时间 {cn_date(start)}。"
        if errors:
            raise ValidationError(errors)


class IdleProcedureQuerySet(ScopedQuerySet):
    county_lookup = "parcel__county"


class IdleProcedure(ValidatedModel):
    """The 令53 procedure on one idle parcel: investigation, finding, hearing and decision, with deadlines."""

    parcel = models.OneToOneField(
        Parcel, on_delete=models.CASCADE, related_name="idle_procedure", verbose_name="地块"
    )
    found_date = models.DateField("发现疑似闲置日期", null=True, blank=True, validators=[not_before_1949])
    notice_number = models.CharField("调查通知书文号", max_length=100, blank=True)
    notice_date = models.DateField("调查通知书送达日期", null=True, blank=True, validators=[not_before_1949])
    answer_date = models.DateField("使用权人答复日期", null=True, blank=True, validators=[not_before_1949])
    finding_number = models.CharField("闲置土地认定书文号", max_length=100, blank=True)
    finding_date = models.DateField("闲置土地认定书日期", null=True, blank=True, validators=[not_before_1949])
    hearing_offered_date = models.DateField("告知听证权利日期", null=True, blank=True, validators=[not_before_1949])
    hearing_requested = models.BooleanField("当事人申请听证", default=False)
    hearing_date = models.DateField("听证日期", null=True, blank=True, validators=[not_before_1949])
    decision_kind = models.CharField("决定书类别", max_length=16, choices=DecisionKind.choices, blank=True)
    decision_number = models.CharField("决定书文号", max_length=100, blank=True)
    decision_date = models.DateField("决定书日期", null=True, blank=True, validators=[not_before_1949])
    supplementary_agreement_date = models.DateField(
        "补充协议约定动工日期", null=True, blank=True, validators=[not_before_1949]
    )
    extension_until = models.DateField(
        "延长后动工开发期限", null=True, blank=True, validators=[not_before_1949], help_text="最长不超过一年。"
    )
    note = text_field("备注", blank=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    objects = IdleProcedureQuerySet.as_manager()
    history = HistoricalRecords(verbose_name="闲置土地处置程序变更记录", excluded_fields=["updated_at"])

    class Meta:
        verbose_name = "闲置土地处置程序"
        verbose_name_plural = "闲置土地处置程序"

    def __str__(self):
        return f"{self.parcel}：闲置土地处置程序"

    def clean(self):
        from .rules import procedure_errors  # the rules module reads this one: import late

        if self.parcel_id:
            errors = procedure_errors(self, timezone.localdate())
            if errors:
                raise ValidationError(errors)


class ParcelBoundaryQuerySet(ScopedQuerySet):
    county_lookup = "parcel__county"


class ParcelBoundary(ValidatedModel):
    """A parcel's surveyed boundary (界址) from a coordinate file: its points as written, and the same on the map.

    The points are kept in the Gauss-Krüger plane exactly as the file wrote them (Y with its zone prefix),
    so that an export re-reads to the same points; the longitude/latitude polygon (CGCS2000, EPSG 4490)
    and the area are computed from them on upload by ``parcels.boundaries``.
    """

    parcel = models.OneToOneField(
        Parcel, on_delete=models.CASCADE, related_name="boundary", verbose_name="地块"
    )
    zone = models.PositiveSmallIntegerField("投影带号", help_text="3 度带 25–45，6 度带 13–23。")
    zone_width = models.PositiveSmallIntegerField("分带", choices=[(3, "3 度带"), (6, "6 度带")])
    epsg = models.PositiveIntegerField("投影坐标系 EPSG 代码")
    rings = models.JSONField(
        "界址点（高斯-克吕格平面坐标）",
        help_text="按圈保存：[{\"ring\": 1, \"points\": [[点号, \"X\", \"Y\"], …]}, …]，Y 含带号，各圈首末点相同。",
    )
    geometry = models.JSONField("边界（经纬度 GeoJSON，CGCS2000）")
    bbox = models.JSONField("外包矩形（经纬度）", help_text="[最小经度, 最小纬度, 最大经度, 最大纬度]")
    center = models.JSONField("图内点（经纬度）", help_text="[经度, 纬度]，位于地块内部，用于地图标注。")
    area_m2 = models.DecimalField("计算面积（平方米）", max_digits=16, decimal_places=4)
    area_mu = area_field("计算面积（亩）", help_text="按高斯-克吕格平面坐标计算，外圈面积减去内圈面积。")
    file_area_ha = models.DecimalField(
        "文件中的地块面积（公顷）", max_digits=16, decimal_places=4, null=True, blank=True
    )
    file_header = models.JSONField("文件属性描述", default=dict, blank=True)
    parcel_line = models.JSONField("文件中的地块行", default=dict, blank=True)
    file_name = models.CharField("文件名", max_length=255, blank=True)
    encoding = models.CharField("文件编码", max_length=20, blank=True)
    warnings = models.JSONField("警告", default=list, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
        verbose_name="上传人",
    )
    uploaded_at = models.DateTimeField("上传时间", default=timezone.now, editable=False)

    objects = ParcelBoundaryQuerySet.as_manager()
    history = HistoricalRecords(verbose_name="地块边界变更记录")

    class Meta:
        verbose_name = "地块边界"
        verbose_name_plural = "地块边界"
        constraints = [
            models.CheckConstraint(
                condition=(Q(zone__gte=25, zone__lte=45, zone_width=3) | Q(zone__gte=13, zone__lte=23, zone_width=6)),
                name="boundary_zone_valid",
                violation_error_message="带号不是我国范围内的 3 度带（25–45）或 6 度带（13–23）带号。",
            ),
            models.CheckConstraint(
                condition=(Q(zone_width=3, epsg=F("zone") + 4488) | Q(zone_width=6, epsg=F("zone") + 4478)),
                name="boundary_epsg_matches_zone",
                violation_error_message="EPSG 代码与带号不符。",
            ),
            models.CheckConstraint(
                condition=Q(area_mu__gt=0) & Q(area_m2__gt=0),
                name="boundary_area_positive",
                violation_error_message="边界面积必须大于 0。",
            ),
        ]

    def __str__(self):
        return f"{self.parcel}：边界"


__all__ += ["ParcelBoundary"]


def _through_month(month):
    return models.DecimalField(
        f"截至{month}月底累计处置面积（亩）",
        max_digits=AREA_MAX_DIGITS,
        decimal_places=AREA_DECIMAL_PLACES,
        default=ZERO,
    )


class DisposalYearTotal(models.Model):
    """The area disposed of in one county, of one kind of parcel, in one year: cumulated month by month.

    ``through_03`` is everything dated from 1 January to 31 March of ``year``. A denormalised copy of the
    disposals, kept by ``parcels.rollup`` in the same transaction as every disposal write, so that progress
    for every county reads one row per county and kind instead of every disposal. Never edited by hand;
    ``manage.py rebuild_progress_rollup --check`` compares it with the disposals.
    """

    # Derived rows: a county that no parcel refers to any more may go, and its zero totals with it.
    county = models.ForeignKey(
        Region, on_delete=models.CASCADE, related_name="+", db_index=False, verbose_name="县（市、区）"
    )
    kind = models.CharField("类型", max_length=16, choices=ParcelKind.choices)
    year = models.PositiveSmallIntegerField("年度")
    through_01 = _through_month(1)
    through_02 = _through_month(2)
    through_03 = _through_month(3)
    through_04 = _through_month(4)
    through_05 = _through_month(5)
    through_06 = _through_month(6)
    through_07 = _through_month(7)
    through_08 = _through_month(8)
    through_09 = _through_month(9)
    through_10 = _through_month(10)
    through_11 = _through_month(11)
    through_12 = _through_month(12)
    disposals = models.IntegerField("处置记录数", default=0)

    class Meta:
        verbose_name = "年度处置汇总"
        verbose_name_plural = "年度处置汇总"
        constraints = [
            models.UniqueConstraint(fields=["county", "kind", "year"], name="disposal_year_total_unique"),
        ]
        indexes = [models.Index(fields=["year"], name="disposal_year_total_year")]

    def __str__(self):
        return f"{self.county_id} {self.kind} {self.year}: {self.through_12}"


class ParcelCount(models.Model):
    """How many parcels of one kind and status a county's ledger holds: kept by ``parcels.rollup`` with
    every parcel insert, move, delete or change of status, so that the parcel list, filtered by a status or
    not, counts a million rows without scanning them."""

    county = models.ForeignKey(
        Region, on_delete=models.CASCADE, related_name="+", db_index=False, verbose_name="县（市、区）"
    )
    kind = models.CharField("类型", max_length=16, choices=ParcelKind.choices)
    status = models.CharField(
        "处置状态", max_length=16, choices=ParcelStatus.choices, default=ParcelStatus.PENDING
    )
    parcels = models.IntegerField("地块数", default=0)

    class Meta:
        verbose_name = "地块数汇总"
        verbose_name_plural = "地块数汇总"
        constraints = [
            models.UniqueConstraint(fields=["county", "kind", "status"], name="parcel_count_unique"),
        ]

    def __str__(self):
        return f"{self.county_id} {self.kind} {self.status}: {self.parcels}"


__all__ += ["DisposalYearTotal", "ParcelCount"]
