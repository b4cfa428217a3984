"""Base views: every queryset through the user's scope, every write through a service."""

from rest_framework.exceptions import PermissionDenied

from leadership.scope import can_write


class ScopedViewSetMixin:
    """A viewset over a model whose queryset has ``visible_to(user)``.

    ``write_label`` names the model in ``leadership.scope.WRITE_ROLES``. Objects outside the
    user's scope are simply absent (404); writes into a region the user may not write are 403.
    """

    write_label = None

    def get_queryset(self):
        return super().get_queryset().visible_to(self.request.user)

    def check_region_writable(self, region):
        if region is not None and not can_write(self.request.user, self.write_label, region):
            raise PermissionDenied(f"您不能在“{region.name}”录入或修改此类数据。")
