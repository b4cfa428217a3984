"""The parcel admin's Excel import and export (issue 5): mixed into ParcelAdmin."""


class LedgerAdminMixin:
    """Adds the ledger import (upload → preview → confirm) and export to the parcel changelist."""
