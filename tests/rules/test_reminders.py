"""Reminders for each role, through the API and by mail."""

import pytest
from django.core import mail
from django.core.management import CommandError, call_command
from rest_framework.test import APIClient

from leadership.choices import Role
from leadership.models import Region
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def reminders(role, code, as_of):
    client = APIClient()
    client.force_authenticate(
        UserFactory(username=f"{role}{code}", role=role, region=Region.objects.get(code=code))
    )
    response = client.get("/api/v1/reminders/", {"as_of": as_of})
    assert response.status_code == 200
    return response.json()


def test_the_anze_office_is_reminded_of_its_missed_and_coming_milestones(demo):
    items = reminders(Role.COUNTY_OFFICE, "141026", "2023-06-20")
    assert items == [
        {
            "kind": "milestone",
            "due": "2023-05-31",
            "days_left": -20,
            "county": "141026",
            "title": "安泽县批而未用任务未达到 5月31日 节点（25.00%），还差 2.60 亩",
            "url": "/dashboard/141026/?year=2023&as_of=2023-06-20",
        },
        {
            "kind": "milestone",
            "due": "2023-06-30",
            "days_left": 10,
            "county": "141026",
            "title": "安泽县批而未用任务 6月30日 须达到 50.00%，还需 17.60 亩",
            "url": "/dashboard/141026/?year=2023&as_of=2023-06-20",
        },
        {
            "kind": "parcel",
            "due": "2023-06-30",
            "days_left": 10,
            "county": "141026",
            "title": "地块 AZ-PW-002 计划2023年6月30日完成处置，尚余 18.80 亩",
            "url": items[2]["url"],
        },
    ]


def test_an_approval_about_to_lapse_is_a_reminder(demo):
    items = reminders(Role.COUNTY_CLERK, "141026", "2024-03-10")
    lapse = [item for item in items if "失效" in item["title"]]
    assert [(item["due"], item["days_left"]) for item in lapse] == [("2024-03-16", 6)]


def test_each_role_sees_only_its_scope(demo):
    assert {item["county"] for item in reminders(Role.CITY_BUREAU, "141000", "2022-09-20")} == {"141029"}
    assert reminders(Role.COUNTY_OFFICE, "141026", "2022-09-20") == []
    xiangning = reminders(Role.COUNTY_OFFICE, "141029", "2022-09-20")
    assert [item["due"] for item in xiangning] == sorted(item["due"] for item in xiangning)
    # 15 Sept rectification items are overdue by 5 days; 30 Sept ones are due in 10.
    rectifications = [
        (item["due"], item["days_left"]) for item in xiangning if item["kind"] == "rectification"
    ]
    assert ("2022-09-15", -5) in rectifications and ("2022-09-30", 10) in rectifications
    assert all(item["kind"] != "rectification" or "2022-12-30" != item["due"] for item in xiangning)


@pytest.mark.parametrize("as_of", ["2022-09-20", "2023-06-20", "2024-03-10"])
def test_the_answer_is_each_reminder_as_its_serializer_writes_it(demo, as_of):
    """The view writes each reminder itself (Reminder.as_json); the schema's serializer must agree."""
    import datetime

    from django.urls import reverse

    from tasks.api.reminder_views import ReminderSerializer
    from tasks.reminders import reminders_for

    user = UserFactory(username="city_all", role=Role.CITY_BUREAU, region=Region.objects.get(code="141000"))
    items = reminders_for(user, datetime.date.fromisoformat(as_of))
    assert {item.kind for item in items} >= {"parcel"}
    client = APIClient()
    client.force_authenticate(user)
    answered = client.get("/api/v1/reminders/", {"as_of": as_of}).json()
    assert answered == ReminderSerializer(items, many=True).data
    parcels = [item for item in answered if item["kind"] == "parcel"]
    assert parcels and all(
        item["url"] == reverse("admin:parcels_parcel_change", args=[int(item["url"].split("/")[-3])])
        for item in parcels
    )


def test_a_parcels_admin_url_is_made_as_reverse_makes_it():
    from django.urls import reverse

    from tasks.reminders import _url_of

    url_of = _url_of("admin:parcels_parcel_change")
    for pk in (1, 10, 100, 987654321012345678):
        assert url_of(pk) == reverse("admin:parcels_parcel_change", args=[pk])


def test_a_bad_date_is_400(demo):
    client = APIClient()
    client.force_authenticate(
        UserFactory(username="c", role=Role.CITY_BUREAU, region=Region.objects.get(code="141000"))
    )
    assert client.get("/api/v1/reminders/", {"as_of": "2022-13-01"}).status_code == 400


def test_send_reminders_mails_each_office_and_the_city(demo, capsys):
    UserFactory(
        username="xn_office",
        role=Role.COUNTY_OFFICE,
        region=Region.objects.get(code="141029"),
        email="office@xiangning.example",
        last_name="王",
        first_name="建国",
    )
    UserFactory(
        username="az_office",
        role=Role.COUNTY_OFFICE,
        region=Region.objects.get(code="141026"),
        email="office@anze.example",
    )
    UserFactory(
        username="city",
        role=Role.CITY_BUREAU,
        region=Region.objects.get(code="141000"),
        email="city@linfen.example",
    )
    UserFactory(
        username="clerk",
        role=Role.COUNTY_CLERK,
        region=Region.objects.get(code="141029"),
        email="clerk@xiangning.example",
    )
    UserFactory(
        username="silent_city", role=Role.CITY_BUREAU, region=Region.objects.get(code="141000"), email=""
    )
    call_command("send_reminders", as_of="2022-09-20")
    assert sorted(message.to[0] for message in mail.outbox) == [
        "city@linfen.example",
        "office@xiangning.example",
    ]
    office = next(message for message in mail.outbox if message.to == ["office@xiangning.example"])
    assert "已逾期" in office.body and "整改事项“明确责任主体，压实工作责任”" in office.body
    assert "乡宁县" in office.subject
    # Addressed by the person's name as Chinese writes it, else by the login name; dates as the notices
    # write them.
    assert office.body.startswith("王建国，您好：\n")
    assert "  2022年8月31日（逾期 20 天）地块 XN2022-003 计划2022年8月31日完成处置" in office.body
    city = next(message for message in mail.outbox if message.to == ["city@linfen.example"])
    assert city.body.startswith("city，您好：\n")
    out = capsys.readouterr().out
    assert "已发送 2 封" in out and "未填写邮箱，未发送：silent_city" in out


def test_send_reminders_refuses_a_bad_date(demo):
    with pytest.raises(CommandError, match="无效"):
        call_command("send_reminders", as_of="2022-02-30")


def test_the_dashboard_panel_is_the_soonest_of_all_reminders_and_counts_them_all(regions, superuser, monkeypatch):
    """The panel reads only as many parcels as it shows, soonest first: still exactly the head of the
    full list, and the count of the full list."""
    import datetime
    from decimal import Decimal

    from parcels import services
    from tasks.reminders import reminder_panel, reminders_for
    from tests.factories import ParcelFactory

    anze, xiangning = regions["141026"], regions["141029"]
    for number in range(9):  # planned dates passed, area left: 1–9 June 2024, in two counties
        ParcelFactory(
            county=anze if number % 2 else xiangning,
            code=f"PL{number}",
            planned_method="supply_transfer",
            planned_date=datetime.date(2024, 6, 9 - number),
        )
    for number in range(6):  # approvals of 2022, nothing done: lapsed in 2024
        ParcelFactory(
            county=anze,
            code=f"LA{number}",
            expropriation_status="not_started",
            approval_date=datetime.date(2022, 3, 1 + number),
        )
    done = ParcelFactory(county=anze, code="PL-DONE", planned_date=datetime.date(2024, 6, 1), area_mu=Decimal("2"))
    services.disposal_record(parcel=done, method="supply_transfer", area_mu=Decimal("2"), date=datetime.date(2024, 5, 1))
    as_of = datetime.date(2024, 6, 20)
    everything = reminders_for(superuser, as_of)
    assert len(everything) == 15  # 9 planned + 6 lapsed; the disposed-of parcel reminds of nothing
    for limit in (1, 4, 7, 12, 20):
        panel = reminder_panel(superuser, as_of, limit)
        assert (panel.items, panel.total, panel.capped) == (everything[:limit], 15, False)
    # Counting stops at COUNT_CAP of a kind: then the panel says "more than".
    from tasks import reminders as module

    monkeypatch.setattr(module, "COUNT_CAP", 4)
    panel = reminder_panel(superuser, as_of, 3)
    assert (panel.items, panel.total, panel.capped) == (everything[:3], 8, True)
