"""Settings come from the environment; production refuses to start without a secret key."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run_manage(*args, **env):
    environment = {key: value for key, value in os.environ.items() if not key.startswith("DJANGO_")}
    environment.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_debug_off_without_a_secret_key_refuses_to_start():
    result = run_manage("check", DJANGO_DEBUG="0")
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY must be set" in result.stderr


def test_debug_off_without_allowed_hosts_refuses_to_start():
    # Django itself would start, then answer every request 400.
    result = run_manage(
        "check",
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY="a-long-random-production-secret-key-0123456789-abcdefghijklmnop",
    )
    assert result.returncode != 0
    assert "DJANGO_ALLOWED_HOSTS must be set" in result.stderr


def test_check_deploy_is_clean_with_production_settings():
    result = run_manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY="a-long-random-production-secret-key-0123456789-abcdefghijklmnop",
        DJANGO_ALLOWED_HOSTS="landtrack.example.cn",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_database_url_selects_postgresql():
    code = "from django.conf import settings; print(settings.DATABASES['default']['ENGINE'])"
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            f"import django, os; os.environ.setdefault('DJANGO_SETTINGS_MODULE', "
            f"'landtrack.settings'); django.setup(); {code}",
        ],
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/landtrack"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.stdout.strip() == "django.db.backends.postgresql"


def test_language_and_time_zone(settings):
    assert settings.LANGUAGE_CODE == "zh-hans"
    assert settings.TIME_ZONE == "Asia/Shanghai"
    assert settings.SESSION_COOKIE_HTTPONLY is True


def database_options(**env):
    """settings.DATABASES['default']['OPTIONS'] in a fresh process with DATABASE_URL on PostgreSQL and ``env``."""
    code = "from django.conf import settings; print(repr(settings.DATABASES['default'].get('OPTIONS', {})))"
    environment = {key: value for key, value in os.environ.items() if key != "LANDTRACK_PG_RANDOM_PAGE_COST"}
    return subprocess.run(
        [
            sys.executable,
            "-c",
            f"import django, os; os.environ.setdefault('DJANGO_SETTINGS_MODULE', "
            f"'landtrack.settings'); django.setup(); {code}",
        ],
        cwd=ROOT,
        env={
            **environment,
            "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/landtrack?sslmode=prefer",
            **env,
        },
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_postgresql_prices_index_lookups_for_ssd_unless_told_otherwise():
    # the URL's own options are kept beside it
    assert database_options().stdout.strip() == "{'sslmode': 'prefer', 'options': '-c random_page_cost=1.1'}"
    assert "random_page_cost=4" in database_options(LANDTRACK_PG_RANDOM_PAGE_COST="4").stdout
    # empty: the server's own value
    assert database_options(LANDTRACK_PG_RANDOM_PAGE_COST="").stdout.strip() == "{'sslmode': 'prefer'}"
    for bad in ("cheap", "0", "-1", "1.1; DROP TABLE x", "nan"):
        result = database_options(LANDTRACK_PG_RANDOM_PAGE_COST=bad)
        assert result.returncode != 0
        assert "LANDTRACK_PG_RANDOM_PAGE_COST must be a number above 0 and at most 1000" in result.stderr


def test_the_connection_runs_with_it(db):
    from django.db import connection

    configured = os.environ.get("LANDTRACK_PG_RANDOM_PAGE_COST", "1.1")
    if connection.vendor == "postgresql" and configured:
        with connection.cursor() as cursor:
            cursor.execute("SHOW random_page_cost")
            assert cursor.fetchone()[0] == configured
    else:  # SQLite has no such setting (nor PostgreSQL when told to keep the server's): none is passed
        assert "options" not in connection.settings_dict["OPTIONS"]
