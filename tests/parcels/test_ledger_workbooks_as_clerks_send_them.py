"""The Excel ledger's import with workbooks as county clerks really send them.

Merged cells (a tall header, a signature line, a widened note), cells as Excel stores them (escaped line
breaks, long codes kept as numbers, codes turned into dates, text dates with a time), headers marking their
required columns in front, the system's own two-sheet template, and codes holding a line break. Each test
states what a clerk does and what the import makes of it.
"""

import datetime
import io

import pytest
from django.core.exceptions import ValidationError
from openpyxl import load_workbook

from parcels import ledger, supply_records
from parcels.models import Parcel, SupplyRecord
from tests.api.harness import client_for
from tests.factories import ParcelFactory
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
from tests.rules.test_supply_records import export_file

pytestmark = pytest.mark.django_db


def run(content, county, user=None, kind="unsupplied", dry_run=False):
    return ledger.ledger_import(
        source=io.BytesIO(content), kind=kind, county=county, user=user, dry_run=dry_run
    )


def errors_of(result):
    return [(error.row, error.column, error.message) for error in result.errors]


def accepted(content, county, user=None, kind="unsupplied"):
    result = run(content, county, user, kind)
    assert result.ok, errors_of(result)
    return result, {parcel.code: parcel for parcel in Parcel.objects.filter(county=county)}


# ---------------------------------------------------------------------------------------------------
# Merged cells: only a merge over several rows hides a value from the rows below its first cell


def test_a_note_merged_into_a_column_beyond_the_ledger_is_read_from_its_first_cell(anze, clerk_anze):
    """备注 widened by merging it with the unused column to its right (R2:S2): the value is whole in R2 and
    belongs to row 2 alone; nothing is ambiguous, yet the row was refused as a merged cell."""
    workbook = load_workbook(io.BytesIO(ledger_bytes("unsupplied", [unsupplied_row("M1", 备注="已核实")])))
    workbook.active.merge_cells("R2:S2")
    _, parcels = accepted(workbook_bytes(workbook), anze, clerk_anze)
    assert parcels["M1"].note == "已核实"


def test_a_signature_line_merged_across_the_table_below_the_ledger_is_not_a_ledger_line(anze, clerk_anze):
    """The 填表人/审核人 line that closes most county ledgers, merged across the table: it holds no parcel
    (unmerged, the row is skipped as blank), yet each of its 18 columns was refused."""
    rows = [unsupplied_row("S1"), unsupplied_row("S2")]
    workbook = load_workbook(io.BytesIO(ledger_bytes("unsupplied", rows)))
    sheet = workbook.active
    sheet.append([])
    sheet.append(["填表人：张三    审核人：李四    填报日期：2023年6月1日"])
    sheet.merge_cells("A5:R5")
    result, parcels = accepted(workbook_bytes(workbook), anze, clerk_anze)
    assert (len(result.created), sorted(parcels)) == (2, ["S1", "S2"])


def test_a_header_whose_cells_are_merged_over_two_rows_is_not_read_as_a_data_row(anze, clerk_anze):
    """A tall header made by merging each header cell with the cell below it (A1:A2 …): row 2 is part of
    the header, not a ledger line refused 18 times as "merged cells"."""
    workbook = load_workbook(io.BytesIO(ledger_bytes("unsupplied", [])))
    sheet = workbook.active
    sheet.insert_rows(2)
    for column in range(1, len(UNSUPPLIED_HEADERS) + 1):
        sheet.merge_cells(start_row=1, start_column=column, end_row=2, end_column=column)
    row = unsupplied_row("H1")
    for column, header in enumerate(UNSUPPLIED_HEADERS, 1):
        sheet.cell(row=3, column=column, value=row[header.rstrip("*")])
    result, parcels = accepted(workbook_bytes(workbook), anze, clerk_anze)
    assert [line.row for line in result.created] == [3]
    assert list(parcels) == ["H1"]


def test_a_merge_within_one_row_that_hides_another_ledger_column_is_refused_there(anze):
    """项目名称 merged over 乡镇（园区） to its right (C2:D2): the name is read from C2; the town the merge hides
    is refused by row and column, not read as blank."""
    workbook = load_workbook(io.BytesIO(ledger_bytes("unsupplied", [unsupplied_row("W1")])))
    workbook.active.merge_cells("C2:D2")
    result = run(workbook_bytes(workbook), anze, dry_run=True)
    assert [(row, column) for row, column, _ in errors_of(result)] == [(2, "乡镇（园区）")]
    assert "合并单元格 C2:D2" in result.errors[0].message


def test_a_signature_line_of_several_merges_across_the_table_is_not_a_ledger_line(anze, clerk_anze):
    """填表人, 审核人 and 填报日期 each merged over part of the line, together across the whole table."""
    workbook = load_workbook(io.BytesIO(ledger_bytes("unsupplied", [unsupplied_row("S1")])))
    sheet = workbook.active
    sheet.append(["填表人：张三"] + [None] * 5 + ["审核人：李四"] + [None] * 5 + ["填报日期：2023年6月1日"])
    for cells in ("A3:F3", "G3:L3", "M3:R3"):
        sheet.merge_cells(cells)
    _, parcels = accepted(workbook_bytes(workbook), anze, clerk_anze)
    assert list(parcels) == ["S1"]


def test_a_caption_merged_across_the_table_over_several_rows_is_not_a_ledger_line(anze, clerk_anze):
    workbook = load_workbook(io.BytesIO(ledger_bytes("unsupplied", [unsupplied_row("S1")])))
    sheet = workbook.active
    sheet["A3"] = "说明：本表面积单位为亩，数据截至2023年5月31日。"
    sheet.merge_cells("A3:R4")
    _, parcels = accepted(workbook_bytes(workbook), anze, clerk_anze)
    assert list(parcels) == ["S1"]


def test_the_supply_import_reads_a_tall_header_and_skips_a_signature_line(anze):
    """The supply import reads merged cells as the ledger does."""
    content = export_file([["1410262020B00001", "工业项目", "甲公司", "挂牌出让", 1.2345]], title_rows=1)
    workbook = load_workbook(content)
    sheet = workbook.active  # title, header (row 2), the record (row 3)
    sheet.insert_rows(3)
    for column in range(1, 14):
        sheet.merge_cells(start_row=2, start_column=column, end_row=3, end_column=column)
    sheet["A6"] = "填表人：张三"
    sheet.merge_cells("A6:M6")
    result = supply_records.supply_records_import(source=io.BytesIO(workbook_bytes(workbook)), county=anze)
    assert result.errors == []
    assert list(SupplyRecord.objects.values_list("supervision_number", flat=True)) == ["1410262020B00001"]


# ---------------------------------------------------------------------------------------------------
# Cells as Excel stores them


def test_a_line_break_excel_stores_as_x000d_is_not_kept_as_that_text(anze, clerk_anze):
    """Text pasted from Word or a web page keeps Windows line breaks; Excel stores the carriage return in
    the file as the escape _x000D_ (ECMA-376 ST_Xstring). It was imported as the literal text "_x000D_"."""
    content = ledger_bytes("unsupplied", [unsupplied_row("X1", 备注="第一行_x000D_\n第二行")])
    _, parcels = accepted(content, anze, clerk_anze)
    assert "_x000D_" not in parcels["X1"].note
    assert parcels["X1"].note.splitlines() == ["第一行", "第二行"]


def test_an_escaped_control_character_is_refused_naming_its_row_and_column(anze):
    """_x0001_ decodes to a control character that no ledger field holds: refused, not stored as text."""
    result = run(ledger_bytes("unsupplied", [unsupplied_row("X2", 坐落="府城镇_x0001_东村")]), anze)
    assert errors_of(result) == [(2, "坐落", "不得包含控制字符（U+0001），请删去后再保存。")]


@pytest.mark.parametrize(
    "number_format, code",
    [
        (None, 1410262019000120),  # 16 digits typed as a number: Excel zeroed the 16th digit
        ("0", 1410262019001234567.0),  # the same in a column formatted as 数值, 0 位小数
    ],
)
def test_a_code_longer_than_excel_keeps_as_a_number_is_refused_whatever_the_cell_format(
    anze, number_format, code
):
    """A code typed as a number of more than 15 digits has lost its last digits in Excel. Only a number
    written with a decimal point or an exponent was refused: the same number written as an integer (as
    openpyxl and other programs save a 16-digit whole number) or shown through the number format "0" was
    keyed under a code it never had (1410262019001234944)."""
    formats = {"地块编号": number_format} if number_format else None
    result = run(ledger_bytes("unsupplied", [unsupplied_row(code)], number_formats=formats), anze)
    assert [(row, column) for row, column, _ in errors_of(result)] == [(2, "地块编号*")]
    assert "15 位有效数字" in result.errors[0].message


def test_every_code_column_and_the_supply_number_refuse_a_long_number_saved_as_an_integer(anze):
    row = idle_row("L1", 电子监管号=1410262019001234)
    result = run(ledger_bytes("idle", [row]), anze, kind="idle", dry_run=True)
    assert [(row, column) for row, column, _ in errors_of(result)] == [(2, "电子监管号")]
    assert "15 位有效数字" in result.errors[0].message
    content = export_file([[1410262019001234, "工业项目", "甲公司", "挂牌出让", 1.2345]])
    result = supply_records.supply_records_import(source=content, county=anze, dry_run=True)
    assert [(error["row"], error["column"]) for error in result.errors] == [(3, "电子监管号")]
    assert "15 位" in result.errors[0]["message"]


def test_a_code_excel_turned_into_a_date_is_refused_not_keyed_as_that_date(anze):
    """地块编号 such as 1-2 (宗地 1 之 2) typed into a General cell become a date in Excel (2024-01-02). The
    importer read the date as the code "2024-01-02": a parcel under a code nobody typed, and beside the
    stored 1-2 a duplicate. A code is never a date: the cell should be refused, asking for a text column."""
    rows = [unsupplied_row(datetime.datetime(2024, 1, 2))]
    result = run(ledger_bytes("unsupplied", rows), anze, dry_run=True)
    assert [(row, column) for row, column, _ in errors_of(result)] == [(2, "地块编号*")]
    assert "文本" in result.errors[0].message


def test_a_chinese_text_date_with_a_time_of_day_is_read_as_its_day(anze):
    """Text 2021-03-05 10:30 is read as 5 March, but the same moment written in DOMAIN.md §5's Chinese form
    (a cell formatted yyyy年m月d日 h:mm, pasted as text) was refused as an unknown date."""
    row = unsupplied_row("D1", 批准时间="2021年3月5日 10:30")
    result = run(ledger_bytes("unsupplied", [row]), anze, dry_run=True)
    assert result.ok, errors_of(result)
    assert result.rows[0].parcel.approval_date == datetime.date(2021, 3, 5)


def test_a_chinese_text_date_with_seconds_is_read_as_its_day(anze):
    row = unsupplied_row("D2", 批准时间="2021年3月5日10:30:15")
    result = run(ledger_bytes("unsupplied", [row]), anze, dry_run=True)
    assert result.ok, errors_of(result)
    assert result.rows[0].parcel.approval_date == datetime.date(2021, 3, 5)


@pytest.mark.parametrize("mark", ["*", "＊"])
def test_a_header_marking_its_required_columns_with_a_leading_asterisk_is_recognised(anze, mark):
    """Chinese forms put the required mark first (*地块编号, or full-width ＊地块编号); a trailing one, spaces
    and 全角 forms are already tolerated, a leading one made the whole file "没有找到台账的表头行"."""
    headers = [mark + header.rstrip("*") if header.endswith("*") else header for header in UNSUPPLIED_HEADERS]
    row = unsupplied_row("A1")
    row.update({header: row[header.lstrip(mark)] for header in headers if header.startswith(mark)})
    result = run(ledger_bytes("unsupplied", [row], headers=headers), anze, dry_run=True)
    assert result.ok, errors_of(result)
    assert result.rows[0].parcel.approval_number == "晋政地字〔2020〕15号"


# ---------------------------------------------------------------------------------------------------
# The system's own files, back in


def test_the_two_sheet_template_filled_in_for_one_kind_imports_with_the_kind_read_from_the_file(
    anze, clerk_anze
):
    """The admin's 下载导入模板 gives both sheets; a clerk fills in 批而未供 only and uploads it with the
    form's default 按表头自动识别. The empty 闲置土地 sheet (its header alone) counted as a second ledger and
    the file was refused ("文件中同时有批而未供和闲置土地两种台账")."""
    buffer = io.BytesIO()
    ledger.write_template(buffer, ["unsupplied", "idle"])
    workbook = load_workbook(io.BytesIO(buffer.getvalue()))
    row = unsupplied_row("T1")
    workbook["批而未供"].append([row[header.rstrip("*")] for header in UNSUPPLIED_HEADERS])
    result, parcels = accepted(workbook_bytes(workbook), anze, clerk_anze, kind=None)
    assert (result.kind, list(parcels)) == ("unsupplied", ["T1"])


def test_the_two_sheet_template_filled_in_for_both_kinds_is_still_refused_without_a_kind(anze):
    buffer = io.BytesIO()
    ledger.write_template(buffer, ["unsupplied", "idle"])
    workbook = load_workbook(io.BytesIO(buffer.getvalue()))
    row = unsupplied_row("T1")
    workbook["批而未供"].append([row[header.rstrip("*")] for header in UNSUPPLIED_HEADERS])
    row = idle_row("T2")
    workbook["闲置土地"].append([row[header.rstrip("*")] for header in IDLE_HEADERS])
    result = run(workbook_bytes(workbook), anze, kind=None, dry_run=True)
    assert errors_of(result) == [
        (None, None, "文件中同时有批而未供和闲置土地两种台账；请指定台账类型后分别导入。")
    ]


def test_a_code_with_a_line_break_stored_through_the_api_re_imports_unchanged(anze, clerk_anze):
    """The API keeps a 地块编号 and a 批准文号 with a pasted Windows line break. Exported and re-imported
    untouched, XML has made it a bare line feed: the code no longer matched, and a second parcel
    "AZ\\n01" was created beside "AZ\\r\\n01" (the document number alone was rewritten as an update)."""
    client = client_for(clerk_anze)
    response = client.post(
        "/api/v1/parcels/",
        {
            "county": "141026",
            "code": "AZ\r\n01",
            "name": "府城镇东村地块",
            "kind": "unsupplied",
            "area_mu": "12.5000",
            "approval_number": "晋政地字\r\n〔2020〕15号",
            "approval_date": "2020-03-05",
            "expropriation_status": "completed",
            "unsupplied_reason": "no_user",
        },
        format="json",
    )
    if response.status_code == 400:
        # Refusing a line break in a code where it is typed would end the defect as well.
        assert "code" in response.json(), response.json()
        return
    assert response.status_code == 201, response.json()
    content = b"".join(client.get("/api/v1/parcels/export/", {"kind": "unsupplied"}).streaming_content)
    before = database_snapshot()
    response = client.post(
        "/api/v1/parcels/import/",
        {"file": upload(content), "county": "141026", "kind": "unsupplied"},
        format="multipart",
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["created"], body["updated"], body["unchanged"]) == (0, 0, 1), body
    assert database_snapshot() == before


@pytest.mark.parametrize("field, label", [("code", "地块编号"), ("approval_number", "批准文号")])
@pytest.mark.parametrize("character", ["\r\n", "\n", "\t", "\x85"])
def test_the_model_refuses_a_line_break_or_control_character_in_a_code_naming_the_field(
    anze, field, label, character
):
    for value in (f"AZ{character}01", f"AZ01{character}"):  # a final line break too (Python's "$" takes one)
        parcel = ParcelFactory.build(county=anze, **{field: value})
        with pytest.raises(ValidationError) as refused:
            parcel.full_clean(validate_unique=False, validate_constraints=False)
        assert refused.value.message_dict[field] == [f"{label}不得包含换行、制表符等控制字符，请删去后再保存。"]


def test_the_schema_publishes_the_codes_pattern_for_any_clients_regular_expressions(anze, clerk_anze):
    """Python's \\A and \\Z mean nothing to a JavaScript client checking against the served schema."""
    schema = client_for(clerk_anze).get("/api/schema/", {"format": "json"}).json()
    code = schema["components"]["schemas"]["ParcelRequest"]["properties"]["code"]
    assert code["pattern"] == "^[^\\u0001-\\u001f\\u007f-\\u009f\\u2028\\u2029]+$"


def test_a_ledger_code_cell_with_a_line_break_is_refused_naming_its_row_and_column(anze):
    result = run(ledger_bytes("unsupplied", [unsupplied_row("AZ\n01")]), anze, dry_run=True)
    assert errors_of(result) == [(2, "地块编号*", "地块编号不得包含换行、制表符等控制字符，请删去后再保存。")]
