"""One API test matrix for every resource (after NetBox ``utilities/testing/api.py``).

A resource declares only its URLs, how to make one of its objects in a county, valid create and
update payloads, and which roles may write it. The matrix then checks, for every role: anonymous
401, no role 403, out of scope 404, read-only 403, list/create/update/delete, history written,
stale If-Match 412, and a pinned query count that does not grow with rows.
"""

from dataclasses import dataclass, field
from decimal import Decimal

from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from leadership.choices import Role

# Users of the matrix, by name: (role, region code). The 太原 city and county lie outside 临汾.
USERS = {
    "admin": (Role.ADMIN, None),
    "clerk": (Role.COUNTY_CLERK, "141026"),
    "office": (Role.COUNTY_OFFICE, "141026"),
    "city": (Role.CITY_BUREAU, "141000"),
    "other_clerk": (Role.COUNTY_CLERK, "141029"),
    "other_office": (Role.COUNTY_OFFICE, "141029"),
    "other_city": (Role.CITY_BUREAU, "140100"),
}
# Which users read objects of 安泽县 (141026); the others must get 404 for them.
READERS_OF_ANZE = {"admin", "clerk", "office", "city"}


@dataclass
class Resource:
    """What the matrix needs to know about one API resource."""

    name: str
    list_url: str
    writer_roles: set = field(default_factory=set)  # roles that may write it (admin always may)
    can_create: bool = True
    can_update: bool = True
    can_delete: bool = True
    has_history: bool = True
    has_etag: bool = False
    scoped: bool = True
    list_queries: int = 0  # queries of a list request, whatever the number of rows
    model: type = None  # the model behind it, to find what a create wrote

    def list_url_for(self, county):
        return self.list_url

    def detail_url(self, obj):
        return f"{self.list_url}{obj.pk}/"

    def key(self, obj):
        """How the API identifies the object in lists."""
        return obj.pk

    def role_writes(self, user_name):
        """Whether the user's role may write this resource somewhere (then scope decides)."""
        return user_name == "admin" or USERS[user_name][0] in self.writer_roles

    def make(self, county, index=0):  # pragma: no cover - every resource overrides it
        raise NotImplementedError

    def create_payload(self, county):  # pragma: no cover
        raise NotImplementedError

    def update_payload(self, obj):  # pragma: no cover
        raise NotImplementedError

    def stale_payload(self, obj):
        """A second, different change, sent with an outdated If-Match."""
        return {"name": "覆盖"}

    def assert_updated(self, obj):
        """The update payload's change is what the database now holds."""
        obj.refresh_from_db()
        for name, value in self.update_payload(obj).items():
            stored = getattr(obj, name)
            assert stored == (Decimal(value) if isinstance(stored, Decimal) else value), name

    def history_count(self, obj):
        return obj.history.count()

    def latest_history_user(self, obj):
        record = obj.history.order_by("-history_date", "-history_id").first()
        return record.history_user if record else None

    def exists(self, obj):
        return type(obj).objects.filter(pk=obj.pk).exists()


def client_for(user):
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


def count_queries(client, url):
    with CaptureQueriesContext(connection) as context:
        response = client.get(url)
    assert response.status_code == 200, response.content
    return len(context)
