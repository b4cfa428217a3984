"""The common matrix, run for every resource and every role (see harness.py)."""

import pytest

from leadership.models import Region
from tests.helpers import database_snapshot

from .harness import READERS_OF_ANZE, USERS, client_for, count_queries
from .resources import RESOURCES

pytestmark = pytest.mark.django_db

ROLE_USERS = sorted(USERS)
WRITABLE = [r for r in RESOURCES if r.can_create]
UPDATABLE = [r for r in RESOURCES if r.can_update]
DELETABLE = [r for r in RESOURCES if r.can_delete]


def ids(resources):
    return [resource.name for resource in resources]


@pytest.fixture
def anze_county(regions):
    return regions["141026"]


@pytest.fixture
def xiangning_county(regions):
    return regions["141029"]


@pytest.mark.parametrize("resource", RESOURCES, ids=ids(RESOURCES))
def test_anonymous_requests_are_401(resource, anze_county):
    obj = resource.make(anze_county)
    client = client_for(None)
    assert client.get(resource.list_url_for(anze_county)).status_code == 401
    assert client.get(resource.detail_url(obj)).status_code == 401
    response = client.post(resource.list_url_for(anze_county), {}, format="json")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"


@pytest.mark.parametrize("resource", RESOURCES, ids=ids(RESOURCES))
def test_a_user_without_a_role_is_403(resource, users, anze_county):
    resource.make(anze_county)
    assert client_for(users["no_role"]).get(resource.list_url_for(anze_county)).status_code == 403


@pytest.mark.parametrize("user_name", ROLE_USERS)
@pytest.mark.parametrize("resource", RESOURCES, ids=ids(RESOURCES))
def test_reads_see_exactly_the_users_scope(resource, user_name, users, anze_county, xiangning_county):
    anze_obj = resource.make(anze_county, 0)
    client = client_for(users[user_name])
    sees_anze = user_name in READERS_OF_ANZE or not resource.scoped
    detail = client.get(resource.detail_url(anze_obj))
    assert detail.status_code == (200 if sees_anze else 404)
    if resource.list_url_for(anze_county) and sees_anze:
        listed = client.get(resource.list_url_for(anze_county), {"page_size": 500}).json()["results"]
        assert resource.key(anze_obj) in {item.get("id", item.get("code")) for item in listed}
    if resource.name != "disposals" and not sees_anze:
        listed = client.get(resource.list_url, {"page_size": 500}).json()["results"]
        assert anze_obj.pk not in {item.get("id") for item in listed}
        assert str(anze_obj) not in str(listed)


@pytest.mark.parametrize("user_name", ROLE_USERS)
@pytest.mark.parametrize("resource", WRITABLE, ids=ids(WRITABLE))
def test_create_is_allowed_only_to_writers_in_their_region(resource, user_name, users, anze_county):
    url = resource.list_url_for(anze_county)
    before = database_snapshot()
    response = client_for(users[user_name]).post(url, resource.create_payload(anze_county), format="json")
    if resource.role_writes(user_name) and user_name in READERS_OF_ANZE:
        assert response.status_code == 201, response.content
        created = response.json()
        assert created["id"]
    elif resource.name == "disposals" and user_name not in READERS_OF_ANZE:
        assert response.status_code in (403, 404), response.content  # the parcel itself is out of scope
        assert database_snapshot() == before
    else:
        assert response.status_code == 403, response.content
        assert database_snapshot() == before


@pytest.mark.parametrize("user_name", ROLE_USERS)
@pytest.mark.parametrize("resource", UPDATABLE, ids=ids(UPDATABLE))
def test_update_is_allowed_only_to_writers_in_scope_and_writes_history(
    resource, user_name, users, anze_county
):
    obj = resource.make(anze_county)
    history_before = resource.history_count(obj)
    before = database_snapshot()
    response = client_for(users[user_name]).patch(
        resource.detail_url(obj), resource.update_payload(obj), format="json"
    )
    if not resource.role_writes(user_name):
        assert response.status_code == 403, response.content
    elif user_name not in READERS_OF_ANZE:
        assert response.status_code == 404, response.content
    else:
        assert response.status_code == 200, response.content
        assert resource.history_count(obj) == history_before + 1
        assert resource.latest_history_user(obj) == users[user_name]
        return
    assert database_snapshot() == before


@pytest.mark.parametrize("user_name", ROLE_USERS)
@pytest.mark.parametrize("resource", DELETABLE, ids=ids(DELETABLE))
def test_delete_is_allowed_only_to_writers_in_scope(resource, user_name, users, anze_county):
    obj = resource.make(anze_county)
    before = database_snapshot()
    response = client_for(users[user_name]).delete(resource.detail_url(obj))
    if not resource.role_writes(user_name):
        assert response.status_code == 403, response.content
    elif user_name not in READERS_OF_ANZE:
        assert response.status_code == 404, response.content
    else:
        assert response.status_code == 204, response.content
        assert not resource.exists(obj)
        if resource.has_history:
            assert resource.latest_history_user(obj) == users[user_name]
        return
    assert database_snapshot() == before


@pytest.mark.parametrize(
    "resource", [r for r in RESOURCES if r.has_etag], ids=ids([r for r in RESOURCES if r.has_etag])
)
def test_a_stale_if_match_is_412_and_changes_nothing(resource, users, anze_county):
    obj = resource.make(anze_county)
    client = client_for(users["clerk"])
    etag = client.get(resource.detail_url(obj))["ETag"]
    fresh = client.patch(
        resource.detail_url(obj), resource.update_payload(obj), format="json", HTTP_IF_MATCH=etag
    )
    assert fresh.status_code == 200
    assert fresh["ETag"] != etag
    before = database_snapshot()
    stale = client.patch(resource.detail_url(obj), {"name": "覆盖"}, format="json", HTTP_IF_MATCH=etag)
    assert stale.status_code == 412
    assert client.delete(resource.detail_url(obj), HTTP_IF_MATCH=etag).status_code == 412
    assert database_snapshot() == before
    current = client.patch(
        resource.detail_url(obj), {"name": "当前版本上修改"}, format="json", HTTP_IF_MATCH=fresh["ETag"]
    )
    assert current.status_code == 200


@pytest.mark.parametrize("resource", RESOURCES, ids=ids(RESOURCES))
def test_list_query_count_is_pinned_and_does_not_grow_with_rows(resource, users, anze_county):
    for index in range(3):
        resource.make(anze_county, index)
    client = client_for(users["city"])
    url = resource.list_url_for(anze_county)
    assert count_queries(client, url) == resource.list_queries
    for index in range(3, 12):
        resource.make(anze_county, index)
    assert count_queries(client, url) == resource.list_queries


def test_regions_are_referred_to_by_code(users, regions):
    response = client_for(users["clerk"]).get("/api/v1/regions/141029/")
    assert response.json() == {"code": "141029", "name": "乡宁县", "level": "county", "parent": "141000"}
    towns = client_for(users["clerk"]).get("/api/v1/regions/", {"parent": "141026", "level": "town"}).json()
    assert [town["name"] for town in towns["results"]] == [
        "府城镇",
        "和川镇",
        "唐城镇",
        "冀氏镇",
        "良马镇",
        "马壁镇",
    ]
    assert Region.objects.filter(parent__code="141026").count() == 6
