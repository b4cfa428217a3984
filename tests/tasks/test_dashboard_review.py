"""The dashboard pages under odd queries and across their links: a bad value gives way to its default
alone, every link keeps the date (and year) the page shows, and the monthly report it offers is of the
tasks on the page.

Figures are the demo's 乡宁县 2022 task (DOMAIN.md §1): 26.96 亩, 23.71 亩 disposed of by 5 September
2022 → 23.71 ÷ 26.96 × 100 = 87.945… → 87.95 %; 50 % due by then (13.48 亩), nothing short, the next
milestone (85 % on 30 September, 22.92 亩) 25 days away and already reached: 正常推进.
"""

import io

import pytest
from openpyxl import load_workbook
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db


@pytest.fixture
def city(client, demo, city_linfen):
    client.force_login(city_linfen)
    return client


def test_a_bad_sort_key_keeps_the_date_and_year_asked_for(city, city_linfen):
    # A bookmark with a sort key the page no longer knows: the key is reported and replaced, the date
    # and the year still hold (before, the page fell back to today and its year, 安泽县's 2023 task).
    page = city.get("/dashboard/", {"year": 2022, "as_of": "2022-09-05", "sort": "bogus", "dir": "desc"})
    assert page.status_code == 200
    view = page.context["view"]
    assert (view.year, str(view.as_of), view.sort, view.descending) == (2022, "2022-09-05", "status", True)
    (row,) = page.context["rows"]
    assert row.task.county.code == "141029"
    html = page.content.decode()
    assert "排序：" in html and "已按默认值显示" in html  # the field named in Chinese
    assert "Sort" not in html
    for figure in ("26.96", "23.71", "87.95%", "50.00%", "正常推进"):
        assert figure in html
    # The same figures as /progress/ for the same date.
    api = APIClient()
    api.force_authenticate(city_linfen)
    (api_row,) = api.get("/api/v1/progress/", {"year": 2022, "as_of": "2022-09-05"}).json()["results"]
    assert (api_row["completed_area_mu"], api_row["completion_rate"], api_row["status"]) == (
        "23.71",
        "87.95",
        "on_track",
    )


def test_a_bad_year_on_a_county_page_keeps_the_date_asked_for(city):
    page = city.get("/dashboard/141029/", {"year": "abc", "as_of": "2022-09-05"})
    assert page.status_code == 200
    view = page.context["view"]
    assert (view.year, str(view.as_of)) == (2022, "2022-09-05")  # the year of the date, as with none given
    assert "年度：" in page.content.decode()
    (row,) = page.context["rows"]
    assert (str(row.completed_area_mu), row.status) == ("23.7100", "on_track")


def test_the_map_reports_a_bad_filter_in_chinese_and_keeps_the_good_one(city):
    page = city.get("/dashboard/141026/map/", {"kind": "idle", "status": "bogus"})
    assert page.status_code == 200
    codes = [parcel.code for parcel in page.context["parcels"]]
    assert codes and all(code.startswith("AZ-XZ-") for code in codes)  # still only idle land
    html = page.content.decode()
    assert "处置状态：" in html and "bogus" in html


def test_the_rectification_page_links_back_at_the_same_date_and_year(city):
    html = city.get("/dashboard/141029/rectifications/", {"as_of": "2022-10-01"}).content.decode()
    assert 'href="/dashboard/?year=2022&amp;as_of=2022-10-01"' in html
    assert 'href="/dashboard/141029/?year=2022&amp;as_of=2022-10-01"' in html


def test_the_county_page_links_its_rectifications_at_the_year_it_shows(city):
    from decimal import Decimal

    from leadership.models import Region
    from tasks import services

    # 乡宁县 gets a 2023 task too: on 1 March 2023 its page shows 2023 unless 2022 is asked for.
    services.task_create(
        county=Region.objects.get(code="141029"), year=2023, category="both", target_area_mu=Decimal("5")
    )
    html = city.get("/dashboard/141029/", {"year": 2022, "as_of": "2023-03-01"}).content.decode()
    link = 'href="/dashboard/141029/rectifications/?year=2022&amp;as_of=2023-03-01"'
    assert link in html
    # Followed, the rectifications page keeps the year on its way back.
    back = city.get(
        "/dashboard/141029/rectifications/", {"year": 2022, "as_of": "2023-03-01"}
    ).content.decode()
    assert 'href="/dashboard/141029/?year=2022&amp;as_of=2023-03-01"' in back
    default = city.get("/dashboard/141029/rectifications/", {"as_of": "2023-03-01"}).content.decode()
    assert 'href="/dashboard/141029/?year=2023&amp;as_of=2023-03-01"' in default  # what the link used to give


def test_the_rectifications_page_asks_only_the_date_and_carries_the_year_back(city):
    # Its items are the county's whatever the year: a year list there changed nothing when chosen.
    html = city.get(
        "/dashboard/141029/rectifications/", {"year": 2022, "as_of": "2023-03-01"}
    ).content.decode()
    start = html.index('<form class="query"')
    form = html[start : html.index("</form>", start)]
    assert '<select name="year"' not in form
    assert '<input type="hidden" name="year" value="2022">' in form
    assert 'name="as_of" id="id_as_of" value="2023-03-01"' in form


def test_the_map_goes_back_to_the_year_and_date_it_was_opened_at(city):
    page = city.get("/dashboard/141029/", {"year": 2022, "as_of": "2022-09-05"}).content.decode()
    assert 'href="/dashboard/141029/map/?year=2022&amp;as_of=2022-09-05"' in page
    # The map is of today's ledger; its way back and its filter keep the page it came from.
    html = city.get("/dashboard/141029/map/", {"year": 2022, "as_of": "2022-09-05"}).content.decode()
    assert 'href="/dashboard/?year=2022&amp;as_of=2022-09-05">进度总览</a>' in html
    assert 'href="/dashboard/141029/?year=2022&amp;as_of=2022-09-05">乡宁县</a>' in html
    start = html.index('<form class="query map-query"')
    form = html[start : html.index("</form>", start)]
    assert '<input type="hidden" name="year" value="2022">' in form
    assert '<input type="hidden" name="as_of" value="2022-09-05">' in form
    # Filtered from there, still.
    html = city.get(
        "/dashboard/141029/map/", {"kind": "unsupplied", "year": 2022, "as_of": "2022-09-05"}
    ).content.decode()
    assert 'href="/dashboard/141029/?year=2022&amp;as_of=2022-09-05">乡宁县</a>' in html
    # A bad value is not carried (the county page would report it); the good one is.
    html = city.get("/dashboard/141029/map/", {"year": "二〇二二", "as_of": "2022-09-05"}).content.decode()
    assert 'href="/dashboard/141029/?as_of=2022-09-05">乡宁县</a>' in html
    assert '"二〇二二"' not in html
    # Opened with neither, the map goes back to the pages as they open.
    html = city.get("/dashboard/141029/map/").content.decode()
    assert 'href="/dashboard/141029/">乡宁县</a>' in html and 'type="hidden" name="year"' not in html


def test_the_reminders_page_links_back_at_the_same_date(city):
    html = city.get("/dashboard/reminders/", {"as_of": "2022-10-01"}).content.decode()
    assert 'href="/dashboard/?as_of=2022-10-01"' in html


@pytest.mark.parametrize(
    "county, query, link",
    [
        # 乡宁县 has only its 2022 task: read in March 2023 the page shows it, and so must the report
        # (before: the March 2023 report, of 2023's tasks, which has none).
        ("141029", {"as_of": "2023-03-15"}, "year=2022&amp;month=12"),
        # 安泽县's 2023 task read at a date before its year: the report of its year's first month.
        ("141026", {"year": 2023, "as_of": "2022-12-01"}, "year=2023&amp;month=1"),
        # The date inside the year shown: that month, as before.
        ("141029", {"year": 2022, "as_of": "2022-09-05"}, "year=2022&amp;month=9"),
    ],
)
def test_the_county_page_offers_the_monthly_report_of_the_year_it_shows(city, county, query, link):
    html = city.get(f"/dashboard/{county}/", query).content.decode()
    assert f"/api/v1/reports/monthly/?county={county}&amp;{link}" in html


def test_the_monthly_report_offered_for_a_past_year_has_its_task(city):
    html = city.get("/dashboard/141029/", {"as_of": "2023-03-15"}).content.decode()
    assert "2022年12月进度月报" in html
    response = city.get("/api/v1/reports/monthly/", {"county": "141029", "year": 2022, "month": 12})
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content)))["进度汇总"]
    (row,) = [row for row in sheet.iter_rows(min_row=4, values_only=True) if isinstance(row[0], int)]
    # 31 December 2022: still 23.71 of 26.96 亩, every milestone due (100 %), 3.25 亩 short: 滞后.
    assert (row[2], f"{row[5]:.2f}", f"{row[6]:.2f}", f"{row[9]:.2f}", row[10]) == (
        "141029",
        "23.71",
        "87.95",
        "3.25",
        "滞后",
    )
