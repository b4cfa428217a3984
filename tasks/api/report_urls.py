"""Routes of the Excel reports: the monthly report and the three lists (issue 5)."""

urlpatterns = []
