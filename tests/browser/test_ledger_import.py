"""A county clerk imports an Excel ledger in the admin (upload → preview → confirm), in Chromium."""

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from parcels.models import Parcel
from tests.parcels.ledger_files import ledger_bytes, unsupplied_row

from .conftest import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_clerk_uploads_previews_and_confirms_a_ledger(page, live_server, screenshot, tmp_path, settings):
    settings.LEDGER_UPLOAD_DIR = tmp_path / "uploads"
    call_command("demo_setup", verbosity=0)
    bad = tmp_path / "有错误的台账.xlsx"
    bad.write_bytes(ledger_bytes("unsupplied", [unsupplied_row("AZ-X-001", 批准时间="2021-02-30")]))
    good = tmp_path / "安泽台账.xlsx"
    good.write_bytes(ledger_bytes("unsupplied", [unsupplied_row("AZ-X-001"), unsupplied_row("AZ-X-002")]))
    sign_in(page, live_server, "demo_anze", "landtrack-demo")

    page.goto(f"{live_server.url}/admin/parcels/parcel/")
    with page.expect_navigation():
        page.click("text=导入台账")
    page.set_input_files("#id_file", str(bad))
    with page.expect_navigation():
        page.click("input[value=检查并预览]")
    expect(page.locator("#ledger-errors tbody tr")).to_have_count(1)
    expect(page.locator("#ledger-errors")).to_contain_text("日期“2021-02-30”不存在。")

    page.set_input_files("#id_file", str(good))
    with page.expect_navigation():
        page.click("input[value=检查并预览]")
    expect(page.locator("#ledger-created")).to_have_text("2")
    screenshot("preview")
    assert not Parcel.objects.filter(code__startswith="AZ-X-").exists()
    with page.expect_navigation():
        page.click("input[name=confirm]")
    expect(page.locator(".messagelist .success")).to_contain_text("新增 2 宗，更新 0 宗")
    assert sorted(Parcel.objects.filter(code__startswith="AZ-X-").values_list("code", flat=True)) == [
        "AZ-X-001",
        "AZ-X-002",
    ]
