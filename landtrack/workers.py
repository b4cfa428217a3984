"""How a LandTrack process that serves requests sets up Python's garbage collector.

gunicorn calls :func:`prepare_collector` in its master just before forking each worker
(``gunicorn.conf.py``), and ``bench/run.py`` calls it so that the benchmark measures what the workers run.
"""

import gc

# The collector's youngest generation is collected after every 700 new container objects by default.
# The country's progress report creates some 200,000 (rows, milestones, figures), so a request ran
# hundreds of collections, each promoting survivors that the older generations then scan again: about
# 14 ms of its 78 (bench/run.py, docs/PERFORMANCE.md). Collecting every 50,000 allocations keeps the
# same guarantees — cycles are still collected, in bounded time — with a few MB more between collections.
THRESHOLDS = (50_000, 20, 10)


def prepare_collector():
    """Freeze what is loaded so far (Django, the apps: never garbage) out of every scan, and collect the
    young generation less often."""
    gc.freeze()
    gc.set_threshold(*THRESHOLDS)


def warm_up():
    """Read this year's county tasks and write today's country-wide progress report once, as a worker
    starts and before it takes requests (gunicorn's ``post_worker_init``): the first report a user asks
    of a new worker is then served from what it holds (tasks.catalog, tasks.api.progress.report_rows),
    not read and written from nothing. Its connection is the one the worker's requests then use (or close,
    as Django's CONN_MAX_AGE has it). A database that cannot answer yet only leaves that to the first
    request; the worker starts all the same."""
    import logging

    from django.db import DatabaseError
    from django.utils import timezone

    from tasks.api.progress import report_rows
    from tasks.progress import year_tasks

    today = timezone.localdate()
    try:
        report_rows(year_tasks(today.year), today)
    except DatabaseError:
        logging.getLogger(__name__).warning(
            "Worker warm-up skipped: the database did not answer.", exc_info=True
        )
