"""Coordinate files (界址点坐标 TXT) at their edges, and the areas computed from them; the first two rules
were defects found in review.

Areas are worked out by hand (shoelace) in the comments; 1 m² = 0.0015 亩.
"""

from decimal import Decimal

import pytest

from parcels.boundaries import read_boundary_file
from parcels.models import ParcelBoundary
from tests.helpers import database_snapshot

from .conftest import upload
from .samples import HEADER, SQUARE, SQUARE_6_DEGREE, SQUARE_WITH_HOLE, crlf, gbk, utf8_bom

pytestmark = pytest.mark.django_db


def cr_only(text):
    """Old Mac line ends: CR alone."""
    return crlf(text).replace("\r\n", "\r")


def stored_points(parcel):
    boundary = ParcelBoundary.objects.get(parcel=parcel)
    return [[ring["ring"], [tuple(point) for point in ring["points"]]] for ring in boundary.rings]


# ------------------------------------------------------------------------- found in review


@pytest.mark.parametrize(
    "content",
    [
        # UTF-8 with BOM, CR line ends, a byte UTF-8 cannot read on line 16 (J3).
        b"\xef\xbb\xbf" + cr_only(SQUARE).encode("utf-8").replace(b"J3,1", b"J3\xff,1"),
        # GBK, CR line ends, a byte neither GBK nor UTF-8 can read on line 16 (J3).
        cr_only(SQUARE).encode("gbk").replace(b"J3,1", b"J3\x80,1"),
    ],
    ids=["utf8-bom", "gbk"],
)
def test_an_undecodable_byte_in_a_cr_only_file_is_refused_at_its_own_line(api, anze_parcels, content):
    # The reader accepts CR-only line ends (LINE_BREAK), so the refusal must name line 16, not line 1.
    before = database_snapshot()
    response = upload(api, anze_parcels["AZ-001"], content)
    assert response.status_code == 400
    assert [error["line"] for error in response.json()["errors"]] == [16], response.json()
    assert database_snapshot() == before


def test_the_computed_area_is_rounded_once_for_display(api, anze_parcels):
    # 100 m east × 100.033 m north = 10 003.3 m² × 0.0015 = 15.00495 亩 → 15.00 (half-up, 2 places).
    # Rounding first to 4 places (15.0050) and then to 2 gives 15.01: wrong.
    parcel = anze_parcels["AZ-001"]
    type(parcel).objects.filter(pk=parcel.pk).update(area_mu=Decimal("14.0000"))
    parcel.refresh_from_db()
    body = upload(api, parcel, gbk(SQUARE.replace("3985100.000", "3985100.033").replace("1.0000", ""))).json()
    # The ledger warning in the same answer already shows the exact figure rounded once.
    assert any("按坐标计算的面积 15.00 亩" in warning for warning in body["warnings"]), body["warnings"]
    assert body["area_mu_computed"] == "15.00"
    feature = api.get(f"/api/v1/parcels/{parcel.pk}/boundary/").json()
    assert feature["properties"]["area_mu_computed"] == "15.00"


# ------------------------------------------------------------------ behaviour pinned (not yet tested)


def test_a_cr_only_file_with_trailing_blank_lines_and_spaces_reads_as_15_mu(api, anze_parcels):
    # 100 m × 100 m = 10 000 m² = 15 亩, whatever the line ends and the blanks around the fields.
    text = SQUARE.replace(",", " , ") + "\n\n   \n\t\n"
    for content in (cr_only(text).encode("gbk"), utf8_bom(text), text.encode("utf-8")):
        response = upload(api, anze_parcels["AZ-001"], content)
        assert response.status_code == 200, response.content
        body = response.json()
        assert (body["area_mu_computed"], body["difference_percent"], body["warnings"]) == (
            "15.00",
            "0.00",
            [],
        )


def test_a_clockwise_outer_ring_and_a_hole_listed_first_give_the_right_area(api, anze_parcels):
    # Outer ring clockwise (shoelace −10 000 m²), hole (20 m × 30 m = 600 m²) listed before it:
    # |−10 000| − 600 = 9 400 m² = 14.1 亩.
    text = (
        HEADER
        + """10,0.9400,AZ-002,唐城镇物流园地块,面,,仓储用地,0508,@
K1,2,3985040.000,37500030.000
K2,2,3985060.000,37500030.000
K3,2,3985060.000,37500060.000
K4,2,3985040.000,37500060.000
K1,2,3985040.000,37500030.000
J1,1,3985000.000,37500000.000
J4,1,3985000.000,37500100.000
J3,1,3985100.000,37500100.000
J2,1,3985100.000,37500000.000
J1,1,3985000.000,37500000.000
"""
    )
    parcel = anze_parcels["AZ-002"]
    body = upload(api, parcel, gbk(text)).json()
    assert (body["area_mu_computed"], body["difference_percent"], body["warnings"]) == ("14.10", "0.00", [])
    boundary = ParcelBoundary.objects.get(parcel=parcel)
    assert [ring["ring"] for ring in boundary.rings] == [1, 2]  # the outer ring first
    assert len(boundary.geometry["coordinates"]) == 2
    # The export re-reads to the same points, outer ring first.
    reread = read_boundary_file(api.get(f"/api/v1/parcels/{parcel.pk}/boundary/txt/").content)
    found = reread.parcels[0]
    assert found.area_m2 == Decimal("9400") and found.warnings == []
    assert [[r.number, [(p.number, str(p.x), str(p.y)) for p in r.points]] for r in found.rings] == (
        stored_points(parcel)
    )


def test_a_ring_closed_twice_and_a_repeated_point_change_nothing_in_the_area():
    # J1 repeated at the end twice, J2 written twice in a row: still the 100 m square, 15 亩.
    text = (
        SQUARE.replace(
            "J2,1,3985100.000,37500000.000\n",
            "J2,1,3985100.000,37500000.000\nJ2,1,3985100.000,37500000.000\n",
        ).replace("5,1.0000", "7,1.0000")
        + "J1,1,3985000.000,37500000.000\n"
    )
    found = read_boundary_file(gbk(text)).parcels[0]
    assert found.errors == [] and found.area_m2 == Decimal("10000") and found.area_mu == Decimal("15")


def test_a_triangle_of_three_points_without_its_closing_point(api, anze_parcels):
    # (0,0), (100 N,0), (0,100 E): ½ × 100 × 100 = 5 000 m² = 7.5 亩; 0.5 公顷 in the file.
    text = (
        HEADER
        + """3,0.5000,AZ-001,三角地块,面,,,,@
J1,1,3985000.000,37500000.000
J2,1,3985100.000,37500000.000
J3,1,3985000.000,37500100.000
"""
    )
    body = upload(api, anze_parcels["AZ-001"], gbk(text)).json()
    assert body["area_mu_computed"] == "7.50" and body["area_mu_file"] == "7.50"
    # (7.5 − 15) ÷ 15 × 100 = −50 %.
    assert body["difference_percent"] == "-50.00"
    assert "第14行：第1圈未闭合（末点与首点 J1 不同），已按首点闭合。" in body["warnings"]
    assert any("台账面积 15.00 亩相差 -50.00%" in warning for warning in body["warnings"])


def test_a_six_degree_file_without_zone_prefix_takes_the_header_zone(api, anze_parcels):
    parcel = anze_parcels["AZ-001"]
    body = upload(api, parcel, gbk(SQUARE_6_DEGREE.replace(",195", ",5"))).json()
    assert body["area_mu_computed"] == "15.00"
    assert "第14行：Y 坐标没有带号前缀，已按 [属性描述] 的带号 19 计算。" in body["warnings"]
    boundary = ParcelBoundary.objects.get(parcel=parcel)
    assert (boundary.zone, boundary.epsg) == (19, 4497)
    assert boundary.rings[0]["points"][0][2] == "19500000.000"


@pytest.mark.parametrize(
    "text, line, contains",
    [
        (SQUARE.replace("J2,1,3985100.000", "J2,1,NaN"), 15, "X 坐标“NaN”不是有效的数字"),
        (SQUARE.replace("J2,1,3985100.000,37500000.000", "J2,1,3985100.000,inf"), 15, "Y 坐标“inf”"),
        (SQUARE.replace("J2,1,3985100.000", "J2,1,3.9851e6"), 15, "X 坐标“3.9851e6”"),
        (
            SQUARE.replace("J2,1,3985100.000", "J2,1,99999999999999999999"),
            15,
            "X 坐标 99999999999999999999 超出",
        ),
        (SQUARE.replace("3985100.000,37500000.000", "37500000.000,3985100.000"), 15, "X、Y 可能颠倒"),
        (SQUARE.replace("J3,1,3985100.000,37500100.000", "J3,1,3985100.000,38500100.000"), 16, "带号前缀 38"),
        (HEADER + "5,1.0000,AZ-001,府城镇工业园地块,面,,,,@\n", 13, "没有界址点"),
        (
            HEADER
            + """5,1.0000,AZ-001,府城镇工业园地块,面,,,,@
J1,1,3985000.000,37500000.000
J2,1,3985100.000,37500100.000
J3,1,3985100.000,37500000.000
J4,1,3985000.000,37500100.000
J1,1,3985000.000,37500000.000
""",
            14,
            "第1圈自相交",
        ),
        (SQUARE_WITH_HOLE.replace(",375000", ",375020"), 19, "不完全在第1圈（外圈）之内"),
    ],
    ids=["nan", "inf", "exponent", "huge", "swapped", "other-zone", "no-points", "bowtie", "hole-outside"],
)
def test_a_bad_file_is_refused_naming_the_line_and_the_old_boundary_stays(
    api, anze_parcels, text, line, contains
):
    parcel = anze_parcels["AZ-002"]
    assert upload(api, parcel, gbk(SQUARE_WITH_HOLE)).status_code == 200
    before = database_snapshot()
    history = ParcelBoundary.history.count()
    response = upload(api, parcel, gbk(text))
    assert response.status_code == 400, response.content
    errors = response.json()["errors"]
    assert any(error["line"] == line and contains in error["message"] for error in errors), errors
    assert database_snapshot() == before and ParcelBoundary.history.count() == history


@pytest.mark.parametrize(
    "text",
    ["\n".join(HEADER.splitlines()[:11]) + "\n", HEADER, "\n\n\r\n", "\ufeff"],
    ids=["header-only", "empty-points-section", "blank-lines", "bom-only"],
)
def test_a_file_with_no_parcel_is_refused_in_chinese(api, anze_parcels, text):
    before = database_snapshot()
    response = upload(api, anze_parcels["AZ-001"], text.encode("utf-8"))
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert errors and all(any("\u4e00" <= ch <= "\u9fff" for ch in error["message"]) for error in errors)
    assert database_snapshot() == before


def test_a_file_with_the_parcels_code_twice_is_refused_at_both_lines(api, anze_parcels):
    text = SQUARE + SQUARE.split("[地块坐标]\n")[1]  # the parcel again, lines 19–24
    before = database_snapshot()
    response = upload(api, anze_parcels["AZ-001"], gbk(text))
    assert response.status_code == 400
    assert [error["line"] for error in response.json()["errors"]] == [13, 19]
    assert database_snapshot() == before


def test_a_large_boundary_is_read_and_measured(api, anze_parcels):
    # From (0 N, 0 E) east to (0, 2 000), then 2 000 stairs back west, each 0.5 m north then 1 m west,
    # to (1 000, 0), and down the axis home: 4 003 points. The k-th column from the east (k = 1…2 000,
    # 1 m wide) is 0.5 k m high, so the area is Σ 0.5 k = 0.5 × 2 000 × 2 001 ÷ 2 = 1 000 500 m²
    # = 1 500.75 亩.
    points = [(0.0, 0.0), (0.0, 2000.0)]  # (north, east)
    north, east = 0.0, 2000.0
    for _ in range(2000):
        north += 0.5
        points.append((north, east))
        east -= 1.0
        points.append((north, east))
    points.append((0.0, 0.0))
    lines = [f"{len(points)},,AZ-001,阶梯地块,面,,,,@"]
    lines += [f"P{i},1,{3985000 + n:.3f},{37500000 + e:.3f}" for i, (n, e) in enumerate(points)]
    content = gbk(HEADER + "\n".join(lines) + "\n")
    found = read_boundary_file(content).parcels[0]
    assert found.errors == [] and found.area_m2 == Decimal("1000500")
    response = upload(api, anze_parcels["AZ-001"], content)
    assert response.status_code == 200 and response.json()["area_mu_computed"] == "1500.75"
