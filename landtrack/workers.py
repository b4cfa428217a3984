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
