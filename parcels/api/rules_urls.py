"""Routes of supply records and rules (issue 6)."""

from rest_framework.routers import SimpleRouter

from .rules_views import SupplyRecordViewSet

router = SimpleRouter()
router.register("supply-records", SupplyRecordViewSet, basename="supply-record")

urlpatterns = router.urls
