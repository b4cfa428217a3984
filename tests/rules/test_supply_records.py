"""Supply records from the monitoring system: the suspected-idle rule and the ledger line opened from one."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from parcels.models import Parcel, SupplyRecord
from tests.api.harness import client_for
from tests.helpers import database_snapshot

pytestmark = pytest.mark.django_db

D = datetime.date


def record(county, number, **fields):
    values = dict(
        county=county,
        supervision_number=number,
        project_name="某工业项目",
        land_user="某某公司",
        supply_method="transfer",
        area_ha=Decimal("1.2345"),
        land_use="工业用地",
        price_wan=Decimal("800"),
        contract_date=D(2020, 3, 1),
        agreed_delivery_date=D(2020, 4, 30),
        agreed_start_date=D(2020, 9, 30),
    )
    values.update(fields)
    instance = SupplyRecord(**values)
    instance.save()
    return instance


def suspected(client, as_of):
    rows = client.get(
        "/api/v1/supply-records/", {"flag": "suspected_idle", "as_of": as_of.isoformat()}
    ).json()
    return sorted(row["supervision_number"] for row in rows["results"])


@pytest.mark.parametrize(
    "as_of, expected",
    [
        (D(2021, 4, 30), []),
        (D(2021, 5, 1), ["B"]),  # B: no agreed start, so one full year after the handover of 30 April 2020
        (
            D(2021, 9, 30),
            ["B"],
        ),  # A: the last day of the first full year after its agreed start, 30 Sept 2020
        (D(2021, 10, 1), ["A", "B"]),
    ],
)
def test_a_record_is_suspected_idle_one_full_year_after_the_agreed_start_or_handover(
    users, anze, as_of, expected
):
    record(anze, "A")
    record(anze, "B", agreed_start_date=None)
    record(anze, "C", agreed_start_date=None, agreed_delivery_date=None)  # nothing to count from
    record(anze, "D", actual_start_date=D(2021, 3, 1))  # started in time
    assert suspected(client_for(users["clerk"]), as_of) == expected


def test_a_late_start_ends_the_suspicion_from_that_day(users, anze):
    record(anze, "E", actual_start_date=D(2022, 6, 1))
    client = client_for(users["clerk"])
    assert suspected(client, D(2022, 5, 31)) == ["E"]
    assert suspected(client, D(2022, 6, 1)) == []
    row = client.get("/api/v1/supply-records/", {"as_of": "2022-05-31"}).json()["results"][0]
    assert row["flags"] == ["suspected_idle"] and row["area_mu"] == "18.52"  # 1.2345 公顷 × 15 = 18.5175


def test_records_are_scoped_by_county(users, anze, xiangning):
    record(xiangning, "XN-1")
    assert client_for(users["clerk"]).get("/api/v1/supply-records/").json()["count"] == 0
    assert client_for(users["city"]).get("/api/v1/supply-records/").json()["count"] == 1


def test_a_record_opens_an_idle_ledger_line_prefilled_from_it(users, anze):
    source = record(anze, "1410262020B00001")
    client = client_for(users["clerk"])
    response = client.post(
        f"/api/v1/supply-records/{source.pk}/to-parcel/", {"idle_cause": "user"}, format="json"
    )
    assert response.status_code == 201, response.content
    parcel = response.json()
    assert (parcel["kind"], parcel["code"], parcel["supervision_number"]) == (
        "idle",
        "1410262020B00001",
        "1410262020B00001",
    )
    assert (parcel["land_user"], parcel["supply_date"], parcel["agreed_start_date"]) == (
        "某某公司",
        "2020-03-01",
        "2020-09-30",
    )
    assert parcel["area_mu"] == "18.52" and Parcel.objects.get(pk=parcel["id"]).area_mu == Decimal("18.5175")
    source.refresh_from_db()
    assert source.parcel_id == parcel["id"]
    again = client.post(
        f"/api/v1/supply-records/{source.pk}/to-parcel/", {"idle_cause": "user"}, format="json"
    )
    assert again.status_code == 409


def test_opening_a_ledger_line_needs_what_the_record_lacks(users, anze):
    source = record(anze, "NOSTART", agreed_start_date=None)
    client = client_for(users["clerk"])
    before = database_snapshot()
    response = client.post(
        f"/api/v1/supply-records/{source.pk}/to-parcel/", {"idle_cause": "user"}, format="json"
    )
    assert response.status_code == 400
    assert response.json() == {"agreed_start_date": ["闲置土地地块必须填写约定开工时间。"]}
    assert database_snapshot() == before
    assert client.post(f"/api/v1/supply-records/{source.pk}/to-parcel/", {}, format="json").status_code == 400


def test_only_the_countys_clerk_opens_ledger_lines(users, anze):
    source = record(anze, "R1")
    url = f"/api/v1/supply-records/{source.pk}/to-parcel/"
    assert client_for(users["office"]).post(url, {"idle_cause": "user"}, format="json").status_code == 403
    assert (
        client_for(users["other_clerk"]).post(url, {"idle_cause": "user"}, format="json").status_code == 404
    )
    assert client_for(None).post(url, {"idle_cause": "user"}, format="json").status_code == 401


def test_the_admin_offers_a_prefilled_ledger_line_and_links_it(client, users, anze):
    source = record(anze, "ADMIN-1")
    client.force_login(users["clerk"])
    listing = client.get(reverse("admin:parcels_supplyrecord_changelist")).content.decode()
    assert "疑似闲置" in listing and "生成台账" in listing
    add_url = reverse("admin:parcels_parcel_add") + f"?supply_record={source.pk}&kind=idle&code=ADMIN-1"
    form = client.get(add_url).context["adminform"].form
    assert form.initial["code"] == "ADMIN-1"
    from tests.admin_forms import admin_form_data

    data = admin_form_data(
        client.get(add_url),
        county=anze.pk,
        name="某工业项目",
        area_mu="18.5175",
        land_user="某某公司",
        supply_method="transfer",
        supply_date="2020-03-01",
        agreed_start_date="2020-09-30",
        idle_cause="user",
    )
    response = client.post(add_url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    source.refresh_from_db()
    assert source.parcel.code == "ADMIN-1"
