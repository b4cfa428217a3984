"""Excel ledger at size: import 10,000 rows (goal ≤ 10 s) and export 100,000 (goal: peak RSS < 250 MB).

Run by hand; it makes its own throwaway database and removes it afterwards:

    .venv/bin/python bench/excel.py                         # a temporary SQLite file
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/landtrack .venv/bin/python bench/excel.py
                                                            # a database landtrack_bench_excel_<pid> on
                                                            # that server, created and dropped
    options: --import-rows 10000 --export-rows 100000 --repeat 1

Each measurement runs in a fresh child process (``--child``) that goes through the REST API with Django's
test client, so its peak resident set size (``VmHWM``: :func:`peak_rss_mb`) is that of one import or one
export on top of a started Django, nothing else. The import is timed three ways — dry run, first import (10,000 new
parcels) and the same file again (10,000 unchanged) — and the export streams the 100,000-row ledger of
one county through ``GET /api/v1/parcels/export/``.

``bench/run.py`` imports this module with Django already set up on its own database and calls
:func:`figures`: the measurements then use a county of their own there (code 899901, outside GB/T 2260),
emptied before and after. :func:`measure_import` and :func:`measure_export` return the raw figures.
"""

import argparse
import datetime
import io
import json
import math
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "landtrack.settings")

IMPORT_ROWS = 10_000
EXPORT_ROWS = 100_000
IMPORT_GOAL_SECONDS = 10
EXPORT_GOAL_MB = 250
# 89: a province code GB/T 2260 leaves unassigned, and apart from generate_demo_data's 90–99.
PROVINCE, CITY, COUNTY = "890000", "899900", "899901"
TOWNS = [
    (f"{COUNTY}10{index}", name)
    for index, name in enumerate(["城关镇", "东关镇", "西河乡", "南山乡", "北坡镇"])
]
BENCH_USER = "bench_excel"

__all__ = [
    "IMPORT_ROWS",
    "EXPORT_ROWS",
    "ledger_file",
    "bench_county",
    "clear_county",
    "fill_county",
    "measure_import",
    "measure_export",
    "figures",
]


def peak_rss_mb():
    """This process's peak resident set size so far, in MB.

    Linux's ``VmHWM`` (/proc/self/status), the high-water mark of this program's own memory: a child
    started by a process already large would otherwise report its parent's size, for ``ru_maxrss`` keeps,
    across ``exec``, the peak of the memory the child was forked with (bench/run.py's process, after the
    national reports, is larger than the goal). Elsewhere, ``ru_maxrss``.
    """
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# --- data ------------------------------------------------------------------------------------------


def ledger_file(rows, *, county_code=COUNTY, seed=1):
    """A 批而未供 ledger of ``rows`` lines as a county fills it in: text dates, float areas, zero-padded codes."""
    from openpyxl import Workbook

    from parcels.ledger import COLUMNS

    random.seed(seed)
    reasons = ["规划调整", "征地拆迁未完成", "不具备净地/通平条件", "无意向用地单位", "资金不足", "涉法涉诉"]
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("批而未供")
    sheet.calculate_dimension = lambda: f"A1:R{rows + 2}"  # as Excel writes it, ahead of the rows
    sheet.append([f"{county_code} 批而未供土地台账"])
    sheet.append([column.header for column in COLUMNS["unsupplied"]])
    for index in range(rows):
        approved = datetime.date(2010, 1, 1) + datetime.timedelta(days=random.randrange(4000))
        area = round(random.uniform(0.5, 80), 2)
        sheet.append(
            [
                county_code,
                f"{index:06d}",
                f"批次用地第{index}宗",
                TOWNS[index % len(TOWNS)][1],
                f"{TOWNS[index % len(TOWNS)][1]}{index % 97}号",
                f"晋政地字〔{approved.year}〕{index % 300 + 1}号",
                f"{approved.year}年{approved.month}月{approved.day}日" if index % 2 else approved,
                f"{approved.year}年度第{index % 5 + 1}批次",
                # some with float noise in the last bit, as Excel's sums leave it
                math.nextafter(area, math.inf) if index % 7 == 0 else area,
                ["已完成", "部分完成", "未实施"][index % 3],
                "空地",
                reasons[index % len(reasons)],
                "出让供应",
                datetime.date(2024, 6, 30),
                None,
                None,
                None,
                None,
            ]
        )
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def bench_county():
    """The benchmark's own county (with its province, city and towns), created once."""
    from leadership.models import Region

    province, _ = Region.objects.get_or_create(
        code=PROVINCE, defaults={"name": "基准测试省", "level": "province"}
    )
    city, _ = Region.objects.get_or_create(
        code=CITY, defaults={"name": "基准测试市", "level": "city", "parent": province}
    )
    county, _ = Region.objects.get_or_create(
        code=COUNTY, defaults={"name": "基准测试县", "level": "county", "parent": city}
    )
    for code, name in TOWNS:
        Region.objects.get_or_create(code=code, defaults={"name": name, "level": "town", "parent": county})
    return county


def bench_user():
    from leadership.models import User

    user, _ = User.objects.get_or_create(
        username=BENCH_USER, defaults={"role": "admin", "is_staff": True, "is_superuser": True}
    )
    return user


def clear_county(county):
    """Remove the benchmark county's parcels and their history (raw deletes: it has no disposals)."""
    from django.db import transaction

    from parcels.models import Parcel
    from parcels.rollup import parcel_counts_refresh

    with transaction.atomic():
        Parcel.history.filter(county_id=county.pk)._raw_delete(Parcel.history.db)
        Parcel.objects.filter(county=county)._raw_delete(Parcel.objects.db)
        parcel_counts_refresh([county.pk])  # raw deletes skip the signals that keep the counts


def fill_county(county, total, *, batch=5000):
    """Add plain 批而未供 parcels until the county has ``total`` (bulk inserts, no history: bench data)."""
    from decimal import Decimal

    from leadership.models import Region
    from parcels.models import Parcel
    from parcels.rollup import parcel_counts_refresh

    towns = list(Region.objects.filter(parent=county).order_by("code"))
    have = Parcel.objects.filter(county=county).count()
    for start in range(have, total, batch):
        Parcel.objects.bulk_create(
            Parcel(
                county=county,
                town=towns[index % len(towns)],
                code=f"F{index:07d}",
                name=f"填充地块{index}",
                location=f"{towns[index % len(towns)].name}{index % 89}号",
                kind="unsupplied",
                area_mu=Decimal(index % 9000 + 1) / 100,
                approval_number=f"晋政地字〔2015〕{index % 300 + 1}号",
                approval_date=datetime.date(2015, 1, 1) + datetime.timedelta(days=index % 2500),
                batch_name="2015年度批次",
                expropriation_status="completed",
                unsupplied_reason="no_user",
                planned_method="supply_transfer",
                planned_date=datetime.date(2024, 6, 30),
            )
            for index in range(start, min(start + batch, total))
        )
    parcel_counts_refresh([county.pk])  # bulk inserts skip the signals that keep the counts
    return Parcel.objects.filter(county=county).count()


# --- measuring, each in a child process ------------------------------------------------------------


def _child_client():
    import django

    django.setup()
    from django.conf import settings
    from django.test import Client

    settings.DEBUG = False  # no query log
    client = Client(SERVER_NAME="127.0.0.1")
    client.force_login(bench_user())
    client.get("/api/v1/regions/")  # warm: middleware, URL resolver, serializers
    return client


def _child_import(path):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client = _child_client()
    content = Path(path).read_bytes()
    base_mb = peak_rss_mb()
    figures = {"base_rss_mb": base_mb}
    for name, dry_run in (("dry_run", "true"), ("new", "false"), ("unchanged", "false")):
        upload = SimpleUploadedFile("ledger.xlsx", content)
        started = time.perf_counter()
        response = client.post(
            "/api/v1/parcels/import/",
            {"file": upload, "kind": "unsupplied", "county": COUNTY, "dry_run": dry_run},
        )
        figures[f"{name}_seconds"] = time.perf_counter() - started
        body = response.json()
        if response.status_code != 200:
            raise SystemExit(
                f"import answered {response.status_code}: {json.dumps(body, ensure_ascii=False)[:500]}"
            )
        figures[f"{name}_counts"] = [body["created"], body["updated"], body["unchanged"]]
    figures["peak_rss_mb"] = peak_rss_mb()
    return figures


def _child_export(path):
    client = _child_client()
    base_mb = peak_rss_mb()
    started = time.perf_counter()
    response = client.get("/api/v1/parcels/export/", {"county": COUNTY, "kind": "unsupplied"})
    if response.status_code != 200:
        raise SystemExit(f"export answered {response.status_code}: {response.content[:300]!r}")
    size = 0
    with open(path, "wb") as target:
        for chunk in response.streaming_content:
            size += len(chunk)
            target.write(chunk)
    response.close()
    return {
        "seconds": time.perf_counter() - started,
        "bytes": size,
        "base_rss_mb": base_mb,
        "peak_rss_mb": peak_rss_mb(),
    }


def _run_child(*arguments, environment=None):
    result = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), "--child", *arguments],
        capture_output=True,
        text=True,
        env={**os.environ, **(environment or {})},
        cwd=ROOT,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"bench child {arguments[0]} failed:\n{result.stdout}\n{result.stderr}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def measure_import(rows=IMPORT_ROWS, repeat=1):
    """Dry run, first import and repeat of a ``rows``-line ledger into an emptied bench county, ``repeat`` times.

    Returns one dict per run: ``*_seconds``, ``*_counts`` [created, updated, unchanged], ``peak_rss_mb``.
    """
    county = bench_county()
    bench_user()
    runs = []
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "ledger.xlsx"
        path.write_bytes(ledger_file(rows))
        for _ in range(repeat):
            clear_county(county)
            runs.append(_run_child("import", str(path)))
    return runs


def measure_export(rows=EXPORT_ROWS, repeat=1):
    """Export a ``rows``-parcel county ledger ``repeat`` times; returns dicts with seconds, bytes, RSS, rows."""
    from openpyxl import load_workbook

    county = bench_county()
    bench_user()
    fill_county(county, rows)
    runs = []
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "export.xlsx"
        for _ in range(repeat):
            # The export's limit (settings.LEDGER_EXPORT_MAX_ROWS) raised to the rows measured, if below.
            limit = max(rows, int(os.environ.get("LANDTRACK_EXPORT_MAX_ROWS", "100000")))
            run = _run_child("export", str(path), environment={"LANDTRACK_EXPORT_MAX_ROWS": str(limit)})
            workbook = load_workbook(path, read_only=True)
            run["rows"] = sum(1 for _ in workbook["批而未供"].iter_rows(min_row=2, values_only=True))
            workbook.close()
            runs.append(run)
    return runs


def figures(repeat=1, *, import_rows=IMPORT_ROWS, export_rows=EXPORT_ROWS):
    """Rows for bench/run.py's table: (figure, median ms, best ms, note)."""
    county = bench_county()
    clear_county(county)
    try:
        imports = measure_import(import_rows, repeat)
        exports = measure_export(export_rows, repeat)
    finally:
        clear_county(county)
    rows = []

    def row(name, seconds, note):
        milliseconds = [value * 1000 for value in seconds]
        rows.append((name, statistics.median(milliseconds), min(milliseconds), note))

    peak = max(run["peak_rss_mb"] for run in imports)
    rows.append(
        (
            f"POST /api/v1/parcels/import/ dry run, {import_rows:,} rows",
            statistics.median(run["dry_run_seconds"] * 1000 for run in imports),
            min(run["dry_run_seconds"] * 1000 for run in imports),
            f"counts {imports[0]['dry_run_counts']}",
        )
    )
    row(
        f"POST /api/v1/parcels/import/ {import_rows:,} new rows",
        [run["new_seconds"] for run in imports],
        f"goal ≤ {IMPORT_GOAL_SECONDS} s; peak RSS {peak:.0f} MB (Django alone {imports[0]['base_rss_mb']:.0f} MB)",
    )
    row(
        f"POST /api/v1/parcels/import/ same {import_rows:,} rows again",
        [run["unchanged_seconds"] for run in imports],
        f"counts {imports[0]['unchanged_counts']} (created, updated, unchanged)",
    )
    peak = max(run["peak_rss_mb"] for run in exports)
    row(
        f"GET /api/v1/parcels/export/ {exports[0]['rows']:,} rows",
        [run["seconds"] for run in exports],
        f"peak RSS {peak:.0f} MB (goal < {EXPORT_GOAL_MB} MB; Django alone {exports[0]['base_rss_mb']:.0f} MB); "
        f"{exports[0]['bytes'] / 1024 / 1024:.1f} MB file",
    )
    return rows


# --- a throwaway database for a run by hand --------------------------------------------------------


def _throwaway_database():
    """Point DATABASE_URL at a new empty database; returns a function that removes it."""
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith(("postgres://", "postgresql://")):
        import psycopg2

        parts = urlsplit(url)
        name = f"landtrack_bench_excel_{os.getpid()}"
        # CREATE/DROP DATABASE run from the server's maintenance database: the named one need not exist.
        maintenance = urlunsplit(parts._replace(path="/postgres"))
        admin = psycopg2.connect(maintenance)
        admin.autocommit = True
        with admin.cursor() as cursor:
            cursor.execute(f'CREATE DATABASE "{name}"')
        admin.close()
        os.environ["DATABASE_URL"] = urlunsplit(parts._replace(path=f"/{name}"))

        def drop():
            from django.db import connections

            connections.close_all()
            admin = psycopg2.connect(maintenance)
            admin.autocommit = True
            with admin.cursor() as cursor:
                cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            admin.close()

        return drop, f"PostgreSQL database {name} (dropped afterwards)"
    directory = tempfile.mkdtemp(prefix="landtrack-bench-excel-")
    os.environ["DATABASE_URL"] = f"sqlite:///{directory}/bench.sqlite3"
    return (
        lambda: shutil.rmtree(directory, ignore_errors=True)
    ), f"SQLite file in {directory} (removed afterwards)"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--import-rows", type=int, default=IMPORT_ROWS)
    parser.add_argument("--export-rows", type=int, default=EXPORT_ROWS)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--child", nargs=2, metavar=("WHAT", "PATH"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        what, path = args.child
        result = _child_import(path) if what == "import" else _child_export(path)
        print(json.dumps(result))
        return

    remove, where = _throwaway_database()
    try:
        import django

        django.setup()
        from django.conf import settings
        from django.core.management import call_command
        from django.db import connection

        settings.DEBUG = False
        call_command("migrate", verbosity=0)
        print(f"# LandTrack Excel benchmark — {connection.vendor}, {where}", file=sys.stderr)
        rows = figures(args.repeat, import_rows=args.import_rows, export_rows=args.export_rows)
        print(f"# LandTrack Excel benchmark — {connection.vendor}, median of {args.repeat}")
        print()
        print("| figure | median ms | best ms | note |")
        print("|---|---:|---:|---|")
        for name, median_ms, best_ms, note in rows:
            print(f"| {name} | {median_ms:,.0f} | {best_ms:,.0f} | {note} |")
    finally:
        remove()


if __name__ == "__main__":
    main()
