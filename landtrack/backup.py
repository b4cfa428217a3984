"""Whole-database backup and restore, for PostgreSQL (pg_dump/pg_restore) and SQLite (its backup API).

The operator's commands are ``manage.py backup FILE`` and ``manage.py restore FILE``; both act on the
database the settings point at (``DATABASE_URL``). A PostgreSQL backup is pg_dump's custom format, so
``pg_restore`` can also read it by hand; a SQLite backup is a consistent copy of the database file.

A backup holds password hashes, API tokens and session keys: it is written readable by its owner only, and
under its own name only once complete, so a failed backup leaves an earlier file of that name as it was.
A restore replaces the whole database, as the SQLite file copy does, in one transaction: on PostgreSQL the
tables a later version added go too (they would stop ``migrate`` from bringing the restored database
forward), and a file that fails half-way changes nothing.
"""

import os
import shutil
import sqlite3
import subprocess
import tempfile
from pathlib import Path

from django.db import connections
from django.db.migrations.executor import MigrationExecutor


class BackupError(Exception):
    """A backup or restore that could not be made; the message says why, in Chinese."""


def _pg_command(name):
    path = shutil.which(name)
    if path is None:
        raise BackupError(f"找不到 {name}：请安装 PostgreSQL 客户端（Debian: apt-get install postgresql-client）。")
    return path


# The connection options of DATABASE_URL (?sslmode=verify-full&sslrootcert=…) that the client tools take from
# the environment: they connect as the application does.
PG_OPTION_VARIABLES = {
    "sslmode": "PGSSLMODE",
    "sslrootcert": "PGSSLROOTCERT",
    "sslcert": "PGSSLCERT",
    "sslkey": "PGSSLKEY",
    "connect_timeout": "PGCONNECT_TIMEOUT",
    "options": "PGOPTIONS",
}


def _pg_environment(settings_dict):
    environment = dict(os.environ)
    if settings_dict.get("PASSWORD"):
        environment["PGPASSWORD"] = str(settings_dict["PASSWORD"])
    for option, variable in PG_OPTION_VARIABLES.items():
        value = settings_dict.get("OPTIONS", {}).get(option)
        if value not in (None, ""):
            environment[variable] = str(value)
    return environment


def _pg_arguments(settings_dict):
    arguments = []
    for option, key in (("--host", "HOST"), ("--port", "PORT"), ("--username", "USER")):
        if settings_dict.get(key):
            arguments += [option, str(settings_dict[key])]
    arguments += ["--dbname", settings_dict["NAME"]]
    return arguments


def _run(command, environment):
    result = subprocess.run(command, env=environment, capture_output=True, text=True)
    if result.returncode != 0:
        raise BackupError(f"{Path(command[0]).name} 失败（退出码 {result.returncode}）：{result.stderr.strip()}")
    return result.stdout


def _is_database_file(path, settings_dict):
    database = Path(str(settings_dict["NAME"]))
    return database.exists() and path.exists() and path.resolve() == database.resolve()


def backup(path, using="default"):
    """Write the whole database to ``path``; returns the file's size in bytes."""
    connection = connections[using]
    settings_dict = connection.settings_dict
    path = Path(path)
    if connection.vendor not in ("postgresql", "sqlite"):
        raise BackupError(f"不支持备份 {connection.vendor} 数据库。")
    if connection.vendor == "sqlite" and _is_database_file(path, settings_dict):
        raise BackupError(f"备份文件不能是数据库文件本身：{path}")
    try:
        descriptor, partial = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".partial", dir=path.parent)
    except OSError as error:
        raise BackupError(f"无法写入备份文件 {path}：{error.strerror or error}") from error
    os.close(descriptor)  # mkstemp makes it readable and writable by its owner only
    partial = Path(partial)
    try:
        if connection.vendor == "postgresql":
            _run(
                [_pg_command("pg_dump"), "--format=custom", "--no-owner", "--file", str(partial),
                 *_pg_arguments(settings_dict)],
                _pg_environment(settings_dict),
            )
        else:
            connection.ensure_connection()
            target = sqlite3.connect(partial)
            try:
                connection.connection.backup(target)
            except sqlite3.Error as error:
                raise BackupError(f"SQLite 备份失败：{error}") from error
            finally:
                target.close()
        os.replace(partial, path)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return path.stat().st_size


# Run first, in the restore's transaction: every table goes, with whatever a later version hung on them
# (foreign keys, triggers), so that the database is the backup's and nothing else.
POSTGRESQL_DROP_TABLES = """
DO $$
DECLARE
    name text;
BEGIN
    FOR name IN SELECT format('%I.%I', schemaname, tablename) FROM pg_tables WHERE schemaname = current_schema()
    LOOP
        EXECUTE 'DROP TABLE IF EXISTS ' || name || ' CASCADE';
    END LOOP;
END
$$
"""


def _pg_restore(path, settings_dict):
    environment = _pg_environment(settings_dict)
    contents = _run([_pg_command("pg_restore"), "--list", str(path)], environment)
    if " django_migrations " not in contents:
        raise BackupError(f"不是 LandTrack 数据库的备份：{path}")
    psql = _pg_command("psql")
    with tempfile.TemporaryFile("w+") as script_errors, tempfile.TemporaryFile("w+") as apply_errors:
        # pg_restore writes the backup as SQL, psql runs it after the drop, all in one transaction. psql reads
        # its end only once pg_restore has finished well: a file that breaks off half-way is never committed.
        script = subprocess.Popen(
            [_pg_command("pg_restore"), "--clean", "--if-exists", "--no-owner", "--file", "-", str(path)],
            stdout=subprocess.PIPE, stderr=script_errors, env=environment,
        )
        apply = subprocess.Popen(
            [psql, "--no-psqlrc", "--quiet", "--set", "ON_ERROR_STOP=1", "--single-transaction",
             "--command", "SET client_min_messages = warning", "--command", POSTGRESQL_DROP_TABLES,
             "--file", "-", *_pg_arguments(settings_dict)],
            stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=apply_errors, env=environment,
        )
        try:
            shutil.copyfileobj(script.stdout, apply.stdin, 1 << 20)
        except BrokenPipeError:  # psql stopped at an error and rolled back; its message says which
            script.kill()
        script.stdout.close()
        script.wait()
        if script.returncode != 0:
            apply.kill()  # before psql reads the end of its input: the transaction is rolled back
            apply.wait()
            script_errors.seek(0)
            raise BackupError(f"pg_restore 失败（退出码 {script.returncode}）：{script_errors.read().strip()}")
        try:
            apply.stdin.close()
        except BrokenPipeError:
            pass
        apply.wait()
        if apply.returncode != 0:
            apply_errors.seek(0)
            raise BackupError(f"psql 失败（退出码 {apply.returncode}）：{apply_errors.read().strip()}")


def restore(path, using="default"):
    """Replace the whole database with the backup at ``path``."""
    connection = connections[using]
    settings_dict = connection.settings_dict
    path = Path(path)
    if not path.is_file():
        raise BackupError(f"备份文件不存在：{path}")
    if connection.vendor == "postgresql":
        connection.close()  # the restore drops and recreates tables this connection may hold locks on
        _pg_restore(path, settings_dict)
    elif connection.vendor == "sqlite":
        if _is_database_file(path, settings_dict):
            raise BackupError(f"备份文件不能是数据库文件本身：{path}")
        try:
            source = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        except sqlite3.Error as error:
            raise BackupError(f"无法读取备份文件：{path}（{error}）") from error
        try:
            try:
                check = source.execute("PRAGMA quick_check").fetchone()[0]
                has_migrations = source.execute(
                    "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'django_migrations'"
                ).fetchone()
            except sqlite3.DatabaseError as error:
                raise BackupError(f"不是有效的 SQLite 备份文件：{path}（{error}）") from error
            if check != "ok":
                raise BackupError(f"备份文件已损坏：{path}（{check}）")
            if not has_migrations:
                raise BackupError(f"不是 LandTrack 数据库的备份：{path}")
            connection.ensure_connection()
            try:
                source.backup(connection.connection)
            except sqlite3.Error as error:
                raise BackupError(f"SQLite 恢复失败：{error}") from error
        finally:
            source.close()
    else:
        raise BackupError(f"不支持恢复 {connection.vendor} 数据库。")


def migration_state(using="default"):
    """``(unapplied, unknown)``: this version's migrations the database has not had, and the migrations it
    has had that this version does not know (a backup from a later version)."""
    connection = connections[using]
    executor = MigrationExecutor(connection)
    graph = executor.loader.graph
    unapplied = [migration for migration, _ in executor.migration_plan(graph.leaf_nodes())]
    unknown = sorted(key for key in executor.loader.applied_migrations if key not in graph.nodes)
    return unapplied, unknown
