"""The common matrix, run for every resource and every role (see harness.py).

Each case states what must happen for that role and checks both the answer and the database: a
refusal leaves every row as it was, an allowed write shows up in the data and in the change history,
under the caller's name.
"""

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
VERSIONED = [r for r in RESOURCES if r.has_etag]
READ_ONLY = [r for r in RESOURCES if not (r.can_create or r.can_update or r.can_delete)]


def ids(resources):
    return [resource.name for resource in resources]


def expected_write_status(resource, user_name, *, creating):
    """What a write by this user on an 安泽县 object must answer (DOMAIN.md §2, API.md Errors)."""
    if not resource.role_writes(user_name):
        return 403  # known, not allowed: the role never writes this resource
    if user_name in READERS_OF_ANZE:
        return 201 if creating else None  # allowed (None: 200 or 204, by method)
    if creating and resource.name != "disposals":
        return 403  # a writer naming a county outside their region: not allowed there
    return 404  # the object (or the disposal's parcel) is outside the caller's scope


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
    before = database_snapshot()
    assert client.get(resource.list_url_for(anze_county)).status_code == 401
    assert client.get(resource.detail_url(obj)).status_code == 401
    # Writes the endpoint has are 401; a method it does not have is 405 for anyone (see below).
    response = client.post(resource.list_url_for(anze_county), {}, format="json")
    assert response.status_code == (401 if resource.can_create else 405)
    if resource.can_create:
        assert response["WWW-Authenticate"] == "Token"
    assert client.patch(resource.detail_url(obj), {}, format="json").status_code == (
        401 if resource.can_update else 405
    )
    assert client.delete(resource.detail_url(obj)).status_code == (401 if resource.can_delete else 405)
    assert database_snapshot() == before


@pytest.mark.parametrize("resource", RESOURCES, ids=ids(RESOURCES))
def test_a_user_without_a_role_is_403(resource, users, anze_county):
    """Except for the regions, which API.md gives "any signed-in": reference data, no county's."""
    obj = resource.make(anze_county)
    client = client_for(users["no_role"])
    expected = 200 if resource.name == "regions" else 403
    assert client.get(resource.list_url_for(anze_county)).status_code == expected
    assert client.get(resource.detail_url(obj)).status_code == expected


@pytest.mark.parametrize("user_name", ROLE_USERS)
@pytest.mark.parametrize("resource", RESOURCES, ids=ids(RESOURCES))
def test_reads_see_exactly_the_users_scope(resource, user_name, users, anze_county, xiangning_county):
    anze_obj = resource.make(anze_county, 0)
    xiangning_obj = resource.make(xiangning_county, 1)
    client = client_for(users[user_name])
    sees_anze = user_name in READERS_OF_ANZE or not resource.scoped
    sees_xiangning = user_name in {"admin", "city", "other_clerk", "other_office"} or not resource.scoped
    for obj, sees, county in (
        (anze_obj, sees_anze, anze_county),
        (xiangning_obj, sees_xiangning, xiangning_county),
    ):
        detail = client.get(resource.detail_url(obj))
        assert detail.status_code == (200 if sees else 404), (resource.name, user_name, str(obj))
        if not sees:
            assert detail.json() == {"detail": "未找到。"}  # the same as for an id that does not exist
        if resource.name == "disposals":
            listed = client.get(resource.list_url_for(county))
            assert listed.status_code == (200 if sees else 404)
            if sees:
                assert resource.key(obj) in {item["id"] for item in listed.json()["results"]}
    if resource.name != "disposals":
        listed = client.get(resource.list_url, {"page_size": 500}).json()
        keys = {item.get("id", item.get("code")) for item in listed["results"]}
        assert (resource.key(anze_obj) in keys) == sees_anze
        assert (resource.key(xiangning_obj) in keys) == sees_xiangning
        assert listed["count"] == len(listed["results"])
        if not sees_anze:
            assert str(anze_obj) not in str(listed)


@pytest.mark.parametrize("user_name", ROLE_USERS)
@pytest.mark.parametrize("resource", WRITABLE, ids=ids(WRITABLE))
def test_create_is_allowed_only_to_writers_in_their_region_and_is_recorded(
    resource, user_name, users, anze_county
):
    url = resource.list_url_for(anze_county)
    before = database_snapshot()
    response = client_for(users[user_name]).post(url, resource.create_payload(anze_county), format="json")
    expected = expected_write_status(resource, user_name, creating=True)
    assert response.status_code == expected, response.content
    if expected != 201:
        assert database_snapshot() == before
        return
    created = resource.model.objects.get(pk=response.json()["id"])
    record = created.history.order_by("-history_id").first()
    assert (record.history_type, record.history_user) == ("+", users[user_name])


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
    expected = expected_write_status(resource, user_name, creating=False)
    if expected is None:
        assert response.status_code == 200, response.content
        resource.assert_updated(obj)
        assert resource.history_count(obj) == history_before + 1
        assert resource.latest_history_user(obj) == users[user_name]
    else:
        assert response.status_code == expected, response.content
        assert database_snapshot() == before


@pytest.mark.parametrize("user_name", ROLE_USERS)
@pytest.mark.parametrize("resource", DELETABLE, ids=ids(DELETABLE))
def test_delete_is_allowed_only_to_writers_in_scope_and_is_recorded(resource, user_name, users, anze_county):
    obj = resource.make(anze_county)
    before = database_snapshot()
    response = client_for(users[user_name]).delete(resource.detail_url(obj))
    expected = expected_write_status(resource, user_name, creating=False)
    if expected is None:
        assert response.status_code == 204, response.content
        assert not resource.exists(obj)
        record = type(obj).history.filter(id=obj.pk).order_by("-history_id").first()
        assert (record.history_type, record.history_user) == ("-", users[user_name])
    else:
        assert response.status_code == expected, response.content
        assert database_snapshot() == before


@pytest.mark.parametrize("user_name", ROLE_USERS)
@pytest.mark.parametrize("resource", READ_ONLY, ids=ids(READ_ONLY))
def test_read_only_resources_take_no_writes(resource, user_name, users, anze_county):
    obj = resource.make(anze_county)
    client = client_for(users[user_name])
    before = database_snapshot()
    for response in (
        client.post(resource.list_url, {"name": "新"}, format="json"),
        client.patch(resource.detail_url(obj), {"name": "改"}, format="json"),
        client.delete(resource.detail_url(obj)),
    ):
        # The API has no such method: 405, whatever the role.
        assert response.status_code == 405, response.content
    assert database_snapshot() == before


@pytest.mark.parametrize("resource", VERSIONED, ids=ids(VERSIONED))
def test_a_stale_if_match_is_412_and_changes_nothing(resource, users, anze_county):
    obj = resource.make(anze_county)
    writer = next(name for name in ("clerk", "office", "city") if resource.role_writes(name))
    client = client_for(users[writer])
    etag = client.get(resource.detail_url(obj))["ETag"]
    assert etag
    fresh = client.patch(
        resource.detail_url(obj), resource.update_payload(obj), format="json", HTTP_IF_MATCH=etag
    )
    assert fresh.status_code == 200, fresh.content
    assert fresh["ETag"] != etag
    assert client.get(resource.detail_url(obj))["ETag"] == fresh["ETag"]
    before = database_snapshot()
    stale = client.patch(
        resource.detail_url(obj), resource.stale_payload(obj), format="json", HTTP_IF_MATCH=etag
    )
    assert stale.status_code == 412
    assert "修改" in stale.json()["detail"]
    if resource.can_delete:
        assert client.delete(resource.detail_url(obj), HTTP_IF_MATCH=etag).status_code == 412
    assert database_snapshot() == before
    current = client.patch(
        resource.detail_url(obj), resource.stale_payload(obj), format="json", HTTP_IF_MATCH=fresh["ETag"]
    )
    assert current.status_code == 200, current.content
    if resource.can_delete:
        assert client.delete(resource.detail_url(obj), HTTP_IF_MATCH=current["ETag"]).status_code == 204


@pytest.mark.parametrize("resource", VERSIONED, ids=ids(VERSIONED))
def test_a_create_answers_the_etag_that_a_read_gives(resource, users, anze_county):
    writer = next(name for name in ("clerk", "office", "city") if resource.role_writes(name))
    client = client_for(users[writer])
    created = client.post(
        resource.list_url_for(anze_county), resource.create_payload(anze_county), format="json"
    )
    assert created.status_code == 201, created.content
    detail = f"{resource.list_url}{created.json()['id']}/"
    assert created["ETag"] == client.get(detail)["ETag"]


@pytest.mark.parametrize("resource", RESOURCES, ids=ids(RESOURCES))
def test_list_query_count_is_pinned_and_does_not_grow_with_rows(resource, users, anze_county):
    for index in range(3):
        resource.make(anze_county, index)
    client = client_for(users["city"])
    url = resource.list_url_for(anze_county)
    few = client.get(url, {"page_size": 500}).json()["count"]
    assert count_queries(client, url) == resource.list_queries
    for index in range(3, 12):
        resource.make(anze_county, index)
    assert client.get(url, {"page_size": 500}).json()["count"] == few + 9  # the rows are really listed
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
