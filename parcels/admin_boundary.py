"""The parcel admin's boundary upload and map (issue 7): mixed into ParcelAdmin."""


class BoundaryAdminMixin:
    """Adds the coordinate-file upload and the parcel's own map to the parcel change page."""
