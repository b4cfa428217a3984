"""Every operation of the served schema, called once as served: outside any transaction.

The fuzzing test (test_api_fuzz.py) calls the application inside the test's transaction, so that each
example can be rolled back; an error that only a request outside a transaction meets — a locking read
(``SELECT … FOR UPDATE``) not wrapped in one, as OPTIONS on a detail URL once was — passes there and is
found only by the served run (bench/fuzz.py). Here each path of the schema, with ids of the demo's rows,
is called with each method it declares and with OPTIONS and HEAD, as the country's admin and as a
county clerk, in autocommit as gunicorn serves it: no answer may be a server error. Bodies are empty
JSON objects (refused, or a change of nothing); the deletions go last.
"""

import pytest
from django.test import Client

from leadership.choices import Role
from parcels.models import Disposal, Parcel, SupplyRecord
from tasks.models import CountyTask, RectificationItem

from .test_api_fuzz import schema, token_for

pytestmark = pytest.mark.django_db(transaction=True)

ORDER = ["options", "head", "get", "post", "put", "patch", "delete"]


def path_ids():
    """The demo's rows each path parameter names: a parcel of 乡宁县 with a disposal, and so on."""
    disposal = Disposal.objects.filter(parcel__county__code="141029").order_by("pk").first()
    return {
        "{id}/disposals/{did}": (disposal.parcel_id, disposal.pk),
        "parcels/{id}": Parcel.objects.filter(county__code="141029").order_by("pk").first().pk,
        "tasks/{id}": CountyTask.objects.filter(county__code="141029").order_by("pk").first().pk,
        "rectifications/{id}": RectificationItem.objects.order_by("pk").first().pk,
        "supply-records/{id}": getattr(SupplyRecord.objects.order_by("pk").first(), "pk", 1),
    }


def concrete(template, ids):
    if "{did}" in template:
        parcel, disposal = ids["{id}/disposals/{did}"]
        return template.replace("{id}", str(parcel)).replace("{did}", str(disposal))
    for resource in ("parcels", "tasks", "rectifications", "supply-records"):
        if f"/{resource}/{{id}}" in template:
            return template.replace("{id}", str(ids[f"{resource}/{{id}}"]))
    return (
        template.replace("{county_code}", "141029")
        .replace("{code}", "141029")
        .replace("{id}", str(ids["parcels/{id}"]))
    )


def calls():
    """(method, path template) of every operation, with OPTIONS and HEAD on every path, deletions last."""
    found = set()
    for result in schema.get_all_operations():
        operation = result.ok()
        found.add((operation.method.lower(), operation.path))
        found.add(("options", operation.path))
        found.add(("head", operation.path))
    return sorted(found, key=lambda call: (ORDER.index(call[0]), call[1]))


@pytest.mark.parametrize("role, code", [(Role.ADMIN, None), (Role.COUNTY_CLERK, "141029")])
def test_no_operation_answers_a_server_error_outside_a_transaction(demo, role, code):
    token = token_for(f"autocommit_{role}", role, code)
    client = Client(raise_request_exception=False, HTTP_AUTHORIZATION=f"Token {token}")
    ids = path_ids()
    answered = []
    for method, template in calls():
        path = concrete(template, ids)
        if method in {"post", "put", "patch"}:
            response = getattr(client, method)(path, {}, content_type="application/json")
        else:
            response = getattr(client, method)(path)
        answered.append((response.status_code, method.upper(), path))
    assert len(answered) >= 90
    assert [call for call in answered if call[0] >= 500] == []
    # Not all refused: the calls reached the views (reads answered, the deletions done).
    assert sum(status == 200 for status, _, _ in answered) >= 40
    assert {status for status, method, _ in answered if method == "DELETE"} & {204}
