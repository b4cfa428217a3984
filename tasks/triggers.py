"""The triggers that change ``CatalogStamp.token`` with every write of tasks, milestones and regions.

Installed by migration 0004 and again after every ``migrate`` (the ``post_migrate`` handler in
tasks/apps.py): SQLite has no ALTER TABLE for most changes, so Django rebuilds a table to alter it —
a new table, the rows copied, the old one dropped — and the old table's triggers go with it. Installing is
idempotent, and gives the stamp a new token: rows copied while the triggers were gone count as a change.
"""

WATCHED = ("tasks_countytask", "tasks_milestone", "leadership_region")
STAMP_TABLE = "tasks_catalogstamp"

# PostgreSQL: once per statement, BEFORE it changes its rows, so that the stamp is locked (until the
# transaction ends) by whoever writes the catalog. Every statement gets its own token: a process that read
# the tasks inside a transaction must see a later statement of that transaction as a change.
POSTGRESQL_NEW_TOKEN = (
    "INSERT INTO tasks_catalogstamp (id, token) VALUES (1, replace(gen_random_uuid()::text, '-', '')) "
    "ON CONFLICT (id) DO UPDATE SET token = EXCLUDED.token"
)
POSTGRESQL_FUNCTION = f"""
CREATE OR REPLACE FUNCTION tasks_catalog_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    {POSTGRESQL_NEW_TOKEN};
    RETURN NULL;
END
$$
"""
POSTGRESQL_TRIGGER = (
    "CREATE OR REPLACE TRIGGER tasks_catalog_changed BEFORE INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table} "
    "FOR EACH STATEMENT EXECUTE FUNCTION tasks_catalog_changed()"
)

# SQLite has row triggers only; its writers are serialized by the database's own lock.
SQLITE_NEW_TOKEN = (
    "INSERT OR REPLACE INTO tasks_catalogstamp (id, token) VALUES (1, lower(hex(randomblob(16))))"
)
SQLITE_TRIGGER = f"""
CREATE TRIGGER IF NOT EXISTS tasks_catalog_changed_{{table}}_{{event}} AFTER {{event}} ON {{table}}
BEGIN
    {SQLITE_NEW_TOKEN};
END
"""
SQLITE_EVENTS = ("insert", "update", "delete")


def install(connection):
    """Create the triggers that are missing and give the stamp a new token (no-op before migration 0004)."""
    tables = set(connection.introspection.table_names())
    if STAMP_TABLE not in tables or not tables.issuperset(WATCHED):
        return
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(POSTGRESQL_FUNCTION)
            for table in WATCHED:
                cursor.execute(POSTGRESQL_TRIGGER.format(table=table))
            cursor.execute(POSTGRESQL_NEW_TOKEN)
        elif connection.vendor == "sqlite":
            for table in WATCHED:
                for event in SQLITE_EVENTS:
                    cursor.execute(SQLITE_TRIGGER.format(table=table, event=event))
            cursor.execute(SQLITE_NEW_TOKEN)
        else:  # pragma: no cover - the project runs on these two
            raise NotImplementedError(f"No catalog triggers for {connection.vendor}")


def uninstall(connection):
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            for table in WATCHED:
                cursor.execute(f"DROP TRIGGER IF EXISTS tasks_catalog_changed ON {table}")
            cursor.execute("DROP FUNCTION IF EXISTS tasks_catalog_changed()")
        else:
            for table in WATCHED:
                for event in SQLITE_EVENTS:
                    cursor.execute(f"DROP TRIGGER IF EXISTS tasks_catalog_changed_{table}_{event}")


def installed(connection):
    """``{table: number of catalog triggers on it}`` for the watched tables, as the database lists them."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT c.relname, count(*) FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
                "WHERE t.tgname = 'tasks_catalog_changed' GROUP BY c.relname"
            )
        else:
            cursor.execute(
                "SELECT tbl_name, count(*) FROM sqlite_master WHERE type = 'trigger' "
                "AND name LIKE 'tasks_catalog_changed_%' GROUP BY tbl_name"
            )
        counts = dict(cursor.fetchall())
    return {table: counts.get(table, 0) for table in WATCHED}


def install_after_migrate(sender, using, **kwargs):
    from django.db import connections

    install(connections[using])
