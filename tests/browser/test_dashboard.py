"""The city and a county office read the dashboard in Chromium; screenshots are kept as artifacts.

The figures are those of the demo (fixtures/demo.json), worked out by hand:
乡宁县 2022, 批而未供, 26.96 亩: 7.10 (18 April) + 9.36 (20 June) + 7.25 (25 August) = 23.71 done;
23.71 ÷ 26.96 = 87.945…% → "87.95". Milestones 25/50/85/100 % = 6.74 / 13.48 / 22.916 ("22.92") / 26.96.
安泽县 2023, 批而未用, 60 亩: 12.40 (26 April), 18.80 (21 June), 9.60 (15 August), 12.00 (12 September),
11.50 (20 November) = 64.30 → 107.1666…% → "107.17". Milestones 15 / 30 / 51 / 60 亩.
"""

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from tests.browser.conftest import ARTIFACTS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

BEHIND_RED = "rgb(180, 35, 24)"  # --behind: #b42318
ON_TRACK_BLUE = "rgb(23, 92, 211)"  # --on-track: #175cd3
COMPLETED_GREEN = "rgb(6, 118, 71)"  # --completed: #067647


def sign_in_dashboard(page, live_server, username):
    """An anonymous visitor is sent to the login page, signs in, and lands back on the dashboard."""
    page.goto(f"{live_server.url}/dashboard/")
    assert "/accounts/login/" in page.url and "next=/dashboard/" in page.url
    page.fill("#id_username", username)
    page.fill("#id_password", "landtrack-demo")
    with page.expect_navigation():
        page.click("button[type=submit]")
    assert page.url.startswith(f"{live_server.url}/dashboard/")


def cells(row):
    return [text.strip() for text in row.locator("td").all_inner_texts()]


def figures(section):
    """The figure boxes of a task on the county page: {label: text}."""
    boxes = section.locator("dl.figures > div")
    return {
        boxes.nth(i).locator("dt").inner_text(): " ".join(boxes.nth(i).locator("dd").inner_text().split())
        for i in range(boxes.count())
    }


def label_colour(page, row):
    return row.locator("span.label").evaluate("element => getComputedStyle(element).backgroundColor")


def only_local_resources(page, live_server):
    """No script at all, and every stylesheet or image from the server itself (no CDN)."""
    assert page.locator("script").count() == 0
    sources = page.eval_on_selector_all(
        "link[href], img[src]", "nodes => nodes.map(node => node.href || node.src)"
    )
    assert sources and all(source.startswith(live_server.url) for source in sources), sources


def test_the_city_reads_the_overview_and_a_county_page(page, live_server, screenshot):
    call_command("demo_setup", verbosity=0)
    sign_in_dashboard(page, live_server, "demo_city")

    # 乡宁 on 1 Dec 2022: past 30 Nov, 100 % required, 26.96 − 23.71 = 3.25 short: 滞后, in red.
    page.goto(f"{live_server.url}/dashboard/?year=2022&as_of=2022-12-01")
    row = page.locator("table.progress tbody tr")
    expect(row).to_have_count(1)
    assert cells(row)[:9] == [
        "乡宁县",
        "批而未供",
        "26.96",
        "23.71",
        "87.95%",
        "100.00%",
        "滞后",
        "3.25",
        "已过最后节点",
    ]
    assert label_colour(page, row) == BEHIND_RED
    assert cells(page.locator("table.progress tfoot tr"))[:4] == ["批而未供", "26.96", "23.71", "87.95%"]
    only_local_resources(page, live_server)
    screenshot("overview-2022-12-01")

    # 5 Sept 2022, API.md's example: 50 % (13.48) required, 23.71 done; 30 Sept needs 22.92, already passed.
    page.goto(f"{live_server.url}/dashboard/?year=2022&as_of=2022-09-05")
    row = page.locator("table.progress tbody tr")
    assert cells(row)[:9] == [
        "乡宁县",
        "批而未供",
        "26.96",
        "23.71",
        "87.95%",
        "50.00%",
        "正常推进",
        "0.00",
        "2022年9月30日 达 85.00%，还需 0.00 亩",
    ]
    assert label_colour(page, row) == ON_TRACK_BLUE

    # 安泽 on 20 June 2023: 12.40 of 60 = 20.666…% → 20.67 %, against 25 % (15.00) due 31 May: 2.60 short.
    # Next: 30 June, 50 % = 30.00, 30 − 12.40 = 17.60 to go.
    page.goto(f"{live_server.url}/dashboard/?year=2023&as_of=2023-06-20")
    row = page.locator("table.progress tbody tr").first
    assert cells(row)[:9] == [
        "安泽县",
        "批而未用",
        "60.00",
        "12.40",
        "20.67%",
        "25.00%",
        "滞后",
        "2.60",
        "2023年6月30日 达 50.00%，还需 17.60 亩",
    ]
    # The bar: one tick per milestone (25, 50, 85, 100 %), filled to 20.67 % of its 220 px.
    assert row.locator("svg.bar line.tick").count() == 4
    assert float(row.locator("svg.bar rect.fill").get_attribute("width")) == pytest.approx(45.5, abs=0.1)
    screenshot("overview-2023-06-20")

    page.click("table.progress tbody tr >> text=安泽县")
    expect(page.locator("h1")).to_contain_text("安泽县")
    assert "as_of=2023-06-20" in page.url
    task = page.locator("section.task")
    boxes = figures(task)
    assert boxes["任务面积"].startswith("60.00 亩")
    assert boxes["已完成"].startswith("12.40 亩")
    assert boxes["完成率"] == "20.67%"
    assert boxes["应达比例"] == "25.00% 应完成 15.00 亩"
    assert boxes["差额"] == "2.60 亩"
    assert boxes["下一节点"] == "2023年6月30日 达 50.00%，还需 17.60 亩"
    # 31 May: 12.40 < 15.00, missed; the three later milestones are not yet due.
    assert page.locator("ol.timeline li.missed").count() == 1
    assert page.locator("ol.timeline li.due").count() == 3
    assert "实际 12.40 亩" in page.locator("ol.timeline li.missed").inner_text()
    assert page.locator("svg.curve polyline.actual").count() == 1
    # Pace of the 60 days since 21 April: 12.40 ÷ 60 = 0.2066… 亩/day; 17.60 to 50 % → 86 days → 14 Sept.
    assert "0.21 亩/天" in task.inner_text()
    forecast = task.locator("table.plain").first.locator("tbody tr").first
    assert cells(forecast) == ["2023年6月30日 50.00%", "30.00", "2023年9月14日", "滞后风险"]
    # Towns: 府城镇 holds AZ-PW-001 (12.40, done 26 April) and AZ-XZ-003 (7.65): 2 parcels, 20.05, 12.40 done.
    first_town = page.locator("h3:text-is('按乡镇（园区）') + table tbody tr").first
    assert cells(first_town) == ["府城镇", "2", "20.05", "12.40"]
    # Pending on 20 June, largest first: AZ-PW-002 (18.80, disposed of on 21 June) heads the list.
    pending = page.locator("table.pending tbody tr")
    codes = [pending.nth(i).locator("td").first.inner_text() for i in range(pending.count())]
    assert codes == [
        "AZ-PW-002",
        "AZ-PW-003",
        "AZ-XZ-001",
        "AZ-XZ-002",
        "AZ-XZ-003",
        "AZ-PW-004",
        "AZ-PW-005",
    ]
    assert "/admin/parcels/parcel/" in pending.first.locator("a").get_attribute("href")
    only_local_resources(page, live_server)
    screenshot("anze-2023-06-20")

    # Printed for a meeting: no navigation or query form on paper.
    page.emulate_media(media="print")
    assert page.locator("header.site nav").is_hidden() and page.locator("form.query").is_hidden()
    ARTIFACTS.mkdir(exist_ok=True)
    page.pdf(path=str(ARTIFACTS / "test_dashboard-anze-2023-06-20.pdf"), format="A4", landscape=True)


def test_the_office_sees_only_its_county(page, live_server, screenshot):
    call_command("demo_setup", verbosity=0)
    sign_in_dashboard(page, live_server, "demo_anze_office")
    # 31 Dec 2023: 64.30 of 60 → 107.17 %, never capped; completed, in green, nothing short.
    page.goto(f"{live_server.url}/dashboard/?year=2023&as_of=2023-12-31")
    rows = page.locator("table.progress tbody tr")
    expect(rows).to_have_count(1)
    assert cells(rows.first)[:9] == [
        "安泽县",
        "批而未用",
        "60.00",
        "64.30",
        "107.17%",
        "100.00%",
        "已完成",
        "0.00",
        "已过最后节点",
    ]
    assert label_colour(page, rows.first) == COMPLETED_GREEN
    screenshot("office-overview")

    # 乡宁's 2022 task is not the office's: the overview shows none, its county page is not there.
    page.goto(f"{live_server.url}/dashboard/?year=2022&as_of=2022-12-01")
    assert page.locator("table.progress").count() == 0
    response = page.goto(f"{live_server.url}/dashboard/141029/")
    assert response.status == 404
    response = page.goto(f"{live_server.url}/dashboard/141026/?year=2023&as_of=2023-09-30")
    assert response.status == 200
    # 30 Sept: 12.40 + 18.80 + 9.60 + 12.00 = 52.80 ≥ 85 % (51.00): 88.00 %, met; 100 % due 30 Nov.
    boxes = figures(page.locator("section.task"))
    assert boxes["完成率"] == "88.00%"
    assert boxes["差额"] == "0.00 亩"
    assert boxes["下一节点"] == "2023年11月30日 达 100.00%，还需 7.20 亩"
    # 31 May missed (12.40 < 15.00); 30 June (31.20 ≥ 30.00) and 30 Sept (52.80 ≥ 51.00) met.
    assert (
        page.locator("ol.timeline li.met").count() == 2 and page.locator("ol.timeline li.missed").count() == 1
    )
    screenshot("office-county")


def test_without_javascript_the_city_sorts_the_overview_and_reads_its_totals(
    browser, live_server, screenshot
):
    import datetime
    from decimal import Decimal

    from leadership.models import Region
    from parcels import services as parcel_services
    from tasks import services as task_services
    from tests.factories import ParcelFactory

    call_command("demo_setup", verbosity=0)
    # Two more 2023 tasks of 100 亩 each: 尧都区 has supplied 30 亩, 曲沃县 10 亩.
    for code, done in (("141002", "30"), ("141021", "10")):
        county = Region.objects.get(code=code)
        task_services.task_create(
            county=county, year=2023, category="unsupplied", target_area_mu=Decimal("100")
        )
        parcel_services.disposal_record(
            parcel=ParcelFactory(county=county, area_mu=Decimal("50")),
            method="supply_transfer",
            area_mu=Decimal(done),
            date=datetime.date(2023, 3, 1),
        )
    context = browser.new_context(
        java_script_enabled=False, locale="zh-CN", viewport={"width": 1400, "height": 900}
    )
    page = context.new_page()
    try:
        sign_in_dashboard(page, live_server, "demo_city")
        page.goto(f"{live_server.url}/dashboard/?year=2023&as_of=2023-12-31")

        def counties():
            return [cells(row)[0] for row in page.locator("table.progress tbody tr").all()]

        page.click("th.col-rate a")  # ascending: 10.00 %, 30.00 %, 107.17 %
        assert "sort=rate" in page.url and counties() == ["曲沃县", "尧都区", "安泽县"]
        page.click("th.col-rate a")  # again: descending
        assert "dir=desc" in page.url and counties() == ["安泽县", "尧都区", "曲沃县"]
        rows = {cells(row)[0]: cells(row) for row in page.locator("table.progress tbody tr").all()}
        # After 30 Nov 100 % is required: 尧都 100 − 30 = 70.00 short, 曲沃 100 − 10 = 90.00 short.
        assert rows["尧都区"][3:8] == ["30.00", "30.00%", "100.00%", "滞后", "70.00"]
        assert rows["曲沃县"][3:8] == ["10.00", "10.00%", "100.00%", "滞后", "90.00"]
        # City totals: 批而未用 60 / 64.30 (107.17 %); 批而未供 200 / 40 → 20.00 %.
        totals = [cells(row) for row in page.locator("table.progress tfoot tr").all()]
        assert [total[:4] for total in totals] == [
            ["批而未用", "60.00", "64.30", "107.17%"],
            ["批而未供", "200.00", "40.00", "20.00%"],
        ]
        assert [text.strip() for text in page.locator("ul.status-summary li").all_inner_texts()] == [
            "2 滞后",
            "0 临期预警",
            "0 正常推进",
            "1 已完成",
        ]
        # The date form is a plain GET form: it works without a script too.
        page.fill("#id_as_of", "2023-06-20")
        with page.expect_navigation():
            page.click("form.query button[type=submit]")
        assert "as_of=2023-06-20" in page.url
        assert cells(page.locator("table.progress tbody tr", has_text="安泽县"))[4:8] == [
            "20.67%",
            "25.00%",
            "滞后",
            "2.60",
        ]
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "test_dashboard-no-javascript-city-2023.png"), full_page=True)
    finally:
        context.close()
