from django.apps import AppConfig


class LandTrackConfig(AppConfig):
    """The project itself: shared templates, static files and management commands."""

    name = "landtrack"
    verbose_name = "LandTrack"

    def ready(self):
        from . import lookups  # noqa: F401 - registers the integer columns' ``in`` (InIntegerRange)
