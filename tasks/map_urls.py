"""Dashboard routes of the county maps (issue 7)."""

from django.urls import path

from . import map_views

urlpatterns = [
    path("<str:county_code>/map/", map_views.county_map, name="dashboard-county-map"),
]
