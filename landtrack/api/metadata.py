"""What OPTIONS answers: the media types and the fields a write takes, in the API's own language."""

from rest_framework.metadata import SimpleMetadata


class Metadata(SimpleMetadata):
    """DRF's answer without the view's name and description (made from the code's class name and docstring,
    in English: the documentation at /api/docs/ describes each operation), and without a field's label where
    DRF made it from the field's name ("County name" for ``county_name``, "ID" for ``id``): the name itself
    says as much."""

    def determine_metadata(self, request, view):
        metadata = super().determine_metadata(request, view)
        metadata.pop("name", None)
        metadata.pop("description", None)
        return metadata

    def get_field_info(self, field):
        info = super().get_field_info(field)
        label = info.get("label")
        if label and field.field_name and label.lower() == field.field_name.replace("_", " ").lower():
            del info["label"]
        return info
