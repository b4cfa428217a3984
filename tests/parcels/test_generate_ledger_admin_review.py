"""The admin's "生成台账": a supply record opens a new idle-land ledger line, as a county clerk uses it.

The clerk clicks the link in the supply-record list, fills in what the record lacks (闲置原因) and saves.
Each test but those marked "pin" failed before the fix it names; the pins hold behaviour checked by hand.
"""

import datetime
import html
import re
import threading
from decimal import Decimal

import pytest
from django.db import connections
from django.test import Client
from django.urls import reverse

from leadership.choices import Role
from parcels import services
from parcels.models import Disposal, Parcel
from tests.admin_forms import admin_form_data
from tests.api.harness import client_for
from tests.factories import IdleParcelFactory, UserFactory
from tests.factories import supply_record as record
from tests.helpers import database_snapshot

pytestmark = pytest.mark.django_db

D = datetime.date
LIST_URL = "/admin/parcels/supplyrecord/"
NOT_FOUND = (
    "链接中的供地记录不存在，或不在您的数据范围内，不能由它生成台账。"
    "请回到供地记录列表重新点击“生成台账”；只新增地块请从地块列表点击“增加”。"
)


@pytest.fixture
def users(regions):
    """安泽县's clerk and office, 临汾市's bureau, and the system administrator."""
    roles = {
        "clerk": (Role.COUNTY_CLERK, "141026"),
        "office": (Role.COUNTY_OFFICE, "141026"),
        "city": (Role.CITY_BUREAU, "141000"),
        "admin": (Role.ADMIN, None),
    }
    return {
        name: UserFactory(
            username=f"gen_{name}", role=role, region=regions.get(code), is_superuser=name == "admin"
        )
        for name, (role, code) in roles.items()
    }


def signed_in(user):
    client = Client()
    client.force_login(user)
    return client


def generate_links(client):
    """The "生成台账" links of the supply-record list, as the clerk's browser follows them."""
    page = client.get(LIST_URL).content.decode()
    return [html.unescape(href) for href in re.findall(r'<a href="([^"]+)">生成台账</a>', page)]


def open_from_list(client, source):
    """The add page the list's "生成台账" link of ``source`` opens, and its URL."""
    (url,) = [link for link in generate_links(client) if f"supply_record={source.pk}" in link]
    return url, client.get(url)


def filled_in(page, **changes):
    """What the clerk sends: the pre-filled form with the 闲置原因 the record cannot give, and ``changes``."""
    return admin_form_data(page, idle_cause="user", **changes)


def refusals(response):
    """The errors shown on the add form sent back to the clerk (the page, not a redirect)."""
    assert response.status_code == 200, response.get("Location")
    return response.context["adminform"].form.errors


# ---------------------------------------------------------------------------------------------------
# Refused on the form, nothing written


def test_a_record_linked_meanwhile_over_the_api_is_refused_on_the_form(users, anze):
    """A colleague opened the record's ledger line over the API while the clerk was typing. Before: a
    second parcel for the same land was saved, the record silently left linked to the first."""
    source = record(anze, "1410262020B00001")
    clerk = signed_in(users["clerk"])
    url, page = open_from_list(clerk, source)
    answer = client_for(users["clerk"]).post(
        f"/api/v1/supply-records/{source.pk}/to-parcel/",
        {"idle_cause": "user", "code": "AZ-API"},
        format="json",
    )
    assert answer.status_code == 201, answer.content
    before = database_snapshot()
    response = clerk.post(url, filled_in(page, code="AZ-ADMIN", name="某工业项目（复核）"))
    assert refusals(response) == {
        "__all__": ["该供地记录已生成闲置土地台账（地块编号 AZ-API），不能再生成一宗。"]
    }
    # What the clerk typed is still on the page.
    assert response.context["adminform"].form["name"].value() == "某工业项目（复核）"
    assert database_snapshot() == before


def test_a_record_linked_meanwhile_in_the_admin_is_refused_with_its_disposals_unsaved(users, anze):
    """Two clerks opened the same record's page; the first saved. Before: the second's parcel (and the
    disposal typed on it) was saved as well, unlinked — the idle area counted twice."""
    source = record(anze, "1410262020B00001")
    first, second = signed_in(users["clerk"]), signed_in(users["clerk"])
    url, page_first = open_from_list(first, source)
    _, page_second = open_from_list(second, source)
    assert first.post(url, filled_in(page_first, code="AZ-1")).status_code == 302
    before = database_snapshot()
    data = filled_in(
        page_second,
        code="AZ-2",
        **{
            "disposals-0-method": "recovery_paid",
            "disposals-0-area_mu": "1",
            "disposals-0-date": "2023-05-01",
        },
    )
    assert refusals(second.post(url, data)) == {
        "__all__": ["该供地记录已生成闲置土地台账（地块编号 AZ-1），不能再生成一宗。"]
    }
    assert database_snapshot() == before
    assert (Parcel.objects.count(), Disposal.objects.count()) == (1, 0)
    source.refresh_from_db()
    assert source.parcel.code == "AZ-1"


@pytest.mark.parametrize(
    "on_ledger, in_record",
    [
        ("1410262020B00001", "1410262020B00001"),
        # Typed full-width in the record: the same number (the API's comparison, code_key).
        ("1410262020B00001", "１４１０２６２０２０Ｂ００００１"),
    ],
)
def test_land_already_on_the_idle_ledger_is_refused_on_the_form(users, anze, on_ledger, in_record):
    """The idle parcel came in with the Excel ledger under the county's own code and the same 电子监管号.
    Before: the admin saved a second line for it (the API refused it with 409)."""
    IdleParcelFactory(county=anze, code="AZ-XZ-001", supervision_number=on_ledger)
    source = record(anze, in_record)
    clerk = signed_in(users["clerk"])
    url, page = open_from_list(clerk, source)
    before = database_snapshot()
    assert refusals(clerk.post(url, filled_in(page, code="AZ-NEW"))) == {
        "__all__": [
            f"本县闲置土地台账中已有电子监管号为“{in_record}”的地块（地块编号 AZ-XZ-001），不能再生成一宗。"
        ]
    }
    assert database_snapshot() == before


def test_the_api_and_the_admin_refuse_the_same_land_in_the_same_words(users, anze):
    """One rule, written once: the API's 409 says what the admin's form says."""
    IdleParcelFactory(county=anze, code="AZ-XZ-001", supervision_number="1410262020B00001")
    source = record(anze, "1410262020B00001")
    clerk = signed_in(users["clerk"])
    url, page = open_from_list(clerk, source)
    on_form = refusals(clerk.post(url, filled_in(page)))["__all__"]
    answer = client_for(users["clerk"]).post(
        f"/api/v1/supply-records/{source.pk}/to-parcel/", {"idle_cause": "user"}, format="json"
    )
    assert (answer.status_code, [answer.json()["detail"]]) == (409, on_form)


@pytest.mark.parametrize("raw", ["other_county", "999999", "abc", "①", "", "12345678901234567890123"])
def test_a_record_out_of_scope_missing_or_malformed_is_refused_not_saved_unlinked(
    users, anze, xiangning, raw
):
    """Before: the parcel was saved, and the record (if any) silently left unlinked: a clerk who followed
    a stale or edited link believed the record was now on the ledger."""
    if raw == "other_county":
        raw = str(record(xiangning, "1410292020B00001").pk)
    clerk = signed_in(users["clerk"])
    url = reverse("admin:parcels_parcel_add") + f"?supply_record={raw}"
    page = clerk.get(url)
    assert NOT_FOUND in page.content.decode()  # said as the page opens, before anything is typed
    data = filled_in(
        page,
        county=anze.pk,
        kind="idle",
        code="AZ-9",
        name="某项目",
        area_mu="3",
        land_user="某公司",
        supply_method="transfer",
        supply_date="2020-03-01",
        agreed_start_date="2020-09-30",
    )
    before = database_snapshot()
    assert refusals(clerk.post(url, data)) == {"__all__": [NOT_FOUND]}
    assert database_snapshot() == before


def test_a_ledger_line_in_another_county_than_the_records_is_refused(users, anze, xiangning):
    """The system administrator may choose any county. Before: the parcel was saved in 乡宁县 and the
    安泽县 record silently left unlinked."""
    source = record(anze, "1410262020B00001")
    admin = signed_in(users["admin"])
    url, page = open_from_list(admin, source)
    before = database_snapshot()
    errors = refusals(admin.post(url, filled_in(page, county=xiangning.pk)))
    assert errors == {"county": ["该供地记录属于安泽县，由它生成的台账也应在安泽县。"]}
    assert database_snapshot() == before


def test_a_ledger_line_from_a_record_stays_idle_land_under_the_records_number(users, anze):
    """Before: saved as 批而未供, or under another 电子监管号, and linked to the record all the same —
    the number the idle ledger is checked by no longer named the land."""
    source = record(anze, "1410262020B00001")
    clerk = signed_in(users["clerk"])
    url, page = open_from_list(clerk, source)
    before = database_snapshot()
    errors = refusals(clerk.post(url, filled_in(page, supervision_number="1410262020B00002")))
    assert errors == {"supervision_number": ["应与供地记录的电子监管号“1410262020B00001”一致。"]}
    errors = refusals(
        clerk.post(
            url,
            filled_in(
                page,
                kind="unsupplied",
                approval_number="晋政地字〔2020〕1号",
                approval_date="2020-01-01",
                expropriation_status="completed",
                unsupplied_reason="no_user",
            ),
        )
    )
    assert errors["kind"] == ["由供地记录生成的台账只能是闲置土地。"]
    assert database_snapshot() == before


def test_the_link_itself_refuses_a_parcel_that_is_not_the_records_land(users, anze, xiangning):
    """The rule lives in the service that writes the link, not only in the admin's form: a caller that
    skips the form (the shell, a later page) cannot link another county's, kind's or number's parcel."""
    source = record(anze, "1410262020B00001")
    elsewhere = IdleParcelFactory(county=xiangning, code="XN-1", supervision_number="1410262020B00001")
    other_number = IdleParcelFactory(county=anze, code="AZ-9", supervision_number="1410262020B00002")
    for parcel, field in ((elsewhere, "county"), (other_number, "supervision_number")):
        with pytest.raises(services.SupplyRecordRefused) as refusal:
            services.supply_record_link(record=source, parcel=parcel, user=users["clerk"])
        assert list(refusal.value.message_dict) == [field]
    source.refresh_from_db()
    assert source.parcel_id is None


# ---------------------------------------------------------------------------------------------------
# What is saved


def test_the_admin_fills_in_what_the_api_fills_in(users, anze):
    """Two records alike but for their numbers, one opened in the admin (its form sent as pre-filled), one
    over the API: the same ledger line. Before: the admin's lacked the API's note naming the record.
    0.0667 公顷 × 15 = 1.0005 亩 exactly."""
    fields = dict(area_ha=Decimal("0.0667"), price_wan=Decimal("812.5"), land_use="商服用地")
    by_admin, by_api = record(anze, "1410262020B00001", **fields), record(anze, "1410262020B00002", **fields)
    clerk = signed_in(users["clerk"])
    url, page = open_from_list(clerk, by_admin)
    assert clerk.post(url, filled_in(page)).status_code == 302
    answer = client_for(users["clerk"]).post(
        f"/api/v1/supply-records/{by_api.pk}/to-parcel/", {"idle_cause": "user"}, format="json"
    )
    assert answer.status_code == 201, answer.content
    compared = [
        "county_id",
        "kind",
        "name",
        "area_mu",
        "land_use",
        "land_user",
        "supply_method",
        "supply_date",
        "price_wan",
        "agreed_start_date",
        "idle_cause",
    ]
    admin_line = Parcel.objects.values(*compared, "code", "supervision_number", "note").get(
        code="1410262020B00001"
    )
    api_line = Parcel.objects.values(*compared, "code", "supervision_number", "note").get(
        code="1410262020B00002"
    )
    assert {name: admin_line[name] for name in compared} == {name: api_line[name] for name in compared}
    assert admin_line == {
        "county_id": anze.pk,
        "kind": "idle",
        "name": "某工业项目",
        "area_mu": Decimal("1.0005"),
        "land_use": "商服用地",
        "land_user": "某某公司",
        "supply_method": "transfer",
        "supply_date": D(2020, 3, 1),
        "price_wan": Decimal("812.5"),
        "agreed_start_date": D(2020, 9, 30),
        "idle_cause": "user",
        "code": "1410262020B00001",
        "supervision_number": "1410262020B00001",
        "note": "由监管系统供地记录 1410262020B00001 生成。",
    }
    assert api_line["note"] == "由监管系统供地记录 1410262020B00002 生成。"


def test_pin_the_link_is_written_once_in_the_records_history_by_the_clerk(users, anze):
    """Pin: the record's change history names the clerk who linked it, once."""
    source = record(anze, "1410262020B00001")
    clerk = signed_in(users["clerk"])
    url, page = open_from_list(clerk, source)
    assert clerk.post(url, filled_in(page, code="AZ-1")).status_code == 302
    parcel = Parcel.objects.get(code="AZ-1")
    entries = list(
        source.history.order_by("history_date").values_list("history_type", "parcel_id", "history_user")
    )
    assert entries == [("+", None, None), ("~", parcel.pk, users["clerk"].pk)]
    assert parcel.history.get().history_user == users["clerk"]


# ---------------------------------------------------------------------------------------------------
# The list


def test_the_link_is_offered_for_unlinked_records_to_those_who_may_add_the_line(users, anze):
    """A linked record shows its ledger line instead. Before: the county office (who reads but may not
    add parcels) was offered a link that led to a refusal."""
    linked = record(anze, "1410262020B00001", parcel=IdleParcelFactory(county=anze, code="AZ-XZ-001"))
    unlinked = record(anze, "1410262020B00002")
    clerk = signed_in(users["clerk"])
    assert generate_links(clerk) == [reverse("admin:parcels_parcel_add") + f"?supply_record={unlinked.pk}"]
    page = clerk.get(LIST_URL).content.decode()
    assert (
        f'<a href="{reverse("admin:parcels_parcel_change", args=[linked.parcel_id])}">AZ-XZ-001</a>' in page
    )
    for reader in ("office", "city"):
        assert generate_links(signed_in(users[reader])) == [], reader
        assert signed_in(users[reader]).get(LIST_URL).status_code == 200


@pytest.mark.parametrize("extra", [0, 10])
def test_pin_the_supply_record_list_costs_the_same_queries_however_many_records(
    users, anze, extra, django_assert_num_queries
):
    """Pin (9 before the fix too): the "生成台账" link, now offered by the user's right to add the line,
    reads nothing more per row."""
    for n in range(3 + extra):
        # every other record has its ledger line: shown without reading the parcel row by row
        parcel = IdleParcelFactory(county=anze, code=f"LIST-{n:03d}") if n % 2 else None
        record(anze, f"1410262020B{n:05d}", parcel=parcel)
    clerk = signed_in(users["clerk"])
    clerk.get(LIST_URL)  # the session's first read
    # session, user, whether a county may be imported, the county filter's choices, the count and the full
    # count, the user's and their groups' permissions, the page with each record's county and parcel
    with django_assert_num_queries(9):
        page = clerk.get(LIST_URL)
    assert page.status_code == 200
    assert len(generate_links(clerk)) == (3 + extra) - (3 + extra) // 2


# ---------------------------------------------------------------------------------------------------
# Two clerks at once


@pytest.mark.django_db(transaction=True)
def test_two_clerks_saving_from_the_same_record_at_once_make_one_ledger_line(monkeypatch, users, anze):
    """The second save, sent while the first is about to write its parcel, waits for the record's lock
    and is refused on its form. Before: both parcels were saved, the record linked to one of them. Without
    the lock (PostgreSQL) the colleague's line is saved and the first clerk's refused only after saving."""
    source = record(anze, "1410262020B00001")
    mine, colleagues = signed_in(users["clerk"]), signed_in(users["clerk"])
    url, my_page = open_from_list(mine, source)
    _, colleague_page = open_from_list(colleagues, source)
    my_data, colleague_data = filled_in(my_page, code="AZ-1"), filled_in(colleague_page, code="AZ-2")
    real_save = services.parcel_save
    answers = {}
    colleague_done = threading.Event()

    def colleague():
        try:
            answers["colleague"] = colleagues.post(url, colleague_data)
        finally:
            connections.close_all()
            colleague_done.set()

    def save_while_the_colleague_sends(**kwargs):
        if "started" not in answers:
            answers["started"] = True
            threading.Thread(target=colleague).start()
            colleague_done.wait(1.5)  # with the record locked, the colleague cannot finish meanwhile
        return real_save(**kwargs)

    monkeypatch.setattr(services, "parcel_save", save_while_the_colleague_sends)
    response = mine.post(url, my_data)
    assert colleague_done.wait(30)
    assert response.status_code == 302
    assert refusals(answers["colleague"]) == {
        "__all__": ["该供地记录已生成闲置土地台账（地块编号 AZ-1），不能再生成一宗。"]
    }
    assert list(Parcel.objects.values_list("code", flat=True)) == ["AZ-1"]
    source.refresh_from_db()
    assert source.parcel.code == "AZ-1"
