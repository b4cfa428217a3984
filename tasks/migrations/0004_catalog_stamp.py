"""The catalog stamp and the triggers that change it with every write of tasks, milestones and regions
(tasks/triggers.py, installed again after every migrate)."""

from django.db import migrations, models

from tasks import triggers


def install(apps, schema_editor):
    triggers.install(schema_editor.connection)


def uninstall(apps, schema_editor):
    triggers.uninstall(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [
        ("leadership", "0003_group_member_name_or_title_constraint"),
        ("tasks", "0003_scope_years_and_completed_date_constraints"),
    ]

    operations = [
        migrations.CreateModel(
            name="CatalogStamp",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("token", models.CharField(max_length=32, verbose_name="版本标记")),
            ],
            options={"verbose_name": "任务目录版本", "verbose_name_plural": "任务目录版本"},
        ),
        migrations.RunPython(install, uninstall),
    ]
