"""Rectification items (整改事项) and campaigns (专项行动), as the county office, the city bureau and the
administrator meet them: a review's findings.

The demo holds the 2022 乡宁 notice (乡政办发〔2022〕60号): seven items filed under its plan, and the 2023
安泽 campaign with its three phases. Each test but the last fails on the code as it was reviewed; the last
pins a behaviour verified right that no test held.
"""

import datetime
import re

import pytest
from django.db.models import ProtectedError
from django.urls import reverse
from rest_framework.test import APIClient

from leadership.choices import Role
from leadership.models import Region
from tasks import services
from tasks.models import Campaign, CountyTask, RectificationItem
from tests.admin_forms import admin_form_data
from tests.factories import UserFactory
from tests.helpers import database_snapshot, refused

pytestmark = pytest.mark.django_db

URL = "/api/v1/rectifications/"


def api(username, role, code):
    client = APIClient()
    region = Region.objects.get(code=code) if code else None
    client.force_authenticate(
        UserFactory(username=username, role=role, region=region, is_superuser=role == Role.ADMIN)
    )
    return client


def item(section):
    return RectificationItem.objects.get(county__code="141029", section=section)


def closed(section):
    """The item done on 28 October 2022 and closed (销号) with its evidence, through the service."""
    closing = item(section)
    closing.status, closing.completed_date = "done", datetime.date(2022, 10, 28)
    services.rectification_save(item=closing)
    closing.status, closing.evidence = "closed", "供地合同及验收意见"
    return services.rectification_save(item=closing)


def city_plan():
    """The city's plan, under which a county's items may be filed (campaign_of_county_or_city)."""
    return Campaign.objects.create(
        region=Region.objects.get(code="141000"),
        year=2022,
        name="临汾市推进“标准地”改革和清理“批而未用”土地专项督察反馈问题整改工作方案",
        document_number="临政办发〔2022〕35号",
    )


# --- the plan an item is filed under ------------------------------------------------------------------


def test_an_item_filed_under_its_citys_plan_keeps_it_when_the_office_saves_it_in_the_admin(login):
    """The model files a county's item under its city's plan too; the office's form offered only the
    county's own plans, so the select showed none chosen and saving the item (its title corrected) took
    it off the city's plan, without a word."""
    plan = city_plan()
    target = item("二、（二）2")
    target.campaign = plan
    services.rectification_save(item=target)
    client = login("xn_office", Role.COUNTY_OFFICE, "141029")
    url = reverse("admin:tasks_rectificationitem_change", args=[target.pk])
    opened = client.get(url)
    select = re.search(r'<select name="campaign".*?</select>', opened.content.decode(), re.S).group()
    assert re.search(rf'<option value="{plan.pk}" selected>', select), select
    response = client.post(url, admin_form_data(opened, title="明确工作任务，倒排清理时间（更正）"))
    assert response.status_code == 302
    assert RectificationItem.objects.get(pk=target.pk).campaign == plan


def test_a_campaign_that_items_or_tasks_are_filed_under_is_not_deleted_from_under_them(login):
    """Deleting the 乡宁 plan set its items' (a closed one's among them) and its task's plan to nothing,
    recorded in no history: a closed item changed, and nobody could tell who did it."""
    closing = closed("二、（二）2")
    plan = Campaign.objects.get(region__code="141029")
    task = CountyTask.objects.get(county__code="141029")
    task.campaign = plan
    task.save()
    client = login("xn_office", Role.COUNTY_OFFICE, "141029")
    before = database_snapshot()
    url = reverse("admin:tasks_campaign_delete", args=[plan.pk])
    page = client.get(url).content.decode()
    assert closing.title in page and str(task) in page  # named as what keeps it
    client.post(url, {"post": "yes"})
    changelist = reverse("admin:tasks_campaign_changelist")
    client.post(changelist, {"action": "delete_selected", "_selected_action": [plan.pk], "post": "yes"})
    with pytest.raises(ProtectedError):
        Campaign.objects.get(pk=plan.pk).delete()
    with pytest.raises(ProtectedError):  # a bulk deletion too (on_delete=PROTECT)
        Campaign.objects.filter(pk=plan.pk).delete()
    assert database_snapshot() == before
    # A campaign nothing is filed under is still deleted.
    spare = Campaign.objects.create(region=Region.objects.get(code="141029"), year=2023, name="录错的方案")
    assert (
        client.post(reverse("admin:tasks_campaign_delete", args=[spare.pk]), {"post": "yes"}).status_code
        == 302
    )
    assert not Campaign.objects.filter(pk=spare.pk).exists()


def test_a_campaign_cannot_move_to_a_region_whose_plan_its_items_may_not_be_filed_under(login):
    """Moved to 安泽县, the 乡宁 plan left 乡宁's items filed under another county's plan: every later change
    of them — the office marking one 推进中 through the API, which has no campaign field — was refused
    with a message about that plan."""
    plan = Campaign.objects.get(region__code="141029")
    anze = Region.objects.get(code="141026")
    with refused("region", "乡宁县"):
        plan.region, plan.leadership_group = anze, None
        plan.save()
    office = api("xn_office", Role.COUNTY_OFFICE, "141029")
    response = office.patch(f"{URL}{item('二、（二）2').pk}/", {"status": "in_progress"}, format="json")
    assert response.status_code == 200, response.content
    # To the city above the county its items are of, it may move: they may be filed under the city's plan.
    plan = Campaign.objects.get(pk=plan.pk)
    plan.region, plan.leadership_group = Region.objects.get(code="141000"), None
    plan.save()
    assert Campaign.objects.get(pk=plan.pk).region.code == "141000"


# --- the status flow ------------------------------------------------------------------------------------


def test_a_new_item_is_not_entered_already_closed(login):
    """销号 is the sign-off of an item done (已完成 → 已销号) and final: an item entered as closed skipped the
    flow, and a mistake in it could never be corrected nor the item deleted."""
    office = api("xn_office", Role.COUNTY_OFFICE, "141029")
    client = login("xn_office2", Role.COUNTY_OFFICE, "141029")
    before = database_snapshot()
    add = reverse("admin:tasks_rectificationitem_add")
    data = admin_form_data(
        client.get(add),
        county=Region.objects.get(code="141029").pk,
        title="新整改事项",
        status="closed",
        completed_date="2022-09-30",
        evidence="验收意见",
    )
    response = client.post(add, data)
    assert response.status_code == 200
    assert "已完成" in response.context["adminform"].form.errors["status"][0]
    response = office.post(
        URL,
        {
            "county": "141029",
            "title": "新整改事项",
            "status": "closed",
            "completed_date": "2022-09-30",
            "evidence": "验收意见",
        },
        format="json",
    )
    assert response.status_code == 400, response.content
    assert list(response.json()) == ["status"]
    assert "已完成" in response.json()["status"][0]
    assert database_snapshot() == before
    # The rule is the model's: the service (the shell, any importer) refuses it too.
    with refused("status", "已完成"):
        services.rectification_save(
            item=RectificationItem(
                county=Region.objects.get(code="141029"),
                title="新整改事项",
                status="closed",
                completed_date=datetime.date(2022, 9, 30),
                evidence="验收意见",
            )
        )
    # Entered done, it is then closed as any other.
    created = office.post(
        URL,
        {"county": "141029", "title": "新整改事项", "status": "done", "completed_date": "2022-09-30"},
        format="json",
    )
    assert created.status_code == 201, created.content
    url = f"{URL}{created.json()['id']}/"
    assert office.patch(url, {"status": "closed", "evidence": "验收意见"}, format="json").status_code == 200


# --- messages a user reads --------------------------------------------------------------------------------


def test_a_nul_in_an_items_text_is_refused_saying_so(demo):
    """Django's Chinese for "Null characters are not allowed." reads "不允许是用空字符串。" (a typo, and "empty
    string"): the office is told its title is empty. The query filters and the models say
    "不得包含空字符（NUL）。" (now Django's message too, in locale/)."""
    office = api("xn_office", Role.COUNTY_OFFICE, "141029")
    response = office.patch(f"{URL}{item('二、（二）2').pk}/", {"title": "明确\x00工作任务"}, format="json")
    assert response.status_code == 400
    assert response.json() == {"title": ["不得包含空字符（NUL）。"]}


def test_an_items_history_shows_its_status_in_chinese(login):
    """The change history listed "状态: not_started → in_progress", the stored codes (now shown as the pages
    show values: landtrack.admin_base.ShownChanges, for every model)."""
    target = item("二、（二）2")
    office = api("xn_office", Role.COUNTY_OFFICE, "141029")
    assert office.patch(f"{URL}{target.pk}/", {"status": "in_progress"}, format="json").status_code == 200
    client = login("xn_office2", Role.COUNTY_OFFICE, "141029")
    page = client.get(reverse("admin:tasks_rectificationitem_history", args=[target.pk])).content.decode()
    assert "not_started" not in page and "in_progress" not in page
    assert "未开始" in page and "推进中" in page


# --- verified right, not pinned before -----------------------------------------------------------------


def test_verified_the_dashboards_rectification_list_reads_no_row_by_row(login, django_assert_num_queries):
    """Verified right: session, user, county, task years, items, their units, the page's regions; the same
    with three more items, each with a lead unit and responsible units."""
    client = login("xn_office", Role.COUNTY_OFFICE, "141029")
    with django_assert_num_queries(7):
        page = client.get("/dashboard/141029/rectifications/", {"as_of": "2022-10-01"})
    assert len(page.context["items"]) == 7
    county = Region.objects.get(code="141029")
    units = list(county.units.all()[:3])
    for number, unit in enumerate(units):
        extra = services.rectification_save(
            item=RectificationItem(county=county, title=f"补充事项{number}", lead_unit=unit),
            responsible_units=units,
        )
        assert extra.pk
    with django_assert_num_queries(7):
        page = client.get("/dashboard/141029/rectifications/", {"as_of": "2022-10-01"})
    assert len(page.context["items"]) == 10
