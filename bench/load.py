"""Load run: gunicorn on loopback driven by locust with a realistic mix, then a check of every figure.

    pip install -e '.[bench]'                                  # locust
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/landtrack_bench .venv/bin/python bench/load.py \
        [--seconds 60] [--users 24] [--workers 4] [--port 8123] [--keep]

The database must hold ``generate_demo_data``'s synthetic counties. The run creates clerks for a few
counties (three per county, sharing one small pool of parcels, so that they write to the same parcels at
once), a city bureau account, and their tokens; serves the project with gunicorn (debug off) on
loopback; and runs locust headless for a bounded time: clerks listing, reading and recording disposals,
the city reading progress and lists. Afterwards it checks, on the database itself:

- no server error and no failed request (a disposal refused because another clerk took the rest of the
  parcel first is the expected answer, counted apart);
- every disposal the server answered 201 for is stored, and nothing else with the run's tag: nothing lost;
- every parcel's disposed area equals the sum of its disposals and never exceeds its area, and the
  progress totals equal the disposals (``rollup_drift``): nothing counted twice;
- the progress of the clerks' counties equals a naive recount;
- the country-wide progress report, asked of the server a few times per worker once the writes are over,
  is what a process that keeps nothing writes (the rows each worker kept while the clerks wrote were
  written again where a disposal changed them).

It prints p50/p95 per request kind, then deletes the run's disposals again (through the services, so the
totals follow) unless ``--keep``.
"""

import argparse
import csv
import datetime
import json
import os
import subprocess
import sys
import tempfile
import urllib.request
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "landtrack.settings")

import django  # noqa: E402

django.setup()

from django.db.models import F, Sum  # noqa: E402
from django.utils import timezone  # noqa: E402
from rest_framework.authtoken.models import Token  # noqa: E402

from bench import serve  # noqa: E402
from landtrack.api.renderers import JSONRenderer  # noqa: E402
from landtrack.synthetic import synthetic_regions  # noqa: E402
from leadership.choices import RegionLevel, Role  # noqa: E402
from leadership.models import User  # noqa: E402
from parcels import services  # noqa: E402
from parcels.choices import ParcelKind  # noqa: E402
from parcels.models import Disposal, Parcel  # noqa: E402
from parcels.rollup import rollup_drift  # noqa: E402
from tasks.api.progress import forget_rows, report_rows  # noqa: E402
from tasks.models import CountyTask  # noqa: E402
from tasks.progress import task_progress, tasks_in_scope  # noqa: E402

CLERK_COUNTIES = 4
CLERKS_PER_COUNTY = 3
POOL = 25  # parcels a county's clerks share


def account(username, role, region):
    user, _ = User.objects.get_or_create(username=username, defaults={"role": role, "region": region})
    user.role, user.region, user.is_active = role, region, True
    user.save()
    return Token.objects.get_or_create(user=user)[0].key


def prepare(tag, year, results):
    counties = list(
        synthetic_regions().filter(level=RegionLevel.COUNTY, tasks__year=year).distinct().order_by("code")
    )
    if len(counties) < CLERK_COUNTIES:
        raise SystemExit("This database holds no synthetic counties with tasks: run generate_demo_data first.")
    step = len(counties) // CLERK_COUNTIES
    chosen = counties[::step][:CLERK_COUNTIES]
    clerks = []
    for county in chosen:
        parcels = list(
            Parcel.objects.filter(county=county, disposed_area_mu__lt=F("area_mu"))
            .order_by("-area_mu")
            .values("id", "kind", "approval_date", "supply_date")[:POOL]
        )
        pool = [
            {
                "id": parcel["id"],
                "kind": parcel["kind"],
                "base_date": str(
                    parcel["approval_date"] if parcel["kind"] == ParcelKind.UNSUPPLIED else parcel["supply_date"]
                ),
            }
            for parcel in parcels
        ]
        pages = (Parcel.objects.filter(county=county).count() + 49) // 50
        for number in range(CLERKS_PER_COUNTY):
            token = account(f"load_clerk_{county.code}_{number}", Role.COUNTY_CLERK, county)
            clerks.append({"token": token, "county": county.code, "parcels": pool, "pages": pages})
    city = chosen[0].parent
    city_counties = list(city.children.filter(level=RegionLevel.COUNTY).values_list("code", flat=True))
    return {
        "tag": tag,
        "year": year,
        "today": str(timezone.localdate()),
        "results": results,
        "clerks": clerks,
        "city": {"token": account(f"load_city_{city.code}", Role.CITY_BUREAU, city), "counties": city_counties},
        "admin": account("load_admin", Role.ADMIN, None),
    }, chosen


def served_reports(base, token, year, today, times):
    """The country-wide progress report as the server answers it, ``times`` times (gunicorn hands the
    requests to its workers in turn)."""
    bodies = []
    for _ in range(times):
        request = urllib.request.Request(
            f"{base}/api/v1/progress/?year={year}&as_of={today}", headers={"Authorization": f"Token {token}"}
        )
        with urllib.request.urlopen(request, timeout=60) as response:
            bodies.append(json.loads(response.read()))
    return bodies


def percentiles(stats_csv):
    rows = []
    with open(stats_csv, encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            rows.append(
                (
                    row["Name"],
                    int(row["Request Count"]),
                    int(row["Failure Count"]),
                    row["50%"],
                    row["95%"],
                    float(row["Requests/s"]),
                )
            )
    return rows


def check(tag, results, counties, year, served, served_as_of):
    problems = []
    created = {disposal_id: (parcel_id, Decimal(area)) for disposal_id, parcel_id, area in results["created"]}
    stored = {
        row["id"]: (row["parcel_id"], row["area_mu"])
        for row in Disposal.objects.filter(note=tag).values("id", "parcel_id", "area_mu")
    }
    lost = set(created) - set(stored)
    extra = set(stored) - set(created)
    if lost:
        problems.append(f"{len(lost)} disposals answered 201 are not stored: {sorted(lost)[:10]}")
    if extra:
        problems.append(f"{len(extra)} stored disposals of this run were never answered 201: {sorted(extra)[:10]}")
    for disposal_id in set(created) & set(stored):
        if created[disposal_id] != stored[disposal_id]:
            problems.append(f"disposal {disposal_id}: answered {created[disposal_id]}, stored {stored[disposal_id]}")
    touched = {parcel_id for parcel_id, _ in created.values()}
    sums = dict(
        Disposal.objects.filter(parcel_id__in=touched)
        .order_by()
        .values_list("parcel_id")
        .annotate(total=Sum("area_mu"))
    )
    for parcel in Parcel.objects.filter(pk__in=touched).values("id", "area_mu", "disposed_area_mu"):
        if parcel["disposed_area_mu"] != sums.get(parcel["id"], Decimal(0)):
            problems.append(f"parcel {parcel['id']}: disposed {parcel['disposed_area_mu']} ≠ Σ {sums.get(parcel['id'])}")
        if parcel["disposed_area_mu"] > parcel["area_mu"]:
            problems.append(f"parcel {parcel['id']}: disposed {parcel['disposed_area_mu']} > area {parcel['area_mu']}")
    drift = rollup_drift()
    if drift:
        problems.append(f"progress totals differ from the disposals in {len(drift)} places: {drift[:3]}")
    tasks = list(CountyTask.objects.filter(county__in=counties, year=year).prefetch_related("milestones"))
    as_of = timezone.localdate()
    for progress in task_progress(tasks, as_of):
        task = progress.task
        kinds = ["unsupplied", "idle"] if task.category == "both" else [task.category]
        naive = Disposal.objects.filter(
            parcel__county_id=task.county_id, parcel__kind__in=kinds, date__gte=task.start_date,
            date__lte=min(task.end_date, as_of),
        ).aggregate(total=Sum("area_mu"))["total"] or Decimal(0)
        if progress.completed_area_mu != naive:
            problems.append(f"task {task.pk}: progress says {progress.completed_area_mu}, the disposals {naive}")
    forget_rows()
    served_as_of = datetime.date.fromisoformat(served_as_of)
    rows, totals = report_rows(tasks_in_scope(User.objects.get(username="load_admin"), year=year), served_as_of)
    expected = json.loads(
        JSONRenderer().render({"as_of": served_as_of.isoformat(), "results": rows, "totals": totals})
    )
    differing = sum(body != expected for body in served)
    if differing or not served:
        problems.append(f"{differing} of {len(served)} progress reports served differ from one written afresh")
    return problems, len(created), len(touched)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--users", type=int, default=24)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--port", type=int, default=8123)
    parser.add_argument("--keep", action="store_true", help="keep the run's disposals")
    args = parser.parse_args()

    year = timezone.localdate().year
    tag = f"负载测试 {datetime.datetime.now():%Y%m%d%H%M%S}"
    work = Path(tempfile.mkdtemp(prefix="landtrack-load-"))
    config, counties = prepare(tag, year, str(work / "results.json"))
    (work / "config.json").write_text(json.dumps(config, ensure_ascii=False), encoding="utf-8")

    with serve.served(args.port, args.workers, work, LANDTRACK_LOAD_CONFIG=str(work / "config.json")) as environment:
        print(f"gunicorn ({args.workers} workers) up; locust: {args.users} users for {args.seconds} s …", file=sys.stderr)
        subprocess.run(
            [sys.executable, "-m", "locust", "-f", str(ROOT / "bench" / "locustfile.py"), "--headless",
             "--users", str(args.users), "--spawn-rate", str(max(1, args.users // 3)),
             "--run-time", f"{args.seconds}s", "--host", f"http://127.0.0.1:{args.port}",
             "--stop-timeout", "20", "--csv", str(work / "locust"), "--only-summary"],
            cwd=ROOT, env=environment, check=False, stdout=subprocess.DEVNULL, stderr=open(work / "locust.log", "w"),
        )
        served_report = served_reports(
            f"http://127.0.0.1:{args.port}", config["admin"], year, config["today"], 3 * args.workers
        )

    results = json.loads((work / "results.json").read_text(encoding="utf-8"))
    rows = percentiles(work / "locust_stats.csv")
    print(f"# Load run: {args.users} users, {args.seconds} s, gunicorn {args.workers} workers, {config['today']}")
    print()
    print("| request | count | failures | p50 ms | p95 ms | req/s |")
    print("|---|---:|---:|---:|---:|---:|")
    failures = 0
    for name, count, failed, p50, p95, rate in rows:
        print(f"| {name} | {count:,} | {failed} | {p50} | {p95} | {rate:.1f} |")
        if name != "Aggregated":
            failures += failed
    problems, created, touched = check(tag, results, counties, year, served_report, config["today"])
    print()
    print(
        f"{created:,} disposals recorded on {touched} parcels by {len(config['clerks'])} clerks of "
        f"{len(counties)} counties; {results['refused_as_expected']:,} refused because the parcel's rest "
        f"was taken first."
    )
    if failures:
        problems.insert(0, f"{failures} failed requests (see {work}/locust_failures.csv)")
    if not args.keep:
        for disposal in Disposal.objects.filter(note=tag).select_related("parcel"):
            services.disposal_delete(disposal=disposal)
    serve.conclude(problems, work, "all figures exact, no error")


if __name__ == "__main__":
    main()
