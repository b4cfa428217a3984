"""Routes of parcel boundaries and GeoJSON (issue 7)."""

from django.urls import path, re_path

from .boundary_views import BoundariesTxtView, ParcelBoundaryTxtView, ParcelBoundaryView, ParcelGeoJSONView
from .views import ID_PATTERN

urlpatterns = [
    path("parcels/geojson/", ParcelGeoJSONView.as_view(), name="parcel-geojson"),
    path("parcels/boundaries/txt/", BoundariesTxtView.as_view(), name="parcel-boundaries-txt"),
    re_path(
        rf"^parcels/(?P<pk>{ID_PATTERN})/boundary/$", ParcelBoundaryView.as_view(), name="parcel-boundary"
    ),
    re_path(
        rf"^parcels/(?P<pk>{ID_PATTERN})/boundary/txt/$",
        ParcelBoundaryTxtView.as_view(),
        name="parcel-boundary-txt",
    ),
]
