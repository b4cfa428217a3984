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


def _gunicorn_settings(monkeypatch, cpus, **env):
    import multiprocessing
    from pathlib import Path

    monkeypatch.setattr(multiprocessing, "cpu_count", lambda: cpus)
    monkeypatch.delenv("GUNICORN_WORKERS", raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    source = (Path(__file__).resolve().parents[2] / "gunicorn.conf.py").read_text()
    namespace = {}
    exec(compile(source, "gunicorn.conf.py", "exec"), namespace)  # noqa: S102 — the project's own config
    return namespace


def test_gunicorn_workers_two_per_cpu_and_one_at_most_sixteen_unless_told(monkeypatch):
    # Each worker holds a PostgreSQL connection: 129 workers on 64 cores would exceed the server's 100.
    assert _gunicorn_settings(monkeypatch, 2)["workers"] == 5
    assert _gunicorn_settings(monkeypatch, 7)["workers"] == 15
    assert _gunicorn_settings(monkeypatch, 8)["workers"] == 16
    assert _gunicorn_settings(monkeypatch, 64)["workers"] == 16
    assert _gunicorn_settings(monkeypatch, 64, GUNICORN_WORKERS="40")["workers"] == 40


def _this_years_tasks():
    from decimal import Decimal

    from django.utils import timezone

    from leadership.models import Region
    from tasks import services

    year = timezone.localdate().year
    for code in ("141026", "141029"):
        services.task_create(
            county=Region.objects.get(code=code), year=year, category="both", target_area_mu=Decimal("100")
        )
    return year


def test_a_worker_warms_up_before_it_takes_requests(regions, superuser, django_assert_num_queries):
    from django.utils import timezone
    from rest_framework.test import APIClient

    from landtrack.workers import warm_up
    from tasks.api import progress as progress_api
    from tasks.progress import year_tasks

    year = _this_years_tasks()
    warm_up()
    kept = {pk: entry[4] for pk, entry in progress_api._written.items()}
    assert len(kept) == 2
    with django_assert_num_queries(1):  # the catalog's stamp: the tasks are held
        assert len(year_tasks(year)) == 2
    client = APIClient()
    client.force_authenticate(superuser)
    body = client.get("/api/v1/progress/", {"year": year, "as_of": timezone.localdate().isoformat()}).json()
    assert [row["task_id"] for row in body["results"]] == list(kept)
    assert all(progress_api._written[pk][4] is row for pk, row in kept.items())  # served as written at start


def test_a_worker_starts_though_the_database_does_not_answer(regions, monkeypatch, caplog):
    from django.db import OperationalError

    from landtrack import workers
    from tasks import progress

    def no_answer(year):
        raise OperationalError("could not connect to server")

    monkeypatch.setattr(progress, "year_tasks", no_answer)
    workers.warm_up()
    assert "warm-up skipped" in caplog.text


def test_gunicorn_warms_each_worker_up(regions):
    from pathlib import Path

    from tasks.api import progress as progress_api

    _this_years_tasks()
    source = (Path(__file__).resolve().parents[2] / "gunicorn.conf.py").read_text()
    namespace = {}
    exec(compile(source, "gunicorn.conf.py", "exec"), namespace)  # noqa: S102 — the project's own config
    namespace["post_worker_init"](None)
    assert len(progress_api._written) == 2
