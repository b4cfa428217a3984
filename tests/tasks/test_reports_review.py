# ruff: noqa: F811 - the campaign fixture of test_reports.py is imported here and taken as an argument
"""Review of the Excel reports (tasks/reports.py, tasks/api/report_views.py): defects a user meets, each
against what DOMAIN.md and API.md say, with the expected figures worked out by hand in the comments."""

import datetime
from decimal import Decimal
from urllib.parse import quote

import pytest
from django.utils import timezone

from leadership.choices import Role
from leadership.models import GroupMember, LeadershipGroup, Unit
from tasks import services as task_services
from tasks.catalog import forget
from tests.factories import IdleParcelFactory, ParcelFactory
from tests.tasks.test_reports import (  # noqa: F401 - campaign: a fixture
    LISTS,
    MONTHLY,
    api,
    campaign,
    dec,
    dispose,
    rows_of,
    workbook_of,
)

pytestmark = pytest.mark.django_db

D = datetime.date


def download_name(response):
    """The file name a browser saves the download as (Django writes RFC 6266's filename*= for Chinese)."""
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment; filename*=utf-8''"), disposition
    return disposition.removeprefix("attachment; filename*=utf-8''")


# --- the monthly report: whose report it says it is ------------------------------------------------------


def test_an_administrator_with_a_region_gets_every_county_under_no_regions_name(campaign, make_user):
    """An administrator reads every county (DOMAIN.md §2), whatever region the account also names
    (create_account takes --region for any role). The report without ?county= lists 安泽县 and 乡宁县, so
    neither its title nor its file name may say it is 乡宁县's: they read as a regionless administrator's."""
    admin = make_user("admin_xiangning", Role.ADMIN, campaign["141029"])
    response = api(admin).get(MONTHLY, {"year": 2022, "month": 9})
    name = download_name(response)
    sheet = workbook_of(response)["进度汇总"]
    assert [row[1] for row in rows_of(sheet) if isinstance(row[0], int)] == ["安泽县", "乡宁县"]
    assert sheet["A1"].value == "2022年度“批而未用”土地清理进度月报（2022年9月）"
    assert name == quote("2022年09月进度月报.xlsx")


def test_an_administrator_naming_a_county_gets_that_countys_report(campaign, make_user):
    """Pins (checked by hand, untested): with ?county= the administrator's report is that county's, in
    its title and its file name, whatever region the account names."""
    admin = make_user("admin_xiangning", Role.ADMIN, campaign["141029"])
    response = api(admin).get(MONTHLY, {"year": 2022, "month": 9, "county": "141026"})
    assert download_name(response) == quote("安泽县2022年09月进度月报.xlsx")
    sheet = workbook_of(response)["进度汇总"]
    assert sheet["A1"].value == "安泽县2022年度“批而未用”土地清理进度月报（2022年9月）"
    assert [row[1] for row in rows_of(sheet) if isinstance(row[0], int)] == ["安泽县"]


# --- the three lists: as of the year's last day ----------------------------------------------------------


def test_the_lists_of_a_past_year_leave_out_parcels_not_yet_on_the_ledger_then(campaign, clerk_xiangning):
    """The lists are "as of the year's last day". A 批而未供 parcel approved on 2022-03-01 and a 闲置土地
    parcel supplied on 2022-02-01 were not on 乡宁县's ledger on 2021-12-31 (DOMAIN.md §3: the ledger
    holds approved-not-supplied and supplied-idle land; the monthly report's town breakdown counts only
    parcels on the ledger by its date), so the 2021 项目清单 has A, B, C and I only and the 责任清单
    counts 乡宁县自然资源局 with A and B: 2 parcels, 12 + 10 = 22.00 亩, of which 2.00 disposed (A's
    2021-12-31 disposal), 20.00 left. The 2022 lists (as of 2022-12-31) do hold both new parcels."""
    natural = Unit.objects.get(name="乡宁县自然资源局")
    ParcelFactory(
        county=campaign["141029"],
        code="L",
        town=campaign["141029100"],
        area_mu=Decimal("3"),
        approval_date=D(2022, 3, 1),
        responsible_unit=natural,
    )
    IdleParcelFactory(
        county=campaign["141029"],
        code="M",
        area_mu=Decimal("4"),
        supply_date=D(2022, 2, 1),
        agreed_start_date=D(2022, 8, 1),
        responsible_unit=natural,
    )
    book = workbook_of(api(clerk_xiangning).get(LISTS, {"year": 2021}))
    assert [row[1] for row in rows_of(book["项目清单"])] == ["A", "B", "C", "I"]
    (duty,) = [row for row in rows_of(book["责任清单"]) if row[1] == "乡宁县自然资源局"]
    assert [duty[5], dec(duty[6]), dec(duty[7]), dec(duty[8]), duty[10]] == [
        2,
        Decimal("22.00"),
        Decimal("2.00"),
        Decimal("20.00"),
        "A、B",
    ]
    book = workbook_of(api(clerk_xiangning).get(LISTS, {"year": 2022}))
    # 批而未供 first, by town code (昌宁镇 A and L, 光华镇 B, then C without a town), then 闲置土地.
    assert [row[1] for row in rows_of(book["项目清单"])] == ["A", "L", "B", "C", "I", "M"]


# --- the three lists: the members of the leadership group ------------------------------------------------


def test_a_member_listed_by_title_alone_reads_as_the_title(demo, clerk_xiangning):
    """The 2022 乡宁 notice lists a member by title only: "涉及乡镇政府主要负责人" (GroupMember.name may be
    blank: "文件未列姓名时可留空，只填职务"). The 责任清单 shows a named member as 姓名（职务） — "汪峰（县
    自然资源局局长）" — and one without a name as the title itself, not as "（涉及乡镇政府主要负责人）"."""
    sheet = workbook_of(api(clerk_xiangning).get(LISTS, {"year": 2022}))["责任清单"]
    members = {row[1]: row[4] for row in rows_of(sheet)}
    assert members["乡宁县自然资源局"] == "汪峰（县自然资源局局长）"
    assert members["乡宁县相关乡镇政府"] == "涉及乡镇政府主要负责人"


def test_a_member_with_a_name_and_no_title_reads_as_the_name(campaign, clerk_xiangning):
    """Pins (checked by hand, untested): a member with a name and no title is the name alone; two members
    of one unit are joined by 、 in the group's order."""
    finance = Unit.objects.get(name="乡宁县财政局")
    group = LeadershipGroup.objects.get(name="乡宁县批而未用土地清理领导小组")
    GroupMember.objects.create(group=group, order=4, name="赵六", unit=finance)
    GroupMember.objects.create(group=group, order=3, name="钱七", title="财政局局长", unit=finance)
    sheet = workbook_of(api(clerk_xiangning).get(LISTS, {"year": 2022}))["责任清单"]
    members = {row[1]: row[4] for row in rows_of(sheet)}
    assert members["乡宁县财政局"] == "钱七（财政局局长）、赵六"


# --- the monthly report: a month still running ------------------------------------------------------------


def test_a_month_still_running_counts_the_disposals_of_today_and_none_before_the_period(
    regions, clerk_xiangning
):
    """Pins (checked by hand; the existing test reads only the date line): the report of this month is as
    of today (Asia/Shanghai), and counts today's disposals. 乡宁县 批而未供, 4 亩, period from today to
    31 Dec: 2.0000 disposed yesterday is before the period; 1.0050 today counts → "1.01" (half-up; half-even
    would give 1.00), 1.005 ÷ 4 × 100 = 25.125 % → "25.13"; the town's completed area the same 1.01."""
    today = timezone.localdate()
    parcel = ParcelFactory(county=regions["141029"], town=regions["141029102"], area_mu=Decimal("10"))
    dispose(parcel, "2.0000", today - datetime.timedelta(days=1))
    dispose(parcel, "1.0050", today)
    task_services.task_create(
        county=regions["141029"],
        year=today.year,
        category="unsupplied",
        target_area_mu=Decimal("4"),
        start_date=today,
        end_date=D(today.year, 12, 31),
        milestones=[(D(today.year, 12, 31), "100")],
    )
    book = workbook_of(api(clerk_xiangning).get(MONTHLY, {"year": today.year, "month": today.month}))
    assert book["进度汇总"]["A2"].value.startswith(f"统计截至 {today.year}年{today.month}月{today.day}日")
    (row,) = [row for row in rows_of(book["进度汇总"]) if isinstance(row[0], int)]
    assert [dec(value) for value in row[4:7]] == [Decimal("4.00"), Decimal("1.01"), Decimal("25.13")]
    (town,) = rows_of(book["分乡镇"])
    assert (town[2], town[3], town[4], dec(town[5]), dec(town[6])) == (
        "141029102",
        "台头镇",
        1,
        Decimal("10.00"),
        Decimal("1.01"),
    )


# --- the monthly report: what it costs ----------------------------------------------------------------------


@pytest.mark.parametrize("extra", [0, 6])
def test_a_report_of_three_counties_costs_the_same_queries_however_many_towns_and_parcels(
    campaign, city_linfen, django_assert_num_queries, extra
):
    """Pins (STYLE.md: a report pinned with at least three rows present): three county tasks (安泽 闲置,
    翼城 批而未用, 乡宁 批而未供) and their towns; more parcels in more towns cost no more queries.
    The city's counties, the catalog stamp, tasks, milestones, the disposed area (year totals), the
    town breakdown (parcels, disposals): 7."""
    yicheng = campaign["141022"]
    task_services.task_create(county=yicheng, year=2022, category="both", target_area_mu=Decimal("5"))
    towns = [campaign["141029102"], campaign["141029103"], campaign["141026101"]]
    for index in range(extra):
        town = towns[index % len(towns)]
        parcel = ParcelFactory(county=town.parent, code=f"Q{index}", town=town, area_mu=Decimal("2"))
        dispose(parcel, "0.5000", D(2022, 4, 1))
    client = api(city_linfen)
    forget()
    with django_assert_num_queries(7):
        book = workbook_of(client.get(MONTHLY, {"year": 2022, "month": 9}))
    assert [row[1] for row in rows_of(book["进度汇总"]) if isinstance(row[0], int)] == [
        "翼城县",
        "安泽县",
        "乡宁县",
    ]
