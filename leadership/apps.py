from django.apps import AppConfig


class LeadershipConfig(AppConfig):
    """Regions, responsible units, leadership groups and the people who sign in."""

    name = "leadership"
    verbose_name = "组织与区划"
