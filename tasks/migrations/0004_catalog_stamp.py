"""The catalog stamp and the triggers that change it with every write of tasks, milestones and regions."""

from django.db import migrations, models

WATCHED = ("tasks_countytask", "tasks_milestone", "leadership_region")

# PostgreSQL: once per statement, BEFORE it changes its rows, so that the stamp is locked (until the
# transaction ends) by whoever writes the catalog. Every statement gets its own token: a process
# that read the tasks inside a transaction must see a later statement of that transaction as a change.
POSTGRESQL_FUNCTION = """
CREATE FUNCTION tasks_catalog_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO tasks_catalogstamp (id, token) VALUES (1, replace(gen_random_uuid()::text, '-', ''))
    ON CONFLICT (id) DO UPDATE SET token = EXCLUDED.token;
    RETURN NULL;
END
$$
"""
POSTGRESQL_TRIGGER = (
    "CREATE TRIGGER tasks_catalog_changed BEFORE INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table} "
    "FOR EACH STATEMENT EXECUTE FUNCTION tasks_catalog_changed()"
)

# SQLite has row triggers only; its writers are serialized by the database's own lock.
SQLITE_TRIGGER = """
CREATE TRIGGER tasks_catalog_changed_{table}_{event} AFTER {event} ON {table}
BEGIN
    INSERT OR REPLACE INTO tasks_catalogstamp (id, token) VALUES (1, lower(hex(randomblob(16))));
END
"""
EVENTS = ("insert", "update", "delete")


def install(apps, schema_editor):
    execute = schema_editor.execute
    if schema_editor.connection.vendor == "postgresql":
        execute(POSTGRESQL_FUNCTION)
        for table in WATCHED:
            execute(POSTGRESQL_TRIGGER.format(table=table))
        execute("INSERT INTO tasks_catalogstamp (id, token) VALUES (1, replace(gen_random_uuid()::text, '-', ''))")
    elif schema_editor.connection.vendor == "sqlite":
        for table in WATCHED:
            for event in EVENTS:
                execute(SQLITE_TRIGGER.format(table=table, event=event))
        execute("INSERT INTO tasks_catalogstamp (id, token) VALUES (1, lower(hex(randomblob(16))))")
    else:  # pragma: no cover - the project runs on these two
        raise NotImplementedError(f"No catalog triggers for {schema_editor.connection.vendor}")


def uninstall(apps, schema_editor):
    execute = schema_editor.execute
    if schema_editor.connection.vendor == "postgresql":
        for table in WATCHED:
            execute(f"DROP TRIGGER IF EXISTS tasks_catalog_changed ON {table}")
        execute("DROP FUNCTION IF EXISTS tasks_catalog_changed()")
    else:
        for table in WATCHED:
            for event in EVENTS:
                execute(f"DROP TRIGGER IF EXISTS tasks_catalog_changed_{table}_{event}")


class Migration(migrations.Migration):
    dependencies = [
        ("leadership", "0003_group_member_name_or_title_constraint"),
        ("tasks", "0003_scope_years_and_completed_date_constraints"),
    ]

    operations = [
        migrations.CreateModel(
            name="CatalogStamp",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("token", models.CharField(max_length=32, verbose_name="版本标记")),
            ],
            options={"verbose_name": "任务目录版本", "verbose_name_plural": "任务目录版本"},
        ),
        migrations.RunPython(install, uninstall),
    ]
