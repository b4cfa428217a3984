"""landtrack.workers: the collector settings gunicorn's workers and the benchmark run with."""

import gc

from landtrack.workers import THRESHOLDS, prepare_collector


def test_prepare_collector_freezes_what_is_loaded_and_collects_the_young_generation_less_often():
    before = gc.get_threshold()
    try:
        prepare_collector()
        assert gc.get_threshold() == THRESHOLDS == (50_000, 20, 10)
        assert gc.get_freeze_count() > 10_000  # Django and the apps, loaded by the test run
        assert gc.isenabled()  # cycles are still collected
    finally:
        gc.unfreeze()
        gc.set_threshold(*before)


def test_gunicorn_prepares_each_worker_before_forking_it():
    from pathlib import Path

    source = (Path(__file__).resolve().parents[2] / "gunicorn.conf.py").read_text()
    namespace = {}
    exec(compile(source, "gunicorn.conf.py", "exec"), namespace)  # noqa: S102 — the project's own config
    before = gc.get_threshold()
    try:
        namespace["pre_fork"](None, None)
        assert gc.get_threshold() == THRESHOLDS
    finally:
        gc.unfreeze()
        gc.set_threshold(*before)
