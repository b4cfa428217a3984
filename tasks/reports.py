"""The campaign's Excel reports: the monthly progress report (月报) and a county's three lists.

Every figure comes from :mod:`tasks.progress` (the one place completion is computed) and is shown as
DOMAIN.md §4 says — 亩 and % rounded half-up to 2 places, written into the cells as those rounded
numbers so that the workbook says exactly what ``/progress/`` says. The lists of the 2023 notice —
任务清单 (tasks and their milestones), 项目清单 (every parcel, "逐宗地、逐项目") and 责任清单 (every
responsible unit with its parcels and its members of the leadership group) — are one workbook per
county. Workbooks stream through openpyxl's write-only mode; the number of queries does not depend
on how many tasks, towns, parcels or units there are.
"""

import calendar
import datetime
from collections import defaultdict
from copy import copy

from django.db.models import F
from django.utils import timezone
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.cell_range import CellRange
from openpyxl.worksheet.header_footer import HeaderFooter
from openpyxl.worksheet.worksheet import Worksheet

from landtrack.dates import cn_date
from landtrack.numbers import area_2, rate_2
from landtrack.validation import ZERO
from leadership.models import GroupMember, Unit
from parcels.choices import ParcelKind, ParcelStatus
from parcels.ledger import text_cell
from parcels.models import Parcel
from parcels.rules import on_ledger_by, with_disposed_as_of

from .choices import ProgressStatus, TaskCategory
from .progress import category_totals, task_progress, tasks_in_scope

__all__ = ["month_end", "report_as_of", "monthly_report", "county_lists", "Column"]

TITLE_FONT = Font(size=16, bold=True)
SUBTITLE_FONT = Font(size=10, color="555555")
HEADER_FONT = Font(bold=True)
TOTAL_FONT = Font(bold=True)
NOTE_FONT = Font(size=9, color="555555")
HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
TOTAL_FILL = PatternFill("solid", fgColor="F2F2F2")
THIN = Side(style="thin", color="999999")
BORDER = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
CENTER = Alignment(horizontal="center", vertical="center", wrap_text=True)
LEFT = Alignment(horizontal="left", vertical="center", wrap_text=True)
RIGHT = Alignment(horizontal="right", vertical="center")
STATUS_FONTS = {
    ProgressStatus.COMPLETED: Font(color="067647", bold=True),
    ProgressStatus.BEHIND: Font(color="B42318", bold=True),
    ProgressStatus.AT_RISK: Font(color="B54708", bold=True),
    ProgressStatus.ON_TRACK: Font(color="000000"),
}
MISSED_FONT = Font(color="B42318", bold=True)
# What each kind of column holds and how Excel shows it: dates as the notices write them (2022年9月30日),
# kept as dates so that they sort and filter.
FORMATS = {"area": "0.00", "rate": "0.00", "int": "0", "date": 'yyyy"年"m"月"d"日"', "text": "@"}
# The rows above the header: the title, then the date and units.
HEADER_ROW = 3


class Column:
    """A report column: its header (with its unit), what it holds, and its width."""

    def __init__(self, header, kind="text", width=12):
        self.header = header
        self.kind = kind
        self.width = width


def month_end(year, month):
    return datetime.date(year, month, calendar.monthrange(year, month)[1])


def report_as_of(last_day, today=None):
    """The date a report is made as of: the period's last day, or today while the period runs."""
    today = today or timezone.localdate()
    return min(last_day, today)


class ReportSheet:
    """A styled, printable sheet written row by row: title, subtitle, frozen header, bordered cells."""

    def __init__(self, workbook, title, columns, *, heading, subheading):
        self.sheet = workbook.create_sheet(title=title)
        self.columns = columns
        self.last_letter = get_column_letter(len(columns))
        self.rows = 0
        self._styles, self._fonts = {}, []
        sheet = self.sheet
        for index, column in enumerate(columns, 1):
            sheet.column_dimensions[get_column_letter(index)].width = column.width
        sheet.freeze_panes = f"A{HEADER_ROW + 1}"
        sheet.page_setup.orientation = "landscape"
        sheet.page_setup.paperSize = Worksheet.PAPERSIZE_A4
        sheet.page_setup.fitToWidth = 1
        sheet.page_setup.fitToHeight = 0
        sheet.sheet_properties.pageSetUpPr.fitToPage = True
        sheet.print_options.horizontalCentered = True
        sheet.page_margins.left = sheet.page_margins.right = 0.4
        sheet.page_margins.top = sheet.page_margins.bottom = 0.6
        sheet.print_title_rows = f"{HEADER_ROW}:{HEADER_ROW}"
        sheet.HeaderFooter = HeaderFooter()
        sheet.HeaderFooter.oddFooter.center.text = "第 &P 页，共 &N 页"
        self._banner(heading, TITLE_FONT, CENTER, height=30)
        self._banner(subheading, SUBTITLE_FONT, CENTER, height=18)
        cells = []
        for column in columns:
            cell = WriteOnlyCell(sheet, value=column.header)
            cell.font, cell.fill, cell.border, cell.alignment = HEADER_FONT, HEADER_FILL, BORDER, CENTER
            cells.append(cell)
        self._append(cells, height=32)

    def _append(self, cells, height=None):
        self.rows += 1
        if height:
            self.sheet.row_dimensions[self.rows].height = height
        self.sheet.append(cells)

    def _banner(self, text, font, alignment, height=None):
        cell = text_cell(self.sheet, text)
        cell.font, cell.alignment = font, alignment
        self._append([cell], height=height)
        self.merge(self.rows, 1, self.rows, len(self.columns))

    def merge(self, first_row, first_column, last_row, last_column):
        if (first_row, first_column) != (last_row, last_column):
            self.sheet.merged_cells.add(
                CellRange(min_row=first_row, min_col=first_column, max_row=last_row, max_col=last_column)
            )

    def row(self, values, *, total=False, fonts=None):
        """Append a data row; ``fonts`` maps a column index to a font (status colours)."""
        cells = []
        for index, value in enumerate(values):
            if isinstance(value, str):
                cell = text_cell(self.sheet, value)
            else:
                cell = WriteOnlyCell(self.sheet, value=value)
            cell._style = copy(self._style(index, total, fonts.get(index) if fonts else None))
            cells.append(cell)
        if len(cells) != len(self.columns):
            raise ValueError(f"{len(cells)} values for {len(self.columns)} columns")
        self._append(cells)
        return self.rows

    def _style(self, index, total, font):
        """The style of a data cell, made once per column, total row and font: assigning a style to a
        cell looks it up in the workbook's style lists by hashing it, which costs more than the cell."""
        key = (index, total, id(font))
        style = self._styles.get(key)
        if style is None:
            column = self.columns[index]
            cell = WriteOnlyCell(self.sheet)
            cell.border = BORDER
            cell.number_format = FORMATS[column.kind]
            cell.alignment = LEFT if column.kind == "text" else RIGHT if column.kind != "date" else CENTER
            if total:
                cell.font, cell.fill = TOTAL_FONT, TOTAL_FILL
            if font is not None:
                cell.font = font
            style = self._styles[key] = cell._style
            self._fonts.append(font)  # kept alive while its id is a key
        return style

    def note(self, text):
        cell = text_cell(self.sheet, text)
        cell.font, cell.alignment = NOTE_FONT, LEFT
        self._append([cell])
        self.merge(self.rows, 1, self.rows, len(self.columns))


# ---------------------------------------------------------------------------------------------------
# The monthly report


SUMMARY_COLUMNS = [
    Column("序号", "int", 6),
    Column("县（市、区）", "text", 12),
    Column("区划代码", "text", 10),
    Column("任务类别", "text", 10),
    Column("任务面积（亩）", "area", 12),
    Column("已完成面积（亩）", "area", 12),
    Column("完成率（%）", "rate", 10),
    Column("应达比例（%）", "rate", 10),
    Column("应完成面积（亩）", "area", 12),
    Column("差额（亩）", "area", 11),
    Column("进度状态", "text", 10),
    Column("下一节点", "date", 12),
    Column("下一节点目标（%）", "rate", 11),
    Column("距下一节点还需（亩）", "area", 13),
]
MILESTONE_COLUMNS = [
    Column("县（市、区）", "text", 12),
    Column("任务类别", "text", 10),
    Column("节点日期", "date", 12),
    Column("累计目标（%）", "rate", 11),
    Column("目标面积（亩）", "area", 12),
    Column("截至节点完成（亩）", "area", 13),
    Column("差额（亩）", "area", 11),
    Column("完成情况", "text", 10),
]
TOWN_COLUMNS = [
    Column("县（市、区）", "text", 12),
    Column("任务类别", "text", 10),
    Column("乡镇（园区）代码", "text", 13),
    Column("乡镇（园区）", "text", 16),
    Column("地块数", "int", 8),
    Column("地块面积（亩）", "area", 12),
    Column("已完成面积（亩）", "area", 13),
]
RULES_NOTE = (
    "说明：完成率 = 已完成面积 ÷ 任务面积 × 100；应达比例为统计日及以前到期节点的最高累计目标；"
    "差额 = 应完成面积 − 已完成面积（不小于 0）。面积、比例均按四舍五入保留两位小数，由未取舍的面积计算。"
)


def _category_label(category):
    return str(TaskCategory(category).label)


def _milestone_state(milestone):
    if milestone.met is None:
        return "未到期"
    return "已达到" if milestone.met else "未达到"


def monthly_report(target, *, user, year, month, county=None, region_name=None, today=None):
    """Write the month-end progress report of the user's counties (or one county) into ``target``.

    Figures are ``task_progress`` as of the month's last day (today, while the month runs), for the
    tasks of ``year``: one row per county task with its shortfall and next milestone, every
    milestone, and each task's breakdown by town (or zone).
    """
    as_of = report_as_of(month_end(year, month), today)
    tasks = tasks_in_scope(user, year=year, county_code=county.code if county else None)
    rows = task_progress(tasks, as_of, breakdown=True)
    region_name = county.name if county else (region_name or "")
    heading = f"{region_name}{year}年度“批而未用”土地清理进度月报（{year}年{month}月）"
    subheading = f"统计截至 {cn_date(as_of)}　　面积单位：亩　　比例单位：%"

    workbook = Workbook(write_only=True)
    summary = ReportSheet(workbook, "进度汇总", SUMMARY_COLUMNS, heading=heading, subheading=subheading)
    status_column = [column.header for column in SUMMARY_COLUMNS].index("进度状态")
    for number, progress in enumerate(rows, 1):
        task, upcoming = progress.task, progress.next_milestone
        summary.row(
            [
                number,
                task.county.name,
                task.county.code,
                _category_label(task.category),
                area_2(progress.target_area_mu),
                area_2(progress.completed_area_mu),
                rate_2(progress.completion_rate),
                rate_2(progress.required_rate),
                area_2(progress.required_area_mu),
                area_2(progress.shortfall_area_mu),
                progress.status_label,
                upcoming.due if upcoming else "已过最后节点",
                rate_2(upcoming.target_rate) if upcoming else None,
                area_2(upcoming.remaining_area_mu) if upcoming else None,
            ],
            fonts={status_column: STATUS_FONTS[progress.status]},
        )
    for total in category_totals(rows):
        summary.row(
            [
                None,
                "合计",
                None,
                _category_label(total["category"]),
                area_2(total["target_area_mu"]),
                area_2(total["completed_area_mu"]),
                rate_2(total["completion_rate"]),
                *([None] * 7),
            ],
            total=True,
        )
    if not rows:
        summary.note(f"{region_name}{year}年度没有县级任务。")
    summary.note(RULES_NOTE)

    milestones = ReportSheet(
        workbook, "时间节点", MILESTONE_COLUMNS, heading=f"{heading}·时间节点", subheading=subheading
    )
    state_column = len(MILESTONE_COLUMNS) - 1
    for progress in rows:
        for milestone in progress.milestones:
            due = milestone.completed_area_mu is not None
            shortfall = milestone.shortfall_area_mu
            milestones.row(
                [
                    progress.task.county.name,
                    _category_label(progress.task.category),
                    milestone.due,
                    rate_2(milestone.target_rate),
                    area_2(milestone.target_area_mu),
                    area_2(milestone.completed_area_mu) if due else None,
                    area_2(shortfall) if due else None,
                    _milestone_state(milestone),
                ],
                fonts={state_column: MISSED_FONT} if milestone.met is False else None,
            )
    milestones.note(
        "说明：已到期的节点按截至节点当日（含）的累计完成面积判断是否达到；未到期的节点不作判断。"
    )

    towns = ReportSheet(
        workbook, "分乡镇", TOWN_COLUMNS, heading=f"{heading}·分乡镇（园区）", subheading=subheading
    )
    for progress in rows:
        for town in progress.towns:
            towns.row(
                [
                    progress.task.county.name,
                    _category_label(progress.task.category),
                    town.code or "",
                    town.name,
                    town.parcels,
                    area_2(town.area_mu),
                    area_2(town.completed_area_mu),
                ]
            )
    towns.note("说明：已完成面积为任务期内、统计日及以前各乡镇（园区）地块的处置面积。")
    workbook.save(target)
    return rows


# ---------------------------------------------------------------------------------------------------
# The three lists (三项清单)


TASK_COLUMNS = [
    Column("序号", "int", 6),
    Column("任务名称", "text", 30),
    Column("任务类别", "text", 10),
    Column("任务面积（亩）", "area", 12),
    Column("任务期", "text", 22),
    Column("下达单位及文号", "text", 24),
    Column("牵头单位", "text", 18),
    Column("时间节点", "date", 12),
    Column("累计目标（%）", "rate", 11),
    Column("节点目标面积（亩）", "area", 13),
    Column("截至节点完成（亩）", "area", 13),
    Column("节点完成情况", "text", 11),
    Column("当前完成面积（亩）", "area", 13),
    Column("当前完成率（%）", "rate", 11),
]
PROJECT_COLUMNS = [
    Column("序号", "int", 6),
    Column("地块编号", "text", 14),
    Column("项目名称", "text", 30),
    Column("类型", "text", 10),
    Column("乡镇（园区）", "text", 14),
    Column("坐落", "text", 20),
    Column("面积（亩）", "area", 11),
    Column("已处置（亩）", "area", 11),
    Column("剩余（亩）", "area", 11),
    Column("处置状态", "text", 10),
    Column("未供 / 闲置原因", "text", 18),
    Column("拟处置方式", "text", 16),
    Column("计划完成时间", "date", 12),
    Column("责任单位", "text", 20),
]
DUTY_COLUMNS = [
    Column("序号", "int", 6),
    Column("责任单位", "text", 22),
    Column("单位类别", "text", 12),
    Column("工作职责", "text", 40),
    Column("领导小组成员", "text", 24),
    Column("负责地块数", "int", 10),
    Column("负责面积（亩）", "area", 12),
    Column("已处置（亩）", "area", 11),
    Column("剩余（亩）", "area", 11),
    Column("最早计划完成时间", "date", 13),
    Column("负责地块（编号）", "text", 36),
]
NO_UNIT = "未落实责任单位"


def county_lists(target, *, user, county, year, today=None):
    """Write a county's 任务清单, 项目清单 and 责任清单 for ``year`` into ``target`` (one workbook).

    Figures are as of the year's last day (today, while the year runs): task completion from
    ``task_progress``; the parcels on the ledger by then, each with its disposals dated on or before then.
    """
    as_of = report_as_of(datetime.date(year, 12, 31), today)
    subheading = f"截至 {cn_date(as_of)}　　面积单位：亩　　比例单位：%"
    workbook = Workbook(write_only=True)

    # 任务清单: each task and its milestones (tasks 2 queries, progress 1, lead units 1).
    tasks = tasks_in_scope(user, year=year, county_code=county.code)
    progress_rows = task_progress(tasks, as_of)
    lead_units = dict(
        Unit.objects.filter(pk__in={task.lead_unit_id for task in tasks if task.lead_unit_id}).values_list(
            "pk", "name"
        )
    )
    sheet = ReportSheet(
        workbook,
        "任务清单",
        TASK_COLUMNS,
        heading=f"{county.name}{year}年度“批而未用”土地清理任务清单",
        subheading=subheading,
    )
    state_column = [column.header for column in TASK_COLUMNS].index("节点完成情况")
    for number, progress in enumerate(progress_rows, 1):
        task = progress.task
        assigned = "　".join(part for part in (task.assigned_by, task.document_number) if part)
        task_cells = [
            number,
            str(task),
            _category_label(task.category),
            area_2(progress.target_area_mu),
            f"{cn_date(task.start_date)}—{cn_date(task.end_date)}",
            assigned,
            lead_units.get(task.lead_unit_id, ""),
        ]
        current = [area_2(progress.completed_area_mu), rate_2(progress.completion_rate)]
        first = sheet.rows + 1
        for milestone in progress.milestones or [None]:
            if milestone is None:
                sheet.row([*task_cells, None, None, None, None, "未设节点", *current])
                continue
            due = milestone.completed_area_mu is not None
            sheet.row(
                [
                    *task_cells,
                    milestone.due,
                    rate_2(milestone.target_rate),
                    area_2(milestone.target_area_mu),
                    area_2(milestone.completed_area_mu) if due else None,
                    _milestone_state(milestone),
                    *current,
                ],
                fonts={state_column: MISSED_FONT} if milestone.met is False else None,
            )
        # The task's own cells span its milestone rows, as the printed list shows them.
        for column in (*range(1, len(task_cells) + 1), len(TASK_COLUMNS) - 1, len(TASK_COLUMNS)):
            sheet.merge(first, column, sheet.rows, column)
    if not progress_rows:
        sheet.note(f"{county.name}{year}年度没有县级任务。")

    # 项目清单: every parcel on the county's ledger by then (approved or supplied: a later one is not yet
    # there, as in the monthly report's towns), read once (1 query) and also summed by unit below.
    parcels = (
        with_disposed_as_of(Parcel.objects.visible_to(user).filter(on_ledger_by(as_of), county=county), as_of)
        .select_related("town", "responsible_unit")
        # 批而未供 first, as the notice lists them; parcels without a town last on every database.
        .order_by("-kind", F("town__code").asc(nulls_last=True), "code")
    )
    sheet = ReportSheet(
        workbook,
        "项目清单",
        PROJECT_COLUMNS,
        heading=f"{county.name}“批而未用”土地项目清单（逐宗地）",
        subheading=subheading,
    )
    by_unit = defaultdict(
        lambda: {"parcels": 0, "area": ZERO, "disposed": ZERO, "first_date": None, "codes": []}
    )
    unit_names = {}
    for number, parcel in enumerate(parcels.iterator(chunk_size=2000), 1):
        disposed = min(parcel.disposed_as_of, parcel.area_mu)
        reason = (
            parcel.get_unsupplied_reason_display()
            if parcel.kind == ParcelKind.UNSUPPLIED
            else parcel.get_idle_cause_display()
        )
        unit = parcel.responsible_unit
        sheet.row(
            [
                number,
                parcel.code,
                parcel.name,
                parcel.get_kind_display(),
                parcel.town.name if parcel.town_id else "",
                parcel.location,
                area_2(parcel.area_mu),
                area_2(disposed),
                area_2(parcel.area_mu - disposed),
                ParcelStatus.of(parcel.area_mu, disposed).label,
                reason or "",
                parcel.get_planned_method_display() or "",
                parcel.planned_date,
                unit.name if unit else NO_UNIT,
            ]
        )
        entry = by_unit[parcel.responsible_unit_id]
        if unit is not None:
            unit_names[unit.pk] = unit
        entry["parcels"] += 1
        entry["area"] += parcel.area_mu
        entry["disposed"] += disposed
        if parcel.area_mu > disposed:
            entry["codes"].append(parcel.code)
            if parcel.planned_date and (
                entry["first_date"] is None or parcel.planned_date < entry["first_date"]
            ):
                entry["first_date"] = parcel.planned_date
    if not by_unit:
        sheet.note(f"{county.name}台账中还没有地块。")

    # 责任清单: the county's units (1 query), their members of a leadership group (1 query).
    units = list(Unit.objects.visible_to(user).filter(region=county).order_by("order", "id"))
    known = {unit.pk for unit in units}
    units += sorted((unit for pk, unit in unit_names.items() if pk not in known), key=lambda unit: unit.name)
    members = defaultdict(list)
    for member in (
        GroupMember.objects.filter(group__region=county, unit__isnull=False)
        .order_by("group_id", "order", "id")
        .values("unit_id", "name", "title")
    ):
        # 姓名（职务）; a member the document lists by title alone (no name) is that title.
        name, title = member["name"], member["title"]
        members[member["unit_id"]].append(f"{name}（{title}）" if name and title else name or title)
    sheet = ReportSheet(
        workbook,
        "责任清单",
        DUTY_COLUMNS,
        heading=f"{county.name}{year}年度“批而未用”土地清理责任清单",
        subheading=subheading,
    )
    number = 0
    for unit in [*units, None]:
        key = unit.pk if unit is not None else None
        entry = by_unit.get(key)
        if unit is None and entry is None:
            continue
        entry = entry or {"parcels": 0, "area": ZERO, "disposed": ZERO, "first_date": None, "codes": []}
        number += 1
        sheet.row(
            [
                number,
                unit.name if unit else NO_UNIT,
                unit.get_kind_display() if unit else "",
                unit.duties if unit else "",
                "、".join(members.get(key, [])),
                entry["parcels"],
                area_2(entry["area"]),
                area_2(entry["disposed"]),
                area_2(entry["area"] - entry["disposed"]),
                entry["first_date"],
                "、".join(entry["codes"]),
            ]
        )
    sheet.note(
        "说明：负责地块（编号）列出尚有剩余面积的地块；最早计划完成时间取这些地块中最早的计划完成时间。"
    )
    workbook.save(target)
