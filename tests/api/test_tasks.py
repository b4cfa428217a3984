"""Tasks and rectification items through the API."""

import pytest

from tasks.models import CountyTask
from tests.helpers import database_snapshot

from .harness import client_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def city(users):
    return client_for(users["city"])


def post_task(city, **fields):
    """POST /tasks/ of a 10 亩 乡宁县 task of 2023 (both kinds), with ``fields`` changed or added."""
    body = {"county": "141029", "year": 2023, "category": "both", "target_area_mu": "10", **fields}
    return city.post("/api/v1/tasks/", body, format="json")


def test_a_task_posted_without_milestones_gets_the_defaults(city):
    response = city.post(
        "/api/v1/tasks/",
        {"county": "141029", "year": 2022, "category": "unsupplied", "target_area_mu": "26.96"},
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["county_name"] == "乡宁县"
    assert (body["start_date"], body["end_date"]) == ("2022-01-01", "2022-12-31")
    assert body["target_area_mu"] == "26.96"
    assert body["milestones"] == [
        {"due": "2022-05-31", "target_rate": "25.00"},
        {"due": "2022-06-30", "target_rate": "50.00"},
        {"due": "2022-09-30", "target_rate": "85.00"},
        {"due": "2022-11-30", "target_rate": "100.00"},
    ]


def test_custom_milestones_replace_the_set_on_patch(city):
    task_id = post_task(city).json()["id"]
    response = city.patch(
        f"/api/v1/tasks/{task_id}/",
        {
            "milestones": [
                {"due": "2023-12-20", "target_rate": "100"},
                {"due": "2023-07-31", "target_rate": "40"},
            ]
        },
        format="json",
    )
    assert response.status_code == 200, response.content
    assert response.json()["milestones"] == [
        {"due": "2023-07-31", "target_rate": "40.00"},
        {"due": "2023-12-20", "target_rate": "100.00"},
    ]
    assert CountyTask.objects.get(pk=task_id).milestones.count() == 2


@pytest.mark.parametrize(
    "milestones, message",
    [
        (
            [
                {"due": "2023-06-30", "target_rate": "60"},
                {"due": "2023-09-30", "target_rate": "50"},
                {"due": "2023-11-30", "target_rate": "100"},
            ],
            "不高于",
        ),
        ([{"due": "2023-06-30", "target_rate": "60"}], "应为 100%"),
        ([{"due": "2024-02-01", "target_rate": "100"}], "不在任务期"),
        ([{"due": "2023-06-30", "target_rate": "120"}], ""),
        ([], "至少需要一个节点"),
    ],
)
def test_bad_milestones_are_400_and_write_nothing(city, milestones, message):
    before = database_snapshot()
    response = post_task(city, milestones=milestones)
    assert response.status_code == 400, response.content
    assert "milestones" in response.json()
    assert message in str(response.json()["milestones"])
    assert database_snapshot() == before


def test_a_bad_milestone_is_named_by_its_place_in_the_list_counted_from_1(city):
    before = database_snapshot()
    response = post_task(
        city,
        milestones=[
            {"due": "2023-06-30", "target_rate": "50"},
            {"due": "2023-11-30", "target_rate": "百分之百"},
            {"due": "2023-02-30", "target_rate": "100"},
        ],
    )
    assert response.status_code == 400, response.content
    assert response.json() == {
        "milestones": [
            "第 2 项 target_rate：请填写有效的数字。",
            "第 3 项 due：日期格式错误。请从这些格式中选择：YYYY-MM-DD。",
        ]
    }
    assert database_snapshot() == before


def test_a_year_changed_without_its_period_is_refused_and_changed_with_it_is_taken(city):
    task_id = post_task(city).json()["id"]
    url = f"/api/v1/tasks/{task_id}/"
    before = database_snapshot()
    # The period stays 2023's (its default) and would make a "2024" task count 2023's disposals.
    response = city.patch(url, {"year": 2024}, format="json")
    assert response.status_code == 400
    assert response.json() == {
        "year": ["任务期 2023年1月1日 至 2023年12月31日 不含 2024 年的任何一天，请一并修改任务期和时间节点。"]
    }
    assert database_snapshot() == before
    milestones = [{"due": "2024-11-30", "target_rate": "100"}]
    moved = city.patch(
        url,
        {"year": 2024, "start_date": "2024-01-01", "end_date": "2024-12-31", "milestones": milestones},
        format="json",
    )
    assert moved.status_code == 200, moved.content
    assert (moved.json()["year"], moved.json()["start_date"]) == (2024, "2024-01-01")
    # A period running into the year from the one before is a task's own choice, as the notices have.
    spanning = city.patch(
        url,
        {
            "year": 2025,
            "start_date": "2024-07-01",
            "end_date": "2025-06-30",
            "milestones": [{"due": "2025-06-30", "target_rate": "100"}],
        },
        format="json",
    )
    assert spanning.status_code == 200, spanning.content


def test_a_target_of_zero_is_refused(city):
    response = post_task(city, target_area_mu="0")
    assert response.status_code == 400
    assert response.json()["target_area_mu"] == ["任务面积必须大于 0 亩。"]


def test_a_city_cannot_assign_a_task_outside_its_city(users):
    response = client_for(users["other_city"]).post(
        "/api/v1/tasks/",
        {"county": "141029", "year": 2023, "category": "both", "target_area_mu": "5"},
        format="json",
    )
    assert response.status_code == 403
    assert not CountyTask.objects.exists()


def test_a_county_may_not_assign_itself_a_task(users):
    response = client_for(users["office"]).post(
        "/api/v1/tasks/",
        {"county": "141026", "year": 2023, "category": "both", "target_area_mu": "5"},
        format="json",
    )
    assert response.status_code == 403


def test_tasks_filter_by_county_year_and_category(city):
    for county, year, category in [
        ("141029", 2022, "unsupplied"),
        ("141026", 2023, "both"),
        ("141029", 2023, "idle"),
    ]:
        city.post(
            "/api/v1/tasks/",
            {"county": county, "year": year, "category": category, "target_area_mu": "5"},
            format="json",
        )
    rows = city.get("/api/v1/tasks/", {"county": "141029", "year": 2023}).json()["results"]
    assert [(row["county"], row["year"], row["category"]) for row in rows] == [("141029", 2023, "idle")]
    assert len(city.get("/api/v1/tasks/", {"category": "both"}).json()["results"]) == 1


def test_rectification_items_follow_their_flow_and_close_only_with_evidence(users):
    office = client_for(users["office"])
    item = office.post(
        "/api/v1/rectifications/",
        {"county": "141026", "title": "整改", "deadline": "2022-09-15"},
        format="json",
    ).json()
    url = f"/api/v1/rectifications/{item['id']}/"
    assert item["overdue"] is True and item["status"] == "not_started"
    skipped = office.patch(
        url, {"status": "closed", "completed_date": "2022-09-10", "evidence": "纪要"}, format="json"
    )
    assert skipped.status_code == 400
    assert "不能从“未开始”改为“已销号”" in skipped.json()["status"][0]
    assert office.patch(url, {"status": "in_progress"}, format="json").status_code == 200
    done = office.patch(url, {"status": "done", "completed_date": "2022-09-10"}, format="json")
    assert done.status_code == 200 and done.json()["overdue"] is False
    refused = office.patch(url, {"status": "closed"}, format="json")
    assert refused.status_code == 400
    assert refused.json() == {"evidence": ["销号必须注明佐证材料。"]}
    closed = office.patch(url, {"status": "closed", "evidence": "会议纪要及现场照片"}, format="json")
    assert closed.status_code == 200
    reopened = office.patch(url, {"status": "in_progress"}, format="json")
    assert reopened.status_code == 400 and "已销号的事项不再变更" in reopened.json()["status"][0]
    assert office.get("/api/v1/rectifications/", {"overdue": "true"}).json()["count"] == 0


@pytest.mark.parametrize(
    "start, target, allowed",
    [
        ("not_started", "in_progress", True),
        ("not_started", "done", True),
        ("in_progress", "not_started", False),
        ("done", "in_progress", True),
        ("done", "not_started", False),
        ("closed", "done", False),
    ],
)
def test_the_rectification_flow(regions, start, target, allowed):
    import datetime

    from django.core.exceptions import ValidationError

    from tasks import services
    from tasks.models import RectificationItem

    finished = {"completed_date": datetime.date(2022, 9, 1)} if start in ("done", "closed") else {}
    # A new item is not entered closed (ENTERED_CLOSED): it is entered done, then closed.
    item = services.rectification_save(
        item=RectificationItem(
            county=regions["141026"],
            title="整改",
            status="done" if start == "closed" else start,
            evidence="佐证" if start == "closed" else "",
            **finished,
        )
    )
    if start == "closed":
        item.status = start
        item = services.rectification_save(item=item)
    item.status = target
    item.completed_date = datetime.date(2022, 9, 1) if target in ("done", "closed") else None
    if allowed:
        services.rectification_save(item=item)
    else:
        with pytest.raises(ValidationError) as error:
            services.rectification_save(item=item)
        assert "status" in error.value.message_dict


def test_rectification_units_must_be_visible_to_the_office(users, xiangning):
    from leadership.models import Unit

    foreign = Unit.objects.create(region=xiangning, name="乡宁县某局")
    response = client_for(users["office"]).post(
        "/api/v1/rectifications/",
        {"county": "141026", "title": "整改", "responsible_units": [foreign.pk]},
        format="json",
    )
    assert response.status_code == 400
    assert "responsible_units" in response.json()


def test_the_admin_cannot_give_an_item_another_countys_responsible_unit(users, anze, xiangning):
    """The admin sees every unit, so only the service's rule stands between the item and a foreign unit."""
    from leadership.models import Unit

    own = Unit.objects.create(region=anze, name="安泽县财政局")
    foreign = Unit.objects.create(region=xiangning, name="乡宁县财政局")
    admin = client_for(users["admin"])
    before = database_snapshot()
    response = admin.post(
        "/api/v1/rectifications/",
        {"county": "141026", "title": "整改", "responsible_units": [own.pk, foreign.pk]},
        format="json",
    )
    assert response.status_code == 400
    assert response.json() == {"responsible_units": ["责任单位应属于本县，乡宁县财政局不属于安泽县。"]}
    assert database_snapshot() == before


def test_an_item_moved_to_another_county_cannot_keep_the_old_countys_units(users, anze, xiangning):
    from leadership.models import Unit

    own = Unit.objects.create(region=anze, name="安泽县财政局")
    admin = client_for(users["admin"])
    created = admin.post(
        "/api/v1/rectifications/",
        {"county": "141026", "title": "整改", "responsible_units": [own.pk]},
        format="json",
    )
    assert created.status_code == 201, created.content
    url = f"/api/v1/rectifications/{created.json()['id']}/"
    before = database_snapshot()
    response = admin.patch(url, {"county": "141029"}, format="json")
    assert response.status_code == 400
    assert response.json() == {"responsible_units": ["责任单位应属于本县，安泽县财政局不属于乡宁县。"]}
    assert database_snapshot() == before
    # Moved together with units of its new county, it is fine.
    other = Unit.objects.create(region=xiangning, name="乡宁县财政局")
    moved = admin.patch(url, {"county": "141029", "responsible_units": [other.pk]}, format="json")
    assert moved.status_code == 200, moved.content
    assert moved.json()["responsible_units"] == [other.pk]
