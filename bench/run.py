"""LandTrack's benchmark: run by hand against a database filled by ``generate_demo_data``; prints a table.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/landtrack_bench .venv/bin/python manage.py migrate
    DATABASE_URL=… .venv/bin/python manage.py generate_demo_data --counties 2850 --parcels 1000000 --seed 1
    DATABASE_URL=… .venv/bin/python bench/run.py [--repeat 5] [--skip-excel]

Every figure is measured in one run on the same database: the REST progress report for every county
against the bare SQL aggregate of the same figures over the raw parcel and disposal tables (the naive
limit), the parcel list's first and a deep page against a full COUNT(*), and the same filtered by a
status (counted from the filtered rows), the admin's parcel list (the country's, a city bureau's and a
county clerk's), the API's fixed cost (a 404), searches over every county, a county dashboard and its
progress by town and unit, and, from ``bench/excel.py``, importing 10,000 ledger rows and exporting
100,000 with the peak memory. Requests go through Django's test client
in this process (no network), with DEBUG off. Results and the commands that produced them are recorded
in docs/PERFORMANCE.md.
"""

import argparse
import datetime
import os
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "landtrack.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.utils import timezone  # noqa: E402

from landtrack.workers import prepare_collector  # noqa: E402
from leadership.choices import Role  # noqa: E402
from leadership.models import Region, User  # noqa: E402
from parcels.choices import ParcelStatus  # noqa: E402
from parcels.models import Disposal, Parcel  # noqa: E402
from tasks.api.progress import forget_rows  # noqa: E402
from tasks.catalog import forget  # noqa: E402
from tasks.models import CountyTask  # noqa: E402

settings.DEBUG = False  # no query log: measure what production runs
prepare_collector()  # as gunicorn.conf.py leaves its workers (landtrack/workers.py)


def measure(function, repeat):
    """Median and best wall time in milliseconds of ``repeat`` calls, after one warm-up call, and the
    median time of those calls spent in the database (the statements' own execution and fetching)."""
    function()
    times, database = [], []
    for _ in range(repeat):
        spent = [0.0]

        def timed(execute, sql, params, many, context, spent=spent):
            started = time.perf_counter()
            try:
                return execute(sql, params, many, context)
            finally:
                spent[0] += time.perf_counter() - started

        with connection.execute_wrapper(timed):
            started = time.perf_counter()
            function()
            times.append((time.perf_counter() - started) * 1000)
        database.append(spent[0] * 1000)
    return statistics.median(times), min(times), statistics.median(database)


def bench_user():
    user, _ = User.objects.get_or_create(
        username="bench_admin", defaults={"role": Role.ADMIN, "is_staff": True, "is_superuser": True}
    )
    return user


def staff(username, role, code):
    """A staff account of this role for the region with this code: the admin as its users see it."""
    user, _ = User.objects.update_or_create(
        username=username, defaults={"role": role, "is_staff": True, "region": Region.objects.get(code=code)}
    )
    return user


def client_for(user):
    client = Client(SERVER_NAME="127.0.0.1")
    client.force_login(user)
    return client


def get_ok(client, url, status=200):
    """A call of ``GET url`` that stops the benchmark unless it answers ``status``."""

    def call():
        response = client.get(url)
        if response.status_code != status:
            raise SystemExit(f"{url} answered {response.status_code}: {response.content[:300]!r}")
        return response

    return call


def cold(call, *, catalog=True, rows=False):
    """``call`` in a process that holds nothing of the catalog (tasks.catalog.held; ``catalog``): as the
    first request after a task, milestone or region changed; and (``rows``) none of the progress report's
    rows it last wrote (tasks.api.progress.report_rows): as if every county's figures had changed since,
    or, with both, as the first request of a new worker."""

    def first_after_a_change():
        if catalog:
            forget()
        if rows:
            forget_rows()
        return call()

    return first_after_a_change


NAIVE_SQL = """
SELECT t.id,
       SUM(d.area_mu) FILTER (WHERE d.date <= LEAST(t.end_date, %(as_of)s)) AS completed,
       SUM(d.area_mu) FILTER (WHERE d.date <= LEAST(t.end_date, %(m1)s)) AS by_m1,
       SUM(d.area_mu) FILTER (WHERE d.date <= LEAST(t.end_date, %(m2)s)) AS by_m2,
       SUM(d.area_mu) FILTER (WHERE d.date <= LEAST(t.end_date, %(m3)s)) AS by_m3,
       SUM(d.area_mu) FILTER (WHERE d.date <= LEAST(t.end_date, %(m4)s)) AS by_m4
FROM tasks_countytask t
JOIN parcels_parcel p ON p.county_id = t.county_id AND (t.category = 'both' OR p.kind = t.category)
JOIN parcels_disposal d ON d.parcel_id = p.id AND d.date >= t.start_date
WHERE t.year = %(year)s
GROUP BY t.id
"""

NAIVE_SQL_SQLITE = """
SELECT t.id,
       SUM(CASE WHEN d.date <= MIN(t.end_date, %(as_of)s) THEN d.area_mu END) AS completed,
       SUM(CASE WHEN d.date <= MIN(t.end_date, %(m1)s) THEN d.area_mu END) AS by_m1,
       SUM(CASE WHEN d.date <= MIN(t.end_date, %(m2)s) THEN d.area_mu END) AS by_m2,
       SUM(CASE WHEN d.date <= MIN(t.end_date, %(m3)s) THEN d.area_mu END) AS by_m3,
       SUM(CASE WHEN d.date <= MIN(t.end_date, %(m4)s) THEN d.area_mu END) AS by_m4
FROM tasks_countytask t
JOIN parcels_parcel p ON p.county_id = t.county_id AND (t.category = 'both' OR p.kind = t.category)
JOIN parcels_disposal d ON d.parcel_id = p.id AND d.date >= t.start_date
WHERE t.year = %(year)s
GROUP BY t.id
"""


def naive_progress(year, as_of):
    """The bare aggregate: each task's completed area as of the date and by each default milestone."""
    params = {
        "year": year,
        "as_of": as_of,
        "m1": datetime.date(year, 5, 31),
        "m2": datetime.date(year, 6, 30),
        "m3": datetime.date(year, 9, 30),
        "m4": datetime.date(year, 11, 30),
    }
    sql = NAIVE_SQL if connection.vendor == "postgresql" else NAIVE_SQL_SQLITE

    def call():
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall()

    return call


def count_star():
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM parcels_parcel")
        return cursor.fetchone()[0]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="timed calls per figure (after one warm-up)")
    parser.add_argument("--year", type=int, help="task year (default: this year)")
    parser.add_argument("--as-of", type=datetime.date.fromisoformat, help="date of the figures (default: today)")
    parser.add_argument("--skip-excel", action="store_true", help="leave out the Excel import and export")
    args = parser.parse_args()

    as_of = args.as_of or timezone.localdate()
    year = args.year or as_of.year
    parcels = Parcel.objects.count()
    disposals = Disposal.objects.count()
    tasks = CountyTask.objects.filter(year=year).count()
    counties = CountyTask.objects.filter(year=year).values("county").distinct().count()
    if not tasks:
        raise SystemExit(f"No {year} tasks in this database: run manage.py generate_demo_data first.")
    print(
        f"# LandTrack benchmark — {connection.vendor}, {parcels:,} parcels, {disposals:,} disposals, "
        f"{tasks:,} tasks of {year} in {counties:,} counties, as of {as_of}, median of {args.repeat}"
    )

    client = client_for(bench_user())
    rows = []

    def row(name, timing, note=""):
        database = timing[2] if len(timing) > 2 else None
        rows.append((name, timing[0], timing[1], database, note))
        print(f"  {name}: {timing[0]:.1f} ms (best {timing[1]:.1f})", file=sys.stderr)

    progress_url = f"/api/v1/progress/?year={year}&as_of={as_of}"
    naive = measure(naive_progress(year, as_of), args.repeat)
    row("bare SQL aggregate over parcels and disposals (the naive limit)", naive)
    progress = measure(get_ok(client, progress_url), args.repeat)
    row(
        f"GET {progress_url}",
        progress,
        f"{naive[0] / progress[0]:.1f}× faster than the bare aggregate; its database work "
        f"{naive[0] / progress[2]:.0f}× less (the year's tasks held by the process, nothing disposed of "
        "since the last request: every row as written then)",
    )
    progress_rows = measure(cold(get_ok(client, progress_url), catalog=False, rows=True), args.repeat)
    row(
        f"GET {progress_url}, every row written afresh",
        progress_rows,
        f"{naive[0] / progress_rows[0]:.1f}× faster than the bare aggregate; as if every county had disposed "
        "of land since the last request",
    )
    progress_cold = measure(cold(get_ok(client, progress_url)), args.repeat)
    row(
        f"GET {progress_url}, tasks read afresh",
        progress_cold,
        f"{naive[0] / progress_cold[0]:.1f}× faster than the bare aggregate; as the first request after a "
        "task, milestone or county changed",
    )
    progress_new = measure(cold(get_ok(client, progress_url), rows=True), args.repeat)
    row(
        f"GET {progress_url}, in a new worker",
        progress_new,
        f"{naive[0] / progress_new[0]:.1f}× faster than the bare aggregate; tasks read and every row written "
        "afresh",
    )

    full_count = measure(count_star, args.repeat)
    row("SELECT COUNT(*) FROM parcels_parcel (a full count)", full_count)
    first = measure(get_ok(client, "/api/v1/parcels/?page_size=50"), args.repeat)
    row(
        "GET /api/v1/parcels/ first page (50), all counties",
        first,
        f"{first[0] / full_count[0]:.2f}× the count; database {first[2] / full_count[0]:.2f}×",
    )
    deep_page = max(1, parcels // 50 // 2)
    deep = measure(get_ok(client, f"/api/v1/parcels/?page_size=50&page={deep_page}"), args.repeat)
    row(
        f"GET /api/v1/parcels/ page {deep_page:,} (50), all counties",
        deep,
        f"{deep[0] / full_count[0]:.2f}× the count; database {deep[2] / full_count[0]:.2f}×",
    )

    # A filter ParcelCount cannot count (parcels.paging): the filtered rows counted per county, once.
    pending = Parcel.objects.with_status(ParcelStatus.PENDING).count()
    for page in (1, max(1, pending // 50 // 2)):
        filtered = measure(
            get_ok(client, f"/api/v1/parcels/?status=pending&page_size=50&page={page}"), args.repeat
        )
        row(
            f"GET /api/v1/parcels/?status=pending page {page:,} (50) of {pending:,}, all counties",
            filtered,
            f"{filtered[0] / full_count[0]:.2f}× the count; database {filtered[2] / full_count[0]:.2f}×",
        )

    absent = (Parcel.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1
    floor = measure(get_ok(client, f"/api/v1/parcels/{absent}/", status=404), args.repeat)
    row(
        "GET /api/v1/parcels/<an id that does not exist>/ (404)",
        floor,
        f"{floor[0] / full_count[0]:.2f}× the count: what any request of the API costs (session, user, "
        "scope, one lookup), below which no list page can go",
    )

    changelist = measure(get_ok(client, "/admin/parcels/parcel/"), args.repeat)
    row(
        "GET /admin/parcels/parcel/ first page (50), all counties",
        changelist,
        f"{changelist[0] / full_count[0]:.2f}× the count; the page county staff work in",
    )

    county = CountyTask.objects.filter(year=year).order_by("county__code").values_list("county__code", flat=True)
    county = county[len(county) // 2] if len(county) else None
    if county:
        city = Region.objects.get(code=county).parent
        city_client = client_for(staff("bench_city", Role.CITY_BUREAU, city.code))
        city_list = measure(get_ok(city_client, "/admin/parcels/parcel/?p=2"), args.repeat)
        row(f"GET /admin/parcels/parcel/ second page (50), the city bureau of {city.code}", city_list)
        clerk = client_for(staff("bench_clerk", Role.COUNTY_CLERK, county))
        clerk_list = measure(get_ok(clerk, "/admin/parcels/parcel/"), args.repeat)
        row(f"GET /admin/parcels/parcel/ first page (50), a clerk of {county}", clerk_list)
        searched = Parcel.objects.filter(county__code=county).order_by("code").values("code", "name").first()
        searches = []
        if searched:
            code, name = searched["code"], searched["name"]
            searches = [
                ("/api/v1/parcels/?search=", code, "a parcel's code"),
                ("/admin/parcels/parcel/?q=", name[:4], "four characters of its name"),
                ("/api/v1/parcels/?search=", name[:2], "two characters: no trigram, the whole table"),
            ]
        for path, term, what in searches:
            search = measure(get_ok(client, path + quote(term)), args.repeat)
            row(
                f"GET {path}{term} (every county)",
                search,
                f"{search[0] / full_count[0]:.2f}× the count; {what}",
            )
        dashboard = measure(get_ok(client, f"/dashboard/{county}/?year={year}&as_of={as_of}"), args.repeat)
        row(f"GET /dashboard/{county}/ (one county's page)", dashboard)
        county_progress = measure(
            get_ok(client, f"/api/v1/progress/{county}/?year={year}&as_of={as_of}"), args.repeat
        )
        row(f"GET /api/v1/progress/{county}/ (one county, by town and unit)", county_progress)
        overview = measure(get_ok(client, f"/dashboard/?year={year}&as_of={as_of}"), args.repeat)
        row("GET /dashboard/ (every county)", overview)

    if not args.skip_excel:
        try:
            from bench import excel
        except ImportError as error:
            print(f"  (Excel figures left out: {error})", file=sys.stderr)
        else:
            for name, median_ms, best_ms, note in excel.figures(repeat=max(1, min(args.repeat, 3))):
                row(name, (median_ms, best_ms), note)

    print()
    print("| figure | median ms | best ms | of which database ms | note |")
    print("|---|---:|---:|---:|---|")
    for name, median_ms, best_ms, database_ms, note in rows:
        database = "" if database_ms is None else f"{database_ms:,.1f}"
        print(f"| {name} | {median_ms:,.1f} | {best_ms:,.1f} | {database} | {note} |")


if __name__ == "__main__":
    main()
