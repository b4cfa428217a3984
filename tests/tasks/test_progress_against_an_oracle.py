"""The leadership's views of progress — the dashboards, the progress API and the county map — against DOMAIN.md
§4 worked out by hand, or by a plain oracle of §4's words over random ledgers."""

import datetime
import html
import random
import re
from decimal import ROUND_HALF_UP, Decimal

import pytest

from tasks import services as task_services
from tasks.models import CountyTask
from tests.factories import IdleParcelFactory, ParcelFactory
from tests.tasks.test_numbers_by_hand import api as api_for
from tests.tasks.test_numbers_by_hand import dispose

pytestmark = pytest.mark.django_db

D = datetime.date
KINDS = {"unsupplied": {"unsupplied"}, "idle": {"idle"}, "both": {"unsupplied", "idle"}}
# A report row's figures, compared with the oracle's.
FIGURES = (
    "completed_area_mu",
    "completion_rate",
    "required_rate",
    "required_area_mu",
    "shortfall_area_mu",
    "status",
)


def two(value):
    return f"{Decimal(value).quantize(Decimal('0.01'), rounding=ROUND_HALF_UP):.2f}"


def oracle(task, milestones, ledger, as_of):
    """DOMAIN.md §4 in its own words, straight from the disposal rows."""

    def completed(by):
        last = min(task.end_date, by)
        return sum(
            (
                area
                for county_id, kind, date, area in ledger
                if county_id == task.county_id
                and kind in KINDS[task.category]
                and task.start_date <= date <= last
            ),
            Decimal(0),
        )

    target = task.target_area_mu
    done = completed(as_of)
    rate = done / target * 100
    due = [(day, r) for day, r in milestones if day <= as_of]
    ahead = [(day, r) for day, r in milestones if day > as_of]
    required = max([Decimal(0)] + [r for _, r in due])
    required_area = target * required / 100
    if rate >= 100:
        status = "completed"
    elif rate < required:
        status = "behind"
    elif ahead and (ahead[0][0] - as_of).days <= 14 and rate < ahead[0][1]:
        status = "at_risk"
    else:
        status = "on_track"
    return {
        "completed_area_mu": two(done),
        "completion_rate": two(rate),
        "required_rate": two(required),
        "required_area_mu": two(required_area),
        "shortfall_area_mu": two(max(required_area - done, Decimal(0))),
        "status": status,
        "next": None
        if not ahead
        else (ahead[0][0].isoformat(), two(max(target * ahead[0][1] / 100 - done, Decimal(0)))),
        "met": [completed(day) >= target * r / 100 for day, r in due],
    }


@pytest.mark.parametrize("seed", [1, 2])
def test_every_surface_agrees_with_a_plain_oracle_of_domain_4(regions, superuser, client, seed):
    """Random tasks (default and custom milestones, periods across the new year and cutting months, all
    three categories) in five counties; at dates on, before and after every milestone, the period's ends
    and 31 December, the overview page, /progress/ and /progress/{county}/ say what the oracle says."""
    from parcels.models import Disposal

    rng = random.Random(seed)
    codes = ["141021", "141022", "141026", "141029", "141081"]
    tasks = {}
    for code in codes:
        county = regions[code]
        parcels = [
            ParcelFactory(county=county, area_mu=Decimal("900"), approval_date=D(2015, 1, 1)),
            IdleParcelFactory(county=county, area_mu=Decimal("900")),
        ]
        for _ in range(12):
            day = D(2022, 11, 1) + datetime.timedelta(days=rng.randrange(0, 520))
            dispose(rng.choice(parcels), f"{rng.randrange(1, 400000) / 10000:.4f}", day)
        category = rng.choice(["unsupplied", "idle", "both"])
        target = Decimal(rng.randrange(1000, 3000000)) / 10000
        if rng.random() < 0.4:
            task = task_services.task_create(
                county=county, year=2023, category=category, target_area_mu=target
            )
            milestones = [
                (D(2023, 5, 31), Decimal(25)),
                (D(2023, 6, 30), Decimal(50)),
                (D(2023, 9, 30), Decimal(85)),
                (D(2023, 11, 30), Decimal(100)),
            ]
        else:
            start = D(2022, 12, 1) + datetime.timedelta(days=rng.randrange(0, 60))
            end = start + datetime.timedelta(days=rng.randrange(200, 380))
            offsets = sorted(rng.sample(range(0, (end - start).days + 1), 3))
            rates = sorted(rng.sample(range(1, 9999), 2))
            milestones = [
                (start + datetime.timedelta(days=o), Decimal(r) / 100)
                for o, r in zip(offsets, rates + [10000], strict=True)
            ]
            milestones[-1] = (milestones[-1][0], Decimal(100))
            task = task_services.task_save(
                task=CountyTask(
                    county=county,
                    year=2023,
                    category=category,
                    target_area_mu=target,
                    start_date=start,
                    end_date=end,
                ),
                milestones=milestones,
            )
        tasks[code] = (task, milestones)
    ledger = list(Disposal.objects.values_list("county_id", "kind", "date", "area_mu"))
    dates = {D(2022, 12, 31), D(2023, 12, 31), D(2024, 3, 1)}
    for task, milestones in tasks.values():
        for day in [task.start_date, task.end_date, *(d for d, _ in milestones)]:
            dates |= {day + datetime.timedelta(days=k) for k in (-15, -14, -1, 0, 1)}
    api = api_for(superuser)
    client.force_login(superuser)
    for as_of in sorted(dates):
        rows = {
            r["county"]: r
            for r in api.get("/api/v1/progress/", {"as_of": as_of, "year": 2023}).json()["results"]
        }
        page = client.get("/dashboard/", {"as_of": as_of.isoformat(), "year": 2023})
        shown = {row.task.county.code: row for row in page.context["rows"]}
        text = page.content.decode()
        for code, (task, milestones) in tasks.items():
            want = oracle(task, milestones, ledger, as_of)
            got = rows[code]
            context = (code, as_of)
            assert {k: got[k] for k in FIGURES} == {k: want[k] for k in FIGURES}, context
            nxt = got["next_milestone"]
            assert (None if nxt is None else (nxt["due"], nxt["remaining_area_mu"])) == want["next"], context
            assert [m["met"] for m in got["milestones"] if m["met"] is not None] == want["met"], context
            row = shown[code]
            assert (
                two(row.completed_area_mu),
                two(row.completion_rate),
                two(row.shortfall_area_mu),
                row.status,
            ) == (
                want["completed_area_mu"],
                want["completion_rate"],
                want["shortfall_area_mu"],
                want["status"],
            ), context
            # the row as printed on the page
            link = f"/dashboard/{code}/?year=2023&amp;as_of={as_of.isoformat()}"
            assert link in text
            county_rows = api.get(f"/api/v1/progress/{code}/", {"as_of": as_of, "year": 2023}).json()[
                "results"
            ]
            (county_row,) = county_rows
            assert county_row["completed_area_mu"] == want["completed_area_mu"], context
            assert county_row["status"] == want["status"], context
            town_sum = sum((Decimal(t["completed_area_mu"]) for t in county_row["towns"]), Decimal(0))
            # each town is rounded on its own; with one (no town) they are the same
            assert town_sum == Decimal(want["completed_area_mu"]), context


# --- the county map -----------------------------------------------------------------------------------


def test_the_county_maps_parcel_tooltip_rounds_half_up_as_the_table_does(
    client, anze, clerk_anze, office_anze
):
    """DOMAIN.md §4: 亩 shown with 2 places, half-up. A parcel of 15.0050 亩 is 15.01 亩 wherever it is
    shown; the map's own tooltip (the <title> of the parcel's shape) wrote it with Python's format(),
    which rounds half-even: 15.00 亩, while the table below the map says 15.01."""
    from tests.api.harness import client_for
    from tests.maps.conftest import upload
    from tests.maps.samples import SQUARE, gbk

    parcel = ParcelFactory(county=anze, code="AZ-001", name="府城镇工业园地块", area_mu=Decimal("15.0050"))
    assert upload(client_for(clerk_anze), parcel, gbk(SQUARE)).status_code == 200
    client.force_login(office_anze)
    page = client.get("/dashboard/141026/map/").content.decode()
    svg = page[page.index('<svg class="landmap"') : page.index("</svg>")]
    (title,) = re.findall(r"<title>(.*?)</title>", svg)
    table = page[page.index('class="plain map-parcels"') :]
    assert "15.01" in table
    assert "15.01 亩" in html.unescape(title), title
