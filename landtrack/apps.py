from django.apps import AppConfig


class LandTrackConfig(AppConfig):
    """The project itself: shared templates, static files and management commands."""

    name = "landtrack"
    verbose_name = "LandTrack"
