"""The Excel ledger (台账, DOMAIN.md §5): its columns, how counties' cells are read, import and export.

The admin's upload → preview → confirm and the REST API's ``/parcels/import/``, ``/parcels/export/`` and
``/parcels/import-template/`` all call this module, so the ledger's rules exist once.

Import is all or nothing. Every row passes through ``Parcel.full_clean()``, so the importer refuses
exactly what the admin and the API refuse; only the two questions ``Parcel.clean()`` would put to the
database for each row (is the code taken, what do the disposals pin down) are answered from the county's
data loaded once. A file of any length therefore costs the same few reads, then one batched write that
also records the change history. Export streams rows into an openpyxl write-only workbook, so memory
stays bounded however long the ledger is.
"""

import datetime
import io
import math
import re
import tempfile
import unicodedata
import warnings
import zipfile
from dataclasses import dataclass, field
from decimal import Context, Decimal, DecimalException, InvalidOperation

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Min, Q, Sum
from django.http import FileResponse
from django.utils import translation
from openpyxl import Workbook, load_workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter, quote_sheetname, range_boundaries
from openpyxl.utils.cell import coordinate_to_tuple
from openpyxl.utils.datetime import from_excel
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.xml.functions import iterparse

from landtrack.services import StaleVersion
from landtrack.validation import exact_area
from leadership.choices import SUBCOUNTY_LEVELS
from leadership.models import Region, Unit

from . import services
from .choices import (
    METHODS_BY_KIND,
    DisposalMethod,
    ExpropriationStatus,
    IdleCause,
    ParcelKind,
    SupplyMethod,
    UnsuppliedReason,
)
from .models import Disposal, Parcel, disposals_outside_article_12

__all__ = [
    "XLSX_CONTENT_TYPE",
    "MAX_FILE_BYTES",
    "open_xlsx",
    "MAX_ROWS",
    "COLUMNS",
    "Column",
    "LedgerFileError",
    "LedgerError",
    "LedgerRow",
    "ImportResult",
    "read_ledger",
    "ledger_import",
    "upload_too_large",
    "write_ledger",
    "write_template",
    "template_notes",
    "county_choices",
    "xlsx_response",
]

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# What a county's ledger may weigh: a ledger of 20,000 parcels is about 3 MB.
MAX_FILE_BYTES = 10 * 1024 * 1024
MAX_FILE_LABEL = "10 MB"
MAX_ROWS = 20_000
# A zip of 10 MB may unpack to far more (a "zip bomb"); a real ledger of MAX_ROWS stays well below this.
MAX_UNPACKED_BYTES = 200 * 1024 * 1024
# How far down a sheet its header row is looked for: ledgers often carry a title and notes above it.
HEADER_SEARCH_ROWS = 20
# The rows of a written ledger that carry the drop-down lists.
VALIDATED_ROWS = MAX_ROWS + 1

CREATED, UPDATED, UNCHANGED = "created", "updated", "unchanged"
ACTION_LABELS = {CREATED: "新增", UPDATED: "更新", UNCHANGED: "未变"}

NOT_XLSX = (
    "文件不是有效的 Excel 工作簿（.xlsx），请在 Excel 或 WPS 中“另存为”Excel 工作簿（*.xlsx）后再导入。"
)


class LedgerFileError(Exception):
    """A file refused as a whole (not Excel, too large, no ledger in it); the message is for the user."""


class CellProblem(Exception):
    """A cell that cannot be read as its column requires; the message is for the user."""


@dataclass(frozen=True)
class Column:
    """One column of a ledger: its header exactly as DOMAIN.md §5 writes it, and the field it fills."""

    header: str  # "*" at the end marks a required column
    field: str
    reader: str  # county, code, docno, text, date, area, decimal, choice, town, unit
    choices: type | None = None
    places: int = 4
    width: int = 14

    @property
    def required(self):
        return self.header.endswith("*")

    @property
    def label(self):
        return self.header.rstrip("*")


def _common_tail():
    return (
        Column("拟处置方式", "planned_method", "choice", DisposalMethod, width=16),
        Column("计划完成时间", "planned_date", "date", width=13),
        Column("责任单位", "responsible_unit", "unit", width=22),
        Column("中心点经度", "center_lng", "decimal", places=6, width=12),
        Column("中心点纬度", "center_lat", "decimal", places=6, width=12),
        Column("备注", "note", "text", width=30),
    )


COLUMNS = {
    ParcelKind.UNSUPPLIED: (
        Column("县（市、区）代码", "county", "county", width=10),
        Column("地块编号*", "code", "code", width=16),
        Column("项目名称*", "name", "text", width=36),
        Column("乡镇（园区）", "town", "town", width=18),
        Column("坐落", "location", "text", width=24),
        Column("批准文号*", "approval_number", "docno", width=22),
        Column("批准时间*", "approval_date", "date", width=13),
        Column("批次名称", "batch_name", "text", width=28),
        Column("未供面积（亩）*", "area_mu", "area", width=12),
        Column("征收情况*", "expropriation_status", "choice", ExpropriationStatus, width=11),
        Column("利用现状", "current_use", "text", width=18),
        Column("未供原因*", "unsupplied_reason", "choice", UnsuppliedReason, width=18),
        *_common_tail(),
    ),
    ParcelKind.IDLE: (
        Column("县（市、区）代码", "county", "county", width=10),
        Column("地块编号*", "code", "code", width=16),
        Column("电子监管号", "supervision_number", "code", width=20),
        Column("合同编号", "contract_number", "docno", width=18),
        Column("项目名称*", "name", "text", width=32),
        Column("土地使用权人*", "land_user", "text", width=24),
        Column("乡镇（园区）", "town", "town", width=18),
        Column("坐落", "location", "text", width=24),
        Column("供地方式*", "supply_method", "choice", SupplyMethod, width=10),
        Column("供地时间*", "supply_date", "date", width=13),
        Column("闲置面积（亩）*", "area_mu", "area", width=12),
        Column("价款（万元）", "price_wan", "decimal", places=4, width=12),
        Column("土地用途", "land_use", "text", width=14),
        Column("约定开工时间*", "agreed_start_date", "date", width=13),
        Column("闲置原因类别*", "idle_cause", "choice", IdleCause, width=12),
        Column("未开工原因", "not_started_reason", "text", width=28),
        *_common_tail(),
    ),
}

# Model fields that no ledger column fills, and the column whose cell a refusal about them points at.
RELATED_COLUMN = {
    "kind": "code",
    "county": "county",
    "government_cause": "idle_cause",
    "approving_authority": "approval_number",
}
# Checked by the importer itself against the county's towns and units loaded once: Django's own
# ForeignKey validation would query the database for every row.
PRELOADED_FIELDS = ("county", "town", "responsible_unit")


# ---------------------------------------------------------------------------------------------------
# Reading cells as counties fill them


# Full-width ASCII (ＡＢＣ１２３－／．) and the ideographic space, as their half-width forms.
_HALF_WIDTH_ALL = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}
# Only digits and Latin letters: document numbers keep their full-width brackets (晋政地字（2020）1号).
_HALF_WIDTH_ALNUM = {
    code: code - 0xFEE0 for code in (*range(0xFF10, 0xFF1A), *range(0xFF21, 0xFF3B), *range(0xFF41, 0xFF5B))
} | {0x3000: 0x20}
# The other way: half-width printable ASCII → its full-width form (to find codes stored full-width).
FULL_WIDTH = {half: full for full, half in _HALF_WIDTH_ALL.items() if full != 0x3000}
_INVISIBLE = "\u200b\u200c\u200d\u2060\ufeff"
_SIGNIFICANT = Context(prec=15)  # what Excel keeps of a number: 15 significant digits
_GROUPED = re.compile(r"[+-]?\d{1,3}(?:,\d{3})+(?:\.\d*)?")
# Excel keeps 15 significant digits of a number: a longer code typed as one has lost the rest.
LARGEST_EXACT = 10**15

_DATE_FORMS = (
    re.compile(
        r"(\d{4})\s*[-/.]\s*(\d{1,2})\s*[-/.]\s*(\d{1,2})(?:[ T]+\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?"
    ),
    re.compile(
        r"(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*[日号]?(?:\s*\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?"
    ),
    re.compile(r"(\d{4})(\d{2})(\d{2})"),
)
# Excel serial day numbers from 1 (1900-01-01) to 9999-12-31.
_EXCEL_SERIALS = range(1, 2958466)


class CellErrorValue(str):
    """An Excel error value (#N/A, #REF!, #VALUE! …) read from a cell."""


# Excel's escape of a character XML cannot hold as it is (ECMA-376 ST_Xstring): a control character, as
# _x000D_ for a carriage return. Only those are decoded: a printable one (_x0041_) is never Excel's own
# escape, but text a user typed — as an exported ledger may hold it — and it re-imports as it was.
_CONTROL_ESCAPE = re.compile(r"_x(00[01][0-9A-Fa-f])_")


def cell_value(cell):
    """A cell's value, an Excel error (#N/A …) marked as one: openpyxl gives it as its bare text.

    Text comes with Excel's escapes of control characters decoded (_x000D_ for a carriage return), which
    openpyxl leaves in; its line breaks become line feeds, as XML makes every line break it holds unescaped.
    Text typed as "_x000D_" itself cannot be told from the escape (openpyxl reads both alike): it is read
    as the escape.
    """
    if cell.data_type == "e":
        return CellErrorValue(cell.value)
    if isinstance(cell.value, str):
        text = _CONTROL_ESCAPE.sub(lambda match: chr(int(match.group(1), 16)), cell.value)
        return text.replace("\r\n", "\n").replace("\r", "\n")
    return cell.value


def refuse_error_value(value):
    """CellProblem for an Excel error value: it holds no content, whatever its text; and for a cell whose
    content the reading could not tell (:class:`UnreadableCell`)."""
    if isinstance(value, CellErrorValue):
        raise CellProblem(f"单元格是错误值“{value}”，请填写实际内容。")
    if isinstance(value, UnreadableCell):
        raise CellProblem(value.message)


@dataclass(frozen=True)
class UnreadableCell:
    """A cell that a read-only, data-only reading gives as empty though it is not: a part of a merged range
    below its first cell (Excel shows the first cell's value there), or a formula saved without its result
    (a file written by a program, not saved by Excel or WPS)."""

    message: str


FORMULA_WITHOUT_RESULT = UnreadableCell(
    "单元格是公式，但文件中没有保存它的计算结果（文件不是由 Excel 或 WPS 保存的）；"
    "请在 Excel 或 WPS 中打开并保存后再导入，或改为填写数值。"
)


def unreadable_cells(sheet, header_row, columns):
    """{(row, column): what to read instead} for a read-only sheet's cells below its header row, in the
    given (1-based) columns.

    An :class:`UnreadableCell` for a cell that openpyxl's read-only, data-only reading gives as empty though
    Excel shows a value there or hides one: the cells of a merge over several rows (its value belongs to no
    one row), the columns a merge within one row spreads its first cell over, and formulas without a saved
    result. None (empty) for every cell of a row that holds no ledger line: the rows a header cell is merged
    down over (a tall header), and a line merged across all the columns (a caption, the 填表人/审核人
    signature). Read from the sheet's XML, which is parsed only when it holds merges or formulas (most
    ledgers hold neither).
    """
    # The rows an import reads are at most MAX_ROWS and their blank padding; a merge reaching past them is cut.
    first_row, last_row = header_row + 1, header_row + 10 * MAX_ROWS
    get_source = getattr(sheet, "_get_source", None)
    if get_source is None:
        return {}
    with get_source() as stream:
        data = stream.read()
    if b"mergeCell" not in data and not re.search(rb"<(?:\w+:)?f[\s>/]", data):
        return {}
    wanted = set(columns)
    marks = {}
    merges = []  # (reference, first column, first row, last row, the wanted columns it covers)
    for _, element in iterparse(io.BytesIO(data)):
        tag = element.tag.rpartition("}")[2]
        if tag == "c":
            children = {child.tag.rpartition("}")[2]: child for child in element}
            reference = element.get("r")
            # No result: no <v>, or an empty one (openpyxl writes <v />). Excel saves a formula whose result
            # is the empty text as t="str" with an empty <v></v>: that is a result.
            value = children.get("v")
            saved = value is not None and (value.text or element.get("t") == "str")
            if "f" in children and not saved and reference:
                row, column = coordinate_to_tuple(reference)
                if first_row <= row <= last_row and column in wanted:
                    marks[row, column] = FORMULA_WITHOUT_RESULT
            element.clear()
        elif tag == "mergeCell" and element.get("ref"):
            reference = element.get("ref")
            low_column, low_row, high_column, high_row = range_boundaries(reference)
            covered = wanted.intersection(range(low_column, high_column + 1))
            if covered:
                merges.append((reference, low_column, low_row, high_row, covered))
    header_end = max(
        (high_row for _, _, low_row, high_row, _ in merges if low_row <= header_row <= high_row),
        default=header_row,
    )
    not_lines = set(range(first_row, min(header_end, last_row) + 1))
    spread = {}  # row → the columns that merges within that row cover
    for reference, low_column, low_row, high_row, covered in merges:
        rows = range(max(low_row, header_end + 1), min(high_row, last_row) + 1)
        if covered == wanted:
            not_lines.update(rows)
            continue
        if low_row == high_row:
            # The first cell's value is its own column's; the other columns it spreads over are hidden.
            if low_row in rows:
                spread.setdefault(low_row, set()).update(covered)
            hidden = covered - {low_column}
            mark = UnreadableCell(
                f"单元格属于合并单元格 {reference}，Excel 只在其第一格保存内容；请取消合并，在每一列分别填写后再导入。"
            )
        else:
            hidden = covered
            mark = UnreadableCell(
                f"单元格属于合并单元格 {reference}，Excel 只在其第一格保存内容；请取消合并，在每一行填写后再导入。"
            )
        for column in hidden:
            for row in rows:
                marks[row, column] = mark
    not_lines.update(row for row, covered in spread.items() if covered == wanted)
    for row in not_lines:
        for column in wanted:
            marks[row, column] = None
    return marks


def _shorten(text, limit=30):
    text = str(text)
    return text if len(text) <= limit else text[:limit] + "…"


def _strip(text):
    return text.strip().strip(_INVISIBLE).strip()


def _number_text(value):
    """A number from a cell as Excel shows it: 12 not 12.0, 12.3 not 12.300000000000001."""
    if isinstance(value, int):
        return str(value)
    if not math.isfinite(value):
        return str(value)
    if value.is_integer() and abs(value) < 1e30:
        # A long code typed as a number: Excel keeps 15 significant digits and shows the rest as zeros.
        return format(Decimal(format(value, ".15g")), "f")
    return format(value, ".15g")


def _as_text(value):
    """Any cell value as text, surrounding spaces (also full-width and invisible ones) dropped."""
    if value is None:
        return ""
    if isinstance(value, str):
        return _strip(value)
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, (int, float)):
        return _number_text(value)
    if isinstance(value, datetime.datetime):
        return value.date().isoformat() if value.time() == datetime.time() else value.isoformat(" ")
    if isinstance(value, datetime.date):
        return value.isoformat()
    return _strip(str(value))


def _half_width(text, table=_HALF_WIDTH_ALL):
    return _strip(text.translate(table))


def _key(text):
    """How labels and names are matched: NFKC (全角 → 半角), no spaces."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text)).strip(_INVISIBLE)


def code_key(code):
    """The form under which ledger codes are compared: half-width, trimmed."""
    return _half_width(code)


def _same_code(stored, read, reader):
    """Whether a stored code or document number is the one a cell reads (as the column's reader reads)."""
    table = _HALF_WIDTH_ALNUM if reader == "docno" else _HALF_WIDTH_ALL
    return _half_width(_as_text(stored or ""), table) == (read or "")


def read_date(value):
    """An Excel date, or text as 2021-03-05, 2021/3/5, 2021.3.5, 2021年3月5日 or 20210305."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if math.isfinite(value) and abs(value) < 1e9:
            number = int(value)  # a serial with a time of day: the day
            if 10000101 <= number <= 99991231:
                return read_date(str(number))
            if number in _EXCEL_SERIALS:
                return from_excel(number).date()
        raise CellProblem(
            f"无法识别的日期“{_shorten(_as_text(value))}”；请填写如 2021-03-05、2021/3/5 或 2021年3月5日 的日期。"
        )
    text = _half_width(_as_text(value))
    if not text:
        return None
    for form in _DATE_FORMS:
        match = form.fullmatch(text)
        if match:
            year, month, day = (int(part) for part in match.groups())
            try:
                return datetime.date(year, month, day)
            except ValueError:
                raise CellProblem(f"日期“{_shorten(text)}”不存在。") from None
    raise CellProblem(
        f"无法识别的日期“{_shorten(text)}”；请填写如 2021-03-05、2021/3/5 或 2021年3月5日 的日期。"
    )


def read_decimal(value, places, *, suffixes=()):
    """A number held exactly: floats as Excel keeps them (15 significant digits), at most ``places`` decimals."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise CellProblem("请填写数字。")
    if isinstance(value, int):
        number = Decimal(value)
    elif isinstance(value, float):
        if not math.isfinite(value):
            raise CellProblem("请填写数字。")
        number = Decimal(format(value, ".15g"))
    elif isinstance(value, str):
        text = _half_width(value)
        for suffix in suffixes:
            text = text.removesuffix(suffix).strip()
        if not text:
            return None
        if "," in text:
            # Thousands separators (12,345.5; 全角 12，345.5) only: "12,5" is not 125.
            if not _GROUPED.fullmatch(text):
                raise CellProblem(f"“{_shorten(value)}”不是数字。")
            text = text.replace(",", "")
        try:
            number = Decimal(text)
        except InvalidOperation:
            raise CellProblem(f"“{_shorten(value)}”不是数字。") from None
        if not number.is_finite():
            raise CellProblem(f"“{_shorten(value)}”不是数字。")
        if len(number.as_tuple().digits) > 15:
            # Text pasted from a float (12.300000000000001) carries the float's noise: read it as Excel would.
            try:
                number = _SIGNIFICANT.create_decimal(number)
            except DecimalException:  # beyond any number Excel holds (1234567890123456e999999)
                raise CellProblem(f"“{_shorten(value)}”超出了可以填写的数值范围。") from None
    else:
        raise CellProblem("请填写数字。")
    sign, digits, exponent = number.as_tuple()
    while exponent < 0 and len(digits) > 1 and digits[-1] == 0:
        digits, exponent = digits[:-1], exponent + 1
    if exponent < -places:
        raise CellProblem(f"最多保留 {places} 位小数，“{_shorten(_as_text(value))}”有 {-exponent} 位。")
    return Decimal((sign, digits, exponent))


def _choice_lookup(choices):
    lookup = {}
    for value, label in choices.choices:
        lookup[_key(str(label))] = value
        lookup[_key(value)] = value
    return lookup


_CHOICE_LOOKUPS = {
    choices: _choice_lookup(choices)
    for choices in (ExpropriationStatus, UnsuppliedReason, SupplyMethod, IdleCause, DisposalMethod)
}


def choice_labels(column, kind):
    """The labels a choice column offers, in order: a disposal method only where it fits the kind."""
    if column.choices is DisposalMethod:
        return [DisposalMethod(method).label for method in METHODS_BY_KIND[kind]]
    return [str(label) for label in column.choices.labels]


# ---------------------------------------------------------------------------------------------------
# Reading a workbook


@dataclass
class LedgerSheet:
    """The ledger rows of one sheet: each Excel row number with its cells, in ``columns`` order."""

    kind: str
    title: str
    header_row: int
    columns: tuple  # the Column objects present in the file, in COLUMNS order
    rows: list  # [(excel row number, (raw value per column))]


def _file_size(source):
    size = getattr(source, "size", None)
    if size is None:
        position = source.tell()
        source.seek(0, 2)
        size = source.tell()
        source.seek(position)
    return size


def _header_key(value):
    if not isinstance(value, str):
        return None
    return _key(value).strip("*")  # the required mark, before the name (*地块编号) or after it


def _header_positions(values, kind):
    """The 0-based position of each of the kind's columns found in a row, and headers written twice."""
    wanted = {_key(column.label): column for column in COLUMNS[kind]}
    positions, twice = {}, []
    for index, value in enumerate(values):
        column = wanted.get(_header_key(value))
        if column is None:
            continue
        if column in positions:
            twice.append(column.header)
        else:
            positions[column] = index
    return positions, twice


def _is_header(positions, kind):
    columns = COLUMNS[kind]
    code_column = columns[1]
    area_column = next(column for column in columns if column.field == "area_mu")
    return code_column in positions and area_column in positions


def _find_header(workbook, kind):
    """[(kind, sheet, header row number, positions, headers twice)] of the ledger to read.

    The header row is the first of a sheet's first rows that has the kind's 地块编号 and area columns.
    With ``kind`` None, the kind is whichever ledger the workbook holds: one entry per kind found, of
    which :func:`_read_rows` keeps the one with rows. Hidden sheets are not read (an old copy kept out of
    sight is not what the clerk sees); two visible sheets of one kind's ledger are refused, naming them,
    rather than one of them read and the other dropped unsaid.
    """
    found = {value: [] for value in ParcelKind.values}
    for sheet in visible_sheets(workbook):
        sheet.reset_dimensions()  # some programs write wrong dimensions; read what is there
        rows = sheet.iter_rows(min_row=1, max_row=HEADER_SEARCH_ROWS, max_col=200, values_only=True)
        for number, values in enumerate(rows, 1):
            hits = []
            for candidate in ParcelKind.values:
                positions, twice = _header_positions(values, candidate)
                if _is_header(positions, candidate):
                    hits.append((candidate, sheet, number, positions, twice))
            if hits:
                for hit in hits:
                    found[hit[0]].append(hit)
                break
    present = [value for value in ParcelKind.values if found[value]]
    if kind is None:
        if not present:
            raise LedgerFileError(
                f"文件中没有找到台账的表头行（应在前 {HEADER_SEARCH_ROWS} 行内）。"
                + "".join(
                    f"{ParcelKind(value).label}台账的表头应为：{'、'.join(c.header for c in COLUMNS[value])}。"
                    for value in ParcelKind.values
                )
            )
        for value in present:
            label = ParcelKind(value).label
            refuse_several_sheets([entry[1] for entry in found[value]], f"{label}台账", LedgerFileError)
        return [found[value][0] for value in present]
    label = ParcelKind(kind).label
    if not found[kind]:
        if present:
            raise LedgerFileError(
                f"文件中是{ParcelKind(present[0]).label}台账，不是{label}台账；请选择正确的台账类型后再导入。"
            )
        headers = "、".join(column.header for column in COLUMNS[kind])
        raise LedgerFileError(
            f"文件中没有找到{label}台账的表头行（应在前 {HEADER_SEARCH_ROWS} 行内）。表头应为：{headers}。"
        )
    refuse_several_sheets([entry[1] for entry in found[kind]], f"{label}台账", LedgerFileError)
    return [found[kind][0]]


def refuse_several_sheets(sheets, what, error):
    """Raise ``error`` naming the sheets when more than one visible sheet holds the table to import: one of
    them read and the other dropped unsaid would lose rows the user sees."""
    if len(sheets) > 1:
        titles = "、".join(f"“{sheet.title}”" for sheet in sheets)
        raise error(f"文件中有 {len(sheets)} 个{what}工作表（{titles}）；请合并为一个工作表，或分别导入。")


def visible_sheets(workbook):
    """The worksheets a user sees in Excel or WPS: not hidden, not chart sheets."""
    return [
        sheet
        for sheet in workbook.worksheets
        if hasattr(sheet, "iter_rows") and getattr(sheet, "sheet_state", "visible") == "visible"
    ]


_TEXTUAL_READERS = {"county", "code", "docno", "text", "town", "unit"}


def _raw_value(cell, column):
    """A cell's value as read, before its column's rules: Excel errors marked, zero-padded codes kept."""
    value = cell_value(cell)
    if value is None or isinstance(value, CellErrorValue):
        return value
    if (
        column.reader in _TEXTUAL_READERS
        and isinstance(value, (int, float))
        and not isinstance(value, bool)
        and math.isfinite(value)
        and float(value).is_integer()
        and abs(value) < LARGEST_EXACT  # longer, its last digits are lost: the reader refuses it
    ):
        # A code typed as a number in a column formatted "000000" shows its leading zeros: keep them.
        number_format = cell.number_format or ""
        if re.fullmatch(r"0+", number_format):
            return str(int(value)).zfill(len(number_format))
    return value


def _is_blank(value):
    return value is None or (isinstance(value, str) and not _strip(value))


def too_large_message(size):
    return f"文件大小为 {size / 1024 / 1024:.1f} MB，超过 {MAX_FILE_LABEL} 的上限；请删去无关的工作表或拆分后分批导入。"


def upload_too_large(request):
    """The refusal of an upload whose request is already far over the file limit, before reading it."""
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return None
    # The multipart envelope and the other fields add a little to the file itself.
    return too_large_message(length) if length > MAX_FILE_BYTES + 64 * 1024 else None


def open_xlsx(source, error, *, what="台账"):
    """The read-only workbook of an uploaded .xlsx, after checks that keep untrusted bytes harmless.

    Size (at most MAX_FILE_BYTES, not empty), the format (an .xlsx zip, not an old .xls or anything
    else), and the unpacked size (no zip bomb). ``error`` is the exception raised with a Chinese
    message; ``what`` names what the file should have been. The caller closes the workbook.
    """
    size = _file_size(source)
    if size > MAX_FILE_BYTES:
        raise error(too_large_message(size))
    if size == 0:
        raise error("文件是空的。")
    source.seek(0)
    head = source.read(8)
    source.seek(0)
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise error(
            "这是旧版 Excel（.xls）文件或加密的工作簿；请在 Excel 或 WPS 中“另存为”Excel 工作簿（*.xlsx），取消密码后再导入。"
        )
    if not head.startswith(b"PK"):
        raise error(NOT_XLSX)
    try:
        with zipfile.ZipFile(source) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError):
        raise error(NOT_XLSX) from None
    if "[Content_Types].xml" not in {member.filename for member in members}:
        raise error(NOT_XLSX)
    if sum(member.file_size for member in members) > MAX_UNPACKED_BYTES:
        raise error(
            f"文件解压后超过 {MAX_UNPACKED_BYTES // 1024 // 1024} MB，不像是一份{what}；请只保留{what}工作表后再导入。"
        )
    source.seek(0)
    with warnings.catch_warnings():
        # openpyxl warns about features it drops (extensions, styles); none of them matter here.
        warnings.simplefilter("ignore")
        try:
            return load_workbook(source, read_only=True, data_only=True)
        except Exception:  # the parser meets untrusted bytes: whatever it raises, the file is not readable
            raise error(NOT_XLSX) from None


def read_ledger(source, *, kind=None):
    """The rows of the kind's ledger in an uploaded .xlsx file; LedgerFileError when it cannot be read.

    ``kind`` None reads whichever of the two ledgers the file holds.
    """
    workbook = open_xlsx(source, LedgerFileError)
    try:
        return _read_rows(workbook, kind)
    finally:
        workbook.close()


def _read_rows(workbook, kind):
    try:
        found = _find_header(workbook, kind)
    except LedgerFileError:
        raise
    except Exception:  # a malformed sheet: unreadable, not a server error
        raise LedgerFileError(NOT_XLSX) from None
    sheets = [_read_sheet(*entry) for entry in found]
    if len(sheets) > 1:
        # Both kinds' headers, the kind to be read from the file: a sheet holding its header alone (the
        # other sheet of the two-sheet template) is no second ledger.
        sheets = [sheet for sheet in sheets if sheet.rows]
        if len(sheets) != 1:
            raise LedgerFileError("文件中同时有批而未供和闲置土地两种台账；请指定台账类型后分别导入。")
    (sheet,) = sheets
    if not sheet.rows:
        raise LedgerFileError(f"工作表“{sheet.title}”第 {sheet.header_row} 行的表头下面没有台账数据。")
    return sheet


def _read_sheet(kind, sheet, header_row, positions, twice):
    """The kind's ledger rows below the sheet's header row (none for a sheet holding its header alone)."""
    if twice:
        raise LedgerFileError(f"表头中“{'”“'.join(twice)}”出现了不止一次，请删去重复的列。")
    missing = [column.header for column in COLUMNS[kind] if column.required and column not in positions]
    if missing:
        raise LedgerFileError(
            f"工作表“{sheet.title}”第 {header_row} 行的表头缺少必填列：{'、'.join(missing)}。"
        )
    columns = tuple(column for column in COLUMNS[kind] if column in positions)
    indexes = [positions[column] for column in columns]
    # A row that fills in nothing but the county code is padding, not a ledger line.
    content = [i for i, column in enumerate(columns) if column.reader != "county"]
    rows, number = [], header_row
    try:
        marks = unreadable_cells(sheet, header_row, [index + 1 for index in indexes])
        cells = sheet.iter_rows(min_row=header_row + 1, max_col=max(indexes) + 1)
        for number, row in enumerate(cells, header_row + 1):
            if not row:
                continue
            width = len(row)
            raw = tuple(
                _raw_value(row[index], column) if index < width else None
                for column, index in zip(columns, indexes, strict=True)
            )
            if marks:
                raw = tuple(
                    marks.get((number, index + 1), value) for value, index in zip(raw, indexes, strict=True)
                )
            if all(_is_blank(raw[i]) for i in content):
                continue
            if len(rows) >= MAX_ROWS:
                raise LedgerFileError(f"台账超过 {MAX_ROWS} 行的上限；请拆分后分批导入。")
            rows.append((number, raw))
    except LedgerFileError:
        raise
    except Exception:  # a malformed cell (an unreadable number, a broken reference …)
        raise LedgerFileError(
            f"工作表“{sheet.title}”第 {number + 1} 行附近的内容无法读取；{NOT_XLSX}"
        ) from None
    return LedgerSheet(kind=kind, title=sheet.title, header_row=header_row, columns=columns, rows=rows)


# ---------------------------------------------------------------------------------------------------
# Importing


@dataclass(frozen=True)
class LedgerError:
    """One refusal: the Excel row and column header it concerns (None for the file as a whole)."""

    row: int | None
    column: str | None
    message: str

    def as_dict(self):
        return {"row": self.row, "column": self.column, "message": self.message}


@dataclass
class LedgerRow:
    """What importing one ledger row does to its parcel: create it, change it (with each change), or nothing."""

    row: int
    code: str
    name: str
    action: str
    changes: list = field(default_factory=list)  # [(column header, old as shown, new as shown)]
    parcel: Parcel | None = None

    @property
    def action_label(self):
        return ACTION_LABELS[self.action]

    def as_dict(self):
        return {
            "row": self.row,
            "code": self.code,
            "action": self.action,
            "changes": {header: [old, new] for header, old, new in self.changes},
        }


@dataclass
class ImportResult:
    """The outcome of an import or dry run: each row's action, or every refusal and nothing written."""

    kind: str
    county: Region | None
    dry_run: bool
    rows: list = field(default_factory=list)
    errors: list = field(default_factory=list)
    conflict: bool = False  # refused because others changed the ledger meanwhile; nothing written

    @property
    def ok(self):
        return not self.errors

    @property
    def file_refused(self):
        """Whether the file as a whole was refused (not Excel, too large, no header …), not its rows."""
        return bool(self.errors) and all(error.row is None for error in self.errors)

    def of(self, action):
        return [row for row in self.rows if row.action == action]

    @property
    def created(self):
        return self.of(CREATED)

    @property
    def updated(self):
        return self.of(UPDATED)

    @property
    def unchanged(self):
        return self.of(UNCHANGED)

    def summary(self):
        """The REST API's answer: counts, and each created or changed row with its changes."""
        return {
            "dry_run": self.dry_run,
            "created": len(self.created),
            "updated": len(self.updated),
            "unchanged": len(self.unchanged),
            "changes": [row.as_dict() for row in self.rows if row.action != UNCHANGED],
        }


def _shown(value):
    """A stored value as the change list shows it: numbers with at least 2 decimals, dates ISO."""
    if value is None or value == "":
        return ""
    if isinstance(value, Decimal):
        text = f"{value:f}"
        whole, _, decimals = text.partition(".")
        return f"{whole}.{decimals.rstrip('0').ljust(2, '0')}"
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value)


class _County:
    """A county's ledger as stored, loaded once: parcels, the disposals' facts, towns and units."""

    def __init__(self, *, county, kind, user, lock):
        self.county = county
        self.kind = kind
        parcels = Parcel.objects.filter(county=county).order_by()
        if lock:
            # Imports of one county queue here; the parcels stay locked until the import commits.
            list(Region.objects.select_for_update().filter(pk=county.pk).values_list("pk", flat=True))
            parcels = parcels.select_for_update(of=("self",))
        self.parcels = list(parcels)
        self.codes = {parcel.code: parcel.pk for parcel in self.parcels}
        self.by_code = {parcel.code: parcel for parcel in self.parcels}
        self.by_key = {}
        for parcel in self.parcels:
            self.by_key.setdefault(code_key(parcel.code), []).append(parcel)
        self.disposals = {
            row["parcel_id"]: {**row, "disposed": exact_area(row["disposed"])}
            for row in Disposal.objects.filter(parcel__county=county)
            .order_by()
            .values("parcel_id")
            .annotate(disposed=Sum("area_mu"), first=Min("date"), outside_article_12=disposals_outside_article_12())
        }
        for parcel in self.parcels:
            parcel.county = county
            if parcel.pk in self.disposals:
                # What clean() compares a change against: the kind and county as stored, before this import.
                self.disposals[parcel.pk].update(county_id=parcel.county_id, kind=parcel.kind)
        towns = list(Region.objects.filter(parent=county, level__in=SUBCOUNTY_LEVELS))
        self.towns_by_id = {town.pk: town for town in towns}
        self.towns_by_code = {town.code: town for town in towns}
        self.towns_by_name = {_key(town.name): town for town in towns}
        for parcel in self.parcels:
            if parcel.town_id in self.towns_by_id:
                parcel.town = self.towns_by_id[parcel.town_id]
        region_ids = [county.pk] + ([county.parent_id] if county.parent_id else [])
        visible = Unit.objects.visible_to(user) if user is not None else Unit.objects.all()
        units = list(
            Unit.objects.filter(
                Q(pk__in=visible.filter(region_id__in=region_ids).values("pk"))
                # Units already named on the county's parcels, so that an exported ledger re-imports.
                | Q(pk__in=Parcel.objects.filter(county=county).values("responsible_unit_id"))
            ).order_by()
        )
        self.units_by_id = {unit.pk: unit for unit in units}
        self.units_by_name = {}
        for unit in sorted(units, key=lambda unit: unit.region_id != county.pk):
            self.units_by_name.setdefault(_key(unit.name), unit)
        for parcel in self.parcels:
            if parcel.responsible_unit_id in self.units_by_id:
                parcel.responsible_unit = self.units_by_id[parcel.responsible_unit_id]

    def display(self, parcel, column):
        """A parcel's value in a column as the change list shows it (towns and units by name)."""
        if column.reader == "town":
            town = self.towns_by_id.get(parcel.town_id) or (parcel.town if parcel.town_id else None)
            return town.name if town else ""
        if column.reader == "unit":
            unit = self.units_by_id.get(parcel.responsible_unit_id)
            return (
                unit.name
                if unit
                else ("" if parcel.responsible_unit_id is None else str(parcel.responsible_unit_id))
            )
        value = getattr(parcel, column.field)
        if column.reader == "choice":
            return str(column.choices(value).label) if value in column.choices.values else _shown(value)
        return _shown(value)

    def existing(self, code):
        """The stored parcel a ledger code names: the same code, or the same once made half-width."""
        if code in self.by_code:
            return self.by_code[code]
        matches = self.by_key.get(code, [])
        if len(matches) > 1:
            raise CellProblem(f"本县有多个地块编号与“{code}”仅全角、半角不同，请先在系统中更正。")
        return matches[0] if matches else None

    def read(self, column, value):
        """A cell's value as the column's field takes it; CellProblem when it cannot be read."""
        refuse_error_value(value)
        reader = column.reader
        if reader == "text":
            return _as_text(value)
        if reader in ("code", "county"):
            if isinstance(value, (int, float)) and abs(value) >= LARGEST_EXACT:
                raise CellProblem(
                    f"“{_shorten(_as_text(value))}”是以数字保存的长编号，Excel 只保留 15 位有效数字，其余各位已变为 0；"
                    "请把该列设为文本格式后重新填写。"
                )
            if isinstance(value, datetime.date):
                raise CellProblem(
                    f"编号被 Excel 当作日期保存为“{_as_text(value)}”（如把 1-2 当作 1月2日）；"
                    "请把该列设为文本格式后重新填写。"
                )
            return _half_width(_as_text(value))
        if reader == "docno":
            return _half_width(_as_text(value), _HALF_WIDTH_ALNUM)
        if reader == "date":
            return read_date(value)
        if reader == "area":
            return read_decimal(value, column.places, suffixes=("亩",))
        if reader == "decimal":
            return read_decimal(value, column.places, suffixes=("万元", "万", "°"))
        if reader == "choice":
            text = _as_text(value)
            if not text:
                return ""
            choice = _CHOICE_LOOKUPS[column.choices].get(_key(text))
            if choice is None:
                offered = "、".join(choice_labels(column, self.kind))
                raise CellProblem(f"“{_shorten(text)}”不是可选的{column.label}；可填：{offered}。")
            return choice
        if reader == "town":
            text = _half_width(_as_text(value))
            if not text:
                return None
            town = self.towns_by_code.get(text) or self.towns_by_name.get(_key(text))
            if town is None:
                raise CellProblem(f"{self.county.name}没有名称或代码为“{_shorten(text)}”的乡镇（园区）。")
            return town
        if reader == "unit":
            text = _as_text(value)
            if not text:
                return None
            unit = self.units_by_name.get(_key(text))
            number = _half_width(text)
            if unit is None and number.isdecimal() and len(number) <= 18:  # not ① or ²: int() refuses them
                unit = self.units_by_id.get(int(number))
            if unit is None:
                raise CellProblem(
                    f"没有名称为“{_shorten(text)}”的责任单位；请先在系统中添加该单位，或填写已有单位的名称。"
                )
            return unit
        raise AssertionError(reader)  # pragma: no cover - every reader is handled above


def _same_unit_name(parcel, unit):
    """Whether the parcel's stored responsible unit bears ``unit``'s name: a name is read as the county's
    own unit first, and a parcel of the city's unit by that name keeps it."""
    stored = parcel.responsible_unit if parcel.responsible_unit_id else None
    return stored is not None and _key(stored.name) == _key(unit.name)


def _plan(sheet, *, county, user, lock, dry_run):
    """Judge every row against the county's stored ledger; write nothing."""
    result = ImportResult(kind=sheet.kind, county=county, dry_run=dry_run)
    stored = _County(county=county, kind=sheet.kind, user=user, lock=lock)
    kind_label = ParcelKind(sheet.kind).label
    by_field = {column.field: column for column in sheet.columns}
    for name, related in RELATED_COLUMN.items():
        if related in by_field:
            by_field.setdefault(name, by_field[related])
    code_column = by_field["code"]
    assigned = [column for column in sheet.columns if column.reader != "county"]
    attnames = [Parcel._meta.get_field(column.field).attname for column in assigned]
    seen = {}
    for number, raw in sheet.rows:
        problems = {}  # column → [messages], in the order found
        values = {}
        for column, value in zip(sheet.columns, raw, strict=True):
            try:
                values[column] = stored.read(column, value)
            except CellProblem as problem:
                problems.setdefault(column, []).append(str(problem))
                continue
            if column.required and values[column] in (None, ""):
                problems.setdefault(column, []).append(f"“{column.label}”必须填写。")
        county_code = values.get(by_field.get("county"))
        # The county's own name is taken as well as its code: some ledgers write 安泽县 there.
        if county_code and county_code != county.code and _key(county_code) != _key(county.name):
            problems.setdefault(by_field["county"], []).append(
                f"该行的县（市、区）代码“{_shorten(county_code)}”不是本次导入的{county.name}（{county.code}），"
                f"不能导入；每个县（市、区）请分别导入自己的台账。"
            )
        code = values.get(code_column) or ""
        parcel = None
        if code and code_column not in problems:
            if code in seen:
                problems.setdefault(code_column, []).append(f"地块编号“{code}”与第 {seen[code]} 行重复。")
            else:
                seen[code] = number
                try:
                    parcel = stored.existing(code)
                except CellProblem as problem:
                    problems.setdefault(code_column, []).append(str(problem))
                if parcel is not None and parcel.kind != sheet.kind:
                    problems.setdefault(code_column, []).append(
                        f"本县已有地块编号为“{code}”的{parcel.get_kind_display()}地块，不能在{kind_label}台账中导入。"
                    )
                    parcel = None
        # A row whose code is refused is still judged in full, on a parcel of its own, to list every problem.
        creating = parcel is None
        if creating:
            parcel = Parcel(county=county, kind=sheet.kind)
        before = {attname: getattr(parcel, attname) for attname in attnames}
        shown_before = {column: stored.display(parcel, column) for column in assigned} if not creating else {}
        for column in assigned:
            if column in problems:
                continue
            value = values[column]
            if column.reader == "unit" and value is not None and _same_unit_name(parcel, value):
                pass  # the city's 财政局 stays the city's though the county has one by the same name
            elif column.reader in ("town", "unit"):
                setattr(parcel, column.field, value)
            elif column.reader in ("date", "area", "decimal"):
                if getattr(parcel, column.field) != value:
                    setattr(parcel, column.field, value)
            elif column.reader == "text":
                # A cell that holds the stored text as an export writes it leaves the text as stored.
                if creating or cell_text(getattr(parcel, column.field)) != value:
                    setattr(parcel, column.field, value)
            elif column.reader in ("code", "docno"):
                # A code stored full-width (as typed in the admin or the API) is read back half-width: the
                # same code, left as stored.
                stored_value = getattr(parcel, column.field)
                if creating or not _same_code(stored_value, value, column.reader):
                    setattr(parcel, column.field, value if value is not None else "")
            else:
                setattr(parcel, column.field, value if value is not None else "")
        parcel.use_preloaded_checks(codes=stored.codes, disposals=stored.disposals)
        exclude = [*PRELOADED_FIELDS, *(column.field for column in problems if column is not None)]
        try:
            parcel.full_clean(exclude=exclude, validate_unique=False, validate_constraints=False)
        except ValidationError as error:
            for name, messages in error.message_dict.items():
                column = by_field.get(name)
                if column is not None and column in problems:
                    continue  # the cell's own problem already says what is wrong
                if column is None and name != NON_FIELD_ERRORS:
                    verbose = Parcel._meta.get_field(name).verbose_name
                    messages = [f"{verbose}：{message}" for message in messages]
                problems.setdefault(column, []).extend(messages)
        if problems:
            result.errors.extend(_row_errors(number, problems, sheet.columns))
            continue
        if creating:
            action, changes = CREATED, []
        else:
            changes = [
                (column.header, shown_before[column], stored.display(parcel, column))
                for column, attname in zip(assigned, attnames, strict=True)
                if getattr(parcel, attname) != before[attname]
            ]
            action = UPDATED if changes else UNCHANGED
            parcel._ledger_changed = [
                column.field
                for column, attname in zip(assigned, attnames, strict=True)
                if getattr(parcel, attname) != before[attname]
            ]
        result.rows.append(LedgerRow(number, parcel.code, parcel.name, action, changes, parcel))
    return result


def _row_errors(number, problems, columns):
    order = {column: index for index, column in enumerate(columns)}
    ordered = sorted(problems.items(), key=lambda item: order.get(item[0], len(order)))
    return [
        LedgerError(number, column.header if column is not None else None, str(message))
        for column, messages in ordered
        for message in messages
    ]


def _write(result, user, reason):
    """Save the planned rows through the ledger's service, in batches, with their change history."""
    changed = set()
    for row in result.updated:
        changed.update(row.parcel._ledger_changed)
    services.parcel_bulk_save(
        created=[row.parcel for row in result.created],
        updated=[row.parcel for row in result.updated],
        fields=sorted(changed),
        user=user,
        reason=reason,
    )


def ledger_import(*, source, kind=None, county, user=None, dry_run=False, reason="Excel 台账导入"):
    """Create and update a county's parcels from its Excel ledger (DOMAIN.md §5): every row or none.

    Rows are matched to parcels by county and 地块编号. ``kind`` None reads whichever ledger the file
    holds. A dry run judges everything and writes nothing. The result lists each row's action, or
    every refusal (file, or row and column) with nothing written.
    """
    try:
        sheet = read_ledger(source, kind=kind)
    except LedgerFileError as error:
        return ImportResult(
            kind=kind, county=county, dry_run=dry_run, errors=[LedgerError(None, None, str(error))]
        )
    with translation.override("zh-hans"):
        if dry_run:
            return _plan(sheet, county=county, user=user, lock=False, dry_run=True)
        try:
            return _import(sheet, county=county, user=user, reason=reason)
        except (IntegrityError, StaleVersion):
            # Someone changed the county's ledger between the checks and the write: nothing was saved.
            message = "保存时与其他用户同时进行的修改冲突，本次没有导入任何数据；请重新导入。"
            return ImportResult(
                kind=sheet.kind,
                county=county,
                dry_run=False,
                errors=[LedgerError(None, None, message)],
                conflict=True,
            )


@transaction.atomic
def _import(sheet, *, county, user, reason):
    result = _plan(sheet, county=county, user=user, lock=True, dry_run=False)
    if result.ok:
        _write(result, user, reason)
    return result


# ---------------------------------------------------------------------------------------------------
# Writing ledgers and templates

HEADER_FONT = Font(bold=True)
HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
REQUIRED_FILL = PatternFill("solid", fgColor="FCE4D6")
HEADER_BORDER = Border(*(Side(style="thin", color="999999"),) * 4)
HEADER_ALIGNMENT = Alignment(horizontal="center", vertical="center", wrap_text=True)
NUMBER_FORMATS = {"area": "0.00", "decimal": "0.00##", "date": "yyyy-mm-dd"}
TEXT_FORMAT = "@"


# What each column reads from the database when exported (towns and units by name).
EXPORT_PATHS = {"county": "county__code", "town": "town__name", "unit": "responsible_unit__name"}


def _export_path(column):
    return EXPORT_PATHS.get(column.reader, column.field)


def _safe_text(value):
    """Text as a cell keeps it: characters XML cannot hold removed."""
    return ILLEGAL_CHARACTERS_RE.sub("", value)


# Excel keeps at most this many characters in a cell.
CELL_LIMIT = 32767


def text_cell(sheet, value):
    """Text as a cell that holds it as text, never as a formula (=HYPERLINK(…) stays text), without the
    characters a worksheet cannot hold, cut to a cell's length: every workbook LandTrack writes uses it."""
    cell = WriteOnlyCell(sheet, value=None)
    cell.value, cell.data_type = _safe_text(value[:CELL_LIMIT]), "s"
    return cell


def cell_text(value):
    """Stored text as a ledger cell gives it back on import: an export's cell (:func:`_safe_text`) read
    again, where XML has made every line break a line feed, surrounding spaces dropped."""
    return _as_text(_safe_text(value).replace("\r\n", "\n").replace("\r", "\n"))


def _header_row(sheet, columns):
    cells = []
    for column in columns:
        cell = WriteOnlyCell(sheet, value=column.header)
        cell.font = HEADER_FONT
        cell.fill = REQUIRED_FILL if column.required else HEADER_FILL
        cell.border = HEADER_BORDER
        cell.alignment = HEADER_ALIGNMENT
        cells.append(cell)
    return cells


def _prepare_sheet(sheet, kind, columns, *, towns=(), units=(), lists_sheet=None):
    """Column widths, text format for codes, a frozen header and drop-down lists on the choice columns."""
    for index, column in enumerate(columns, 1):
        letter = get_column_letter(index)
        sheet.column_dimensions[letter].width = column.width
        if column.reader in ("county", "code", "docno"):
            sheet.column_dimensions[letter].number_format = TEXT_FORMAT
        elif column.reader in NUMBER_FORMATS:
            sheet.column_dimensions[letter].number_format = NUMBER_FORMATS[column.reader]
    sheet.freeze_panes = "C2"
    for index, column in enumerate(columns, 1):
        letter = get_column_letter(index)
        cells = f"{letter}2:{letter}{VALIDATED_ROWS}"
        if column.reader == "choice":
            validation = DataValidation(
                type="list",
                formula1='"{}"'.format(",".join(choice_labels(column, kind))),
                allow_blank=True,
                showErrorMessage=True,
                errorTitle=f"{column.label}填写有误",
                error=f"请从下拉列表中选择{column.label}。",
            )
        elif column.reader in ("town", "unit") and lists_sheet is not None:
            names = towns if column.reader == "town" else units
            if not names:
                continue
            lists_column = "A" if column.reader == "town" else "B"
            validation = DataValidation(
                type="list",
                formula1=f"{quote_sheetname(lists_sheet)}!${lists_column}$2:${lists_column}${len(names) + 1}",
                allow_blank=True,
                showErrorMessage=True,
                errorTitle=f"{column.label}填写有误",
                error=f"请从下拉列表中选择{column.label}，或先在系统中添加。",
            )
        else:
            continue
        validation.add(cells)
        sheet.data_validations.append(validation)


def _cell_makers(sheet, kind, columns):
    """For each column, how a stored value becomes a cell: made once per sheet, called for every row.

    Text goes in as text — never as a formula, whatever it starts with — and code columns carry the
    text format, so that a clerk who edits one later keeps its leading zeros. Plain values are passed
    as they are, which is what keeps a 100,000-row export fast.
    """

    def text(value):
        if not value:
            return None
        value = _safe_text(value)
        if value.startswith(("=", "#")):  # a formula, or an Excel error code ("#N/A") to openpyxl
            return text_cell(sheet, value)
        return value

    def code(value):
        if not value:
            return None
        cell = WriteOnlyCell(sheet, value=None)
        cell.value, cell.data_type, cell.number_format = _safe_text(value), "s", TEXT_FORMAT
        return cell

    def number(number_format):
        def make(value):
            if value is None:
                return None
            cell = WriteOnlyCell(sheet, value=value)
            cell.number_format = number_format
            return cell

        return make

    def coordinate(value):
        return None if value is None else value.normalize() if value == value.to_integral() else value

    def plain(value):
        return value  # dates get their yyyy-mm-dd format from openpyxl

    makers = []
    for column in columns:
        if column.reader in ("county", "code", "docno"):
            makers.append(code)
        elif column.reader == "choice":
            labels = {value: str(label) for value, label in column.choices.choices}
            makers.append(lambda value, labels=labels: text(labels.get(value, value)))
        elif column.reader == "area":
            makers.append(number(NUMBER_FORMATS["area"]))
        elif column.reader == "decimal":
            makers.append(coordinate if column.places == 6 else number(NUMBER_FORMATS["decimal"]))
        elif column.reader == "date":
            makers.append(plain)
        else:
            makers.append(text)
    return makers


class ExportTooLarge(Exception):
    """More rows than one export writes (settings.LEDGER_EXPORT_MAX_ROWS): nothing was written."""

    def __init__(self, rows, limit):
        self.rows, self.limit = rows, limit
        super().__init__(
            f"符合条件的地块有 {rows:,} 宗，超过一次导出的上限 {limit:,} 宗：请按县（市、区）、类型、"
            "乡镇（园区）等条件筛选后分批导出。"
        )


def write_ledger(target, sheets, *, towns=(), units=(), notes=(), max_rows=None):
    """Write ledger sheets into ``target`` (a path or binary file) as .xlsx, one sheet per kind.

    ``sheets`` is a sequence of (kind, parcels); parcels is a queryset of Parcel, read as value rows in
    chunks (or a list of such rows: empty for a template). Rows stream through openpyxl's write-only
    mode, so memory stays the same however long the ledger is.
    ``towns`` and ``units`` (names) add drop-down lists for those columns, as in a county's template;
    ``notes`` adds a sheet 填表说明 with one note per line.
    With ``max_rows``, sheets of more rows than that in all raise :class:`ExportTooLarge` before anything
    is written: the country's million parcels would take minutes to write, past any request's time.
    """
    counts = [parcels.count() if hasattr(parcels, "values_list") else len(parcels) for _, parcels in sheets]
    if max_rows is not None and sum(counts) > max_rows:
        raise ExportTooLarge(sum(counts), max_rows)
    workbook = Workbook(write_only=True)
    lists_title = "选项" if (towns or units) else None
    for (kind, parcels), count in zip(sheets, counts, strict=True):
        columns = COLUMNS[kind]
        sheet = workbook.create_sheet(title=str(ParcelKind(kind).label))
        _prepare_sheet(sheet, kind, columns, towns=towns, units=units, lists_sheet=lists_title)
        if hasattr(parcels, "values_list"):
            rows = parcels.values_list(*(_export_path(column) for column in columns)).iterator(
                chunk_size=2000
            )
        else:
            rows = parcels
        # The sheet's size, written before its rows as Excel does: readers such as openpyxl's then need
        # not parse the whole sheet twice, and this very importer reads an export faster.
        dimension = f"A1:{get_column_letter(len(columns))}{count + 1}"
        sheet.calculate_dimension = lambda dimension=dimension: dimension
        sheet.append(_header_row(sheet, columns))
        makers = _cell_makers(sheet, kind, columns)
        for row in rows:
            sheet.append([make(value) for make, value in zip(makers, row, strict=True)])
    if lists_title:
        lists = workbook.create_sheet(title=lists_title)
        lists.sheet_state = "hidden"
        lists.append(["乡镇（园区）", "责任单位"])
        for index in range(max(len(towns), len(units))):
            lists.append(
                [
                    text_cell(lists, towns[index]) if index < len(towns) else None,
                    text_cell(lists, units[index]) if index < len(units) else None,
                ]
            )
    if notes:
        sheet = workbook.create_sheet(title="填表说明")
        sheet.column_dimensions["A"].width = 110
        title = WriteOnlyCell(sheet, value="填表说明")
        title.font = HEADER_FONT
        sheet.append([title])
        for number, note in enumerate(notes, 1):
            sheet.append([f"{number}. {note}"])
    workbook.save(target)


def write_template(target, kinds, *, towns=(), units=()):
    """An empty ledger per kind with its headers and drop-down lists, and a sheet on how to fill it in."""
    write_ledger(
        target, [(kind, []) for kind in kinds], towns=towns, units=units, notes=template_notes(kinds)
    )


def county_choices(county, user=None):
    """The names a county's template offers in its drop-downs: its towns (and zones), and its units."""
    towns = Region.objects.filter(parent=county, level__in=SUBCOUNTY_LEVELS).order_by("code")
    units = Unit.objects.filter(region=county)
    if user is not None:
        units = units.visible_to(user)
    return (
        [town.name for town in towns],
        list(units.order_by("order", "id").values_list("name", flat=True)),
    )


def template_notes(kinds):
    """How to fill in the template, for its notes (the admin page shows the same)."""
    notes = [
        "表头请勿修改；带 * 的列必须填写。表头上方可以保留标题行，表头之外的列（如序号）导入时忽略。",
        "地块编号在本县内唯一，按文本保存，前导零会保留；再次导入同一编号即更新该地块。",
        "日期可填 2021-03-05、2021/3/5 或 2021年3月5日，也可使用 Excel 日期。",
        "面积以亩为单位，最多 4 位小数；价款以万元为单位。",
        "乡镇（园区）可填名称或 9 位代码；责任单位填单位名称。",
    ]
    for kind in kinds:
        for column in COLUMNS[kind]:
            if column.reader == "choice":
                notes.append(
                    f"{ParcelKind(kind).label}·{column.label}：{'、'.join(choice_labels(column, kind))}。"
                )
    return notes


def xlsx_response(write, filename):
    """A download of what ``write(file)`` writes: spooled to a temporary file, then streamed in chunks."""
    handle = tempfile.TemporaryFile()
    try:
        write(handle)
        handle.seek(0)
    except BaseException:
        handle.close()
        raise
    return FileResponse(handle, as_attachment=True, filename=filename, content_type=XLSX_CONTENT_TYPE)
