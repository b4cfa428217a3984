from django.urls import re_path
from rest_framework.routers import SimpleRouter

from . import boundary_urls, ledger_urls, rules_urls
from .views import ID_PATTERN, ParcelDisposalViewSet, ParcelViewSet

router = SimpleRouter()
router.register("parcels", ParcelViewSet, basename="parcel")

disposal_list = ParcelDisposalViewSet.as_view({"get": "list", "post": "create"})
disposal_detail = ParcelDisposalViewSet.as_view({"get": "retrieve", "delete": "destroy"})

urlpatterns = [
    # Fixed paths under /parcels/ (import, export, geojson …) come before the router's /parcels/{id}/.
    *ledger_urls.urlpatterns,
    *boundary_urls.urlpatterns,
    *rules_urls.urlpatterns,
    *router.urls,
    # Named as API.md writes them: /parcels/{id}/disposals/{did}/.
    re_path(rf"^parcels/(?P<id>{ID_PATTERN})/disposals/$", disposal_list, name="parcel-disposal-list"),
    re_path(
        rf"^parcels/(?P<id>{ID_PATTERN})/disposals/(?P<did>{ID_PATTERN})/$",
        disposal_detail,
        name="parcel-disposal-detail",
    ),
]
