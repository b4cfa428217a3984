"""This checkout served by gunicorn on loopback, debug off, for the hand-run bench/load.py and bench/fuzz.py."""

import contextlib
import os
import re
import secrets
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def wait_until_up(url, seconds=30):
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            urllib.request.urlopen(url, timeout=2)
            return
        except urllib.error.HTTPError:
            return  # answering (401 without a token) is up
        except OSError:
            time.sleep(0.3)
    raise SystemExit(f"gunicorn did not answer at {url}")


@contextlib.contextmanager
def served(port, workers, work, **environment):
    """gunicorn (gunicorn.conf.py, production settings but plain HTTP) on 127.0.0.1:``port`` while the
    block runs; its access log and error log go to ``work``. Yields the environment it was started with."""
    environment = {
        **os.environ,
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "DJANGO_SECURE_SSL_REDIRECT": "0",
        "DJANGO_SESSION_COOKIE_SECURE": "0",
        "DJANGO_CSRF_COOKIE_SECURE": "0",
        "GUNICORN_ACCESS_LOG": str(work / "access.log"),
        **environment,
    }
    # As a deployment does (README): the pages, error pages included, link the hashed static files.
    environment.setdefault("DJANGO_STATIC_ROOT", str(work / "static"))
    collect = [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"]
    subprocess.run(collect, cwd=ROOT, env=environment, check=True)
    with open(work / "gunicorn.log", "w") as log:
        server = subprocess.Popen(
            [
                sys.executable, "-m", "gunicorn", "--config", str(ROOT / "gunicorn.conf.py"),
                "--bind", f"127.0.0.1:{port}", "--workers", str(workers),
            ],
            cwd=ROOT, env=environment, stdout=subprocess.DEVNULL, stderr=log,
        )  # fmt: skip
        try:
            wait_until_up(f"http://127.0.0.1:{port}/api/v1/regions/")
            yield environment
        finally:
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=60)


def conclude(problems, work, passed):
    """Print the run's check — ``problems`` and the server's 5xx answers and tracebacks in ``work``, or
    ``passed`` when there are none — and exit with 1 if there are any."""
    with open(work / "access.log", encoding="utf-8") as log:
        answers = [line for line in log if re.search(r'" 5\d\d ', line)]
    with open(work / "gunicorn.log", encoding="utf-8") as log:
        tracebacks = [line for line in log if "Traceback" in line]
    if answers or tracebacks:
        problems.append(f"{len(answers)} 5xx answers, {len(tracebacks)} tracebacks (see {work})")
    print("check:", passed if not problems else "")
    for problem in problems:
        print("  -", problem)
    sys.exit(1 if problems else 0)
