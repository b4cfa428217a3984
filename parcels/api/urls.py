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
    re_path(rf"^parcels/(?P<parcel_pk>{ID_PATTERN})/disposals/$", disposal_list, name="parcel-disposal-list"),
    re_path(
        rf"^parcels/(?P<parcel_pk>{ID_PATTERN})/disposals/(?P<pk>{ID_PATTERN})/$",
        disposal_detail,
        name="parcel-disposal-detail",
    ),
]
