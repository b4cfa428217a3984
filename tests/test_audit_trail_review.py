"""Every change is recorded (who, when, what): each write path, as a user takes it, leaves its entry in the
change history, and the history is shown to those who may read the object and to no one else."""

import datetime

import pytest
from django.contrib.admin.models import DELETION, LogEntry
from django.urls import reverse
from django.utils import timezone

from leadership.choices import Role
from leadership.models import GroupMember, LeadershipGroup, Region, Unit
from parcels.models import Disposal, Parcel, ProgressNote
from tasks.models import Campaign, CampaignPhase, CountyTask, Milestone, RectificationItem

pytestmark = pytest.mark.django_db


def latest(model, **lookup):
    """The newest history record of ``model``'s rows matching ``lookup``."""
    return model.history.filter(**lookup).select_related("history_user").order_by("-history_id").first()


def recent(record):
    """The record was written just now (its time is the change's, not a default)."""
    return timezone.now() - datetime.timedelta(minutes=1) < record.history_date <= timezone.now()


def by(record, username, history_type):
    assert record is not None, "no history record"
    assert record.history_type == history_type, record.history_type
    assert record.history_user is not None, "the change is recorded without its author"
    assert record.history_user.username == username
    assert recent(record)
    return record


# --- the admin's bulk deletion ("删除所选") --------------------------------------------------------------


def bulk_delete(client, changelist, pks):
    return client.post(
        reverse(changelist), {"action": "delete_selected", "_selected_action": list(pks), "post": "yes"}
    )


def test_deleting_tasks_with_the_admins_bulk_action_records_who_deleted_them_and_their_milestones(login):
    client = login("lf_city", Role.CITY_BUREAU, "141000")
    task = CountyTask.objects.get(county__code="141029", year=2022)
    milestone_ids = list(task.milestones.values_list("pk", flat=True))
    response = bulk_delete(client, "admin:tasks_countytask_changelist", [task.pk])
    assert response.status_code == 302
    assert not CountyTask.objects.filter(pk=task.pk).exists()
    by(latest(CountyTask, id=task.pk), "lf_city", "-")
    for pk in milestone_ids:
        by(latest(Milestone, id=pk), "lf_city", "-")
    assert LogEntry.objects.filter(object_id=str(task.pk), action_flag=DELETION).exists()


def test_deleting_units_groups_and_campaigns_in_bulk_records_who_deleted_them(login):
    client = login("az_office", Role.COUNTY_OFFICE, "141026")
    anze = Region.objects.get(code="141026")
    unit = Unit.objects.create(region=anze, name="安泽县试点单位", kind="other")
    group = LeadershipGroup.objects.create(region=anze, name="安泽县试点领导小组")
    member = GroupMember.objects.create(group=group, role="leader", name="张三", order=1)
    campaign = Campaign.objects.create(region=anze, year=2024, name="安泽县试点行动")
    phase = CampaignPhase.objects.create(
        campaign=campaign,
        order=1,
        name="安排部署",
        start_date=datetime.date(2024, 5, 10),
        end_date=datetime.date(2024, 5, 30),
    )
    assert bulk_delete(client, "admin:tasks_campaign_changelist", [campaign.pk]).status_code == 302
    assert bulk_delete(client, "admin:leadership_leadershipgroup_changelist", [group.pk]).status_code == 302
    assert bulk_delete(client, "admin:leadership_unit_changelist", [unit.pk]).status_code == 302
    by(latest(Campaign, id=campaign.pk), "az_office", "-")
    by(latest(CampaignPhase, id=phase.pk), "az_office", "-")
    by(latest(LeadershipGroup, id=group.pk), "az_office", "-")
    by(latest(GroupMember, id=member.pk), "az_office", "-")
    by(latest(Unit, id=unit.pk), "az_office", "-")


def test_deleting_rectification_items_in_bulk_records_who_deleted_them_and_their_units(login):
    client = login("xn_office", Role.COUNTY_OFFICE, "141029")
    item = RectificationItem.objects.get(pk=1)
    units = set(item.responsible_units.values_list("pk", flat=True))
    assert units
    assert bulk_delete(client, "admin:tasks_rectificationitem_changelist", [item.pk]).status_code == 302
    assert not RectificationItem.objects.filter(pk=item.pk).exists()
    record = by(latest(RectificationItem, id=item.pk), "xn_office", "-")
    # What was lost: its responsible units too, not an item that had none.
    assert set(record.responsible_units.values_list("unit_id", flat=True)) == units
    page = client.get(reverse("admin:tasks_rectificationitem_history", args=[item.pk]))
    assert page.status_code == 200 and "xn_office" in page.content.decode()


# --- the REST API, signed in with a token as integrating systems are -------------------------------------


def token_client(user):
    from rest_framework.authtoken.models import Token
    from rest_framework.test import APIClient

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=user)[0].key}")
    return client


def test_opening_a_ledger_line_from_a_supply_record_records_who_linked_the_record(demo, make_user):
    from decimal import Decimal

    from parcels.models import SupplyRecord

    anze = Region.objects.get(code="141026")
    clerk = make_user("az_clerk", Role.COUNTY_CLERK, anze)
    record = SupplyRecord(
        county=anze,
        supervision_number="1410262020B09999",
        project_name="某工业项目",
        land_user="某某公司",
        supply_method="transfer",
        area_ha=Decimal("1.0000"),
        land_use="工业用地",
        price_wan=Decimal("800"),
        contract_date=datetime.date(2020, 3, 1),
        agreed_delivery_date=datetime.date(2020, 4, 30),
        agreed_start_date=datetime.date(2020, 9, 30),
    )
    record.save()
    response = token_client(clerk).post(
        f"/api/v1/supply-records/{record.pk}/to-parcel/", {"idle_cause": "user"}, format="json"
    )
    assert response.status_code == 201, response.content
    linked = by(latest(SupplyRecord, id=record.pk), "az_clerk", "~")
    assert linked.parcel_id == response.json()["id"]
    by(latest(Parcel, id=response.json()["id"]), "az_clerk", "+")


def test_deleting_a_parcel_over_the_api_records_who_deleted_its_notes_and_procedure_too(demo, make_user):
    from parcels import services
    from parcels.models import IdleProcedure

    clerk = make_user("az_clerk", Role.COUNTY_CLERK, Region.objects.get(code="141026"))
    parcel = Parcel.objects.get(code="AZ-XZ-003")
    for disposal in parcel.disposals.all():
        services.disposal_delete(disposal=disposal, user=clerk)
    note = services.progress_note_add(
        parcel=parcel, date=datetime.date(2024, 1, 2), text="已约谈", user=clerk
    )
    procedure = services.idle_procedure_save(
        procedure=IdleProcedure(parcel=parcel, found_date=datetime.date(2024, 1, 5)), user=clerk
    )
    response = token_client(clerk).delete(f"/api/v1/parcels/{parcel.pk}/")
    assert response.status_code == 204, response.content
    by(latest(Parcel, id=parcel.pk), "az_clerk", "-")
    by(latest(ProgressNote, id=note.pk), "az_clerk", "-")
    by(latest(IdleProcedure, id=procedure.pk), "az_clerk", "-")
    # The parcel is gone from the API (its history there too); its county reads its history in the admin.
    assert token_client(clerk).get(f"/api/v1/parcels/{parcel.pk}/history/").status_code == 404


def test_changing_an_items_units_over_the_api_is_recorded_and_shown_only_to_its_county(login, client):
    office = login("xn_office", Role.COUNTY_OFFICE, "141029").get("/admin/").wsgi_request.user
    item = RectificationItem.objects.get(pk=2)
    assert set(item.responsible_units.values_list("pk", flat=True)) == {26, 27}
    before = timezone.now()
    response = token_client(office).patch(
        f"/api/v1/rectifications/{item.pk}/",
        {"responsible_units": [21], "status": "in_progress"},
        format="json",
    )
    assert response.status_code == 200, response.content
    records = list(
        RectificationItem.history.filter(id=item.pk, history_date__gte=before).order_by("history_id")
    )
    assert records and all(record.history_user_id == office.pk for record in records)
    assert set(records[-1].responsible_units.values_list("unit_id", flat=True)) == {21}
    assert records[-1].status == "in_progress"
    url = reverse("admin:tasks_rectificationitem_history", args=[item.pk])
    page = client.get(url).content.decode()
    assert "xn_office" in page and "乡宁县自然资源局" in page and "推进中" in page
    other = login("az_office", Role.COUNTY_OFFICE, "141026").get(url)
    assert other.status_code == 404 and "xn_office" not in other.content.decode()


# --- who reads a history ---------------------------------------------------------------------------------


def xiangning_objects():
    """One row of each model with a history page, of 乡宁县, with a change recorded by a 乡宁 account."""
    from parcels.models import SupplyRecord

    xiangning = Region.objects.get(code="141029")
    record = SupplyRecord(
        county=xiangning,
        supervision_number="1410292020B00001",
        project_name="乡宁某项目",
        land_user="某公司",
        supply_method="transfer",
        area_ha=1,
        land_use="工业用地",
        contract_date=datetime.date(2020, 3, 1),
    )
    record.save()
    return {
        "parcels_parcel": Parcel.objects.get(code="XN2022-001"),
        "parcels_supplyrecord": record,
        "leadership_unit": Unit.objects.get(pk=21),
        "leadership_leadershipgroup": LeadershipGroup.objects.get(region=xiangning),
        "tasks_campaign": Campaign.objects.get(region=xiangning),
        "tasks_countytask": CountyTask.objects.get(county=xiangning),
        "tasks_rectificationitem": RectificationItem.objects.get(pk=1),
    }


@pytest.mark.parametrize(
    "name",
    [
        "parcels_parcel",
        "parcels_supplyrecord",
        "leadership_unit",
        "leadership_leadershipgroup",
        "tasks_campaign",
        "tasks_countytask",
        "tasks_rectificationitem",
    ],
)
def test_a_history_and_its_versions_are_shown_to_the_county_and_not_to_another(login, name):
    obj = xiangning_objects()[name]
    writer = login("xn_writer", Role.COUNTY_OFFICE, "141029").get("/admin/").wsgi_request.user
    obj._history_user = writer
    obj.save()
    version = latest(type(obj), id=obj.pk)
    history_url = reverse(f"admin:{name}_history", args=[obj.pk])
    version_url = reverse(f"admin:{name}_simple_history", args=[obj.pk, version.history_id])
    own = login("xn_reader", Role.COUNTY_CLERK, "141029")
    assert own.get(history_url).status_code == 200
    assert "xn_writer" in own.get(history_url).content.decode()
    assert own.get(version_url).status_code == 200
    other = login("az_reader", Role.COUNTY_OFFICE, "141026")
    for url in (history_url, version_url):
        response = other.get(url)
        assert response.status_code == 404, url
        assert "xn_writer" not in response.content.decode()


# --- management commands -----------------------------------------------------------------------------------


def test_demo_setup_enters_each_demo_row_in_its_history_and_a_reload_records_what_it_overwrote(db):
    import io

    from django.core.management import call_command

    from parcels import services

    call_command("demo_setup", stdout=io.StringIO())
    # Every row the demo loads starts its history with its creation, the item without units too, and an
    # item's record lists its units.
    for model in (
        Parcel,
        Disposal,
        ProgressNote,
        Unit,
        LeadershipGroup,
        GroupMember,
        Campaign,
        CampaignPhase,
        CountyTask,
        Milestone,
        RectificationItem,
    ):
        for pk in model.objects.values_list("pk", flat=True):
            first = model.history.filter(id=pk).order_by("history_id").first()
            assert first is not None and first.history_type == "+", (model.__name__, pk)
    assert set(latest(RectificationItem, id=1).responsible_units.values_list("unit_id", flat=True)) == {
        21,
        26,
    }

    # A reload puts the demo's rows back as the fixture has them: what it overwrote is recorded, with why.
    parcel = Parcel.objects.get(code="AZ-PW-001")
    fixture_name = parcel.name
    services.parcel_update(parcel=parcel, name="经办人改过的名称")
    call_command("demo_setup", "--reload", stdout=io.StringIO())
    parcel.refresh_from_db()
    assert parcel.name == fixture_name
    record = latest(Parcel, id=parcel.pk)
    assert (record.history_type, record.name, record.history_change_reason) == (
        "~",
        fixture_name,
        "重新加载演示数据",
    )
    assert recent(record)


def test_changing_an_items_status_and_units_is_one_entry_in_its_history(login):
    office = login("xn_office", Role.COUNTY_OFFICE, "141029").get("/admin/").wsgi_request.user
    item = RectificationItem.objects.get(pk=2)
    before = timezone.now()
    response = token_client(office).patch(
        f"/api/v1/rectifications/{item.pk}/",
        {"responsible_units": [21, 26], "status": "in_progress"},
        format="json",
    )
    assert response.status_code == 200, response.content
    # One change, one entry: not a further one with the units all taken off, a state the item was never in.
    (record,) = RectificationItem.history.filter(id=item.pk, history_date__gte=before)
    assert (record.history_type, record.history_user, record.status) == ("~", office, "in_progress")
    assert set(record.responsible_units.values_list("unit_id", flat=True)) == {21, 26}
