"""A review of the leadership app: accounts, units, leadership groups and their members, as users meet them."""

import datetime

import pytest
from django.core.management import call_command
from django.urls import reverse
from rest_framework.test import APIClient

from leadership.choices import Role
from leadership.models import GroupMember, LeadershipGroup, Region, Unit, User
from tests.admin_forms import admin_form_data
from tests.helpers import database_snapshot, refused

pytestmark = pytest.mark.django_db


# --- an administrator's own account -------------------------------------------------------------------


def test_an_administrator_cannot_deactivate_their_own_account(admin_client_demo, superuser):
    """Unticking 有效 on one's own account signed the administrator out for good, as taking their own
    administrator role off would (which the form already refuses)."""
    url = reverse("admin:leadership_user_change", args=[superuser.pk])
    data = admin_form_data(admin_client_demo.get(url))
    data.pop("is_active")  # an unticked box is not posted
    before = database_snapshot()
    response = admin_client_demo.post(url, data)
    assert response.status_code == 200
    assert "不能停用自己的账号" in response.content.decode()
    superuser.refresh_from_db()
    assert superuser.is_active
    assert database_snapshot() == before
    # Another administrator may still deactivate another's account.
    other = User.objects.create_user(
        "clerk_gone", role=Role.COUNTY_CLERK, region=Region.objects.get(code="141026")
    )
    url = reverse("admin:leadership_user_change", args=[other.pk])
    data = admin_form_data(admin_client_demo.get(url))
    data.pop("is_active")
    assert admin_client_demo.post(url, data).status_code == 302
    other.refresh_from_db()
    assert not other.is_active


def test_an_administrator_cannot_delete_their_own_account(admin_client_demo, superuser):
    """Deleting one's own account (alone, or among those selected for the list's delete action) shut the
    administrator out as surely as deactivating it: the page says why, and nothing is deleted."""
    other = User.objects.create_user(
        "clerk_left", role=Role.COUNTY_CLERK, region=Region.objects.get(code="141026")
    )
    before = database_snapshot()
    response = admin_client_demo.post(
        reverse("admin:leadership_user_delete", args=[superuser.pk]), {"post": "yes"}
    )
    assert response.status_code == 200
    assert "不能删除自己的账号" in response.content.decode()
    changelist = reverse("admin:leadership_user_changelist")
    selected = {"action": "delete_selected", "_selected_action": [superuser.pk, other.pk], "post": "yes"}
    response = admin_client_demo.post(changelist, selected)
    assert response.status_code == 200
    assert "不能删除自己的账号" in response.content.decode()
    assert User.objects.filter(pk__in=[superuser.pk, other.pk]).count() == 2
    assert database_snapshot() == before
    # Another's account alone is deleted as before.
    response = admin_client_demo.post(
        reverse("admin:leadership_user_delete", args=[other.pk]), {"post": "yes"}
    )
    assert response.status_code == 302
    assert not User.objects.filter(pk=other.pk).exists()


# --- a leadership group keeps its county ----------------------------------------------------------------


def test_a_group_a_campaign_runs_by_keeps_its_region(demo):
    """Moved to 乡宁县, the group stayed 安泽县's campaign's: 安泽's campaign named another county's group
    (and could no longer be saved, Campaign.clean refusing it)."""
    from tasks.models import Campaign

    anze, xiangning = Region.objects.get(code="141026"), Region.objects.get(code="141029")
    group = LeadershipGroup.objects.create(region=anze, name="安泽县临时领导小组")
    GroupMember.objects.create(group=group, role="leader", name="甲", title="副县长")
    campaign = Campaign.objects.get(region=anze)
    campaign.leadership_group = group
    campaign.save()
    group.region = xiangning
    with refused("region", "专项行动"):
        group.save()


def test_a_group_whose_members_sit_in_its_units_keeps_its_region(demo):
    anze, xiangning = Region.objects.get(code="141026"), Region.objects.get(code="141029")
    group = LeadershipGroup.objects.create(region=anze, name="安泽县临时领导小组")
    GroupMember.objects.create(
        group=group, name="乙", title="局长", unit=Unit.objects.get(name="安泽县财政局")
    )
    group.region = xiangning
    with refused("region", "领导小组成员"):
        group.save()
    # Verified right, pinned: a group whose members are named without a unit, and that no campaign runs by,
    # may be moved (a region chosen wrongly at first).
    GroupMember.objects.filter(group=group).update(unit=None)
    group.save()
    group.refresh_from_db()
    assert group.region == xiangning


def test_the_admin_refuses_to_move_a_campaigns_group_to_another_county(admin_client_demo):
    from tasks.models import Campaign

    anze = Region.objects.get(code="141026")
    group = LeadershipGroup.objects.create(region=anze, name="安泽县临时领导小组")
    Campaign.objects.filter(region=anze).update(leadership_group=group)
    url = reverse("admin:leadership_leadershipgroup_change", args=[group.pk])
    data = admin_form_data(admin_client_demo.get(url), region=Region.objects.get(code="141029").pk)
    before = database_snapshot()
    response = admin_client_demo.post(url, data)
    assert response.status_code == 200
    assert "该领导小组已被专项行动引用" in response.content.decode()
    assert database_snapshot() == before


@pytest.mark.parametrize(
    "day", [datetime.date(1, 1, 1), datetime.date(1923, 6, 9), datetime.date(3023, 6, 9)]
)
def test_a_groups_document_date_is_refused_outside_the_dates_any_record_may_hold(demo, day):
    """Every other document date (a campaign's, a parcel's approval) is refused before 1949-10-01 or after
    2999 as a typing error; a group's was stored."""
    group = LeadershipGroup.objects.get(region__code="141026")
    group.document_date = day
    with refused("document_date", "日期不应"):
        group.save()


# --- member order ---------------------------------------------------------------------------------------


def test_a_member_added_at_the_foot_of_the_list_is_listed_last(login):
    """The new row's 排序 was 0: a member added below 娄雁楠 was listed above the 组长."""
    client = login("az_office", Role.COUNTY_OFFICE, "141026")
    group = LeadershipGroup.objects.get(region__code="141026")
    url = reverse("admin:leadership_leadershipgroup_change", args=[group.pk])
    page = client.get(url)
    (members,) = page.context["inline_admin_formsets"]
    assert members.formset.empty_form["order"].value() == 18  # the document lists 17
    new_row = members.formset.forms[-1]
    assert new_row.instance.pk is None and new_row["order"].value() == 18
    data = admin_form_data(page)
    data[new_row.add_prefix("name")] = "王新"
    data[new_row.add_prefix("title")] = "水利局局长"
    assert client.post(url, data).status_code == 302
    api = APIClient()
    api.force_authenticate(User.objects.get(username="az_office"))
    (listed,) = api.get("/api/v1/leadership-groups/").json()["results"]
    names = [member["name"] for member in listed["members"]]
    assert names[0] == "张国强" and names[-1] == "王新" and len(names) == 18


def test_an_untouched_new_member_row_adds_no_member(login):
    """Pinned with the fix above: a numbered but empty row is still an empty row."""
    client = login("az_office", Role.COUNTY_OFFICE, "141026")
    group = LeadershipGroup.objects.get(region__code="141026")
    url = reverse("admin:leadership_leadershipgroup_change", args=[group.pk])
    assert client.post(url, admin_form_data(client.get(url), office_director="新主任")).status_code == 302
    assert group.members.count() == 17


# --- choices that the model would refuse ------------------------------------------------------------------


def test_a_units_or_groups_region_is_offered_among_counties_and_cities_only(login):
    """The county office was offered its six towns too, each refused on saving."""
    client = login("az_office", Role.COUNTY_OFFICE, "141026")
    for name in ("leadership_unit_add", "leadership_leadershipgroup_add"):
        form = client.get(reverse(f"admin:{name}")).context["adminform"].form
        assert [region.code for region in form.fields["region"].queryset] == ["141026"], name


def test_an_accounts_region_is_offered_among_counties_and_cities_only(admin_client_demo):
    form = admin_client_demo.get(reverse("admin:leadership_user_add")).context["adminform"].form
    levels = {region.level for region in form.fields["region"].queryset}
    assert levels == {"county", "city"}


# --- create_account -------------------------------------------------------------------------------------


def test_create_account_changes_the_email_of_an_existing_account(regions, capsys):
    """`--email` was read only when the account was created: updating said 已更新 and kept the old one."""
    call_command("create_account", "az_clerk", role="county_clerk", region="141026", email="old@example.cn")
    call_command("create_account", "az_clerk", role="county_office", region="141026", email="new@example.cn")
    user = User.objects.get(username="az_clerk")
    assert (user.role, user.email) == ("county_office", "new@example.cn")
    # Not given, it is left as it is.
    call_command("create_account", "az_clerk", role="county_clerk", region="141026")
    user.refresh_from_db()
    assert (user.role, user.email) == ("county_clerk", "new@example.cn")
