"""Parcels on the map in Chromium: a clerk uploads a coordinate file in the admin (preview, confirm), then
the county map draws every parcel coloured by status, a click shows its figures, and it prints."""

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from parcels.models import Parcel, ParcelBoundary

from .conftest import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

STATUS_FILL = {"pending": "rgb(180, 35, 24)", "partial": "rgb(181, 71, 8)", "disposed": "rgb(6, 118, 71)"}


def rectangle(code, name, first, south, west, north_m, east_m, hectares):
    """A parcel block of the coordinate file: a rectangle north_m × east_m from (south, west), closed."""
    corners = [
        (south, west),
        (south + north_m, west),
        (south + north_m, west + east_m),
        (south, west + east_m),
        (south, west),
    ]
    lines = [f"5,{hectares},{code},{name},面,,,,@"]
    numbers = [f"{first}{i}" for i in (1, 2, 3, 4, 1)]
    lines += [f"{n},1,{x:.3f},{37_000_000 + y:.3f}" for n, (x, y) in zip(numbers, corners, strict=True)]
    return lines


def survey_file():
    """Four 安泽 demo parcels, areas worked by hand, in GBK with CRLF as a survey company sends them.

    AZ-PW-003 100 × 100 = 10 000 m² = 15 亩 (ledger 15.00); AZ-XZ-003 60 × 85 = 5 100 m² = 7.65 亩 (7.65);
    AZ-PW-004 50 × 84.667 = 4 233.35 m² = 6.35 亩 (6.35); AZ-PW-001 80 × 103.334 = 8 266.72 m² = 12.40 亩 (12.40).
    """
    lines = [
        "[属性描述]",
        "坐标系=2000国家大地坐标系",
        "几度分带=3",
        "投影类型=高斯克吕格",
        "计量单位=米",
        "带号=37",
        "[地块坐标]",
    ]
    lines += rectangle("AZ-PW-003", "府城镇物流园", "A", 3_985_000, 500_000, 100, 100, "1.0000")
    lines += rectangle("AZ-XZ-003", "唐城镇厂房", "B", 3_985_000, 500_300, 60, 85, "0.5100")
    lines += rectangle("AZ-PW-004", "和川镇商业", "C", 3_985_250, 500_000, 50, 84.667, "0.4233")
    lines += rectangle("AZ-PW-001", "府城镇工业", "D", 3_985_250, 500_250, 80, 103.334, "0.8267")
    return ("\r\n".join(lines) + "\r\n").encode("gbk")


def test_a_clerk_uploads_boundaries_and_the_county_map_draws_them(page, live_server, screenshot, tmp_path):
    call_command("demo_setup", verbosity=0)
    path = tmp_path / "安泽县界址点坐标.txt"
    path.write_bytes(survey_file())
    sign_in(page, live_server, "demo_anze", "landtrack-demo")

    # Upload → preview: four rows matched by 地块编号, drawn, nothing stored yet.
    page.goto(f"{live_server.url}/admin/parcels/parcel/boundary-upload/")
    page.set_input_files("#id_file", str(path))
    with page.expect_navigation():
        page.click("input[value=读取并预览]")
    rows = page.locator("table.boundary-preview-table tbody tr")
    expect(rows).to_have_count(4)
    computed = [rows.nth(i).locator("td.computed").inner_text() for i in range(4)]
    assert computed == ["15.00", "7.65", "6.35", "12.40"]
    assert page.locator("svg.landmap g.parcel").count() == 4
    assert ParcelBoundary.objects.count() == 0
    screenshot("preview")

    with page.expect_navigation():
        page.click("input[value='确认保存 4 个地块的边界']")
    expect(page.locator(".messagelist .success")).to_contain_text("已保存 AZ-PW-003、AZ-XZ-003、AZ-PW-004、AZ-PW-001")
    assert ParcelBoundary.objects.count() == 4

    # The county map: four shapes, each coloured by its parcel's status.
    page.goto(f"{live_server.url}/dashboard/141026/map/")
    shapes = page.locator("svg.landmap a.parcel")
    expect(shapes).to_have_count(4)
    statuses = {p.pk: p.status for p in Parcel.objects.filter(code__in=["AZ-PW-003", "AZ-XZ-003", "AZ-PW-004", "AZ-PW-001"])}
    for i in range(4):
        shape = shapes.nth(i)
        status = statuses[int(shape.get_attribute("data-parcel"))]
        fill = shape.locator("path").evaluate("element => getComputedStyle(element).fill")
        assert fill == STATUS_FILL[status], (status, fill)
    # The legend names each status with its colour.
    assert page.locator("ul.map-legend li").count() == 3
    assert page.locator(".parcel-card:visible").count() == 0
    screenshot("county-map")

    # A click on AZ-PW-003 shows its figures and a link to its admin page.
    target = Parcel.objects.get(code="AZ-PW-003")
    page.locator(f"svg.landmap a.parcel[data-parcel='{target.pk}']").click()
    card = page.locator(f"#parcel-{target.pk}")
    expect(card).to_be_visible()
    assert card.locator("dd.computed").inner_text() == "15.00 亩"
    assert card.locator("dd.area").inner_text() == "15.00 亩"
    assert card.locator("dd.difference").inner_text() == "0.00%"
    screenshot("parcel-card")

    # Printed: the map and the table, without the cards and the controls.
    page.emulate_media(media="print")
    expect(page.locator("svg.landmap")).to_be_visible()
    expect(card).to_be_hidden()
    expect(page.locator("form.map-query")).to_be_hidden()
    page.emulate_media(media="screen")

    with page.expect_navigation():
        card.locator("a.admin-link").click()
    panel = page.locator("#boundary-panel")
    expect(panel.locator("svg.landmap")).to_be_visible()
    labels = panel.locator("svg.landmap text.point-label").all_text_contents()
    assert labels == ["A1", "A2", "A3", "A4"]
    assert "15.00 亩（1.0000 公顷，10000.00 平方米）" in panel.locator("td.computed").inner_text()
    screenshot("parcel-admin-map")
