"""Routes of the Excel ledger: import, export and template (issue 5)."""

urlpatterns = []
