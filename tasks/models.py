import datetime
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models, transaction
from django.db.models import F, Q
from django.utils import timezone
from simple_history.models import HistoricalRecords

from landtrack.dates import cn_date, cn_month_day
from landtrack.validation import PositiveValidator, ValidatedModel, area_field, text_field
from leadership.choices import RegionLevel
from leadership.models import LeadershipGroup, Region, Unit
from leadership.scope import ScopedQuerySet
from parcels.models import not_before_1949

from .choices import (
    DEFAULT_MILESTONES,
    FINISHED_RECTIFICATION,
    RECTIFICATION_FLOW,
    RectificationStatus,
    TaskCategory,
)

__all__ = [
    "Campaign",
    "CampaignPhase",
    "CatalogStamp",
    "CountyTask",
    "ENTERED_CLOSED",
    "Milestone",
    "RectificationItem",
    "milestone_set_errors",
    "milestone_set_problems",
    "foreign_units_message",
    "closed_units_message",
]

HUNDRED = Decimal("100")


def year_validators():
    return [
        MinValueValidator(2000, "年度应在 2000 至 2100 之间。"),
        MaxValueValidator(2100, "年度应在 2000 至 2100 之间。"),
    ]


class CampaignQuerySet(ScopedQuerySet):
    county_lookup = "region"
    # A county's tasks and items may be filed under its city's campaign (campaign_of_county_or_city).
    county_reads_its_city = True


class Campaign(ValidatedModel):
    """A campaign or work plan (专项行动 / 工作方案) issued by a county or city government document."""

    region = models.ForeignKey(
        Region, on_delete=models.PROTECT, related_name="campaigns", verbose_name="所属区划"
    )
    year = models.PositiveSmallIntegerField("年度", validators=year_validators())
    name = models.CharField("名称", max_length=200)
    issuer = models.CharField("发文机关", max_length=100, blank=True)
    document_number = models.CharField("文号", max_length=100, blank=True)
    document_date = models.DateField("印发日期", null=True, blank=True, validators=[not_before_1949])
    scope_start_year = models.PositiveSmallIntegerField(
        "清理范围起始年", null=True, blank=True, validators=year_validators()
    )
    scope_end_year = models.PositiveSmallIntegerField(
        "清理范围截止年", null=True, blank=True, validators=year_validators()
    )
    goals = text_field("目标任务", blank=True)
    leadership_group = models.ForeignKey(
        LeadershipGroup,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="campaigns",
        verbose_name="领导小组",
    )

    objects = CampaignQuerySet.as_manager()
    history = HistoricalRecords(verbose_name="专项行动变更记录")

    class Meta:
        verbose_name = "专项行动"
        verbose_name_plural = "专项行动"
        ordering = ["-year", "region__code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(scope_start_year__isnull=True)
                | Q(scope_end_year__isnull=True)
                | Q(scope_start_year__lte=F("scope_end_year")),
                name="campaign_scope_years_ordered",
                violation_error_message="清理范围截止年不能早于起始年。",
            ),
        ]

    def __str__(self):
        return self.name

    def clean(self):
        errors = {}
        if self.region_id and self.region.level not in (RegionLevel.COUNTY, RegionLevel.CITY):
            errors["region"] = "专项行动应属于县（市、区）或市。"
        if self.scope_start_year and self.scope_end_year and self.scope_start_year > self.scope_end_year:
            errors["scope_end_year"] = "清理范围截止年不能早于起始年。"
        if self.leadership_group_id and self.region_id and self.leadership_group.region_id != self.region_id:
            errors["leadership_group"] = "领导小组应属于本区划。"
        if "region" not in errors:
            self._clean_region_against_filed(errors)
        if errors:
            raise ValidationError(errors)

    def _clean_region_against_filed(self, errors):
        """A campaign keeps a region under which the items and tasks filed under it may stay: its county's,
        or its city's (campaign_of_county_or_city). Moved elsewhere, they would be filed under another
        county's plan, and every later change of them refused."""
        if not self.pk or not self.region_id:
            return
        stored = Campaign.objects.filter(pk=self.pk).values_list("region_id", flat=True).first()
        if stored in (None, self.region_id):
            return
        stays = Q(county_id=self.region_id) | Q(county__parent_id=self.region_id)
        counties = set(self.rectification_items.exclude(stays).values_list("county__name", flat=True))
        counties |= set(self.tasks.exclude(stays).values_list("county__name", flat=True))
        if counties:
            errors["region"] = (
                f"{'、'.join(sorted(counties))}的整改事项或县级任务归在该专项行动下，"
                f"不能改属{self.region.name}。"
            )


class CampaignPhase(ValidatedModel):
    """A phase of a campaign (安排部署、清理处置、总结提高) with its dates."""

    campaign = models.ForeignKey(
        Campaign, on_delete=models.CASCADE, related_name="phases", verbose_name="专项行动"
    )
    order = models.PositiveSmallIntegerField("排序", default=0)
    name = models.CharField("阶段名称", max_length=50)
    start_date = models.DateField("开始日期", validators=[not_before_1949])
    end_date = models.DateField("结束日期", validators=[not_before_1949])

    history = HistoricalRecords(verbose_name="工作阶段变更记录")

    class Meta:
        verbose_name = "工作阶段"
        verbose_name_plural = "工作阶段"
        ordering = ["campaign", "order", "start_date"]
        constraints = [
            models.CheckConstraint(
                condition=Q(start_date__lte=F("end_date")),
                name="phase_dates_ordered",
                violation_error_message="结束日期不能早于开始日期。",
            ),
        ]

    def __str__(self):
        return f"{self.name}（{cn_month_day(self.start_date)}—{cn_month_day(self.end_date)}）"

    def clean(self):
        if self.start_date and self.end_date and self.start_date > self.end_date:
            raise ValidationError({"end_date": "结束日期不能早于开始日期。"})


class CountyTaskQuerySet(ScopedQuerySet):
    county_lookup = "county"


def of_county_or_its_city(record, county):
    """Whether a record with a region (a unit, a campaign) is the county's own or its city's."""
    return record.region_id in (county.pk, county.parent_id)


def campaign_of_county_or_city(record, errors):
    """A county's task and rectification item are filed under a campaign of the county or of its city, where
    the county's leadership group and the city bureau read them: not under another county's."""
    if record.campaign_id and record.county_id and not of_county_or_its_city(record.campaign, record.county):
        label = record._meta.get_field("campaign").verbose_name
        errors["campaign"] = (
            f"{label}应属于本县或所属市，“{record.campaign}”不是{record.county.name}或其所属市的。"
        )


class CountyTask(ValidatedModel):
    """The area a county must dispose of in a year (年度消化任务), assigned by the city, with milestones."""

    #: The fields that may name a row of the county's city, not only the county's own (clean()).
    fields_of_its_city = frozenset({"lead_unit", "campaign"})

    county = models.ForeignKey(
        Region,
        on_delete=models.PROTECT,
        related_name="tasks",
        limit_choices_to={"level": RegionLevel.COUNTY},
        verbose_name="县（市、区）",
    )
    year = models.PositiveSmallIntegerField("年度", validators=year_validators())
    category = models.CharField("任务类别", max_length=16, choices=TaskCategory.choices)
    name = models.CharField("任务名称", max_length=200, blank=True)
    target_area_mu = area_field("任务面积（亩）", validators=[PositiveValidator("任务面积必须大于 0 亩。")])
    assigned_by = models.CharField("下达单位", max_length=100, blank=True)
    document_number = models.CharField("下达文号", max_length=100, blank=True)
    start_date = models.DateField(
        "任务期开始", blank=True, validators=[not_before_1949], help_text="留空为当年 1 月 1 日。"
    )
    end_date = models.DateField(
        "任务期结束", blank=True, validators=[not_before_1949], help_text="留空为当年 12 月 31 日。"
    )
    lead_unit = models.ForeignKey(
        Unit,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="led_tasks",
        verbose_name="牵头单位",
    )
    # PROTECT: a campaign deleted from under its tasks and items would change them (closed items too) with
    # no history of it; the admin lists them as what keeps the campaign.
    campaign = models.ForeignKey(
        Campaign,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="tasks",
        verbose_name="专项行动",
    )
    note = text_field("备注", blank=True)
    version = models.PositiveIntegerField("版本", default=1, editable=False)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    objects = CountyTaskQuerySet.as_manager()
    history = HistoricalRecords(
        verbose_name="任务变更记录", excluded_fields=["version", "created_at", "updated_at"]
    )

    class Meta:
        verbose_name = "县级任务"
        verbose_name_plural = "县级任务"
        ordering = ["-year", "county__code", "category"]
        constraints = [
            models.UniqueConstraint(
                fields=["county", "year", "category"],
                name="task_unique_per_county_year_category",
                violation_error_message="该县该年度已有同类任务。",
            ),
            models.CheckConstraint(
                condition=Q(target_area_mu__gt=0),
                name="task_target_positive",
                violation_error_message="任务面积必须大于 0 亩。",
            ),
            models.CheckConstraint(
                condition=Q(start_date__lte=F("end_date")),
                name="task_period_ordered",
                violation_error_message="任务期结束不能早于开始。",
            ),
            models.CheckConstraint(
                condition=Q(category__in=TaskCategory.values),
                name="task_category_valid",
                violation_error_message="任务类别无效。",
            ),
        ]

    # Set by writers that check and write the task's milestones as one set (tasks.services.task_save,
    # the admin's task form). Without it, as in the shell, a new task gets the notice's default
    # milestones on save, and a changed period is checked against the stored milestones.
    milestones_checked_as_set = False
    # Set by writers of many tasks at once (tasks.services.task_bulk_assign): the categories of the
    # county's other tasks of the year, read for every county in one query, which clean() then judges
    # instead of reading them again for each task.
    categories_held = None

    def __str__(self):
        return self.name or f"{self.county}{self.year}年度{self.get_category_display()}任务"

    def save(self, *args, **kwargs):
        adding = self._state.adding
        with transaction.atomic():
            super().save(*args, **kwargs)
            if adding and not self.milestones_checked_as_set:
                for due, rate in self.default_milestones():
                    milestone = Milestone(task=self, due=due, target_rate=rate)
                    milestone.checked_as_set = True  # the defaults were checked against the period in clean()
                    milestone.save()

    def clean_fields(self, exclude=None):
        if self.year and isinstance(self.year, int) and 2000 <= self.year <= 2100:
            if self.start_date is None:
                self.start_date = datetime.date(self.year, 1, 1)
            if self.end_date is None:
                self.end_date = datetime.date(self.year, 12, 31)
        super().clean_fields(exclude=exclude)

    def clean(self):
        errors = {}
        if self.county_id and self.county.level != RegionLevel.COUNTY:
            errors["county"] = "请选择县（市、区）级区划。"
        if self.start_date and self.end_date and self.start_date > self.end_date:
            errors["end_date"] = "任务期结束不能早于开始。"
        elif (
            isinstance(self.year, int)
            and isinstance(self.start_date, datetime.date)
            and isinstance(self.end_date, datetime.date)
            and not self.start_date.year <= self.year <= self.end_date.year
        ):
            # A period may run into the year from the one before or on into the next, but a task of one
            # year wholly in another is a year changed without its period (and milestones), or a typo.
            errors["year"] = (
                f"任务期 {cn_date(self.start_date)} 至 {cn_date(self.end_date)} 不含 {self.year} 年的任何一天，"
                "请一并修改任务期和时间节点。"
            )
        if self.lead_unit_id and self.county_id and not of_county_or_its_city(self.lead_unit, self.county):
            errors["lead_unit"] = "牵头单位应属于本县或所属市。"
        campaign_of_county_or_city(self, errors)
        if self.county_id and self.year and self.category:
            # A 批而未用 task already counts both kinds; another task of either kind would count twice.
            held = self.categories_held
            if held is None:
                held = (
                    CountyTask.objects.filter(county_id=self.county_id, year=self.year)
                    .exclude(pk=self.pk)
                    .order_by()
                    .values_list("category", flat=True)
                )
            clash = sorted(
                category
                for category in held
                if self.category == TaskCategory.BOTH or category in (self.category, TaskCategory.BOTH)
            )
            existing = clash[0] if clash else None
            if existing == self.category:
                errors["category"] = f"该县{self.year}年度已有“{self.get_category_display()}”任务。"
            elif existing:
                errors["category"] = (
                    "同一县同一年度不能既有“批而未用”任务又有单项任务，否则处置面积会重复计算。"
                )
        if not self.milestones_checked_as_set and "end_date" not in errors:
            self._clean_period_against_milestones(errors)
        if errors:
            raise ValidationError(errors)

    def _clean_period_against_milestones(self, errors):
        """The period must hold the milestones: the stored ones, or the defaults a new task will get."""
        if not (isinstance(self.start_date, datetime.date) and isinstance(self.end_date, datetime.date)):
            return
        if self._state.adding:
            if not (isinstance(self.year, int) and 2000 <= self.year <= 2100):
                return
            dues = [due for due, _ in self.default_milestones()]
            why = "（未给出时间节点的新任务按 5月31日、6月30日、9月30日、11月30日 设置节点）"
        else:
            dues = list(self.milestones.values_list("due", flat=True))
            why = ""
        if dues and min(dues) < self.start_date:
            errors["start_date"] = f"任务期开始不能晚于时间节点 {cn_date(min(dues))}{why}。"
        if dues and max(dues) > self.end_date:
            errors["end_date"] = f"任务期结束不能早于时间节点 {cn_date(max(dues))}{why}。"

    def default_milestones(self):
        """The notice's 25/50/85/100 % at 31 May, 30 June, 30 Sept and 30 Nov of the task's year."""
        return [
            (datetime.date(self.year, month, day), Decimal(rate)) for month, day, rate in DEFAULT_MILESTONES
        ]


def milestone_set_problems(milestones, start_date=None, end_date=None):
    """``(field, Chinese message)`` for each way a set of ``(due, target_rate)`` pairs breaks the rules.

    Rates must rise with the due dates, the last must be 100 % and every date must fall inside the task
    period. Empty when the set is valid.
    """
    if not milestones:
        return [("due", "至少需要一个节点。")]
    problems = []
    dues = [due for due, _ in milestones]
    if len(set(dues)) != len(dues):
        problems.append(("due", "节点日期不能重复。"))
    ordered = sorted(milestones, key=lambda pair: pair[0])
    for due, rate in ordered:
        if rate <= 0:
            problems.append(("target_rate", f"节点 {cn_date(due)} 的目标 {rate}% 应大于 0。"))
    for (due_a, rate_a), (due_b, rate_b) in zip(ordered, ordered[1:], strict=False):
        if due_a != due_b and rate_b <= rate_a:
            problems.append(
                (
                    "target_rate",
                    f"节点目标应随日期递增：{cn_date(due_b)} 的 {rate_b}% 不高于 {cn_date(due_a)} 的 {rate_a}%。",
                )
            )
    if ordered[-1][1] != HUNDRED:
        problems.append(("target_rate", f"最后一个节点（{cn_date(ordered[-1][0])}）的目标应为 100%。"))
    for due, _ in ordered:
        if start_date and end_date and not (start_date <= due <= end_date):
            problems.append(
                (
                    "due",
                    f"节点日期 {cn_date(due)} 不在任务期 {cn_date(start_date)} 至 {cn_date(end_date)} 内。",
                )
            )
    return problems


def milestone_set_errors(milestones, start_date=None, end_date=None):
    """Chinese messages for a whole set of ``(due, target_rate)`` pairs; empty when the set is valid."""
    return [message for _, message in milestone_set_problems(milestones, start_date, end_date)]


def _by_field(problems):
    errors = {}
    for field, message in problems:
        errors.setdefault(field, []).append(message)
    return errors


class Milestone(ValidatedModel):
    """A cumulative target of a task: by this date, this percentage of the target area disposed of."""

    task = models.ForeignKey(
        CountyTask, on_delete=models.CASCADE, related_name="milestones", verbose_name="任务"
    )
    due = models.DateField("节点日期", validators=[not_before_1949])
    target_rate = models.DecimalField(
        "累计目标（%）",
        max_digits=5,
        decimal_places=2,
        validators=[
            PositiveValidator("目标比例必须大于 0。"),
            MaxValueValidator(100, "目标比例不能超过 100%。"),
        ],
    )

    history = HistoricalRecords(verbose_name="节点变更记录")

    class Meta:
        verbose_name = "时间节点"
        verbose_name_plural = "时间节点"
        ordering = ["task", "due"]
        constraints = [
            models.UniqueConstraint(
                fields=["task", "due"],
                name="milestone_due_unique_per_task",
                violation_error_message="同一任务的节点日期不能重复。",
            ),
            models.CheckConstraint(
                condition=Q(target_rate__gt=0) & Q(target_rate__lte=100),
                name="milestone_rate_in_range",
                violation_error_message="目标比例应大于 0 且不超过 100%。",
            ),
        ]

    # The rules bind the set, not one row: rates rise with the dates, the last is 100 %, every date lies
    # in the task period. Writers of a whole set (tasks.services.task_save, the admin's milestone inline)
    # check it at once with milestone_set_errors and set this on each row they write; a row saved or
    # deleted on its own (the shell) is judged against the task's stored milestones, so the stored set
    # is valid after every single-row change too.
    checked_as_set = False

    def __str__(self):
        return f"{cn_date(self.due)} 完成 {self.target_rate}%"

    def clean(self):
        if self.checked_as_set or not self.task_id:
            return
        if not isinstance(self.due, datetime.date) or not isinstance(self.target_rate, Decimal):
            return  # the field itself is reported by clean_fields
        others = list(
            Milestone.objects.filter(task_id=self.task_id)
            .exclude(pk=self.pk)
            .values_list("due", "target_rate")
        )
        if any(due == self.due for due, _ in others):
            return  # a repeated date is reported by milestone_due_unique_per_task
        task = self.task
        problems = milestone_set_problems(
            [*others, (self.due, self.target_rate)], task.start_date, task.end_date
        )
        if problems:
            raise ValidationError(_by_field(problems))

    def delete(self, *args, **kwargs):
        if not self.checked_as_set:
            rest = list(
                Milestone.objects.filter(task_id=self.task_id)
                .exclude(pk=self.pk)
                .values_list("due", "target_rate")
            )
            if not rest:
                raise ValidationError("任务至少需要一个时间节点；撤销任务请删除任务本身。")
            task = self.task
            problems = milestone_set_problems(rest, task.start_date, task.end_date)
            if problems:
                raise ValidationError(
                    [f"删除 {cn_date(self.due)} 的节点后：{message}" for _, message in problems]
                )
        return super().delete(*args, **kwargs)


#: The refusal of any change to a closed (销号) item: the record stands as it was signed off.
FINAL_MESSAGE = "已销号的事项不再变更。"
CLOSED_NOT_DELETED = "已销号的事项不能删除。"
#: The refusal of a new item entered closed: 销号 signs off an item done (已完成 → 已销号) and is final, so a
#: mistake in an item entered closed could never be corrected, nor the item deleted.
ENTERED_CLOSED = "新增的整改事项不能直接销号：请先按“已完成”录入，核实后再销号。"


def foreign_units_message(county, units):
    """The refusal for responsible units that are not all of ``county``'s own; None when they are.

    The units are a many-to-many set, written after the item itself, so the rule cannot sit in
    RectificationItem.clean(): tasks.services.rectification_save enforces it, and the admin's form asks
    it first to show the refusal next to the field.
    """
    foreign = [unit.name for unit in units if unit.region_id != county.pk]
    if foreign:
        return f"责任单位应属于本县，{'、'.join(foreign)}不属于{county.name}。"
    return None


def closed_units_message(item, units):
    """The refusal for ``units`` as the responsible units of ``item`` when it is stored closed (销号) with
    others; None when it is not closed, or they are the same. Asked by tasks.services.rectification_save
    (the set is written after the item, beyond RectificationItem.clean()) and the admin's form."""
    if not item.pk:
        return None
    # One row per unit (one row of None without units); no rows unless the item is stored closed.
    rows = list(
        RectificationItem.objects.closed().filter(pk=item.pk).values_list("responsible_units", flat=True)
    )
    if rows and set(rows) - {None} != {unit.pk for unit in units}:
        return FINAL_MESSAGE
    return None


class RectificationItemQuerySet(ScopedQuerySet):
    county_lookup = "county"

    def pending_on(self, as_of):
        """The items not yet done on the date: unfinished, or finished after it (completed_date is when
        an item was done; an item reopened has none)."""
        return self.exclude(status__in=FINISHED_RECTIFICATION, completed_date__lte=as_of)

    def overdue(self, as_of):
        """The items overdue on the date: the deadline passed before it and not done by then."""
        return self.pending_on(as_of).filter(deadline__lt=as_of)

    def closed(self):
        """The items closed (销号): stored as signed off, neither changed nor deleted any more."""
        return self.filter(status=RectificationStatus.CLOSED)


class RectificationItem(ValidatedModel):
    """A rectification item (整改事项) from an inspection or reform plan, to be done by its deadline and closed."""

    #: The fields that may name a row of the county's city (campaign_of_county_or_city); its units are its own.
    fields_of_its_city = frozenset({"campaign"})

    county = models.ForeignKey(
        Region,
        on_delete=models.PROTECT,
        related_name="rectification_items",
        limit_choices_to={"level": RegionLevel.COUNTY},
        verbose_name="县（市、区）",
    )
    campaign = models.ForeignKey(
        Campaign,
        on_delete=models.PROTECT,  # as CountyTask.campaign
        null=True,
        blank=True,
        related_name="rectification_items",
        verbose_name="整改方案",
    )
    source_document = models.CharField("问题来源", max_length=200, blank=True)
    section = models.CharField("方案条目", max_length=50, blank=True, help_text="如“二、（一）1”。")
    order = models.PositiveSmallIntegerField("排序", default=0)
    title = models.CharField("整改事项", max_length=200)
    description = text_field("整改措施", blank=True)
    deadline = models.DateField("整改时间", null=True, blank=True, validators=[not_before_1949])
    lead_unit = models.ForeignKey(
        Unit,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="led_rectifications",
        verbose_name="牵头单位",
    )
    responsible_units = models.ManyToManyField(
        Unit, blank=True, related_name="rectifications", verbose_name="责任单位"
    )
    status = models.CharField(
        "状态", max_length=16, choices=RectificationStatus.choices, default=RectificationStatus.NOT_STARTED
    )
    completed_date = models.DateField("完成日期", null=True, blank=True, validators=[not_before_1949])
    evidence = text_field("佐证材料", blank=True, help_text="销号须注明佐证材料。")
    version = models.PositiveIntegerField("版本", default=1, editable=False)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
        verbose_name="最后修改人",
    )

    objects = RectificationItemQuerySet.as_manager()
    history = HistoricalRecords(
        verbose_name="整改事项变更记录",
        excluded_fields=["version", "created_at", "updated_at", "updated_by"],
        m2m_fields=[responsible_units],
    )

    class Meta:
        verbose_name = "整改事项"
        verbose_name_plural = "整改事项"
        ordering = ["county__code", "order", "deadline", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=RectificationStatus.values),
                name="rectification_status_valid",
                violation_error_message="状态无效。",
            ),
            models.CheckConstraint(
                condition=~Q(status__in=FINISHED_RECTIFICATION) | Q(completed_date__isnull=False),
                name="rectification_finished_has_date",
                violation_error_message="已完成或已销号的事项必须填写完成日期。",
            ),
            models.CheckConstraint(
                condition=~Q(status=RectificationStatus.CLOSED) | ~Q(evidence=""),
                name="rectification_closed_has_evidence",
                violation_error_message="销号必须注明佐证材料。",
            ),
            models.CheckConstraint(
                condition=Q(status__in=FINISHED_RECTIFICATION) | Q(completed_date__isnull=True),
                name="rectification_unfinished_has_no_date",
                violation_error_message="未完成的事项不填写完成日期。",
            ),
        ]

    def __str__(self):
        return self.title

    def done_by(self, as_of):
        """Whether the item was done (已完成 or 已销号) on the date: finished then, not only later."""
        # As pending_on(): a finished item holds its completed_date (constraint rectification_finished_has_date).
        return (
            self.status in FINISHED_RECTIFICATION
            and self.completed_date is not None
            and self.completed_date <= as_of
        )

    def is_overdue(self, as_of=None):
        """Overdue on the date (default today): the deadline passed before it and not done by then."""
        as_of = as_of or timezone.localdate()
        return bool(self.deadline and self.deadline < as_of and not self.done_by(as_of))

    @property
    def overdue(self):
        return self.is_overdue()

    def clean(self):
        errors = {}
        if self.county_id and self.county.level != RegionLevel.COUNTY:
            errors["county"] = "请选择县（市、区）级区划。"
        if self.status in FINISHED_RECTIFICATION and not self.completed_date:
            errors["completed_date"] = "已完成或已销号的事项必须填写完成日期。"
        if self.status == RectificationStatus.CLOSED and not self.evidence.strip():
            errors["evidence"] = "销号必须注明佐证材料。"
        if self.completed_date and self.completed_date > timezone.localdate():
            errors["completed_date"] = "完成日期不能晚于今天。"
        if self.completed_date and self.status not in FINISHED_RECTIFICATION:
            errors["completed_date"] = "未完成的事项不填写完成日期。"
        if self.lead_unit_id and self.county_id and self.lead_unit.region_id != self.county_id:
            errors["lead_unit"] = "牵头单位应属于本县。"
        campaign_of_county_or_city(self, errors)
        if self.pk:
            self._clean_against_stored(errors)
        elif self.status == RectificationStatus.CLOSED:
            errors.setdefault("status", ENTERED_CLOSED)
        if errors:
            raise ValidationError(errors)

    def _clean_against_stored(self, errors):
        """The status moves along RECTIFICATION_FLOW; a closed item (销号) keeps every field as it was closed."""
        fields = [field for field in self._meta.concrete_fields if field.editable and not field.primary_key]
        stored = RectificationItem.objects.filter(pk=self.pk).values(*(f.attname for f in fields)).first()
        if stored is None:
            return
        if stored["status"] == RectificationStatus.CLOSED:
            for field in fields:
                if field.name != "status" and _as_kept(stored[field.attname]) != _as_kept(
                    getattr(self, field.attname)
                ):
                    errors.setdefault(field.name, FINAL_MESSAGE)
        was = stored["status"]
        if "status" not in errors and was != self.status and self.status not in RECTIFICATION_FLOW[was]:
            errors["status"] = (
                f"状态按 未开始 → 推进中 → 已完成 → 已销号 推进，不能从“{RectificationStatus(was).label}”"
                f"改为“{RectificationStatus(self.status).label}”"
                + ("（已销号的事项不再变更）。" if was == RectificationStatus.CLOSED else "。")
            )

    def delete(self, *args, **kwargs):
        """A closed item (销号) stays: it is the record of what was signed off."""
        if RectificationItem.objects.closed().filter(pk=self.pk).exists():
            raise ValidationError(CLOSED_NOT_DELETED)
        return super().delete(*args, **kwargs)


def _as_kept(value):
    """A value as compared for a change: a browser sends a text area's line breaks back as CRLF."""
    return value.replace("\r\n", "\n") if isinstance(value, str) else value


class CatalogStamp(models.Model):
    """A token that the database itself changes whenever a county task, a milestone or a region is written.

    One row (id 1). Triggers installed by migration 0004 replace ``token`` with a new random value in the
    same transaction as every INSERT, UPDATE or DELETE (and TRUNCATE, on PostgreSQL) of those tables,
    whatever writes them: forms, the API, bulk inserts, fixtures, raw SQL. :func:`tasks.catalog.held`
    keeps what each process read of them (a year's tasks, the counties' codes) and reads it again when the
    token it saw has changed; a random token is never reused, so work that was rolled back cannot match a
    later state.
    """

    token = models.CharField("版本标记", max_length=32)

    class Meta:
        verbose_name = "任务目录版本"
        verbose_name_plural = "任务目录版本"

    def __str__(self):
        return self.token
