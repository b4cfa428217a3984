from django.urls import path

from . import map_urls, views

urlpatterns = [
    path("", views.overview, name="dashboard"),
    path("reminders/", views.reminders, name="dashboard-reminders"),
    *map_urls.urlpatterns,
    path("<str:county_code>/rectifications/", views.rectifications, name="dashboard-rectifications"),
    path("<str:county_code>/", views.county, name="dashboard-county"),
]
