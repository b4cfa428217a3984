from django.urls import path
from rest_framework.routers import SimpleRouter

from .views import LeadershipGroupViewSet, RegionViewSet, TokenView, UnitViewSet

router = SimpleRouter()
router.register("regions", RegionViewSet, basename="region")
router.register("units", UnitViewSet, basename="unit")
router.register("leadership-groups", LeadershipGroupViewSet, basename="leadership-group")

urlpatterns = [path("auth/token/", TokenView.as_view(), name="auth-token"), *router.urls]
