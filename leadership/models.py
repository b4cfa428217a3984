from django.contrib.auth.models import AbstractUser, UserManager
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from rest_framework.authtoken.models import TokenProxy
from simple_history.models import HistoricalRecords

from landtrack.validation import (
    DATE_RANGE_MESSAGES,
    ValidatedModel,
    date_out_of_range,
    protect_from_sets,
    text_field,
)

from .choices import (
    PARENT_LEVEL,
    ROLE_REGION_LEVEL,
    SIX_DIGIT_LEVELS,
    MemberRole,
    RegionLevel,
    Role,
    UnitKind,
)
from .scope import ScopedQuerySet

__all__ = ["Region", "Unit", "LeadershipGroup", "GroupMember", "User"]

# The levels a unit or a leadership group belongs to: a county's, or its city's.
OWNER_LEVELS = (RegionLevel.COUNTY, RegionLevel.CITY)


def models_naming(obj, narrowed=None):
    """The verbose names of the models whose rows name ``obj`` through a foreign key or a many-to-many, each
    once (an item may name a unit both as lead and as responsible unit). ``narrowed``: ``{model: filter}``,
    the only rows of that model that count."""
    named = []
    for relation in obj._meta.related_objects:
        model = relation.related_model
        rows = model._default_manager.filter(**{relation.field.name: obj}, **(narrowed or {}).get(model, {}))
        if rows.exists():
            named.append(str(model._meta.verbose_name))
    return list(dict.fromkeys(named))


class RegionQuerySet(models.QuerySet):
    def counties(self):
        return self.filter(level=RegionLevel.COUNTY)


class RegionManager(models.Manager.from_queryset(RegionQuerySet)):
    def get_by_natural_key(self, code):
        return self.get(code=code)


class Region(ValidatedModel):
    """An administrative division (GB/T 2260), or a development zone that leads cleanup in its area."""

    code = models.CharField(
        "区划代码",
        max_length=9,
        unique=True,
        validators=[RegexValidator(r"^[0-9]{6}([0-9]{3})?\Z", "区划代码应为 6 位或 9 位数字。")],
        error_messages={"unique": "区划代码已存在。"},
    )
    name = models.CharField("名称", max_length=50)
    level = models.CharField("级别", max_length=16, choices=RegionLevel.choices)
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        verbose_name="上级区划",
    )

    objects = RegionManager()

    class Meta:
        verbose_name = "行政区划"
        verbose_name_plural = "行政区划"
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(level__in=RegionLevel.values),
                name="region_level_valid",
                violation_error_message="区划级别无效。",
            ),
        ]

    def __str__(self):
        return self.name

    def natural_key(self):
        return (self.code,)

    def clean(self):
        errors = {}
        if self.code and self.level:
            six = self.level in SIX_DIGIT_LEVELS
            if six and len(self.code) != 6:
                errors["code"] = "省、市、县级区划代码应为 6 位数字。"
            elif not six and len(self.code) != 9:
                errors["code"] = "乡镇、开发区代码应为 9 位数字。"
        expected_parent = PARENT_LEVEL.get(self.level)
        if self.parent_id and expected_parent and self.parent.level != expected_parent:
            errors["parent"] = (
                f"{self.get_level_display()}的上级应为{RegionLevel(expected_parent).label}级区划。"
            )
        if self.level in (RegionLevel.TOWN, RegionLevel.ZONE):
            if not self.parent_id:
                errors["parent"] = "乡镇、开发区必须属于一个县（市、区）。"
            elif self.code and not self.code.startswith(self.parent.code):
                errors["code"] = f"代码应以所属县（市、区）代码 {self.parent.code} 开头。"
        if errors:
            raise ValidationError(errors)


class UnitQuerySet(ScopedQuerySet):
    county_lookup = "region"
    county_reads_its_city = True


class Unit(ValidatedModel):
    """A responsible unit (责任单位): a department, town government or zone committee with duties in the campaign."""

    region = models.ForeignKey(
        Region, on_delete=models.PROTECT, related_name="units", verbose_name="所属区划"
    )
    name = models.CharField("单位名称", max_length=100)
    kind = models.CharField("单位类别", max_length=32, choices=UnitKind.choices, default=UnitKind.OTHER)
    duties = text_field("工作职责", blank=True)
    order = models.PositiveSmallIntegerField("排序", default=0)

    objects = UnitQuerySet.as_manager()
    history = HistoricalRecords(verbose_name="责任单位变更记录")

    class Meta:
        verbose_name = "责任单位"
        verbose_name_plural = "责任单位"
        ordering = ["region__code", "order", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["region", "name"],
                name="unit_name_unique_per_region",
                violation_error_message="该区划下已有同名单位。",
            ),
        ]

    def __str__(self):
        return self.name

    def clean(self):
        if self.region_id and self.region.level not in OWNER_LEVELS:
            raise ValidationError({"region": "责任单位应属于县（市、区）或市。"})
        if self.pk and self.region_id:
            stored = Unit.objects.filter(pk=self.pk).values_list("region_id", flat=True).first()
            named = self.named_by() if stored not in (None, self.region_id) else []
            if named:
                raise ValidationError(
                    {
                        "region": f"该单位已被{'、'.join(named)}引用，不能改属其他区划"
                        "（否则这些记录会指向另一区划的单位）；请先在这些记录中改用其他单位。"
                    }
                )

    def named_by(self):
        """The verbose names of the models whose rows name this unit (a group's office, members, items,
        tasks, parcels …): each takes the units of its own region only, so such a unit keeps its region."""
        return models_naming(self)


class LeadershipGroupQuerySet(ScopedQuerySet):
    county_lookup = "region"


# A rectification item's responsible units: a unit it names is not deleted from under it.
protect_from_sets(Unit)


class LeadershipGroup(ValidatedModel):
    """A leadership group (领导小组) set up by a county document to run the campaign, with its office."""

    region = models.ForeignKey(
        Region, on_delete=models.PROTECT, related_name="leadership_groups", verbose_name="所属区划"
    )
    name = models.CharField("名称", max_length=200)
    document_number = models.CharField("成立文件文号", max_length=100, blank=True)
    document_date = models.DateField("成立文件日期", null=True, blank=True)
    office_unit = models.ForeignKey(
        Unit,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="hosted_offices",
        verbose_name="办公室设在",
    )
    office_director = models.CharField("办公室主任", max_length=50, blank=True)
    office_duties = text_field("办公室职责", blank=True)

    objects = LeadershipGroupQuerySet.as_manager()
    history = HistoricalRecords(verbose_name="领导小组变更记录")

    class Meta:
        verbose_name = "领导小组"
        verbose_name_plural = "领导小组"
        ordering = ["region__code", "-document_date", "id"]

    def __str__(self):
        return self.name

    def clean(self):
        errors = {}
        if self.region_id and self.region.level not in OWNER_LEVELS:
            errors["region"] = "领导小组应属于县（市、区）或市。"
        elif self.pk and self.region_id:
            stored = LeadershipGroup.objects.filter(pk=self.pk).values_list("region_id", flat=True).first()
            named = self.named_by() if stored not in (None, self.region_id) else []
            if named:
                errors["region"] = (
                    f"该领导小组已被{'、'.join(named)}引用，不能改属其他区划"
                    "（否则这些记录会指向另一区划的领导小组或单位）；请先在这些记录中改用其他领导小组或单位。"
                )
        if self.office_unit_id and self.region_id and self.office_unit.region_id != self.region_id:
            errors["office_unit"] = "办公室所在单位应属于本区划。"
        problem = date_out_of_range(self.document_date)
        if problem:
            errors["document_date"] = DATE_RANGE_MESSAGES[problem]
        if errors:
            raise ValidationError(errors)

    def named_by(self):
        """The verbose names of the models whose rows tie this group to its region: the campaigns it runs
        (each takes a group of its own region), and its members who sit in a unit (of the group's region).
        Members named without a unit may move with it."""
        return models_naming(self, narrowed={GroupMember: {"unit__isnull": False}})


class GroupMember(ValidatedModel):
    """A member of a leadership group, in the order the document published them."""

    group = models.ForeignKey(
        LeadershipGroup, on_delete=models.CASCADE, related_name="members", verbose_name="领导小组"
    )
    order = models.PositiveSmallIntegerField("排序", default=0)
    role = models.CharField("职务类别", max_length=16, choices=MemberRole.choices, default=MemberRole.MEMBER)
    name = models.CharField("姓名", max_length=50, blank=True, help_text="文件未列姓名时可留空，只填职务。")
    unit = models.ForeignKey(
        Unit,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="group_members",
        verbose_name="所在单位",
    )
    title = models.CharField("职务", max_length=100, blank=True)

    history = HistoricalRecords(verbose_name="领导小组成员变更记录")

    class Meta:
        verbose_name = "领导小组成员"
        verbose_name_plural = "领导小组成员"
        ordering = ["group", "order", "id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(name="", title=""),
                name="group_member_has_name_or_title",
                violation_error_message="姓名和职务至少填写一项。",
            ),
        ]

    def __str__(self):
        return f"{self.get_role_display()} {self.name or self.title}"

    def clean(self):
        if not self.name and not self.title:
            raise ValidationError({"name": "姓名和职务至少填写一项。"})
        if self.unit_id and self.group_id and self.unit.region_id != self.group.region_id:
            raise ValidationError({"unit": "成员所在单位应属于领导小组所在区划。"})


class User(AbstractUser):
    """A person who signs in, with the role and region that decide what they may see and change."""

    role = models.CharField("角色", max_length=16, choices=Role.choices, blank=True)
    region = models.ForeignKey(
        Region,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="users",
        verbose_name="所属区划",
    )

    objects = UserManager()

    _password_withdrawn = False  # set_unusable_password() since the last save()

    class Meta(AbstractUser.Meta):
        verbose_name = "用户"
        verbose_name_plural = "用户"

    def save(self, *args, **kwargs):
        # A password set anew or taken away revokes the account's API token, as it signs the account's other
        # browser sessions out: whoever had the old password may have taken the token with it. Not the hasher's
        # upgrade of an unchanged password at sign-in, which clears ``_password`` before it saves.
        revoke = self.pk is not None and (self._password is not None or self._password_withdrawn)
        super().save(*args, **kwargs)
        self._password_withdrawn = False
        if revoke:
            from .services import TOKEN_REVOKED_WITH_PASSWORD, token_revoke  # services import this module

            token_revoke(user=self, why=TOKEN_REVOKED_WITH_PASSWORD)

    def clean(self):
        super().clean()
        level = ROLE_REGION_LEVEL.get(self.role)
        if level is None:
            return
        if not self.region_id:
            raise ValidationError({"region": f"角色“{self.get_role_display()}”必须指定所属区划。"})
        if self.region.level != level:
            raise ValidationError(
                {"region": f"角色“{self.get_role_display()}”的所属区划应为{RegionLevel(level).label}级。"}
            )

    @property
    def is_admin_role(self):
        return self.is_superuser or self.role == Role.ADMIN

    def set_unusable_password(self):
        super().set_unusable_password()
        self._password_withdrawn = True

    def apply_role(self):
        """Django's flags as the account's role has them: every role works in the admin (``is_staff``), and
        the administrator role, alone, is the superuser (django-axes' and the API tokens' pages go by Django's
        permissions). Called wherever a role is given or changed (create_account, demo_setup, the admin's
        account form); an account without a role that has never had one (``createsuperuser``'s) keeps its
        flags, as no caller applies a role to it."""
        self.is_staff = bool(self.role)
        self.is_superuser = self.role == Role.ADMIN


def masked_key(key):
    """An API token's key as pages show it: enough to tell tokens apart, too little to sign in with."""
    return f"{key[:4]}…{key[-2:]}" if key else ""


class ApiToken(TokenProxy):
    """A user's API token (rest_framework.authtoken), as the administrator's pages list it: who holds one and
    since when, to revoke it. Its key is never shown whole: whoever held it could act in the API as its user,
    and the change history would name that user."""

    class Meta:
        proxy = True
        verbose_name = "API 令牌"
        verbose_name_plural = "API 令牌"

    def __str__(self):
        return masked_key(self.key)
