"""The demo of ``make run``, page by page, as each of its users meets it.

Every figure is worked out by hand from the rows of fixtures/demo.json (written below as Decimal literals,
with the arithmetic in comments) and read where the user reads it: the overview (/dashboard/), the county
page, the REST report (/api/v1/progress/ and /api/v1/progress/<county>/) and the monthly workbook — the
four must agree with each other and with the hand figures.

The demo's disposals, as fixtures/demo.json has them:

安泽县 2023, category 批而未用 (both kinds), target 60 亩, period 2023-01-01 … 2023-12-31, milestones
25 % 2023-05-31 (15.00 亩), 50 % 2023-06-30 (30.00), 85 % 2023-09-30 (51.00), 100 % 2023-11-30 (60.00):
  AZ-PW-001 府城镇        12.40 on 2023-04-26  (parcel 12.40)
  AZ-PW-002 和川镇        18.80 on 2023-06-21  (parcel 18.80)
  AZ-PW-003 唐城镇         9.60 on 2023-08-15  (parcel 15.00: 5.40 left)
  AZ-XZ-001 开发区 (idle) 12.00 on 2023-09-12  (parcel 12.00)
  AZ-XZ-002 冀氏镇 (idle) 11.50 on 2023-11-20  (parcel 11.50)
  no disposal: AZ-PW-004 良马镇 6.35, AZ-PW-005 马壁镇 4.20, AZ-XZ-003 府城镇 (idle) 7.65

乡宁县 2022, category 批而未供, target 26.96 亩, period 2022-01-01 … 2022-12-31, milestones 25 % 2022-05-31
(26.96 × 0.25 = 6.74), 50 % 2022-06-30 (13.48), 85 % 2022-09-30 (22.916 → 22.92), 100 % 2022-11-30 (26.96):
  XN2022-001 昌宁镇   7.10 on 2022-04-18  (parcel 7.10)
  XN2022-002 光华镇   9.36 on 2022-06-20  (parcel 9.36)
  XN2022-003 台头镇   7.25 on 2022-08-25  (parcel 8.50: 1.25 left)
  no disposal: XN2022-004 乡宁生态文化旅游示范区 2.00
"""

import datetime
import html
import io
import re
from decimal import Decimal

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from leadership.choices import Role
from parcels import services as parcel_services
from tests.factories import IdleParcelFactory, ParcelFactory

pytestmark = pytest.mark.django_db

D = datetime.date
PROGRESS = "/api/v1/progress/"
MONTHLY = "/api/v1/reports/monthly/"
LISTS = "/api/v1/reports/lists/"

# The demo's accounts (landtrack/management/commands/demo_setup.py), by what they are.
ANZE_CLERK = ("demo_anze", Role.COUNTY_CLERK, "141026")
ANZE_OFFICE = ("demo_anze_office", Role.COUNTY_OFFICE, "141026")
XIANGNING_CLERK = ("demo_xiangning", Role.COUNTY_CLERK, "141029")
CITY = ("demo_city", Role.CITY_BUREAU, "141000")


def text_of(response):
    """What a reader sees of an HTML page: no tags, no scripts, entities read, spaces collapsed."""
    assert response.status_code == 200, response.status_code
    body = response.content.decode()
    body = re.sub(r"<(script|style)\b.*?</\1>", " ", body, flags=re.S)
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", body))).strip()


def cells(fragment):
    return [
        re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", cell))).strip()
        for cell in re.findall(r"<td[^>]*>(.*?)</td>", fragment, re.S)
    ]


def overview_rows(client, **params):
    """The overview's task rows: {county name: [its cells but the bar]}."""
    response = client.get("/dashboard/", params)
    assert response.status_code == 200
    body = response.content.decode()
    tbody = re.search(r"<tbody>(.*?)</tbody>", body, re.S)
    rows = re.findall(r'<tr class="status-[a-z_]+">(.*?)</tr>', tbody.group(1) if tbody else "", re.S)
    return {row[0]: row[1:9] for row in map(cells, rows)}


def county_figures(client, code, **params):
    """The figures block of the county page's one task: {label: shown value, label·small: its note}."""
    response = client.get(f"/dashboard/{code}/", params)
    assert response.status_code == 200
    blocks = re.findall(r'<dl class="figures">(.*?)</dl>', response.content.decode(), re.S)
    assert len(blocks) == 1
    figures = {}
    for label, value in re.findall(r"<dt>(.*?)</dt><dd>(.*?)</dd>", blocks[0], re.S):
        small = re.search(r"<small>(.*?)</small>", value, re.S)
        figures[label] = html.unescape(re.sub(r"<small>.*?</small>", "", value, flags=re.S)).strip()
        if small:
            figures[label + "·small"] = html.unescape(small.group(1)).strip()
    return figures


def api_row(client, as_of, year, county=None):
    path = f"{PROGRESS}{county}/" if county else PROGRESS
    response = client.get(path, {"as_of": as_of.isoformat(), "year": year})
    assert response.status_code == 200, response.content
    (row,) = response.json()["results"]
    return row


def workbook(response):
    assert response.status_code == 200, response
    return load_workbook(io.BytesIO(b"".join(response.streaming_content)))


def sheet_rows(sheet):
    """The rows under the header (row 3), without the notes (说明：…, …没有县级任务。)."""
    return [
        list(row)
        for row in sheet.iter_rows(min_row=4, values_only=True)
        if not (isinstance(row[0], str) and (row[0].startswith("说明") or row[0].endswith("没有县级任务。")))
    ]


def two(value):
    """A workbook cell's number as its 2-place text."""
    return None if value is None else f"{Decimal(str(value)):.2f}"


def mu(value):
    return f"{value:.2f}"


def text(value):
    """A hand figure as the API writes it (None stays None: 0.00 is a figure)."""
    return None if value is None else str(value)


# --- the hand figures ---------------------------------------------------------------------------------

# (as of, completed, rate, required rate, required area, shortfall, status, next milestone or None,
#  next target rate, still needed for it, 公顷 of the completed area)
ANZE_2023 = [
    # 20 May: only AZ-PW-001's 12.40 (26 April). 12.40 ÷ 60 × 100 = 20.666… → 20.67. No milestone due yet
    # (required 0); 31 May is 11 days away (≤ 14) and 20.67 < 25 → 临期预警; 15.00 − 12.40 = 2.60 still
    # needed. 12.40 ÷ 15 = 0.82666… → 0.8267 公顷.
    (
        D(2023, 5, 20),
        Decimal("12.40"),
        Decimal("20.67"),
        Decimal("0.00"),
        Decimal("0.00"),
        Decimal("0.00"),
        "临期预警",
        "2023年5月31日",
        Decimal("25.00"),
        Decimal("2.60"),
        Decimal("0.8267"),
    ),
    # 31 May (due): 12.40 < 25 % × 60 = 15.00 → 滞后, short 15.00 − 12.40 = 2.60; next 30 June:
    # 30.00 − 12.40 = 17.60.
    (
        D(2023, 5, 31),
        Decimal("12.40"),
        Decimal("20.67"),
        Decimal("25.00"),
        Decimal("15.00"),
        Decimal("2.60"),
        "滞后",
        "2023年6月30日",
        Decimal("50.00"),
        Decimal("17.60"),
        Decimal("0.8267"),
    ),
    # 20 June: still 12.40 (AZ-PW-002 comes on the 21st) → still 2.60 behind.
    (
        D(2023, 6, 20),
        Decimal("12.40"),
        Decimal("20.67"),
        Decimal("25.00"),
        Decimal("15.00"),
        Decimal("2.60"),
        "滞后",
        "2023年6月30日",
        Decimal("50.00"),
        Decimal("17.60"),
        Decimal("0.8267"),
    ),
    # 30 June: 12.40 + 18.80 = 31.20 → 52.00 % ≥ 50 % (30.00 亩); 30 Sept is 92 days away → 正常推进;
    # 85 % × 60 = 51.00 − 31.20 = 19.80 still needed. 31.20 ÷ 15 = 2.0800 公顷.
    (
        D(2023, 6, 30),
        Decimal("31.20"),
        Decimal("52.00"),
        Decimal("50.00"),
        Decimal("30.00"),
        Decimal("0.00"),
        "正常推进",
        "2023年9月30日",
        Decimal("85.00"),
        Decimal("19.80"),
        Decimal("2.0800"),
    ),
    # 30 Sept: 31.20 + 9.60 + 12.00 = 52.80 → 88.00 % ≥ 85 % (51.00); 30 Nov is 61 days away; 60 − 52.80
    # = 7.20 still needed. 52.80 ÷ 15 = 3.5200.
    (
        D(2023, 9, 30),
        Decimal("52.80"),
        Decimal("88.00"),
        Decimal("85.00"),
        Decimal("51.00"),
        Decimal("0.00"),
        "正常推进",
        "2023年11月30日",
        Decimal("100.00"),
        Decimal("7.20"),
        Decimal("3.5200"),
    ),
    # 17 Nov: 30 Nov is 13 days away, 88.00 < 100 → 临期预警.
    (
        D(2023, 11, 17),
        Decimal("52.80"),
        Decimal("88.00"),
        Decimal("85.00"),
        Decimal("51.00"),
        Decimal("0.00"),
        "临期预警",
        "2023年11月30日",
        Decimal("100.00"),
        Decimal("7.20"),
        Decimal("3.5200"),
    ),
    # 30 Nov: + 11.50 (20 Nov) = 64.30 → 64.30 ÷ 60 × 100 = 107.1666… → 107.17 (not capped) → 已完成;
    # 64.30 ÷ 15 = 4.28666… → 4.2867.
    (
        D(2023, 11, 30),
        Decimal("64.30"),
        Decimal("107.17"),
        Decimal("100.00"),
        Decimal("60.00"),
        Decimal("0.00"),
        "已完成",
        None,
        None,
        None,
        Decimal("4.2867"),
    ),
]
XIANGNING_2022 = [
    # 31 May: 7.10 → 7.10 ÷ 26.96 × 100 = 26.335… → 26.34 ≥ 25 % (6.74); 30 June is 30 days away;
    # 13.48 − 7.10 = 6.38 still needed. 7.10 ÷ 15 = 0.47333… → 0.4733.
    (
        D(2022, 5, 31),
        Decimal("7.10"),
        Decimal("26.34"),
        Decimal("25.00"),
        Decimal("6.74"),
        Decimal("0.00"),
        "正常推进",
        "2022年6月30日",
        Decimal("50.00"),
        Decimal("6.38"),
        Decimal("0.4733"),
    ),
    # 30 June: 7.10 + 9.36 = 16.46 → 61.053… → 61.05 ≥ 50 % (13.48); 85 % = 22.916 − 16.46 = 6.456 → 6.46.
    # 16.46 ÷ 15 = 1.09733… → 1.0973.
    (
        D(2022, 6, 30),
        Decimal("16.46"),
        Decimal("61.05"),
        Decimal("50.00"),
        Decimal("13.48"),
        Decimal("0.00"),
        "正常推进",
        "2022年9月30日",
        Decimal("85.00"),
        Decimal("6.46"),
        Decimal("1.0973"),
    ),
    # 5 Sept (the notice's date): 16.46 + 7.25 = 23.71 → 87.945… → 87.95 (the notice prints 87.96 from its
    # unrounded areas: DOMAIN.md §1); 30 Sept is 25 days away and 23.71 ≥ 22.916 already: 0.00 needed.
    # 23.71 ÷ 15 = 1.58066… → 1.5807.
    (
        D(2022, 9, 5),
        Decimal("23.71"),
        Decimal("87.95"),
        Decimal("50.00"),
        Decimal("13.48"),
        Decimal("0.00"),
        "正常推进",
        "2022年9月30日",
        Decimal("85.00"),
        Decimal("0.00"),
        Decimal("1.5807"),
    ),
    # 30 Sept: required 85 % = 22.916 → 22.92, met; 30 Nov 61 days away: 26.96 − 23.71 = 3.25 (the
    # notice's "11 月底前最少完成供地 3.25 亩").
    (
        D(2022, 9, 30),
        Decimal("23.71"),
        Decimal("87.95"),
        Decimal("85.00"),
        Decimal("22.92"),
        Decimal("0.00"),
        "正常推进",
        "2022年11月30日",
        Decimal("100.00"),
        Decimal("3.25"),
        Decimal("1.5807"),
    ),
    # 16 Nov: 30 Nov is 14 days away and 87.95 < 100 → 临期预警.
    (
        D(2022, 11, 16),
        Decimal("23.71"),
        Decimal("87.95"),
        Decimal("85.00"),
        Decimal("22.92"),
        Decimal("0.00"),
        "临期预警",
        "2022年11月30日",
        Decimal("100.00"),
        Decimal("3.25"),
        Decimal("1.5807"),
    ),
    # 30 Nov: 100 % = 26.96 due, 23.71 done → 滞后, short 3.25; no milestone after it.
    (
        D(2022, 11, 30),
        Decimal("23.71"),
        Decimal("87.95"),
        Decimal("100.00"),
        Decimal("26.96"),
        Decimal("3.25"),
        "滞后",
        None,
        None,
        None,
        Decimal("1.5807"),
    ),
]
STATUS_CODES = {"已完成": "completed", "滞后": "behind", "临期预警": "at_risk", "正常推进": "on_track"}
CASES = [("141026", "安泽县", 2023, Decimal("60.00"), "批而未用", "both", row) for row in ANZE_2023] + [
    ("141029", "乡宁县", 2022, Decimal("26.96"), "批而未供", "unsupplied", row) for row in XIANGNING_2022
]


def is_month_end(day):
    return (day + datetime.timedelta(days=1)).day == 1


def next_text(due, rate, need):
    return "已过最后节点" if due is None else f"{due} 达 {rate}%，还需 {need} 亩"


@pytest.mark.parametrize(
    "case", CASES, ids=[f"{code}-{row[0].isoformat()}" for code, _, _, _, _, _, row in CASES]
)
@pytest.mark.parametrize("account", ["city", "own county"])
def test_the_overview_the_county_page_the_api_and_the_monthly_report_show_the_hand_figures(
    login, case, account
):
    code, name, year, target, category_label, category, row = case
    as_of, done, rate, required, required_area, shortfall, status, due, next_rate, need, hectares = row
    who = CITY if account == "city" else (ANZE_CLERK if code == "141026" else XIANGNING_CLERK)
    client = login(*who)
    query = {"year": year, "as_of": as_of.isoformat()}

    assert overview_rows(client, **query)[name] == [
        category_label,
        mu(target),
        mu(done),
        f"{rate}%",
        f"{required}%",
        status,
        mu(shortfall),
        next_text(due, next_rate, need),
    ]

    figures = county_figures(client, code, **query)
    assert figures["任务面积"] == f"{target} 亩"
    assert figures["已完成"] == f"{done} 亩"
    assert figures["已完成·small"] == f"{hectares} 公顷"
    assert figures["完成率"] == f"{rate}%"
    assert (figures["应达比例"], figures["应达比例·small"]) == (f"{required}%", f"应完成 {required_area} 亩")
    assert figures["差额"] == f"{shortfall} 亩"
    if due is None:
        assert figures["下一节点"] == "已过最后节点"
    else:
        assert (figures["下一节点"], figures["下一节点·small"]) == (due, f"达 {next_rate}%，还需 {need} 亩")

    for county in (None, code):
        answer = api_row(client, as_of, year, county)
        assert (answer["county"], answer["county_name"], answer["category"]) == (code, name, category)
        assert [
            answer["target_area_mu"],
            answer["completed_area_mu"],
            answer["completion_rate"],
            answer["required_rate"],
            answer["required_area_mu"],
            answer["shortfall_area_mu"],
            answer["status"],
        ] == [str(target), str(done), str(rate), str(required), str(required_area), str(shortfall),
              STATUS_CODES[status]]  # fmt: skip
        upcoming = answer["next_milestone"]
        assert (upcoming and (upcoming["target_rate"], upcoming["remaining_area_mu"])) == (
            due and (text(next_rate), text(need))
        )

    if is_month_end(as_of):
        book = workbook(client.get(MONTHLY, {"county": code, "year": year, "month": as_of.month}))
        (summary,) = [r for r in sheet_rows(book["进度汇总"]) if r[1] == name]
        assert summary[1:4] == [name, code, category_label]
        assert [two(value) for value in summary[4:10]] == [
            str(target),
            str(done),
            str(rate),
            str(required),
            str(required_area),
            str(shortfall),
        ]
        assert summary[10] == status
        assert [two(value) for value in summary[12:14]] == [text(next_rate), text(need)]


# Each milestone as of the date: (due as shown, target rate, target area, completed by its due date or None,
# met: 已达到 / 未达到 / 待到期, shortfall on its due date or None).
ANZE_MILESTONES_ON_30_NOV_2023 = [
    # 25 % × 60 = 15.00; by 31 May only 12.40 → 未达到, short 15.00 − 12.40 = 2.60.
    ("2023年5月31日", Decimal("25.00"), Decimal("15.00"), Decimal("12.40"), "未达到", Decimal("2.60")),
    # 50 % × 60 = 30.00; by 30 June 12.40 + 18.80 = 31.20 → 已达到.
    ("2023年6月30日", Decimal("50.00"), Decimal("30.00"), Decimal("31.20"), "已达到", Decimal("0.00")),
    # 85 % × 60 = 51.00; by 30 Sept 31.20 + 9.60 + 12.00 = 52.80 → 已达到.
    ("2023年9月30日", Decimal("85.00"), Decimal("51.00"), Decimal("52.80"), "已达到", Decimal("0.00")),
    # 100 % = 60.00; by 30 Nov 52.80 + 11.50 = 64.30 → 已达到.
    ("2023年11月30日", Decimal("100.00"), Decimal("60.00"), Decimal("64.30"), "已达到", Decimal("0.00")),
]
XIANGNING_MILESTONES_ON_30_NOV_2022 = [
    # 25 % × 26.96 = 6.74; by 31 May 7.10 → 已达到.
    ("2022年5月31日", Decimal("25.00"), Decimal("6.74"), Decimal("7.10"), "已达到", Decimal("0.00")),
    # 50 % × 26.96 = 13.48; by 30 June 7.10 + 9.36 = 16.46 → 已达到.
    ("2022年6月30日", Decimal("50.00"), Decimal("13.48"), Decimal("16.46"), "已达到", Decimal("0.00")),
    # 85 % × 26.96 = 22.916 → 22.92; by 30 Sept 16.46 + 7.25 = 23.71 → 已达到.
    ("2022年9月30日", Decimal("85.00"), Decimal("22.92"), Decimal("23.71"), "已达到", Decimal("0.00")),
    # 100 % = 26.96; by 30 Nov still 23.71 → 未达到, short 26.96 − 23.71 = 3.25.
    ("2022年11月30日", Decimal("100.00"), Decimal("26.96"), Decimal("23.71"), "未达到", Decimal("3.25")),
]
# 20 June 2023: only 31 May is due.
ANZE_MILESTONES_ON_20_JUNE_2023 = [
    ("2023年5月31日", Decimal("25.00"), Decimal("15.00"), Decimal("12.40"), "未达到", Decimal("2.60")),
    ("2023年6月30日", Decimal("50.00"), Decimal("30.00"), None, "待到期", None),
    ("2023年9月30日", Decimal("85.00"), Decimal("51.00"), None, "待到期", None),
    ("2023年11月30日", Decimal("100.00"), Decimal("60.00"), None, "待到期", None),
]


def timeline(client, code, **params):
    """The county page's milestone timeline, one text per milestone."""
    response = client.get(f"/dashboard/{code}/", params)
    block = re.search(r'<ol class="timeline">(.*?)</ol>', response.content.decode(), re.S).group(1)
    return [
        re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", item))).strip()
        for item in re.findall(r"<li[^>]*>(.*?)</li>", block, re.S)
    ]


def timeline_text(due, rate, area, done, state, shortfall):
    shown = f"{state} {due} 累计 {rate}%（{area} 亩）"
    if done is not None:
        shown += f" · 实际 {done} 亩"
    if state == "未达到":
        shown += f"，差 {shortfall} 亩"
    return shown


def iso(shown):
    """2023年5月31日 → 2023-05-31."""
    year, month, day = map(int, re.match(r"(\d+)年(\d+)月(\d+)日", shown).groups())
    return D(year, month, day).isoformat()


MILESTONE_CASES = [
    ("141026", "安泽县", 2023, D(2023, 11, 30), ANZE_MILESTONES_ON_30_NOV_2023),
    ("141026", "安泽县", 2023, D(2023, 6, 20), ANZE_MILESTONES_ON_20_JUNE_2023),
    ("141029", "乡宁县", 2022, D(2022, 11, 30), XIANGNING_MILESTONES_ON_30_NOV_2022),
]


@pytest.mark.parametrize("code, name, year, as_of, expected", MILESTONE_CASES)
def test_each_milestone_its_area_what_was_done_by_it_and_how_far_short_on_every_surface(
    login, code, name, year, as_of, expected
):
    """The county page's timeline, the API's milestones and the monthly report's 时间节点 sheet say the same:
    each milestone's area, what was done by its due date and, for one missed, how many 亩 it was short."""
    client = login(*CITY)
    assert timeline(client, code, year=year, as_of=as_of.isoformat()) == [
        timeline_text(*milestone) for milestone in expected
    ]

    answer = api_row(client, as_of, year, code)
    assert [
        (m["due"], m["target_rate"], m["target_area_mu"], m["completed_area_mu"], m["met"])
        for m in answer["milestones"]
    ] == [
        (iso(due), str(rate), str(area), text(done), {"已达到": True, "未达到": False}.get(state))
        for due, rate, area, done, state, _ in expected
    ]

    month_end = as_of + datetime.timedelta(days=1)
    if month_end.day == 1:
        book = workbook(client.get(MONTHLY, {"county": code, "year": year, "month": as_of.month}))
        rows = [r for r in sheet_rows(book["时间节点"]) if r[0] == name]
        assert [
            (r[2].date().isoformat(), two(r[3]), two(r[4]), two(r[5]), two(r[6]), r[7]) for r in rows
        ] == [
            (iso(due), str(rate), str(area), text(done), text(shortfall),
             {"待到期": "未到期"}.get(state, state))
            for due, rate, area, done, state, shortfall in expected
        ]  # fmt: skip


# --- what each role sees -----------------------------------------------------------------------------

# What names 乡宁县 or its ledger on a page: the county, its towns and zone, its parcels, units and people.
XIANGNING_MARKS = ("乡宁", "XN2022", "昌宁镇", "光华镇", "台头镇", "袁亚萍", "李乡民", "26.96", "23.71")


def test_the_anze_clerk_finds_nothing_of_xiangning_on_any_page_download_or_answer(login):
    client = login(*ANZE_CLERK)
    pages = [
        ("/dashboard/", {}),
        ("/dashboard/", {"year": 2022, "as_of": "2022-09-05"}),
        ("/dashboard/", {"year": 2022, "as_of": "2022-11-30"}),
        ("/dashboard/reminders/", {"as_of": "2022-09-20"}),
        ("/dashboard/reminders/", {"as_of": "2023-05-31"}),
        ("/dashboard/141026/", {"year": 2022, "as_of": "2022-09-05"}),
        ("/dashboard/141026/rectifications/", {"as_of": "2022-10-01"}),
        ("/dashboard/141026/map/", {}),
    ]
    for path, query in pages:
        shown = text_of(client.get(path, query))
        assert not [mark for mark in XIANGNING_MARKS if mark in shown], (path, query)
    for path in ("/dashboard/141029/", "/dashboard/141029/rectifications/", "/dashboard/141029/map/"):
        assert client.get(path, {"year": 2022, "as_of": "2022-09-05"}).status_code == 404
    # The REST report of 2022 is empty for 安泽县's clerk; 乡宁县's own report is not there.
    answer = client.get(PROGRESS, {"year": 2022, "as_of": "2022-09-05"}).json()
    assert (answer["results"], answer["totals"]) == ([], [])
    assert client.get(f"{PROGRESS}141029/", {"year": 2022, "as_of": "2022-09-05"}).status_code == 404
    reminders = client.get("/api/v1/reminders/", {"as_of": "2022-09-20"}).json()
    assert [item for item in reminders if item["county"] != "141026"] == []
    # The downloads: a monthly report of 2022 without a county is 安泽县's own (no task that year), and
    # 乡宁县's workbooks are not there.
    book = workbook(client.get(MONTHLY, {"year": 2022, "month": 9}))
    written = " ".join(
        str(value) for sheet in book.worksheets for row in sheet.iter_rows(values_only=True) for value in row
    )
    assert "安泽县2022年度没有县级任务。" in written
    assert not [mark for mark in XIANGNING_MARKS if mark in written]
    assert client.get(MONTHLY, {"county": "141029", "year": 2022, "month": 9}).status_code == 404
    assert client.get(LISTS, {"county": "141029", "year": 2022}).status_code == 404


def test_the_city_reads_both_counties_and_each_clerk_only_their_own(login):
    city = login(*CITY)
    assert set(overview_rows(city, year=2023, as_of="2023-11-30")) == {"安泽县"}
    assert set(overview_rows(city, year=2022, as_of="2022-11-30")) == {"乡宁县"}
    for code in ("141026", "141029"):
        assert city.get(f"/dashboard/{code}/").status_code == 200
    xiangning = login(*XIANGNING_CLERK)
    assert set(overview_rows(xiangning)) == {"乡宁县"}  # today: the latest year with its task, 2022
    assert overview_rows(xiangning, year=2023, as_of="2023-11-30") == {}
    assert xiangning.get("/dashboard/141026/").status_code == 404
    office = login(*ANZE_OFFICE)
    assert set(overview_rows(office)) == {"安泽县"}
    assert office.get("/dashboard/141029/").status_code == 404


def test_the_year_chosen_is_the_year_offered_even_when_the_user_has_no_task_that_year(login):
    """安泽县's clerk asks for 2022 (a bookmark, a link from a colleague): the heading says 2022 年度, so the
    year list must say 2022 too — a list showing 2023 would send 2023 with the next 查看."""
    client = login(*ANZE_CLERK)
    body = client.get("/dashboard/", {"year": 2022, "as_of": "2022-09-05"}).content.decode()
    assert "2022 年度" in text_of(client.get("/dashboard/", {"year": 2022, "as_of": "2022-09-05"}))
    assert re.findall(r'<option value="(\d+)" selected>', body) == ["2022"]
    # Without a year asked for, the list offers the years with tasks and selects the one shown.
    body = client.get("/dashboard/").content.decode()
    assert re.findall(r'<option value="(\d+)"( selected)?>', body) == [("2023", " selected")]


# --- words and dates as the notices write them ------------------------------------------------------------

ISO_DATE = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")
LEADING_ZERO = re.compile(r"(?<!\d)(\d{4}年)?0\d月|月0\d日")


@pytest.mark.parametrize(
    "who, path, query",
    [
        (CITY, "/dashboard/", {"year": 2023, "as_of": "2023-11-17"}),
        (CITY, "/dashboard/", {"year": 2022, "as_of": "2022-09-20"}),
        (CITY, "/dashboard/reminders/", {"as_of": "2022-09-20"}),
        (ANZE_CLERK, "/dashboard/reminders/", {}),
        (ANZE_OFFICE, "/dashboard/141026/", {"year": 2023, "as_of": "2023-06-20"}),
        (XIANGNING_CLERK, "/dashboard/141029/", {"year": 2022, "as_of": "2022-09-05"}),
        (XIANGNING_CLERK, "/dashboard/141029/rectifications/", {"as_of": "2022-09-20"}),
        (ANZE_CLERK, "/dashboard/141026/map/", {}),
    ],
)
def test_every_date_a_page_shows_is_written_as_the_notices_write_dates(login, who, path, query):
    shown = text_of(login(*who).get(path, query))
    assert not ISO_DATE.findall(shown)
    assert not LEADING_ZERO.findall(shown)
    for raw in ("None", "not_started", "on_track", "at_risk", "behind", "completed", "unsupplied"):
        assert not re.search(rf"\b{raw}\b", shown), raw


def test_the_reminders_state_dates_as_the_notices_do(login):
    """The city's panel on 20 September 2022: XN2022-003 was planned for 31 August 2022 with 8.50 − 7.25 =
    1.25 亩 left; 乡宁县's items of 15 September (5 days overdue) and 30 September (10 days ahead)."""
    shown = text_of(login(*CITY).get("/dashboard/reminders/", {"as_of": "2022-09-20"}))
    assert "逾期 20 天 2022年8月31日 乡宁县：地块 XN2022-003 计划2022年8月31日完成处置，尚余 1.25 亩" in shown
    assert "逾期 5 天 2022年9月15日 乡宁县：整改事项“明确责任主体，压实工作责任”已逾期（未开始）" in shown
    assert "10 天后 2022年9月30日 乡宁县：整改事项“制定工作计划" in shown
    assert "共 4 项，其中已逾期 3 项。" in shown


def test_the_xiangning_task_and_items_read_as_the_notice_prints_them(login):
    """乡政办发〔2022〕60号: "临汾市规划和自然资源局下达我县 2022 年度“批而未供”土地消化任务 26.96 亩"; the
    items' titles and 整改时间 as printed (2022年9月15日前 ×2, 9月30日前, 12月30日前 ×2, 10月31日前)."""
    client = login(*XIANGNING_CLERK)
    page = text_of(client.get("/dashboard/141029/", {"year": 2022, "as_of": "2022-09-05"}))
    assert "乡宁县2022年度“批而未供”土地消化任务" in page
    assert "任务期 2022年1月1日—2022年12月31日 · 下达单位：临汾市规划和自然资源局" in page
    response = client.get("/dashboard/141029/rectifications/", {"as_of": "2022-09-05"})
    rows = [
        cells(row)[:4]
        for row in re.findall(r"<tr[^>]*>(.*?)</tr>", response.content.decode().split("<tbody>")[1], re.S)
    ]
    assert [row[1:3] for row in rows] == [
        ["明确责任主体，压实工作责任", "2022年9月15日"],
        ["完善工作制度，健全改革机制", "2022年9月15日"],
        ["制定工作计划，按时完成整改：编制年度“标准地”储备计划及出让计划、区域评价工作计划", "2022年9月30日"],
        [
            "制定工作计划，按时完成整改：示范区工业用地全部以“标准地”出让，2022年至少出让一宗",
            "2022年12月30日",
        ],
        ["制定工作计划，按时完成整改：2022年年底第二轮区域评价全部完成", "2022年12月30日"],
        ["成立工作专班", "未规定"],
        ["明确工作任务，倒排清理时间", "2022年10月31日"],
    ]


def test_an_item_done_after_the_date_looked_at_is_not_shown_done_on_it(login):
    """二（二）1 成立工作专班 was done on 5 September 2022 (the notice's own date). Looked at as of 1 September,
    the list is "截至 2022年9月1日": the item was not done yet then, as the reminders say of such items
    ("（2022年9月5日完成）"); from 5 September it is 已完成."""
    client = login(*XIANGNING_CLERK)

    def row_of_item(as_of):
        body = client.get("/dashboard/141029/rectifications/", {"as_of": as_of}).content.decode()
        rows = [cells(row) for row in re.findall(r"<tr[^>]*>(.*?)</tr>", body.split("<tbody>")[1], re.S)]
        (row,) = [row for row in rows if row[1] == "成立工作专班"]
        return row[3], row[6]  # 状态, 完成日期

    assert row_of_item("2022-09-01") == ("截至当日未完成（2022年9月5日完成）", "—")
    assert row_of_item("2022-09-05") == ("已完成", "2022年9月5日")
    assert row_of_item("2022-10-01") == ("已完成", "2022年9月5日")


CHINESE_DATE_FORMAT = 'yyyy"年"m"月"d"日"'  # 2022年9月30日: no leading zeros, as the notices write dates


def test_the_workbooks_show_their_dates_as_the_notices_write_them(login):
    """The monthly report's subheading says "统计截至 2022年9月30日" and the 任务清单's 任务期 "2022年1月1日—…":
    its milestone dates, next milestones and planned dates must not read 2022-05-31 beside them."""
    client = login(*XIANGNING_CLERK)
    monthly = workbook(client.get(MONTHLY, {"county": "141029", "year": 2022, "month": 9}))
    lists = workbook(client.get(LISTS, {"county": "141029", "year": 2022}))
    dates = [
        cell
        for book in (monthly, lists)
        for sheet in book.worksheets
        for row in sheet.iter_rows(min_row=4)
        for cell in row
        if isinstance(cell.value, datetime.datetime)
    ]
    # 进度汇总: the next milestone (1); 时间节点: 4; 任务清单: 4; 项目清单: 4 planned dates; 责任清单: the
    # earliest planned date of the two units with parcels left (2).
    assert len(dates) == 1 + 4 + 4 + 4 + 2
    assert {cell.number_format for cell in dates} == {CHINESE_DATE_FORMAT}
    (summary,) = sheet_rows(monthly["进度汇总"])[:1]
    assert summary[11] == datetime.datetime(2022, 11, 30)  # still a date: it sorts and filters as one


# --- queries -----------------------------------------------------------------------------------------


def more_anze_ledger(regions):
    """Four more 安泽 parcels in other towns, with other units, each partly disposed of in 2023."""
    from tests.factories import UnitFactory

    anze = regions["141026"]
    for number, town in enumerate(("141026101", "141026102", "141026103", "141026104")):
        unit = UnitFactory(region=anze, name=f"安泽县示例单位{number}")
        factory = ParcelFactory if number % 2 else IdleParcelFactory
        parcel = factory(
            county=anze,
            town=regions[town],
            responsible_unit=unit,
            area_mu=Decimal("5"),
            code=f"AZ-Q-{number}",
        )
        method = "supply_transfer" if parcel.kind == "unsupplied" else "construction_started"
        parcel_services.disposal_record(
            parcel=parcel, method=method, area_mu=Decimal("1"), date=D(2023, 3 + number, 10)
        )


def count_queries(client, path, query):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tasks.api.progress import forget_rows
    from tasks.catalog import forget

    forget()
    forget_rows()
    with CaptureQueriesContext(connection) as queries:
        assert client.get(path, query).status_code == 200
    return len(queries)


@pytest.mark.parametrize(
    "who, path, query, most",
    [
        # session, user, region; task years, catalog stamp, tasks, milestones, disposed areas; the county;
        # the breakdown (2); the pending parcels
        (ANZE_CLERK, "/dashboard/141026/", {"year": 2023, "as_of": "2023-06-30"}, 13),
        (CITY, "/dashboard/141026/", {"year": 2023, "as_of": "2023-12-31"}, 14),
        (ANZE_OFFICE, "/dashboard/", {"year": 2023, "as_of": "2023-06-30"}, 19),
        (ANZE_OFFICE, "/dashboard/reminders/", {"as_of": "2024-12-31"}, 11),
        (ANZE_OFFICE, "/dashboard/141026/map/", {}, 5),
    ],
)
def test_the_pages_cost_the_same_queries_with_more_parcels_towns_and_units(
    login, regions, who, path, query, most, django_assert_max_num_queries
):
    from tasks.catalog import forget

    client = login(*who)
    assert count_queries(client, path, query) == most
    more_anze_ledger(regions)
    forget()
    with django_assert_max_num_queries(most):
        assert client.get(path, query).status_code == 200


# --- the breakdowns ------------------------------------------------------------------------------------


def breakdown_tables(client, code, **params):
    """The county page's 按乡镇（园区） and 按责任单位 tables, as rows of cells."""
    body = client.get(f"/dashboard/{code}/", params).content.decode()
    tables = []
    for heading in ("按乡镇（园区）", "按责任单位"):
        table = re.search(rf"<h3>{heading}</h3>\s*<table[^>]*>(.*?)</table>", body, re.S).group(1)
        tables.append([cells(row) for row in re.findall(r"<tr>(.*?)</tr>", table.split("<tbody>")[1], re.S)])
    return tables


def test_the_anze_breakdown_by_town_and_unit_worked_by_hand(login):
    """As of 30 November 2023 (both kinds count):
    府城镇 AZ-PW-001 12.40 + AZ-XZ-003 7.65 = 20.05, done 12.40; 和川镇 18.80/18.80; 唐城镇 15.00/9.60;
    冀氏镇 11.50/11.50; 良马镇 6.35/0; 马壁镇 4.20/0; 安泽经济技术开发区 12.00/12.00 — in all 87.90, done
    12.40 + 18.80 + 9.60 + 11.50 + 12.00 = 64.30 (the task's completed area).
    Units, in the order of the county's unit list (the 责任清单's order): 安泽县自然资源局 AZ-PW-001/002/003 and
    AZ-XZ-003: 12.40 + 18.80 + 15.00 + 7.65 = 53.85, done 12.40 + 18.80 + 9.60 = 40.80; 安泽经济技术开发区管委会
    12.00/12.00; 冀氏镇人民政府 11.50/11.50; 良马镇人民政府 6.35/0; 马壁镇人民政府 4.20/0."""
    client = login(*ANZE_OFFICE)
    towns, units = breakdown_tables(client, "141026", year=2023, as_of="2023-11-30")
    assert towns == [
        ["府城镇", "2", "20.05", "12.40"],
        ["和川镇", "1", "18.80", "18.80"],
        ["唐城镇", "1", "15.00", "9.60"],
        ["冀氏镇", "1", "11.50", "11.50"],
        ["良马镇", "1", "6.35", "0.00"],
        ["马壁镇", "1", "4.20", "0.00"],
        ["安泽经济技术开发区", "1", "12.00", "12.00"],
    ]
    assert units == [
        ["安泽县自然资源局", "4", "53.85", "40.80"],
        ["安泽经济技术开发区管委会", "1", "12.00", "12.00"],
        ["冀氏镇人民政府", "1", "11.50", "11.50"],
        ["良马镇人民政府", "1", "6.35", "0.00"],
        ["马壁镇人民政府", "1", "4.20", "0.00"],
    ]
    # The API's towns and the monthly report's 分乡镇 sheet say the same.
    answer = api_row(client, D(2023, 11, 30), 2023, "141026")
    assert [
        [t["name"], str(t["parcels"]), t["area_mu"], t["completed_area_mu"]] for t in answer["towns"]
    ] == towns
    book = workbook(client.get(MONTHLY, {"county": "141026", "year": 2023, "month": 11}))
    rows = [r for r in sheet_rows(book["分乡镇"]) if r[0] == "安泽县"]
    assert [[r[3], str(r[4]), two(r[5]), two(r[6])] for r in rows] == towns
    # The 责任清单 lists the units in the same order (and every other unit of the county between them).
    lists = workbook(client.get(LISTS, {"county": "141026", "year": 2023}))
    listed = [r[1] for r in sheet_rows(lists["责任清单"]) if r[5]]
    assert listed == [unit[0] for unit in units]


def test_the_xiangning_breakdown_on_the_notices_date_worked_by_hand(login):
    """As of 5 September 2022: 昌宁镇 7.10/7.10, 光华镇 9.36/9.36, 台头镇 8.50/7.25, the zone 2.00/0 — done
    7.10 + 9.36 + 7.25 = 23.71, left 1.25 + 2.00 = 3.25 (the notice's 3.25 亩). Units: 乡宁县自然资源局
    7.10 + 9.36 + 8.50 = 24.96, done 23.71; 乡宁生态文化旅游示范区管委会 2.00/0."""
    client = login(*XIANGNING_CLERK)
    towns, units = breakdown_tables(client, "141029", year=2022, as_of="2022-09-05")
    assert towns == [
        ["昌宁镇", "1", "7.10", "7.10"],
        ["光华镇", "1", "9.36", "9.36"],
        ["台头镇", "1", "8.50", "7.25"],
        ["乡宁生态文化旅游示范区", "1", "2.00", "0.00"],
    ]
    assert units == [
        ["乡宁县自然资源局", "3", "24.96", "23.71"],
        ["乡宁生态文化旅游示范区管委会", "1", "2.00", "0.00"],
    ]
    pending = text_of(client.get("/dashboard/141029/", {"year": 2022, "as_of": "2022-09-05"}))
    pending = pending.split("待处置地块")[1]
    assert re.findall(r"(XN2022-\d+) .*? (\d+\.\d\d) (\d+\.\d\d) ", pending) == [
        ("XN2022-004", "2.00", "2.00"),
        ("XN2022-003", "8.50", "1.25"),  # 8.50 − 7.25
    ]


# --- the map -----------------------------------------------------------------------------------------


def test_the_map_card_of_a_demo_parcel_gives_its_figures_and_the_upload_time_in_chinese(login):
    """AZ-PW-001 (12.40 亩 on the ledger, disposed of whole) drawn from a 100 m × 100 m square: 10 000 m² =
    15.00 亩; (15.00 − 12.40) ÷ 12.40 × 100 = 20.967… → 20.97 %, beyond 1 %."""
    from parcels.boundary_services import boundary_upload
    from parcels.models import Parcel
    from tests.maps.samples import SQUARE

    parcel = Parcel.objects.get(code="AZ-PW-001")
    content = SQUARE.replace("AZ-001", parcel.code).encode("utf-8")
    boundary_upload(parcel=parcel, content=content, file_name="界址点坐标.txt")
    client = login(*ANZE_OFFICE)
    body = client.get("/dashboard/141026/map/").content.decode()
    card = re.search(
        rf'<section class="parcel-card[^"]*" id="parcel-{parcel.pk}">(.*?)</section>', body, re.S
    )
    shown = dict(
        (html.unescape(label), re.sub(r"<[^>]+>", "", html.unescape(value)).strip())
        for label, value in re.findall(r"<dt>(.*?)</dt><dd[^>]*>(.*?)</dd>", card.group(1), re.S)
    )
    assert {
        key: shown[key] for key in ("处置状态", "台账面积", "已处置", "剩余面积", "图上面积", "面积差异")
    } == {
        "处置状态": "已处置",
        "台账面积": "12.40 亩",
        "已处置": "12.40 亩",
        "剩余面积": "0.00 亩",
        "图上面积": "15.00 亩",
        "面积差异": "20.97%（超过 1%）",
    }
    uploaded = timezone.localtime(parcel.boundary.uploaded_at)
    assert shown["上图时间"] == f"{uploaded.year}年{uploaded.month}月{uploaded.day}日 {uploaded:%H:%M}"
    assert "共 8 宗，已上图 1 宗" in text_of(client.get("/dashboard/141026/map/"))
