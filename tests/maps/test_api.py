"""Boundaries over the REST API (API.md): upload, area check, GeoJSON, coordinate TXT, scope and history."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from parcels.boundaries import read_boundary_file
from parcels.models import ParcelBoundary
from parcels.services import disposal_record
from tests.api.harness import client_for
from tests.helpers import database_snapshot

from .conftest import FILES, upload
from .samples import (
    RECTANGLE_ONE_PERCENT,
    RECTANGLE_OVER_ONE_PERCENT,
    SEVERAL,
    SQUARE,
    SQUARE_NO_PREFIX,
    SQUARE_WITH_HOLE,
    gbk,
    utf8_bom,
)

pytestmark = pytest.mark.django_db


def set_area(parcel, area):
    type(parcel).objects.filter(pk=parcel.pk).update(area_mu=Decimal(area))
    parcel.refresh_from_db()


# ---------------------------------------------------------------------------------------- upload


def test_a_clerk_uploads_the_100_metre_square_and_gets_15_mu(api, anze_parcels, clerk_anze):
    parcel = anze_parcels["AZ-001"]
    response = upload(api, parcel, gbk(SQUARE), name="AZ-001.txt")
    assert response.status_code == 200, response.content
    body = response.json()
    assert {key: body[key] for key in ("area_mu_computed", "area_mu_declared", "difference_percent", "warnings")} == {
        "area_mu_computed": "15.00",
        "area_mu_declared": "15.00",
        "difference_percent": "0.00",
        "warnings": [],
    }
    assert body["area_mu_file"] == "15.00"  # 1.0000 公顷
    boundary = ParcelBoundary.objects.get(parcel=parcel)
    assert (boundary.zone, boundary.zone_width, boundary.epsg) == (37, 3, 4525)
    assert boundary.area_m2 == Decimal("10000") and boundary.area_mu == Decimal("15")
    assert boundary.file_name == "AZ-001.txt" and boundary.encoding == "GBK"
    # Recorded in the history: who uploaded it, and when.
    record = boundary.history.get()
    assert record.history_type == "+" and record.history_user == clerk_anze
    assert boundary.uploaded_by == clerk_anze and boundary.uploaded_at is not None


@pytest.mark.parametrize(
    "declared, expected, flagged",
    [
        # (15 − 14.8) ÷ 14.8 × 100 = 1.3514 → 1.35, over 1 %.
        ("14.8000", "1.35", True),
        # (15 − 14.9) ÷ 14.9 × 100 = 0.6711 → 0.67.
        ("14.9000", "0.67", False),
        # (15 − 15.15) ÷ 15.15 × 100 = −0.9901 → −0.99.
        ("15.1500", "-0.99", False),
        # (15 − 15.16) ÷ 15.16 × 100 = −1.0554 → −1.06, over 1 %.
        ("15.1600", "-1.06", True),
    ],
)
def test_the_area_check_flags_a_difference_over_one_percent(api, anze_parcels, declared, expected, flagged):
    parcel = anze_parcels["AZ-001"]
    set_area(parcel, declared)
    body = upload(api, parcel, gbk(SQUARE)).json()
    assert body["area_mu_computed"] == "15.00"
    assert body["difference_percent"] == expected
    area_warnings = [w for w in body["warnings"] if "台账面积" in w]
    assert bool(area_warnings) is flagged, body["warnings"]
    if flagged:
        assert f"相差 {expected}%，超过 1%" in area_warnings[0]


def test_exactly_one_percent_is_not_flagged_and_a_hundredth_more_is(api, anze_parcels):
    parcel = anze_parcels["AZ-001"]  # 15 亩
    # 100 m × 101 m = 10 100 m² = 15.15 亩: +1.00 %.
    body = upload(api, parcel, gbk(RECTANGLE_ONE_PERCENT)).json()
    assert (body["area_mu_computed"], body["difference_percent"], body["warnings"]) == ("15.15", "1.00", [])
    # 100 m × 101.01 m = 10 101 m² = 15.1515 亩: +1.01 %.
    body = upload(api, parcel, gbk(RECTANGLE_OVER_ONE_PERCENT)).json()
    assert (body["area_mu_computed"], body["difference_percent"]) == ("15.15", "1.01")
    assert body["warnings"] == ["按坐标计算的面积 15.15 亩与台账面积 15.00 亩相差 1.01%，超过 1%，请核对。"]


def test_the_usual_defects_are_stored_with_their_warnings(api, anze_parcels):
    # UTF-8 with BOM, eastings without the zone prefix, no closing point, point count 5 for 4 points.
    content = (FILES / "square_no_prefix_unclosed_utf8_bom.txt").read_bytes()
    response = upload(api, anze_parcels["AZ-001"], content)
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["area_mu_computed"] == "15.00" and body["difference_percent"] == "0.00"
    assert body["warnings"] == [
        "第13行：地块行的界址点数为 5，实际有 4 个界址点，已按实际读取。",
        "第14行：Y 坐标没有带号前缀，已按 [属性描述] 的带号 37 计算。",
        "第14行：第1圈未闭合（末点与首点 J1 不同），已按首点闭合。",
    ]


def test_a_hole_is_subtracted(api, anze_parcels):
    body = upload(api, anze_parcels["AZ-002"], gbk(SQUARE_WITH_HOLE)).json()
    # 10 000 − 600 = 9 400 m² = 14.1 亩, as the ledger says.
    assert (body["area_mu_computed"], body["area_mu_declared"], body["difference_percent"]) == (
        "14.10",
        "14.10",
        "0.00",
    )


def test_a_file_of_several_parcels_gives_each_parcel_its_own(api, anze_parcels):
    content = (FILES / "several_parcels_gbk.txt").read_bytes()
    assert upload(api, anze_parcels["AZ-003"], content).json()["area_mu_computed"] == "2.70"
    assert upload(api, anze_parcels["AZ-004"], content).json()["area_mu_computed"] == "2.85"
    assert upload(api, anze_parcels["AZ-001"], content).json()["area_mu_computed"] == "15.00"
    assert ParcelBoundary.objects.count() == 3


def test_a_file_of_several_parcels_without_this_code_is_refused(api, anze_parcels):
    before = database_snapshot()
    response = upload(api, anze_parcels["AZ-002"], gbk(SEVERAL))
    assert response.status_code == 400
    assert response.json() == {
        "errors": [
            {"line": None, "message": "文件中有 3 个地块（AZ-001、AZ-003、AZ-004），没有地块编号为“AZ-002”的地块。"}
        ]
    }
    assert database_snapshot() == before


def test_a_single_parcel_file_with_another_code_is_stored_with_a_warning(api, anze_parcels):
    body = upload(api, anze_parcels["AZ-002"], gbk(SQUARE)).json()
    assert body["area_mu_computed"] == "15.00"
    assert "第13行：文件中的地块编号“AZ-001”与台账地块编号“AZ-002”不同，已按本地块保存。" in body["warnings"]


def test_an_unreadable_file_is_refused_with_its_lines_and_nothing_is_written(api, anze_parcels):
    before = database_snapshot()
    text = SQUARE.replace("J3,1,3985100.000", "J3,1,39851OO.000").replace("J4,1,", "J4,x,")
    response = upload(api, anze_parcels["AZ-001"], gbk(text))
    assert response.status_code == 400
    assert response.json() == {
        "errors": [
            {"line": 16, "message": "X 坐标“39851OO.000”不是有效的数字（单位：米）。"},
            {"line": 17, "message": "圈号“x”应为正整数（1 为外圈，2 起为内圈）。"},
        ]
    }
    assert database_snapshot() == before


def test_a_self_intersecting_boundary_is_refused_and_the_old_one_kept(api, anze_parcels):
    parcel = anze_parcels["AZ-001"]
    upload(api, parcel, gbk(SQUARE))
    before = database_snapshot()
    bow_tie = SQUARE.replace("J2,1,3985100.000,37500000.000", "J2,1,3985100.000,37500100.000").replace(
        "J3,1,3985100.000,37500100.000", "J3,1,3985100.000,37500000.000"
    )
    response = upload(api, parcel, gbk(bow_tie))
    assert response.status_code == 400
    assert response.json()["errors"] == [
        {"line": 14, "message": "第1圈自相交：第14行至第15行的边与第16行至第17行的边相交。"}
    ]
    assert database_snapshot() == before


def test_no_file_a_json_body_or_garbage_never_give_a_500(api, anze_parcels):
    url = f"/api/v1/parcels/{anze_parcels['AZ-001'].pk}/boundary/"
    response = api.post(url, {}, format="multipart")
    assert response.status_code == 400
    assert response.json() == {
        "errors": [{"line": None, "message": "请以 multipart/form-data 的 file 字段上传界址点坐标文件。"}]
    }
    assert api.post(url, {"file": "x"}, format="json").status_code == 415
    garbage = upload(api, anze_parcels["AZ-001"], bytes(range(256)) * 10)
    assert garbage.status_code == 400 and garbage.json()["errors"][0]["line"] == 1


def test_a_file_over_5_mb_is_refused(api, anze_parcels, settings):
    response = upload(api, anze_parcels["AZ-001"], b"1" * (5 * 1024 * 1024 + 1))
    assert response.status_code == 400
    assert "超过 5 MB 的上限" in response.json()["errors"][0]["message"]


def test_a_new_upload_replaces_the_boundary_and_both_are_in_the_history(api, anze_parcels):
    parcel = anze_parcels["AZ-001"]
    upload(api, parcel, gbk(SQUARE))
    upload(api, parcel, gbk(RECTANGLE_ONE_PERCENT))
    boundary = ParcelBoundary.objects.get(parcel=parcel)
    assert boundary.area_mu == Decimal("15.1500")
    assert [record.history_type for record in boundary.history.order_by("history_date")] == ["+", "~"]


def test_a_boundary_uploaded_by_mistake_is_deleted(api, anze_parcels):
    parcel = anze_parcels["AZ-001"]
    upload(api, parcel, gbk(SQUARE))
    assert api.delete(f"/api/v1/parcels/{parcel.pk}/boundary/").status_code == 204
    assert not ParcelBoundary.objects.exists()
    assert api.get(f"/api/v1/parcels/{parcel.pk}/boundary/").status_code == 404


def test_the_parcels_history_lists_each_upload_replacement_and_removal_of_its_boundary(api, anze_parcels):
    parcel = anze_parcels["AZ-001"]
    upload(api, parcel, gbk(SQUARE), name="AZ-001.txt")
    upload(api, parcel, gbk(RECTANGLE_ONE_PERCENT), name="AZ-001 复测.txt")
    api.delete(f"/api/v1/parcels/{parcel.pk}/boundary/")
    history = api.get(f"/api/v1/parcels/{parcel.pk}/history/").json()
    boundary_entries = [entry for entry in history if entry["action"].startswith("boundary_")]
    assert [entry["action"] for entry in boundary_entries] == [
        "boundary_delete",
        "boundary_update",
        "boundary_create",
    ]
    assert {entry["user"] for entry in boundary_entries} == {"clerk_anze"}
    removed, replaced, uploaded = (entry["changes"] for entry in boundary_entries)
    # The square: 10 000 m² = 15 亩, the file's 1.0000 公顷; then 100 m × 101 m = 10 100 m² = 15.15 亩.
    assert {key: uploaded[key] for key in ("file_name", "zone", "area_m2", "area_mu", "file_area_ha")} == {
        "file_name": [None, "AZ-001.txt"],
        "zone": [None, 37],
        "area_m2": [None, "10000.0000"],
        "area_mu": [None, "15.00"],
        "file_area_ha": [None, "1.0000"],
    }
    assert {key: replaced[key] for key in ("file_name", "area_m2", "area_mu", "file_area_ha")} == {
        "file_name": ["AZ-001.txt", "AZ-001 复测.txt"],
        "area_m2": ["10000.0000", "10100.0000"],
        "area_mu": ["15.00", "15.15"],
        "file_area_ha": ["1.0000", "1.0100"],
    }
    assert "uploaded_at" in replaced and "zone" not in replaced
    assert removed["file_name"] == ["AZ-001 复测.txt", None] and removed["area_mu"] == ["15.15", None]
    # The points and map shapes are the file's, not news for a history: they are left out.
    assert not {"rings", "geometry", "bbox", "center", "file_header", "parcel_line"} & {
        key for entry in boundary_entries for key in entry["changes"]
    }


# ---------------------------------------------------------------------------------------- GeoJSON


def test_a_parcels_boundary_is_a_geojson_feature_in_longitude_and_latitude(api, anze_parcels):
    parcel = anze_parcels["AZ-001"]
    set_area(parcel, "14.8000")
    upload(api, parcel, gbk(SQUARE_NO_PREFIX))
    response = api.get(f"/api/v1/parcels/{parcel.pk}/boundary/")
    assert response.status_code == 200
    feature = response.json()
    assert feature["type"] == "Feature" and feature["id"] == parcel.pk
    assert feature["crs"]["properties"]["name"] == "urn:ogc:def:crs:EPSG::4490"
    geometry = feature["geometry"]
    assert geometry["type"] == "Polygon" and len(geometry["coordinates"]) == 1
    ring = geometry["coordinates"][0]
    assert len(ring) == 5 and ring[0] == ring[-1]
    for lng, lat in ring:
        assert 110.99 < lng < 111.01 and 35.9 < lat < 36.1
    # J1 and J2 lie on the central meridian of zone 37 (easting 500 000 m): longitude 111°.
    assert sum(1 for lng, _ in ring[:-1] if lng == pytest.approx(111.0, abs=1e-9)) == 2
    properties = feature["properties"]
    assert properties["code"] == "AZ-001" and properties["county"] == "141026"
    assert properties["status"] == "pending" and properties["kind"] == "unsupplied"
    assert (properties["area_mu_computed"], properties["area_mu_declared"], properties["difference_percent"]) == (
        "15.00",
        "14.80",
        "1.35",
    )
    assert properties["area_mismatch"] is True
    assert properties["warnings"] == [
        "第14行：Y 坐标没有带号前缀，已按 [属性描述] 的带号 37 计算。",
        "按坐标计算的面积 15.00 亩与台账面积 14.80 亩相差 1.35%，超过 1%，请核对。",
    ]


def test_the_area_check_follows_a_later_change_of_the_ledger_area(api, anze_parcels):
    parcel = anze_parcels["AZ-001"]
    set_area(parcel, "14.8000")
    assert upload(api, parcel, gbk(SQUARE)).json()["difference_percent"] == "1.35"
    set_area(parcel, "15.0000")
    properties = api.get(f"/api/v1/parcels/{parcel.pk}/boundary/").json()["properties"]
    assert properties["difference_percent"] == "0.00" and properties["warnings"] == []


def test_a_parcel_without_a_boundary_answers_404(api, anze_parcels):
    response = api.get(f"/api/v1/parcels/{anze_parcels['AZ-001'].pk}/boundary/")
    assert response.status_code == 404


def map_the_county(api, anze_parcels):
    content = gbk(SEVERAL)
    for code in ("AZ-001", "AZ-003", "AZ-004"):
        assert upload(api, anze_parcels[code], content).status_code == 200
    upload(api, anze_parcels["AZ-002"], gbk(SQUARE_WITH_HOLE))


def test_the_county_geojson_has_each_mapped_parcel_with_its_status(api, anze_parcels, superuser):
    map_the_county(api, anze_parcels)
    upload(client_for(superuser), anze_parcels["XN-001"], gbk(SQUARE))
    # AZ-004 partly disposed of, AZ-003 (idle land) wholly.
    disposal_record(parcel=anze_parcels["AZ-004"], method="supply_transfer", area_mu=Decimal("1"),
                    date=datetime.date(2023, 6, 1))
    disposal_record(parcel=anze_parcels["AZ-003"], method="construction_started", area_mu=Decimal("2.7"),
                    date=datetime.date(2023, 6, 1))
    response = api.get("/api/v1/parcels/geojson/", {"county": "141026"})
    assert response.status_code == 200
    collection = response.json()
    assert collection["type"] == "FeatureCollection"
    summary = {
        f["properties"]["code"]: (f["properties"]["status"], f["properties"]["area_mu_computed"], f["geometry"]["type"])
        for f in collection["features"]
    }
    assert summary == {
        "AZ-001": ("pending", "15.00", "Polygon"),
        "AZ-002": ("pending", "14.10", "Polygon"),
        "AZ-003": ("disposed", "2.70", "Polygon"),
        "AZ-004": ("partial", "2.85", "Polygon"),
    }
    holed = next(f for f in collection["features"] if f["properties"]["code"] == "AZ-002")
    assert len(holed["geometry"]["coordinates"]) == 2
    idle = api.get("/api/v1/parcels/geojson/", {"county": "141026", "kind": "idle"}).json()
    assert [f["properties"]["code"] for f in idle["features"]] == ["AZ-003"]
    # 乡宁 is outside the 安泽 clerk's scope: neither listed nor counted.
    assert api.get("/api/v1/parcels/geojson/", {"county": "141029"}).json()["features"] == []
    assert len(api.get("/api/v1/parcels/geojson/").json()["features"]) == 4
    # The city reads both counties.
    assert len(client_for(superuser).get("/api/v1/parcels/geojson/").json()["features"]) == 5


def test_a_bad_kind_filter_is_a_400(api, anze_parcels):
    response = api.get("/api/v1/parcels/geojson/", {"kind": "nonsense"})
    assert response.status_code == 400


def test_the_geojson_query_count_does_not_grow_with_parcels(api, anze_parcels):
    upload(api, anze_parcels["AZ-001"], gbk(SQUARE))
    with CaptureQueriesContext(connection) as one:
        assert api.get("/api/v1/parcels/geojson/", {"county": "141026"}).status_code == 200
    map_the_county(api, anze_parcels)
    with CaptureQueriesContext(connection) as four:
        response = api.get("/api/v1/parcels/geojson/", {"county": "141026"})
    assert len(response.json()["features"]) == 4
    assert len(four) == len(one) == 1


# ---------------------------------------------------------------------------------------- TXT export


def stored_points(parcel):
    boundary = ParcelBoundary.objects.get(parcel=parcel)
    return [[ring["ring"], [tuple(point) for point in ring["points"]]] for ring in boundary.rings]


def test_a_parcels_boundary_is_exported_as_a_coordinate_file_that_rereads_to_the_same_points(api, anze_parcels):
    parcel = anze_parcels["AZ-001"]
    # Read with defects: no zone prefix, no closing point, point count off by one.
    upload(api, parcel, (FILES / "square_no_prefix_unclosed_utf8_bom.txt").read_bytes())
    response = api.get(f"/api/v1/parcels/{parcel.pk}/boundary/txt/")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; charset=GB18030"
    assert "AZ-001" in response["Content-Disposition"]
    content = response.content
    text = content.decode("gbk")
    assert "带号=37" in text and "几度分带=3" in text and "\r\n" in text
    assert "5,1.0000,AZ-001,府城镇工业园地块,面,J49G066070,工业用地,0601,@" in text
    reread = read_boundary_file(content)
    found = reread.parcels[0]
    assert found.warnings == [] and reread.warnings == []  # written without the defects
    assert [[ring.number, [(p.number, str(p.x), str(p.y)) for p in ring.points]] for ring in found.rings] == (
        stored_points(parcel)
    )
    assert [p[1:] for p in stored_points(parcel)[0][1]] == [
        ("3985000.000", "37500000.000"),
        ("3985100.000", "37500000.000"),
        ("3985100.000", "37500100.000"),
        ("3985000.000", "37500100.000"),
        ("3985000.000", "37500000.000"),
    ]
    # Uploading the export again stores the very same points.
    other = anze_parcels["AZ-002"]
    assert upload(api, other, content).status_code == 200
    assert stored_points(other) == stored_points(parcel)


def test_a_countys_boundaries_are_exported_in_one_file(api, anze_parcels):
    map_the_county(api, anze_parcels)
    response = api.get("/api/v1/parcels/boundaries/txt/", {"county": "141026"})
    assert response.status_code == 200
    reread = read_boundary_file(response.content)
    assert [(p.code, p.area_m2, len(p.rings)) for p in reread.parcels] == [
        ("AZ-001", Decimal("10000"), 1),
        ("AZ-002", Decimal("9400"), 2),
        ("AZ-003", Decimal("1800"), 1),
        ("AZ-004", Decimal("1900"), 2),
    ]
    for parcel in reread.parcels:
        ledger = anze_parcels[parcel.code]
        assert [[r.number, [(p.number, str(p.x), str(p.y)) for p in r.points]] for r in parcel.rings] == (
            stored_points(ledger)
        )


def test_a_name_with_commas_is_written_so_that_the_file_reads_back_to_the_same_fields(api, anze_parcels):
    """The file's fields are separated by commas, "，" as well as "," (readers take either). A name may hold
    them — a reader takes what lies between the code and the last four fields as the name — so they are
    written half-width; in the fields after it a comma is written as "、"."""
    from parcels.models import Parcel

    map_the_county(api, anze_parcels)
    parcel = anze_parcels["AZ-001"]
    parcel.boundary.parcel_line = {}
    parcel.boundary.save()  # the ledger's name and land use are written, not the uploaded file's
    Parcel.objects.filter(pk=parcel.pk).update(name="府城镇工业园，一期,二期地块", land_use="工业,仓储，物流")
    content = api.get(f"/api/v1/parcels/{parcel.pk}/boundary/txt/").content
    assert "5,1.0000,AZ-001,府城镇工业园,一期,二期地块,面,,工业、仓储、物流,,@" in content.decode("gbk")
    reread = read_boundary_file(content)
    assert reread.warnings == [] and reread.parcels[0].warnings == []
    found = reread.parcels[0]
    assert (found.code, found.name, found.shape, found.land_use) == (
        "AZ-001",
        "府城镇工业园,一期,二期地块",
        "面",
        "工业、仓储、物流",
    )


def test_a_code_with_a_comma_is_refused_as_no_coordinate_file_could_hold_it(api, clerk_anze, anze_parcels):
    from tests.helpers import database_snapshot

    writer = client_for(clerk_anze)
    before = database_snapshot()
    for code in ("AZ,009", "AZ，009"):
        response = writer.patch(f"/api/v1/parcels/{anze_parcels['AZ-002'].pk}/", {"code": code}, format="json")
        assert response.status_code == 400
        assert "地块编号不能含逗号" in response.json()["code"][0]
    assert database_snapshot() == before


def test_a_county_without_boundaries_has_no_coordinate_file(api, anze_parcels):
    assert api.get("/api/v1/parcels/boundaries/txt/", {"county": "141026"}).status_code == 404
    assert api.get(f"/api/v1/parcels/{anze_parcels['AZ-001'].pk}/boundary/txt/").status_code == 404


# ---------------------------------------------------------------------------------------- scope


@pytest.mark.parametrize(
    "who, read, write",
    [
        ("clerk_anze", 200, 200),
        ("superuser", 200, 200),
        ("office_anze", 200, 403),
        ("city_linfen", 200, 403),
        ("clerk_xiangning", 404, 404),
    ],
)
def test_who_reads_and_who_uploads_an_anze_boundary(request, anze_parcels, who, read, write, clerk_anze):
    parcel = anze_parcels["AZ-001"]
    upload(client_for(clerk_anze), parcel, gbk(SQUARE))
    client = client_for(request.getfixturevalue(who))
    assert client.get(f"/api/v1/parcels/{parcel.pk}/boundary/").status_code == read
    assert client.get(f"/api/v1/parcels/{parcel.pk}/boundary/txt/").status_code == read
    before = database_snapshot()
    response = upload(client, parcel, gbk(RECTANGLE_ONE_PERCENT))
    assert response.status_code == write
    if write != 200:
        assert database_snapshot() == before
        assert client.delete(f"/api/v1/parcels/{parcel.pk}/boundary/").status_code == write
        assert ParcelBoundary.objects.filter(parcel=parcel).exists()


def test_anonymous_callers_get_401(client, anze_parcels):
    parcel = anze_parcels["AZ-001"]
    assert client.get(f"/api/v1/parcels/{parcel.pk}/boundary/").status_code == 401
    assert client.get("/api/v1/parcels/geojson/").status_code == 401
    assert upload(client_for(None), parcel, gbk(SQUARE)).status_code == 401


def test_the_schema_documents_the_boundary_endpoints(client, db):
    paths = client.get("/api/schema/", {"format": "json"}).json()["paths"]
    boundary = paths["/api/v1/parcels/{id}/boundary/"]
    assert {"get", "post"} <= set(boundary)
    assert set(boundary["post"]["responses"]) >= {"200", "400", "401", "403", "404"}
    assert "get" in paths["/api/v1/parcels/geojson/"]
    assert {p["name"] for p in paths["/api/v1/parcels/geojson/"]["get"]["parameters"]} >= {"county", "kind"}


def test_utf8_bom_and_gbk_uploads_store_the_same_boundary(api, anze_parcels):
    upload(api, anze_parcels["AZ-001"], gbk(SQUARE))
    upload(api, anze_parcels["AZ-002"], utf8_bom(SQUARE))
    first, second = (ParcelBoundary.objects.get(parcel=anze_parcels[c]) for c in ("AZ-001", "AZ-002"))
    assert first.geometry == second.geometry and first.rings == second.rings
    assert (first.encoding, second.encoding) == ("GBK", "UTF-8（带 BOM）")



NO_ZONE_ANYWHERE = SQUARE_NO_PREFIX.replace("带号=37\n", "")


def test_a_file_naming_no_zone_is_refused_when_nothing_else_tells_the_zone(api, anze_parcels, settings):
    settings.LANDTRACK_DEFAULT_ZONE = None
    before = database_snapshot()
    refused = upload(api, anze_parcels["AZ-001"], gbk(NO_ZONE_ANYWHERE))
    assert refused.status_code == 400
    (error,) = refused.json()["errors"]
    assert error["line"] == 13 and error["message"].startswith("Y 坐标没有带号前缀，[属性描述] 中也没有有效的带号")
    assert database_snapshot() == before


def test_a_file_naming_no_zone_takes_it_from_the_parcels_centre_point(api, anze_parcels, settings):
    settings.LANDTRACK_DEFAULT_ZONE = None
    parcel = anze_parcels["AZ-001"]
    type(parcel).objects.filter(pk=parcel.pk).update(center_lng=Decimal("112.200000"), center_lat=Decimal("36.100000"))
    parcel.refresh_from_db()
    body = upload(api, parcel, gbk(NO_ZONE_ANYWHERE)).json()
    assert body["area_mu_computed"] == "15.00"
    # 112.2°E lies in the 3° zone 37 (109.5°–112.5°E).
    assert body["warnings"] == ["第13行：Y 坐标没有带号前缀，已按 地块中心点经度 112.200000° 所在的 3 度带第 37 带 计算。"]
    assert ParcelBoundary.objects.get(parcel=parcel).zone == 37


def test_a_file_naming_no_zone_takes_the_zone_the_countys_mapped_parcels_use(api, anze_parcels, settings):
    from .samples import SQUARE_6_DEGREE

    settings.LANDTRACK_DEFAULT_ZONE = 37
    # 安泽 already has a parcel mapped in the 6° zone 19 (which shares zone 37's central meridian, 111°E).
    upload(api, anze_parcels["AZ-003"], gbk(SQUARE_6_DEGREE))
    # Neither 带号 nor 几度分带: the first point moves up to line 12.
    body = upload(api, anze_parcels["AZ-001"], gbk(NO_ZONE_ANYWHERE.replace("几度分带=3\n", ""))).json()
    assert body["warnings"] == ["第12行：Y 坐标没有带号前缀，已按 本县已上图地块所用的 6 度带第 19 带 计算。"]
    boundary = ParcelBoundary.objects.get(parcel=anze_parcels["AZ-001"])
    assert (boundary.zone, boundary.epsg) == (19, 4497)


def test_a_3_degree_file_naming_no_zone_takes_the_countys_6_degree_zone_as_the_3_degree_zone_of_its_meridian(
    api, anze_parcels, settings
):
    from .samples import SQUARE_6_DEGREE

    settings.LANDTRACK_DEFAULT_ZONE = None
    upload(api, anze_parcels["AZ-003"], gbk(SQUARE_6_DEGREE))
    # The file says 几度分带=3: 6° zone 19's central meridian 6 × 19 − 3 = 111°E is 3° zone 111 ÷ 3 = 37.
    body = upload(api, anze_parcels["AZ-001"], gbk(NO_ZONE_ANYWHERE)).json()
    assert body["warnings"] == [
        "第13行：Y 坐标没有带号前缀，已按 本县已上图地块所用的 6 度带第 19 带（中央子午线 111°，即 3 度带第 37 带） 计算。"
    ]
    boundary = ParcelBoundary.objects.get(parcel=anze_parcels["AZ-001"])
    assert (boundary.zone, boundary.zone_width, boundary.epsg) == (37, 3, 4525)
    # Exported as the surveyor wrote it: 3° zone 37, Y prefixed with 37.
    assert boundary.rings[0]["points"][0] == ["J1", "3985000.000", "37500000.000"]


def test_a_file_naming_no_zone_in_a_county_with_no_map_takes_the_default_zone(api, anze_parcels, settings):
    settings.LANDTRACK_DEFAULT_ZONE = 37
    body = upload(api, anze_parcels["AZ-001"], gbk(NO_ZONE_ANYWHERE)).json()
    assert body["area_mu_computed"] == "15.00"
    assert body["warnings"] == ["第13行：Y 坐标没有带号前缀，已按 系统设置的默认投影带（3 度带第 37 带） 计算。"]
    # The same place as the file that names its zone.
    feature = api.get(f"/api/v1/parcels/{anze_parcels['AZ-001'].pk}/boundary/").json()
    assert feature["geometry"] == read_boundary_file(gbk(SQUARE)).parcels[0].geometry


def test_a_six_degree_zone_file_is_stored_in_its_zone(api, anze_parcels):
    from .samples import SQUARE_6_DEGREE

    parcel = anze_parcels["AZ-001"]
    assert upload(api, parcel, gbk(SQUARE_6_DEGREE)).json()["area_mu_computed"] == "15.00"
    boundary = ParcelBoundary.objects.get(parcel=parcel)
    assert (boundary.zone, boundary.zone_width, boundary.epsg) == (19, 6, 4497)
    # Exported and read again: still zone 19, same points.
    reread = read_boundary_file(api.get(f"/api/v1/parcels/{parcel.pk}/boundary/txt/").content)
    assert "几度分带" in reread.header and reread.header["几度分带"] == "6" and reread.header["带号"] == "19"
    assert reread.parcels[0].zone == 19 and reread.parcels[0].warnings == []


def test_a_file_area_with_many_decimals_is_kept_to_four_places(api, anze_parcels):
    parcel = anze_parcels["AZ-001"]
    body = upload(api, parcel, gbk(SQUARE.replace("5,1.0000,", "5,1.000049,"))).json()
    assert body["area_mu_file"] == "15.00" and body["warnings"] == []
    assert ParcelBoundary.objects.get(parcel=parcel).file_area_ha == Decimal("1.0000")
