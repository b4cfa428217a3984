"""The project as it is deployed: debug off, collectstatic, gunicorn from gunicorn.conf.py, behind a proxy.

A throwaway SQLite database and static folder keep this independent of the test database; the server
runs in its own process, exactly as the README's deployment section starts it.
"""

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SECRET = "a-long-random-production-secret-key-0123456789-abcdefghijklmnop"


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def production(tmp_path_factory):
    work = tmp_path_factory.mktemp("production")
    port = free_port()
    environment = {
        **{key: value for key, value in os.environ.items() if not key.startswith(("DJANGO_", "DATABASE_URL"))},
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": SECRET,
        "DJANGO_ALLOWED_HOSTS": "landtrack.example.cn,127.0.0.1",
        "DJANGO_SECURE_PROXY_SSL_HEADER": "1",
        "DJANGO_STATIC_ROOT": str(work / "static"),
        "DATABASE_URL": f"sqlite:///{work / 'landtrack.sqlite3'}",
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "GUNICORN_WORKERS": "2",
    }

    def manage(*args):
        result = subprocess.run(
            [sys.executable, "manage.py", *args], cwd=ROOT, env=environment, capture_output=True, text=True,
            timeout=300,
        )
        assert result.returncode == 0, result.stdout + result.stderr
        return result

    manage("migrate", "--noinput")
    manage("loaddata", "regions")
    manage("collectstatic", "--noinput")
    log = open(work / "gunicorn.log", "w")
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--config", str(ROOT / "gunicorn.conf.py")],
        cwd=ROOT, env=environment, stdout=log, stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            urllib.request.urlopen(f"{base}/accounts/login/", timeout=2)
            break
        except urllib.error.HTTPError:
            break
        except OSError:
            time.sleep(0.3)
    try:
        yield base, manage
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()


def fetch(url, *, https=True):
    """GET as the proxy forwards it: Host of the site, X-Forwarded-Proto https."""
    request = urllib.request.Request(url, headers={"Host": "landtrack.example.cn"})
    if https:
        request.add_header("X-Forwarded-Proto", "https")
    try:
        return urllib.request.build_opener(NoRedirect).open(request, timeout=10)
    except urllib.error.HTTPError as error:
        return error


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def test_check_deploy_is_clean(production):
    _, manage = production
    result = manage("check", "--deploy", "--fail-level", "WARNING")
    assert "no issues" in result.stdout


def test_the_sign_in_page_over_https_with_every_security_header(production):
    base, _ = production
    response = fetch(f"{base}/accounts/login/")
    assert response.status == 200
    headers = response.headers
    assert headers["Strict-Transport-Security"].startswith("max-age=31536000")
    policy = headers["Content-Security-Policy"]
    assert "default-src 'self'" in policy and "script-src 'self'" in policy and "frame-ancestors 'none'" in policy
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "same-origin"
    cookie = headers["Set-Cookie"]
    assert "csrftoken=" in cookie and "Secure" in cookie and "SameSite=Lax" in cookie
    page = response.read().decode()
    assert 'lang="zh-hans"' in page and "/static/" in page


def test_plain_http_is_sent_to_https(production):
    base, _ = production
    response = fetch(f"{base}/dashboard/", https=False)
    assert response.status == 301
    assert response.headers["Location"] == "https://landtrack.example.cn/dashboard/"


def test_static_files_are_served_compressed_and_hashed_by_whitenoise(production):
    base, _ = production
    page = fetch(f"{base}/accounts/login/").read().decode()
    start = page.index("/static/landtrack/dashboard.")
    path = page[start : page.index('"', start)]
    assert path.endswith(".css") and path.count(".") >= 2, path  # dashboard.<hash>.css
    response = fetch(f"{base}{path}")
    assert response.status == 200
    assert "max-age" in response.headers["Cache-Control"]


def test_a_page_that_is_not_there_answers_the_chinese_404_page(production):
    base, _ = production
    response = fetch(f"{base}/no-such-page/")
    assert response.status == 404
    assert "未找到该页面" in response.read().decode()


def test_a_server_error_shows_no_debug_page(production):
    base, _ = production
    response = fetch(f"{base}/api/v1/no-such-thing/")
    assert response.status == 404
    body = response.read().decode()
    assert "Traceback" not in body and "DEBUG" not in body
