"""A newcomer signs in to the admin and finds the demo of both notices, in Chinese."""

import pytest
from django.core.management import call_command

from .conftest import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_demo_admin_finds_the_parcels_groups_and_the_26_96_mu_task(page, live_server, screenshot):
    call_command("demo_setup", verbosity=0)
    sign_in(page, live_server, "demo_admin", "landtrack-demo")
    assert page.locator("#site-name").inner_text().startswith("LandTrack")
    assert "地块台账" in page.content()

    page.goto(f"{live_server.url}/admin/parcels/parcel/?q=XN2022")
    rows = page.locator("#result_list tbody tr")
    assert rows.count() == 4
    assert "部分处置" in page.locator("#result_list").inner_text()
    screenshot("parcels")

    page.goto(f"{live_server.url}/admin/parcels/parcel/?county=141026")
    assert page.locator("#result_list tbody tr").count() == 8

    page.goto(f"{live_server.url}/admin/leadership/leadershipgroup/")
    text = page.locator("#result_list").inner_text()
    assert "安泽县2023年度清理“批而未用”土地专项行动领导小组" in text
    assert "乡宁县推进清理“批而未用”土地专项督察反馈问题整改工作领导小组" in text

    page.goto(f"{live_server.url}/admin/tasks/countytask/?county=141029")
    assert "26.96" in page.locator("#result_list").inner_text()
    screenshot("tasks")
