"""Routes of the Excel ledger: import, export and template (issue 5)."""

from django.urls import path

from .ledger_views import ImportTemplateView, LedgerImportView, ParcelExportView

urlpatterns = [
    path("parcels/import/", LedgerImportView.as_view(), name="parcel-import"),
    path("parcels/export/", ParcelExportView.as_view(), name="parcel-export"),
    path("parcels/import-template/", ImportTemplateView.as_view(), name="parcel-import-template"),
]
