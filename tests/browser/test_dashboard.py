"""The city and a county office read the dashboard in Chromium; screenshots are kept as artifacts."""

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def sign_in_dashboard(page, live_server, username):
    page.goto(f"{live_server.url}/dashboard/")
    assert "/accounts/login/" in page.url  # anonymous visitors are sent to the login page
    page.fill("#id_username", username)
    page.fill("#id_password", "landtrack-demo")
    with page.expect_navigation():
        page.click("button[type=submit]")


def test_the_city_reads_the_overview_and_a_county_page(page, live_server, screenshot):
    call_command("demo_setup", verbosity=0)
    sign_in_dashboard(page, live_server, "demo_city")
    page.goto(f"{live_server.url}/dashboard/?year=2022&as_of=2022-12-01")
    row = page.locator("table.progress tbody tr")
    expect(row).to_have_count(1)
    cells = row.locator("td").all_inner_texts()
    assert cells[:8] == ["乡宁县", "批而未供", "26.96", "23.71", "87.95%", "100.00%", "滞后", "3.25"]
    screenshot("overview-2022")

    page.goto(f"{live_server.url}/dashboard/?year=2023&as_of=2023-06-20")
    cells = page.locator("table.progress tbody tr").first.locator("td").all_inner_texts()
    # 安泽 by 20 June 2023: 12.40 of 60 = 20.67 % against 25 % due 31 May: 2.60 亩 short.
    assert cells[:8] == ["安泽县", "批而未用", "60.00", "12.40", "20.67%", "25.00%", "滞后", "2.60"]
    assert "还需 17.60 亩" in cells[8]

    page.click("table.progress tbody tr >> text=安泽县")
    expect(page.locator("h1")).to_contain_text("安泽县")
    assert page.locator("ol.timeline li.missed").count() == 1
    assert page.locator("svg.curve polyline.actual").count() == 1
    assert "滞后风险" in page.locator("section.task").inner_text()
    pending = page.locator("table.pending tbody tr")
    # Largest remaining first: AZ-XZ-003 7.65, AZ-PW-004 6.35, AZ-PW-003 5.40, AZ-PW-005 4.20.
    codes = [pending.nth(i).locator("td").first.inner_text() for i in range(pending.count())]
    assert codes == ["AZ-XZ-003", "AZ-PW-004", "AZ-PW-003", "AZ-PW-005"]
    screenshot("anze-2023")


def test_the_office_sees_only_its_county(page, live_server, screenshot):
    call_command("demo_setup", verbosity=0)
    sign_in_dashboard(page, live_server, "demo_anze_office")
    page.goto(f"{live_server.url}/dashboard/?year=2023&as_of=2023-12-31")
    rows = page.locator("table.progress tbody tr")
    expect(rows).to_have_count(1)
    assert rows.first.locator("td").all_inner_texts()[:7] == [
        "安泽县",
        "批而未用",
        "60.00",
        "64.30",
        "107.17%",
        "100.00%",
        "已完成",
    ]
    page.goto(f"{live_server.url}/dashboard/141029/")
    assert "未找到" in page.content() or page.title().startswith("Not Found") or "404" in page.content()
    screenshot("office")
