from django.apps import AppConfig


class TasksConfig(AppConfig):
    """Campaigns, county tasks with their milestones, rectification items, and progress."""

    name = "tasks"
    verbose_name = "任务与进度"
