"""Routes of the Excel reports: the monthly report and the three lists (issue 5)."""

from django.urls import path

from .report_views import CountyListsView, MonthlyReportView

urlpatterns = [
    path("reports/monthly/", MonthlyReportView.as_view(), name="report-monthly"),
    path("reports/lists/", CountyListsView.as_view(), name="report-lists"),
]
