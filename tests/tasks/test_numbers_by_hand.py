"""The numbers of DOMAIN.md §4 at their edges, worked out by hand, on every surface that shows them.

Each figure is checked where a user reads it — the REST report (/api/v1/progress/), the county report
(/api/v1/progress/{county}/), the county dashboard (/dashboard/<code>/) and the monthly workbook
(/api/v1/reports/monthly/) — against arithmetic written out in the comments.
"""

import datetime
import html
import io
import re
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from rest_framework.test import APIClient

from parcels import services as parcel_services
from tasks import services as task_services
from tasks.models import CountyTask
from tests.factories import IdleParcelFactory, ParcelFactory

pytestmark = pytest.mark.django_db

D = datetime.date
PROGRESS = "/api/v1/progress/"
MONTHLY = "/api/v1/reports/monthly/"


# --- helpers ---------------------------------------------------------------------------------------


def dispose(parcel, area, date):
    method = "supply_transfer" if parcel.kind == "unsupplied" else "construction_started"
    return parcel_services.disposal_record(parcel=parcel, method=method, area_mu=Decimal(area), date=date)


def api(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def api_rows(user, as_of, year=None, **params):
    params = {"as_of": as_of.isoformat(), **({"year": year} if year else {}), **params}
    response = api(user).get(PROGRESS, params)
    assert response.status_code == 200, response.content
    return response.json()


def county_rows(user, code, as_of, year=None):
    params = {"as_of": as_of.isoformat(), **({"year": year} if year else {})}
    response = api(user).get(f"{PROGRESS}{code}/", params)
    assert response.status_code == 200, response.content
    return response.json()["results"]


def row_of(rows, task):
    (row,) = [row for row in rows if row["task_id"] == task.pk]
    return row


def dashboard_figures(client, code, as_of, year):
    """The figures block of each task on the county page: {label: text of the <dd> (no <small>)},
    plus the 公顷 shown under 任务面积 and 已完成."""
    response = client.get(f"/dashboard/{code}/", {"as_of": as_of.isoformat(), "year": year})
    assert response.status_code == 200
    page = response.content.decode()
    sections = []
    for block in re.findall(r'<dl class="figures">(.*?)</dl>', page, re.S):
        figures = {}
        for label, value in re.findall(r"<dt>(.*?)</dt><dd>(.*?)</dd>", block, re.S):
            small = re.search(r"<small>(.*?)</small>", value, re.S)
            main = re.sub(r"<small>.*?</small>", "", value, flags=re.S)
            figures[label] = html.unescape(main).strip()
            if small:
                figures[label + "·small"] = html.unescape(small.group(1)).strip()
        sections.append(figures)
    return sections, page


def monthly_summary(user, year, month, county=None):
    params = {"year": year, "month": month, **({"county": county} if county else {})}
    response = api(user).get(MONTHLY, params)
    assert response.status_code == 200, getattr(response, "data", response)
    book = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    return book


def sheet_rows(sheet):
    return [
        list(row)
        for row in sheet.iter_rows(min_row=4, values_only=True)
        if not (isinstance(row[0], str) and row[0].startswith("说明"))
    ]


def two(value):
    """A workbook cell (the rounded figure) as its 2-place text."""
    return None if value is None else f"{Decimal(str(value)):.2f}"


@pytest.fixture
def web(client, superuser):
    client.force_login(superuser)
    return client


def custom_task(county, *, target, start, end, milestones, category="unsupplied", year=None):
    return task_services.task_save(
        task=CountyTask(
            county=county,
            year=year or start.year,
            category=category,
            target_area_mu=Decimal(target),
            start_date=start,
            end_date=end,
        ),
        milestones=milestones,
    )


# --- half-up rounding at exactly .xx5 ---------------------------------------------------------------


def test_half_up_at_exactly_5_for_rate_and_areas_on_all_three_surfaces(regions, superuser, web):
    """安泽县 2023 批而未供, target 26.98 亩, default milestones.

    Disposed 6.7450 on 2023-05-31 (a due date), then 0.0000 more; as of 2023-06-30:
      completed 6.745 → shown 6.75 (half-even would say 6.74)
      rate 6.745 ÷ 26.98 × 100 = 25.0000 (exactly 25: 26.98 × 0.25 = 6.745) → 25.00
      31 May milestone: 25 % of 26.98 = 6.745 → "6.75"; completed by 31 May 6.745 ≥ 6.745 → met
      30 June milestone: 50 % of 26.98 = 13.49; completed 6.745 < 13.49 → not met
      required rate 50 → required area 13.49, shortfall 13.49 − 6.745 = 6.745 → "6.75"
      status: 25 < 50 → behind
      next: 30 Sept 85 % of 26.98 = 22.933 → "22.93", remaining 22.933 − 6.745 = 16.188 → "16.19"
    """
    anze = regions["141026"]
    task = task_services.task_create(
        county=anze, year=2023, category="unsupplied", target_area_mu=Decimal("26.98")
    )
    parcel = ParcelFactory(county=anze, area_mu=Decimal("50"), approval_date=D(2015, 1, 1))
    dispose(parcel, "6.7450", D(2023, 5, 31))
    as_of = D(2023, 6, 30)

    row = row_of(api_rows(superuser, as_of)["results"], task)
    assert row["completed_area_mu"] == "6.75"
    assert row["completion_rate"] == "25.00"
    assert row["required_rate"] == "50.00"
    assert row["required_area_mu"] == "13.49"
    assert row["shortfall_area_mu"] == "6.75"
    assert row["status"] == "behind"
    assert row["milestones"][0] == {
        "due": "2023-05-31",
        "target_rate": "25.00",
        "target_area_mu": "6.75",
        "completed_area_mu": "6.75",
        "met": True,
    }
    assert row["milestones"][1]["met"] is False
    assert row["next_milestone"] == {
        "due": "2023-09-30",
        "target_rate": "85.00",
        "target_area_mu": "22.93",
        "remaining_area_mu": "16.19",
    }
    county_row = row_of(county_rows(superuser, "141026", as_of), task)
    assert {k: v for k, v in county_row.items() if k != "towns"} == row

    (figures,), _ = dashboard_figures(web, "141026", as_of, 2023)
    assert figures["已完成"] == "6.75 亩"
    assert figures["完成率"] == "25.00%"
    assert figures["差额"] == "6.75 亩"
    assert figures["应达比例·small"] == "应完成 13.49 亩"

    book = monthly_summary(superuser, 2023, 6, county="141026")
    (summary,) = [r for r in sheet_rows(book["进度汇总"]) if r[1] == "安泽县"]
    # 序号, 县, 代码, 类别, 任务, 已完成, 完成率, 应达, 应完成, 差额, 状态, 下一节点, 目标%, 还需
    assert [two(v) for v in summary[4:10]] == ["26.98", "6.75", "25.00", "50.00", "13.49", "6.75"]
    assert summary[10] == "滞后"
    assert two(summary[13]) == "16.19"


def test_a_rate_of_exactly_xx5_rounds_up_everywhere(regions, superuser, web):
    """Target 200 亩; disposed 175.91 → 175.91 ÷ 200 × 100 = 87.955 → 87.96 (half-even: 87.96 too, so
    also 12.345: target 200, disposed 24.69 → 12.345 → 12.35, where half-even gives 12.34)."""
    anze = regions["141026"]
    task = task_services.task_create(
        county=anze, year=2023, category="unsupplied", target_area_mu=Decimal("200")
    )
    parcel = ParcelFactory(county=anze, area_mu=Decimal("500"), approval_date=D(2015, 1, 1))
    dispose(parcel, "24.6900", D(2023, 3, 3))
    as_of = D(2023, 3, 31)
    row = row_of(api_rows(superuser, as_of)["results"], task)
    assert row["completion_rate"] == "12.35"  # 24.69 ÷ 200 × 100 = 12.345
    (figures,), _ = dashboard_figures(web, "141026", as_of, 2023)
    assert figures["完成率"] == "12.35%"
    book = monthly_summary(superuser, 2023, 3, county="141026")
    (summary,) = sheet_rows(book["进度汇总"])[:1]
    assert two(summary[6]) == "12.35"
    # and the totals row, computed from the same exact sum: 24.69 ÷ 200 = 12.345 → 12.35
    totals = api_rows(superuser, as_of)["totals"]
    assert [t for t in totals if t["category"] == "unsupplied"][0]["completion_rate"] == "12.35"


# --- above 100 %; exactly 100 %; a hair under 100 % --------------------------------------------------


def test_over_100_percent_is_never_capped_on_any_surface(regions, superuser, web):
    """Target 10 亩; disposed 12.3457 by 2023-11-30 → 123.457 % → 123.46; status completed; shortfall 0;
    next milestone none after 30 Nov (as of 2023-12-31)."""
    anze = regions["141026"]
    task = task_services.task_create(
        county=anze, year=2023, category="unsupplied", target_area_mu=Decimal("10")
    )
    parcel = ParcelFactory(county=anze, area_mu=Decimal("20"), approval_date=D(2015, 1, 1))
    dispose(parcel, "12.3457", D(2023, 11, 30))
    as_of = D(2023, 12, 31)
    row = row_of(api_rows(superuser, as_of)["results"], task)
    assert (row["completed_area_mu"], row["completion_rate"], row["status"]) == (
        "12.35",
        "123.46",
        "completed",
    )
    assert row["shortfall_area_mu"] == "0.00" and row["next_milestone"] is None
    assert [m["met"] for m in row["milestones"]] == [False, False, False, True]
    (figures,), _ = dashboard_figures(web, "141026", as_of, 2023)
    assert figures["完成率"] == "123.46%"
    summary = sheet_rows(monthly_summary(superuser, 2023, 12, county="141026")["进度汇总"])[0]
    assert two(summary[6]) == "123.46" and summary[10] == "已完成"


def test_a_rate_shown_as_100_but_below_it_is_not_completed(regions, superuser, web):
    """Target 200; disposed 199.9990 by 30 Nov → 99.9995 % shown 100.00 (half-up) yet < 100 exactly:
    DOMAIN: completed when rate ≥ 100 from the exact sums → not completed; as of 2023-11-30 the 100 %
    milestone is due → behind, shortfall 200 − 199.999 = 0.001 → "0.00"."""
    anze = regions["141026"]
    task = task_services.task_create(
        county=anze, year=2023, category="unsupplied", target_area_mu=Decimal("200")
    )
    parcel = ParcelFactory(county=anze, area_mu=Decimal("300"), approval_date=D(2015, 1, 1))
    dispose(parcel, "199.9990", D(2023, 5, 1))
    row = row_of(api_rows(superuser, D(2023, 11, 30))["results"], task)
    assert row["completion_rate"] == "100.00"
    assert row["status"] == "behind"
    assert row["milestones"][3]["met"] is False
    dispose(parcel, "0.0010", D(2023, 11, 30))  # exactly 200 → 100 % → completed
    row = row_of(api_rows(superuser, D(2023, 11, 30))["results"], task)
    assert (row["completion_rate"], row["status"]) == ("100.00", "completed")
    assert row["milestones"][3]["met"] is True


def test_a_rate_exactly_at_the_required_rate_is_not_behind(regions, superuser):
    """Target 80; default milestones. As of 2023-07-01: required 50 % = 40 亩. Disposed 40 exactly → 50 %
    = required → not behind; next 30 Sept is 91 days away → on_track. 39.9999 → behind, shortfall
    0.0001 → "0.00"."""
    anze = regions["141026"]
    task = task_services.task_create(
        county=anze, year=2023, category="unsupplied", target_area_mu=Decimal("80")
    )
    parcel = ParcelFactory(county=anze, area_mu=Decimal("100"), approval_date=D(2015, 1, 1))
    first = dispose(parcel, "39.9999", D(2023, 6, 30))
    row = row_of(api_rows(superuser, D(2023, 7, 1))["results"], task)
    assert (row["status"], row["shortfall_area_mu"], row["completion_rate"]) == ("behind", "0.00", "50.00")
    parcel_services.disposal_update(disposal=first, area_mu=Decimal("40"))
    row = row_of(api_rows(superuser, D(2023, 7, 1))["results"], task)
    assert (row["status"], row["shortfall_area_mu"]) == ("on_track", "0.00")


@pytest.mark.parametrize(
    "as_of, status",
    [
        # required 25 % (= 25 亩 of 100) after 31 May; done 30 亩 = 30 %; next 30 June 50 %.
        (D(2023, 6, 15), "on_track"),  # 15 days before 30 June
        (D(2023, 6, 16), "at_risk"),  # 14 days: within, and 30 < 50
        (D(2023, 6, 29), "at_risk"),
        (D(2023, 6, 30), "behind"),  # 30 June due: 30 < 50
    ],
)
def test_status_boundaries_around_the_second_milestone(regions, superuser, as_of, status):
    anze = regions["141026"]
    task = task_services.task_create(
        county=anze, year=2023, category="unsupplied", target_area_mu=Decimal("100")
    )
    parcel = ParcelFactory(county=anze, area_mu=Decimal("100"), approval_date=D(2015, 1, 1))
    dispose(parcel, "30", D(2023, 5, 1))
    assert row_of(api_rows(superuser, as_of)["results"], task)["status"] == status


# --- dates: start, end, milestone due dates, as_of itself ----------------------------------------------


@pytest.fixture
def mid_month_task(regions):
    """安泽县 2023 批而未供, 100 亩, period 2023-03-15 … 2023-10-20 (both cut a month), milestones
    25 % 2023-05-31, 50 % 2023-06-30, 85 % 2023-09-30, 100 % 2023-10-20 (= the end date).

    Disposals (parcel 500 亩):
      2023-03-14  1     day before the start: never counts
      2023-03-15  2     start date: counts
      2023-05-31  4     on the first due date: counts for it
      2023-06-01  8     the day after
      2023-10-20  16    the end date (and the last due date): counts
      2023-10-21  32    the day after the end: never counts
      2023-12-31  64    same year, after the end
    """
    anze = regions["141026"]
    task = custom_task(
        anze,
        target="100",
        start=D(2023, 3, 15),
        end=D(2023, 10, 20),
        milestones=[(D(2023, 5, 31), 25), (D(2023, 6, 30), 50), (D(2023, 9, 30), 85), (D(2023, 10, 20), 100)],
    )
    parcel = ParcelFactory(county=anze, area_mu=Decimal("500"), approval_date=D(2015, 1, 1))
    for area, day in [
        ("1", D(2023, 3, 14)),
        ("2", D(2023, 3, 15)),
        ("4", D(2023, 5, 31)),
        ("8", D(2023, 6, 1)),
        ("16", D(2023, 10, 20)),
        ("32", D(2023, 10, 21)),
        ("64", D(2023, 12, 31)),
    ]:
        dispose(parcel, area, day)
    return task


@pytest.mark.parametrize(
    "as_of, completed, required, status",
    [
        (D(2023, 3, 14), "0.00", "0.00", "on_track"),  # before the start: nothing counts
        (D(2023, 3, 15), "2.00", "0.00", "on_track"),  # as_of = start = a disposal's date
        (D(2023, 5, 30), "2.00", "0.00", "at_risk"),  # 1 day before 31 May, 2 % < 25 %
        (D(2023, 5, 31), "6.00", "25.00", "behind"),  # 2 + 4 on the due date; 6 % < 25 %
        (D(2023, 6, 1), "14.00", "25.00", "behind"),  # + 8
        (D(2023, 10, 19), "14.00", "85.00", "behind"),
        (D(2023, 10, 20), "30.00", "100.00", "behind"),  # + 16 on the end date
        (D(2023, 10, 21), "30.00", "100.00", "behind"),  # the 32 after the end never counts
        (D(2023, 12, 31), "30.00", "100.00", "behind"),
        (D(2024, 3, 1), "30.00", "100.00", "behind"),  # as_of in a later year
    ],
)
def test_disposals_at_the_edges_of_a_period_that_cuts_months(
    mid_month_task, superuser, as_of, completed, required, status
):
    row = row_of(api_rows(superuser, as_of, year=2023)["results"], mid_month_task)
    assert (row["completed_area_mu"], row["required_rate"], row["status"]) == (completed, required, status)


def test_the_milestones_of_a_period_that_cuts_months(mid_month_task, superuser, web):
    """As of 2023-12-31: by 31 May 2 + 4 = 6 (target 25: not met); by 30 June 6 + 8 = 14 (50: not met);
    by 30 Sept 14 (85); by 20 Oct 14 + 16 = 30 (100). Towns: the parcel has none → one row 未填乡镇,
    completed 30."""
    as_of = D(2023, 12, 31)
    row = row_of(county_rows(superuser, "141026", as_of, year=2023), mid_month_task)
    assert [(m["completed_area_mu"], m["met"]) for m in row["milestones"]] == [
        ("6.00", False),
        ("14.00", False),
        ("14.00", False),
        ("30.00", False),
    ]
    assert [(t["parcels"], t["area_mu"], t["completed_area_mu"]) for t in row["towns"]] == [
        (1, "500.00", "30.00")
    ]
    (figures,), page = dashboard_figures(web, "141026", as_of, 2023)
    assert figures["已完成"] == "30.00 亩"
    assert "· 实际 6.00 亩" in page and "· 实际 30.00 亩" in page
    book = monthly_summary(superuser, 2023, 12, county="141026")
    milestones = sheet_rows(book["时间节点"])
    assert [two(r[5]) for r in milestones] == ["6.00", "14.00", "14.00", "30.00"]
    towns = sheet_rows(book["分乡镇"])
    assert [two(r[6]) for r in towns] == ["30.00"]


def test_a_period_across_the_new_year(regions, superuser):
    """安泽县 task of year 2023, period 2022-12-10 … 2023-11-30, one milestone 100 % on 2023-11-30,
    target 50; and 乡宁县's plain 2023 task alongside (so the report mixes windows of two years).

    安泽 disposals: 2022-12-09 1 (before), 2022-12-10 2, 2022-12-31 4, 2023-01-01 8, 2023-11-30 16,
    2023-12-01 32 (after). As of 2023-12-31: 2 + 4 + 8 + 16 = 30 → 60 %.
    乡宁 disposals: 2022-12-31 5 (the year before: never), 2023-01-01 3 → 3 of 30 = 10 %.
    """
    anze, xiangning = regions["141026"], regions["141029"]
    cross = custom_task(
        anze,
        target="50",
        start=D(2022, 12, 10),
        end=D(2023, 11, 30),
        milestones=[(D(2023, 11, 30), 100)],
        year=2023,
    )
    plain = task_services.task_create(
        county=xiangning, year=2023, category="unsupplied", target_area_mu=Decimal("30")
    )
    a = ParcelFactory(county=anze, area_mu=Decimal("500"), approval_date=D(2015, 1, 1))
    x = ParcelFactory(county=xiangning, area_mu=Decimal("500"), approval_date=D(2015, 1, 1))
    for area, day in [
        ("1", D(2022, 12, 9)),
        ("2", D(2022, 12, 10)),
        ("4", D(2022, 12, 31)),
        ("8", D(2023, 1, 1)),
        ("16", D(2023, 11, 30)),
        ("32", D(2023, 12, 1)),
    ]:
        dispose(a, area, day)
    dispose(x, "5", D(2022, 12, 31))
    dispose(x, "3", D(2023, 1, 1))
    rows = api_rows(superuser, D(2023, 12, 31), year=2023)["results"]
    assert (row_of(rows, cross)["completed_area_mu"], row_of(rows, cross)["completion_rate"]) == (
        "30.00",
        "60.00",
    )
    assert (row_of(rows, plain)["completed_area_mu"], row_of(rows, plain)["completion_rate"]) == (
        "3.00",
        "10.00",
    )
    # As of 2022-12-31 (year 2023 named): 2 + 4 = 6 for 安泽; 乡宁 not started (period from 2023-01-01) → 0.
    rows = api_rows(superuser, D(2022, 12, 31), year=2023)["results"]
    assert row_of(rows, cross)["completed_area_mu"] == "6.00"
    assert row_of(rows, plain)["completed_area_mu"] == "0.00"


def test_as_of_after_the_end_shows_the_last_milestone_and_no_next(regions, superuser):
    """Default milestones, target 100, 60 disposed by 2023-11-30. As of 2024-02-01 (year 2023): required
    100 → required area 100, shortfall 40, behind, next null; every milestone judged."""
    anze = regions["141026"]
    task = task_services.task_create(
        county=anze, year=2023, category="unsupplied", target_area_mu=Decimal("100")
    )
    parcel = ParcelFactory(county=anze, area_mu=Decimal("100"), approval_date=D(2015, 1, 1))
    dispose(parcel, "60", D(2023, 11, 30))
    dispose(parcel, "10", D(2024, 1, 5))  # after the period
    row = row_of(api_rows(superuser, D(2024, 2, 1), year=2023)["results"], task)
    assert (row["completed_area_mu"], row["required_area_mu"], row["shortfall_area_mu"]) == (
        "60.00",
        "100.00",
        "40.00",
    )
    assert row["next_milestone"] is None and row["status"] == "behind"
    assert [m["met"] for m in row["milestones"]] == [False, False, False, False]


def test_as_of_before_the_start_nothing_is_due(regions, superuser, web):
    """Default milestones, target 100. As of 2022-12-31 with year 2023: nothing counts, required 0,
    next 2023-05-31 25 % = 25 亩, remaining 25, every milestone null."""
    anze = regions["141026"]
    task = task_services.task_create(
        county=anze, year=2023, category="unsupplied", target_area_mu=Decimal("100")
    )
    parcel = ParcelFactory(county=anze, area_mu=Decimal("100"), approval_date=D(2015, 1, 1))
    dispose(parcel, "7", D(2022, 12, 31))
    row = row_of(api_rows(superuser, D(2022, 12, 31), year=2023)["results"], task)
    assert (row["completed_area_mu"], row["completion_rate"], row["required_rate"], row["status"]) == (
        "0.00",
        "0.00",
        "0.00",
        "on_track",
    )
    assert row["next_milestone"]["remaining_area_mu"] == "25.00"
    assert all(m["completed_area_mu"] is None and m["met"] is None for m in row["milestones"])
    (figures,), _ = dashboard_figures(web, "141026", D(2022, 12, 31), 2023)
    assert figures["已完成"] == "0.00 亩" and figures["完成率"] == "0.00%"


# --- moving and deleting disposals ---------------------------------------------------------------------


def test_a_disposal_moved_and_then_deleted_changes_every_surface(regions, superuser, web):
    """Target 40 (milestones 10/20/34/40). Disposal 12 on 2023-05-31 → by 31 May 12 ≥ 10: met.
    Moved to 2023-06-01 → by 31 May 0: not met; as of 2023-06-10 still 12 done.
    Moved to 2022-12-31 (before the period) → 0 done. Moved back to 2023-07-15 then deleted → 0."""
    anze = regions["141026"]
    task = task_services.task_create(
        county=anze, year=2023, category="unsupplied", target_area_mu=Decimal("40")
    )
    parcel = ParcelFactory(county=anze, area_mu=Decimal("100"), approval_date=D(2015, 1, 1))
    disposal = dispose(parcel, "12", D(2023, 5, 31))
    as_of = D(2023, 7, 31)

    def figures():
        row = row_of(api_rows(superuser, as_of)["results"], task)
        (dash,), _ = dashboard_figures(web, "141026", as_of, 2023)
        summary = sheet_rows(monthly_summary(superuser, 2023, 7, county="141026")["进度汇总"])[0]
        return row["completed_area_mu"], row["milestones"][0]["met"], dash["已完成"], two(summary[5])

    assert figures() == ("12.00", True, "12.00 亩", "12.00")
    parcel_services.disposal_update(disposal=disposal, date=D(2023, 6, 1))
    assert figures() == ("12.00", False, "12.00 亩", "12.00")
    parcel_services.disposal_update(disposal=disposal, date=D(2022, 12, 31))
    assert figures() == ("0.00", False, "0.00 亩", "0.00")
    parcel_services.disposal_update(disposal=disposal, date=D(2023, 7, 15))
    assert figures() == ("12.00", False, "12.00 亩", "12.00")
    parcel_services.disposal_delete(disposal=disposal)
    assert figures() == ("0.00", False, "0.00 亩", "0.00")


def test_a_parcels_kind_cannot_change_once_it_has_disposals(regions):
    from django.core.exceptions import ValidationError

    anze = regions["141026"]
    parcel = ParcelFactory(county=anze, area_mu=Decimal("10"), approval_date=D(2015, 1, 1))
    dispose(parcel, "3", D(2023, 3, 1))
    with pytest.raises(ValidationError):
        parcel_services.parcel_update(
            parcel=parcel,
            kind="idle",
            land_user="某公司",
            supply_method="transfer",
            supply_date=D(2016, 1, 1),
            agreed_start_date=D(2016, 6, 1),
            idle_cause="user",
            approval_number="",
            approval_date=None,
            expropriation_status="",
            unsupplied_reason="",
        )


# --- categories ----------------------------------------------------------------------------------------


def test_both_and_single_kind_tasks(regions, superuser, web):
    """A county may not hold a both task and a single-kind one in one year (model rule), so:
    乡宁县 2023: 批而未供 task 40, 闲置 task 20; 安泽县 2023: 批而未用 (both) task 50. In each county:
    unsupplied 7.125 (2023-04-01), idle 3.3335 (2023-04-02), idle 1 (2022-12-31, before the period).
    As of 2023-04-30:
      unsupplied: 7.125 → "7.13"; 7.125 ÷ 40 × 100 = 17.8125 → "17.81"
      idle:       3.3335 → "3.33"; 3.3335 ÷ 20 × 100 = 16.6675 → "16.67"
      both:       7.125 + 3.3335 = 10.4585 → "10.46"; ÷ 50 × 100 = 20.917 → "20.92"
    Totals per category are the tasks' own (one task each).
    """
    anze, xiangning = regions["141026"], regions["141029"]
    task_services.task_create(
        county=xiangning, year=2023, category="unsupplied", target_area_mu=Decimal("40")
    )
    task_services.task_create(county=xiangning, year=2023, category="idle", target_area_mu=Decimal("20"))
    task_services.task_create(county=anze, year=2023, category="both", target_area_mu=Decimal("50"))
    for county in (anze, xiangning):
        u = ParcelFactory(county=county, area_mu=Decimal("30"), approval_date=D(2015, 1, 1))
        i = IdleParcelFactory(county=county, area_mu=Decimal("30"))
        dispose(u, "7.1250", D(2023, 4, 1))
        dispose(i, "3.3335", D(2023, 4, 2))
        dispose(i, "1", D(2022, 12, 31))
    as_of = D(2023, 4, 30)
    body = api_rows(superuser, as_of)
    got = {row["category"]: (row["completed_area_mu"], row["completion_rate"]) for row in body["results"]}
    assert got == {"unsupplied": ("7.13", "17.81"), "idle": ("3.33", "16.67"), "both": ("10.46", "20.92")}
    totals = {
        t["category"]: (t["target_area_mu"], t["completed_area_mu"], t["completion_rate"])
        for t in body["totals"]
    }
    assert totals == {
        "unsupplied": ("40.00", "7.13", "17.81"),
        "idle": ("20.00", "3.33", "16.67"),
        "both": ("50.00", "10.46", "20.92"),
    }
    (both,) = county_rows(superuser, "141026", as_of)
    assert [t["completed_area_mu"] for t in both["towns"]] == ["10.46"]
    single = {row["category"]: row for row in county_rows(superuser, "141029", as_of)}
    assert [t["completed_area_mu"] for t in single["idle"]["towns"]] == ["3.33"]
    assert [t["completed_area_mu"] for t in single["unsupplied"]["towns"]] == ["7.13"]
    sections, _ = dashboard_figures(web, "141029", as_of, 2023)
    assert sorted(s["完成率"] for s in sections) == ["16.67%", "17.81%"]
    (section,), _ = dashboard_figures(web, "141026", as_of, 2023)
    assert (section["已完成"], section["完成率"]) == ("10.46 亩", "20.92%")
    summary = sheet_rows(monthly_summary(superuser, 2023, 4)["进度汇总"])
    rates = sorted(two(r[6]) for r in summary if r[0] is not None)
    assert rates == ["16.67", "17.81", "20.92"]


def test_category_totals_are_summed_from_unrounded_figures(regions, superuser, web):
    """Two 批而未供 tasks (安泽, 乡宁), targets 10.005 and 10.005 (stored to 4 places), completed 0.125 each.
      per row: target "10.01", completed "0.13", rate 0.125 ÷ 10.005 × 100 = 1.24937… → "1.25"
      total:   target 20.01 (not 10.01 + 10.01 = 20.02), completed 0.25 (not 0.26),
               rate 0.25 ÷ 20.01 × 100 = 1.24937… → "1.25"
    Same on the city dashboard's totals row and in the workbook's 合计 row."""
    anze, xiangning = regions["141026"], regions["141029"]
    for county in (anze, xiangning):
        task_services.task_create(
            county=county, year=2023, category="unsupplied", target_area_mu=Decimal("10.005")
        )
        parcel = ParcelFactory(county=county, area_mu=Decimal("1"), approval_date=D(2015, 1, 1))
        dispose(parcel, "0.1250", D(2023, 2, 1))
    as_of = D(2023, 2, 28)
    body = api_rows(superuser, as_of)
    assert [(r["target_area_mu"], r["completed_area_mu"], r["completion_rate"]) for r in body["results"]] == [
        ("10.01", "0.13", "1.25")
    ] * 2
    assert body["totals"] == [
        {
            "category": "unsupplied",
            "target_area_mu": "20.01",
            "completed_area_mu": "0.25",
            "completion_rate": "1.25",
        }
    ]
    page = web.get("/dashboard/", {"as_of": "2023-02-28", "year": 2023}).content.decode()
    assert '<td class="num">20.01</td>' in page and '<td class="num">0.25</td>' in page
    book = monthly_summary(superuser, 2023, 2)
    (total,) = [r for r in sheet_rows(book["进度汇总"]) if r[1] == "合计"]
    assert [two(v) for v in total[4:7]] == ["20.01", "0.25", "1.25"]


# --- hectares on the dashboard ---------------------------------------------------------------------------


def test_hectares_are_the_exact_mu_divided_by_15_to_4_places(regions, web):
    """Target 26.9650 亩 → 26.965 ÷ 15 = 1.797666… → "1.7977" 公顷 (from the rounded 26.97 it would be
    1.7980). Completed 0.0075 亩 → 0.0005 公顷 exactly → "0.0005"; shown 亩 "0.01"."""
    anze = regions["141026"]
    task_services.task_create(county=anze, year=2023, category="unsupplied", target_area_mu=Decimal("26.965"))
    parcel = ParcelFactory(county=anze, area_mu=Decimal("1"), approval_date=D(2015, 1, 1))
    dispose(parcel, "0.0075", D(2023, 2, 1))
    (figures,), _ = dashboard_figures(web, "141026", D(2023, 2, 28), 2023)
    assert figures["任务面积"] == "26.97 亩" and figures["任务面积·small"] == "1.7977 公顷"
    assert figures["已完成"] == "0.01 亩" and figures["已完成·small"] == "0.0005 公顷"


# --- a county where nothing was disposed of ----------------------------------------------------------------


def test_a_county_with_no_disposals_shows_zeros_everywhere(regions, superuser, web):
    """曲沃县 2023 both, target 33.33, nothing disposed anywhere in the county. As of 2023-07-01:
    completed 0, rate 0, required 50 % → 16.665 → "16.67", shortfall 16.665 → "16.67", behind;
    31 May 25 % = 8.3325 → "8.33", completed 0, not met; next 30 Sept 85 % = 28.3305 → "28.33"."""
    quwo = regions["141021"]
    task = task_services.task_create(county=quwo, year=2023, category="both", target_area_mu=Decimal("33.33"))
    row = row_of(api_rows(superuser, D(2023, 7, 1))["results"], task)
    assert (
        row["completed_area_mu"],
        row["completion_rate"],
        row["required_area_mu"],
        row["shortfall_area_mu"],
        row["status"],
    ) == ("0.00", "0.00", "16.67", "16.67", "behind")
    assert row["milestones"][0] == {
        "due": "2023-05-31",
        "target_rate": "25.00",
        "target_area_mu": "8.33",
        "completed_area_mu": "0.00",
        "met": False,
    }
    assert row["next_milestone"]["target_area_mu"] == "28.33"
    assert row["next_milestone"]["remaining_area_mu"] == "28.33"
    assert row_of(county_rows(superuser, "141021", D(2023, 7, 1)), task)["towns"] == []
    (figures,), _ = dashboard_figures(web, "141021", D(2023, 7, 1), 2023)
    assert figures["差额"] == "16.67 亩"
    summary = sheet_rows(monthly_summary(superuser, 2023, 7, county="141021")["进度汇总"])[0]
    assert [two(v) for v in summary[5:10]] == ["0.00", "0.00", "50.00", "16.67", "16.67"]


# --- a milestone not yet due on each surface ----------------------------------------------------------------


def test_a_milestone_not_yet_due_is_not_judged_anywhere(regions, superuser, web):
    """As of 2023-06-29 with 30 disposed of 100: 31 May judged (30 ≥ 25 met); 30 June not due (null),
    though 30 < 50; status at_risk (1 day left, 30 % < 50 %)."""
    anze = regions["141026"]
    task = task_services.task_create(
        county=anze, year=2023, category="unsupplied", target_area_mu=Decimal("100")
    )
    parcel = ParcelFactory(county=anze, area_mu=Decimal("100"), approval_date=D(2015, 1, 1))
    dispose(parcel, "30", D(2023, 5, 31))
    as_of = D(2023, 6, 29)
    row = row_of(api_rows(superuser, as_of)["results"], task)
    assert [(m["completed_area_mu"], m["met"]) for m in row["milestones"]] == [
        ("30.00", True),
        (None, None),
        (None, None),
        (None, None),
    ]
    assert row["status"] == "at_risk"
    (figures,), page = dashboard_figures(web, "141026", as_of, 2023)
    assert page.count("待到期") >= 3


# --- the engine against a brute-force sum of the ledger, over many dates and period shapes -------------


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_completed_area_equals_a_plain_sum_of_the_ledger(regions, superuser, seed):
    """Completed as of D = Σ disposals of the county and counted kinds dated in [start, min(end, D)]
    (DOMAIN.md §4), computed here straight from the Disposal rows, for periods that cut months, cross
    the new year and include 29 February, at every as_of around their edges."""
    import random

    from parcels.models import Disposal
    from tasks.progress import task_progress

    rng = random.Random(seed)
    counties = [regions[code] for code in ("141026", "141029", "141021")]
    shapes = [
        (D(2023, 12, 15), D(2024, 12, 14), 2024),
        (D(2024, 2, 29), D(2024, 11, 30), 2024),
        (D(2024, 1, 1), D(2024, 12, 31), 2024),
    ]
    categories = ["unsupplied", "idle", "both"]
    tasks = []
    for county, (start, end, year), category in zip(counties, shapes, rng.sample(categories, 3), strict=True):
        tasks.append(
            custom_task(
                county,
                target="100",
                start=start,
                end=end,
                milestones=[(end, 100)],
                category=category,
                year=year,
            )
        )
        parcels = [
            ParcelFactory(county=county, area_mu=Decimal("1000"), approval_date=D(2015, 1, 1)),
            IdleParcelFactory(county=county, area_mu=Decimal("1000")),
        ]
        for _ in range(40):
            day = D(2023, 11, 1) + datetime.timedelta(days=rng.randrange(0, 460))
            dispose(rng.choice(parcels), f"{rng.randrange(1, 99999) / 10000:.4f}", day)
    kinds = {"unsupplied": {"unsupplied"}, "idle": {"idle"}, "both": {"unsupplied", "idle"}}
    ledger = list(Disposal.objects.values_list("county_id", "kind", "date", "area_mu"))
    dates = sorted(
        {
            d + datetime.timedelta(days=k)
            for d in (
                D(2023, 12, 15),
                D(2024, 2, 29),
                D(2024, 3, 1),
                D(2024, 11, 30),
                D(2024, 12, 14),
                D(2024, 12, 31),
                D(2024, 1, 31),
            )
            for k in (-1, 0, 1)
        }
        | {D(2023, 11, 30), D(2025, 1, 20)}
    )
    for as_of in dates:
        refs = task_progress(
            CountyTask.objects.select_related("county").prefetch_related("milestones").order_by("pk"), as_of
        )
        rows = api_rows(superuser, as_of, year=2024)["results"]
        for task, progress in zip(tasks, refs, strict=True):
            last = min(task.end_date, as_of)
            expected = sum(
                (
                    area
                    for county_id, kind, date, area in ledger
                    if county_id == task.county_id
                    and kind in kinds[task.category]
                    and task.start_date <= date <= last
                ),
                Decimal(0),
            )
            assert progress.completed_area_mu == expected, (task.category, task.start_date, as_of)
            row = row_of(rows, task)
            assert (
                row["completed_area_mu"]
                == f"{expected.quantize(Decimal('0.01'), rounding='ROUND_HALF_UP'):.2f}"
            )


# --- the other places the same figures appear: overview, reminders, the three lists --------------------


def test_the_overview_reminders_and_task_list_repeat_the_same_figures(regions, superuser, web):
    """安泽县 2023 批而未供, target 26.98 (milestones 6.745/13.49/22.933/26.98). Disposed 6.7450 on 2023-05-31.
    As of 2023-06-20 (10 days before 30 June):
      completed 6.745 → "6.75"; rate 25.00; required 25 → required area 6.745, shortfall 0 → "0.00"
      status at_risk (25 % < 50 %, 10 days left); next 30 June 13.49, remaining 13.49 − 6.745 = 6.745 → "6.75"
      reminder: "…6月30日 须达到 50.00%，还需 6.75 亩"
    The task list (三项清单, as of the year's end 2023-12-31): 31 May completed 6.75 (met: 6.745 ≥ 6.745).
    """
    anze = regions["141026"]
    task = task_services.task_create(
        county=anze, year=2023, category="unsupplied", target_area_mu=Decimal("26.98")
    )
    parcel = ParcelFactory(county=anze, area_mu=Decimal("50"), approval_date=D(2015, 1, 1))
    dispose(parcel, "6.7450", D(2023, 5, 31))
    as_of = D(2023, 6, 20)
    row = row_of(api_rows(superuser, as_of)["results"], task)
    assert (row["status"], row["shortfall_area_mu"], row["next_milestone"]["remaining_area_mu"]) == (
        "at_risk",
        "0.00",
        "6.75",
    )

    page = web.get("/dashboard/", {"as_of": "2023-06-20", "year": 2023}).content.decode()
    assert '<td class="num">6.75</td>' in page and '<td class="num">25.00%</td>' in page
    assert "还需 <strong>6.75</strong> 亩" in page

    reminders = api(superuser).get("/api/v1/reminders/", {"as_of": "2023-06-20"}).json()
    items = reminders if isinstance(reminders, list) else reminders.get("results", reminders)
    titles = [item["title"] for item in items if item["kind"] == "milestone"]
    assert any("50.00%，还需 6.75 亩" in title for title in titles), titles

    response = api(superuser).get("/api/v1/reports/lists/", {"county": "141026", "year": 2023})
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    first = sheet_rows(book["任务清单"])[0]
    # … 时间节点, 累计目标, 节点目标面积, 截至节点完成, 节点完成情况, 当前完成面积, 当前完成率
    assert [two(first[8]), two(first[9]), two(first[10]), first[11]] == ["25.00", "6.75", "6.75", "已达到"]
