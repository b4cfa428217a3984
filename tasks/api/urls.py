from django.urls import path
from rest_framework.routers import SimpleRouter

from . import reminder_urls, report_urls
from .progress import CountyProgressView, ProgressView
from .views import RectificationItemViewSet, TaskViewSet

router = SimpleRouter()
router.register("tasks", TaskViewSet, basename="task")
router.register("rectifications", RectificationItemViewSet, basename="rectification")

urlpatterns = [
    *router.urls,
    path("progress/", ProgressView.as_view(), name="progress"),
    path("progress/<str:county_code>/", CountyProgressView.as_view(), name="county-progress"),
    *report_urls.urlpatterns,
    *reminder_urls.urlpatterns,
]
