"""A county clerk enters a parcel and its disposals in the admin, in Chromium."""

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from parcels.models import Parcel

from .conftest import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_clerk_adds_a_parcel_and_disposals_and_sees_only_their_county(page, live_server, screenshot):
    call_command("demo_setup", verbosity=0)
    sign_in(page, live_server, "demo_anze", "landtrack-demo")

    page.goto(f"{live_server.url}/admin/parcels/parcel/add/")
    county_options = page.locator("#id_county option").all_inner_texts()
    assert [text for text in county_options if text.strip("-")] == ["安泽县"]
    page.select_option("#id_county", label="安泽县")
    page.select_option("#id_town", label="良马镇")
    page.fill("#id_code", "AZ-NEW-001")
    page.select_option("#id_kind", "unsupplied")
    page.fill("#id_name", "浏览器录入的地块")
    page.fill("#id_area_mu", "10.5")
    page.fill("#id_approval_number", "晋政地字〔2021〕88号")
    page.fill("#id_approval_date", "2021-09-01")
    page.select_option("#id_expropriation_status", "completed")
    page.select_option("#id_unsupplied_reason", "no_user")
    page.select_option("#id_disposals-0-method", "supply_transfer")
    page.fill("#id_disposals-0-area_mu", "4.2")
    page.fill("#id_disposals-0-date", "2023-06-15")
    with page.expect_navigation():
        page.click("input[name=_continue]")

    expect(page.locator(".messagelist .success")).to_have_count(1)
    readonly = page.locator("div.fieldBox.field-remaining_display .readonly").inner_text()
    assert readonly == "6.30"  # 10.50 − 4.20
    assert page.locator("div.fieldBox.field-status_display .readonly").inner_text() == "部分处置"
    screenshot("partly-disposed")

    page.select_option("#id_disposals-1-method", "approval_adjusted")
    page.fill("#id_disposals-1-area_mu", "6.3")
    page.fill("#id_disposals-1-date", "2023-08-01")
    with page.expect_navigation():
        page.click("input[name=_continue]")
    assert page.locator("div.fieldBox.field-remaining_display .readonly").inner_text() == "0.00"
    assert page.locator("div.fieldBox.field-status_display .readonly").inner_text() == "已处置"

    parcel = Parcel.objects.get(code="AZ-NEW-001")
    assert parcel.disposals.count() == 2
    assert {d.created_by.username for d in parcel.disposals.all()} == {"demo_anze"}

    page.goto(f"{live_server.url}/admin/parcels/parcel/?all=")
    listing = page.locator("#result_list").inner_text()
    assert "AZ-NEW-001" in listing and "AZ-PW-001" in listing
    assert "XN2022" not in listing and "乡宁县" not in listing
    assert "乡宁县" not in page.locator("#changelist-filter").inner_text()
    screenshot("own-county-only")
