"""Ledgers as county clerks fill them in, built with openpyxl from DOMAIN.md §5's headers alone.

The headers are spelled out here, not taken from ``parcels.ledger``, so that the tests hold the code
to the documented format.
"""

import datetime
import io
from decimal import Decimal

from openpyxl import Workbook, load_workbook

UNSUPPLIED_HEADERS = [
    "县（市、区）代码",
    "地块编号*",
    "项目名称*",
    "乡镇（园区）",
    "坐落",
    "批准文号*",
    "批准时间*",
    "批次名称",
    "未供面积（亩）*",
    "征收情况*",
    "利用现状",
    "未供原因*",
    "拟处置方式",
    "计划完成时间",
    "责任单位",
    "中心点经度",
    "中心点纬度",
    "备注",
]
IDLE_HEADERS = [
    "县（市、区）代码",
    "地块编号*",
    "电子监管号",
    "合同编号",
    "项目名称*",
    "土地使用权人*",
    "乡镇（园区）",
    "坐落",
    "供地方式*",
    "供地时间*",
    "闲置面积（亩）*",
    "价款（万元）",
    "土地用途",
    "约定开工时间*",
    "闲置原因类别*",
    "未开工原因",
    "拟处置方式",
    "计划完成时间",
    "责任单位",
    "中心点经度",
    "中心点纬度",
    "备注",
]
HEADERS = {"unsupplied": UNSUPPLIED_HEADERS, "idle": IDLE_HEADERS}
SHEET_TITLES = {"unsupplied": "批而未供", "idle": "闲置土地"}


def unsupplied_row(code, **values):
    """A complete 批而未供 line of 安泽县; keyword arguments replace cells by header (without the *)."""
    row = {
        "县（市、区）代码": "141026",
        "地块编号": code,
        "项目名称": f"安泽县{code}号地块",
        "乡镇（园区）": "府城镇",
        "坐落": "府城镇东村",
        "批准文号": "晋政地字〔2020〕15号",
        "批准时间": datetime.date(2020, 3, 5),
        "批次名称": "安泽县2020年度第一批次城镇建设用地",
        "未供面积（亩）": 12.5,
        "征收情况": "已完成",
        "利用现状": "空地",
        "未供原因": "无意向用地单位",
        "拟处置方式": "出让供应",
        "计划完成时间": datetime.date(2023, 9, 30),
        "责任单位": None,
        "中心点经度": None,
        "中心点纬度": None,
        "备注": None,
    }
    row.update(values)
    return row


def idle_row(code, **values):
    """A complete 闲置土地 line of 安泽县."""
    row = {
        "县（市、区）代码": "141026",
        "地块编号": code,
        "电子监管号": "1410262019B00123",
        "合同编号": "安泽出让〔2019〕8号",
        "项目名称": f"闲置地块{code}",
        "土地使用权人": "山西某某置业有限公司",
        "乡镇（园区）": "唐城镇",
        "坐落": "唐城镇西街",
        "供地方式": "出让",
        "供地时间": datetime.date(2019, 5, 10),
        "闲置面积（亩）": 8.25,
        "价款（万元）": 560.5,
        "土地用途": "商服用地",
        "约定开工时间": datetime.date(2019, 11, 10),
        "闲置原因类别": "企业原因",
        "未开工原因": "企业资金链断裂",
        "拟处置方式": "动工开发",
        "计划完成时间": datetime.date(2023, 11, 30),
        "责任单位": None,
        "中心点经度": None,
        "中心点纬度": None,
        "备注": None,
    }
    row.update(values)
    return row


def ledger_bytes(kind, rows, *, title=None, headers=None, number_formats=None, sheet_title=None):
    """An .xlsx file holding one ledger sheet: an optional title row, the header row, then ``rows``.

    ``rows`` are dicts by header (with or without the *); ``number_formats`` maps a header to the
    number format its data cells get (e.g. "000000" for a code typed as a number).
    """
    headers = headers or HEADERS[kind]
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = sheet_title or SHEET_TITLES[kind]
    if title:
        sheet.append([title])
    sheet.append(headers)
    for row in rows:
        values = []
        for header in headers:
            key = header.rstrip("*")
            value = row.get(key, row.get(header))
            if isinstance(value, Decimal):
                value = float(value)
            values.append(value)
        sheet.append(values)
        if number_formats:
            for index, header in enumerate(headers, 1):
                number_format = number_formats.get(header.rstrip("*"))
                if number_format:
                    sheet.cell(row=sheet.max_row, column=index).number_format = number_format
    return workbook_bytes(workbook)


def workbook_bytes(workbook):
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def upload(content, name="台账.xlsx"):
    """An uploaded file as a view receives it."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(
        name, content, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )


def read_back(content):
    """Every sheet of an .xlsx file as {title: [row values]}."""
    workbook = load_workbook(io.BytesIO(content))
    return {sheet.title: [list(row) for row in sheet.iter_rows(values_only=True)] for sheet in workbook}
