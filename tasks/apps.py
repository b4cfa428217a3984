from django.apps import AppConfig


class TasksConfig(AppConfig):
    """Campaigns, county tasks with their milestones, rectification items, and progress."""

    name = "tasks"
    verbose_name = "任务与进度"

    def ready(self):
        from django.db.models.signals import post_migrate

        from . import signals  # noqa: F401
        from .triggers import install_after_migrate

        # SQLite drops a table's triggers when Django rebuilds the table to alter it: put them back.
        post_migrate.connect(install_after_migrate, sender=self, dispatch_uid="tasks_catalog_triggers")
