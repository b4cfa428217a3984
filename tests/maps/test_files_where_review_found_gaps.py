"""Boundary files as clerks' surveying software writes them, where a review found the reading wrong: a
zone edge beside the ledger's centre point, a bad first point, a blank 坐标系, degrees for metres, and
the boundary's area rounded once wherever it is shown. The figures are worked out by hand in the comments.
"""

import re
from decimal import Decimal

import pytest
from django.urls import reverse

from parcels.models import Parcel, ParcelBoundary
from tests.helpers import database_snapshot

from .conftest import upload
from .samples import HEADER, SQUARE, SQUARE_NO_PREFIX, gbk

pytestmark = pytest.mark.django_db


def set_fields(parcel, **fields):
    Parcel.objects.filter(pk=parcel.pk).update(**fields)
    parcel.refresh_from_db()
    return parcel


# ----------------------------------------------------------------------------------- defects


def test_an_empty_coordinate_system_value_is_read_as_a_missing_one_not_refused(api, anze_parcels):
    # "坐标系=" left blank, as survey software often leaves header values: the file names no other system.
    # With the line left out the file is read as CGCS2000 with a warning; blank must not be refused as
    # "坐标系为“”" — a foreign coordinate system it does not name.
    text = SQUARE.replace("坐标系=2000国家大地坐标系", "坐标系=")
    response = upload(api, anze_parcels["AZ-001"], gbk(text))
    assert response.status_code == 200, response.json()
    assert response.json()["area_mu_computed"] == "15.00"


def test_a_file_without_zone_is_placed_where_the_ledger_centre_point_says_the_parcel_is(
    api, anze_parcels, settings
):
    # 安泽 straddles 112.5°E, the edge between 3° zones 37 (111°E) and 38 (114°E). A parcel at 112.55°E,
    # 36.1°N surveyed in the county's zone 37 has eastings about 639 582 m (139.6 km east of 111°E).
    # The file names no zone and its eastings carry no prefix; the ledger's centre point is 112.55°E.
    # Read in zone 38 (the zone that contains 112.55°) the same eastings lie 139.6 km east of 114°E,
    # at about 115.55°E: 270 km east of the ledger's point, in another province; the only warning names
    # zone 38 as if it were right.
    # Read in zone 37 they lie at 112.55°E, where the ledger says the parcel is.
    settings.LANDTRACK_DEFAULT_ZONE = None
    parcel = set_fields(
        anze_parcels["AZ-001"], center_lng=Decimal("112.550000"), center_lat=Decimal("36.100000")
    )
    text = (
        HEADER.replace("带号=37\n", "")
        + """5,1.0000,AZ-001,府城镇工业园地块,面,,工业用地,0601,@
J1,1,3997751.243,639582.318
J2,1,3997851.243,639582.318
J3,1,3997851.243,639682.318
J4,1,3997751.243,639682.318
J1,1,3997751.243,639582.318
"""
    )
    response = upload(api, parcel, gbk(text))
    assert response.status_code == 200, response.json()
    boundary = ParcelBoundary.objects.get(parcel=parcel)
    lng, lat = boundary.center
    assert abs(lng - 112.55) < 0.05 and abs(lat - 36.1) < 0.05, (boundary.zone, boundary.center)


def test_the_exported_file_area_is_rounded_half_up(api, anze_parcels):
    # 100 m east × 12.345 m north = 1 234.5 m² = 0.12345 公顷, no 地块面积 in the uploaded file.
    # The export writes the area in 公顷 with 4 places, half-up (DOMAIN.md §4): 0.1235, not 0.1234.
    text = (
        HEADER
        + """5,,AZ-001,府城镇工业园地块,面,,工业用地,0601,@
J1,1,3985000.000,37500000.000
J2,1,3985012.345,37500000.000
J3,1,3985012.345,37500100.000
J4,1,3985000.000,37500100.000
J1,1,3985000.000,37500000.000
"""
    )
    parcel = anze_parcels["AZ-001"]
    assert upload(api, parcel, gbk(text)).status_code == 200
    content = api.get(f"/api/v1/parcels/{parcel.pk}/boundary/txt/").content.decode("gbk")
    assert "5,0.1235,AZ-001," in content, content


def test_coordinates_in_degrees_are_refused_as_degrees(api, anze_parcels):
    # A handheld GPS export: latitude and longitude in decimal degrees where metres belong. The refusal
    # must say what is wrong — the coordinates are degrees, not Gauss-Krüger metres — rather than
    # send the clerk to check the zone or swap X and Y, neither of which is the matter.
    text = (
        HEADER
        + """5,1.0000,AZ-001,府城镇工业园地块,面,,工业用地,0601,@
J1,1,36.100000,112.200000
J2,1,36.101000,112.200000
J3,1,36.101000,112.201000
J4,1,36.100000,112.201000
J1,1,36.100000,112.200000
"""
    )
    before = database_snapshot()
    response = upload(api, anze_parcels["AZ-001"], gbk(text))
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert errors[0]["line"] == 14
    assert "经纬度" in errors[0]["message"], errors
    assert database_snapshot() == before


def test_the_boundarys_area_reads_the_same_in_its_history_as_everywhere_else(
    client, api, clerk_anze, anze_parcels
):
    # 100 m east × 100.033 m north = 10 003.3 m² × 0.0015 = 15.00495 亩, shown 15.00 (half-up, 2 places,
    # rounded once: DOMAIN.md §4). The upload's answer, the GeoJSON and the admin panel say 15.00; the
    # history rounds the stored 4 places (15.0050) a second time and says 15.01 for the same upload.
    parcel = anze_parcels["AZ-001"]
    response = upload(api, parcel, gbk(SQUARE.replace("3985100.000", "3985100.033").replace("1.0000", "")))
    assert response.json()["area_mu_computed"] == "15.00"
    history = api.get(f"/api/v1/parcels/{parcel.pk}/history/").json()
    (created,) = [entry for entry in history if entry["action"] == "boundary_create"]
    client.force_login(clerk_anze)
    html = client.get(reverse("admin:parcels_parcel_change", args=[parcel.pk])).content.decode()
    assert '<td class="computed">15.00 亩' in html
    table = html[html.index('<table class="boundary-history">') :]
    shown_in_admin_history = re.findall(r'<td class="num">([^<]*)</td>', table[: table.index("</table>")])
    assert (created["changes"]["area_mu"], shown_in_admin_history) == ([None, "15.00"], ["15.00"])


@pytest.mark.parametrize(
    "text",
    [
        # The first point's zone prefix mistyped 38 where the other four points (lines 15–18) say 37.
        SQUARE.replace("J1,1,3985000.000,37500000.000", "J1,1,3985000.000,38500000.000", 1),
        # The first point keyed in with X and Y swapped, in a file whose eastings carry no prefix.
        SQUARE_NO_PREFIX.replace("J1,1,3985000.000,500000.000", "J1,1,500000.000,3985000.000", 1),
    ],
    ids=["prefix-typo", "first-point-swapped"],
)
def test_a_bad_first_point_is_refused_at_its_own_line(api, anze_parcels, text):
    # Line 14 (J1) is the one point unlike the other four; line 15 (J2) is right. The refusal names the
    # line the clerk must correct, not the first line that differs from J1.
    before = database_snapshot()
    response = upload(api, anze_parcels["AZ-001"], gbk(text))
    assert response.status_code == 400
    assert [error["line"] for error in response.json()["errors"]] == [14], response.json()
    assert database_snapshot() == before


# ------------------------------------------------------------------------- behaviour pinned (correct)


def test_a_clerks_file_holding_another_countys_parcel_stores_only_the_clerks_own(
    client, clerk_anze, anze_parcels
):
    # One file with 安泽's AZ-001 and 乡宁's XN-001 (a code 安泽's ledger lacks): the 乡宁 parcel is listed
    # as not on the ledger and is left alone; only AZ-001 is stored, recorded as the clerk's.
    from django.core.files.uploadedfile import SimpleUploadedFile

    xn_block = SQUARE.split("[地块坐标]\n")[1].replace("AZ-001", "XN-001")
    content = gbk(SQUARE + xn_block)
    client.force_login(clerk_anze)
    url = "/admin/parcels/parcel/boundary-upload/"
    response = client.post(url, {"county": "141026", "file": SimpleUploadedFile("坐标.txt", content)})
    html = response.content.decode()
    assert "台账中没有此编号" in html and "确认保存 1 个地块的边界" in html
    payload = re.search(r'name="payload" value="([^"]+)"', html).group(1)
    assert client.post(url, {"payload": payload}).status_code == 302
    (stored,) = ParcelBoundary.objects.select_related("parcel")
    assert stored.parcel == anze_parcels["AZ-001"] and stored.history.get().history_user == clerk_anze
    assert not ParcelBoundary.objects.filter(parcel=anze_parcels["XN-001"]).exists()


def test_coordinates_in_degrees_minutes_and_seconds_are_refused_at_their_line(api, anze_parcels):
    text = SQUARE.replace("J2,1,3985100.000,37500000.000", "J2,1,36°00′03.24″,111°00′00.00″")
    before = database_snapshot()
    response = upload(api, anze_parcels["AZ-001"], gbk(text))
    assert response.status_code == 400
    assert response.json()["errors"] == [
        {"line": 15, "message": "X 坐标“36°00′03.24″”不是有效的数字（单位：米）。"}
    ]
    assert database_snapshot() == before
