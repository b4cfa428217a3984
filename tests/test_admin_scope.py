"""In the admin, each role sees and changes only what DOMAIN.md §2 allows — lists, choices and pages."""

import pytest
from django.core.management import call_command
from django.urls import reverse

from leadership.choices import Role
from leadership.models import Region
from parcels.models import Parcel
from tasks.models import CountyTask
from tests.admin_forms import admin_form_data, post_refused_as_saved_meanwhile
from tests.factories import UserFactory
from tests.helpers import database_snapshot

pytestmark = pytest.mark.django_db


def listed_codes(client):
    response = client.get(reverse("admin:parcels_parcel_changelist"), {"all": ""})
    assert response.status_code == 200
    return {parcel.code for parcel in response.context["cl"].result_list}


def test_a_clerk_lists_only_their_countys_parcels(login):
    client = login("az_clerk", Role.COUNTY_CLERK, "141026")
    assert listed_codes(client) == set(
        Parcel.objects.filter(county__code="141026").values_list("code", flat=True)
    )
    assert not any(code.startswith("XN") for code in listed_codes(client))


def test_a_clerk_cannot_open_another_countys_parcel(login):
    client = login("az_clerk", Role.COUNTY_CLERK, "141026")
    other = Parcel.objects.get(code="XN2022-001")
    response = client.get(reverse("admin:parcels_parcel_change", args=[other.pk]))
    assert response.status_code == 302  # the admin's "does not exist" redirect
    assert "XN2022-001" not in client.get(response.url).content.decode()
    # A parcel with recorded history is not readable through its history page either.
    from parcels import services

    services.parcel_update(parcel=other, name="乡宁地块改名")
    history = client.get(reverse("admin:parcels_parcel_history", args=[other.pk]))
    assert history.status_code == 404  # as for an id that does not exist: nothing tells it is another county's
    assert "乡宁地块改名" not in history.content.decode()


def test_a_deleted_parcels_history_is_read_by_its_county_and_is_not_there_for_another(login):
    from parcels import services

    gone = Parcel.objects.get(code="XN2022-001")
    services.parcel_update(parcel=gone, name="删除前的名称")
    for disposal in gone.disposals.all():
        services.disposal_delete(disposal=disposal)
    services.parcel_delete(parcel=gone)
    url = reverse("admin:parcels_parcel_history", args=[gone.pk])
    own = login("xn_clerk", Role.COUNTY_CLERK, "141029").get(url)
    assert own.status_code == 200 and "删除前的名称" in own.content.decode()
    other = login("az_clerk", Role.COUNTY_CLERK, "141026").get(url)
    assert other.status_code == 404 and "删除前的名称" not in other.content.decode()
    # As for an id never used.
    never = reverse("admin:parcels_parcel_history", args=[gone.pk + 1000])
    assert login("az_clerk2", Role.COUNTY_CLERK, "141026").get(never).status_code == 404


def test_choice_lists_hold_only_the_clerks_county(login):
    client = login("az_clerk", Role.COUNTY_CLERK, "141026")
    form = client.get(reverse("admin:parcels_parcel_add")).context["adminform"].form
    assert [region.code for region in form.fields["county"].queryset] == ["141026"]
    assert {region.parent.code for region in form.fields["town"].queryset} == {"141026"}
    assert {unit.region.code for unit in form.fields["responsible_unit"].queryset} == {"141026"}


def test_the_county_filter_offers_only_the_clerks_county(login):
    client = login("az_clerk", Role.COUNTY_CLERK, "141026")
    response = client.get(reverse("admin:parcels_parcel_changelist"))
    page = response.content.decode()
    assert "?county=141026" in page and "?county=141029" not in page


def test_a_clerk_cannot_post_a_parcel_into_another_county(login):
    client = login("az_clerk", Role.COUNTY_CLERK, "141026")
    response = client.get(reverse("admin:parcels_parcel_add"))
    before = database_snapshot()
    data = admin_form_data(
        response,
        county=Region.objects.get(code="141029").pk,
        code="SNEAK-1",
        name="越权地块",
        kind="unsupplied",
        area_mu="1",
        approval_number="x",
        approval_date="2020-01-01",
        expropriation_status="completed",
        unsupplied_reason="other",
    )
    response = client.post(reverse("admin:parcels_parcel_add"), data)
    assert response.status_code == 200
    assert "county" in response.context["adminform"].form.errors
    assert database_snapshot() == before


def test_the_office_reads_parcels_but_cannot_change_them(login):
    client = login("az_office", Role.COUNTY_OFFICE, "141026")
    parcel = Parcel.objects.get(code="AZ-PW-003")
    url = reverse("admin:parcels_parcel_change", args=[parcel.pk])
    response = client.get(url)
    assert response.status_code == 200
    assert not response.context["has_change_permission"]
    assert client.get(reverse("admin:parcels_parcel_add")).status_code == 403
    before = database_snapshot()
    assert client.post(url, {"name": "改"}).status_code == 403
    assert database_snapshot() == before


def test_the_city_reads_every_county_of_its_city_and_assigns_tasks(login):
    client = login("lf_city", Role.CITY_BUREAU, "141000")
    assert listed_codes(client) == set(Parcel.objects.values_list("code", flat=True))
    assert client.get(reverse("admin:parcels_parcel_add")).status_code == 403
    response = client.get(reverse("admin:tasks_countytask_add"))
    assert response.status_code == 200
    counties = response.context["adminform"].form.fields["county"].queryset
    assert counties.count() == 17
    data = admin_form_data(
        response,
        county=Region.objects.get(code="141002").pk,
        year="2024",
        category="unsupplied",
        target_area_mu="12",
    )
    assert client.post(reverse("admin:tasks_countytask_add"), data).status_code == 302
    assert CountyTask.objects.filter(county__code="141002", year=2024).exists()


def test_a_clerk_cannot_see_users_or_change_regions(login):
    client = login("az_clerk", Role.COUNTY_CLERK, "141026")
    assert client.get(reverse("admin:leadership_user_changelist")).status_code == 403
    region = Region.objects.get(code="141026")
    response = client.get(reverse("admin:leadership_region_change", args=[region.pk]))
    assert response.status_code == 200 and not response.context["has_change_permission"]


def test_the_office_manages_its_rectification_items_only(login):
    client = login("xn_office", Role.COUNTY_OFFICE, "141029")
    response = client.get(reverse("admin:tasks_rectificationitem_changelist"))
    assert response.context["cl"].result_count == 7
    anze_office = login("az_office", Role.COUNTY_OFFICE, "141026")
    assert (
        anze_office.get(reverse("admin:tasks_rectificationitem_changelist")).context["cl"].result_count == 0
    )


def test_a_user_without_a_role_is_kept_out_of_the_admin(client, demo):
    client.force_login(UserFactory(username="nobody", role="", region=None))
    response = client.get(reverse("admin:parcels_parcel_changelist"))
    assert response.status_code == 403


# --- autocompletes, other changelists, choice lists -------------------------------------------------


def autocomplete(client, model_name, field_name, term="", app_label="parcels"):
    response = client.get(
        "/admin/autocomplete/",
        {"app_label": app_label, "model_name": model_name, "field_name": field_name, "term": term},
    )
    assert response.status_code == 200, response.content
    return {row["text"] for row in response.json()["results"]}


def test_autocompletes_offer_only_the_users_county(login):
    from leadership.models import Unit

    client = login("az_clerk", Role.COUNTY_CLERK, "141026")
    anze_units = set(Unit.objects.filter(region__code="141026").values_list("name", flat=True))
    offered = autocomplete(client, "parcel", "responsible_unit")
    assert offered and offered <= anze_units
    # 乡宁县财政局 exists, but not for a clerk of 安泽县: searching by name finds only 安泽县's.
    assert autocomplete(client, "parcel", "responsible_unit", "财政局") == {"安泽县财政局"}
    assert autocomplete(client, "parcel", "responsible_unit", "乡宁") == set()
    assert autocomplete(client, "disposal", "parcel", "XN2022") == set()
    assert autocomplete(client, "disposal", "parcel", "AZ")  # their own parcels are offered
    city = login("lf_city", Role.CITY_BUREAU, "141000")
    assert autocomplete(city, "parcel", "responsible_unit", "财政局") == {"安泽县财政局", "乡宁县财政局"}


@pytest.mark.parametrize(
    "changelist, county_field",
    [
        ("tasks_countytask_changelist", "county"),
        ("tasks_rectificationitem_changelist", "county"),
        ("leadership_unit_changelist", "region"),
        ("leadership_leadershipgroup_changelist", "region"),
        ("tasks_campaign_changelist", "region"),
    ],
)
def test_every_changelist_of_a_clerk_holds_only_their_county(login, changelist, county_field):
    client = login("xn_clerk", Role.COUNTY_CLERK, "141029")
    response = client.get(reverse(f"admin:{changelist}"), {"all": ""})
    assert response.status_code == 200
    rows = list(response.context["cl"].result_list)
    assert rows, changelist  # the demo has some in 乡宁县
    assert {getattr(row, county_field).code for row in rows} == {"141029"}
    assert response.context["cl"].full_result_count == len(rows)


def test_the_offices_choice_lists_hold_only_its_county(login):
    from leadership.models import LeadershipGroup, Unit

    # A unit of the city, which the county reads (a parcel's unit may be the city's) but which neither a
    # rectification nor the county's leadership group may name: not offered where it would be refused.
    Unit.objects.create(region=Region.objects.get(code="141000"), name="临汾市自然资源局")
    client = login("xn_office", Role.COUNTY_OFFICE, "141029")
    form = client.get(reverse("admin:tasks_rectificationitem_add")).context["adminform"].form
    assert [region.code for region in form.fields["county"].queryset] == ["141029"]
    assert {unit.region.code for unit in form.fields["lead_unit"].queryset} == {"141029"}
    assert {unit.region.code for unit in form.fields["responsible_units"].queryset} == {"141029"}
    assert {campaign.region.code for campaign in form.fields["campaign"].queryset} <= {"141029"}
    group = LeadershipGroup.objects.get(region__code="141029")
    page = client.get(reverse("admin:leadership_leadershipgroup_change", args=[group.pk])).context
    assert {unit.region.code for unit in page["adminform"].form.fields["office_unit"].queryset} == {"141029"}
    (members,) = page["inline_admin_formsets"]
    member_units = members.formset.empty_form.fields["unit"].choices
    assert {unit.instance.region.code for unit, _ in member_units if unit} == {"141029"}
    # A parcel's unit may be the city's: the test of a county reading its city's units checks that list.


def test_a_city_bureau_of_another_city_sees_nothing_of_linfen(login):
    taiyuan = Region.objects.create(code="140100", name="太原市", level="city")
    assert taiyuan.pk
    client = login("ty_city", Role.CITY_BUREAU, "140100")
    assert listed_codes(client) == set()
    response = client.get(reverse("admin:tasks_countytask_changelist"))
    assert response.context["cl"].result_count == 0
    task = CountyTask.objects.get(county__code="141029", year=2022)
    response = client.get(reverse("admin:tasks_countytask_change", args=[task.pk]))
    assert response.status_code == 302


# --- who manages what -------------------------------------------------------------------------------


def test_the_office_manages_its_leadership_group_and_not_anothers(login):
    from leadership.models import LeadershipGroup

    client = login("az_office", Role.COUNTY_OFFICE, "141026")
    own = LeadershipGroup.objects.get(region__code="141026")
    url = reverse("admin:leadership_leadershipgroup_change", args=[own.pk])
    response = client.get(url)
    assert response.status_code == 200 and response.context["has_change_permission"]
    data = admin_form_data(response, office_director="新主任")
    assert client.post(url, data).status_code == 302
    own.refresh_from_db()
    assert own.office_director == "新主任"
    record = own.history.order_by("-history_id").first()
    assert record.history_user.username == "az_office"
    other = LeadershipGroup.objects.get(region__code="141029")
    assert client.get(reverse("admin:leadership_leadershipgroup_change", args=[other.pk])).status_code == 302
    clerk = login("az_clerk", Role.COUNTY_CLERK, "141026")
    response = clerk.get(url)
    assert response.status_code == 200 and not response.context["has_change_permission"]
    before = database_snapshot()
    assert clerk.post(url, data | {"office_director": "经办人改"}).status_code == 403
    assert database_snapshot() == before


def test_the_office_cannot_open_another_countys_rectification_item(login):
    from tasks.models import RectificationItem

    client = login("az_office", Role.COUNTY_OFFICE, "141026")
    item = RectificationItem.objects.filter(county__code="141029").first()
    response = client.get(reverse("admin:tasks_rectificationitem_change", args=[item.pk]))
    assert response.status_code == 302
    assert item.title not in client.get(response.url).content.decode()


# --- saving over someone else's newer version ---------------------------------------------------------


def test_a_task_saved_meanwhile_by_someone_else_is_not_overwritten(login):
    from tasks import services

    client = login("lf_city", Role.CITY_BUREAU, "141000")
    task = CountyTask.objects.get(county__code="141029", year=2022)
    url = reverse("admin:tasks_countytask_change", args=[task.pk])
    response = client.get(url)
    colleague = UserFactory(username="city_colleague", role=Role.CITY_BUREAU, region=task.county.parent)
    task.document_number = "同事改的文号"
    services.task_save(task=task, user=colleague)
    data = admin_form_data(response, document_number="我的文号")
    post_refused_as_saved_meanwhile(client, url, data, "city_colleague")


def test_a_rectification_item_saved_meanwhile_by_someone_else_is_not_overwritten(login):
    from tasks import services
    from tasks.models import RectificationItem

    client = login("xn_office", Role.COUNTY_OFFICE, "141029")
    item = RectificationItem.objects.filter(county__code="141029").first()
    url = reverse("admin:tasks_rectificationitem_change", args=[item.pk])
    response = client.get(url)
    colleague = UserFactory(username="office_colleague", role=Role.COUNTY_OFFICE, region=item.county)
    item.description = "同事补充的措施"
    services.rectification_save(item=item, user=colleague)
    data = admin_form_data(response, description="我的措施")
    post_refused_as_saved_meanwhile(client, url, data, "office_colleague")


# --- odd input in admin URLs --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "query",
    [
        "?province=%00",
        "?city=%00",
        "?county=%00",
        "?town=%00",
        "?kind__exact=%00",
        "?q=%00",
        "?q=a%00b",
        "?status=%00",
        "?o=%00",
    ],
)
def test_nul_characters_in_admin_queries_are_refused_not_a_server_error(login, query):
    client = login("az_clerk", Role.COUNTY_CLERK, "141026")
    response = client.get(reverse("admin:parcels_parcel_changelist") + query)
    assert response.status_code == 400
    assert "空字符" in response.content.decode()


def test_nul_characters_in_an_autocomplete_are_refused(login):
    client = login("az_clerk", Role.COUNTY_CLERK, "141026")
    response = client.get(
        "/admin/autocomplete/?app_label=parcels&model_name=parcel&field_name=responsible_unit&term=%00"
    )
    assert response.status_code == 400


def test_a_leadership_group_saved_meanwhile_by_someone_else_is_not_overwritten(login):
    from leadership.models import GroupMember, LeadershipGroup

    client = login("az_office", Role.COUNTY_OFFICE, "141026")
    group = LeadershipGroup.objects.get(region__code="141026")
    url = reverse("admin:leadership_leadershipgroup_change", args=[group.pk])
    opened = client.get(url)
    # Meanwhile a colleague corrects a member's title (a row of the same form, edited inline).
    colleague = UserFactory(username="office_colleague", role=Role.COUNTY_OFFICE, region=group.region)
    member = GroupMember.objects.filter(group=group).first()
    member.title = "同事改的职务"
    member._history_user = colleague
    member.save()
    data = admin_form_data(opened, office_director="我改的主任")
    post_refused_as_saved_meanwhile(client, url, data, "office_colleague")
    # Opened again, the form saves.
    response = client.post(url, admin_form_data(client.get(url), office_director="我改的主任"))
    assert response.status_code == 302
    group.refresh_from_db()
    assert group.office_director == "我改的主任"


def test_a_county_reads_its_citys_units_but_not_another_countys_and_changes_neither(login):
    from leadership.models import Unit

    city_unit = Unit.objects.create(region=Region.objects.get(code="141000"), name="临汾市自然资源局")
    client = login("az_office", Role.COUNTY_OFFICE, "141026")
    listed = client.get(reverse("admin:leadership_unit_changelist"), {"all": ""}).context["cl"].result_list
    assert {unit.region.code for unit in listed} == {"141026", "141000"}
    page = client.get(reverse("admin:leadership_unit_change", args=[city_unit.pk]))
    assert page.status_code == 200 and not page.context["has_change_permission"]
    other = Unit.objects.get(name="乡宁县财政局")
    # Not there for them: the admin's "does not exist" redirect.
    assert client.get(reverse("admin:leadership_unit_change", args=[other.pk])).status_code == 302
    client = login("az_clerk", Role.COUNTY_CLERK, "141026")
    form = client.get(reverse("admin:parcels_parcel_add")).context["adminform"].form
    # As the model allows: a parcel's unit is its county's or its city's.
    assert {unit.region.code for unit in form.fields["responsible_unit"].queryset} == {"141026", "141000"}


def test_a_unit_saved_meanwhile_by_someone_else_is_not_overwritten(login):
    from leadership.models import Unit

    client = login("xn_office", Role.COUNTY_OFFICE, "141029")
    unit = Unit.objects.get(name="乡宁县财政局")
    url = reverse("admin:leadership_unit_change", args=[unit.pk])
    opened = client.get(url)
    unit.duties = "同事补充的职责"
    unit._history_user = UserFactory(username="unit_colleague", role=Role.COUNTY_OFFICE, region=unit.region)
    unit.save()
    post_refused_as_saved_meanwhile(client, url, admin_form_data(opened, duties="我的职责"), "unit_colleague")


# --- change history in the admin ----------------------------------------------------------------------


def test_a_parcels_admin_history_shows_its_disposals_changes(login):
    import datetime
    from decimal import Decimal

    from parcels import services

    client = login("az_clerk", Role.COUNTY_CLERK, "141026")
    parcel = Parcel.objects.get(code="AZ-PW-003")
    clerk = client.get(reverse("admin:parcels_parcel_changelist")).wsgi_request.user
    disposal = services.disposal_record(
        parcel=parcel,
        method="supply_transfer",
        area_mu=Decimal("0.75"),
        date=datetime.date(2023, 6, 1),
        user=clerk,
    )
    services.disposal_update(disposal=disposal, area_mu=Decimal("0.5"), user=clerk)
    page = client.get(reverse("admin:parcels_parcel_history", args=[parcel.pk])).content.decode()
    assert "处置记录的变更记录" in page
    assert "处置面积（亩）：</strong>0.7500 → 0.5000" in page
    assert "处置面积（亩）：</strong>— → 0.7500" in page
    assert "az_clerk" in page


def test_a_tasks_admin_history_shows_its_milestones_changes(login):
    from tasks import services

    call_command("populate_history", "--auto", verbosity=0)  # as `make run` does after loading the demo
    client = login("lf_city", Role.CITY_BUREAU, "141000")
    task = CountyTask.objects.get(county__code="141029", year=2022)
    city = client.get(reverse("admin:tasks_countytask_changelist")).wsgi_request.user
    milestones = list(task.milestones.values_list("due", "target_rate"))
    milestones[0] = (milestones[0][0], 30)
    services.task_save(task=task, milestones=milestones, user=city)
    page = client.get(reverse("admin:tasks_countytask_history", args=[task.pk])).content.decode()
    assert "时间节点的变更记录" in page
    assert "累计目标（%）：</strong>25.00 → 30.00" in page and "lf_city" in page


def test_a_tasks_admin_history_shows_what_a_deleted_milestone_held(login):
    import datetime

    from tasks import services

    client = login("lf_city", Role.CITY_BUREAU, "141000")
    task = CountyTask.objects.get(county__code="141029", year=2022)
    city = client.get(reverse("admin:tasks_countytask_changelist")).wsgi_request.user
    # The demo's 25 % at 31 May is dropped; 50/85/100 % remain.
    kept = [
        (datetime.date(2022, 6, 30), 50),
        (datetime.date(2022, 9, 30), 85),
        (datetime.date(2022, 11, 30), 100),
    ]
    services.task_save(task=task, milestones=kept, user=city)
    page = client.get(reverse("admin:tasks_countytask_history", args=[task.pk])).content.decode()
    assert "节点日期：</strong>2022-05-31 → —" in page
    assert "累计目标（%）：</strong>25.00 → —" in page


def test_a_groups_admin_history_shows_its_members_changes(login):
    from leadership.models import GroupMember, LeadershipGroup

    call_command("populate_history", "--auto", verbosity=0)
    client = login("az_office", Role.COUNTY_OFFICE, "141026")
    group = LeadershipGroup.objects.get(region__code="141026")
    member = GroupMember.objects.filter(group=group).order_by("order").first()
    member.title = "县长"
    member._history_user = client.get(reverse("admin:leadership_unit_changelist")).wsgi_request.user
    member.save()
    page = client.get(reverse("admin:leadership_leadershipgroup_history", args=[group.pk])).content.decode()
    assert "领导小组成员的变更记录" in page
    assert "职务：</strong>政府副县长 → 县长" in page and "az_office" in page


@pytest.mark.parametrize(
    "url",
    [
        "/admin/parcels/parcel/abc/history/",
        "/admin/leadership/leadershipgroup/abc/history/",
        "/admin/tasks/countytask/abc/history/1/",
        "/admin/tasks/countytask/1/history/abc/",
    ],
)
def test_a_malformed_id_in_a_history_url_is_404(admin_client_demo, url):
    assert admin_client_demo.get(url).status_code == 404


def test_a_past_version_can_be_read_but_not_posted_back(admin_client_demo):
    from parcels import services

    parcel = Parcel.objects.get(code="XN2022-004")
    services.parcel_update(parcel=parcel, name="第一次改名")
    services.parcel_update(parcel=parcel, name="第二次改名")
    first = parcel.history.order_by("history_id").first()
    url = reverse("admin:parcels_parcel_simple_history", args=[parcel.pk, first.history_id])
    response = admin_client_demo.get(url)
    assert response.status_code == 200 and "第一次改名" in response.content.decode()
    before = database_snapshot()
    assert admin_client_demo.post(url, {"name": "回退"}).status_code == 403
    assert database_snapshot() == before


def test_a_parcels_admin_history_has_a_pinned_query_count_that_does_not_grow_with_changes(
    admin_client_demo, django_assert_num_queries
):
    import datetime
    from decimal import Decimal

    from parcels import services

    parcel = Parcel.objects.get(code="AZ-PW-003")
    url = reverse("admin:parcels_parcel_history", args=[parcel.pk])

    def change(number):
        services.disposal_record(
            parcel=parcel,
            method="supply_transfer",
            area_mu=Decimal("0.1"),
            date=datetime.date(2023, 6, number),
        )
        services.parcel_update(parcel=Parcel.objects.get(pk=parcel.pk), name=f"第{number}次改名")

    change(1)
    admin_client_demo.get(url)  # caches the user model's content type, which the page links to
    # Session, user; the parcel in scope; its disposals' and notes' history; the parcel, its county;
    # its own history, counted and read.
    with django_assert_num_queries(9):
        assert admin_client_demo.get(url).status_code == 200
    for number in range(2, 8):
        change(number)
    with django_assert_num_queries(9):
        page = admin_client_demo.get(url).content.decode()
    assert page.count("出让供应 0.1000 亩") == 7  # each disposal named from its history record


def test_a_groups_admin_history_names_a_members_unit(login):
    from leadership.models import GroupMember, LeadershipGroup, Unit

    call_command("populate_history", "--auto", verbosity=0)
    client = login("az_office", Role.COUNTY_OFFICE, "141026")
    group = LeadershipGroup.objects.get(region__code="141026")
    member = GroupMember.objects.filter(group=group, unit__isnull=False).order_by("order").first()
    before = member.unit
    member.unit = Unit.objects.filter(region=group.region).exclude(pk=before.pk).first()
    member.save()
    page = client.get(reverse("admin:leadership_leadershipgroup_history", args=[group.pk])).content.decode()
    assert f"所在单位：</strong>{before.name} → {member.unit.name}" in page
