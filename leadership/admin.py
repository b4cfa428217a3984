from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.models import Group
from django.db.models import Count
from django.utils.text import Truncator

from landtrack.admin_base import REGION_FILTERS, LandTrackAdmin, ScopedInlineMixin
from leadership.scope import can_read_admin, is_admin

from .models import GroupMember, LeadershipGroup, Region, Unit, User

# Access follows each user's role and region (leadership.scope), not Django's permission groups.
admin.site.unregister(Group)


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


@admin.register(Unit)
class UnitAdmin(LandTrackAdmin):
    list_display = ("name", "region", "kind", "duties_summary")
    list_select_related = ("region",)
    list_filter = (*REGION_FILTERS, "kind")
    search_fields = ("name", "duties")
    fields = ("region", "name", "kind", "order", "duties")

    @admin.display(description="工作职责")
    def duties_summary(self, unit):
        return Truncator(unit.duties).chars(60)


class GroupMemberInline(ScopedInlineMixin, admin.TabularInline):
    model = GroupMember
    fields = ("order", "role", "name", "title", "unit")
    extra = 1

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("unit").order_by("order", "id")


@admin.register(LeadershipGroup)
class LeadershipGroupAdmin(LandTrackAdmin):
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


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    """Accounts, their roles and regions: only administrators manage them."""

    list_display = ("username", "role", "region", "is_active", "last_login")
    list_select_related = ("region",)
    list_filter = ("role", "is_active")
    fieldsets = DjangoUserAdmin.fieldsets + (("角色与区划", {"fields": ("role", "region")}),)
    add_fieldsets = DjangoUserAdmin.add_fieldsets + (("角色与区划", {"fields": ("role", "region")}),)

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
