"""The content security policy on the pages test_csp.py does not open: what a form posts back (previews with
their maps), the error pages, and Swagger UI trying an operation."""

import pytest
from django.core.management import call_command

from .test_csp import COLLECT_VIOLATIONS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_pin_posted_previews_error_pages_and_swagger_ui_obey_the_content_security_policy(
    page, live_server, tmp_path, settings
):
    from tests.browser.test_maps import survey_file
    from tests.parcels.ledger_files import ledger_bytes, unsupplied_row

    settings.LEDGER_UPLOAD_DIR = tmp_path / "uploads"
    call_command("demo_setup", verbosity=0)
    page.add_init_script(COLLECT_VIOLATIONS)
    base = live_server.url
    ledger = tmp_path / "台账.xlsx"
    ledger.write_bytes(ledger_bytes("unsupplied", [unsupplied_row("AZ-CSP-001")]))
    survey = tmp_path / "界址点坐标.txt"
    survey.write_bytes(survey_file())
    found = {}

    def seen(name):
        page.wait_for_load_state("networkidle")
        violations = page.evaluate("window.__cspViolations")
        if violations:
            found[name] = violations

    assert page.goto(f"{base}/no-such-page/").status == 404
    seen("404")
    page.goto(f"{base}/admin/login/")
    page.context.clear_cookies()
    page.fill("#id_username", "demo_anze")
    page.fill("#id_password", "landtrack-demo")
    with page.expect_navigation() as refused:
        page.click("input[type=submit]")
    assert refused.value.status == 403
    seen("CSRF failure")

    page.goto(f"{base}/admin/login/")
    page.fill("#id_username", "demo_anze")
    page.fill("#id_password", "landtrack-demo")
    with page.expect_navigation():
        page.click("input[type=submit]")
    page.goto(f"{base}/admin/parcels/parcel/ledger/import/")
    page.set_input_files("#id_file", str(ledger))
    with page.expect_navigation():
        page.click("input[value=检查并预览]")
    assert page.locator("#ledger-created").inner_text() == "1"
    seen("ledger preview")
    page.goto(f"{base}/admin/parcels/parcel/boundary-upload/")
    page.set_input_files("#id_file", str(survey))
    with page.expect_navigation():
        page.click("input[value=读取并预览]")
    assert page.locator("svg.landmap g.parcel").count() == 4
    seen("boundary preview")

    page.goto(f"{base}/api/docs/")
    page.wait_for_selector(".opblock")
    page.locator(".opblock-summary").first.click()
    page.locator("button.try-out__btn").first.click()
    page.locator("button.execute").first.click()
    page.wait_for_selector(".responses-wrapper .live-responses-table")
    seen("Swagger UI, an operation tried")
    assert found == {}
