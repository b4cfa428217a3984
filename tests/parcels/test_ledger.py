"""The Excel ledger (DOMAIN.md §5) read as counties fill it in, imported all or nothing, and exported."""

import datetime
import io
import zipfile
from decimal import Decimal

import pytest
from django.db import IntegrityError
from openpyxl import Workbook, load_workbook

from parcels import ledger, services
from parcels.models import Parcel
from tests.factories import DisposalFactory, IdleParcelFactory, ParcelFactory, UnitFactory
from tests.helpers import database_snapshot

from .ledger_files import (
    HEADERS,
    IDLE_HEADERS,
    UNSUPPLIED_HEADERS,
    idle_row,
    ledger_bytes,
    read_back,
    unsupplied_row,
    workbook_bytes,
)

pytestmark = pytest.mark.django_db


def run(content, county, user=None, kind="unsupplied", dry_run=False):
    return ledger.ledger_import(
        source=io.BytesIO(content), kind=kind, county=county, user=user, dry_run=dry_run
    )


def imported(content, county, user=None, kind="unsupplied"):
    """Import a ledger that must be accepted, and the county's parcels by code afterwards."""
    result = run(content, county, user, kind)
    assert result.ok, [error.as_dict() for error in result.errors]
    return result, {parcel.code: parcel for parcel in Parcel.objects.filter(county=county)}


def errors_of(result):
    return [(error.row, error.column, error.message) for error in result.errors]


# --- reading cells as counties fill them -------------------------------------------------------------


def test_dates_are_read_from_excel_dates_and_every_text_form(anze):
    forms = [
        datetime.date(2021, 3, 5),  # an Excel date cell
        datetime.datetime(2021, 3, 5, 0, 0),
        "2021-03-05",
        "2021/3/5",
        "2021年3月5日",
        "2021 年 3 月 5 日",
        "2021.3.5",
        "20210305",
        "２０２１－０３－０５",  # typed with a Chinese input method
        " 2021-3-5 ",
        44260,  # a date cell that lost its format: serial day 44260 counted from 1899-12-30 is 2021-03-05
    ]
    rows = [unsupplied_row(f"D{index:02d}", 批准时间=value) for index, value in enumerate(forms)]
    _, parcels = imported(ledger_bytes("unsupplied", rows), anze)
    assert {parcel.approval_date for parcel in parcels.values()} == {datetime.date(2021, 3, 5)}
    assert len(parcels) == len(forms)


def test_float_noise_is_read_as_the_exact_four_place_mu_excel_shows(anze):
    rows = [
        # 12.3 plus one ulp, as sums in Excel give
        unsupplied_row("F1", **{"未供面积（亩）": 12.300000000000002}),
        unsupplied_row("F2", **{"未供面积（亩）": 0.1 + 0.2}),  # 0.30000000000000004
        unsupplied_row("F3", **{"未供面积（亩）": "12.300000000000001"}),  # pasted as text
        unsupplied_row("F4", **{"未供面积（亩）": "1,234.5"}),
        unsupplied_row("F5", **{"未供面积（亩）": "8.25亩"}),
        unsupplied_row("F6", **{"未供面积（亩）": 3.3333}),
        unsupplied_row("F7", **{"未供面积（亩）": 7}),
    ]
    _, parcels = imported(ledger_bytes("unsupplied", rows), anze)
    assert {code: parcel.area_mu for code, parcel in parcels.items()} == {
        "F1": Decimal("12.3000"),
        "F2": Decimal("0.3000"),
        "F3": Decimal("12.3000"),
        "F4": Decimal("1234.5000"),
        "F5": Decimal("8.2500"),
        "F6": Decimal("3.3333"),
        "F7": Decimal("7.0000"),
    }


def test_codes_are_kept_as_text_with_their_leading_zeros(anze):
    rows = [
        unsupplied_row("0012"),  # text
        # a number in a cell formatted 0000, and the county code as a number
        unsupplied_row(13, **{"县（市、区）代码": 141026}),
        unsupplied_row(141026001.0),  # a long code typed as a number
        unsupplied_row("００１４"),  # full-width digits
        unsupplied_row(" AZ-0015 "),
    ]
    content = ledger_bytes("unsupplied", rows, number_formats={"地块编号": "0000"})
    _, parcels = imported(content, anze)
    assert sorted(parcels) == ["0012", "0013", "0014", "141026001", "AZ-0015"]


def test_the_county_column_takes_the_countys_code_or_its_name(anze):
    rows = [
        unsupplied_row("N1", **{"县（市、区）代码": "安泽县"}),
        unsupplied_row("N2", **{"县（市、区）代码": None}),
        unsupplied_row("N3", **{"县（市、区）代码": "乡宁县"}),
    ]
    result = run(ledger_bytes("unsupplied", rows), anze)
    assert [(row, column) for row, column, _ in errors_of(result)] == [(4, "县（市、区）代码")]


def test_stray_spaces_and_full_width_characters_are_read_as_meant(anze):
    row = unsupplied_row(
        "S1",
        **{"县（市、区）代码": "１４１０２６"},
        项目名称="\u3000 府城镇东关地块 ",
        **{"乡镇（园区）": " 府城镇\u200b"},
        批准文号=" 晋政地字（２０２０）１５号 ",
        征收情况="已 完成",
        未供原因=" 无意向用地单位 ",
        拟处置方式="出让供应 ",
        **{"未供面积（亩）": "１２．５"},
    )
    _, parcels = imported(ledger_bytes("unsupplied", [row]), anze)
    parcel = parcels["S1"]
    assert parcel.name == "府城镇东关地块"
    assert parcel.town.name == "府城镇"
    # Digits become half-width; the document number keeps its full-width brackets as written.
    assert parcel.approval_number == "晋政地字（2020）15号"
    assert parcel.area_mu == Decimal("12.5000")
    assert (parcel.expropriation_status, parcel.unsupplied_reason, parcel.planned_method) == (
        "completed",
        "no_user",
        "supply_transfer",
    )


@pytest.mark.parametrize(
    "label, value",
    [("已完成", "completed"), ("部分完成", "partial"), ("未实施", "not_started")],
)
def test_expropriation_status_is_taken_by_its_chinese_label(anze, label, value):
    _, parcels = imported(ledger_bytes("unsupplied", [unsupplied_row("C1", 征收情况=label)]), anze)
    assert parcels["C1"].expropriation_status == value


def test_every_unsupplied_reason_label_is_taken(anze):
    labels = [
        "规划调整",
        "征地拆迁未完成",
        "不具备净地/通平条件",
        "无意向用地单位",
        "资金不足",
        "涉法涉诉",
        "已建成未供即用",
        "其他",
    ]
    rows = [unsupplied_row(f"R{index}", 未供原因=label) for index, label in enumerate(labels)]
    _, parcels = imported(ledger_bytes("unsupplied", rows), anze)
    assert [parcels[f"R{index}"].unsupplied_reason for index in range(len(labels))] == [
        "planning_change",
        "expropriation_incomplete",
        "site_not_ready",
        "no_user",
        "funding",
        "litigation",
        "used_before_supply",
        "other",
    ]


def test_towns_are_taken_by_name_or_code_and_units_by_name_or_id(anze, xiangning):
    natural = UnitFactory(region=anze, name="安泽县自然资源局")
    town_office = UnitFactory(region=anze, name="唐城镇人民政府")
    UnitFactory(region=xiangning, name="乡宁县自然资源局")
    rows = [
        unsupplied_row("T1", **{"乡镇（园区）": "府城镇"}, 责任单位="安泽县自然资源局"),
        unsupplied_row("T2", **{"乡镇（园区）": "141026102"}, 责任单位=f" {town_office.pk} "),
        unsupplied_row("T3", **{"乡镇（园区）": 141026103}, 责任单位="唐城镇 人民政府"),
        unsupplied_row("T4", **{"乡镇（园区）": None}, 责任单位=None),
    ]
    _, parcels = imported(ledger_bytes("unsupplied", rows), anze)
    assert [(parcels[code].town and parcels[code].town.name) for code in ("T1", "T2", "T3", "T4")] == [
        "府城镇",
        "唐城镇",
        "冀氏镇",
        None,
    ]
    assert [parcels[code].responsible_unit for code in ("T1", "T2", "T3", "T4")] == [
        natural,
        town_office,
        town_office,
        None,
    ]


def test_the_header_is_found_below_a_title_and_extra_columns_are_ignored(anze):
    headers = ["序号", *UNSUPPLIED_HEADERS, "填报人"]
    rows = [{"序号": 1, "填报人": "张三", **unsupplied_row("H1")}, {"序号": 2, **unsupplied_row("H2")}]
    content = ledger_bytes("unsupplied", rows, title="安泽县批而未供土地台账（2023年5月）", headers=headers)
    result, parcels = imported(content, anze)
    assert sorted(parcels) == ["H1", "H2"]
    assert [row.row for row in result.rows] == [3, 4]  # Excel rows: title 1, header 2


def test_headers_without_asterisks_and_only_the_required_columns_are_enough(anze):
    headers = ["地块编号", "项目名称", "批准文号", "批准时间", "未供面积（亩）", "征收情况", "未供原因"]
    content = ledger_bytes("unsupplied", [unsupplied_row("M1")], headers=headers)
    _, parcels = imported(content, anze)
    assert parcels["M1"].town is None and parcels["M1"].area_mu == Decimal("12.5000")


def test_an_idle_land_ledger_is_imported_with_its_own_columns(anze):
    unit = UnitFactory(region=anze, name="唐城镇人民政府")
    row = idle_row("XZ-001", 责任单位=unit.name, 中心点经度=112.25, 中心点纬度="36.15")
    content = ledger_bytes("idle", [row, idle_row("XZ-002", 闲置原因类别="政府原因", 供地方式="划拨")])
    result, parcels = imported(content, anze, kind="idle")
    assert (len(result.created), result.kind) == (2, "idle")
    parcel = parcels["XZ-001"]
    assert (parcel.kind, parcel.land_user, parcel.supply_method, parcel.idle_cause) == (
        "idle",
        "山西某某置业有限公司",
        "transfer",
        "user",
    )
    assert (parcel.supply_date, parcel.agreed_start_date) == (
        datetime.date(2019, 5, 10),
        datetime.date(2019, 11, 10),
    )
    assert (parcel.area_mu, parcel.price_wan) == (Decimal("8.2500"), Decimal("560.5000"))
    assert (parcel.center_lng, parcel.center_lat) == (Decimal("112.250000"), Decimal("36.150000"))
    assert parcel.planned_method == "construction_started" and parcel.responsible_unit == unit
    assert parcels["XZ-002"].idle_cause == "government" and parcels["XZ-002"].supply_method == "allocation"


def test_the_kind_is_read_from_the_header_when_not_given(anze):
    result, parcels = imported(ledger_bytes("idle", [idle_row("K1")]), anze, kind=None)
    assert result.kind == "idle" and parcels["K1"].kind == "idle"


# --- every kind of bad row, all listed, nothing written ------------------------------------------------


def test_every_bad_row_is_listed_by_excel_row_and_column_and_nothing_is_written(anze, clerk_anze):
    unit = UnitFactory(region=anze, name="安泽县自然资源局")
    IdleParcelFactory(county=anze, code="IDLE-1")
    disposed = ParcelFactory(county=anze, code="P-DISPOSED", area_mu=Decimal("10.0000"))
    DisposalFactory(parcel=disposed, area_mu=Decimal("6.0000"), date=datetime.date(2022, 6, 1))
    rows = [
        unsupplied_row("OK-1", 责任单位=unit.name),  # row 3: good
        unsupplied_row("B-01", 项目名称=None),  # 4
        unsupplied_row("B-02", 批准时间="2021-02-30"),  # 5
        unsupplied_row("B-03", 批准时间="去年三月"),  # 6
        unsupplied_row("B-04", 批准时间=datetime.date(2999, 1, 1)),  # 7
        unsupplied_row("B-05", **{"未供面积（亩）": "十二亩"}),  # 8
        unsupplied_row("B-06", **{"未供面积（亩）": 0}),  # 9
        unsupplied_row("B-07", **{"未供面积（亩）": 1.23456}),  # 10
        unsupplied_row("B-08", 未供原因="没人要"),  # 11
        unsupplied_row("B-09", **{"乡镇（园区）": "昌宁镇"}),  # 12: a town of 乡宁县
        unsupplied_row("B-10", 责任单位="不存在的局"),  # 13
        unsupplied_row("B-11", **{"县（市、区）代码": "141029"}),  # 14: another county's row
        unsupplied_row("OK-1"),  # 15: the same code again
        unsupplied_row("IDLE-1"),  # 16: the code of an idle parcel
        unsupplied_row("B-12", 拟处置方式="动工开发"),  # 17: a method of idle land
        unsupplied_row("B-13", 中心点经度=112.3),  # 18: longitude without latitude
        unsupplied_row("B-14", 中心点经度=200, 中心点纬度=36),  # 19
        unsupplied_row("B-15", 项目名称="地" * 201),  # 20
        unsupplied_row("P-DISPOSED", **{"未供面积（亩）": 5}),  # 21: below its 6 亩 disposed of
        unsupplied_row("B-16", 批准时间=datetime.date(1900, 1, 1)),  # 22
        unsupplied_row("B-17", 征收情况=None, 批准文号=" "),  # 23: two required cells left empty
    ]
    content = ledger_bytes("unsupplied", rows, title="安泽县批而未供台账")
    before = database_snapshot()
    result = run(content, anze, clerk_anze)
    assert database_snapshot() == before
    assert not result.ok and [row.code for row in result.rows] == ["OK-1"]
    found = {(row, column): message for row, column, message in errors_of(result)}
    expected = {
        (4, "项目名称*"): "“项目名称”必须填写。",
        (5, "批准时间*"): "日期“2021-02-30”不存在。",
        (6, "批准时间*"): "无法识别的日期“去年三月”",
        (7, "批准时间*"): "批准时间不能晚于今天。",
        (8, "未供面积（亩）*"): "“十二亩”不是数字。",
        (9, "未供面积（亩）*"): "面积必须大于 0 亩。",
        (10, "未供面积（亩）*"): "最多保留 4 位小数",
        (11, "未供原因*"): "“没人要”不是可选的未供原因；可填：规划调整、征地拆迁未完成",
        (12, "乡镇（园区）"): "安泽县没有名称或代码为“昌宁镇”的乡镇（园区）。",
        (13, "责任单位"): "没有名称为“不存在的局”的责任单位",
        (14, "县（市、区）代码"): "该行的县（市、区）代码“141029”不是本次导入的安泽县（141026）",
        (15, "地块编号*"): "地块编号“OK-1”与第 3 行重复。",
        (16, "地块编号*"): "本县已有地块编号为“IDLE-1”的闲置土地地块，不能在批而未供台账中导入。",
        (17, "拟处置方式"): "“动工开发”不是批而未供的处置方式。",
        (18, "中心点纬度"): "中心点经度和纬度应同时填写。",
        (19, "中心点经度"): "经度应在 73 至 136 度之间。",
        (20, "项目名称*"): "200",
        (21, "未供面积（亩）*"): "面积不能小于已处置面积 6.0000 亩。",
        (22, "批准时间*"): "日期不应早于 1949年10月1日",
        (23, "批准文号*"): "“批准文号”必须填写。",
        (23, "征收情况*"): "“征收情况”必须填写。",
    }
    assert set(found) == set(expected), sorted(set(found) ^ set(expected))
    for key, fragment in expected.items():
        assert fragment in found[key], (key, found[key])
    # Listed in the order of the file, row by row.
    assert [error.row for error in result.errors] == sorted(error.row for error in result.errors)


def test_a_file_that_is_not_excel_is_refused_as_a_whole(anze):
    for content, fragment in [
        (b"\xe5\x9c\xb0\xe5\x9d\x97,\xe9\x9d\xa2\xe7\xa7\xaf\n1,2\n", "不是有效的 Excel 工作簿"),  # a CSV
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600, "旧版 Excel（.xls）"),
        (b"PK\x03\x04 broken zip", "不是有效的 Excel 工作簿"),
        (b"", "文件是空的"),
    ]:
        result = run(content, anze)
        assert result.file_refused and fragment in result.errors[0].message, (content[:10], errors_of(result))
        assert result.errors[0].row is None and result.errors[0].column is None


def test_a_zip_that_is_not_a_workbook_is_refused(anze):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("readme.txt", "not a workbook")
    result = run(buffer.getvalue(), anze)
    assert result.file_refused and "不是有效的 Excel 工作簿" in result.errors[0].message


def test_a_file_over_the_size_limit_is_refused_and_the_limit_is_named(anze):
    content = b"PK" + b"\0" * (10 * 1024 * 1024)  # 10 MB and 2 bytes
    result = run(content, anze)
    assert result.file_refused
    assert "超过 10 MB 的上限" in result.errors[0].message


def test_a_ledger_longer_than_the_row_limit_is_refused(anze, monkeypatch):
    monkeypatch.setattr(ledger, "MAX_ROWS", 3)
    content = ledger_bytes("unsupplied", [unsupplied_row(f"L{index}") for index in range(4)])
    result = run(content, anze)
    assert result.file_refused and "台账超过 3 行的上限" in result.errors[0].message
    assert not Parcel.objects.exists()


def test_a_workbook_without_the_ledger_header_names_the_headers_it_needs(anze):
    workbook = Workbook()
    workbook.active.append(["序号", "名称", "面积"])
    workbook.active.append([1, "某地块", 3])
    result = run(workbook_bytes(workbook), anze)
    assert result.file_refused
    assert "没有找到批而未供台账的表头行" in result.errors[0].message
    assert "地块编号*、项目名称*" in result.errors[0].message


def test_a_header_missing_a_required_column_is_named(anze):
    headers = [header for header in UNSUPPLIED_HEADERS if header != "未供原因*"]
    result = run(ledger_bytes("unsupplied", [unsupplied_row("X1")], headers=headers), anze)
    assert result.file_refused
    assert result.errors[0].message == "工作表“批而未供”第 1 行的表头缺少必填列：未供原因*。"


def test_a_header_written_twice_is_refused(anze):
    headers = [*UNSUPPLIED_HEADERS, "备注"]
    result = run(ledger_bytes("unsupplied", [unsupplied_row("X1")], headers=headers), anze)
    assert result.file_refused and "“备注”出现了不止一次" in result.errors[0].message


def test_a_header_without_rows_is_refused(anze):
    result = run(ledger_bytes("unsupplied", []), anze)
    assert result.file_refused and "表头下面没有台账数据" in result.errors[0].message


def test_the_other_kinds_ledger_is_refused_with_its_name(anze):
    result = run(ledger_bytes("idle", [idle_row("K1")]), anze, kind="unsupplied")
    assert result.file_refused
    assert (
        result.errors[0].message == "文件中是闲置土地台账，不是批而未供台账；请选择正确的台账类型后再导入。"
    )


def test_excel_error_values_are_refused_in_their_cell(anze):
    workbook = load_workbook(io.BytesIO(ledger_bytes("unsupplied", [unsupplied_row("E1")])))
    workbook.active["I2"] = "#N/A"  # 未供面积（亩）* of row 2
    workbook.active["I2"].data_type = "e"
    result = run(workbook_bytes(workbook), anze)
    assert errors_of(result) == [(2, "未供面积（亩）*", "单元格是错误值“#N/A”，请填写实际内容。")]


# --- upsert, re-import, history --------------------------------------------------------------------


def test_importing_the_same_file_twice_changes_nothing_the_second_time(anze, clerk_anze):
    content = ledger_bytes(
        "unsupplied", [unsupplied_row("0001"), unsupplied_row("0002", 批准时间="2021年3月5日")]
    )
    first, _ = imported(content, anze, clerk_anze)
    assert (len(first.created), len(first.updated), len(first.unchanged)) == (2, 0, 0)
    before = database_snapshot()
    history = Parcel.history.count()
    second, _ = imported(content, anze, clerk_anze)
    assert (len(second.created), len(second.updated), len(second.unchanged)) == (0, 0, 2)
    assert database_snapshot() == before and Parcel.history.count() == history


def test_a_changed_row_updates_its_parcel_showing_each_change_old_to_new(anze, clerk_anze):
    parcel = ParcelFactory(
        county=anze,
        code="0007",
        name="老名称",
        area_mu=Decimal("12.5000"),
        approval_number="晋政地字〔2020〕15号",
        approval_date=datetime.date(2020, 3, 5),
        unsupplied_reason="no_user",
    )
    DisposalFactory(parcel=parcel, area_mu=Decimal("2.0000"), date=datetime.date(2022, 6, 1))
    parcel.refresh_from_db()
    version = parcel.version
    row = unsupplied_row(
        "0007",
        项目名称="新名称",
        **{"乡镇（园区）": "唐城镇"},
        未供原因="资金不足",
        **{"未供面积（亩）": 13, "批准时间": "2020/3/5"},
    )
    dry = run(ledger_bytes("unsupplied", [row]), anze, clerk_anze, dry_run=True)
    (planned,) = dry.updated
    changes = {header: (old, new) for header, old, new in planned.changes}
    assert changes["项目名称*"] == ("老名称", "新名称")
    assert changes["未供面积（亩）*"] == ("12.50", "13.00")
    assert changes["乡镇（园区）"] == ("", "唐城镇")
    assert changes["未供原因*"] == ("无意向用地单位", "资金不足")
    assert "批准时间*" not in changes  # same date, written differently
    parcel.refresh_from_db()
    assert parcel.name == "老名称"  # a dry run writes nothing

    result, parcels = imported(ledger_bytes("unsupplied", [row]), anze, clerk_anze)
    assert len(result.updated) == 1
    updated = parcels["0007"]
    assert (updated.name, updated.area_mu, updated.town.name) == ("新名称", Decimal("13.0000"), "唐城镇")
    assert updated.disposed_area_mu == Decimal("2.0000")  # the disposals' figure is kept
    assert updated.version == version + 1
    record = updated.history.order_by("-history_date", "-history_id").first()
    assert (record.history_type, record.history_user, record.history_change_reason) == (
        "~",
        clerk_anze,
        "Excel 台账导入",
    )
    assert record.name == "新名称"


def test_created_parcels_are_recorded_in_the_history_with_who_and_why(anze, clerk_anze):
    imported(ledger_bytes("unsupplied", [unsupplied_row("N1")]), anze, clerk_anze)
    (record,) = Parcel.history.filter(code="N1")
    assert (record.history_type, record.history_user, record.history_change_reason) == (
        "+",
        clerk_anze,
        "Excel 台账导入",
    )


def test_a_write_conflict_at_the_end_leaves_nothing_written(anze, clerk_anze, monkeypatch):
    write = services.parcel_bulk_save

    def clash(**kwargs):
        write(**kwargs)  # the rows are written, then the database refuses: all of it must go
        raise IntegrityError("duplicate key value violates unique constraint")

    monkeypatch.setattr(services, "parcel_bulk_save", clash)
    before = database_snapshot()
    result = run(ledger_bytes("unsupplied", [unsupplied_row("C1")]), anze, clerk_anze)
    assert result.conflict and "没有导入任何数据" in result.errors[0].message
    assert database_snapshot() == before


def test_an_update_refused_by_a_stale_version_writes_nothing(anze, clerk_anze):
    parcel = ParcelFactory(county=anze, code="V1")
    parcel.name = "改名"
    parcel.version += 5  # what the importer read is no longer what is stored
    with pytest.raises(services.StaleVersion):
        services.parcel_bulk_save(updated=[parcel], fields=["name"], user=clerk_anze)
    parcel.refresh_from_db()
    assert parcel.name != "改名"


# --- export and template ---------------------------------------------------------------------------


def full_ledger(anze):
    """Parcels with every column filled, as the export must write them back."""
    natural = UnitFactory(region=anze, name="安泽县自然资源局")
    town = anze.children.get(name="唐城镇")
    unsupplied = ParcelFactory(
        county=anze,
        code="0001",
        name="唐城镇2018年度第2批次",
        town=town,
        location="唐城镇北",
        approval_number="晋政地字〔2018〕7号",
        approval_date=datetime.date(2018, 8, 8),
        batch_name="2018年度第2批次",
        area_mu=Decimal("15.1234"),
        expropriation_status="partial",
        current_use="耕种",
        unsupplied_reason="site_not_ready",
        planned_method="approval_adjusted",
        planned_date=datetime.date(2023, 8, 31),
        responsible_unit=natural,
        center_lng=Decimal("112.251234"),
        center_lat=Decimal("36.150000"),
        note="=SUM(A1:A9) 不是公式",
    )
    DisposalFactory(
        parcel=unsupplied,
        method="approval_adjusted",
        area_mu=Decimal("5.0000"),
        date=datetime.date(2023, 3, 1),
    )
    ParcelFactory(county=anze, code="0002", area_mu=Decimal("3.3000"))
    IdleParcelFactory(
        county=anze,
        code="00XZ1",
        supervision_number="1410262019B00123",
        contract_number="安泽出让〔2019〕8号",
        name="府城镇商住综合体",
        land_user="山西某某置业有限公司",
        area_mu=Decimal("7.6500"),
        price_wan=Decimal("1280.5500"),
        land_use="商服用地",
        idle_cause="government",
        not_started_reason="规划调整",
        planned_method="use_adjusted",
    )


def test_an_exported_ledger_has_the_import_headers_and_re_imports_unchanged(anze, clerk_anze):
    full_ledger(anze)
    buffer = io.BytesIO()
    parcels = Parcel.objects.select_related("county", "town", "responsible_unit").order_by("code")
    ledger.write_ledger(buffer, [(kind, parcels.filter(kind=kind)) for kind in ("unsupplied", "idle")])
    sheets = read_back(buffer.getvalue())
    assert list(sheets) == ["批而未供", "闲置土地"]
    assert sheets["批而未供"][0] == UNSUPPLIED_HEADERS and sheets["闲置土地"][0] == IDLE_HEADERS
    first = dict(zip(UNSUPPLIED_HEADERS, sheets["批而未供"][1], strict=True))
    assert first["地块编号*"] == "0001" and first["县（市、区）代码"] == "141026"
    assert first["未供面积（亩）*"] == pytest.approx(15.1234)
    assert (first["征收情况*"], first["未供原因*"], first["拟处置方式"]) == (
        "部分完成",
        "不具备净地/通平条件",
        "调整/核减批文",
    )
    assert (first["乡镇（园区）"], first["责任单位"]) == ("唐城镇", "安泽县自然资源局")
    assert first["备注"] == "=SUM(A1:A9) 不是公式"  # written as text, never as a formula
    for kind in ("unsupplied", "idle"):
        result = run(buffer.getvalue(), anze, clerk_anze, kind=kind)
        assert result.ok and result.created == [] and result.updated == [], errors_of(result)
        assert len(result.unchanged) == Parcel.objects.filter(kind=kind).count()


def test_the_exported_cells_keep_codes_as_text_and_areas_as_numbers(anze):
    full_ledger(anze)
    buffer = io.BytesIO()
    ledger.write_ledger(buffer, [("unsupplied", Parcel.objects.filter(kind="unsupplied").order_by("code"))])
    sheet = load_workbook(io.BytesIO(buffer.getvalue())).active
    assert sheet.freeze_panes == "C2"
    code, area, date = sheet["B2"], sheet["I2"], sheet["G2"]
    assert (code.data_type, code.value, code.number_format) == ("s", "0001", "@")
    assert (area.data_type, area.number_format) == ("n", "0.00")
    assert date.is_date and date.value.date() == datetime.date(2018, 8, 8)
    # the sheet's size is written ahead of its rows, as Excel writes it
    assert (
        load_workbook(io.BytesIO(buffer.getvalue()), read_only=True).active.calculate_dimension() == "A1:R3"
    )


def test_the_template_offers_drop_down_lists_on_its_choice_columns(anze):
    buffer = io.BytesIO()
    towns, units = ledger.county_choices(anze)
    ledger.write_template(buffer, ["unsupplied", "idle"], towns=towns, units=units)
    workbook = load_workbook(io.BytesIO(buffer.getvalue()))
    assert workbook.sheetnames == ["批而未供", "闲置土地", "选项", "填表说明"]
    assert workbook["选项"].sheet_state == "hidden"
    for kind, title in (("unsupplied", "批而未供"), ("idle", "闲置土地")):
        sheet = workbook[title]
        assert [cell.value for cell in sheet[1]] == HEADERS[kind]
        lists = {
            str(validation.sqref).split(":")[0]: validation.formula1
            for validation in sheet.data_validations.dataValidation
        }
        columns = {header: chr(ord("A") + index) for index, header in enumerate(HEADERS[kind])}
        if kind == "unsupplied":
            assert lists[columns["征收情况*"] + "2"] == '"已完成,部分完成,未实施"'
            assert lists[columns["未供原因*"] + "2"] == (
                '"规划调整,征地拆迁未完成,不具备净地/通平条件,无意向用地单位,资金不足,涉法涉诉,已建成未供即用,其他"'
            )
            assert (
                lists[columns["拟处置方式"] + "2"]
                == '"出让供应,划拨供应,租赁供应,完善用地手续,撤回批文,调整/核减批文"'
            )
        else:
            assert lists[columns["供地方式*"] + "2"] == '"出让,划拨,租赁"'
            assert lists[columns["闲置原因类别*"] + "2"] == '"政府原因,企业原因"'
        assert lists[columns["乡镇（园区）"] + "2"] == "'选项'!$A$2:$A$7"  # the six towns of 安泽县
    assert [row[0] for row in workbook["选项"].iter_rows(min_row=2, values_only=True)] == [
        "府城镇",
        "和川镇",
        "唐城镇",
        "冀氏镇",
        "良马镇",
        "马壁镇",
    ]


def test_a_filled_in_template_imports(anze):
    buffer = io.BytesIO()
    ledger.write_template(buffer, ["idle"])
    workbook = load_workbook(io.BytesIO(buffer.getvalue()))
    row = idle_row("TPL-1")
    workbook["闲置土地"].append([row[header.rstrip("*")] for header in IDLE_HEADERS])
    _, parcels = imported(workbook_bytes(workbook), anze, kind="idle")
    assert parcels["TPL-1"].kind == "idle"


# --- no per-row queries ----------------------------------------------------------------------------


def ledger_of(count, *, start=0):
    return ledger_bytes(
        "unsupplied", [unsupplied_row(f"Q{index:04d}") for index in range(start, start + count)]
    )


@pytest.mark.parametrize("rows", [3, 40])
def test_a_dry_run_costs_the_same_queries_however_many_rows(
    anze, clerk_anze, django_assert_num_queries, rows
):
    UnitFactory(region=anze)
    imported(ledger_of(rows), anze, clerk_anze)  # every row then exists: the dry run compares them all
    content = ledger_of(rows + 3)
    # parcels, disposals, towns, units (with the user's scope)
    with django_assert_num_queries(4):
        result = run(content, anze, clerk_anze, dry_run=True)
    assert (len(result.created), len(result.unchanged)) == (3, rows)


# Up to 20 rows fit one statement of each kind on both databases (SQLite takes at most 999 parameters
# per statement, about 24 rows of history); longer ledgers add statements per batch, never per row.
@pytest.mark.parametrize("rows", [3, 20])
def test_an_import_costs_the_same_queries_however_many_rows(
    anze, clerk_anze, django_assert_num_queries, rows
):
    imported(ledger_of(rows), anze, clerk_anze)
    changed = ledger_bytes(
        "unsupplied",
        [unsupplied_row(f"Q{index:04d}", 备注="已核实") for index in range(rows)]
        + [unsupplied_row(f"Q{index:04d}") for index in range(rows, rows + 3)],
    )
    # savepoint, lock the county, parcels (locked), disposals, towns, units; savepoint, lock and check the
    # updated rows' versions, UPDATE, history INSERT (updated), INSERT, history INSERT (created), the
    # county's parcel count (parcels.rollup); 2 releases.
    with django_assert_num_queries(15):
        result = run(changed, anze, clerk_anze)
    assert (len(result.created), len(result.updated)) == (3, rows)


def test_a_long_ledger_costs_statements_per_batch_of_rows_never_per_row(anze, clerk_anze):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        result = run(ledger_of(300), anze, clerk_anze)
    assert len(result.created) == 300
    # One INSERT per row would be 300 statements and one history INSERT per row 300 more.
    assert len(queries) <= 40, len(queries)
