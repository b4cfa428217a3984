"""Cells no county means to write, each refused in its own row and column (never a server error), and
stored text that an export writes and the import reads back unchanged."""

import datetime
import io
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from openpyxl import load_workbook

from parcels import ledger
from parcels.models import Parcel
from tests.factories import ParcelFactory, UnitFactory
from tests.helpers import database_snapshot

from .ledger_files import ledger_bytes, unsupplied_row
from .test_ledger import errors_of, imported, run

pytestmark = pytest.mark.django_db

AREA = "未供面积（亩）*"


@pytest.mark.parametrize("cell", ["①", "²", "٣٣٣٣", "9" * 5000])
def test_a_unit_cell_of_digits_int_cannot_read_is_a_row_error(anze, clerk_anze, cell):
    # "①" and "²" are digits to str.isdigit() but not to int(); 5,000 digits are past int()'s limit;
    # "٣٣٣٣" (Arabic-Indic 3333) int() reads, and no unit has that id.
    before = database_snapshot()
    result = run(ledger_bytes("unsupplied", [unsupplied_row("U1", 责任单位=cell)]), anze, clerk_anze)
    assert [(row, column) for row, column, _ in errors_of(result)] == [(2, "责任单位")]
    assert "没有名称为" in result.errors[0].message
    assert database_snapshot() == before


@pytest.mark.parametrize("cell", ["1234567890123456e999999", "-1234567890123456E+999999"])
def test_a_number_beyond_any_excel_holds_is_a_row_error(anze, cell):
    result = run(ledger_bytes("unsupplied", [unsupplied_row("N1", **{"未供面积（亩）": cell})]), anze)
    assert errors_of(result) == [(2, AREA, f"“{cell}”超出了可以填写的数值范围。")]


@pytest.mark.parametrize(
    "cell, area",
    [("12,345.5", Decimal("12345.5")), ("1，234", Decimal("1234")), ("１,２３４.２５", Decimal("1234.25"))],
)
def test_thousands_separators_are_read(anze, cell, area):
    _, parcels = imported(
        ledger_bytes("unsupplied", [unsupplied_row("C1", **{"未供面积（亩）": cell})]), anze
    )
    assert parcels["C1"].area_mu == area


@pytest.mark.parametrize("cell", ["12,5", "1,23", "12,3456", ",123", "1,,234"])
def test_a_comma_that_separates_no_thousands_is_not_read_away(anze, cell):
    # Before, every comma was dropped: "12,5" read as 125 亩.
    result = run(ledger_bytes("unsupplied", [unsupplied_row("C1", **{"未供面积（亩）": cell})]), anze)
    assert errors_of(result) == [(2, AREA, f"“{cell}”不是数字。")]


def test_a_code_longer_than_excel_keeps_as_a_number_is_refused(anze):
    # 1410262019001234567 typed into a number cell: Excel keeps 1.41026201900123E+18, the code's last
    # four digits lost. Reading it as "1410262019001230000" would key a parcel under a code it never had.
    rows = [unsupplied_row(1410262019001234567.0), unsupplied_row(141026201900123.0)]
    result = run(ledger_bytes("unsupplied", rows), anze)
    assert [(row, column) for row, column, _ in errors_of(result)] == [(2, "地块编号*")]
    assert "Excel 只保留 15 位有效数字" in result.errors[0].message
    # 15 digits are held exactly, as before.
    _, parcels = imported(ledger_bytes("unsupplied", rows[1:]), anze)
    assert list(parcels) == ["141026201900123"]


def test_the_template_writes_town_and_unit_names_as_text_never_as_formulas(anze):
    UnitFactory(region=anze, name='=HYPERLINK("http://example.com","点此")')
    buffer = io.BytesIO()
    towns, units = ledger.county_choices(anze)
    ledger.write_template(buffer, ["unsupplied"], towns=towns, units=[*units, "+1+2", "@SUM(A1)"])
    lists = load_workbook(io.BytesIO(buffer.getvalue()))["选项"]
    cells = {cell.value: cell.data_type for row in lists.iter_rows(min_row=2) for cell in row if cell.value}
    assert cells['=HYPERLINK("http://example.com","点此")'] == "s"
    assert cells["府城镇"] == "s"
    assert set(cells.values()) == {"s"}


def export_of(queryset):
    buffer = io.BytesIO()
    ledger.write_ledger(buffer, [("unsupplied", queryset)])
    return buffer.getvalue()


def test_text_with_windows_line_breaks_re_imports_unchanged(anze, clerk_anze):
    # The admin's textarea sends CRLF; a worksheet's XML gives LF back.
    ParcelFactory(county=anze, code="R1", note="第一行\r\n第二行", location="府城镇\r东村")
    ParcelFactory(county=anze, code="R2", note="第一行\n第二行")
    content = export_of(Parcel.objects.order_by("code"))
    before = database_snapshot()
    history = Parcel.history.count()
    result = run(content, anze, clerk_anze)
    assert result.ok and [row.code for row in result.unchanged] == ["R1", "R2"], errors_of(result)
    result = ledger.ledger_import(source=io.BytesIO(content), kind="unsupplied", county=anze, user=clerk_anze)
    assert result.ok and result.updated == []
    assert database_snapshot() == before and Parcel.history.count() == history
    assert Parcel.objects.get(code="R1").note == "第一行\r\n第二行"  # kept as stored


def test_a_changed_text_cell_is_still_an_update(anze, clerk_anze):
    ParcelFactory(county=anze, code="R1", note="第一行\r\n第二行")
    workbook = load_workbook(io.BytesIO(export_of(Parcel.objects.all())))
    sheet = workbook.active
    column = [cell.value for cell in sheet[1]].index("备注") + 1
    assert sheet.cell(row=2, column=column).value == "第一行\n第二行"
    sheet.cell(row=2, column=column).value = "第一行\n第三行"
    buffer = io.BytesIO()
    workbook.save(buffer)
    result = run(buffer.getvalue(), anze, clerk_anze)
    assert [row.changes for row in result.updated] == [[("备注", "第一行\r\n第二行", "第一行\n第三行")]]
    assert Parcel.objects.get(code="R1").note == "第一行\n第三行"


@pytest.mark.parametrize("character", ["\x01", "\x08", "\x0b", "\x0c", "\x1f"])
def test_the_models_refuse_control_characters_a_worksheet_cannot_hold(anze, character):
    parcel = ParcelFactory.build(county=anze, code="K1", name=f"府城{character}地块")
    with pytest.raises(ValidationError) as refused:
        parcel.full_clean()
    assert refused.value.message_dict["name"] == [
        f"不得包含控制字符（U+{ord(character):04X}），请删去后再保存。"
    ]
    assert not Parcel.objects.filter(code="K1").exists()


def test_tab_and_line_breaks_are_text_the_models_keep(anze):
    parcel = ParcelFactory(county=anze, code="K2", note="甲\t乙\r\n丙\n丁")
    parcel.refresh_from_db()
    assert parcel.note == "甲\t乙\r\n丙\n丁"


def test_nul_keeps_its_own_message(anze):
    parcel = ParcelFactory.build(county=anze, code="K3", name="府城\x01\x00")
    with pytest.raises(ValidationError) as refused:
        parcel.full_clean()
    assert refused.value.message_dict["name"] == ["不得包含空字符（NUL）。"]


def test_the_api_names_the_field_that_holds_a_control_character(anze, clerk_anze):
    from rest_framework.test import APIClient

    client = APIClient()
    client.force_authenticate(clerk_anze)
    parcel = ParcelFactory(county=anze, code="K4", approval_date=datetime.date(2020, 1, 1))
    before = database_snapshot()
    response = client.patch(f"/api/v1/parcels/{parcel.pk}/", {"location": "府城\x07东村"}, format="json")
    assert response.status_code == 400
    assert response.json() == {"location": ["不得包含控制字符（U+0007），请删去后再保存。"]}
    assert database_snapshot() == before


def test_a_parcel_of_the_citys_unit_keeps_it_when_the_county_has_one_by_that_name(anze, clerk_anze):
    # A name is read as the county's own unit first; an exported parcel of the city's 财政局 must not
    # move to the county's 财政局 on re-import.
    city_unit = UnitFactory(region=anze.parent, name="财政局")
    county_unit = UnitFactory(region=anze, name="财政局")
    ParcelFactory(county=anze, code="C1", responsible_unit=city_unit)
    ParcelFactory(county=anze, code="C2", responsible_unit=county_unit)
    content = export_of(Parcel.objects.order_by("code"))
    before = database_snapshot()
    result = run(content, anze, clerk_anze)
    assert result.ok and [row.code for row in result.unchanged] == ["C1", "C2"], errors_of(result)
    assert database_snapshot() == before
    # A new parcel naming 财政局 gets the county's.
    result = run(ledger_bytes("unsupplied", [unsupplied_row("C3", 责任单位="财政局")]), anze, clerk_anze)
    assert result.ok, errors_of(result)
    assert Parcel.objects.get(code="C3").responsible_unit == county_unit
    assert Parcel.objects.get(code="C1").responsible_unit == city_unit
