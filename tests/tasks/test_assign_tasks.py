"""下达任务: the city bureau assigns one year's tasks to all its counties on one admin page
(CountyTaskAdmin.assign_view → tasks.services.task_bulk_assign), with the test client."""

import datetime
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from leadership.choices import RegionLevel, Role
from leadership.models import Region
from tasks.models import CountyTask, Milestone
from tests.factories import RegionFactory, UserFactory
from tests.helpers import database_snapshot

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/tasks/countytask/"
ASSIGN = "/admin/tasks/countytask/assign/"
# The notice's milestones as the page fills them in for 2024, worked out by hand.
MILESTONES_2024 = [
    (datetime.date(2024, 5, 31), Decimal("25.00")),
    (datetime.date(2024, 6, 30), Decimal("50.00")),
    (datetime.date(2024, 9, 30), Decimal("85.00")),
    (datetime.date(2024, 11, 30), Decimal("100.00")),
]
LINFEN_COUNTIES = [
    "141002", "141021", "141022", "141023", "141024", "141025", "141026", "141027", "141028",
    "141029", "141030", "141031", "141032", "141033", "141034", "141081", "141082",
]  # fmt: skip


def text_of(response):
    return re.sub(r"\s+", " ", response.content.decode())


def address(year=2024, city=None):
    """The page of a year's tasks (and, for the administrator, of a city): a POST goes to the page's own
    address, as the browser's form sends it, and takes its year from there."""
    return ASSIGN + f"?year={year}" + (f"&city={city}" if city else "")


def posted(areas, *, category="unsupplied", milestones=None, **shared):
    """The page's POST: ``areas`` {county code: text typed}, the shared fields, and the milestone rows as
    typed (the notice's defaults of 2024, as the page offers them, unless given), plus two blank rows. The
    year is shown, not sent: it is the page's (:func:`address`)."""
    rows = MILESTONES_2024 if milestones is None else milestones
    data = {
        "task-category": category,
        "task-start_date": "",
        "task-end_date": "",
        "task-assigned_by": "临汾市规划和自然资源局",
        "task-document_number": "临自然资发〔2024〕8号",
        "task-campaign": "",
        "milestones-TOTAL_FORMS": str(len(rows) + 2),
        "milestones-INITIAL_FORMS": str(len(rows)),
        "milestones-MIN_NUM_FORMS": "0",
        "milestones-MAX_NUM_FORMS": "12",
    }
    for number, (due, rate) in enumerate([*rows, ("", ""), ("", "")]):
        data[f"milestones-{number}-due"] = str(due)
        data[f"milestones-{number}-target_rate"] = str(rate)
    data.update({f"task-{name}": value for name, value in shared.items()})
    for code, text in areas.items():
        data[f"area_{Region.objects.get(code=code).pk}"] = text
    return data


@pytest.fixture
def city(login):
    return login("lf_city", Role.CITY_BUREAU, "141000")


@pytest.fixture
def administrator(login):
    return login("lt_admin", Role.ADMIN, None)


@pytest.fixture
def small_city(regions):
    """A second city of three counties, outside 临汾's bureau's scope."""
    other = RegionFactory(
        code="142000", name="测试市", level=RegionLevel.CITY, parent=regions["141000"].parent
    )
    for number in (1, 2, 3):
        RegionFactory(code=f"14200{number}", name=f"测试{number}县", parent=other)
    return other


def progress_rows(year, as_of):
    api = APIClient()
    api.force_authenticate(
        UserFactory(
            username=f"reader{year}{as_of}", role=Role.CITY_BUREAU, region=Region.objects.get(code="141000")
        )
    )
    body = api.get("/api/v1/progress/", {"year": year, "as_of": as_of}).json()
    return {row["county"]: row for row in body["results"]}


# -- the page -------------------------------------------------------------------------------------------


def test_the_task_list_offers_the_page_to_the_city_bureau(city):
    page = text_of(city.get(CHANGELIST))
    assert f'href="{ASSIGN}"' in page and "批量下达任务" in page


def test_the_page_lists_the_city_bureaus_17_counties_and_the_notices_milestones_of_the_year(city):
    response = city.get(ASSIGN + "?year=2024")
    assert response.status_code == 200
    rows = response.context["areas"].rows()
    assert [county.code for county, _ in rows] == LINFEN_COUNTIES
    page = text_of(response)
    assert "临汾市各县共同的任务信息" in page and "安泽县" in page and "霍州市" in page
    for number, (due, rate) in enumerate(MILESTONES_2024):
        assert f'name="milestones-{number}-due" value="{due:%Y/%m/%d}"' in page
        assert f'name="milestones-{number}-target_rate" value="{rate:.0f}"' in page
    # The site's content security policy: nothing inline.
    assert (
        "<script>" not in page.replace("<script src", "") and " style=" not in page and "<style" not in page
    )


@pytest.mark.parametrize("asked", ["1999", "2101", "2024x", ""])
def test_a_year_no_task_may_have_is_not_offered_and_this_year_is(city, asked):
    # The years a task may have are the model's (2000–2100, year_validators); anything else asked for in
    # the address fills the page with this year's milestones.
    this_year = timezone.localdate().year
    response = city.get(ASSIGN, {"year": asked})
    assert response.context["year"] == this_year
    assert f'name="milestones-0-due" value="{this_year}/05/31"' in text_of(response)


# -- assigning ------------------------------------------------------------------------------------------


def test_three_counties_get_their_tasks_with_the_notices_milestones_and_the_rest_none(city):
    before = progress_rows(2024, "2024-06-01")  # read, and held by this process (tasks.catalog)
    assert before == {}
    response = city.post(
        address(), posted({"141026": "120.5", "141029": " 26.96 ", "141021": "0.0015", "141002": ""})
    )
    assert response.status_code == 302
    assert response["Location"] == CHANGELIST + "?year__exact=2024"
    page = text_of(city.get(response["Location"]))
    assert "已下达 3 个县的任务。" in page

    tasks = {task.county.code: task for task in CountyTask.objects.filter(year=2024).select_related("county")}
    assert {code: task.target_area_mu for code, task in tasks.items()} == {
        "141026": Decimal("120.5000"),
        "141029": Decimal("26.9600"),
        "141021": Decimal("0.0015"),
    }
    for task in tasks.values():
        assert (task.category, task.start_date, task.end_date) == (
            "unsupplied",
            datetime.date(2024, 1, 1),
            datetime.date(2024, 12, 31),
        )
        assert (task.assigned_by, task.document_number, task.campaign_id) == (
            "临汾市规划和自然资源局",
            "临自然资发〔2024〕8号",
            None,
        )
        assert list(task.milestones.values_list("due", "target_rate")) == MILESTONES_2024

    # Right after, the progress report shows them (the catalog stamp saw the bulk write): on 1 June 2024
    # the 25 % of 31 May is due; 120.5 × 25 % = 30.125 亩, shown half-up as 30.13; 26.96 × 25 % = 6.74.
    rows = progress_rows(2024, "2024-06-01")
    assert set(rows) == {"141021", "141026", "141029"}
    assert (rows["141026"]["target_area_mu"], rows["141026"]["required_area_mu"]) == ("120.50", "30.13")
    assert (rows["141029"]["target_area_mu"], rows["141029"]["required_area_mu"]) == ("26.96", "6.74")
    assert rows["141026"]["required_rate"] == "25.00"


def test_the_year_is_the_pages_whatever_the_post_says(city):
    # One year on the page: chosen above the form, shown in it, not taken from what is posted.
    form = text_of(city.get(address(2024)))
    assert re.search(r'<input type="number" name="task-year" value="2024"[^>]* disabled', form)
    data = posted({"141026": "8"}, milestones=[])
    data["task-year"] = "2025"  # forged, or typed into a field the browser does not send
    assert city.post(address(2024), data).status_code == 302
    assert list(CountyTask.objects.filter(year__gte=2024).values_list("county__code", "year")) == [
        ("141026", 2024)
    ]


def test_a_period_and_milestones_of_the_citys_own_are_given_to_every_county(city):
    milestones = [(datetime.date(2024, 6, 30), "40"), (datetime.date(2024, 10, 31), "100")]
    response = city.post(
        address(),
        posted(
            {"141026": "50", "141029": "30"},
            category="idle",
            milestones=milestones,
            start_date="2024-03-01",
            end_date="2024-10-31",
        ),
    )
    assert response.status_code == 302
    for task in CountyTask.objects.filter(year=2024):
        assert (task.category, task.start_date, task.end_date) == (
            "idle",
            datetime.date(2024, 3, 1),
            datetime.date(2024, 10, 31),
        )
        assert list(task.milestones.values_list("due", "target_rate")) == [
            (datetime.date(2024, 6, 30), Decimal("40.00")),
            (datetime.date(2024, 10, 31), Decimal("100.00")),
        ]
    assert CountyTask.objects.filter(year=2024).count() == 2


def test_milestones_all_left_blank_are_the_notices_defaults_of_the_year(city):
    response = city.post(address(2025), posted({"141026": "8"}, milestones=[]))
    assert response.status_code == 302
    (task,) = CountyTask.objects.filter(year=2025)
    assert list(task.milestones.values_list("due", "target_rate")) == [
        (datetime.date(2025, 5, 31), Decimal("25.00")),
        (datetime.date(2025, 6, 30), Decimal("50.00")),
        (datetime.date(2025, 9, 30), Decimal("85.00")),
        (datetime.date(2025, 11, 30), Decimal("100.00")),
    ]


def test_a_city_campaign_is_filed_on_every_task(city):
    from tasks.models import Campaign

    campaign = Campaign.objects.create(
        region=Region.objects.get(code="141000"), year=2024, name="临汾市2024年专项行动"
    )
    response = city.post(address(), posted({"141026": "8", "141029": "9"}, campaign=str(campaign.pk)))
    assert response.status_code == 302
    assert set(CountyTask.objects.filter(year=2024).values_list("campaign_id", flat=True)) == {campaign.pk}


def test_every_task_and_milestone_is_in_the_history_with_the_user_and_the_reason(city):
    city.post(address(), posted({"141026": "12", "141029": "7"}))
    tasks = CountyTask.objects.filter(year=2024)
    records = CountyTask.history.filter(id__in=tasks.values("pk"))
    assert sorted((r.history_type, r.history_user.username, r.history_change_reason) for r in records) == [
        ("+", "lf_city", "批量下达任务"),
        ("+", "lf_city", "批量下达任务"),
    ]
    milestones = Milestone.history.filter(task_id__in=tasks.values("pk"))
    assert milestones.count() == 8
    assert {(r.history_type, r.history_user.username, r.history_change_reason) for r in milestones} == {
        ("+", "lf_city", "批量下达任务")
    }


def test_nothing_to_assign_is_said_and_nothing_written(city):
    before = database_snapshot()
    response = city.post(address(), posted({"141026": "", "141029": "  "}))
    assert response.status_code == 200
    assert "请至少为一个县（市、区）填写任务面积" in text_of(response)
    assert database_snapshot() == before


# -- refusals: named by county and field, nothing written -----------------------------------------------


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("十二", "安泽县：任务面积（亩）：输入一个数字。"),
        ("0", "安泽县：任务面积（亩）：任务面积必须大于 0 亩。"),
        ("-3.5", "安泽县：任务面积（亩）：任务面积必须大于 0 亩。"),
        ("1.23456", "安泽县：任务面积（亩）：确认小数不超过 4 位"),
    ],
    ids=["text", "zero", "negative", "five-places"],
)
def test_a_wrong_area_is_refused_naming_the_county_and_nothing_is_written(city, typed, message):
    before = database_snapshot()
    response = city.post(address(), posted({"141029": "10", "141026": typed}))
    assert response.status_code == 200
    page = text_of(response)
    assert message in page
    assert "乡宁县：" not in page  # the right row is not blamed
    assert "本次未下达任何任务" in page
    assert database_snapshot() == before


def test_a_county_that_already_has_the_task_is_refused_by_name(city):
    # The demo: 乡宁县 has its 2022 批而未供 task; 安泽县 its 2023 批而未用 one.
    before = database_snapshot()
    response = city.post(address(2022), posted({"141026": "5", "141029": "5"}, milestones=[]))
    page = text_of(response)
    assert "乡宁县：任务类别：该县2022年度已有“批而未供”任务。" in page
    assert "安泽县：" not in page
    assert database_snapshot() == before

    response = city.post(address(2023), posted({"141026": "5", "141029": "5"}, milestones=[]))
    page = text_of(response)
    assert "安泽县：任务类别：同一县同一年度不能既有“批而未用”任务又有单项任务" in page
    assert "乡宁县：" not in page
    assert database_snapshot() == before


def test_a_period_without_a_day_of_the_year_is_refused_naming_each_county(city):
    before = database_snapshot()
    response = city.post(
        address(),
        posted({"141026": "5", "141029": "6"}, start_date="2023-01-01", end_date="2023-12-31", milestones=[]),
    )
    page = text_of(response)
    assert "安泽县、乡宁县：年度：任务期 2023年1月1日 至 2023年12月31日 不含 2024 年的任何一天" in page
    assert (
        "安泽县、乡宁县：时间节点：节点日期 2024年5月31日 不在任务期 2023年1月1日 至 2023年12月31日 内。"
        in page
    )
    assert database_snapshot() == before


def test_milestones_out_of_order_are_refused_naming_the_county(city):
    before = database_snapshot()
    milestones = [
        (datetime.date(2024, 5, 31), "50"),
        (datetime.date(2024, 6, 30), "25"),
        (datetime.date(2024, 11, 30), "100"),
    ]
    response = city.post(address(), posted({"141026": "5"}, milestones=milestones))
    page = text_of(response)
    assert (
        "安泽县：时间节点：节点目标应随日期递增：2024年6月30日 的 25% 不高于 2024年5月31日 的 50%。" in page
    )
    assert database_snapshot() == before


def test_a_county_outside_the_scope_forged_in_the_post_is_refused_and_nothing_written(city, small_city):
    outside = Region.objects.get(code="142001")
    town = Region.objects.get(code="141026100")  # 府城镇, under 安泽县: a region in scope, not a county
    for forged in (outside, town):
        before = database_snapshot()
        data = posted({"141026": "5", "141029": "6"})
        data[f"area_{forged.pk}"] = "9"
        response = city.post(address(), data)
        assert response.status_code == 200
        page = text_of(response)
        assert f"编号为 {forged.pk} 的县（市、区）不在本页可下达任务的范围内，本次未下达任何任务。" in page
        assert forged.name not in page
        assert database_snapshot() == before


# -- roles ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.COUNTY_CLERK, Role.COUNTY_OFFICE])
def test_a_county_account_may_neither_open_nor_post_the_page_nor_see_the_button(login, role):
    client = login(f"az_{role}", role, "141026")
    assert client.get(ASSIGN).status_code == 403
    before = database_snapshot()
    assert client.post(address(), posted({"141026": "5"})).status_code == 403
    assert database_snapshot() == before
    assert "批量下达任务" not in text_of(client.get(CHANGELIST))


def test_another_citys_bureau_lists_only_its_own_counties_and_may_not_assign_to_linfens(login, small_city):
    client = login("other_city", Role.CITY_BUREAU, "142000")
    response = client.get(ASSIGN)
    assert [county.code for county, _ in response.context["areas"].rows()] == ["142001", "142002", "142003"]
    assert "安泽县" not in text_of(response)
    before = database_snapshot()
    response = client.post(address(), posted({"141026": "5"}))
    assert "不在本页可下达任务的范围内" in text_of(response)
    assert database_snapshot() == before
    assert client.post(address(), posted({"142002": "5"})).status_code == 302
    assert list(CountyTask.objects.filter(year=2024).values_list("county__code", flat=True)) == ["142002"]


def test_the_administrator_chooses_a_city_then_assigns_anywhere(administrator, small_city):
    response = administrator.get(ASSIGN)
    page = text_of(response)
    assert response.context["areas"].rows() == [] and "请先选择市" in page
    assert 'value="141000"' in page and 'value="142000"' in page

    response = administrator.get(ASSIGN + "?city=141000&year=2024")
    assert [county.code for county, _ in response.context["areas"].rows()] == LINFEN_COUNTIES
    assert administrator.post(address(city="141000"), posted({"141026": "5"})).status_code == 302
    assert administrator.post(address(city="142000"), posted({"142003": "7"})).status_code == 302
    assert sorted(CountyTask.objects.filter(year=2024).values_list("county__code", "target_area_mu")) == [
        ("141026", Decimal("5.0000")),
        ("142003", Decimal("7.0000")),
    ]
    # One city's page takes that city's counties only.
    before = database_snapshot()
    response = administrator.post(address(city="142000"), posted({"141029": "7"}))
    assert "不在本页可下达任务的范围内" in text_of(response)
    assert database_snapshot() == before


# -- queries --------------------------------------------------------------------------------------------


def queries_of(client, url, data=None):
    with CaptureQueriesContext(connection) as context:
        response = client.post(url, data) if data is not None else client.get(url)
    assert response.status_code in (200, 302), response.status_code
    return len(context.captured_queries)


# Pinned, the same on SQLite and PostgreSQL. A post: the session and the user (2), the user's city (1), the
# counties of the page (1), a savepoint, the tasks already held by those counties that year (1), the tasks,
# their history, the milestones and theirs (1 each: bulk inserts), the savepoint released.
POST_QUERIES = 11
# The administrator's page of a city: the session and the user (2), the cities to choose from (1), the
# counties (1), the admin's menu (2: permissions), the city's campaigns (1).
GET_QUERIES = 7


def test_assigning_takes_as_many_queries_for_17_counties_as_for_3(city):
    three = queries_of(city, address(), posted({"141026": "1", "141029": "2", "141021": "3"}))
    every = queries_of(city, address(2025), posted(dict.fromkeys(LINFEN_COUNTIES, "4"), milestones=[]))
    assert CountyTask.objects.filter(year=2025).count() == 17
    assert Milestone.objects.filter(task__year=2025).count() == 68
    assert three == every == POST_QUERIES


def test_the_page_takes_as_many_queries_for_17_counties_as_for_3(administrator, small_city):
    three = queries_of(administrator, ASSIGN + "?city=142000")
    every = queries_of(administrator, ASSIGN + "?city=141000")
    assert three == every == GET_QUERIES
    refused_three = queries_of(
        administrator, address(city="142000"), posted(dict.fromkeys(["142001", "142002", "142003"], "0"))
    )
    refused_every = queries_of(
        administrator, address(city="141000"), posted(dict.fromkeys(LINFEN_COUNTIES, "0"))
    )
    assert refused_three == refused_every


def test_a_task_committed_by_someone_else_meanwhile_refuses_the_whole_batch(city, monkeypatch):
    from tasks import services

    # As if 乡宁县's 2022 task had been committed between the check and the write: the check sees none.
    monkeypatch.setattr(services, "_categories_held", lambda tasks: {})
    before = database_snapshot()
    response = city.post(address(2022), posted({"141026": "5", "141029": "5"}, milestones=[]))
    assert response.status_code == 200
    assert "有县（市、区）的同类任务刚由他人下达，本次未下达任何任务。" in text_of(response)
    assert database_snapshot() == before
