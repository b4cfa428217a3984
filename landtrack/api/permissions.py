"""Who may call what: every request passes ``leadership.scope``'s rules, nothing else decides."""

from rest_framework.exceptions import MethodNotAllowed
from rest_framework.permissions import SAFE_METHODS, BasePermission

from leadership.scope import can_write, has_role, object_region


class RolePermission(BasePermission):
    """Signed in with a role to read; a role allowed to write the view's model to change anything.

    Objects outside the user's scope never reach the object check: the scoped queryset answers 404.
    """

    message = "您没有执行该操作的权限。"

    def has_permission(self, request, view):
        if request.method not in view.allowed_methods:
            # A method the endpoint does not have is 405 for everyone, signed in or not.
            raise MethodNotAllowed(request.method)
        user = request.user
        if not user or not user.is_authenticated:
            return False
        if not has_role(user):
            return False
        if request.method in SAFE_METHODS:
            return True
        label = getattr(view, "write_label", None)
        return label is not None and can_write(user, label)

    def has_object_permission(self, request, view, obj):
        if request.method in SAFE_METHODS:
            return True
        return can_write(request.user, view.write_label, object_region(obj))


class SignedInPermission(BasePermission):
    """Any active signed-in account, with a role or without (API.md: "any signed-in"): for what holds no
    county's data — the regions, the blank ledger template. What a county's data adds to them (a
    template's drop-down lists) still follows the caller's scope."""

    message = RolePermission.message

    def has_permission(self, request, view):
        if request.method not in view.allowed_methods:
            raise MethodNotAllowed(request.method)
        user = request.user
        return bool(user and user.is_authenticated and user.is_active)
