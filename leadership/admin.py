from axes.admin import AccessAttemptAdmin as AxesAccessAttemptAdmin
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminPasswordChangeForm, UserChangeForm
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.forms.models import BaseInlineFormSet
from django.utils import timezone
from django.utils.safestring import SafeData, mark_safe
from django.utils.text import Truncator
from rest_framework.authtoken.admin import TokenAdmin as RestFrameworkTokenAdmin
from rest_framework.authtoken.models import Token, TokenProxy

from landtrack.admin_base import REGION_FILTERS, LandTrackAdmin, ScopedInlineMixin
from leadership.choices import ROLE_REGION_LEVEL, Role
from leadership.scope import can_read_admin, is_admin

from .models import OWNER_LEVELS, ApiToken, GroupMember, LeadershipGroup, Region, Unit, User, masked_key

# Access follows each user's role and region (leadership.scope), not Django's permission groups.
admin.site.unregister(Group)
# API tokens are listed without their keys (ApiToken).
admin.site.unregister(TokenProxy)


@admin.register(Region)
class RegionAdmin(admin.ModelAdmin):
    """Reference data (GB/T 2260): read-only for everyone; loaded with ``loaddata regions``."""

    list_display = ("code", "name", "level", "parent")
    list_select_related = ("parent",)
    list_filter = ("level",)
    search_fields = ("code", "name")
    actions = None

    def has_module_permission(self, request):
        return can_read_admin(request.user)

    def has_view_permission(self, request, obj=None):
        return can_read_admin(request.user)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class OwnerRegionChoicesMixin:
    """The region of a unit or a group is chosen among counties and cities only: a town or zone, which the
    scope's list also holds, would be offered only for the model to refuse it."""

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if db_field.name == "region" and field is not None:
            field.queryset = field.queryset.filter(level__in=OWNER_LEVELS)
        return field


@admin.register(Unit)
class UnitAdmin(OwnerRegionChoicesMixin, LandTrackAdmin):
    list_display = ("name", "region", "kind", "duties_summary")
    list_select_related = ("region",)
    list_filter = (*REGION_FILTERS, "kind")
    search_fields = ("name", "duties")
    fields = ("region", "name", "kind", "order", "duties")

    @admin.display(description="工作职责")
    def duties_summary(self, unit):
        return Truncator(unit.duties).chars(60)


class GroupMemberFormSet(BaseInlineFormSet):
    """A group's members, a row added numbered after the last one listed: the order's default (0) would
    put a member added at the foot of the list above the group's leader."""

    def get_form_kwargs(self, index):
        kwargs = super().get_form_kwargs(index)
        if index is None or index >= self.initial_form_count():
            # The members' rows as the formset reads them for its own forms: no query more.
            last = max((member.order for member in self.get_queryset()), default=0)
            kwargs["initial"] = {"order": last + 1, **kwargs.get("initial", {})}
        return kwargs


class GroupMemberInline(ScopedInlineMixin, admin.TabularInline):
    model = GroupMember
    formset = GroupMemberFormSet
    fields = ("order", "role", "name", "title", "unit")
    extra = 1

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("unit").order_by("order", "id")


@admin.register(LeadershipGroup)
class LeadershipGroupAdmin(OwnerRegionChoicesMixin, LandTrackAdmin):
    inlines = [GroupMemberInline]
    list_display = (
        "name",
        "region",
        "document_number",
        "document_date",
        "office_unit",
        "office_director",
        "member_count",
    )
    list_select_related = ("region", "office_unit")
    list_filter = REGION_FILTERS
    search_fields = ("name", "document_number", "members__name")
    # By region, then name: the list, and the campaigns' autocomplete, which pages through groups.
    ordering = ("region__code", "name", "pk")
    fields = (
        "region",
        "name",
        ("document_number", "document_date"),
        ("office_unit", "office_director"),
        "office_duties",
    )

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(member_total=Count("members"))

    @admin.display(description="成员数", ordering="member_total")
    def member_count(self, group):
        return group.member_total


def _masked(lines, keys):
    """The admin's nested list of what a deletion takes, with each key in ``keys`` masked."""
    if isinstance(lines, list):
        return [_masked(line, keys) for line in lines]
    masked = lines
    for key in keys:
        masked = masked.replace(key, masked_key(key))
    # A line links to the object's page (HTML made safe by the admin); a key and its mask are plain text.
    return mark_safe(masked) if isinstance(lines, SafeData) else masked


class PasswordChangeForm(AdminPasswordChangeForm):
    """Django's, its help on switching password sign-in off said for LandTrack, where there is no other way
    to sign in: Django's joins an English warning to it when its module is imported, past any translation."""

    usable_password_help_text = (
        "是否允许该用户用密码登录。LandTrack 只能用密码登录：禁用后该用户不能再登录（停用账号也可取消“有效”）。"
        '<ul id="id_unusable_warning" class="messagelist"><li class="warning">'
        "禁用后，该用户当前的密码即作废。</li></ul>"
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # User.save revokes the token: an outside system signed in as this account stops until it signs in anew.
        self.fields["password1"].help_text += "<p>保存后，该账号的 API 令牌随即作废，须以新密码重新取得。</p>"


class AccountChangeForm(UserChangeForm):
    """Django's account form, which keeps an administrator from taking the administrator role off their own
    account: they would be shut out of the accounts' pages on saving, and there might be no other."""

    editing_self = False  # set per request (UserAdmin.get_form)

    def clean_role(self):
        role = self.cleaned_data.get("role")
        if (
            self.editing_self
            and "role" in self.changed_data
            and self.instance.is_admin_role
            and role != Role.ADMIN
        ):
            raise ValidationError("不能取消自己账号的“系统管理员”角色：请由另一位系统管理员修改。")
        return role

    def clean_is_active(self):
        # Deactivated, the account is signed out at once and cannot sign in again: the same lock-out.
        is_active = self.cleaned_data.get("is_active")
        if self.editing_self and not is_active:
            raise ValidationError("不能停用自己的账号：停用后即无法登录。请由另一位系统管理员停用。")
        return is_active


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    """Accounts, their roles and regions: only administrators manage them."""

    list_display = ("username", "role", "region", "is_active", "last_login")
    list_select_related = ("region",)
    list_filter = ("role", "is_active")
    # Django's form less what has no effect here: permission groups and per-user permissions (what an
    # account may do follows its role and region), and switching password sign-in off (there is no other).
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        ("角色与区划", {"fields": ("role", "region")}),
        ("个人信息", {"fields": ("first_name", "last_name", "email")}),
        (
            "权限",
            {
                "fields": ("is_active", "is_staff", "is_superuser"),
                "description": "工作人员状态和超级用户状态随角色而定：有角色的账号都可进入管理后台，"
                "只有“系统管理员”角色是超级用户。",
            },
        ),
        ("重要日期", {"fields": ("last_login", "date_joined")}),
    )
    # Django's flags follow the role (User.apply_role); the dates are the system's own record.
    readonly_fields = ("is_staff", "is_superuser", "last_login", "date_joined")
    form = AccountChangeForm
    add_fieldsets = (
        (None, {"classes": ("wide",), "fields": ("username", "password1", "password2")}),
        ("角色与区划", {"fields": ("role", "region")}),
    )
    filter_horizontal = ()
    change_password_form = PasswordChangeForm

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        if obj is not None:
            form.editing_self = obj.pk == request.user.pk
        return form

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if db_field.name == "region" and field is not None:
            # A role is tied to a county or a city (User.clean); no town is offered for it to refuse.
            field.queryset = field.queryset.filter(level__in=set(ROLE_REGION_LEVEL.values()))
        return field

    def save_model(self, request, obj, form, change):
        # As manage.py create_account gives them: a role given or changed sets Django's flags with it (an
        # administrator turned clerk is no superuser any more). An account without a role whose role is not
        # touched (createsuperuser's) keeps its flags.
        if not change or obj.role or "role" in form.changed_data:
            obj.apply_role()
        super().save_model(request, obj, form, change)

    def get_deleted_objects(self, objs, request):
        """What deleting accounts takes, their API tokens named by masked keys (Token's name is its key)."""
        deleted, counts, perms_needed, protected = super().get_deleted_objects(objs, request)
        keys = list(Token.objects.filter(user__in=objs).values_list("key", flat=True))
        if any(obj.pk == request.user.pk for obj in objs):
            # Not their own account, alone or among those selected: they would be shut out as by taking their
            # own administrator role off (AccountChangeForm). Listed as protected, the deletion is refused.
            own = f"您自己的账号（{request.user.get_username()}）：不能删除自己的账号，请由另一位系统管理员删除。"
            protected = [*protected, own]
        return _masked(deleted, keys), counts, perms_needed, protected

    def has_module_permission(self, request):
        return is_admin(request.user)

    def has_view_permission(self, request, obj=None):
        return is_admin(request.user)

    def has_add_permission(self, request):
        return is_admin(request.user)

    def has_change_permission(self, request, obj=None):
        return is_admin(request.user)

    def has_delete_permission(self, request, obj=None):
        return is_admin(request.user)


@admin.register(ApiToken)
class ApiTokenAdmin(RestFrameworkTokenAdmin):
    """The API tokens: who holds one and since when; an administrator gives one to an account or revokes it
    (deletes it), and never reads a key whole, nor moves a token to another account."""

    list_display = ("__str__", "user", "created")
    list_select_related = ("user",)

    def has_change_permission(self, request, obj=None):
        return False


admin.site.unregister(AccessAttempt)


@admin.register(AccessAttempt)
class AccessAttemptAdmin(AxesAccessAttemptAdmin):
    """django-axes' failed sign-ins, with its clean-up action done here: axes' own reads the time of a sign-in
    attempt from the request, which an admin action's request has not (a server error), and reports in
    English built with an f-string, past any translation."""

    @admin.action(description="清除已过期的失败记录")
    def cleanup_expired_attempts(self, request, queryset):
        # Expired: older than the cool-off (settings.AXES_COOLOFF_TIME), after which axes counts them no more.
        threshold = timezone.now() - settings.AXES_COOLOFF_TIME
        count, _ = AccessAttempt.objects.filter(attempt_time__lte=threshold).delete()
        self.message_user(request, f"已清除 {count} 条过期的登录失败记录。")
