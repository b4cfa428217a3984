"""A newcomer signs in to the admin and finds the demo of both notices, in Chinese."""

import re

import pytest
from django.core.management import call_command

from .conftest import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_demo_admin_finds_the_parcels_groups_and_the_26_96_mu_task(page, live_server, screenshot):
    call_command("demo_setup", verbosity=0)
    page.goto(f"{live_server.url}/admin/login/")
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    assert page.locator("label[for=id_username]").inner_text().startswith("用户名")
    sign_in(page, live_server, "demo_admin", "landtrack-demo")
    assert page.locator("#site-name").inner_text().startswith("LandTrack")
    assert "地块台账" in page.content()

    page.goto(f"{live_server.url}/admin/parcels/parcel/?county=141029")
    table = page.locator("#result_list")
    assert table.locator("tbody tr").count() == 4
    # 台头镇: 8.50 亩, 7.25 disposed, 1.25 left — partly disposed of.
    assert "部分处置" in table.inner_text()
    screenshot("parcels")

    page.goto(f"{live_server.url}/admin/parcels/parcel/?county=141026")
    assert page.locator("#result_list tbody tr").count() == 8
    assert "（示例）府城镇城东片区2019年度第3批次城镇建设用地" in page.locator("#result_list").inner_text()

    page.goto(f"{live_server.url}/admin/leadership/leadershipgroup/")
    text = page.locator("#result_list").inner_text()
    assert "安泽县2023年度清理“批而未用”土地专项行动领导小组" in text
    assert "乡宁县推进清理“批而未用”土地专项督察反馈问题整改工作领导小组" in text

    page.click("text=安泽县2023年度清理“批而未用”土地专项行动领导小组")
    page.wait_for_url(re.compile(r"/change/"))
    names = page.locator("td.field-name input").evaluate_all(
        "inputs => inputs.map(i => i.value).filter(Boolean)"
    )
    assert names[:3] == ["张国强", "付强", "薛金权"]
    assert names[-1] == "娄雁楠" and len(names) == 17
    screenshot("group")

    page.goto(f"{live_server.url}/admin/tasks/countytask/?county=141029")
    assert "26.96" in page.locator("#result_list").inner_text()
    page.click("#result_list tbody th a")
    page.wait_for_url(re.compile(r"/change/"))
    assert page.locator("#id_target_area_mu").input_value() == "26.9600"
    assert page.locator("#id_assigned_by").input_value() == "临汾市规划和自然资源局"
    rates = page.locator("td.field-target_rate input").evaluate_all(
        "inputs => inputs.map(i => i.value).filter(Boolean)"
    )
    assert rates == ["25.00", "50.00", "85.00", "100.00"]
    screenshot("tasks")
