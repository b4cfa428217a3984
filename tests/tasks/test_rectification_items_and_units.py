"""Rectification items (整改事项) and the leadership app's units and groups, as their users work with them.

The county office of 乡宁县 keeps the 2022 notice's list (乡政办发〔2022〕60号, the demo), the leadership-group
office watches it, the city bureau reads it. Dates in the notice: 二、（一）1 and 2 by 15 September 2022,
3（1） by 30 September, 3（2） and 3（3） by 30 December, 二、（二）2 by 31 October; 二、（二）1 (成立工作专班)
has no deadline and was done on 5 September by the notice itself.
"""

import datetime
from unittest import mock

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from leadership.choices import Role
from leadership.models import LeadershipGroup, Region, Unit
from tasks import services
from tasks.models import Campaign, RectificationItem
from tests.admin_forms import admin_form_data, post_refused_as_saved_meanwhile
from tests.factories import UserFactory
from tests.helpers import database_snapshot, refused

pytestmark = pytest.mark.django_db

URL = "/api/v1/rectifications/"
UTC = datetime.UTC


def at(year, month, day, hour=12, minute=0):
    """Patch "now" to this UTC instant (Shanghai is 8 hours ahead)."""
    return mock.patch(
        "django.utils.timezone.now",
        return_value=datetime.datetime(year, month, day, hour, minute, tzinfo=UTC),
    )


def api(username, role, code):
    client = APIClient()
    region = Region.objects.get(code=code) if code else None
    client.force_authenticate(
        UserFactory(username=username, role=role, region=region, is_superuser=role == Role.ADMIN)
    )
    return client


@pytest.fixture
def office(demo):
    return api("xn_office", Role.COUNTY_OFFICE, "141029")


def item(section):
    return RectificationItem.objects.get(county__code="141029", section=section)


def _set(obj, **fields):
    """``obj`` with ``fields`` set, not saved."""
    for name, value in fields.items():
        setattr(obj, name, value)
    return obj


def sections(response):
    assert response.status_code == 200, response.content
    return [RectificationItem.objects.get(pk=row["id"]).section for row in response.json()["results"]]


def closed_item(**fields):
    """二、（二）2 done on 28 October 2022 and closed (销号) with its evidence."""
    closing = item("二、（二）2")
    for name, value in {"status": "done", "completed_date": datetime.date(2022, 10, 28), **fields}.items():
        setattr(closing, name, value)
    services.rectification_save(item=closing)
    closing.status, closing.evidence = "closed", "供地合同及验收意见"
    return services.rectification_save(item=closing)


# --- the contract: filters, overdue, Shanghai dates -----------------------------------------------------


def test_overdue_true_and_status_list_the_items_past_their_deadline_in_that_status(office):
    # 20 September 2022: the two items due 15 September are overdue; one of them is under way.
    services.rectification_save(item=_set(item("二、（一）2"), status="in_progress"))
    with at(2022, 9, 20):
        assert sections(office.get(URL, {"overdue": "true"})) == ["二、（一）1", "二、（一）2"]
        assert sections(office.get(URL, {"overdue": "true", "status": "in_progress"})) == ["二、（一）2"]
        assert sections(office.get(URL, {"overdue": "true", "status": "done"})) == []
        assert sections(office.get(URL, {"overdue": "false", "status": "not_started"})) == [
            "二、（一）3（1）",
            "二、（一）3（2）",
            "二、（一）3（3）",
            "二、（二）2",
        ]
        rows = office.get(URL).json()["results"]
    assert {row["id"]: row["overdue"] for row in rows} == {
        item(section).pk: section in ("二、（一）1", "二、（一）2")
        for section in RectificationItem.objects.values_list("section", flat=True)
    }


def test_an_item_is_overdue_from_the_day_after_its_deadline_in_shanghai_not_in_utc(office):
    url = f"{URL}{item('二、（一）1').pk}/"  # due 15 September 2022
    with at(2022, 9, 15, 15, 30):  # 23:30 on the 15th in Shanghai: the deadline day itself
        assert office.get(url).json()["overdue"] is False
        assert sections(office.get(URL, {"overdue": "true"})) == []
    with at(2022, 9, 15, 16, 30):  # 00:30 on the 16th in Shanghai
        assert office.get(url).json()["overdue"] is True
        assert sections(office.get(URL, {"overdue": "true"})) == ["二、（一）1", "二、（一）2"]


def test_a_completed_date_is_refused_only_when_it_is_after_today_in_shanghai(office):
    url = f"{URL}{item('二、（一）1').pk}/"
    done = {"status": "done", "completed_date": "2022-09-16"}
    with at(2022, 9, 15, 15, 30):  # still the 15th in Shanghai
        response = office.patch(url, done, format="json")
        assert response.status_code == 400
        assert response.json() == {"completed_date": ["完成日期不能晚于今天。"]}
    with at(2022, 9, 15, 16, 30):  # the 16th in Shanghai
        response = office.patch(url, done, format="json")
        assert response.status_code == 200, response.content
        assert response.json()["overdue"] is False


def test_an_item_done_or_closed_needs_its_date_and_only_closing_needs_evidence(office):
    url = f"{URL}{item('二、（一）1').pk}/"
    response = office.patch(url, {"status": "done"}, format="json")
    assert response.status_code == 400
    assert response.json() == {"completed_date": ["已完成或已销号的事项必须填写完成日期。"]}
    # Done without evidence is accepted: DOMAIN.md asks evidence of nothing but 销号 (the model's help text).
    done = office.patch(url, {"status": "done", "completed_date": "2022-09-14"}, format="json")
    assert done.status_code == 200 and done.json()["overdue"] is False
    response = office.patch(url, {"status": "closed"}, format="json")
    assert response.status_code == 400 and response.json() == {"evidence": ["销号必须注明佐证材料。"]}


@pytest.mark.parametrize(
    "query, field",
    [
        ({"status": "bogus"}, "status"),
        ({"status": "已完成"}, "status"),
        ({"overdue": "maybe"}, "overdue"),
        ({"overdue": "x" * 5000}, "overdue"),
    ],
)
def test_a_bad_filter_value_is_400_naming_the_field(office, query, field):
    response = office.get(URL, query)
    assert response.status_code == 400
    assert list(response.json()) == [field]


@pytest.mark.parametrize(
    "body, field",
    [
        ({"title": "整" * 201}, "title"),
        ({"title": ""}, "title"),
        ({"description": "措" * 2001}, "description"),
        ({"evidence": "证" * 2001}, "evidence"),
        ({"deadline": "2022-13-45"}, "deadline"),
        ({"deadline": "2022/9/15"}, "deadline"),
        ({"deadline": 20220915}, "deadline"),
        ({"completed_date": "2022-02-30"}, "completed_date"),
        ({"status": "finished"}, "status"),
        ({"status": None}, "status"),
        ({"responsible_units": 21}, "responsible_units"),
        ({"responsible_units": "21"}, "responsible_units"),
        ({"responsible_units": {"id": 21}}, "responsible_units"),
        ({"responsible_units": [None]}, "responsible_units"),
        ({"responsible_units": [999999]}, "responsible_units"),
        ({"responsible_units": [2**63]}, "responsible_units"),
        ({"responsible_units": [10**30]}, "responsible_units"),
        ({"lead_unit": [21]}, "lead_unit"),
        ({"lead_unit": "乡宁县自然资源局"}, "lead_unit"),
        ({"lead_unit": 10**30}, "lead_unit"),
        ({"county": 141029}, "county"),
        ({"county": "1410291"}, "county"),
    ],
)
def test_a_malformed_body_is_400_naming_the_field_and_writes_nothing(office, body, field):
    before = database_snapshot()
    created = office.post(URL, {"county": "141029", "title": "新整改事项", **body}, format="json")
    assert created.status_code == 400, created.content
    assert field in created.json()
    if field not in ("title", "county"):
        changed = office.patch(f"{URL}{item('二、（二）2').pk}/", body, format="json")
        assert changed.status_code == 400, changed.content
        assert field in changed.json()
    assert database_snapshot() == before


# --- scope and roles ----------------------------------------------------------------------------------


def test_only_the_countys_office_or_an_admin_changes_its_items(office):
    url = f"{URL}{item('二、（二）2').pk}/"
    refusals = [
        (api("xn_clerk", Role.COUNTY_CLERK, "141029"), 403),
        (api("lf_city", Role.CITY_BUREAU, "141000"), 403),
        (api("az_office", Role.COUNTY_OFFICE, "141026"), 404),
    ]
    admin = api("root", Role.ADMIN, None)
    before = database_snapshot()
    for client, status in refusals:
        assert client.patch(url, {"title": "改"}, format="json").status_code == status
        assert client.post(URL, {"county": "141029", "title": "新"}, format="json").status_code == 403
    assert database_snapshot() == before
    # The county's clerk and the city bureau read it; another county's office does not.
    assert [client.get(url).status_code for client, _ in refusals] == [200, 200, 404]
    assert office.patch(url, {"title": "改"}, format="json").status_code == 200
    assert admin.patch(url, {"title": "再改"}, format="json").status_code == 200


def test_an_office_cannot_name_another_countys_unit_as_lead_unit_nor_learn_its_name(office):
    foreign = Unit.objects.get(name="安泽县自然资源局")
    response = office.patch(f"{URL}{item('二、（二）2').pk}/", {"lead_unit": foreign.pk}, format="json")
    assert response.status_code == 400
    assert list(response.json()) == ["lead_unit"]
    assert "安泽" not in response.content.decode()


def test_search_finds_only_the_callers_countys_items_units_and_groups(demo):
    anze = api("az_office", Role.COUNTY_OFFICE, "141026")
    assert anze.get(URL, {"search": "明确"}).json()["count"] == 0
    assert anze.get("/api/v1/units/", {"search": "乡宁"}).json()["count"] == 0
    assert anze.get("/api/v1/leadership-groups/", {"search": "乡宁"}).json()["count"] == 0
    group = LeadershipGroup.objects.get(region__code="141029")
    assert anze.get(f"/api/v1/leadership-groups/{group.pk}/").status_code == 404
    assert anze.get(f"/api/v1/units/{Unit.objects.get(name='乡宁县自然资源局').pk}/").status_code == 404
    xiangning = api("xn_office", Role.COUNTY_OFFICE, "141029")
    assert xiangning.get(URL, {"search": "明确"}).json()["count"] == 2


def test_the_admin_offers_an_office_only_its_own_countys_units_campaigns_and_county(login):
    Unit.objects.create(region=Region.objects.get(code="141000"), name="临汾市规划和自然资源局")
    client = login("xn_office", Role.COUNTY_OFFICE, "141029")
    form = client.get(reverse("admin:tasks_rectificationitem_add")).context["adminform"].form
    for name in ("lead_unit", "responsible_units"):
        assert {unit.region.code for unit in form.fields[name].queryset} == {"141029"}
    assert {campaign.region.code for campaign in form.fields["campaign"].queryset} == {"141029"}
    assert [county.code for county in form.fields["county"].queryset] == ["141029"]
    # The autocomplete of the item's units does not reach another county either.
    found = client.get(
        "/admin/autocomplete/",
        {"app_label": "tasks", "model_name": "rectificationitem", "field_name": "responsible_units"},
    ).json()["results"]
    assert {Unit.objects.get(pk=row["id"]).region.code for row in found} <= {"141029", "141000"}
    assert found


def test_a_forged_unit_of_another_county_in_the_admin_form_is_refused(login):
    client = login("xn_office", Role.COUNTY_OFFICE, "141029")
    url = reverse("admin:tasks_rectificationitem_change", args=[item("二、（二）2").pk])
    foreign = Unit.objects.get(name="安泽县自然资源局")
    before = database_snapshot()
    for field, value in (("responsible_units", [str(foreign.pk)]), ("lead_unit", str(foreign.pk))):
        response = client.post(url, admin_form_data(client.get(url), **{field: value}))
        assert response.status_code == 200
        assert field in response.context["adminform"].form.errors
    assert database_snapshot() == before


@pytest.mark.parametrize("value", ["99999999999999999999", str(2**63), "-99999999999999999999"])
def test_a_unit_id_too_large_for_the_database_in_the_admin_form_is_refused_not_a_server_error(login, value):
    client = login("xn_office", Role.COUNTY_OFFICE, "141029")
    url = reverse("admin:tasks_rectificationitem_change", args=[item("二、（二）2").pk])
    before = database_snapshot()
    response = client.post(url, admin_form_data(client.get(url), responsible_units=[value]))
    assert response.status_code == 200
    assert "responsible_units" in response.context["adminform"].form.errors
    assert database_snapshot() == before


def test_another_countys_item_and_its_history_are_not_shown_to_an_office(login):
    target = item("二、（二）2")
    services.rectification_save(item=_set(target, description="乡宁补充的整改措施"))
    client = login("az_office", Role.COUNTY_OFFICE, "141026")
    record = target.history.order_by("-history_id").first()
    for url in (
        reverse("admin:tasks_rectificationitem_history", args=[target.pk]),
        reverse("admin:tasks_rectificationitem_simple_history", args=[target.pk, record.history_id]),
    ):
        response = client.get(url)
        assert response.status_code == 404  # as its change page: nothing tells the id is another county's
        assert "乡宁补充的整改措施" not in response.content.decode()
    assert (
        client.get(reverse("admin:tasks_rectificationitem_changelist") + "?q=明确").context["cl"].result_count
        == 0
    )


# --- audit and concurrency ----------------------------------------------------------------------------


def test_a_change_of_responsible_units_is_recorded_with_who_when_and_what(office, login):
    target = item("二、（二）2")
    finance = Unit.objects.get(name="乡宁县财政局")
    natural = Unit.objects.get(name="乡宁县自然资源局")
    response = office.patch(
        f"{URL}{target.pk}/", {"responsible_units": [natural.pk, finance.pk]}, format="json"
    )
    assert response.status_code == 200, response.content
    latest = target.history.order_by("-history_id").first()
    assert latest.history_user.username == "xn_office"
    assert {row.unit_id for row in latest.responsible_units.all()} == {natural.pk, finance.pk}
    page = login("xn_office2", Role.COUNTY_OFFICE, "141029").get(
        reverse("admin:tasks_rectificationitem_history", args=[target.pk])
    )
    text = page.content.decode()
    assert "乡宁县财政局" in text and "xn_office" in text


def test_units_changed_meanwhile_through_the_api_are_not_overwritten_by_an_open_admin_form(login):
    client = login("xn_office", Role.COUNTY_OFFICE, "141029")
    target = item("二、（二）2")
    url = reverse("admin:tasks_rectificationitem_change", args=[target.pk])
    opened = client.get(url)
    colleague = api("office_colleague", Role.COUNTY_OFFICE, "141029")
    finance = Unit.objects.get(name="乡宁县财政局")
    assert (
        colleague.patch(f"{URL}{target.pk}/", {"responsible_units": [finance.pk]}, format="json").status_code
        == 200
    )
    post_refused_as_saved_meanwhile(
        client, url, admin_form_data(opened, title="我改的标题"), "office_colleague"
    )


# --- a closed item (销号) is final ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "change",
    [
        {"deadline": "2022-12-31"},  # moved after the fact, so that it was never late
        {"completed_date": "2022-10-20"},
        {"title": "改过的事项"},
        {"evidence": "另一份佐证"},
        {"lead_unit": None},
    ],
)
def test_a_closed_item_keeps_every_field_as_it_was_closed(office, change):
    closing = closed_item()
    before = database_snapshot()
    response = office.patch(f"{URL}{closing.pk}/", change, format="json")
    assert response.status_code == 400, response.content
    assert response.json() == {next(iter(change)): ["已销号的事项不再变更。"]}
    assert database_snapshot() == before


def test_a_closed_items_responsible_units_are_kept_through_the_api_the_admin_and_the_service(office, login):
    closing = closed_item()
    finance = Unit.objects.get(name="乡宁县财政局")
    client = login("xn_office2", Role.COUNTY_OFFICE, "141029")
    before = database_snapshot()
    response = office.patch(f"{URL}{closing.pk}/", {"responsible_units": [finance.pk]}, format="json")
    assert response.status_code == 400
    assert response.json() == {"responsible_units": ["已销号的事项不再变更。"]}
    url = reverse("admin:tasks_rectificationitem_change", args=[closing.pk])
    response = client.post(url, admin_form_data(client.get(url), responsible_units=[str(finance.pk)]))
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["responsible_units"] == ["已销号的事项不再变更。"]
    with refused("responsible_units", "已销号"):
        services.rectification_save(item=closing, responsible_units=[finance])
    assert database_snapshot() == before


def test_a_closed_item_sent_back_unchanged_is_accepted(office, login):
    # Entered through the API with line breaks, which a browser's text area sends back as CRLF.
    closing = closed_item(description="逐地块分析研判。\n确保10月底前完成供地。")
    url = f"{URL}{closing.pk}/"
    unchanged = office.get(url).json()
    del unchanged["id"], unchanged["overdue"]
    response = office.patch(url, unchanged, format="json")
    assert response.status_code == 200, response.content
    client = login("xn_office2", Role.COUNTY_OFFICE, "141029")
    admin_url = reverse("admin:tasks_rectificationitem_change", args=[closing.pk])
    data = admin_form_data(client.get(admin_url), description="逐地块分析研判。\r\n确保10月底前完成供地。")
    assert client.post(admin_url, data).status_code == 302


def test_a_closed_item_cannot_be_deleted_in_the_admin_alone_or_among_others(login):
    closing = closed_item()
    client = login("xn_office2", Role.COUNTY_OFFICE, "141029")
    page = client.get(reverse("admin:tasks_rectificationitem_change", args=[closing.pk])).content.decode()
    assert reverse("admin:tasks_rectificationitem_delete", args=[closing.pk]) not in page
    before = database_snapshot()
    delete_url = reverse("admin:tasks_rectificationitem_delete", args=[closing.pk])
    assert client.get(delete_url).status_code == 403
    assert client.post(delete_url, {"post": "yes"}).status_code == 403
    changelist = reverse("admin:tasks_rectificationitem_changelist")
    chosen = [str(closing.pk), str(item("二、（一）1").pk)]
    response = client.post(
        changelist, {"action": "delete_selected", "_selected_action": chosen, "post": "yes"}, follow=True
    )
    assert [str(m) for m in response.context["messages"]] == [
        f"已销号的事项不能删除：“{closing.title}”。未删除任何事项。"
    ]
    assert database_snapshot() == before
    with refused("__all__", "已销号的事项不能删除。"):
        RectificationItem.objects.get(pk=closing.pk).delete()
    assert database_snapshot() == before
    # An item not closed is still deleted, by the same action, and the deletion is recorded.
    open_item = item("二、（一）1")
    response = client.post(
        changelist, {"action": "delete_selected", "_selected_action": [open_item.pk], "post": "yes"}
    )
    assert response.status_code == 302
    assert not RectificationItem.objects.filter(pk=open_item.pk).exists()
    deleted = RectificationItem.history.filter(id=open_item.pk).latest("history_id")
    assert (deleted.history_type, deleted.history_user.username) == ("-", "xn_office2")


# --- the plan an item comes from ----------------------------------------------------------------------


def test_an_items_campaign_is_its_own_countys_or_its_citys(demo):
    anze_campaign = Campaign.objects.get(region__code="141026")
    target = item("二、（二）2")
    with refused("campaign", f"整改方案应属于本县或所属市，“{anze_campaign}”不是乡宁县或其所属市的。"):
        services.rectification_save(item=_set(target, campaign=anze_campaign))
    target.refresh_from_db()
    city_plan = Campaign.objects.create(
        region=Region.objects.get(code="141000"),
        year=2022,
        name="临汾市推进“标准地”改革和清理“批而未用”土地专项督察反馈问题整改工作方案",
        document_number="临政办发〔2022〕35号",
    )
    services.rectification_save(item=_set(target, campaign=city_plan))
    assert RectificationItem.objects.get(pk=target.pk).campaign == city_plan


# --- units keep the region of the rows that name them -------------------------------------------------


def test_a_unit_named_by_a_countys_items_and_group_cannot_be_moved_to_another_county(demo):
    """Moved, 乡宁县's items and group would name a unit of 安泽县, which 安泽县 then edits (and 乡宁县's
    pages show); the administrator, who sees every region in the unit's form, is refused."""
    finance = Unit.objects.get(name="乡宁县自然资源局")  # lead unit of 二、（二）2, office of 乡宁's group
    client = Client()
    client.force_login(UserFactory(username="root", role=Role.ADMIN, is_superuser=True))
    url = reverse("admin:leadership_unit_change", args=[finance.pk])
    before = database_snapshot()
    response = client.post(url, admin_form_data(client.get(url), region=Region.objects.get(code="141026").pk))
    assert response.status_code == 200
    message = response.context["adminform"].form.errors["region"][0]
    assert "整改事项" in message and "领导小组" in message and "不能改属其他区划" in message
    assert database_snapshot() == before
    # A unit nothing names yet may be moved, e.g. one entered under the wrong county.
    spare = Unit.objects.create(region=Region.objects.get(code="141029"), name="录错县的单位")
    spare.region = Region.objects.get(code="141026")
    spare.save()
    assert Unit.objects.get(pk=spare.pk).region.code == "141026"
