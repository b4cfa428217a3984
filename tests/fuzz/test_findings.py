"""What fuzzing the API found, pinned as plain tests: each would fail again if the fix were undone.

The fuzz run (test_api_fuzz.py) finds such things by chance and reports them by operation; these say
each one by name and hold the answer exactly.
"""

import re

import pytest
from rest_framework.test import APIClient

from leadership.choices import Role
from parcels.models import Parcel
from tests.helpers import database_snapshot

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin(demo, superuser):
    client = APIClient()
    client.force_authenticate(superuser)
    return client


@pytest.fixture
def schema(client):
    return client.get("/api/schema/", {"format": "json"}).json()


def parameter(schema, path, method, name):
    return next(p for p in schema["paths"][path][method]["parameters"] if p["name"] == name)


def test_options_on_a_parcels_boundary_describes_it_instead_of_a_server_error(admin):
    parcel = Parcel.objects.order_by("pk").first()
    response = admin.options(f"/api/v1/parcels/{parcel.pk}/boundary/")
    assert response.status_code == 200
    assert "POST" in response["Allow"]


@pytest.mark.parametrize(
    "path, name", [("/api/v1/rectifications/", "overdue"), ("/api/v1/supply-records/", "linked")]
)
def test_a_yes_no_filter_takes_only_true_or_false(admin, path, name):
    refused = admin.get(path, {name: "maybe"})
    assert refused.status_code == 400
    assert list(refused.json()) == [name]
    everything = admin.get(path).json()["count"]
    assert admin.get(path, {name: ""}).json()["count"] == everything  # empty: not filtered
    assert (
        admin.get(path, {name: "true"}).json()["count"] + admin.get(path, {name: "false"}).json()["count"]
        == everything
    )


def test_the_task_year_filter_takes_only_whole_numbers(admin):
    refused = admin.get("/api/v1/tasks/", {"year": "2022.5"})
    assert refused.status_code == 400 and list(refused.json()) == ["year"]
    years = {row["year"] for row in admin.get("/api/v1/tasks/", {"year": "2022"}).json()["results"]}
    assert years == {2022}


@pytest.mark.parametrize(
    "path",
    ["/api/v1/parcels/", "/api/v1/tasks/", "/api/v1/rectifications/", "/api/v1/auth/token/"],
)
def test_a_body_is_json_only_a_form_is_refused_with_415_and_changes_nothing(admin, path):
    before = database_snapshot()
    response = admin.post(path, {"county": "141026", "username": "x"}, format="multipart")
    assert response.status_code == 415
    assert database_snapshot() == before


def test_a_region_code_with_blanks_around_it_is_refused_as_the_schema_pattern_says(demo, make_user, anze):
    client = APIClient()
    client.force_authenticate(make_user("clerk", Role.COUNTY_CLERK, anze))
    body = {"county": " 141026", "kind": "unsupplied", "code": "X-1", "name": "地块", "area_mu": "1"}
    response = client.post("/api/v1/parcels/", body, format="json")
    assert response.status_code == 400
    assert "county" in response.json()
    report = client.get("/api/v1/progress/", {"county": "141026 "})
    assert report.status_code == 400 and list(report.json()) == ["county"]


def test_the_schema_says_an_empty_optional_query_parameter_counts_as_omitted(schema, admin):
    for path, operations in schema["paths"].items():
        for operation in operations.values():
            for item in operation.get("parameters", ()):
                if item["in"] == "query" and not item.get("required"):
                    assert item.get("allowEmptyValue") is True, (path, item["name"])
    assert admin.get("/api/v1/reminders/", {"as_of": ""}).status_code == 200
    assert admin.get("/api/v1/reports/monthly/", {"county": "", "year": "", "month": ""}).status_code == 200


def test_the_schema_says_page_size_takes_any_text_as_the_list_does(schema, admin):
    page_size = parameter(schema, "/api/v1/units/", "get", "page_size")
    assert page_size["schema"]["type"] == "string"
    assert admin.get("/api/v1/units/", {"page_size": "abc"}).json()["results"]  # the default 50


def test_the_schema_says_which_answers_may_be_null_or_missing(schema):
    components = schema["components"]["schemas"]
    assert components["Region"]["properties"]["parent"]["nullable"] is True  # the city has no parent here
    assert components["GroupMember"]["properties"]["unit_name"]["nullable"] is True
    assert components["Disposal"]["properties"]["created_by"]["nullable"] is True
    txt = schema["paths"]["/api/v1/parcels/boundaries/txt/"]["get"]["responses"]
    assert "404" in txt  # no parcel in the selection has a boundary yet
    supply_errors = schema["paths"]["/api/v1/supply-records/import/"]["post"]["responses"]["400"]
    assert "required" not in supply_errors["content"]["application/json"]["schema"]  # {"file": [...]} too
    year = parameter(schema, "/api/v1/progress/", "get", "year")["schema"]
    assert (year["minimum"], year["maximum"]) == (2000, 2100)


@pytest.mark.parametrize(
    "path", ["/api/v1/reminders/", "/api/v1/parcels/", "/api/v1/parcels/export/", "/api/v1/progress/"]
)
@pytest.mark.parametrize(
    "as_of, message", [("0001-01-01", "1949年10月1日"), ("9999-12-31", "2999年12月31日")]
)
def test_a_judging_date_outside_the_calendar_the_rules_count_in_is_400_not_a_server_error(
    admin, path, as_of, message
):
    response = admin.get(path, {"as_of": as_of})
    assert response.status_code == 400
    assert message in response.json()["as_of"][0]


def test_a_date_the_rules_could_not_count_full_years_from_is_refused_not_stored(demo, make_user, anze):
    client = APIClient()
    client.force_authenticate(make_user("clerk", Role.COUNTY_CLERK, anze))
    idle = {
        "county": "141026",
        "kind": "idle",
        "code": "X-9",
        "name": "闲置地块",
        "area_mu": "10",
        "land_user": "某公司",
        "supply_method": "transfer",
        "supply_date": "2019-01-01",
        "price_wan": "100",
        "agreed_start_date": "9999-12-31",  # one full year later does not exist
        "idle_cause": "user",
    }
    before = database_snapshot()
    response = client.post("/api/v1/parcels/", idle, format="json")
    assert response.status_code == 400
    assert "2999年12月31日" in response.json()["agreed_start_date"][0]
    assert database_snapshot() == before
    assert (
        client.post(
            "/api/v1/parcels/", {**idle, "agreed_start_date": "2999-12-31"}, format="json"
        ).status_code
        == 201
    )


def test_the_schema_gives_every_date_the_api_takes_its_range(schema):
    components = schema["components"]["schemas"]
    pattern = components["ParcelRequest"]["properties"]["agreed_start_date"]["pattern"]
    assert "pattern" not in components["Parcel"]["properties"]["agreed_start_date"]  # answers: any date
    assert parameter(schema, "/api/v1/reminders/", "get", "as_of")["schema"]["pattern"] == pattern
    for good in ("1949-10-01", "1999-12-31", "2999-12-31"):
        assert re.fullmatch(pattern, good)
    for bad in ("1949-09-30", "0001-01-01", "3000-01-01", "2023-13-01"):
        assert not re.fullmatch(pattern, bad)
