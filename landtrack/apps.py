from axes.apps import AppConfig as AxesAppConfig
from django.apps import AppConfig


class LandTrackConfig(AppConfig):
    """The project itself: shared templates, static files and management commands."""

    name = "landtrack"
    verbose_name = "LandTrack"

    def ready(self):
        from . import lookups  # noqa: F401 - registers the integer columns' ``in`` (InIntegerRange)


class AxesConfig(AxesAppConfig):
    """django-axes, which locks an account out after repeated failed sign-ins, under a Chinese name in the
    admin's menu (its models' and fields' names are in locale/zh_Hans)."""

    verbose_name = "登录失败锁定"
