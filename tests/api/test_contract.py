"""The REST contract of API.md, probed as an outside client written only from API.md would probe it.

Nothing here reaches into the application: accounts come from ``manage.py create_account``, tokens from
``POST /api/v1/auth/token/``, every request is raw JSON with ``Authorization: Token <key>``, regions are
codes, and every figure is worked out by hand below. The only look behind the curtain is
``database_snapshot()``, the proof that a refused request wrote nothing.

The story: the city bureau of 临汾 assigns tasks; clerks of three counties (安泽 141026, 乡宁 141029,
尧都 141002) enter parcels and disposals; then scope, roles, bad input, history and stale writes are probed.
"""

import datetime
import json
import re

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils import timezone

from tests.helpers import database_snapshot

pytestmark = pytest.mark.django_db

API = "/api/v1"
STRONG = "Linfen-land-2024!"
CJK = re.compile(r"[\u4e00-\u9fff]")

# username: (role, region code or None)
ACCOUNTS = {
    "ct_admin": ("admin", None),
    "ct_city": ("city_bureau", "141000"),
    "ct_anze": ("county_clerk", "141026"),
    "ct_xiangning": ("county_clerk", "141029"),
    "ct_yaodu": ("county_clerk", "141002"),
    "ct_anze_office": ("county_office", "141026"),
    "ct_xiangning_office": ("county_office", "141029"),
}

# API.md, "Parcel": the input fields, and what the output adds.
PARCEL_INPUT = [
    "county", "town", "kind", "code", "name", "area_mu",
    "approval_number", "approval_date", "batch_name", "expropriation_status", "unsupplied_reason", "current_use",
    "supervision_number", "contract_number", "land_user", "supply_method", "supply_date", "price_wan",
    "agreed_start_date", "idle_cause", "not_started_reason",
    "location", "land_use", "note", "responsible_unit", "planned_method", "planned_date",
]  # fmt: skip
PARCEL_OUTPUT_ADDS = ["id", "county_name", "disposed_area_mu", "remaining_area_mu", "status"]
UNSUPPLIED_REASONS = [
    "planning_change", "expropriation_incomplete", "site_not_ready", "no_user",
    "funding", "litigation", "used_before_supply", "other",
]  # fmt: skip
DISPOSAL_FIELDS = {"id", "method", "area_mu", "date", "document_number", "note", "created_by", "created_at"}
RECTIFICATION_FIELDS = [
    "id", "county", "title", "description", "deadline", "status", "completed_date",
    "evidence", "lead_unit", "responsible_units", "overdue",
]  # fmt: skip
TASK_FIELDS = {
    "id", "county", "county_name", "year", "category", "name", "target_area_mu", "start_date", "end_date",
    "assigned_by", "document_number", "milestones",
}  # fmt: skip


class Caller:
    """One outside client: plain HTTP with a token, JSON as bytes, never a 5xx tolerated."""

    def __init__(self, token=None, address="198.51.100.7"):
        self.http = Client(REMOTE_ADDR=address)
        self.token = token

    def call(self, method, path, body=None, *, raw=None, headers=None, content_type="application/json"):
        extra = {f"HTTP_{name.upper().replace('-', '_')}": value for name, value in (headers or {}).items()}
        if self.token:
            extra["HTTP_AUTHORIZATION"] = f"Token {self.token}"
        if raw is None:
            raw = b"" if body is None else json.dumps(body, ensure_ascii=False).encode()
        url = path if path.startswith("/api/") else API + path
        response = self.http.generic(method, url, raw, content_type=content_type, **extra)
        assert response.status_code < 500, (method, url, response.status_code, response.content[:500])
        if response.get("Content-Type", "").startswith("application/json") and response.content:
            response.body = json.loads(response.content.decode("utf-8"))
        else:
            response.body = None
        return response

    def get(self, path, params=None, **kwargs):
        if params:
            query = "&".join(f"{key}={value}" for key, value in params.items())
            path = f"{path}?{query}"
        return self.call("GET", path, **kwargs)

    def post(self, path, body=None, **kwargs):
        return self.call("POST", path, body, **kwargs)

    def patch(self, path, body=None, **kwargs):
        return self.call("PATCH", path, body, **kwargs)

    def put(self, path, body=None, **kwargs):
        return self.call("PUT", path, body, **kwargs)

    def delete(self, path, **kwargs):
        return self.call("DELETE", path, **kwargs)


def sign_in(username, password=STRONG, address="198.51.100.7"):
    response = Caller(address=address).post("/auth/token/", {"username": username, "password": password})
    assert response.status_code == 200, response.content
    assert set(response.body) == {"token"}
    return Caller(response.body["token"], address=address)


def assert_refusal(response, status, *fields):
    """A refusal as API.md says: the status, a JSON object, Chinese messages (on the named fields)."""
    assert response.status_code == status, (response.status_code, response.content[:500])
    body = response.body
    assert isinstance(body, dict), body
    if status == 400:
        for field in fields:
            assert field in body, (field, body)
        for messages in body.values():
            assert isinstance(messages, list) and messages, body
            assert all(isinstance(message, str) and CJK.search(message) for message in messages), body
    else:
        assert CJK.search(body["detail"]), body


@pytest.fixture
def accounts(db):
    """The regions of API.md's reference data and one account per role, as an operator creates them."""
    call_command("loaddata", "regions", verbosity=0)
    for username, (role, code) in ACCOUNTS.items():
        options = {"role": role, "password": STRONG}
        if code:
            options["region"] = code
        call_command("create_account", username, verbosity=0, **options)
    return {username: sign_in(username) for username in ACCOUNTS}


def unsupplied(county, code, area="12.3456", **extra):
    return {
        "county": county,
        "kind": "unsupplied",
        "code": code,
        "name": f"地块{code}",
        "area_mu": area,
        "approval_number": "晋政地字〔2021〕9号",
        "approval_date": "2021-04-01",
        "expropriation_status": "completed",
        "unsupplied_reason": "no_user",
        **extra,
    }


def idle(county, code, area="8.00", **extra):
    return {
        "county": county,
        "kind": "idle",
        "code": code,
        "name": f"闲置{code}",
        "area_mu": area,
        "land_user": "某某置业有限公司",
        "supply_method": "transfer",
        "supply_date": "2019-05-01",
        "price_wan": "500",
        "agreed_start_date": "2019-11-01",
        "idle_cause": "user",
        **extra,
    }


@pytest.fixture
def ledger(accounts):
    """Parcels entered by the clerks of three counties through the API; returns their ids by code."""
    entries = [
        ("ct_anze", unsupplied("141026", "AZ-1", town="141026101")),
        ("ct_anze", idle("141026", "AZ-2")),
        ("ct_anze", unsupplied("141026", "AZ-3", area="3")),
        ("ct_xiangning", unsupplied("141029", "XN-1", area="26.96", town="141029100")),
        ("ct_xiangning", idle("141029", "XN-2")),
        ("ct_yaodu", unsupplied("141002", "YD-1", area="5")),
    ]
    ids = {}
    for username, payload in entries:
        response = accounts[username].post("/parcels/", payload)
        assert response.status_code == 201, response.content
        ids[payload["code"]] = response.body["id"]
    return ids


# --- accounts, tokens, sign-in protection ---------------------------------------------------------


def test_create_account_gives_each_role_a_region_and_a_token_that_works(accounts):
    regions = accounts["ct_anze"].get("/regions/141026/")
    assert regions.status_code == 200
    assert regions.body == {"code": "141026", "name": "安泽县", "level": "county", "parent": "141000"}
    assert accounts["ct_city"].get("/parcels/").status_code == 200


@pytest.mark.parametrize(
    "role, region",
    [
        ("mayor", "141026"),  # no such role
        ("county_clerk", "999999"),  # no such region
        ("county_clerk", "141000"),  # a county role needs a county
        ("county_office", "141026101"),  # … not a town
        ("city_bureau", "141026"),  # the city bureau needs a city
        ("county_clerk", None),  # a county role needs a region at all
    ],
)
def test_create_account_exits_with_a_clear_message_on_a_bad_role_or_region(accounts, role, region):
    options = {"role": role, "password": STRONG}
    if region:
        options["region"] = region
    before = database_snapshot()
    with pytest.raises(CommandError) as refusal:
        call_command("create_account", "ct_someone", verbosity=0, **options)
    assert CJK.search(str(refusal.value))
    assert database_snapshot() == before


@pytest.mark.parametrize("password", ["short1", "12345678901", "password123", "ct_someone1"])
def test_create_account_applies_djangos_password_validators(accounts, password):
    with pytest.raises(CommandError, match="密码"):
        call_command("create_account", "ct_someone", role="county_clerk", region="141026", password=password)


def test_missing_bad_and_revoked_credentials_are_401(accounts):
    anonymous = Caller()
    response = anonymous.get("/parcels/")
    assert_refusal(response, 401)
    assert response["WWW-Authenticate"] == "Token"
    assert_refusal(Caller("0" * 40).get("/parcels/"), 401)
    assert_refusal(anonymous.get("/parcels/", headers={"Authorization": "Bearer abc"}), 401)
    wrong = anonymous.post("/auth/token/", {"username": "ct_anze", "password": "wrong-password"})
    assert_refusal(wrong, 400)

    clerk = accounts["ct_anze"]
    old_token = clerk.token
    assert clerk.delete("/auth/token/").status_code == 204
    assert_refusal(clerk.get("/parcels/"), 401)
    again = sign_in("ct_anze")
    assert again.token != old_token
    assert again.get("/parcels/").status_code == 200


def test_drf_create_token_gives_a_token_that_works(accounts, capsys):
    call_command("drf_create_token", "ct_city")
    token = re.search(r"\b([0-9a-f]{40})\b", capsys.readouterr().out).group(1)
    assert Caller(token).get("/tasks/").status_code == 200


def test_repeated_failed_logins_lock_that_username_from_that_address(accounts):
    address = "203.0.113.9"
    attempts = [
        Caller(address=address).post("/auth/token/", {"username": "ct_xiangning", "password": "nope"})
        for _ in range(5)
    ]
    assert [a.status_code for a in attempts[:4]] == [400] * 4
    assert attempts[4].status_code == 429 and "锁定" in attempts[4].body["detail"]
    locked = Caller(address=address).post("/auth/token/", {"username": "ct_xiangning", "password": STRONG})
    assert locked.status_code == 429  # even the right password, while locked
    # The lock is on that username from that address: elsewhere, and other accounts, still sign in.
    assert sign_in("ct_xiangning", address="203.0.113.10").get("/parcels/").status_code == 200
    assert sign_in("ct_anze", address=address).get("/parcels/").status_code == 200


def test_session_cookies_are_http_only_and_same_site(accounts):
    browser = Client(REMOTE_ADDR="198.51.100.20")
    response = browser.post("/accounts/login/", {"username": "ct_anze", "password": STRONG})
    assert response.status_code == 302
    session = response.cookies["sessionid"]
    assert session["httponly"] is True
    assert session["samesite"].lower() in ("lax", "strict")
    assert response.cookies["csrftoken"]["samesite"].lower() in ("lax", "strict")
    # The browser session reads the API too (session login, API.md Conventions).
    assert browser.get(f"{API}/parcels/").status_code == 200


# --- regions ---------------------------------------------------------------------------------------


def test_regions_are_listed_by_level_and_parent_code(accounts):
    clerk = accounts["ct_anze"]
    counties = clerk.get("/regions/", {"level": "county", "parent": "141000", "page_size": 100}).body
    assert counties["count"] == 17
    codes = [row["code"] for row in counties["results"]]
    assert codes[:3] == ["141002", "141021", "141022"] and codes[-2:] == ["141081", "141082"]
    towns = clerk.get("/regions/", {"level": "town", "parent": "141029"}).body
    assert towns["count"] == 10
    assert towns["results"][0] == {"code": "141029100", "name": "昌宁镇", "level": "town", "parent": "141029"}
    assert clerk.get("/regions/", {"search": "乡宁"}).body["count"] == 1
    assert_refusal(Caller().get("/regions/"), 401)
    assert_refusal(clerk.get("/regions/", {"level": "galaxy"}), 400, "level")


# --- tasks -----------------------------------------------------------------------------------------


def test_the_city_assigns_a_task_and_gets_the_notices_default_milestones(accounts):
    response = accounts["ct_city"].post(
        "/tasks/",
        {"county": "141029", "year": 2022, "category": "unsupplied", "target_area_mu": "26.96"},
    )
    assert response.status_code == 201, response.content
    task = response.body
    assert set(task) == TASK_FIELDS
    assert (task["county"], task["county_name"], task["year"], task["category"]) == (
        "141029",
        "乡宁县",
        2022,
        "unsupplied",
    )
    assert task["target_area_mu"] == "26.96"
    assert (task["start_date"], task["end_date"]) == ("2022-01-01", "2022-12-31")
    # DOMAIN.md: 25/50/85/100 % at 31 May, 30 June, 30 September and 30 November of its year.
    assert task["milestones"] == [
        {"due": "2022-05-31", "target_rate": "25.00"},
        {"due": "2022-06-30", "target_rate": "50.00"},
        {"due": "2022-09-30", "target_rate": "85.00"},
        {"due": "2022-11-30", "target_rate": "100.00"},
    ]
    assert accounts["ct_xiangning"].get(f"/tasks/{task['id']}/").body == task


def test_tasks_are_written_only_by_the_city_bureau_of_that_city_and_the_admin(accounts):
    payload = {"county": "141026", "year": 2023, "category": "both", "target_area_mu": "100"}
    before = database_snapshot()
    for username in ("ct_anze", "ct_anze_office", "ct_xiangning_office"):
        assert_refusal(accounts[username].post("/tasks/", payload), 403)
    assert database_snapshot() == before
    created = accounts["ct_city"].post("/tasks/", payload)
    assert created.status_code == 201
    url = f"/tasks/{created.body['id']}/"
    assert accounts["ct_admin"].patch(url, {"document_number": "临自然资发〔2023〕5号"}).status_code == 200
    before = database_snapshot()
    assert_refusal(accounts["ct_anze"].patch(url, {"target_area_mu": "1"}), 403)
    assert_refusal(accounts["ct_anze_office"].delete(url), 403)
    assert_refusal(accounts["ct_xiangning"].delete(url), 403)
    assert database_snapshot() == before
    # The county reads its task; another county does not see it at all.
    assert accounts["ct_anze_office"].get(url).status_code == 200
    assert_refusal(accounts["ct_xiangning_office"].get(url), 404)
    assert accounts["ct_city"].delete(url).status_code == 204
    assert accounts["ct_city"].get(url).status_code == 404


def test_task_milestones_must_rise_and_end_at_100_and_the_target_must_be_positive(accounts):
    city = accounts["ct_city"]
    base = {"county": "141002", "year": 2023, "category": "idle", "target_area_mu": "10"}
    bad = [
        ({"target_area_mu": "0"}, "target_area_mu"),
        ({"target_area_mu": "-3"}, "target_area_mu"),
        (
            {
                "milestones": [
                    {"due": "2023-06-30", "target_rate": "60"},
                    {"due": "2023-09-30", "target_rate": "50"},
                    {"due": "2023-11-30", "target_rate": "100"},
                ]
            },
            "milestones",
        ),
        ({"milestones": [{"due": "2023-06-30", "target_rate": "50"}]}, "milestones"),
        ({"milestones": [{"due": "2023-06-30", "target_rate": "25.555"}]}, "milestones"),
        ({"milestones": [{"due": "2023-02-30", "target_rate": "100"}]}, "milestones"),
        ({"milestones": {"due": "2023-11-30", "target_rate": "100"}}, "milestones"),
        ({"milestones": [["2023-11-30", "100"]]}, "milestones"),
        ({"year": "二〇二三"}, "year"),
        ({"category": "everything"}, "category"),
        ({"county": "141026101"}, "county"),
    ]
    before = database_snapshot()
    for change, field in bad:
        assert_refusal(city.post("/tasks/", {**base, **change}), 400, field)
    assert database_snapshot() == before
    custom = city.post(
        "/tasks/",
        {
            **base,
            "milestones": [
                {"due": "2023-12-20", "target_rate": "100"},
                {"due": "2023-07-31", "target_rate": "40"},
            ],
        },
    )
    assert custom.status_code == 201, custom.content
    assert custom.body["milestones"] == [
        {"due": "2023-07-31", "target_rate": "40.00"},
        {"due": "2023-12-20", "target_rate": "100.00"},
    ]
    url = f"/tasks/{custom.body['id']}/"
    before = database_snapshot()
    falling = [{"due": "2023-07-31", "target_rate": "90"}, {"due": "2023-08-31", "target_rate": "80"}]
    assert_refusal(city.patch(url, {"milestones": falling}), 400, "milestones")
    assert database_snapshot() == before


def test_tasks_filter_by_county_year_and_category(accounts):
    city = accounts["ct_city"]
    for county, year, category in [
        ("141029", 2022, "unsupplied"),
        ("141026", 2023, "both"),
        ("141029", 2023, "idle"),
        ("141002", 2023, "unsupplied"),
    ]:
        body = {"county": county, "year": year, "category": category, "target_area_mu": "5"}
        assert city.post("/tasks/", body).status_code == 201

    def keys(caller, **params):
        rows = caller.get("/tasks/", params).body["results"]
        return sorted((row["county"], row["year"], row["category"]) for row in rows)

    assert keys(city, county="141029", year=2023) == [("141029", 2023, "idle")]
    assert keys(city, category="unsupplied") == [
        ("141002", 2023, "unsupplied"),
        ("141029", 2022, "unsupplied"),
    ]
    assert keys(accounts["ct_xiangning"]) == [("141029", 2022, "unsupplied"), ("141029", 2023, "idle")]
    assert keys(accounts["ct_xiangning"], county="141026") == []


# --- parcels and disposals -------------------------------------------------------------------------


def test_a_parcel_takes_every_field_of_its_kind_and_answers_with_the_contract_fields(accounts):
    clerk = accounts["ct_anze"]
    common = {
        "location": "府城镇东关村",
        "land_use": "工业用地",
        "note": "备注",
        "planned_method": "supply_transfer",
        "planned_date": "2024-11-30",
    }
    payload = unsupplied(
        "141026",
        "0012",
        town="141026100",
        batch_name="2021年度第3批次",
        current_use="空地",
        unsupplied_reason="site_not_ready",
        expropriation_status="partial",
        **common,
    )
    response = clerk.post("/parcels/", payload)
    assert response.status_code == 201, response.content
    body = response.body
    assert set(PARCEL_INPUT + PARCEL_OUTPUT_ADDS) <= set(body)
    for name, value in payload.items():
        expected = "12.35" if name == "area_mu" else value  # 12.3456 shown with 2 places
        assert body[name] == expected, name
    assert body["code"] == "0012"  # leading zeros kept
    assert (body["county_name"], body["disposed_area_mu"], body["remaining_area_mu"], body["status"]) == (
        "安泽县",
        "0.00",
        "12.35",
        "pending",
    )
    assert body["responsible_unit"] is None and body["supply_method"] == "" and body["price_wan"] is None
    assert clerk.get(f"/parcels/{body['id']}/").body == body

    idle_payload = idle(
        "141026",
        "0013",
        supervision_number="1410262019B00123",
        contract_number="安泽出让〔2019〕7号",
        not_started_reason="资金未到位",
        **{**common, "planned_method": "free_recovery"},
    )
    response = clerk.post("/parcels/", idle_payload)
    assert response.status_code == 201, response.content
    for name, value in idle_payload.items():
        expected = {"area_mu": "8.00"}.get(name, value)
        if name == "price_wan":
            assert response.body[name].startswith("500.") and set(response.body[name][4:]) == {"0"}
        else:
            assert response.body[name] == expected, name


def test_every_unsupplied_reason_of_domain_md_is_accepted(accounts):
    clerk = accounts["ct_xiangning"]
    for number, reason in enumerate(UNSUPPLIED_REASONS):
        payload = unsupplied("141029", f"R-{number}", unsupplied_reason=reason)
        assert clerk.post("/parcels/", payload).status_code == 201, reason


def test_disposals_take_area_off_the_parcel_as_worked_out_by_hand(accounts, ledger):
    clerk = accounts["ct_anze"]
    parcel = f"/parcels/{ledger['AZ-1']}/"
    first = clerk.post(
        parcel + "disposals/",
        {
            "method": "supply_transfer",
            "area_mu": "5.1234",
            "date": "2023-06-30",
            "document_number": "出让合同1号",
        },
    )
    assert first.status_code == 201, first.content
    assert set(first.body) == DISPOSAL_FIELDS
    assert (first.body["area_mu"], first.body["created_by"], first.body["date"]) == (
        "5.12",
        "ct_anze",
        "2023-06-30",
    )
    second = clerk.post(
        parcel + "disposals/", {"method": "supply_lease", "area_mu": "2.2222", "date": "2023-07-01"}
    )
    assert second.status_code == 201
    # 12.3456 − 5.1234 − 2.2222 = 5.0000; disposed 7.3456 → "7.35".
    shown = clerk.get(parcel).body
    assert (shown["disposed_area_mu"], shown["remaining_area_mu"], shown["status"]) == (
        "7.35",
        "5.00",
        "partial",
    )
    listed = clerk.get(parcel + "disposals/").body
    assert listed["count"] == 2 and [row["area_mu"] for row in listed["results"]] == ["5.12", "2.22"]
    # The remaining 5 亩 exactly: the parcel is disposed of; one ten-thousandth more is refused.
    before = database_snapshot()
    over = clerk.post(
        parcel + "disposals/", {"method": "approval_withdrawn", "area_mu": "5.0001", "date": "2023-08-01"}
    )
    assert_refusal(over, 400, "area_mu")
    assert database_snapshot() == before
    last = clerk.post(
        parcel + "disposals/", {"method": "approval_withdrawn", "area_mu": "5", "date": "2023-08-01"}
    )
    assert last.status_code == 201
    shown = clerk.get(parcel).body
    assert (shown["disposed_area_mu"], shown["remaining_area_mu"], shown["status"]) == (
        "12.35",
        "0.00",
        "disposed",
    )
    # Deleting a disposal gives its area back.
    assert clerk.delete(f"{parcel}disposals/{second.body['id']}/").status_code == 204
    shown = clerk.get(parcel).body
    assert (shown["disposed_area_mu"], shown["remaining_area_mu"], shown["status"]) == (
        "10.12",
        "2.22",
        "partial",
    )
    # A disposal of another parcel is not there under this one.
    other = f"/parcels/{ledger['AZ-3']}/disposals/{first.body['id']}/"
    assert_refusal(clerk.delete(other), 404)


def test_areas_are_shown_half_up_with_two_places(accounts):
    clerk = accounts["ct_yaodu"]
    for code, area, shown in [("H-1", "0.125", "0.13"), ("H-2", "0.135", "0.14"), ("H-3", "2.0049", "2.00")]:
        assert clerk.post("/parcels/", unsupplied("141002", code, area=area)).body["area_mu"] == shown


@pytest.mark.parametrize(
    "parcel_code, disposal, field",
    [
        ("AZ-1", {"method": "free_recovery", "area_mu": "1", "date": "2023-06-30"}, "method"),  # idle method
        (
            "AZ-2",
            {"method": "supply_transfer", "area_mu": "1", "date": "2023-06-30"},
            "method",
        ),  # unsupplied one
        ("AZ-1", {"method": "teleported", "area_mu": "1", "date": "2023-06-30"}, "method"),
        ("AZ-1", {"method": "supply_transfer", "area_mu": "0", "date": "2023-06-30"}, "area_mu"),
        ("AZ-1", {"method": "supply_transfer", "area_mu": "-1", "date": "2023-06-30"}, "area_mu"),
        ("AZ-1", {"method": "supply_transfer", "area_mu": "12.3457", "date": "2023-06-30"}, "area_mu"),
        ("AZ-1", {"method": "supply_transfer", "area_mu": "1.00001", "date": "2023-06-30"}, "area_mu"),
        ("AZ-1", {"method": "supply_transfer", "area_mu": "1", "date": "2099-01-01"}, "date"),
        ("AZ-1", {"method": "supply_transfer", "area_mu": "1", "date": "TOMORROW"}, "date"),
        ("AZ-1", {"method": "supply_transfer", "area_mu": "1", "date": "2023-02-30"}, "date"),
        ("AZ-1", {"method": "supply_transfer", "area_mu": "1"}, "date"),
        ("AZ-1", {"method": ["supply_transfer"], "area_mu": "1", "date": "2023-06-30"}, "method"),
    ],
)
def test_a_disposal_that_does_not_fit_is_400_and_writes_nothing(
    accounts, ledger, parcel_code, disposal, field
):
    if disposal.get("date") == "TOMORROW":
        disposal["date"] = (timezone.localdate() + datetime.timedelta(days=1)).isoformat()
    before = database_snapshot()
    response = accounts["ct_anze"].post(f"/parcels/{ledger[parcel_code]}/disposals/", disposal)
    assert_refusal(response, 400, field)
    assert database_snapshot() == before


def test_parcels_filter_by_county_town_kind_status_and_search(accounts, ledger):
    clerk, city = accounts["ct_anze"], accounts["ct_city"]
    clerk.post(
        f"/parcels/{ledger['AZ-3']}/disposals/",
        {"method": "supply_transfer", "area_mu": "3", "date": "2023-01-05"},
    )
    clerk.post(
        f"/parcels/{ledger['AZ-1']}/disposals/",
        {"method": "supply_transfer", "area_mu": "1", "date": "2023-01-05"},
    )

    def codes(caller, **params):
        body = caller.get("/parcels/", params).body
        found = sorted(row["code"] for row in body["results"])
        assert body["count"] == len(found)
        return found

    assert codes(clerk) == ["AZ-1", "AZ-2", "AZ-3"]
    assert codes(clerk, status="pending") == ["AZ-2"]
    assert codes(clerk, status="partial") == ["AZ-1"]
    assert codes(clerk, status="disposed") == ["AZ-3"]
    assert codes(clerk, kind="idle") == ["AZ-2"]
    assert codes(clerk, town="141026101") == ["AZ-1"]
    assert codes(clerk, search="闲置AZ") == ["AZ-2"]
    assert codes(city, county="141029") == ["XN-1", "XN-2"]
    assert codes(city, kind="idle") == ["AZ-2", "XN-2"]
    assert codes(city, county="141029", kind="unsupplied", town="141029100") == ["XN-1"]
    assert_refusal(clerk.get("/parcels/", {"status": "finished"}), 400, "status")
    assert_refusal(clerk.get("/parcels/", {"kind": "both"}), 400, "kind")


def test_lists_are_paginated_with_page_and_page_size_up_to_500(accounts):
    from leadership.models import Region
    from parcels.models import Parcel  # only to lay 501 rows down quickly; the API reads them back
    from parcels.rollup import parcel_counts_refresh

    county = Region.objects.get(code="141021")
    template = unsupplied("141021", "x")
    fields = {
        k: v for k, v in template.items() if k not in ("county", "code", "name", "area_mu", "approval_date")
    }
    Parcel.objects.bulk_create(
        Parcel(
            county=county,
            code=f"B{n:04d}",
            name=f"批量{n}",
            area_mu="1",
            approval_date=datetime.date(2021, 4, 1),
            **fields,
        )
        for n in range(501)
    )
    parcel_counts_refresh([county.pk])  # bulk_create skips the signals that count parcels per county
    admin = accounts["ct_admin"]
    page = admin.get("/parcels/", {"page_size": 100000}).body
    assert (page["count"], len(page["results"]), page["previous"]) == (501, 500, None)
    assert "page=2" in page["next"]
    last = admin.get("/parcels/", {"page_size": 500, "page": 2}).body
    assert (len(last["results"]), last["next"]) == (1, None) and last["previous"]
    small = admin.get("/parcels/", {"page_size": 3, "page": 2}).body
    assert [row["code"] for row in small["results"]] == ["B0003", "B0004", "B0005"]
    assert set(small) == {"count", "next", "previous", "results"}
    assert_refusal(admin.get("/parcels/", {"page": "abc"}), 400, "page")
    assert_refusal(admin.get("/parcels/", {"page": 9999}), 404)


# --- scope and roles -------------------------------------------------------------------------------

# Which counties each account reads.
READS = {
    "ct_admin": {"141026", "141029", "141002"},
    "ct_city": {"141026", "141029", "141002"},
    "ct_anze": {"141026"},
    "ct_anze_office": {"141026"},
    "ct_xiangning": {"141029"},
    "ct_xiangning_office": {"141029"},
    "ct_yaodu": {"141002"},
}
COUNTY_OF = {"AZ": "141026", "XN": "141029", "YD": "141002"}


@pytest.mark.parametrize("username", sorted(READS))
def test_each_account_sees_exactly_its_scope_and_nothing_leaks(accounts, ledger, username):
    caller = accounts[username]
    readable = {code for code in ledger if COUNTY_OF[code[:2]] in READS[username]}
    body = caller.get("/parcels/").body
    assert sorted(row["code"] for row in body["results"]) == sorted(readable)
    assert body["count"] == len(readable)
    not_found = caller.get("/parcels/999999999/")
    for code, parcel_id in ledger.items():
        paths = [
            f"/parcels/{parcel_id}/",
            f"/parcels/{parcel_id}/history/",
            f"/parcels/{parcel_id}/disposals/",
        ]
        for path in paths:
            response = caller.get(path)
            if code in readable:
                assert response.status_code == 200, (path, response.content)
            else:
                # Out of scope looks exactly like absent: same status, same body, no name.
                assert (response.status_code, response.body) == (404, not_found.body), path
    for county in ("141026", "141029", "141002"):
        filtered = caller.get("/parcels/", {"county": county}).body
        assert filtered["count"] == len([c for c in readable if COUNTY_OF[c[:2]] == county])
    searched = caller.get("/parcels/", {"search": "XN-1"})
    assert searched.body["count"] == (1 if "XN-1" in readable else 0)
    if "XN-1" not in readable:
        assert b"XN-1" not in searched.content and "地块XN-1".encode() not in searched.content


def test_writers_outside_their_county_get_404_and_change_nothing(accounts, ledger):
    xiangning_parcel = f"/parcels/{ledger['XN-1']}/"
    before = database_snapshot()
    for username in ("ct_anze", "ct_yaodu"):
        clerk = accounts[username]
        assert_refusal(clerk.patch(xiangning_parcel, {"name": "越权"}), 404)
        assert_refusal(clerk.put(xiangning_parcel, unsupplied("141029", "XN-1")), 404)
        assert_refusal(clerk.delete(xiangning_parcel), 404)
        disposal = {"method": "supply_transfer", "area_mu": "1", "date": "2023-06-30"}
        assert_refusal(clerk.post(xiangning_parcel + "disposals/", disposal), 404)
        # Creating in another county is refused as not allowed (the county itself is public reference data).
        assert_refusal(clerk.post("/parcels/", unsupplied("141029", "SNEAK")), 403)
    assert database_snapshot() == before


def test_roles_that_may_not_write_get_403_and_change_nothing(accounts, ledger):
    anze_parcel = f"/parcels/{ledger['AZ-1']}/"
    disposal = {"method": "supply_transfer", "area_mu": "1", "date": "2023-06-30"}
    before = database_snapshot()
    for username in ("ct_anze_office", "ct_city"):
        caller = accounts[username]
        assert caller.get(anze_parcel).status_code == 200  # they read it …
        assert_refusal(caller.patch(anze_parcel, {"name": "改"}), 403)  # … and may not change it
        assert_refusal(caller.delete(anze_parcel), 403)
        assert_refusal(caller.post("/parcels/", unsupplied("141026", "NOPE")), 403)
        assert_refusal(caller.post(anze_parcel + "disposals/", disposal), 403)
    for username in ("ct_anze", "ct_city"):
        item = {"county": "141026", "title": "整改事项"}
        assert_refusal(accounts[username].post("/rectifications/", item), 403)
    assert database_snapshot() == before


def test_the_admin_writes_everywhere(accounts, ledger):
    admin = accounts["ct_admin"]
    assert admin.patch(f"/parcels/{ledger['XN-1']}/", {"note": "管理员修改"}).status_code == 200
    assert admin.post("/parcels/", unsupplied("141082", "HZ-1")).status_code == 201
    assert admin.post("/rectifications/", {"county": "141030", "title": "大宁整改"}).status_code == 201


# --- bad input -------------------------------------------------------------------------------------

LONG = "地" * 10000
PARCEL_BAD_INPUT = [
    ({"area_mu": True}, "area_mu"),
    ({"area_mu": []}, "area_mu"),
    ({"area_mu": {"value": "1"}}, "area_mu"),
    ({"area_mu": "一亩"}, "area_mu"),
    ({"area_mu": "1.23456"}, "area_mu"),  # 5 places; 4 are accepted
    ({"area_mu": "0"}, "area_mu"),
    ({"area_mu": "-5"}, "area_mu"),
    ({"area_mu": "1e400"}, "area_mu"),
    ({"area_mu": "99999999999999999999"}, "area_mu"),
    ({"area_mu": "NaN"}, "area_mu"),
    ({"area_mu": "Infinity"}, "area_mu"),
    ({"area_mu": 1e308}, "area_mu"),
    ({"price_wan": "-1"}, "price_wan"),
    ({"county": 141026}, "county"),
    ({"county": "999999"}, "county"),
    ({"county": "14102"}, "county"),
    ({"county": "<script>alert(1)</script>"}, "county"),
    ({"county": "１４１０２６"}, "county"),  # full-width digits
    ({"county": "141026101"}, "county"),  # a town is not a county
    ({"county": None}, "county"),
    ({"county": LONG}, "county"),
    ({"town": "141029100"}, "town"),  # a town of another county
    ({"town": "999999999"}, "town"),
    ({"code": 12}, "code"),  # a number would lose leading zeros
    ({"code": ""}, "code"),
    ({"code": LONG}, "code"),
    ({"name": LONG}, "name"),
    ({"name": ["地块"]}, "name"),
    ({"name": "坏\u0000名"}, "name"),
    ({"note": LONG}, "note"),
    ({"location": LONG}, "location"),
    ({"approval_number": LONG}, "approval_number"),
    ({"approval_date": "2023-02-30"}, "approval_date"),
    ({"approval_date": "2021-13-01"}, "approval_date"),
    ({"approval_date": "01/04/2021"}, "approval_date"),
    ({"approval_date": "20210401"}, "approval_date"),  # ISO 8601, but not the contract's YYYY-MM-DD
    ({"approval_date": "2021-W13-4"}, "approval_date"),
    ({"approval_date": "2021-04-01T00:00:00"}, "approval_date"),
    ({"approval_date": 20210401}, "approval_date"),
    ({"approval_date": "0001-01-01"}, "approval_date"),
    ({"approval_date": "2099-01-01"}, "approval_date"),
    ({"kind": "both"}, "kind"),
    ({"kind": ["unsupplied"]}, "kind"),
    ({"expropriation_status": "half"}, "expropriation_status"),
    ({"unsupplied_reason": "laziness"}, "unsupplied_reason"),
    ({"planned_method": "free_recovery"}, "planned_method"),  # an idle method on 批而未供 land
    ({"planned_date": "2024-02-30"}, "planned_date"),
    ({"responsible_unit": 99999999999999999999}, "responsible_unit"),
    ({"responsible_unit": "abc"}, "responsible_unit"),
    ({"responsible_unit": {"id": 1}}, "responsible_unit"),
    ({"land_user": "不该填"}, "land_user"),  # an idle-land field on 批而未供 land
    ({"approval_number": ""}, "approval_number"),  # required for its kind
]


@pytest.mark.parametrize(
    "change, field", PARCEL_BAD_INPUT, ids=[f"{field}-{n}" for n, (_, field) in enumerate(PARCEL_BAD_INPUT)]
)
def test_bad_parcel_input_is_400_with_a_chinese_message_on_the_field_and_writes_nothing(
    accounts, change, field
):
    before = database_snapshot()
    response = accounts["ct_anze"].post("/parcels/", {**unsupplied("141026", "BAD-1"), **change})
    assert_refusal(response, 400, field)
    assert database_snapshot() == before


RAW_BODIES = [
    b'{"county": "141026", "kind": ',  # cut off
    b"\xff\xfe{}",  # not UTF-8
    b"\xef\xbb\xbf{}",  # a byte-order mark
    b"[]",
    b'[{"county": "141026"}]',
    b'"parcel"',
    b"null",
    b"42",
    b'{"area_mu": NaN}',
    b"[" * 100000 + b"]" * 100000,  # nested too deep to parse
    b'{"county": "141026", "name": "\\ud800"}',  # a lone surrogate: valid JSON, not text
    b'{"county": "\\udfff"}',
    b'{"kind": "\\ud83d"}',
    b'{"\\ud800": "x"}',
]


@pytest.mark.parametrize("raw", RAW_BODIES, ids=[str(n) for n in range(len(RAW_BODIES))])
def test_malformed_bodies_are_400_and_write_nothing(accounts, raw):
    before = database_snapshot()
    assert_refusal(accounts["ct_anze"].post("/parcels/", raw=raw), 400)
    assert_refusal(accounts["ct_city"].post("/tasks/", raw=raw), 400)
    assert database_snapshot() == before


def test_a_body_over_the_upload_limit_is_refused_unread(accounts, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024 * 1024
    body = json.dumps(unsupplied("141026", "BIG", note="地" * 600000), ensure_ascii=False).encode()
    before = database_snapshot()
    assert_refusal(accounts["ct_anze"].post("/parcels/", raw=body), 400, "non_field_errors")
    assert database_snapshot() == before


def test_a_lone_surrogate_is_refused_on_its_field(accounts):
    response = accounts["ct_anze"].post("/parcels/", raw=b'{"county": "141026", "town": "\\ud800"}')
    assert_refusal(response, 400, "town")


def test_unicode_text_that_is_valid_comes_back_unchanged(accounts):
    name = "东关\u200b地块\u202e😀 é ﬁ 𠀋"  # zero-width space, RTL override, emoji, combining, ligature, CJK ext. B
    response = accounts["ct_anze"].post(
        "/parcels/", unsupplied("141026", "U-1", name=name, note="\ufeff备注")
    )
    assert response.status_code == 201, response.content
    assert response.body["name"] == name
    assert "东关".encode() in response.content  # Chinese unescaped


def test_a_body_that_is_not_json_is_refused(accounts):
    response = accounts["ct_anze"].post("/parcels/", raw=b"<parcel/>", content_type="application/xml")
    assert response.status_code == 415


ODD_QUERIES = [
    ("/parcels/", {"page": "abc"}, 400),
    ("/parcels/", {"page": "0"}, 400),
    ("/parcels/", {"page": "-1"}, 400),
    ("/parcels/", {"page": "1.5"}, 400),
    ("/parcels/", {"page": "99999999999999999999999"}, 400),
    ("/parcels/", {"page": "9999"}, 404),
    ("/parcels/", {"page_size": "100000"}, 200),
    ("/parcels/", {"page_size": "abc"}, 200),
    ("/parcels/", {"page_size": "-3"}, 200),
    ("/parcels/", {"county": "<script>"}, 200),
    ("/parcels/", {"county": "%00"}, 400),
    ("/parcels/", {"search": "%00"}, 400),
    ("/parcels/", {"search": "'; DROP TABLE parcels_parcel; --"}, 200),
    ("/parcels/", {"search": "地" * 3000}, 200),
    ("/parcels/", {"as_of": "notadate"}, 400),
    ("/parcels/", {"as_of": "2023-02-30"}, 400),
    ("/parcels/", {"as_of": "2023-2-3"}, 400),  # API.md: YYYY-MM-DD, as the schema's pattern says
    ("/parcels/", {"as_of": "20230203"}, 400),
    ("/progress/", {"as_of": "2023-9-5"}, 400),
    ("/parcels/", {"as_of": " 2023-02-03 "}, 400),
    ("/parcels/", {"as_of": "2023-02-03"}, 200),
    ("/parcels/", {"ordering": "nonsense"}, 200),
    ("/parcels/", {"ordering": "%00"}, 400),
    ("/parcels/", {"responsible_unit": "99999999999999999999"}, 400),
    ("/parcels/", {"town": "%F0%9F%98%80"}, 200),
    ("/parcels/", {"status": "%ED%A0%80"}, 400),  # a surrogate's UTF-8 bytes: not text
    ("/tasks/", {"year": "abc"}, 400),
    ("/tasks/", {"year": "99999999999999999999999"}, 200),
    ("/tasks/", {"category": "%00"}, 400),
    ("/regions/", {"parent": "%00"}, 400),
    ("/regions/", {"level": "<b>"}, 400),
    ("/units/", {"kind": "%00"}, 400),
    ("/leadership-groups/", {"region": "%00"}, 400),
    ("/rectifications/", {"overdue": "%00"}, 400),
    ("/rectifications/", {"status": "done", "county": "141029"}, 200),
    ("/parcels/%00/", {}, 404),
    ("/parcels/99999999999999999999999999/", {}, 404),
    ("/parcels/1/disposals/abc/", {}, 404),
    ("/regions/%00/", {}, 404),
    ("/regions/99999999999999999999/", {}, 404),
]


@pytest.mark.parametrize("path, params, status", ODD_QUERIES, ids=[str(n) for n in range(len(ODD_QUERIES))])
def test_odd_query_parameters_and_paths_never_yield_a_5xx(accounts, ledger, path, params, status):
    response = accounts["ct_city"].get(path, params)
    assert response.status_code == status, response.content[:300]
    assert isinstance(response.body, dict)
    if status != 200:
        assert_refusal(response, status)


# --- history ---------------------------------------------------------------------------------------


def test_history_says_who_changed_what_and_when_newest_first(accounts, ledger):
    clerk = accounts["ct_xiangning"]
    parcel = f"/parcels/{ledger['XN-1']}/"
    assert clerk.patch(parcel, {"name": "改名后", "area_mu": "27.5"}).status_code == 200
    disposal = clerk.post(
        parcel + "disposals/", {"method": "supply_allocation", "area_mu": "7.1", "date": "2022-05-20"}
    )
    assert clerk.delete(f"{parcel}disposals/{disposal.body['id']}/").status_code == 204
    accounts["ct_admin"].patch(parcel, {"note": "已核实"})

    history = accounts["ct_city"].get(parcel + "history/")  # the city reads it too
    assert history.status_code == 200
    entries = history.body
    assert isinstance(entries, list) and all(set(e) == {"at", "user", "action", "changes"} for e in entries)
    times = [datetime.datetime.fromisoformat(entry["at"]) for entry in entries]
    assert times == sorted(times, reverse=True)
    assert [entry["user"] for entry in entries] == [
        "ct_admin",
        "ct_xiangning",
        "ct_xiangning",
        "ct_xiangning",
        "ct_xiangning",
    ]
    admin_edit, disposal_deleted, disposal_added, edit, creation = entries
    assert admin_edit["changes"] == {"note": ["", "已核实"]}
    assert edit["changes"] == {"name": ["地块XN-1", "改名后"], "area_mu": ["26.96", "27.50"]}
    assert disposal_added["changes"]["area_mu"] == [None, "7.10"]
    assert disposal_added["changes"]["method"] == [None, "supply_allocation"]
    assert disposal_deleted["action"] != disposal_added["action"]
    assert creation["changes"]["code"] == [None, "XN-1"] and creation["changes"]["county"] == [None, "141029"]
    assert times[0].date() == timezone.localdate()


# --- stale writes and deletions ---------------------------------------------------------------------


def test_a_write_with_a_stale_if_match_is_412_and_changes_nothing(accounts, ledger):
    clerk, colleague = accounts["ct_anze"], sign_in("ct_anze", address="198.51.100.99")
    parcel = f"/parcels/{ledger['AZ-1']}/"
    read = clerk.get(parcel)
    etag = read["ETag"]
    assert etag
    # A colleague saves first.
    saved = colleague.patch(parcel, {"name": "同事的修改"}, headers={"If-Match": etag})
    assert saved.status_code == 200 and saved["ETag"] != etag
    before = database_snapshot()
    assert_refusal(clerk.patch(parcel, {"name": "我的修改"}, headers={"If-Match": etag}), 412)
    assert_refusal(
        clerk.put(parcel, unsupplied("141026", "AZ-1", name="我的修改"), headers={"If-Match": etag}), 412
    )
    assert_refusal(clerk.delete(parcel, headers={"If-Match": etag}), 412)
    assert_refusal(clerk.patch(parcel, {"name": "x"}, headers={"If-Match": '"garbage"'}), 412)
    other_etag = clerk.get(f"/parcels/{ledger['AZ-2']}/")["ETag"]
    assert_refusal(clerk.patch(parcel, {"name": "x"}, headers={"If-Match": other_etag}), 412)
    assert database_snapshot() == before
    assert clerk.get(parcel).body["name"] == "同事的修改"
    # A disposal is a change of the parcel too: it makes the tag stale.
    fresh = clerk.get(parcel)["ETag"]
    clerk.post(parcel + "disposals/", {"method": "supply_transfer", "area_mu": "1", "date": "2023-06-30"})
    assert_refusal(clerk.patch(parcel, {"name": "x"}, headers={"If-Match": fresh}), 412)
    # On the current version the write goes through, and answers the next tag.
    current = clerk.get(parcel)["ETag"]
    written = clerk.put(parcel, unsupplied("141026", "AZ-1", name="我的修改"), headers={"If-Match": current})
    assert written.status_code == 200 and written.body["name"] == "我的修改"
    assert written["ETag"] == clerk.get(parcel)["ETag"] != current


def test_a_parcel_with_disposals_cannot_be_deleted(accounts, ledger):
    clerk = accounts["ct_anze"]
    parcel = f"/parcels/{ledger['AZ-3']}/"
    clerk.post(parcel + "disposals/", {"method": "supply_transfer", "area_mu": "1", "date": "2023-06-30"})
    before = database_snapshot()
    assert_refusal(clerk.delete(parcel), 409)
    assert_refusal(clerk.delete(parcel, headers={"If-Match": clerk.get(parcel)["ETag"]}), 409)
    assert database_snapshot() == before
    empty = f"/parcels/{ledger['AZ-2']}/"
    assert clerk.delete(empty, headers={"If-Match": clerk.get(empty)["ETag"]}).status_code == 204
    assert_refusal(clerk.get(empty), 404)


# --- units, leadership groups, rectification items ---------------------------------------------------


@pytest.fixture
def demo_data(accounts):
    """The demo campaign of API.md's ``loaddata demo``: units, groups and rectification items."""
    call_command("loaddata", "demo", verbosity=0)


def test_units_and_leadership_groups_are_read_within_scope(accounts, demo_data):
    office = accounts["ct_anze_office"]
    units = office.get("/units/", {"page_size": 100}).body
    assert units["count"] == 18 and {row["region"] for row in units["results"]} == {"141026"}
    assert office.get("/units/", {"region": "141029"}).body["count"] == 0
    assert accounts["ct_city"].get("/units/", {"page_size": 100}).body["count"] == 26
    groups = office.get("/leadership-groups/").body
    assert groups["count"] == 1
    group = groups["results"][0]
    assert group["region"] == "141026" and group["name"].startswith("安泽县")
    orders = [member["order"] for member in group["members"]]
    assert orders == sorted(orders) and len(orders) > 3
    assert {"role", "name", "title", "unit"} <= set(group["members"][0])
    assert group["members"][0]["role"] == "leader"
    xiangning_group = accounts["ct_xiangning"].get("/leadership-groups/").body["results"][0]
    assert xiangning_group["region"] == "141029"
    assert_refusal(office.get(f"/leadership-groups/{xiangning_group['id']}/"), 404)
    xiangning_unit = accounts["ct_xiangning_office"].get("/units/").body["results"][0]["id"]
    assert accounts["ct_city"].get(f"/units/{xiangning_unit}/").status_code == 200
    assert_refusal(office.get(f"/units/{xiangning_unit}/"), 404)
    assert office.get("/units/", {"search": "财政"}).body["count"] == 1


def test_rectification_items_are_kept_by_the_county_office(accounts, demo_data):
    office = accounts["ct_xiangning_office"]
    listed = office.get("/rectifications/").body
    assert listed["count"] == 7
    assert list(listed["results"][0]) == RECTIFICATION_FIELDS
    assert accounts["ct_anze_office"].get("/rectifications/").body["count"] == 0
    assert accounts["ct_city"].get("/rectifications/").body["count"] == 7

    units = {row["name"]: row["id"] for row in office.get("/units/", {"page_size": 100}).body["results"]}
    created = office.post(
        "/rectifications/",
        {
            "county": "141029",
            "title": "完善批而未供土地台账",
            "description": "逐宗核实",
            "deadline": "2022-09-15",
            "lead_unit": units["乡宁县自然资源局"],
            "responsible_units": [units["乡宁县财政局"], units["乡宁县自然资源局"]],
        },
    )
    assert created.status_code == 201, created.content
    item = created.body
    assert list(item) == RECTIFICATION_FIELDS
    assert (item["status"], item["completed_date"], item["overdue"]) == ("not_started", None, True)
    assert sorted(item["responsible_units"]) == sorted([units["乡宁县财政局"], units["乡宁县自然资源局"]])
    url = f"/rectifications/{item['id']}/"
    done = office.patch(url, {"status": "done", "completed_date": "2022-09-10"})
    assert done.status_code == 200 and done.body["overdue"] is False
    assert office.get("/rectifications/", {"overdue": "true"}).body["count"] == len(
        [row for row in office.get("/rectifications/").body["results"] if row["overdue"]]
    )

    anze_unit = accounts["ct_anze_office"].get("/units/").body["results"][0]["id"]
    before = database_snapshot()
    assert_refusal(office.patch(url, {"status": "closed"}), 400, "evidence")
    assert_refusal(office.patch(url, {"lead_unit": anze_unit}), 400, "lead_unit")
    assert_refusal(office.patch(url, {"responsible_units": [anze_unit]}), 400, "responsible_units")
    assert_refusal(office.patch(url, {"deadline": "2022-02-30"}), 400, "deadline")
    assert_refusal(office.patch(url, {"completed_date": "2099-01-01"}), 400, "completed_date")
    assert_refusal(office.patch(url, {"title": LONG}), 400, "title")
    assert_refusal(office.post("/rectifications/", {"county": "141026", "title": "越权"}), 403)
    assert_refusal(accounts["ct_anze_office"].patch(url, {"title": "越权"}), 404)
    assert_refusal(accounts["ct_xiangning"].patch(url, {"title": "经办人"}), 403)
    assert_refusal(accounts["ct_city"].patch(url, {"title": "市局"}), 403)
    assert database_snapshot() == before
    assert accounts["ct_admin"].patch(url, {"evidence": "会议纪要"}).status_code == 200
    # API.md lists GET/POST and GET/PATCH: no deletion of an item through the API.
    assert office.delete(url).status_code == 405


# --- the documents ---------------------------------------------------------------------------------

# Issue 3's part of API.md: path → methods, and the error codes each method answers with.
DOCUMENTED = {
    "/api/v1/regions/": {"get": {"401", "403", "400"}},
    "/api/v1/tasks/": {"get": {"400", "401", "403"}, "post": {"400", "401", "403"}},
    "/api/v1/tasks/{id}/": {
        "get": {"401", "403", "404"},
        "patch": {"400", "401", "403", "404"},
        "delete": {"401", "403", "404"},
    },
    "/api/v1/parcels/": {"get": {"400", "401", "403", "404"}, "post": {"400", "401", "403", "409"}},
    "/api/v1/parcels/{id}/": {
        "get": {"401", "403", "404"},
        "put": {"400", "401", "403", "404", "412"},
        "patch": {"400", "401", "403", "404", "412"},
        "delete": {"401", "403", "404", "409", "412"},
    },
    "/api/v1/parcels/{id}/disposals/": {"get": {"401", "403", "404"}, "post": {"400", "401", "403", "404"}},
    "/api/v1/parcels/{id}/disposals/{did}/": {"delete": {"401", "403", "404"}},
    "/api/v1/parcels/{id}/history/": {"get": {"401", "403", "404"}},
    "/api/v1/units/": {"get": {"401", "403"}},
    "/api/v1/leadership-groups/": {"get": {"401", "403"}},
    "/api/v1/rectifications/": {"get": {"400", "401", "403"}, "post": {"400", "401", "403"}},
    "/api/v1/rectifications/{id}/": {"get": {"401", "403", "404"}, "patch": {"400", "401", "403", "404"}},
    "/api/v1/auth/token/": {"post": {"400"}},
}
PARAMETERS = {
    ("/api/v1/regions/", "get"): {"level", "parent", "page", "page_size", "search"},
    ("/api/v1/tasks/", "get"): {"county", "year", "category", "page", "page_size", "search"},
    ("/api/v1/parcels/", "get"): {"county", "town", "kind", "status", "search", "page", "page_size"},
    ("/api/v1/rectifications/", "get"): {"county", "status", "overdue", "page", "page_size", "search"},
    ("/api/v1/parcels/{id}/", "patch"): {"id", "If-Match"},
    ("/api/v1/parcels/{id}/", "put"): {"id", "If-Match"},
    ("/api/v1/parcels/{id}/", "delete"): {"id", "If-Match"},
    ("/api/v1/parcels/{id}/disposals/{did}/", "delete"): {"id", "did"},
}


def test_the_openapi_schema_documents_every_endpoint_parameter_and_error(db):
    response = Client().get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    schema = json.loads(response.content)
    assert schema["openapi"].startswith("3.")
    for path, methods in DOCUMENTED.items():
        assert path in schema["paths"], path
        for method, codes in methods.items():
            operation = schema["paths"][path].get(method)
            assert operation is not None, (path, method)
            assert codes <= set(operation["responses"]), (path, method, set(operation["responses"]))
            assert any(code.startswith("2") for code in operation["responses"]), (path, method)
            # Described for the integrator in the product's language, not by the code's docstrings.
            assert CJK.search(operation.get("summary", "")), (path, method)
            assert not re.search(r"[A-Za-z]{4,} [a-z]{3,}", operation.get("description", "")), (path, method)
    for (path, method), names in PARAMETERS.items():
        documented = {parameter["name"] for parameter in schema["paths"][path][method].get("parameters", [])}
        assert names <= documented, (path, method, names - documented)
    etag = schema["paths"]["/api/v1/parcels/{id}/"]["get"]["responses"]["200"]
    assert "ETag" in etag.get("headers", {})
    # The kinds' choices in DOMAIN.md's order, as API.md lists them.
    components = schema["components"]["schemas"]
    reasons = next(
        c["enum"] for c in components.values() if set(c.get("enum", [])) == set(UNSUPPLIED_REASONS)
    )
    assert reasons == UNSUPPLIED_REASONS
    parcel = components["Parcel"]["properties"]
    for name in PARCEL_INPUT + PARCEL_OUTPUT_ADDS:
        assert name in parcel, name
    assert set(components["RectificationItem"]["properties"]) == set(RECTIFICATION_FIELDS)


def test_swagger_ui_is_served_to_anyone_without_any_cdn(db):
    browser = Client()
    page = browser.get("/api/docs/")
    assert page.status_code == 200
    html = page.content.decode()
    assert re.findall(r"(?:src|href)=[\"'](?:https?:)?//", html) == []
    assets = re.findall(r"(?:src|href)=\"([^\"]+\.(?:js|css))\"", html)
    assert any("swagger-ui-bundle" in asset for asset in assets)
    for asset in assets:
        served = browser.get(asset)
        assert served.status_code == 200, asset
        body = b"".join(served.streaming_content) if served.streaming else served.content
        assert b"cdn.jsdelivr" not in body and b"unpkg.com" not in body


# --- the demo of `make run` --------------------------------------------------------------------------


def test_make_run_creates_the_demo_accounts_with_their_roles(db):
    call_command("demo_setup", verbosity=0)
    callers = {name: sign_in(name, "landtrack-demo") for name in (
        "demo_admin", "demo_city", "demo_anze", "demo_anze_office", "demo_xiangning"
    )}  # fmt: skip

    def counties(caller):
        return {row["county"] for row in caller.get("/parcels/", {"page_size": 500}).body["results"]}

    assert counties(callers["demo_anze"]) == {"141026"}
    assert counties(callers["demo_anze_office"]) == {"141026"}
    assert counties(callers["demo_xiangning"]) == {"141029"}
    assert counties(callers["demo_city"]) == {"141026", "141029"}
    assert counties(callers["demo_admin"]) == {"141026", "141029"}
    # Roles: the city assigns tasks, the clerk enters parcels, the office keeps rectification items.
    task = {"county": "141029", "year": 2024, "category": "both", "target_area_mu": "9"}
    assert callers["demo_city"].post("/tasks/", task).status_code == 201
    assert_refusal(callers["demo_anze"].post("/tasks/", {**task, "county": "141026"}), 403)
    assert callers["demo_anze"].post("/parcels/", unsupplied("141026", "DEMO-1")).status_code == 201
    assert_refusal(callers["demo_anze_office"].post("/parcels/", unsupplied("141026", "DEMO-2")), 403)
    item = {"county": "141026", "title": "演示整改事项"}
    assert callers["demo_anze_office"].post("/rectifications/", item).status_code == 201
    assert_refusal(callers["demo_xiangning"].post("/parcels/", unsupplied("141026", "DEMO-3")), 403)


@pytest.mark.parametrize(
    "method, path",
    [
        ("TRACE", "/parcels/"),
        ("PUT", "/parcels/"),
        ("PUT", "/tasks/1/"),
        ("DELETE", "/rectifications/1/"),
        ("POST", "/regions/"),
        ("PATCH", "/parcels/1/disposals/1/"),
        ("GET", "/auth/token/"),
        ("TRACE", "/auth/token/"),
    ],
)
def test_a_method_an_endpoint_does_not_have_is_405_for_anyone(accounts, method, path):
    for caller in (Caller(), accounts["ct_anze"], accounts["ct_admin"]):
        assert_refusal(caller.call(method, path), 405)
