"""Admin defects found in review: each test names the rule the admin broke."""

import pytest
from django.urls import reverse

from leadership.choices import Role
from leadership.models import Region
from parcels import services
from parcels.models import IdleProcedure, Parcel, ProgressNote
from tests.admin_forms import admin_form_data, post_refused_as_saved_meanwhile
from tests.factories import ParcelFactory

pytestmark = pytest.mark.django_db


def test_a_past_version_of_a_parcel_moved_to_another_county_is_not_shown_to_its_former_county(login):
    # Entered under 安泽县 by mistake, then moved to 乡宁县, where it is edited on.
    parcel = ParcelFactory(county=Region.objects.get(code="141026"), code="MOVED-1", name="安泽录入时的名称")
    services.parcel_save(parcel=parcel)
    services.parcel_update(parcel=parcel, county=Region.objects.get(code="141029"), name="乡宁县的名称")
    first = parcel.history.order_by("history_id").first()
    client = login("az_clerk", Role.COUNTY_CLERK, "141026")
    # Neither the change page nor the history list is there for 安泽县 any more ...
    assert client.get(reverse("admin:parcels_parcel_change", args=[parcel.pk])).status_code == 302
    assert client.get(reverse("admin:parcels_parcel_history", args=[parcel.pk])).status_code == 404
    # ... and so neither is a past version of it, which also shows the parcel's current map and status.
    version = client.get(reverse("admin:parcels_parcel_simple_history", args=[parcel.pk, first.history_id]))
    assert version.status_code == 404
    # Its county reads the versions recorded since it moved there.
    latest = parcel.history.order_by("history_id").last()
    xiangning = login("xn_clerk", Role.COUNTY_CLERK, "141029")
    version = xiangning.get(
        reverse("admin:parcels_parcel_simple_history", args=[parcel.pk, latest.history_id])
    )
    assert version.status_code == 200 and "乡宁县的名称" in version.content.decode()


def test_a_parcels_admin_history_shows_its_idle_procedure_changes(login):
    from parcels.models import Parcel
    from tests.admin_forms import admin_form_data

    client = login("az_clerk", Role.COUNTY_CLERK, "141026")
    parcel = Parcel.objects.get(code="AZ-XZ-002")  # 闲置土地: its page edits the 令53 procedure
    url = reverse("admin:parcels_parcel_change", args=[parcel.pk])
    data = admin_form_data(client.get(url))
    data |= {
        "idle_procedure-TOTAL_FORMS": "1",
        "idle_procedure-0-parcel": str(parcel.pk),
        "idle_procedure-0-found_date": "2024-01-05",
        "idle_procedure-0-notice_number": "安自然资〔2024〕1号",
    }
    assert client.post(url, data).status_code == 302
    assert parcel.idle_procedure.notice_number == "安自然资〔2024〕1号"
    page = client.get(reverse("admin:parcels_parcel_history", args=[parcel.pk])).content.decode()
    assert "闲置土地处置程序的变更记录" in page
    assert "调查通知书文号：</strong>— → 安自然资〔2024〕1号" in page and "az_clerk" in page
    # A yes/no field reads in Chinese, as every other value on the page.
    assert "当事人申请听证：</strong>— → 否" in page and "False" not in page


def test_a_unit_named_by_rectification_items_is_not_deleted_from_under_them(login):
    from leadership.models import Unit
    from tests.helpers import database_snapshot

    client = login("xn_office", Role.COUNTY_OFFICE, "141029")
    unit = Unit.objects.get(name="乡宁县推进“标准地”改革工作领导小组成员单位")
    items = list(unit.rectifications.all())
    assert len(items) == 4  # named by nothing else: the database would drop it from the items unrecorded
    url = reverse("admin:leadership_unit_delete", args=[unit.pk])
    page = client.get(url)
    assert page.status_code == 200
    assert {f"整改事项: {item}" for item in items} <= set(map(str, page.context["protected"]))
    before = database_snapshot()
    assert client.post(url, {"post": "yes"}).status_code == 200
    changelist = reverse("admin:leadership_unit_changelist")
    bulk = client.post(
        changelist, {"action": "delete_selected", "_selected_action": [unit.pk], "post": "yes"}
    )
    assert bulk.status_code == 200
    assert database_snapshot() == before
    assert all(unit in item.responsible_units.all() for item in items)


def test_a_campaigns_phases_keep_their_history_and_show_it_on_the_campaigns_page(login):
    from django.core.management import call_command

    from tasks.models import Campaign
    from tests.admin_forms import admin_form_data

    call_command("populate_history", "--auto", verbosity=0)  # as `make run` does after loading the demo
    campaign = Campaign.objects.get(region__code="141026")
    phase = campaign.phases.order_by("order", "start_date").first()
    client = login("az_office", Role.COUNTY_OFFICE, "141026")
    url = reverse("admin:tasks_campaign_change", args=[campaign.pk])
    data = admin_form_data(client.get(url))
    (id_key,) = [key for key, value in data.items() if key.endswith("-id") and value == str(phase.pk)]
    prefix = id_key.removesuffix("-id")
    response = client.post(url, data | {f"{prefix}-name": "清理处置（延长）"})
    assert response.status_code == 302, response.content.decode()[:2000]
    record = phase.history.order_by("-history_id").first()
    assert (record.name, record.history_user.username, record.history_type) == (
        "清理处置（延长）",
        "az_office",
        "~",
    )
    page = client.get(reverse("admin:tasks_campaign_history", args=[campaign.pk])).content.decode()
    assert "工作阶段的变更记录" in page
    assert f"阶段名称：</strong>{phase.name} → 清理处置（延长）" in page


def _procedure_saved_by_colleague(parcel, notice_number):
    from tests.factories import UserFactory

    colleague = UserFactory(username="procedure_colleague", role=Role.COUNTY_CLERK, region=parcel.county)
    procedure = IdleProcedure.objects.filter(parcel=parcel).first() or IdleProcedure(parcel=parcel)
    procedure.notice_number = notice_number
    procedure._history_user = colleague
    procedure.save()


# 闲置土地 of 安泽县: its page edits the 令53 procedure and the notes, whose saves raise no version of the
# parcel: the form guards them itself.


def test_a_parcel_saved_over_a_colleagues_newer_idle_procedure_is_refused(login):
    client = login("az_clerk", Role.COUNTY_CLERK, "141026")
    parcel = Parcel.objects.get(code="AZ-XZ-002")
    url = reverse("admin:parcels_parcel_change", args=[parcel.pk])
    _procedure_saved_by_colleague(parcel, "安自然资〔2024〕1号")
    opened = client.get(url)
    # Meanwhile a colleague completes the procedure's notice.
    _procedure_saved_by_colleague(parcel, "安自然资〔2024〕2号")
    data = admin_form_data(opened, name="我改的名称")
    post_refused_as_saved_meanwhile(client, url, data, "procedure_colleague")
    # Opened again, the form saves, and keeps the colleague's notice.
    response = client.post(url, admin_form_data(client.get(url), name="我改的名称"))
    assert response.status_code == 302
    parcel.refresh_from_db()
    assert parcel.name == "我改的名称" and parcel.idle_procedure.notice_number == "安自然资〔2024〕2号"


def test_a_procedure_begun_by_a_colleague_after_the_form_opened_is_guarded_too(login):
    client = login("az_clerk", Role.COUNTY_CLERK, "141026")
    parcel = Parcel.objects.get(code="AZ-XZ-002")
    assert not IdleProcedure.objects.filter(parcel=parcel).exists()
    url = reverse("admin:parcels_parcel_change", args=[parcel.pk])
    opened = client.get(url)
    _procedure_saved_by_colleague(parcel, "安自然资〔2024〕3号")
    data = admin_form_data(opened) | {
        "idle_procedure-TOTAL_FORMS": "1",
        "idle_procedure-0-parcel": str(parcel.pk),
        "idle_procedure-0-notice_number": "我的文号",
    }
    post_refused_as_saved_meanwhile(client, url, data, "procedure_colleague")


def test_a_parcel_saved_over_a_colleagues_corrected_note_is_refused(login):
    from tests.factories import UserFactory

    client = login("az_clerk", Role.COUNTY_CLERK, "141026")
    parcel = Parcel.objects.get(code="AZ-XZ-002")
    note = services.progress_note_add(parcel=parcel, date=parcel.created_at.date(), text="已约谈使用权人")
    url = reverse("admin:parcels_parcel_change", args=[parcel.pk])
    opened = client.get(url)
    colleague = UserFactory(username="note_colleague", role=Role.COUNTY_CLERK, region=parcel.county)
    note.text = "已约谈，拟收回"
    services.progress_note_save(note=note, user=colleague)
    post_refused_as_saved_meanwhile(client, url, admin_form_data(opened, note="我的备注"), "note_colleague")
    assert ProgressNote.objects.get(pk=note.pk).text == "已约谈，拟收回"
