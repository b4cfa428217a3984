"""What each process holds of the catalog (county tasks, milestones, regions) while the database says it is
unchanged.

The catalog changes a few times a year; the reports and lists that read it are served all day. The
database changes ``CatalogStamp.token`` in the same transaction as every write of those tables (triggers:
tasks/migrations/0004_catalog_stamp.py), so one query for the token tells whether what this process holds
is still what the database holds; if not, or when there is no token (a database just flushed), the value
is read again. The token is read first: a write committed between the two reads makes the value held
newer than its token, and so read again next time, never older. Exact under concurrent writes and across
rolled-back transactions (a token is random and never comes back).
"""

import threading

from django.db import connection

from .models import CatalogStamp

# (database, name) -> (catalog token, value): what this process last read of each name.
_held = {}
_lock = threading.Lock()  # gunicorn's threaded workers (GUNICORN_THREADS) share one process
NAMES_KEPT = 16


def held(name, load):
    """``load()``, or what this process holds of it while the catalog is unchanged (then 1 query).

    ``load`` must read only the catalog's tables, and its value must not be changed by whoever receives
    it: the same value is shared by the requests of the process.
    """
    key = (connection.alias, connection.settings_dict["NAME"], name)
    token = CatalogStamp.objects.filter(pk=1).values_list("token", flat=True).first()
    kept = _held.get(key)
    if kept is not None and token is not None and kept[0] == token:
        return kept[1]
    value = load()
    if token is not None:
        with _lock:
            if key not in _held and len(_held) >= NAMES_KEPT:
                del _held[next(iter(_held))]
            _held[key] = (token, value)
    return value


def forget():
    """Drop everything this process holds (tests that count queries start cold; the benchmark's cold runs)."""
    with _lock:
        _held.clear()
