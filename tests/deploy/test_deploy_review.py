"""The deployment as the README describes it, reviewed: what a deployer meets following it literally.

gunicorn behind a proxy on the same host (README's environment only: no DJANGO_SECURE_PROXY_SSL_HEADER), the
sign-in lockout seen through that proxy, every environment variable documented, mail configurable, and backup
and restore across versions, of foreign files and of files broken off half-way. Tests marked "pin" hold
behaviour that was checked right but no test held.
"""

import os
import re
import socket
import sqlite3
import stat
import subprocess
import sys
import time
import urllib.error
import urllib.request
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import Client

from parcels.models import Parcel
from tests.factories import ParcelFactory, UserFactory
from tests.helpers import database_snapshot

ROOT = Path(__file__).resolve().parents[2]
SECRET = "a-long-random-production-secret-key-0123456789-abcdefghijklmnop"
STRONG = "Str0ng-Passw0rd-for-review"
SITE = "landtrack.example.cn"


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def readme_server(tmp_path_factory):
    """gunicorn started as the README's deployment section starts it: `.venv/bin/gunicorn` in the checkout,
    with only the variables the README exports (debug off, secret key, allowed host, database), under a
    service account whose home cannot be written (as www-data's)."""
    work = tmp_path_factory.mktemp("readme")
    port = free_port()
    environment = {
        **{
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("DJANGO_", "DATABASE_URL", "GUNICORN_", "LANDTRACK_", "XDG_"))
        },
        "HOME": "/proc/landtrack-service-account",
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": SECRET,
        "DJANGO_ALLOWED_HOSTS": SITE,
        "DATABASE_URL": f"sqlite:///{work / 'landtrack.sqlite3'}",
        "DJANGO_STATIC_ROOT": str(work / "static"),
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "GUNICORN_WORKERS": "1",
    }

    def manage(*args):
        result = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=environment,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert result.returncode == 0, result.stdout + result.stderr
        return result

    manage("migrate", "--noinput")
    for username in ("review_a", "review_b"):
        manage("create_account", username, "--role", "admin", "--password", STRONG)
    log_path = work / "gunicorn.log"
    log = open(log_path, "w")
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "gunicorn")],
        cwd=ROOT,
        env=environment,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            urllib.request.urlopen(f"{base}/api/v1/", timeout=2)
            break
        except urllib.error.HTTPError:
            break
        except OSError:
            time.sleep(0.3)
    try:
        yield base, log_path
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def through_proxy(url, *, client=None, forwarded_for=None, https=True, body=None):
    """A request as nginx (README) forwards it: the site's Host, X-Forwarded-Proto and X-Forwarded-For with the
    client's address appended (``forwarded_for`` is what the client itself sent, if anything)."""
    request = urllib.request.Request(url, headers={"Host": SITE})
    if https:
        request.add_header("X-Forwarded-Proto", "https")
    if client:
        request.add_header("X-Forwarded-For", f"{forwarded_for}, {client}" if forwarded_for else client)
    if body is not None:
        request.data = body.encode()
        request.add_header("Content-Type", "application/json")
    try:
        return urllib.request.build_opener(NoRedirect).open(request, timeout=10)
    except urllib.error.HTTPError as error:
        return error


def sign_in(base, username, password, **proxy):
    return through_proxy(
        f"{base}/api/v1/auth/token/", body=f'{{"username": "{username}", "password": "{password}"}}', **proxy
    )


def test_pin_the_readme_environment_behind_the_proxy_is_served_over_https_by_gunicorn(readme_server):
    # pin: the README exports no DJANGO_SECURE_PROXY_SSL_HEADER; gunicorn takes the scheme from the proxy on
    # 127.0.0.1 (forwarded_allow_ips), so nothing loops on the HTTPS redirect.
    base, _ = readme_server
    response = through_proxy(f"{base}/api/v1/parcels/", client="198.51.100.1")
    assert response.status == 401
    assert response.headers["Strict-Transport-Security"].startswith("max-age=31536000")
    plain = through_proxy(f"{base}/api/v1/parcels/", client="198.51.100.1", https=False)
    assert plain.status == 301
    assert plain.headers["Location"] == f"https://{SITE}/api/v1/parcels/"


def test_behind_the_proxy_five_strangers_failing_do_not_lock_the_account_out_for_its_owner(readme_server):
    base, _ = readme_server
    for number in range(1, 6):
        assert sign_in(base, "review_a", "wrong", client=f"203.0.113.{number}").status == 400
    # The owner, from an address that failed nothing, still signs in.
    response = sign_in(base, "review_a", STRONG, client="198.51.100.7")
    assert response.status == 200, response.read().decode()


def test_pin_a_client_cannot_escape_the_lockout_by_writing_its_own_x_forwarded_for(readme_server):
    # pin: only what the proxy appended counts, so a client that varies what it sends stays one address.
    base, _ = readme_server
    for number in range(1, 6):
        sign_in(base, "review_b", "wrong", client="198.51.100.9", forwarded_for=f"10.9.9.{number}")
    response = sign_in(base, "review_b", STRONG, client="198.51.100.9", forwarded_for="10.9.9.99")
    assert response.status == 429


def test_gunicorn_starts_without_errors_under_an_account_whose_home_cannot_be_written(readme_server):
    base, log_path = readme_server
    assert through_proxy(f"{base}/api/v1/parcels/", client="198.51.100.1").status == 401
    log = log_path.read_text()
    assert "Booting worker" in log
    assert "[ERROR]" not in log, log


@pytest.mark.django_db
def test_pin_a_forwarded_address_from_a_peer_that_is_not_the_proxy_is_ignored(regions):
    # pin: a client reaching the application directly cannot choose its address by a header.
    UserFactory(username="direct", password=STRONG)
    for number in range(1, 6):
        Client(REMOTE_ADDR="203.0.113.50", HTTP_X_FORWARDED_FOR=f"10.0.0.{number}").post(
            "/api/v1/auth/token/",
            {"username": "direct", "password": "wrong"},
            content_type="application/json",
        )
    response = Client(REMOTE_ADDR="203.0.113.50", HTTP_X_FORWARDED_FOR="10.0.0.99").post(
        "/api/v1/auth/token/", {"username": "direct", "password": STRONG}, content_type="application/json"
    )
    assert response.status_code == 429


def settings_in_a_fresh_process(expression, **env):
    environment = {
        key: value for key, value in os.environ.items() if not key.startswith(("DJANGO_", "LANDTRACK_"))
    }
    environment.update(env)
    return subprocess.run(
        [
            sys.executable,
            "-c",
            "import django, os; os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'landtrack.settings'); "
            f"django.setup(); from django.conf import settings; print(repr({expression}))",
        ],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_the_mail_server_and_the_sites_address_come_from_the_environment():
    result = settings_in_a_fresh_process(
        "(settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_HOST_USER, settings.EMAIL_HOST_PASSWORD, "
        "settings.EMAIL_USE_TLS, settings.EMAIL_USE_SSL, settings.LANDTRACK_SITE_URL)",
        DJANGO_EMAIL_HOST="smtp.example.cn",
        DJANGO_EMAIL_PORT="465",
        DJANGO_EMAIL_HOST_USER="landtrack@example.cn",
        DJANGO_EMAIL_HOST_PASSWORD="mail-secret",
        DJANGO_EMAIL_USE_TLS="0",
        DJANGO_EMAIL_USE_SSL="1",
        LANDTRACK_SITE_URL="https://landtrack.example.cn",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == repr(
        (
            "smtp.example.cn",
            465,
            "landtrack@example.cn",
            "mail-secret",
            False,
            True,
            "https://landtrack.example.cn",
        )
    )


def test_a_trusted_proxy_that_is_no_address_stops_the_start():
    result = settings_in_a_fresh_process(
        "settings.LANDTRACK_TRUSTED_PROXIES", LANDTRACK_TRUSTED_PROXIES="nginx"
    )
    assert result.returncode != 0
    assert "LANDTRACK_TRUSTED_PROXIES must list IP addresses or networks, not 'nginx'" in result.stderr


READ_FROM_ENVIRONMENT = re.compile(
    r'(?:os\.environ\.get|os\.environ\[|env_bool|env_list)\(?\s*"([A-Z0-9_]+)"'
)
# A test run's, not a deployment's.
NOT_FOR_DEPLOYERS = {"LANDTRACK_TEST_DB_SUFFIX"}


def deploy_section():
    readme = (ROOT / "README.md").read_text()
    start = readme.index("## Deploying")
    end = readme.find("\n## ", start + 1)
    return readme[start : end if end != -1 else len(readme)]


def test_every_variable_the_settings_and_gunicorn_read_is_documented_where_the_readme_deploys():
    read = set()
    for name in ("landtrack/settings.py", "gunicorn.conf.py"):
        read |= set(READ_FROM_ENVIRONMENT.findall((ROOT / name).read_text()))
    section = deploy_section()
    undocumented = sorted(name for name in read - NOT_FOR_DEPLOYERS if f"`{name}`" not in section)
    assert undocumented == []
    # and what the section documents is read
    documented = set(re.findall(r"`((?:DJANGO|LANDTRACK|GUNICORN)_[A-Z0-9_]+)`", section))
    assert sorted(documented - read) == []


# Backup and restore, on the database the tests run on (SQLite, or PostgreSQL with DATABASE_URL).


@pytest.fixture
def later_versions_table():
    """What a later version's migration might add: a table whose foreign key holds on to an existing one.
    Dropped afterwards, whatever the restore did with it."""
    yield add_a_later_versions_table
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS review_later_version")


def add_a_later_versions_table():
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE review_later_version (id integer PRIMARY KEY, "
            "user_id bigint NOT NULL REFERENCES leadership_user (id))"
        )
        cursor.execute(
            "INSERT INTO review_later_version (id, user_id) SELECT 1, min(id) FROM leadership_user"
        )


@pytest.mark.django_db(transaction=True)
def test_restore_replaces_a_database_that_a_later_version_added_tables_to(
    regions, clerk_anze, tmp_path, later_versions_table
):
    ParcelFactory(county=regions["141026"], code="RV-001")
    backed_up = database_snapshot()
    path = tmp_path / "before-the-upgrade.backup"
    call_command("backup", str(path))

    # The upgrade: a new table referring to the users, and rows written since.
    later_versions_table()
    ParcelFactory(county=regions["141026"], code="RV-002")

    call_command("restore", str(path), "--noinput")
    assert database_snapshot() == backed_up
    assert "review_later_version" not in connection.introspection.table_names()


@pytest.mark.django_db(transaction=True)
def test_restore_says_when_the_backup_is_from_another_version(regions, tmp_path):
    from django.db.migrations.loader import MigrationLoader
    from django.db.migrations.recorder import MigrationRecorder

    recorder = MigrationRecorder(connection)
    latest = sorted(MigrationLoader(connection).graph.leaf_nodes("parcels"))[-1]
    later = ("parcels", "9999_from_a_later_version")
    path = tmp_path / "another-version.backup"
    recorder.record_unapplied(*latest)
    recorder.record_applied(*later)
    try:
        call_command("backup", str(path))
    finally:
        recorder.record_applied(*latest)
        recorder.record_unapplied(*later)
    out = StringIO()
    try:
        call_command("restore", str(path), "--noinput", stdout=out)
    finally:  # the test database as this version's migrations left it
        recorder = MigrationRecorder(connection)
        recorder.record_applied(*latest)
        recorder.record_unapplied(*later)
    said = out.getvalue()
    assert "1 个数据库迁移未应用" in said and "manage.py migrate" in said
    assert "parcels.9999_from_a_later_version" in said


def foreign_backup(path):
    """A backup of something else: a SQLite file of another program, or a pg_dump archive of one table."""
    if connection.vendor == "sqlite":
        other = sqlite3.connect(path)
        other.execute("CREATE TABLE readings (value integer)")
        other.commit()
        other.close()
    else:
        from landtrack import backup

        settings_dict = connection.settings_dict
        subprocess.run(
            [
                backup._pg_command("pg_dump"),
                "--format=custom",
                "--no-owner",
                "--table",
                "leadership_region",
                "--file",
                str(path),
                *backup._pg_arguments(settings_dict),
            ],
            env=backup._pg_environment(settings_dict),
            check=True,
            capture_output=True,
        )


@pytest.mark.django_db(transaction=True)
def test_restore_refuses_a_file_that_is_not_a_landtrack_backup_and_changes_nothing(regions, tmp_path):
    ParcelFactory(county=regions["141026"], code="RV-003")
    path = tmp_path / "something-else.backup"
    foreign_backup(path)
    before = database_snapshot()
    with pytest.raises(CommandError, match="不是 LandTrack 数据库的备份"):
        call_command("restore", str(path), "--noinput")
    assert database_snapshot() == before


@pytest.mark.django_db(transaction=True)
def test_pin_a_backup_that_breaks_off_half_way_restores_nothing(regions, tmp_path):
    # pin: the restore is one transaction, committed only once the whole file has been read.
    path = tmp_path / "whole.backup"
    call_command("backup", str(path))
    ParcelFactory(county=regions["141026"], code="RV-004")
    before = database_snapshot()
    broken = tmp_path / "broken.backup"
    content = path.read_bytes()
    broken.write_bytes(content[: len(content) * 9 // 10])
    with pytest.raises(CommandError):
        call_command("restore", str(broken), "--noinput")
    assert database_snapshot() == before
    assert Parcel.objects.filter(code="RV-004").exists()


@pytest.mark.django_db(transaction=True)
def test_pin_after_a_restore_new_rows_take_new_ids_and_tokens_and_catalog_triggers_work(
    regions, clerk_anze, tmp_path
):
    # pin: sequences, API tokens, history and the catalog stamp's triggers come back with the data.
    from rest_framework.authtoken.models import Token
    from rest_framework.test import APIClient

    from tasks import triggers

    token = Token.objects.create(user=clerk_anze)
    first = ParcelFactory(county=regions["141026"], code="RV-005")
    history = first.history.count()
    installed = triggers.installed(connection)
    assert installed and all(installed.values())
    path = tmp_path / "landtrack.backup"
    call_command("backup", str(path))
    taken = ParcelFactory(county=regions["141026"], code="RV-006").pk

    call_command("restore", str(path), "--noinput")
    assert not Parcel.objects.filter(code="RV-006").exists()
    assert Parcel.objects.get(code="RV-005").history.count() == history
    assert ParcelFactory(county=regions["141026"], code="RV-007").pk > first.pk
    assert taken > first.pk
    assert triggers.installed(connection) == installed
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    assert client.get("/api/v1/parcels/").status_code == 200


@pytest.mark.django_db(transaction=True)
def test_a_backup_is_readable_by_its_owner_only(regions, tmp_path):
    path = tmp_path / "landtrack.backup"
    previous = os.umask(0o022)
    try:
        call_command("backup", str(path))
    finally:
        os.umask(previous)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


@pytest.mark.django_db(transaction=True)
def test_a_backup_into_a_folder_that_does_not_exist_fails_with_a_message(regions, tmp_path):
    path = tmp_path / "no-such-folder" / "landtrack.backup"
    with pytest.raises(CommandError, match="备份"):
        call_command("backup", str(path))
    assert not path.exists()


@pytest.mark.django_db(transaction=True)
def test_restore_with_no_terminal_to_confirm_from_refuses_in_chinese_and_changes_nothing(
    regions, tmp_path, monkeypatch
):
    path = tmp_path / "whole.backup"
    call_command("backup", str(path))
    ParcelFactory(county=regions["141026"], code="RV-005")
    before = database_snapshot()

    def no_terminal(prompt=""):
        raise EOFError

    monkeypatch.setattr("builtins.input", no_terminal)  # as under cron: standard input at its end
    with pytest.raises(CommandError, match="没有可以确认的终端"):
        call_command("restore", str(path))
    assert database_snapshot() == before


def test_every_page_names_the_sites_icon_and_the_icon_is_served(client, superuser):
    from django.contrib.staticfiles import finders

    client.force_login(superuser)
    pages = [
        client.get("/dashboard/"),
        client.get("/admin/"),
        Client().get("/admin/login/"),
        Client().get("/x/"),
    ]
    for response in pages:
        url, page = response.request["PATH_INFO"], response.content.decode()
        (href,) = re.findall(r'<link rel="icon" href="([^"]+)"', page)
        assert href.endswith("landtrack/favicon.svg"), (url, href)
    assert finders.find("landtrack/favicon.svg")
