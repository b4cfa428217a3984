# ruff: noqa: F811 - the API matrix's `users` fixture is imported here and taken as an argument
"""The two Excel imports (ledger, supply records) and the ledger's export → re-import round trip, with the
awkward workbooks counties really send: hidden and extra sheets, merged cells, formulas, text numbers and
dates, full-width codes, other counties' rows. The first eight rules were defects found in review.
"""

import datetime
import io
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from openpyxl import Workbook, load_workbook

from parcels.models import Parcel, SupplyRecord
from tests.api.conftest import taiyuan, users  # noqa: F401, F811 - the API matrix's users, reused here
from tests.factories import DisposalFactory, IdleParcelFactory, ParcelFactory, UnitFactory
from tests.helpers import database_snapshot
from tests.parcels.ledger_files import (
    IDLE_HEADERS,
    UNSUPPLIED_HEADERS,
    idle_row,
    ledger_bytes,
    unsupplied_row,
    upload,
    workbook_bytes,
)
from tests.rules.test_supply_records import EXPORT_HEADERS

from ..api.harness import client_for

pytestmark = pytest.mark.django_db

IMPORT = "/api/v1/parcels/import/"
EXPORT = "/api/v1/parcels/export/"
SUPPLY_IMPORT = "/api/v1/supply-records/import/"

SUPPLY_HEADERS = EXPORT_HEADERS  # the monitoring system's export, as its own tests write it


def supply_row(number, **values):
    row = dict(
        zip(SUPPLY_HEADERS, [number, "工业项目", "甲公司", "挂牌出让", 1.2345, "工业用地", 800], strict=False)
    )
    row.update({"合同签订日期": datetime.date(2020, 3, 1), "约定开工时间": datetime.date(2020, 9, 30)})
    row.update(values)
    return [row.get(header) for header in SUPPLY_HEADERS]


def supply_book(rows, *, title="供地结果"):
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = title
    sheet.append(["土地市场动态监测与监管系统 供地结果查询"])
    sheet.append(SUPPLY_HEADERS)
    for row in rows:
        sheet.append(row)
    return workbook


def post_ledger(client, content, **fields):
    fields.setdefault("county", "141026")
    return client.post(IMPORT, {"file": upload(content), **fields}, format="multipart")


def post_supply(client, content, **fields):
    fields.setdefault("county", "141026")
    return client.post(
        SUPPLY_IMPORT, {"file": upload(content, "供地结果.xlsx"), **fields}, format="multipart"
    )


def body_of(response):
    return b"".join(response.streaming_content)


def row_errors(response):
    return [(error["row"], error["column"]) for error in response.json()["errors"]]


def sheet_of(kind, rows, title, headers=UNSUPPLIED_HEADERS):
    """A worksheet's rows (header first) as ledger_bytes would write them, to add to any workbook."""
    lines = [headers]
    for row in rows:
        lines.append([row.get(header.rstrip("*"), row.get(header)) for header in headers])
    return title, lines


def book(*sheets, hidden=()):
    workbook = Workbook()
    workbook.remove(workbook.active)
    for title, lines in sheets:
        sheet = workbook.create_sheet(title)
        for line in lines:
            sheet.append(line)
        if title in hidden:
            sheet.sheet_state = "hidden"
    return workbook_bytes(workbook)


@pytest.fixture
def clerk(users):
    return client_for(users["clerk"])


# ---------------------------------------------------------------------------------------------------
# Which sheet is read


def test_a_hidden_sheet_is_not_read_the_visible_ledger_is(users, clerk):
    """A workbook whose first sheet (hidden, an old copy) and second sheet (visible, what the clerk sees
    and means) both hold a 批而未供 ledger: the visible one is read (the hidden one's rows were)."""
    content = book(
        sheet_of("unsupplied", [unsupplied_row("OLD-1")], "Sheet1"),
        sheet_of("unsupplied", [unsupplied_row("NEW-1"), unsupplied_row("NEW-2")], "Sheet2"),
        hidden={"Sheet1"},
    )
    response = post_ledger(clerk, content, kind="unsupplied")
    assert response.status_code == 200, response.json()
    assert set(Parcel.objects.values_list("code", flat=True)) == {"NEW-1", "NEW-2"}


def test_two_sheets_of_the_same_kind_are_refused_naming_them(users, clerk):
    """Two ledger sheets of one kind (a county's ledger split in two): refused, naming both (the first
    sheet's rows were imported and the second sheet's dropped unsaid)."""
    content = book(
        sheet_of("unsupplied", [unsupplied_row("A-1")], "批而未供（一）"),
        sheet_of("unsupplied", [unsupplied_row("B-1"), unsupplied_row("B-2")], "批而未供（二）"),
    )
    before = database_snapshot()
    response = post_ledger(clerk, content, kind="unsupplied")
    assert response.status_code == 400
    (error,) = response.json()["errors"]
    assert "2 个批而未供台账工作表（“批而未供（一）”、“批而未供（二）”）" in error["message"]
    assert database_snapshot() == before


def test_the_supply_import_reads_the_visible_sheet_not_a_hidden_one(users, clerk):
    hidden = supply_book([supply_row("1410262019B00001")], title="旧")
    hidden.active.sheet_state = "hidden"
    visible = hidden.create_sheet("供地结果")
    visible.append(SUPPLY_HEADERS)
    visible.append(supply_row("1410262020B00002"))
    response = post_supply(clerk, workbook_bytes(hidden))
    assert response.status_code == 200, response.json()
    assert set(SupplyRecord.objects.values_list("supervision_number", flat=True)) == {"1410262020B00002"}


# ---------------------------------------------------------------------------------------------------
# Cells that read as empty though the clerk sees a value


def test_a_merged_town_cell_is_refused_naming_its_rows_and_column(users, clerk):
    """乡镇（园区） merged over three rows, as ledgers grouped by town often are: Excel shows 府城镇 on all
    three, but only the first cell holds it (rows 3 and 4 were created without a town, unsaid)."""
    workbook = load_workbook(
        io.BytesIO(ledger_bytes("unsupplied", [unsupplied_row(f"M{n}") for n in range(3)]))
    )
    sheet = workbook.active
    sheet["D3"] = sheet["D4"] = None
    sheet.merge_cells("D2:D4")
    response = post_ledger(clerk, workbook_bytes(workbook), kind="unsupplied")
    assert response.status_code == 400
    assert Parcel.objects.count() == 0
    assert row_errors(response) == [(2, "乡镇（园区）"), (3, "乡镇（园区）"), (4, "乡镇（园区）")]
    assert "合并单元格 D2:D4" in response.json()["errors"][0]["message"]


def test_a_formula_without_a_saved_result_is_refused_not_read_as_empty(users, clerk, anze):
    """A file written by a program (openpyxl, pandas, a reporting tool) keeps formulas without their
    computed value; reading only the values saw such a cell as empty and cleared the stored note."""
    ParcelFactory(county=anze, code="F1", name="安泽县F1号地块", note="原备注：已核实")
    content = ledger_bytes("unsupplied", [unsupplied_row("F1", 备注='="已核实"&"，待供"')])
    response = post_ledger(clerk, content, kind="unsupplied")
    assert response.status_code == 400
    assert row_errors(response) == [(2, "备注")]
    assert "公式" in response.json()["errors"][0]["message"]
    assert Parcel.objects.get(code="F1").note == "原备注：已核实"


# ---------------------------------------------------------------------------------------------------
# The export → re-import round trip and full-width forms


def test_a_full_width_code_stored_through_the_api_re_imports_unchanged(users, clerk, anze):
    """The API and the admin store a code as typed (ＡＢ－０１, full-width); the export writes it so; its
    unedited re-import is unchanged (it rewrote the code and the document number half-width)."""
    ParcelFactory(county=anze, code="ＡＢ－０１", approval_number="晋政地字〔２０２０〕１５号")
    content = body_of(clerk.get(EXPORT, {"kind": "unsupplied"}))
    before = database_snapshot()
    body = post_ledger(clerk, content, kind="unsupplied").json()
    assert (body["created"], body["updated"], body["unchanged"]) == (0, 0, 1), body
    assert database_snapshot() == before


def test_stored_text_that_reads_as_an_excel_error_survives_the_export_round_trip(users, clerk, anze):
    """A note stored as the text "#N/A" (pasted from a spreadsheet) is exported as text, not as the error
    cell openpyxl makes of such a string, and its re-import is unchanged."""
    ParcelFactory(county=anze, code="0001", note="#N/A", location="#REF!")
    content = body_of(clerk.get(EXPORT, {"kind": "unsupplied"}))
    before = database_snapshot()
    response = post_ledger(clerk, content, kind="unsupplied")
    assert response.status_code == 200, response.json()
    assert (response.json()["unchanged"], database_snapshot() == before) == (1, True)


def test_a_supply_number_in_full_width_is_the_same_number(users, clerk, anze):
    """As the ledger's codes (ＡＢ１ is AB1): the same 电子监管号 typed full-width in a second row is a
    duplicate."""
    number = "1410262020B00001"
    full_width = number.translate({code - 0xFEE0: code for code in range(0xFF01, 0xFF5F)})
    assert full_width != number
    response = post_supply(clerk, workbook_bytes(supply_book([supply_row(number), supply_row(full_width)])))
    assert response.status_code == 400, response.json()
    assert row_errors(response) == [(4, "电子监管号")]
    assert SupplyRecord.objects.count() == 0


def test_a_supply_number_stored_full_width_is_updated_by_its_half_width_form(users, clerk, anze):
    number = "1410262020B00002"
    full_width = number.translate({code - 0xFEE0: code for code in range(0xFF01, 0xFF5F)})
    # As an import kept it before numbers were read half-width.
    stored = SupplyRecord(
        county=anze,
        supervision_number=full_width,
        project_name="旧名",
        supply_method="transfer",
        area_ha=Decimal("1.2345"),
    )
    SupplyRecord.objects.bulk_create([stored])
    response = post_supply(clerk, workbook_bytes(supply_book([supply_row(number)])))
    assert response.status_code == 200, response.json()
    (record,) = SupplyRecord.objects.all()
    assert (record.supervision_number, record.project_name) == (number, "工业项目")
    assert record.history.latest().history_type == "~"


@pytest.mark.parametrize("first", ["half", "full"])
def test_a_supply_number_stored_in_both_widths_updates_the_half_width_record(users, clerk, anze, first):
    """Both forms stored (the full-width one typed in the admin, which keeps what is typed): the row's
    half-width number is the half-width record's, whichever was stored first; the full-width record is left
    as it was, and nothing answers 500."""
    number = "1410262020B00003"
    full_width = number.translate({code - 0xFEE0: code for code in range(0xFF01, 0xFF5F)})
    records = {
        width: SupplyRecord(
            county=anze,
            supervision_number=text,
            project_name=f"{width}",
            supply_method="transfer",
            area_ha=Decimal("1"),
        )
        for width, text in (("half", number), ("full", full_width))
    }
    SupplyRecord.objects.bulk_create([records[first], records["full" if first == "half" else "half"]])
    response = post_supply(clerk, workbook_bytes(supply_book([supply_row(number)])))
    assert response.status_code == 200, response.json()
    assert (response.json()["created"], response.json()["updated"]) == (0, 1)
    assert dict(SupplyRecord.objects.values_list("supervision_number", "project_name")) == {
        number: "工业项目",
        full_width: "full",
    }


# ---------------------------------------------------------------------------------------------------
# Pinned: files refused as a whole


@pytest.mark.parametrize(
    "content, fragment",
    [
        (b"", "文件是空的"),
        ("地块编号,项目名称\n0001,某地块\n".encode("gbk"), "不是有效的 Excel 工作簿"),
        (b"PK\x03\x04truncated zip", "不是有效的 Excel 工作簿"),
    ],
)
def test_files_that_are_not_workbooks_are_400_in_chinese_for_both_imports(users, clerk, content, fragment):
    before = database_snapshot()
    for response in (post_ledger(clerk, content), post_supply(clerk, content)):
        assert response.status_code == 400
        (error,) = response.json()["errors"]
        assert (error["row"], error["column"]) == (None, None) and fragment in error["message"]
    assert database_snapshot() == before


def test_sheets_in_another_order_the_named_kinds_sheet_is_read(users, clerk):
    content = book(
        ("说明", [["填表说明"], ["地块编号按文本填写"]]),
        sheet_of("idle", [idle_row("XZ-1")], "闲置土地", headers=IDLE_HEADERS),
        sheet_of("unsupplied", [unsupplied_row("P-1")], "批而未供"),
    )
    response = post_ledger(clerk, content, kind="unsupplied")
    assert response.status_code == 200, response.json()
    assert list(Parcel.objects.values_list("code", "kind")) == [("P-1", "unsupplied")]
    # Without a kind, a workbook of both kinds is refused as a whole, naming why.
    response = post_ledger(clerk, content)
    assert response.status_code == 400 and "同时有批而未供和闲置土地" in response.json()["file"][0]


def test_renamed_extra_and_missing_columns(users, clerk):
    headers = ["序号", *UNSUPPLIED_HEADERS]
    headers[headers.index("未供面积（亩）*")] = "未供面积(亩)"  # half-width brackets, no asterisk
    rows = [{"序号": 1, **unsupplied_row("R-1")}]
    rows[0]["未供面积(亩)"] = 3.5
    content = ledger_bytes("unsupplied", rows, headers=headers)
    response = post_ledger(clerk, content, kind="unsupplied")
    assert response.status_code == 200, response.json()
    assert Parcel.objects.get(code="R-1").area_mu == Decimal("3.5")
    # The area column renamed to hectares is missing: refused as a whole, naming the column.
    headers[headers.index("未供面积(亩)")] = "未供面积（公顷）"
    response = post_ledger(clerk, ledger_bytes("unsupplied", rows, headers=headers), kind="unsupplied")
    assert response.status_code == 400
    assert "未找到" in response.json()["file"][0] or "没有找到" in response.json()["file"][0]


# ---------------------------------------------------------------------------------------------------
# Pinned: bad cells are named by row and column; nothing is written


@pytest.mark.parametrize(
    "cells, column, fragment",
    [
        ({"未供面积（亩）": -3}, "未供面积（亩）*", "大于"),
        ({"未供面积（亩）": 0}, "未供面积（亩）*", "大于"),
        ({"未供面积（亩）": "１２．３４５６７"}, "未供面积（亩）*", "最多保留 4 位小数"),
        ({"未供面积（亩）": 1e20}, "未供面积（亩）*", ""),
        ({"未供面积（亩）": "1E+999999999"}, "未供面积（亩）*", ""),
        ({"未供面积（亩）": "12,5"}, "未供面积（亩）*", "不是数字"),
        ({"未供面积（亩）": float("inf")}, "未供面积（亩）*", ""),
        ({"未供面积（亩）": True}, "未供面积（亩）*", "请填写数字"),
        ({"批准时间": "05/03/2021"}, "批准时间*", "无法识别的日期"),
        ({"批准时间": "2021年2月30日"}, "批准时间*", "不存在"),
        ({"批准时间": datetime.date(2999, 1, 1)}, "批准时间*", "不能晚于今天"),
        ({"批准时间": 2021}, "批准时间*", ""),
        ({"批准时间": -5}, "批准时间*", "无法识别的日期"),
        ({"中心点经度": 112.1234567, "中心点纬度": 36.1}, "中心点经度", "最多保留 6 位小数"),
        ({"中心点经度": 112.5}, "中心点纬度", "同时填写"),
        ({"项目名称": "长" * 5000}, "项目名称*", "200"),
        ({"备注": "长" * 32000}, "备注", "2000"),
        ({"地块编号": "编" * 60}, "地块编号*", "50"),
        ({"地块编号": 12345678901234567.0}, "地块编号*", "15 位有效数字"),
        ({"征收情况": "#N/A"}, "征收情况*", "单元格是错误值“#N/A”"),  # openpyxl stores it as Excel does
        ({"县（市、区）代码": "141029"}, "县（市、区）代码", "不是本次导入的安泽县"),
        ({"县（市、区）代码": "乡宁县"}, "县（市、区）代码", "不是本次导入的安泽县"),
        ({"乡镇（园区）": "昌宁镇"}, "乡镇（园区）", "安泽县没有"),
    ],
)
def test_a_bad_cell_is_a_400_naming_its_row_and_column_and_nothing_is_written(
    users, clerk, cells, column, fragment
):
    rows = [unsupplied_row("G-1"), unsupplied_row("B-1", **cells), unsupplied_row("G-2")]
    before = database_snapshot()
    response = post_ledger(clerk, ledger_bytes("unsupplied", rows), kind="unsupplied")
    assert response.status_code == 400, response.content
    errors = response.json()["errors"]
    assert [(error["row"], error["column"]) for error in errors] == [(3, column)], errors
    assert fragment in errors[0]["message"]
    assert all(not error["message"].isascii() for error in errors)  # a Chinese message
    assert database_snapshot() == before


@pytest.mark.parametrize("value", ["#N/A", "#REF!", "#DIV/0!", "#VALUE!"])
def test_error_cells_are_named_in_both_imports(users, clerk, value):
    workbook = load_workbook(io.BytesIO(ledger_bytes("unsupplied", [unsupplied_row("E-1")])))
    workbook.active["G2"] = value  # 批准时间*
    workbook.active["G2"].data_type = "e"
    response = post_ledger(clerk, workbook_bytes(workbook), kind="unsupplied")
    assert response.status_code == 400
    assert row_errors(response) == [(2, "批准时间*")]
    supply = supply_book([supply_row("1410262020B00001")])
    supply.active["H3"] = value  # 合同签订日期
    supply.active["H3"].data_type = "e"
    response = post_supply(clerk, workbook_bytes(supply))
    assert response.status_code == 400
    assert row_errors(response) == [(3, "合同签订日期")]
    assert Parcel.objects.count() == SupplyRecord.objects.count() == 0


def test_text_numbers_and_text_dates_in_many_forms_are_read(users, clerk):
    rows = [
        unsupplied_row("T1", 未供面积="１２．５亩", 批准时间="２０２０－０３－０５"),
        unsupplied_row("T2", 未供面积=" 1,234.5 ", 批准时间="2020年3月5日"),
        unsupplied_row("T3", 未供面积="12.300000000000001", 批准时间="2020.3.5"),
        unsupplied_row("T4", 未供面积="1e1", 批准时间="20200305"),
        unsupplied_row("T5", 未供面积=7, 批准时间="2020/03/05 00:00:00"),
        unsupplied_row("T6", 未供面积=7, 批准时间=43895),  # an Excel serial: 2020-03-05
    ]
    for row in rows:
        row["未供面积（亩）"] = row.pop("未供面积")
    response = post_ledger(clerk, ledger_bytes("unsupplied", rows), kind="unsupplied")
    assert response.status_code == 200, response.json()
    stored = dict(Parcel.objects.values_list("code", "area_mu"))
    assert stored == {
        "T1": Decimal("12.5"),
        "T2": Decimal("1234.5"),
        "T3": Decimal("12.3"),
        "T4": Decimal("10"),
        "T5": Decimal("7"),
        "T6": Decimal("7"),
    }
    assert set(Parcel.objects.values_list("approval_date", flat=True)) == {datetime.date(2020, 3, 5)}


# ---------------------------------------------------------------------------------------------------
# Pinned: codes


def test_a_code_with_spaces_and_full_width_forms_updates_the_stored_parcel(users, clerk, anze):
    parcel = ParcelFactory(county=anze, code="AB-01", name="旧名称")
    content = ledger_bytes("unsupplied", [unsupplied_row("\u3000ＡＢ－０１\u200b ", 项目名称="新名称")])
    body = post_ledger(clerk, content, kind="unsupplied").json()
    assert (body["created"], body["updated"]) == (0, 1), body
    parcel.refresh_from_db()
    assert (parcel.code, parcel.name) == ("AB-01", "新名称")
    assert Parcel.objects.count() == 1
    assert parcel.history.first().history_user == users["clerk"]


def test_codes_differing_only_in_width_are_duplicates_in_one_file(users, clerk):
    content = ledger_bytes("unsupplied", [unsupplied_row("AB-01"), unsupplied_row("ＡＢ－０１ ")])
    response = post_ledger(clerk, content, kind="unsupplied")
    assert response.status_code == 400
    assert response.json()["errors"] == [
        {"row": 3, "column": "地块编号*", "message": "地块编号“AB-01”与第 2 行重复。"}
    ]
    assert Parcel.objects.count() == 0


def test_a_code_of_another_county_is_a_new_parcel_here_and_the_other_is_untouched(users, clerk, xiangning):
    theirs = ParcelFactory(county=xiangning, code="0001", name="乡宁地块")
    history = theirs.history.count()
    response = post_ledger(clerk, ledger_bytes("unsupplied", [unsupplied_row("0001", 项目名称="安泽地块")]))
    assert response.json()["created"] == 1
    theirs.refresh_from_db()
    assert (theirs.name, theirs.history.count()) == ("乡宁地块", history)
    assert Parcel.objects.get(county__code="141026").name == "安泽地块"


def test_a_clerk_cannot_import_into_another_county(users, clerk):
    before = database_snapshot()
    response = post_ledger(clerk, ledger_bytes("unsupplied", [unsupplied_row("0001")]), county="141029")
    assert response.status_code == 404
    response = post_supply(
        clerk, workbook_bytes(supply_book([supply_row("1410292020B00001")])), county="141029"
    )
    assert response.status_code == 404
    assert database_snapshot() == before


# ---------------------------------------------------------------------------------------------------
# Pinned: blank rows, long files, the round trip, history and query counts


def test_trailing_blank_rows_styled_or_holding_spaces_are_ignored(users, clerk):
    workbook = load_workbook(io.BytesIO(ledger_bytes("unsupplied", [unsupplied_row("0001")])))
    sheet = workbook.active
    sheet.append(["141026", " ", "\u3000", None, "\u200b"])  # the county code and blanks only
    for row in range(4, 400):
        sheet.cell(row=row, column=3).number_format = "@"
    sheet.cell(row=399, column=5, value="")
    response = post_ledger(clerk, workbook_bytes(workbook), kind="unsupplied")
    assert response.status_code == 200, response.json()
    assert response.json()["created"] == 1


def test_an_export_with_towns_units_coordinates_and_disposals_re_imports_unchanged(users, clerk, anze):
    unit = UnitFactory(region=anze, name="安泽县自然资源局")
    city_unit = UnitFactory(region=anze.parent, name="临汾市财政局")
    UnitFactory(region=anze, name="临汾市财政局")  # the county has one by the same name
    town = anze.children.get(name="府城镇")
    first = ParcelFactory(
        county=anze,
        code="007",
        town=town,
        responsible_unit=unit,
        center_lng=Decimal("112.250000"),
        center_lat=Decimal("36.150001"),
        note="第一行\r\n第二行 ",
        name=" 前后有空格 ",
        location="=SUM(A1)",
        area_mu=Decimal("0.0001"),
    )
    DisposalFactory(parcel=first, area_mu=Decimal("0.0001"), date=datetime.date(2021, 1, 1))
    ParcelFactory(county=anze, code="008", responsible_unit=city_unit, area_mu=Decimal("99999999.9999"))
    IdleParcelFactory(county=anze, code="XZ-1", price_wan=Decimal("0.0001"))
    content = body_of(clerk.get(EXPORT))
    before = database_snapshot()
    for kind, count in (("unsupplied", 2), ("idle", 1)):
        body = post_ledger(clerk, content, kind=kind).json()
        assert (body["created"], body["updated"], body["unchanged"]) == (0, 0, count), body
    assert database_snapshot() == before


def test_an_update_is_recorded_in_the_history_with_its_reason(users, clerk, anze):
    parcel = ParcelFactory(county=anze, code="0001", area_mu=Decimal("10"))
    response = post_ledger(
        clerk, ledger_bytes("unsupplied", [unsupplied_row("0001", **{"未供面积（亩）": "11"})])
    )
    assert response.json()["updated"] == 1
    latest = parcel.history.order_by("-history_id").first()
    assert (latest.history_type, latest.history_user, latest.area_mu) == ("~", users["clerk"], Decimal("11"))
    assert "Excel 台账导入" in latest.history_change_reason


def test_a_refused_update_of_area_below_the_disposed_area_writes_nothing(users, clerk, anze):
    parcel = ParcelFactory(county=anze, code="0001", area_mu=Decimal("10"))
    DisposalFactory(parcel=parcel, area_mu=Decimal("6"), date=datetime.date(2022, 1, 1))
    before = database_snapshot()
    rows = [unsupplied_row("0001", **{"未供面积（亩）": 5}), unsupplied_row("0002")]
    response = post_ledger(clerk, ledger_bytes("unsupplied", rows))
    assert response.status_code == 400 and row_errors(response) == [(2, "未供面积（亩）*")]
    assert database_snapshot() == before


def rich_rows(count, anze):
    """Rows updating parcels that have towns, units and disposals: every lookup the importer preloads."""
    unit = UnitFactory(region=anze, name=f"安泽县单位{count}")
    town = anze.children.get(name="府城镇")
    for n in range(count):
        parcel = ParcelFactory(county=anze, code=f"Q{n:03d}", town=town, responsible_unit=unit)
        DisposalFactory(parcel=parcel, area_mu=Decimal("1"), date=datetime.date(2021, 1, 1))
    return [
        unsupplied_row(f"Q{n:03d}", 责任单位=unit.name, 备注=f"第{n}行", **{"未供面积（亩）": 10})
        for n in range(count)
    ] + [unsupplied_row(f"N{n:03d}") for n in range(count)]


@pytest.mark.parametrize("count", [2, 10])
def test_updating_parcels_with_towns_units_and_disposals_costs_no_query_per_row(users, clerk, anze, count):
    content = ledger_bytes("unsupplied", rich_rows(count, anze))
    with CaptureQueriesContext(connection) as dry:
        assert post_ledger(clerk, content, dry_run="true").status_code == 200
    with CaptureQueriesContext(connection) as real:
        body = post_ledger(clerk, content).json()
    assert (body["created"], body["updated"]) == (count, count), body
    # dry run: county, parcels, disposals, towns, units; the import adds its savepoints, locks and batches
    assert (len(dry), len(real)) == (5, 16), [q["sql"][:80] for q in real.captured_queries]


# ---------------------------------------------------------------------------------------------------
# Pinned: the supply import's cells


@pytest.mark.parametrize(
    "cells, column, fragment",
    [
        ({"面积（公顷）": -1}, "面积（公顷）", "大于 0"),
        ({"面积（公顷）": "1.23456"}, "面积（公顷）", "最多保留 4 位小数"),
        ({"面积（公顷）": 1e20}, "面积（公顷）", ""),
        ({"面积（公顷）": "１，２３４．５公顷"}, "面积（公顷）", None),
        ({"成交价格（万元）": "八百"}, "成交价格（万元）", "不是数字"),
        ({"合同签订日期": "2020-13-01"}, "合同签订日期", "不存在"),
        ({"合同签订日期": "01/03/2020"}, "合同签订日期", "无法识别"),
        ({"合同签订日期": "2020年2月30日"}, "合同签订日期", "不存在"),
        ({"电子监管号": 14102620200000123.0}, "电子监管号", "15 位"),
        ({"电子监管号": "号" * 60}, "电子监管号", "50"),
        ({"项目名称": "\u3000 "}, "项目名称", "请填写"),
        ({"土地使用权人": "长" * 300}, "土地使用权人", "200"),
        ({"供地方式": "赠与"}, "供地方式", "不是可识别的供地方式"),
    ],
)
def test_a_bad_supply_cell_is_a_400_naming_its_row_and_column(users, clerk, cells, column, fragment):
    rows = [supply_row("1410262020B00001"), supply_row("1410262020B00002", **cells)]
    before = database_snapshot()
    response = post_supply(clerk, workbook_bytes(supply_book(rows)))
    if fragment is None:  # read as meant
        assert response.status_code == 200, response.json()
        assert SupplyRecord.objects.get(supervision_number="1410262020B00002").area_ha == Decimal("1234.5")
        return
    assert response.status_code == 400, response.content
    errors = response.json()["errors"]
    assert [(error["row"], error["column"]) for error in errors] == [(4, column)], errors
    assert fragment in errors[0]["message"]
    assert database_snapshot() == before


def test_supply_updates_record_history_and_cost_no_query_per_row(users, clerk, anze):
    def file(count, started):
        return workbook_bytes(
            supply_book([supply_row(f"14102620200{n:05d}", 实际开工时间=started) for n in range(count)])
        )

    for count in (3, 30):
        assert post_supply(clerk, file(count, None)).json()["created"] in (count, count - 3)
    with CaptureQueriesContext(connection) as queries:
        body = post_supply(clerk, file(30, datetime.date(2021, 1, 1))).json()
    assert body == {"dry_run": False, "created": 0, "updated": 30, "unchanged": 0}
    assert len(queries) <= 10, len(queries)
    record = SupplyRecord.objects.get(supervision_number="1410262020000029")
    latest = record.history.order_by("-history_id").first()
    assert (latest.history_type, latest.history_user) == ("~", users["clerk"])
    assert latest.actual_start_date == datetime.date(2021, 1, 1)


def test_the_supply_import_refuses_merged_cells_and_formulas_without_a_result_by_row_and_column(users, clerk):
    workbook = supply_book([supply_row(f"14102620200000{n}") for n in range(3)])
    sheet = workbook.active  # title, header, then the rows 3–5
    sheet["C4"] = None
    sheet.merge_cells("C3:C4")  # 土地使用权人 of rows 3 and 4
    sheet["B5"] = '="工业"&"项目"'  # 项目名称: a formula saved by a program, without its result
    before = database_snapshot()
    response = post_supply(clerk, workbook_bytes(workbook))
    assert response.status_code == 400
    assert row_errors(response) == [(3, "土地使用权人"), (4, "土地使用权人"), (5, "项目名称")]
    messages = [error["message"] for error in response.json()["errors"]]
    assert "合并单元格 C3:C4" in messages[0] and "公式" in messages[2]
    assert database_snapshot() == before


def test_two_visible_supply_exports_in_one_file_are_refused_naming_them(users, clerk):
    workbook = supply_book([supply_row("1410262020B00001")], title="第一批")
    second = workbook.create_sheet("第二批")
    second.append(SUPPLY_HEADERS)
    second.append(supply_row("1410262020B00002"))
    before = database_snapshot()
    response = post_supply(clerk, workbook_bytes(workbook))
    assert response.status_code == 400
    (error,) = response.json()["errors"]
    assert "2 个供地结果工作表（“第一批”、“第二批”）" in error["message"]
    assert database_snapshot() == before


def _with_saved_result(content, result):
    """The workbook as Excel saves it: the formula cell of 备注 (row 2) with its result, as a text formula."""
    import re
    import zipfile

    source, target = zipfile.ZipFile(io.BytesIO(content)), io.BytesIO()
    with zipfile.ZipFile(target, "w") as written:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename.startswith("xl/worksheets/"):
                data, count = re.subn(
                    rb'<c r="([A-Z]+2)"([^>]*)><f>(.*?)</f><v ?/>',
                    lambda match: (
                        b'<c r="%s" t="str"><f>%s</f><v>%s</v>' % (match[1], match[3], result.encode())
                    ),
                    data,
                )
                assert count == 1
            written.writestr(item, data)
    return target.getvalue()


@pytest.mark.parametrize("result", ["已核实，待供", ""])
def test_a_formula_saved_with_its_result_is_read_as_that_result(users, clerk, anze, result):
    # Excel and WPS save each formula's result beside it, the empty text too (<v></v>, t="str").
    ParcelFactory(county=anze, code="F1", name="安泽县F1号地块", note="原备注：已核实")
    content = ledger_bytes("unsupplied", [unsupplied_row("F1", 备注='="已核实"&"，待供"')])
    response = post_ledger(clerk, _with_saved_result(content, result), kind="unsupplied")
    assert response.status_code == 200, response.json()
    assert Parcel.objects.get(code="F1").note == result


def test_a_code_with_a_comma_is_refused_by_row_and_column(users, clerk):
    """A coordinate file separates its fields by commas: a 地块编号 holding one could never be written to one
    and matched again, so the ledger refuses it where it is typed."""
    content = ledger_bytes(
        "unsupplied", [unsupplied_row("AZ-1"), unsupplied_row("AZ,2"), unsupplied_row("AZ，3")]
    )
    before = database_snapshot()
    response = post_ledger(clerk, content, kind="unsupplied")
    assert response.status_code == 400
    assert row_errors(response) == [(3, "地块编号*"), (4, "地块编号*")]
    assert all("地块编号不能含逗号" in error["message"] for error in response.json()["errors"])
    assert database_snapshot() == before
