"""Fuzzing run against a served LandTrack: schemathesis' CLI with every role's token, on gunicorn.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/landtrack_bench .venv/bin/python bench/fuzz.py \
        [--examples 10] [--workers 4] [--port 8124] [--roles admin,city_bureau,county_office,county_clerk,anonymous]

What ``make test`` fuzzes in-process on the demo data (tests/fuzz), here against a server and at the size
of the database it is given — the national one ``generate_demo_data`` makes, for issue 8's check. The
fuzzer's writes (parcels, disposals, tasks …) stay: run it on a throwaway database.

The run creates one account per role with a token — an admin; the city bureau of a generated county's
city, that county's office and its clerk — serves this checkout with gunicorn (debug off) on loopback,
and runs ``st run`` against the served schema once per role and once anonymously, with
tests/fuzz/schemathesis.toml (the allowances of ``make test``'s fuzzing, nothing more), every check, and
``--max-response-time`` (default 30 s). ``DELETE /api/v1/auth/token/`` is left out: it revokes the very
token the run goes on with (tests/fuzz calls it in-process, where every call is rolled back).

Prints one row per role, keeps each role's schemathesis output in the run's directory, and exits 1 on any
failure, any 5xx in the access log or any traceback in the server's log.
"""

import argparse
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "landtrack.settings")

import django  # noqa: E402

django.setup()

from django.db.models import Count  # noqa: E402
from rest_framework.authtoken.models import Token  # noqa: E402

from bench import serve  # noqa: E402
from landtrack.synthetic import synthetic_regions  # noqa: E402
from leadership.choices import RegionLevel, Role  # noqa: E402
from leadership.models import Region, User  # noqa: E402

ROLES = ("admin", "city_bureau", "county_office", "county_clerk", "anonymous")
LEFT_OUT = "DELETE /api/v1/auth/token/"


def county_to_fuzz():
    """A generated county with parcels (the middle one by code), or any county with parcels."""
    for regions in (synthetic_regions(), Region.objects.all()):
        counties = list(
            regions.filter(level=RegionLevel.COUNTY)
            .annotate(parcel_count=Count("parcels"))
            .filter(parcel_count__gt=0)
            .order_by("code")
            .values_list("pk", flat=True)
        )
        if counties:
            return Region.objects.select_related("parent").get(pk=counties[len(counties) // 2])
    raise SystemExit("This database has no county with parcels: run generate_demo_data first.")


def tokens(county):
    """A token per role (None for anonymous), each account made or reset for the run."""
    regions = {
        "admin": (Role.ADMIN, None),
        "city_bureau": (Role.CITY_BUREAU, county.parent),
        "county_office": (Role.COUNTY_OFFICE, county),
        "county_clerk": (Role.COUNTY_CLERK, county),
    }
    keys = {"anonymous": None}
    for name, (role, region) in regions.items():
        user, _ = User.objects.get_or_create(username=f"fuzz_{name}", defaults={"role": role})
        user.role, user.region, user.is_active = role, region, True
        user.is_superuser = user.is_staff = role == Role.ADMIN
        user.save()
        keys[name] = Token.objects.get_or_create(user=user)[0].key
    return keys


def summary(output):
    """What schemathesis' summary says: operations tested, test cases, each kind of failure, the closing line."""
    lines = [line.strip() for line in output.splitlines()]
    parts = []
    for index, line in enumerate(lines):
        if line.startswith("Tested:"):
            parts.append(f"{line.split(':', 1)[1].strip()} operations")
        elif line == "Test cases:" and index + 1 < len(lines):
            parts.append(lines[index + 1])
        elif re.match(r"^(❌|🚫) .*: \d+$", line):  # a kind of failure or error, and how many
            parts.append(line[1:].strip())
    closing = [line.strip("= ") for line in lines if re.match(r"^=+ .* in [\d.]+s =+$", line)]
    parts.append(closing[-1] if closing else "(no summary: see the log)")
    return "; ".join(parts)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=10, help="generated examples per operation and phase")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers")
    parser.add_argument("--port", type=int, default=8124)
    parser.add_argument("--max-response-time", type=float, default=30, help="seconds; slower answers fail")
    parser.add_argument("--roles", default=",".join(ROLES), help="comma-separated, of: " + ", ".join(ROLES))
    args = parser.parse_args()
    roles = [role for role in args.roles.split(",") if role]
    if unknown := set(roles) - set(ROLES):
        parser.error(f"unknown roles: {', '.join(sorted(unknown))}")

    county = county_to_fuzz()
    keys = tokens(county)
    work = Path(tempfile.mkdtemp(prefix="landtrack-fuzz-"))
    st = Path(sys.executable).with_name("st")
    base = f"http://127.0.0.1:{args.port}"
    results = []
    with serve.served(args.port, args.workers, work) as environment:
        print(f"gunicorn ({args.workers} workers) up; fuzzing as {', '.join(roles)} …", file=sys.stderr)
        for role in roles:
            command = [
                str(st), "--config-file", str(ROOT / "tests" / "fuzz" / "schemathesis.toml"), "run",
                f"{base}/api/schema/?format=json", "--checks", "all", "--exclude-name", LEFT_OUT,
                "--max-examples", str(args.examples), "--phases", "examples,coverage,fuzzing",
                "--max-response-time", str(args.max_response_time), "--request-timeout", "120",
                "--workers", "1", "--no-color",
            ]  # fmt: skip
            if keys[role]:
                command += ["-H", f"Authorization: Token {keys[role]}"]
            done = subprocess.run(
                command, cwd=ROOT, env=environment, capture_output=True, text=True, check=False
            )
            (work / f"st-{role}.log").write_text(done.stdout + done.stderr, encoding="utf-8")
            results.append((role, done.returncode, summary(done.stdout)))
            print(f"  {role}: exit {done.returncode}", file=sys.stderr)

    print(
        f"# Fuzzing run: {base}, gunicorn {args.workers} workers, {args.examples} examples per operation, "
        f"county {county.code} {county.name} (city {county.parent.code})"
    )
    print()
    print("| role | schemathesis exit | result |")
    print("|---|---:|---|")
    for role, code, line in results:
        print(f"| {role} | {code} | {line} |")
    problems = [
        f"{role}: schemathesis found failures (see {work}/st-{role}.log)" for role, code, _ in results if code
    ]
    print()
    serve.conclude(problems, work, "no failure, no server error")


if __name__ == "__main__":
    main()
