"""Whole-database backup and restore, for PostgreSQL (pg_dump/pg_restore) and SQLite (its backup API).

The operator's commands are ``manage.py backup FILE`` and ``manage.py restore FILE``; both act on the
database the settings point at (``DATABASE_URL``). A PostgreSQL backup is pg_dump's custom format, so
``pg_restore`` can also read it by hand; a SQLite backup is a consistent copy of the database file.
"""

import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

from django.db import connections


class BackupError(Exception):
    """A backup or restore that could not be made; the message says why, in Chinese."""


def _pg_command(name):
    path = shutil.which(name)
    if path is None:
        raise BackupError(f"找不到 {name}：请安装 PostgreSQL 客户端（Debian: apt-get install postgresql-client）。")
    return path


def _pg_environment(settings_dict):
    environment = dict(os.environ)
    if settings_dict.get("PASSWORD"):
        environment["PGPASSWORD"] = str(settings_dict["PASSWORD"])
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


def backup(path, using="default"):
    """Write the whole database to ``path``; returns the file's size in bytes."""
    connection = connections[using]
    settings_dict = connection.settings_dict
    path = Path(path)
    if connection.vendor == "postgresql":
        _run(
            [_pg_command("pg_dump"), "--format=custom", "--no-owner", "--file", str(path),
             *_pg_arguments(settings_dict)],
            _pg_environment(settings_dict),
        )
    elif connection.vendor == "sqlite":
        connection.ensure_connection()
        target = sqlite3.connect(path)
        try:
            connection.connection.backup(target)
        finally:
            target.close()
    else:
        raise BackupError(f"不支持备份 {connection.vendor} 数据库。")
    return path.stat().st_size


def restore(path, using="default"):
    """Replace the whole database with the backup at ``path``."""
    connection = connections[using]
    settings_dict = connection.settings_dict
    path = Path(path)
    if not path.is_file():
        raise BackupError(f"备份文件不存在：{path}")
    if connection.vendor == "postgresql":
        connection.close()  # pg_restore drops and recreates tables this connection may hold locks on
        _run(
            [_pg_command("pg_restore"), "--clean", "--if-exists", "--no-owner", "--single-transaction",
             *_pg_arguments(settings_dict), str(path)],
            _pg_environment(settings_dict),
        )
    elif connection.vendor == "sqlite":
        try:
            source = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
            source.execute("SELECT count(*) FROM sqlite_master").fetchone()
        except sqlite3.DatabaseError as error:
            raise BackupError(f"不是有效的 SQLite 备份文件：{path}（{error}）") from error
        connection.ensure_connection()
        try:
            source.backup(connection.connection)
        finally:
            source.close()
    else:
        raise BackupError(f"不支持恢复 {connection.vendor} 数据库。")
