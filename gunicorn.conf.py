"""gunicorn configuration for LandTrack: `.venv/bin/gunicorn landtrack.wsgi` reads it from the working directory.

Every setting can be overridden from the environment (``GUNICORN_BIND`` …) or on the command line.
"""

import multiprocessing
import os

# Behind a TLS-terminating proxy (nginx) on the same host: listen on loopback only.
bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
# Synchronous workers: LandTrack's requests are short and database-bound. Each keeps a database
# connection open (DJANGO_CONN_MAX_AGE): by default no more than 16, well within PostgreSQL's default
# max_connections of 100 on a host of many cores, with room for backups, migrations and a second server.
MAX_DEFAULT_WORKERS = 16
workers = int(
    os.environ.get("GUNICORN_WORKERS", min(multiprocessing.cpu_count() * 2 + 1, MAX_DEFAULT_WORKERS))
)
threads = int(os.environ.get("GUNICORN_THREADS", 1))
# Excel imports of 10,000 rows take a few seconds; nothing should take a minute.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", 60))
graceful_timeout = 30
keepalive = 5
# Recycle workers now and then, so that a slow leak can never grow without bound.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", 2000))
max_requests_jitter = 200
# Trust X-Forwarded-* only from the proxy (see DJANGO_SECURE_PROXY_SSL_HEADER in the README).
forwarded_allow_ips = os.environ.get("GUNICORN_FORWARDED_ALLOW_IPS", "127.0.0.1")
# Uploads (ledgers, coordinate files) are read by Django, which enforces its own size limits.
limit_request_line = 8190
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-")
errorlog = os.environ.get("GUNICORN_ERROR_LOG", "-")
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
wsgi_app = "landtrack.wsgi:application"
# gunicorn 25.1+ opens a control socket for gunicornc in the user's home by default: every gunicorn the user
# runs shares that path (the last started takes it over, the first stopped removes it), and a service account
# whose home is not writable logs an error at each start. LandTrack does not need it; set a path to have one.
control_socket_disable = not os.environ.get("GUNICORN_CONTROL_SOCKET")
if not control_socket_disable:
    control_socket = os.environ["GUNICORN_CONTROL_SOCKET"]
# Load Django once in the master and fork the workers from it; the objects loaded by then are frozen
# out of the garbage collector's scans, which otherwise walk all of Django on every collection, and
# the young generation is collected less often (landtrack/workers.py).
preload_app = True


def pre_fork(server, worker):
    from landtrack.workers import prepare_collector

    prepare_collector()


def post_worker_init(worker):
    from landtrack.workers import warm_up

    warm_up()
