"""Cells of the monitoring system's export that no record means to hold: each refused in its row and
column, nothing written, never a server error; and a ledger line opened for a record id that is no id."""

import io

import pytest
from openpyxl import load_workbook

from tests.api.harness import client_for
from tests.helpers import database_snapshot

from .test_supply_records import GOOD_ROWS, export_file, post_idle_ledger_line, upload

pytestmark = pytest.mark.django_db


def test_an_excel_error_value_is_refused_in_its_cell_not_stored_as_text(users, anze):
    workbook = load_workbook(export_file(GOOD_ROWS[:1]))
    workbook.active["B3"] = "#N/A"  # 项目名称 of the first record (row 3, below the title and header)
    workbook.active["B3"].data_type = "e"
    content = io.BytesIO()
    workbook.save(content)
    content.seek(0)
    content.name = "供地结果.xlsx"
    before = database_snapshot()
    response = upload(client_for(users["clerk"]), content=content)
    assert response.status_code == 400
    assert response.json()["errors"] == [
        {"row": 3, "column": "项目名称", "message": "单元格是错误值“#N/A”，请填写实际内容。"}
    ]
    assert database_snapshot() == before


@pytest.mark.parametrize("column, header", [(4, "面积（公顷）"), (6, "成交价格（万元）")])
def test_a_number_beyond_any_excel_holds_is_refused_in_its_cell(users, anze, column, header):
    row = list(GOOD_ROWS[0])
    row[column] = "1234567890123456e999999"
    before = database_snapshot()
    response = upload(client_for(users["clerk"]), [row])
    assert response.status_code == 400
    assert response.json()["errors"] == [
        {"row": 3, "column": header, "message": "“1234567890123456e999999”超出了可以填写的数值范围。"}
    ]
    assert database_snapshot() == before


def test_a_ledger_line_opened_with_a_record_id_int_cannot_read_is_refused_on_the_form(client, users, anze):
    from django.urls import reverse

    from parcels.services import SupplyRecordNotFound

    client.force_login(users["clerk"])
    add_url = reverse("admin:parcels_parcel_add") + "?supply_record=①&kind=idle&code=ADMIN-2"
    before = database_snapshot()
    response = post_idle_ledger_line(client, add_url, anze)
    # Not a 500 (int() reads "①" as no digit) and not a line saved unlinked from the record it was opened
    # from: the link is refused on the form, what was typed kept (tests/parcels/test_generate_ledger_admin_review.py).
    assert response.status_code == 200
    assert SupplyRecordNotFound.default_message in response.content.decode()
    assert database_snapshot() == before
