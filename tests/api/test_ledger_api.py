"""POST /parcels/import/, GET /parcels/export/ and GET /parcels/import-template/ as API.md states them."""

import datetime
import io
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from rest_framework.test import APIClient

from parcels.models import Parcel
from tests.factories import DisposalFactory, IdleParcelFactory, ParcelFactory, UnitFactory
from tests.helpers import database_snapshot
from tests.parcels.ledger_files import (
    IDLE_HEADERS,
    UNSUPPLIED_HEADERS,
    idle_row,
    ledger_bytes,
    read_back,
    unsupplied_row,
    upload,
)

from .harness import client_for

pytestmark = pytest.mark.django_db

IMPORT = "/api/v1/parcels/import/"
EXPORT = "/api/v1/parcels/export/"
TEMPLATE = "/api/v1/parcels/import-template/"


def post_ledger(client, content, **fields):
    return client.post(IMPORT, {"file": upload(content), **fields}, format="multipart")


def body_of(response):
    return b"".join(response.streaming_content)


@pytest.fixture
def clerk(users):
    return client_for(users["clerk"])


def test_a_dry_run_answers_the_counts_and_writes_nothing(users, clerk):
    content = ledger_bytes("unsupplied", [unsupplied_row("0001"), unsupplied_row("0002")])
    before = database_snapshot()
    response = post_ledger(clerk, content, kind="unsupplied", county="141026", dry_run="true")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert {key: body[key] for key in ("dry_run", "created", "updated", "unchanged")} == {
        "dry_run": True,
        "created": 2,
        "updated": 0,
        "unchanged": 0,
    }
    assert database_snapshot() == before


def test_an_import_then_its_repeat_changes_nothing_the_second_time(users, clerk):
    content = ledger_bytes("unsupplied", [unsupplied_row("0001"), unsupplied_row("0002")])
    first = post_ledger(clerk, content, kind="unsupplied", county="141026", dry_run="false")
    assert first.status_code == 200
    assert (first.json()["created"], first.json()["dry_run"]) == (2, False)
    assert sorted(Parcel.objects.values_list("code", flat=True)) == ["0001", "0002"]
    assert Parcel.history.filter(history_user=users["clerk"]).count() == 2
    before = database_snapshot()
    second = post_ledger(clerk, content, kind="unsupplied", county="141026")
    assert {key: second.json()[key] for key in ("created", "updated", "unchanged")} == {
        "created": 0,
        "updated": 0,
        "unchanged": 2,
    }
    assert database_snapshot() == before


def test_a_changed_row_is_answered_with_its_change(users, clerk, anze):
    ParcelFactory(county=anze, code="0001", name="旧名称", area_mu=Decimal("12.5000"))
    content = ledger_bytes("unsupplied", [unsupplied_row("0001", 项目名称="新名称")])
    body = post_ledger(clerk, content, kind="unsupplied", county="141026").json()
    assert body["updated"] == 1
    (change,) = body["changes"]
    assert change["row"] == 2 and change["code"] == "0001" and change["action"] == "updated"
    assert change["changes"]["项目名称*"] == ["旧名称", "新名称"]


def test_an_idle_land_ledger_is_imported_and_the_kind_may_be_left_to_the_header(users, clerk):
    content = ledger_bytes("idle", [idle_row("XZ-1"), idle_row("XZ-2")])
    response = post_ledger(clerk, content)  # no kind, no county: the clerk's own county
    assert response.status_code == 200, response.json()
    assert (response.json()["kind"], response.json()["created"]) == ("idle", 2)
    assert set(Parcel.objects.values_list("kind", "county__code")) == {("idle", "141026")}


def test_a_file_with_many_bad_rows_lists_every_one_and_writes_nothing(users, clerk):
    rows = [
        unsupplied_row("G1"),
        unsupplied_row("B1", 批准时间="2021-13-45"),
        unsupplied_row("B2", 征收情况="差不多"),
        unsupplied_row("B3", **{"未供面积（亩）": -3}),
        unsupplied_row("B4", **{"县（市、区）代码": "141029"}),
        unsupplied_row("G1"),
    ]
    before = database_snapshot()
    response = post_ledger(clerk, ledger_bytes("unsupplied", rows), kind="unsupplied", county="141026")
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert [(error["row"], error["column"]) for error in errors] == [
        (3, "批准时间*"),
        (4, "征收情况*"),
        (5, "未供面积（亩）*"),
        (6, "县（市、区）代码"),
        (7, "地块编号*"),
    ]
    assert errors[0]["message"] == "日期“2021-13-45”不存在。"
    assert errors[3]["message"].startswith("该行的县（市、区）代码“141029”不是本次导入的安泽县（141026）")
    assert errors[4]["message"] == "地块编号“G1”与第 2 行重复。"
    assert database_snapshot() == before


@pytest.mark.parametrize(
    "content, fragment",
    [
        (
            b"\xe5\x9c\xb0\xe5\x9d\x97\xe7\xbc\x96\xe5\x8f\xb7,\xe9\x9d\xa2\xe7\xa7\xaf\n",
            "不是有效的 Excel 工作簿",
        ),
        (b"%PDF-1.4 not a ledger", "不是有效的 Excel 工作簿"),
        (b"", "文件是空的"),
        (b"PK" + b"\0" * (10 * 1024 * 1024), "超过 10 MB 的上限"),
        (b"PK" + b"\0" * (11 * 1024 * 1024), "文件大小为 11.0 MB，超过 10 MB 的上限"),  # refused unread
    ],
    ids=["csv", "pdf", "empty", "too-large", "far-too-large"],
)
def test_a_file_refused_as_a_whole_answers_400_in_chinese(users, clerk, content, fragment):
    before = database_snapshot()
    response = post_ledger(clerk, content, kind="unsupplied", county="141026")
    assert response.status_code == 400
    body = response.json()
    assert fragment in body["file"][0]
    assert body["errors"] == [{"row": None, "column": None, "message": body["file"][0]}]
    assert database_snapshot() == before


def test_missing_file_bad_kind_and_bad_flag_are_field_errors(users, clerk):
    response = clerk.post(IMPORT, {"kind": "unsupplied"}, format="multipart")
    assert response.status_code == 400 and "file" in response.json()
    content = ledger_bytes("unsupplied", [unsupplied_row("0001")])
    response = post_ledger(clerk, content, kind="farmland")
    assert response.status_code == 400 and "kind" in response.json()
    response = post_ledger(clerk, content, dry_run="maybe")
    assert response.status_code == 400 and "dry_run" in response.json()
    assert not Parcel.objects.exists()


def test_an_unknown_or_malformed_county_is_a_400_naming_it(users):
    admin = client_for(users["admin"])
    content = ledger_bytes("unsupplied", [unsupplied_row("0001")])
    response = post_ledger(admin, content, county="999999")
    assert response.status_code == 400
    assert response.json() == {"county": ["没有代码为“999999”的县（市、区）。"]}
    response = post_ledger(admin, content, county="安泽")
    assert response.status_code == 400
    assert response.json() == {"county": ["县（市、区）代码应为 6 位数字，如 141026。"]}
    response = post_ledger(admin, content)
    assert response.status_code == 400 and response.json() == {"county": ["请填写县（市、区）代码。"]}


@pytest.mark.parametrize(
    "user, county, status",
    [
        ("clerk", "141026", 200),
        ("admin", "141026", 200),
        ("other_clerk", "141026", 404),  # another county's clerk: 安泽县 is simply not there
        ("office", "141026", 403),  # roles that import no ledger anywhere are refused outright
        ("city", "141026", 403),
        ("other_office", "141026", 403),
        ("other_city", "141026", 403),
        ("no_role", "141026", 403),
    ],
)
def test_only_the_countys_clerk_or_an_admin_may_import(users, user, county, status):
    content = ledger_bytes("unsupplied", [unsupplied_row("0001")])
    response = post_ledger(client_for(users[user]), content, kind="unsupplied", county=county)
    assert response.status_code == status, response.json()
    assert Parcel.objects.exists() == (status == 200)


def test_anonymous_import_is_401(users):
    response = post_ledger(APIClient(), ledger_bytes("unsupplied", [unsupplied_row("0001")]), county="141026")
    assert response.status_code == 401
    assert not Parcel.objects.exists()


# --- export ----------------------------------------------------------------------------------------


@pytest.fixture
def ledgers(users, regions):
    anze, xiangning = regions["141026"], regions["141029"]
    unit = UnitFactory(region=anze, name="安泽县自然资源局")
    town = anze.children.get(name="府城镇")
    first = ParcelFactory(county=anze, code="0001", name="府城镇东关", town=town, responsible_unit=unit)
    DisposalFactory(parcel=first, area_mu=Decimal("10.0000"), date=datetime.date(2023, 3, 1))
    ParcelFactory(county=anze, code="0002", name="唐城镇北", area_mu=Decimal("3.3333"))
    ParcelFactory(county=anze, code="0003", name="良马镇西")
    IdleParcelFactory(county=anze, code="XZ-01", name="商住综合体")
    ParcelFactory(county=xiangning, code="0001", name="昌宁镇某地块")


def test_the_export_has_the_import_headers_and_only_the_callers_county(ledgers, clerk):
    response = clerk.get(EXPORT)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert "attachment" in response["Content-Disposition"]
    sheets = read_back(body_of(response))
    assert sheets["批而未供"][0] == UNSUPPLIED_HEADERS and sheets["闲置土地"][0] == IDLE_HEADERS
    assert [row[1] for row in sheets["批而未供"][1:]] == ["0001", "0002", "0003"]
    assert {row[0] for row in sheets["批而未供"][1:]} == {"141026"}  # nothing of 乡宁县
    assert [row[1] for row in sheets["闲置土地"][1:]] == ["XZ-01"]


def test_the_export_takes_the_parcel_lists_filters(ledgers, clerk):
    def codes(**query):
        response = clerk.get(EXPORT, query)
        assert response.status_code == 200
        return {title: [row[1] for row in rows[1:]] for title, rows in read_back(body_of(response)).items()}

    assert codes(kind="idle") == {"闲置土地": ["XZ-01"]}
    assert codes(kind="unsupplied", status="disposed") == {"批而未供": ["0001"]}
    assert codes(kind="unsupplied", status="pending") == {"批而未供": ["0002", "0003"]}
    assert codes(kind="unsupplied", town="141026100") == {"批而未供": ["0001"]}
    assert codes(kind="unsupplied", search="唐城") == {"批而未供": ["0002"]}
    assert codes(kind="unsupplied", county="141029") == {"批而未供": []}  # outside scope: not there


def test_a_bad_export_filter_is_a_400(ledgers, clerk):
    response = clerk.get(EXPORT, {"kind": "farmland"})
    assert response.status_code == 400 and "kind" in response.json()


def test_the_city_bureau_exports_every_county_of_its_city(ledgers, users):
    sheets = read_back(body_of(client_for(users["city"]).get(EXPORT, {"kind": "unsupplied"})))
    assert [(row[0], row[1]) for row in sheets["批而未供"][1:]] == [
        ("141026", "0001"),
        ("141026", "0002"),
        ("141026", "0003"),
        ("141029", "0001"),
    ]


def test_an_exported_ledger_re_imports_with_everything_unchanged(ledgers, clerk):
    content = body_of(clerk.get(EXPORT))
    before = database_snapshot()
    for kind, count in (("unsupplied", 3), ("idle", 1)):
        body = post_ledger(clerk, content, kind=kind, county="141026").json()
        assert (body["created"], body["updated"], body["unchanged"]) == (0, 0, count), body
    assert database_snapshot() == before


@pytest.mark.parametrize("extra", [0, 12])
def test_the_export_costs_the_same_queries_however_many_parcels(
    ledgers, clerk, anze, extra, django_assert_num_queries
):
    for index in range(extra):
        ParcelFactory(county=anze, code=f"E{index:03d}")
    # per sheet: its size (written ahead of the rows), then its rows with county, town and unit joined in
    with django_assert_num_queries(4):
        response = clerk.get(EXPORT)
        content = body_of(response)
    assert len(read_back(content)["批而未供"]) == 1 + 3 + extra


def test_an_export_of_more_parcels_than_the_limit_is_refused_before_anything_is_written(
    ledgers, users, settings, django_assert_num_queries
):
    settings.LEDGER_EXPORT_MAX_ROWS = 4  # 安泽 has 4 parcels, 乡宁 1: the city sees 5
    city = client_for(users["city"])
    with django_assert_num_queries(2):  # each sheet's size, then nothing more
        response = city.get(EXPORT)
    assert response.status_code == 400
    assert response.json() == {
        "non_field_errors": [
            "符合条件的地块有 5 宗，超过一次导出的上限 4 宗：请按县（市、区）、类型、乡镇（园区）等条件"
            "筛选后分批导出。"
        ]
    }
    # Filtered down to the limit, the same caller gets the file.
    response = city.get(EXPORT, {"county": "141026"})
    assert response.status_code == 200
    sheets = read_back(body_of(response))
    assert len(sheets["批而未供"]) - 1 + len(sheets["闲置土地"]) - 1 == 4


def test_anonymous_export_is_401(ledgers):
    assert APIClient().get(EXPORT).status_code == 401


# --- template --------------------------------------------------------------------------------------


def test_the_template_of_a_kind_has_its_headers_and_drop_downs(users, clerk):
    response = clerk.get(TEMPLATE, {"kind": "idle"})
    assert response.status_code == 200
    workbook = load_workbook(io.BytesIO(body_of(response)))
    assert workbook.sheetnames == ["闲置土地", "选项", "填表说明"]
    sheet = workbook["闲置土地"]
    assert [cell.value for cell in sheet[1]] == IDLE_HEADERS
    assert sheet.max_row == 1  # empty
    formulas = {validation.formula1 for validation in sheet.data_validations.dataValidation}
    assert '"出让,划拨,租赁"' in formulas and '"政府原因,企业原因"' in formulas
    # the clerk's county: its six towns offered in the 乡镇（园区） column
    assert "'选项'!$A$2:$A$7" in formulas


def test_the_template_of_both_kinds_and_a_bad_kind(users):
    client = client_for(users["city"])
    response = client.get(TEMPLATE)
    assert response.status_code == 200
    assert load_workbook(io.BytesIO(body_of(response))).sheetnames == ["批而未供", "闲置土地", "填表说明"]
    assert client.get(TEMPLATE, {"kind": "farmland"}).status_code == 400
    assert client.get(TEMPLATE, {"county": "140105"}).status_code == 404  # 太原 is outside 临汾's scope
    assert APIClient().get(TEMPLATE).status_code == 401


# --- schema ----------------------------------------------------------------------------------------


def test_the_schema_describes_import_export_and_template(client):
    schema = client.get("/api/schema/", {"format": "json"}).json()
    operation = schema["paths"]["/api/v1/parcels/import/"]["post"]
    assert set(operation["requestBody"]["content"]) == {"multipart/form-data"}
    request = operation["requestBody"]["content"]["multipart/form-data"]["schema"]
    fields = schema["components"]["schemas"][request["$ref"].rsplit("/", 1)[1]]["properties"]
    assert {"file", "kind", "county", "dry_run"} <= set(fields)
    assert {"200", "400", "401", "403", "404", "409"} <= set(operation["responses"])
    ok = operation["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
    assert {"dry_run", "created", "updated", "unchanged"} <= set(
        schema["components"]["schemas"][ok]["properties"]
    )
    bad = operation["responses"]["400"]["content"]["application/json"]["schema"]
    assert set(bad["properties"]["errors"]["items"]["required"]) == {"row", "column", "message"}
    assert bad["additionalProperties"] == {"type": "array", "items": {"type": "string"}}  # parameter errors
    export = schema["paths"]["/api/v1/parcels/export/"]["get"]
    assert (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        in export["responses"]["200"]["content"]
    )
    names = {parameter["name"] for parameter in export["parameters"]}
    assert {"county", "town", "kind", "status", "search"} <= names
    template = schema["paths"]["/api/v1/parcels/import-template/"]["get"]
    assert "kind" in {parameter["name"] for parameter in template["parameters"]}
    assert (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        in template["responses"]["200"]["content"]
    )
