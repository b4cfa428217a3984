"""Parcels and disposals through the API: figures by hand, refusals in Chinese, history, ETags, 409."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from parcels import services
from parcels.models import Parcel
from tests.factories import IdleParcelFactory, ParcelFactory
from tests.helpers import database_snapshot

from .harness import client_for

pytestmark = pytest.mark.django_db

VALID = {
    "county": "141026",
    "town": "141026101",
    "kind": "unsupplied",
    "code": "0012",
    "name": "接口新增地块",
    "area_mu": "12.3456",
    "approval_number": "晋政地字〔2021〕9号",
    "approval_date": "2021-04-01",
    "expropriation_status": "completed",
    "unsupplied_reason": "no_user",
}


@pytest.fixture
def clerk(users):
    return client_for(users["clerk"])


def test_a_parcel_is_created_with_its_figures_as_strings(clerk):
    response = clerk.post("/api/v1/parcels/", VALID, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["code"] == "0012"  # leading zeros kept
    assert body["county"] == "141026" and body["county_name"] == "安泽县" and body["town"] == "141026101"
    # 12.3456 shown with 2 places, half-up.
    assert (body["area_mu"], body["disposed_area_mu"], body["remaining_area_mu"]) == (
        "12.35",
        "0.00",
        "12.35",
    )
    assert body["status"] == "pending"
    assert Parcel.objects.get(pk=body["id"]).area_mu == Decimal("12.3456")


def test_disposals_change_the_remaining_area_and_status(clerk):
    parcel_id = clerk.post("/api/v1/parcels/", VALID, format="json").json()["id"]
    response = clerk.post(
        f"/api/v1/parcels/{parcel_id}/disposals/",
        {
            "method": "supply_transfer",
            "area_mu": "5.1234",
            "date": "2022-06-30",
            "document_number": "出让合同",
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    assert response.json()["created_by"] == "api_clerk"
    parcel = clerk.get(f"/api/v1/parcels/{parcel_id}/").json()
    # 12.3456 − 5.1234 = 7.2222 → "7.22"
    assert (parcel["disposed_area_mu"], parcel["remaining_area_mu"], parcel["status"]) == (
        "5.12",
        "7.22",
        "partial",
    )


def test_areas_are_rounded_half_up_not_to_even(clerk):
    response = clerk.post("/api/v1/parcels/", {**VALID, "area_mu": "0.125"}, format="json")
    assert response.json()["area_mu"] == "0.13"


def test_a_disposal_beyond_the_remaining_area_is_400_and_writes_nothing(clerk, anze):
    parcel = ParcelFactory(county=anze, area_mu=Decimal("3"))
    before = database_snapshot()
    response = clerk.post(
        f"/api/v1/parcels/{parcel.pk}/disposals/",
        {"method": "supply_transfer", "area_mu": "3.0001", "date": "2022-06-30"},
        format="json",
    )
    assert response.status_code == 400
    assert response.json() == {"area_mu": ["处置面积 3.0001 亩超过地块剩余面积 3.0000 亩。"]}
    assert database_snapshot() == before


@pytest.mark.parametrize(
    "payload, field, message",
    [
        (
            {"method": "free_recovery", "area_mu": "1", "date": "2022-06-30"},
            "method",
            "不是批而未供的处置方式",
        ),
        ({"method": "supply_transfer", "area_mu": "0", "date": "2022-06-30"}, "area_mu", "大于 0"),
        ({"method": "supply_transfer", "area_mu": "1", "date": "2099-01-01"}, "date", "不能晚于今天"),
        (
            {"method": "supply_transfer", "area_mu": "1", "date": "2019-01-01"},
            "date",
            "不能早于地块的批准时间",
        ),
        ({"method": "bogus", "area_mu": "1", "date": "2022-06-30"}, "method", "不是合法选项"),
    ],
)
def test_bad_disposals_are_refused_with_a_message_on_the_field(clerk, anze, payload, field, message):
    parcel = ParcelFactory(county=anze)
    before = database_snapshot()
    response = clerk.post(f"/api/v1/parcels/{parcel.pk}/disposals/", payload, format="json")
    assert response.status_code == 400
    assert any(message in text for text in response.json()[field]), response.json()
    assert database_snapshot() == before


def test_an_idle_parcel_needs_its_own_fields(clerk):
    payload = {**VALID, "kind": "idle"}
    response = clerk.post("/api/v1/parcels/", payload, format="json")
    assert response.status_code == 400
    body = response.json()
    assert body["land_user"] == ["闲置土地地块必须填写土地使用权人。"]
    assert body["approval_number"] == ["闲置土地地块不填写批准文号。"]


BAD_INPUTS = [
    ({"area_mu": "1.23456"}, "area_mu", "小数位数不能超过 4 位"),
    ({"area_mu": "-5"}, "area_mu", "大于 0"),
    ({"area_mu": "abc"}, "area_mu", "有效的数字"),
    ({"area_mu": "NaN"}, "area_mu", "有效的数字"),
    ({"area_mu": "1e400"}, "area_mu", ""),
    ({"area_mu": True}, "area_mu", ""),
    ({"area_mu": ["1"]}, "area_mu", ""),
    ({"name": "坏\u0000名"}, "name", ""),
    ({"name": "长" * 10000}, "name", "200"),
    ({"note": "长" * 10000}, "note", "2000"),
    ({"county": "999999"}, "county", "999999"),
    ({"county": 141026}, "county", "字符串"),
    ({"town": "141029100"}, "town", "昌宁镇不属于安泽县"),
    ({"approval_date": "2023-02-30"}, "approval_date", "日期格式错误"),
    ({"approval_date": "2023-2-3"}, "approval_date", "YYYY-MM-DD"),
    ({"approval_date": "2023-02-03\n"}, "approval_date", "YYYY-MM-DD"),
    ({"approval_date": "0001-01-01"}, "approval_date", "1949"),
    ({"kind": "both"}, "kind", "不是合法选项"),
    ({"responsible_unit": 99999999}, "responsible_unit", ""),
    ({"responsible_unit": "x"}, "responsible_unit", ""),
    ({"center_lng": "200", "center_lat": "36"}, "center_lng", "73 至 136"),
    ({"code": ""}, "code", ""),
]


@pytest.mark.parametrize("change, field, message", BAD_INPUTS, ids=[str(i) for i in range(len(BAD_INPUTS))])
def test_bad_input_is_400_with_a_chinese_message_and_writes_nothing(clerk, change, field, message):
    before = database_snapshot()
    response = clerk.post("/api/v1/parcels/", {**VALID, **change}, format="json")
    assert response.status_code == 400, response.content
    errors = response.json()
    assert field in errors, errors
    assert all(isinstance(text, str) and text for text in errors[field])
    assert any(message in text for text in errors[field]), errors[field]
    assert database_snapshot() == before


@pytest.mark.parametrize(
    "body, content_type",
    [
        (b'{"county": "141026",', "application/json"),
        (b"\xff\xfe not json", "application/json"),
        (b"[1, 2, 3]", "application/json"),
        (b'"just a string"', "application/json"),
        (b"null", "application/json"),
    ],
)
def test_malformed_bodies_are_400_not_500(clerk, body, content_type):
    before = database_snapshot()
    response = clerk.generic("POST", "/api/v1/parcels/", body, content_type=content_type)
    assert response.status_code == 400
    assert database_snapshot() == before


def test_a_non_json_content_type_is_refused_cleanly(clerk):
    response = clerk.generic("POST", "/api/v1/parcels/", b"<xml/>", content_type="application/xml")
    assert response.status_code == 415


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/parcels/99999999999999999999999/",
        "/api/v1/parcels/abc/",
        "/api/v1/parcels/1/disposals/99999999999999999999/",
    ],
)
def test_impossible_ids_are_404(clerk, url):
    assert clerk.get(url).status_code == 404


def test_list_filters_by_status_kind_town_and_search(clerk, regions):
    anze = regions["141026"]
    pending = ParcelFactory(county=anze, town=regions["141026100"], code="F-1", name="城东地块")
    done = ParcelFactory(county=anze, town=regions["141026101"], code="F-2", area_mu=Decimal("2"))
    services.disposal_record(
        parcel=done, method="supply_transfer", area_mu=Decimal("2"), date=datetime.date(2022, 1, 3)
    )
    idle = IdleParcelFactory(county=anze, code="F-3", land_user="某某置业")

    def codes(**params):
        return sorted(item["code"] for item in clerk.get("/api/v1/parcels/", params).json()["results"])

    assert codes(status="pending") == ["F-1", "F-3"]
    assert codes(status="disposed") == ["F-2"]
    assert codes(kind="idle") == ["F-3"]
    assert codes(town="141026100") == ["F-1"]
    assert codes(search="某某置业") == ["F-3"]
    assert codes(search="城东") == ["F-1"]
    assert clerk.get("/api/v1/parcels/", {"status": "nonsense"}).status_code == 400
    assert pending.pk and idle.pk


def test_page_size_splits_the_list_and_a_page_past_the_end_is_404(clerk, anze):
    for number in range(3):
        ParcelFactory(county=anze, code=f"PG-{number}")
    body = clerk.get("/api/v1/parcels/", {"page_size": 1}).json()
    assert body["count"] == 3 and len(body["results"]) == 1 and body["next"]
    assert clerk.get("/api/v1/parcels/", {"page": 99}).status_code == 404


def test_deleting_a_parcel_with_disposals_is_409_and_changes_nothing(clerk, anze):
    parcel = ParcelFactory(county=anze)
    services.disposal_record(
        parcel=parcel, method="supply_transfer", area_mu=Decimal("1"), date=datetime.date(2022, 1, 3)
    )
    before = database_snapshot()
    response = clerk.delete(f"/api/v1/parcels/{parcel.pk}/")
    assert response.status_code == 409
    assert "处置记录" in response.json()["detail"]
    assert database_snapshot() == before


def test_deleting_a_disposal_returns_its_area(clerk, anze):
    parcel = ParcelFactory(county=anze, area_mu=Decimal("4"))
    disposal = services.disposal_record(
        parcel=parcel, method="supply_transfer", area_mu=Decimal("1.5"), date=datetime.date(2022, 1, 3)
    )
    assert clerk.delete(f"/api/v1/parcels/{parcel.pk}/disposals/{disposal.pk}/").status_code == 204
    assert clerk.get(f"/api/v1/parcels/{parcel.pk}/").json()["remaining_area_mu"] == "4.00"


def test_an_etag_of_another_parcel_is_412(clerk, anze):
    first, second = ParcelFactory(county=anze, code="E1"), ParcelFactory(county=anze, code="E2")
    etag = clerk.get(f"/api/v1/parcels/{first.pk}/")["ETag"]
    assert (
        clerk.patch(
            f"/api/v1/parcels/{second.pk}/", {"name": "x"}, format="json", HTTP_IF_MATCH=etag
        ).status_code
        == 412
    )
    assert (
        clerk.patch(
            f"/api/v1/parcels/{second.pk}/", {"name": "x"}, format="json", HTTP_IF_MATCH="*"
        ).status_code
        == 200
    )


def test_a_disposal_makes_an_earlier_etag_stale(clerk, anze):
    parcel = ParcelFactory(county=anze)
    etag = clerk.get(f"/api/v1/parcels/{parcel.pk}/")["ETag"]
    clerk.post(
        f"/api/v1/parcels/{parcel.pk}/disposals/",
        {"method": "supply_transfer", "area_mu": "1", "date": "2022-06-30"},
        format="json",
    )
    response = clerk.patch(
        f"/api/v1/parcels/{parcel.pk}/", {"area_mu": "1"}, format="json", HTTP_IF_MATCH=etag
    )
    assert response.status_code == 412


def test_history_shows_who_changed_what_newest_first(clerk, users):
    parcel_id = clerk.post("/api/v1/parcels/", VALID, format="json").json()["id"]
    clerk.patch(f"/api/v1/parcels/{parcel_id}/", {"name": "改名后", "area_mu": "13"}, format="json")
    clerk.post(
        f"/api/v1/parcels/{parcel_id}/disposals/",
        {"method": "supply_transfer", "area_mu": "2", "date": "2022-06-30"},
        format="json",
    )
    history = clerk.get(f"/api/v1/parcels/{parcel_id}/history/").json()
    assert [entry["action"] for entry in history] == ["disposal_create", "update", "create"]
    assert all(entry["user"] == "api_clerk" for entry in history)
    assert history[1]["changes"] == {"name": ["接口新增地块", "改名后"], "area_mu": ["12.35", "13.00"]}
    assert history[0]["changes"]["area_mu"] == [None, "2.00"]
    assert history[2]["changes"]["code"] == [None, "0012"]
    assert history[2]["changes"]["county"] == [None, "141026"]
    assert datetime.datetime.fromisoformat(history[0]["at"]).date() == timezone.localdate()


def test_history_lists_the_progress_notes_and_the_idle_procedure_kept_with_the_parcel(clerk, users, anze):
    from parcels.models import IdleProcedure

    parcel = IdleParcelFactory(county=anze)
    who = users["clerk"]
    note = services.progress_note_add(
        parcel=parcel, date=datetime.date(2023, 5, 8), text="已约谈土地使用权人", user=who
    )
    note.text = "已约谈土地使用权人，拟签补充协议"
    services.progress_note_save(note=note, user=who)
    procedure = services.idle_procedure_save(
        procedure=IdleProcedure(
            parcel=parcel, found_date=datetime.date(2023, 3, 1), notice_number="安自然资调〔2023〕1号"
        ),
        user=who,
    )
    procedure.notice_date = datetime.date(2023, 3, 20)
    services.idle_procedure_save(procedure=procedure, user=who)
    services.progress_note_delete(note=note, user=who)

    history = clerk.get(f"/api/v1/parcels/{parcel.pk}/history/").json()
    assert [entry["action"] for entry in history[:5]] == [
        "note_delete",
        "procedure_update",
        "procedure_create",
        "note_update",
        "note_create",
    ]
    assert all(entry["user"] == "api_clerk" for entry in history[:5])
    assert history[0]["changes"] == {
        "date": ["2023-05-08", None],
        "text": ["已约谈土地使用权人，拟签补充协议", None],
    }
    assert history[1]["changes"] == {"notice_date": [None, "2023-03-20"]}
    assert history[2]["changes"] == {
        "found_date": [None, "2023-03-01"],
        "notice_number": [None, "安自然资调〔2023〕1号"],
        "hearing_requested": [None, False],
    }
    assert history[3]["changes"] == {"text": ["已约谈土地使用权人", "已约谈土地使用权人，拟签补充协议"]}


def test_history_of_a_deleted_disposal_lists_what_was_deleted(clerk):
    parcel_id = clerk.post("/api/v1/parcels/", VALID, format="json").json()["id"]
    disposal = clerk.post(
        f"/api/v1/parcels/{parcel_id}/disposals/",
        {
            "method": "supply_transfer",
            "area_mu": "5.1234",
            "date": "2022-06-30",
            "document_number": "出让合同",
            "note": "录错了",
        },
        format="json",
    ).json()
    assert clerk.delete(f"/api/v1/parcels/{parcel_id}/disposals/{disposal['id']}/").status_code == 204
    history = clerk.get(f"/api/v1/parcels/{parcel_id}/history/").json()
    assert [entry["action"] for entry in history] == ["disposal_delete", "disposal_create", "create"]
    # 5.1234 shown with 2 places, as on creation; the blank supervision number is left out as there.
    assert history[0]["changes"] == {
        "method": ["supply_transfer", None],
        "area_mu": ["5.12", None],
        "date": ["2022-06-30", None],
        "document_number": ["出让合同", None],
        "note": ["录错了", None],
    }
    assert history[0]["user"] == "api_clerk"


def test_history_of_a_deleted_parcel_lists_what_was_deleted(clerk):
    from parcels.selectors import parcel_history

    parcel_id = clerk.post("/api/v1/parcels/", VALID, format="json").json()["id"]
    assert clerk.delete(f"/api/v1/parcels/{parcel_id}/").status_code == 204
    deletion = parcel_history(parcel_id)[0]
    assert deletion["action"] == "delete"
    assert deletion["changes"] == {
        "county": ["141026", None],
        "town": ["141026101", None],
        "kind": ["unsupplied", None],
        "code": ["0012", None],
        "name": ["接口新增地块", None],
        "area_mu": ["12.35", None],
        "approval_number": ["晋政地字〔2021〕9号", None],
        "approval_date": ["2021-04-01", None],
        "expropriation_status": ["completed", None],
        "unsupplied_reason": ["no_user", None],
    }


def test_history_of_an_out_of_scope_parcel_is_404(users, xiangning):
    parcel = ParcelFactory(county=xiangning)
    assert client_for(users["clerk"]).get(f"/api/v1/parcels/{parcel.pk}/history/").status_code == 404


def test_a_clerk_cannot_move_a_parcel_to_another_county(clerk, anze):
    parcel = ParcelFactory(county=anze)
    before = database_snapshot()
    response = clerk.patch(f"/api/v1/parcels/{parcel.pk}/", {"county": "141029"}, format="json")
    assert response.status_code == 403
    assert database_snapshot() == before


def test_chinese_text_is_not_escaped(clerk, anze):
    ParcelFactory(county=anze, name="城东地块")
    assert "城东地块".encode() in clerk.get("/api/v1/parcels/").content


def test_a_responsible_unit_of_another_county_is_refused_even_for_the_admin(users, xiangning, linfen):
    from leadership.models import Unit

    foreign = Unit.objects.create(region=xiangning, name="乡宁县财政局")
    city_unit = Unit.objects.create(region=linfen, name="临汾市自然资源局")
    admin = client_for(users["admin"])
    before = database_snapshot()
    response = admin.post("/api/v1/parcels/", {**VALID, "responsible_unit": foreign.pk}, format="json")
    assert response.status_code == 400
    assert response.json() == {"responsible_unit": ["责任单位“乡宁县财政局”不属于安泽县或其所属市。"]}
    assert database_snapshot() == before
    # A unit of the county's own city is fine.
    response = admin.post("/api/v1/parcels/", {**VALID, "responsible_unit": city_unit.pk}, format="json")
    assert response.status_code == 201, response.content


def test_a_clerk_keeps_sets_filters_and_reads_a_city_unit_the_admin_set(
    users, clerk, anze, xiangning, linfen
):
    from leadership.models import Unit

    own = Unit.objects.create(region=anze, name="安泽县财政局")
    city_unit = Unit.objects.create(region=linfen, name="临汾市自然资源局")
    foreign = Unit.objects.create(region=xiangning, name="乡宁县财政局")
    parcel = ParcelFactory(county=anze, code="0012")
    url = f"/api/v1/parcels/{parcel.pk}/"
    admin = client_for(users["admin"])
    assert admin.patch(url, {"responsible_unit": city_unit.pk}, format="json").status_code == 200

    # The clerk sends back what they read: the city's unit is kept.
    read = clerk.get(url).json()
    assert read["responsible_unit"] == city_unit.pk
    saved = clerk.put(url, {**read, "note": "核实"}, format="json")
    assert saved.status_code == 200, saved.content
    assert (saved.json()["responsible_unit"], saved.json()["note"]) == (city_unit.pk, "核实")
    # … and set again after a change.
    assert clerk.patch(url, {"responsible_unit": own.pk}, format="json").status_code == 200
    assert clerk.patch(url, {"responsible_unit": city_unit.pk}, format="json").status_code == 200
    parcel.refresh_from_db()
    assert parcel.responsible_unit == city_unit
    # Filtered by it, and read among the units: the county's and its city's, never another county's.
    listed = clerk.get("/api/v1/parcels/", {"responsible_unit": city_unit.pk}).json()
    assert [row["code"] for row in listed["results"]] == ["0012"]
    units = clerk.get("/api/v1/units/").json()
    assert {row["id"] for row in units["results"]} == {own.pk, city_unit.pk}
    assert clerk.get(f"/api/v1/units/{city_unit.pk}/").status_code == 200
    assert clerk.get(f"/api/v1/units/{foreign.pk}/").status_code == 404
    refused = clerk.patch(url, {"responsible_unit": foreign.pk}, format="json")
    assert refused.status_code == 400 and list(refused.json()) == ["responsible_unit"]


def test_the_responsible_unit_filter_does_not_reveal_other_countys_units(clerk, xiangning):
    from leadership.models import Unit

    foreign = Unit.objects.create(region=xiangning, name="乡宁县财政局")
    missing = clerk.get("/api/v1/parcels/", {"responsible_unit": 99999999})
    other = clerk.get("/api/v1/parcels/", {"responsible_unit": foreign.pk})
    assert other.status_code == missing.status_code == 400
    assert other.json() == missing.json()


@pytest.mark.parametrize("county", [" 141026", "141026 ", "\t141026"])
def test_a_county_filter_with_blanks_around_it_counts_the_rows_it_lists(users, anze, xiangning, county):
    for code in ("A1", "A2", "A3"):
        ParcelFactory(county=anze, code=code)
    ParcelFactory(county=xiangning, code="X1")
    admin = client_for(users["admin"])
    # The filter reads " 141026" as 141026: 安泽's three parcels, counted from the per-county counts
    # and, with a status, from the rows themselves.
    for params in ({"county": county}, {"county": county, "status": "pending"}):
        body = admin.get("/api/v1/parcels/", params).json()
        assert body["count"] == 3, params
        assert [row["code"] for row in body["results"]] == ["A1", "A2", "A3"], params
    # Blank is no county at all: all four.
    body = admin.get("/api/v1/parcels/", {"county": " "}).json()
    assert (body["count"], len(body["results"])) == (4, 4)


def test_the_list_builds_its_filters_once_and_counts_by_them(users, anze, xiangning, monkeypatch):
    from parcels.api.views import ParcelFilter

    for code in ("A1", "A2"):
        ParcelFactory(county=anze, code=code)
    ParcelFactory(county=xiangning, code="X1")
    built = []
    real_init = ParcelFilter.__init__

    def counted_init(self, *args, **kwargs):
        built.append(args[0] if args else kwargs.get("data"))
        real_init(self, *args, **kwargs)

    monkeypatch.setattr(ParcelFilter, "__init__", counted_init)
    body = (
        client_for(users["admin"]).get("/api/v1/parcels/", {"county": "141026", "kind": "unsupplied"}).json()
    )
    assert (body["count"], [row["code"] for row in body["results"]]) == (2, ["A1", "A2"])
    assert len(built) == 1  # the filter backend's, which the page's counts read too


def test_history_query_count_is_pinned_and_does_not_grow_with_changes(clerk, anze, django_assert_num_queries):
    parcel_id = clerk.post("/api/v1/parcels/", VALID, format="json").json()["id"]
    url = f"/api/v1/parcels/{parcel_id}/"

    def change(number):
        clerk.patch(url, {"name": f"第{number}次改名"}, format="json")
        clerk.post(
            url + "disposals/",
            {"method": "supply_transfer", "area_mu": "0.1", "date": "2022-06-30"},
            format="json",
        )

    for number in range(3):
        change(number)
    # The parcel in scope, its history, the county's code, and the history of each kind of row kept with it
    # (disposals, progress notes, the 令53 procedure, the boundary).
    with django_assert_num_queries(7):
        assert len(clerk.get(url + "history/").json()) == 7
    for number in range(3, 9):
        change(number)
    with django_assert_num_queries(7):
        assert len(clerk.get(url + "history/").json()) == 19


def test_a_duplicate_slipping_past_the_models_checks_is_409_and_writes_nothing(clerk, anze, monkeypatch):
    """Two clerks saving the same code at once: the database's uniqueness answers for the model's check."""
    ParcelFactory(county=anze, code="0012")
    monkeypatch.setattr(Parcel, "_code_in_use", lambda self: False)
    monkeypatch.setattr(Parcel, "validate_constraints", lambda self, exclude=None: None)
    before = database_snapshot()
    response = clerk.post("/api/v1/parcels/", VALID, format="json")
    assert response.status_code == 409
    assert response.json() == {"detail": "与已保存的数据冲突，未作修改。"}
    assert database_snapshot() == before
