"""Supply results exported by the national monitoring system (土地市场动态监测与监管系统), taken in as a whole.

The export's columns are those of API.md: 电子监管号, 项目名称, 土地使用权人, 供地方式, 面积（公顷）, 土地用途,
成交价格（万元）, 合同签订日期, 约定交地时间, 约定开工时间, 约定竣工时间, 实际开工时间, 实际竣工时间. The header row is
looked for in the first rows of the first sheet that has one. Records are keyed by 电子监管号 (unique
nationwide): a number already on file is updated, a new one created; a number that opens with another
county's code (a row of a city-wide export) is that county's record and is refused. Import is all or
nothing, like the ledger's: every bad cell is reported with its Excel row and column, and then nothing is
written. Cells are read by the ledger's own readers (dates as Excel dates or text, numbers exactly as Excel
keeps them), and every record passes through the model's validation. A file costs one read of the stored
records (and, with other counties' numbers in it, one of their counties) and one batched write with its
change history, however long it is.
"""

import re
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from leadership.choices import RegionLevel
from leadership.models import Region

from . import services
from .choices import SupplyMethod
from .ledger import (
    FULL_WIDTH,
    HEADER_SEARCH_ROWS,
    LARGEST_EXACT,
    MAX_ROWS,
    NOT_XLSX,
    CellProblem,
    _as_text,
    _header_key,
    _is_blank,
    _key,
    cell_value,
    code_key,
    open_xlsx,
    read_date,
    read_decimal,
    refuse_error_value,
    refuse_several_sheets,
    unreadable_cells,
    visible_sheets,
)
from .models import SupplyRecord


@dataclass(frozen=True)
class Column:
    header: str
    field: str
    reader: str  # number, text, method, hectares, price, date
    required: bool = False
    max_length: int = 0


COLUMNS = (
    Column("电子监管号", "supervision_number", "number", True, 50),
    Column("项目名称", "project_name", "text", True, 200),
    Column("土地使用权人", "land_user", "text", False, 200),
    Column("供地方式", "supply_method", "method"),
    Column("面积（公顷）", "area_ha", "hectares", True),
    Column("土地用途", "land_use", "text", False, 100),
    Column("成交价格（万元）", "price_wan", "price"),
    Column("合同签订日期", "contract_date", "date"),
    Column("约定交地时间", "agreed_delivery_date", "date"),
    Column("约定开工时间", "agreed_start_date", "date"),
    Column("约定竣工时间", "agreed_completion_date", "date"),
    Column("实际开工时间", "actual_start_date", "date"),
    Column("实际竣工时间", "actual_completion_date", "date"),
)
COLUMN_OF_FIELD = {column.field: column for column in COLUMNS}
FIELDS = [column.field for column in COLUMNS]
COLUMN_ORDER = {column.header: index for index, column in enumerate(COLUMNS)}
# Facts that cannot lie in the future on the day of import.


# How Excel shows a long number it holds as one (1.41026E+15): a 电子监管号 kept as that text has lost its digits.
SCIENTIFIC_NOTATION = re.compile(r"[+-]?\d(?:\.\d+)?[eE][+-]\d{1,3}")
# A 电子监管号 opens with the code of the county the land lies in (GB/T 2260, six digits).
COUNTY_CODE_LENGTH = 6

CONFLICT_MESSAGE = "保存时与其他用户同时进行的导入冲突，本次没有导入任何记录；请重新导入。"


class SupplyFileError(Exception):
    """The file cannot be read as a supply-result export; the message is for the user."""


@dataclass
class SupplyImportResult:
    dry_run: bool
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list = field(default_factory=list)  # [{"row", "column", "message"}]
    conflict: bool = False  # refused because another import wrote the same records meanwhile

    @property
    def ok(self):
        return not self.errors

    def summary(self):
        return {
            "dry_run": self.dry_run,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
        }


# Headers and cells are read as the ledger's are (parcels.ledger): the same matching of headers (全角 and
# 半角 alike, spaces and a required-marking asterisk ignored), the same text of a cell.
HEADER_KEYS = {_header_key(column.header): column for column in COLUMNS}


def _open(source):
    """The workbook of an uploaded .xlsx, after the same size and format checks as the ledger's."""
    return open_xlsx(source, SupplyFileError, what="供地结果导出表")


def read_supply_file(source):
    """[(Excel row number, {field: raw value})] of the export's data rows; SupplyFileError when unreadable."""
    workbook = _open(source)
    try:
        # An old copy in a hidden sheet is not what was exported; two visible exports are refused, named.
        found = [(sheet, *header) for sheet in visible_sheets(workbook) if (header := _header(sheet))]
        refuse_several_sheets([sheet for sheet, _, _ in found], "供地结果", SupplyFileError)
        if not found:
            headers = "、".join(column.header for column in COLUMNS)
            raise SupplyFileError(
                f"文件中没有找到供地结果的表头行（应在前 {HEADER_SEARCH_ROWS} 行内）。表头应为：{headers}。"
            )
        sheet, number, positions = found[0]
        # Cells, not bare values: an Excel error (#N/A) must not pass for the text "#N/A".
        rows = ([cell_value(cell) for cell in cells] for cells in sheet.iter_rows(min_row=number + 1))
        return _data_rows(sheet, rows, number, positions)
    except SupplyFileError:
        raise
    except Exception:  # a malformed sheet: unreadable, not a server error
        raise SupplyFileError(NOT_XLSX) from None
    finally:
        workbook.close()


def _header(sheet):
    """(row number, {field: column index}) of the sheet's header row among its first rows, or None."""
    sheet.reset_dimensions()
    rows = sheet.iter_rows(max_row=HEADER_SEARCH_ROWS, values_only=True)
    for number, values in enumerate(rows, 1):
        positions = {}
        for index, value in enumerate(values):
            column = HEADER_KEYS.get(_header_key(value))
            if column is not None:
                if column.field in positions:
                    raise SupplyFileError(f"表头中“{column.header}”出现了不止一次，请删去重复的列。")
                positions[column.field] = index
        if "supervision_number" in positions and "area_ha" in positions:
            return number, positions
    return None


def _data_rows(sheet, rows, header_row, positions):
    missing = [column.header for column in COLUMNS if column.required and column.field not in positions]
    if missing:
        raise SupplyFileError(
            f"工作表“{sheet.title}”第 {header_row} 行的表头缺少必填列：{'、'.join(missing)}。"
        )
    data = []
    # Merged cells and formulas without a saved result read as empty: each is refused by row and column.
    marks = unreadable_cells(sheet, header_row, [index + 1 for index in positions.values()])
    for number, values in enumerate(rows, header_row + 1):
        cells = {name: values[index] if index < len(values) else None for name, index in positions.items()}
        if marks:
            cells = {name: marks.get((number, positions[name] + 1), value) for name, value in cells.items()}
        if all(_is_blank(value) for value in cells.values()):
            continue
        if len(data) >= MAX_ROWS:
            raise SupplyFileError(f"超过 {MAX_ROWS} 行，请拆分后分批导入。")
        data.append((number, cells))
    return data


def _method(text):
    """出让 in any of its forms (招拍挂出让, 协议出让 …), 划拨 or 租赁, or the stored codes."""
    compact = _key(text)
    if compact in SupplyMethod.values:
        return compact
    for value, label in SupplyMethod.choices:
        if label in compact:
            return value
    labels = "、".join(str(label) for label in SupplyMethod.labels)
    raise CellProblem(f"“{text[:30]}”不是可识别的供地方式；可填：{labels}（如“挂牌出让”“协议出让”也可）。")


def _read(column, value):
    refuse_error_value(value)
    if column.reader in ("number", "text"):
        if column.reader == "number" and isinstance(value, (int, float)) and abs(value) >= LARGEST_EXACT:
            raise CellProblem(
                "电子监管号超过 15 位数字，被 Excel 当作数字改变了末几位；请将该列设为文本后重新填写。"
            )
        text = _as_text(value)
        if column.reader == "number":
            text = code_key(text)  # ２０１９… typed full-width is the same number
            if SCIENTIFIC_NOTATION.fullmatch(text):
                raise CellProblem(
                    f"“{text}”是 Excel 以科学计数法显示的数字，电子监管号的末几位已经丢失；"
                    "请将该列设为文本，按监管系统中的电子监管号重新填写后再导入。"
                )
        if column.max_length and len(text) > column.max_length:
            raise CellProblem(f"不能超过 {column.max_length} 个字（现为 {len(text)} 个）。")
        return text
    if _as_text(value) == "":
        return "" if column.reader == "method" else None
    if column.reader == "method":
        return _method(_as_text(value))
    if column.reader == "hectares":
        # Greater than 0: the model's own rule, applied with the rest by full_clean() below.
        return read_decimal(value, 4, suffixes=("公顷",))
    if column.reader == "price":
        price = read_decimal(value, 4, suffixes=("万元",))
        if price is not None and price < 0:
            raise CellProblem("价格不能为负数。")
        return price
    return read_date(value)


def _row_values(number, cells, errors):
    """({field: value}, the fields with errors) of one row; its errors are added to ``errors``."""
    values, failed = {}, set()
    for name, raw in cells.items():
        column = COLUMN_OF_FIELD[name]
        try:
            values[name] = _read(column, raw)
        except CellProblem as problem:
            errors.append({"row": number, "column": column.header, "message": str(problem)})
            failed.add(name)
            continue
        if column.required and values[name] in (None, ""):
            errors.append({"row": number, "column": column.header, "message": f"请填写{column.header}。"})
            failed.add(name)
    return values, failed


def _county_prefix(number):
    return number[:COUNTY_CODE_LENGTH] if number and number[:COUNTY_CODE_LENGTH].isdigit() else None


def _other_counties(numbers, county):
    """{code: name} of the other counties whose code opens any of the numbers: their records, not this
    county's (a city-wide export). One query, and none when every number opens with the county's own code."""
    prefixes = {_county_prefix(number) for number in numbers} - {None, county.code}
    if not prefixes:
        return {}
    others = Region.objects.filter(level=RegionLevel.COUNTY, code__in=prefixes).exclude(pk=county.pk)
    return dict(others.values_list("code", "name"))


def supply_records_import(*, source, county, user=None, dry_run=False):
    """Create or update the county's supply records from an export file: every row, or none."""
    result = SupplyImportResult(dry_run=dry_run)
    try:
        rows = read_supply_file(source)
    except SupplyFileError as error:
        result.errors.append({"row": None, "column": None, "message": str(error)})
        return result
    if not rows:
        result.errors.append({"row": None, "column": None, "message": "表头下没有数据行。"})
        return result

    read = []
    first_row_of = {}
    for number, cells in rows:
        values, failed = _row_values(number, cells, result.errors)
        bad = bool(failed)
        code = values.get("supervision_number")
        if code and code in first_row_of:
            result.errors.append(
                {
                    "row": number,
                    "column": "电子监管号",
                    "message": f"电子监管号“{code}”与第 {first_row_of[code]} 行重复。",
                }
            )
            bad = True
        elif code:
            first_row_of[code] = number
        read.append((number, values, failed, bad))

    other_counties = _other_counties(first_row_of, county)

    try:
        with transaction.atomic():
            # Numbers are read half-width; one stored full-width (as an earlier import kept it) is the same.
            # With both forms stored (the admin keeps what is typed), the row is the half-width record's:
            # rewriting the other's number to it would collide with it.
            full_width = [code.translate(FULL_WIDTH) for code in first_row_of]
            stored = {}
            for record in SupplyRecord.objects.select_for_update().filter(
                supervision_number__in=[*first_row_of, *full_width]
            ):
                key = code_key(record.supervision_number)
                if key not in stored or record.supervision_number == key:
                    stored[key] = record
            to_create, to_update = [], []
            for number, values, failed, bad in read:
                record = stored.get(values.get("supervision_number"))
                if record is not None and record.county_id != county.pk:
                    result.errors.append(
                        {
                            "row": number,
                            "column": "电子监管号",
                            "message": f"电子监管号“{values['supervision_number']}”已登记在其他县（市、区），"
                            f"不能导入{county.name}。",
                        }
                    )
                    record, bad = None, True
                elif (prefix := _county_prefix(values.get("supervision_number"))) in other_counties:
                    owner = other_counties[prefix]
                    result.errors.append(
                        {
                            "row": number,
                            "column": "电子监管号",
                            "message": f"电子监管号“{values['supervision_number']}”以{owner}的代码 {prefix} 开头，"
                            f"是{owner}的供地记录，不能导入{county.name}；请只导入本县的记录。",
                        }
                    )
                    record, bad = None, True
                if record is None or bad:
                    # A row with errors is still checked by the model (its other fields' rules), not saved.
                    record = SupplyRecord(county=county, **values)
                    target = to_create
                else:
                    changed = False
                    for name, value in values.items():
                        if getattr(record, name) != value:
                            setattr(record, name, value)
                            changed = True
                    if not changed:
                        result.unchanged += 1
                        continue
                    target = to_update
                try:
                    # The county was resolved by the caller and the number's uniqueness checked above, and the
                    # model's clean() and field validators mirror its constraints: no query.
                    record.full_clean(
                        exclude=["county", "parcel", *failed], validate_unique=False, validate_constraints=False
                    )
                except ValidationError as error:
                    for name, messages in error.message_dict.items():
                        column = COLUMN_OF_FIELD.get(name)
                        for message in messages:
                            result.errors.append(
                                {
                                    "row": number,
                                    "column": column.header if column else None,
                                    "message": message,
                                }
                            )
                    continue
                if bad:
                    continue
                target.append(record)
            result.errors.sort(key=lambda error: (error["row"] or 0, COLUMN_ORDER.get(error["column"], -1)))
            if result.errors:
                result.created = result.updated = result.unchanged = 0
                return result
            result.created, result.updated = len(to_create), len(to_update)
            if dry_run:
                return result
            services.supply_records_bulk_save(
                created=to_create, updated=to_update, fields=FIELDS, user=user, reason="导入监管系统供地结果"
            )
    except IntegrityError:
        # New numbers are not locked by the read above: another import created one of them meanwhile, and
        # everything this one wrote was rolled back.
        result.created = result.updated = result.unchanged = 0
        result.conflict = True
        result.errors.append({"row": None, "column": None, "message": CONFLICT_MESSAGE})
    return result
