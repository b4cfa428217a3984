"""What the API says of itself — the served schema (and so /api/docs/) and OPTIONS — is written in Chinese for
the people who read it, never the code's own docstrings or names made from the code."""

import re

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from parcels.models import Parcel, SupplyRecord
from tasks.models import CountyTask, RectificationItem

pytestmark = pytest.mark.django_db

CHINESE = re.compile("[\u4e00-\u9fff]")
# Words a Chinese text may hold whole: names of formats and of the API's own parameters.
TEXT_KEYS = ("title", "summary", "description", "name", "label", "help_text", "display_name")


def texts_without_chinese(document, keys=TEXT_KEYS, where=""):
    """(where, key, text) of every text under ``keys`` that holds no Chinese character."""
    found = []
    if isinstance(document, dict):
        for key, value in document.items():
            if key in keys and isinstance(value, str) and value and not CHINESE.search(value):
                found.append((where, key, value[:80]))
            found += texts_without_chinese(value, keys, f"{where}/{key}")
    elif isinstance(document, list):
        for position, value in enumerate(document):
            found += texts_without_chinese(value, keys, f"{where}[{position}]")
    return found


@pytest.fixture
def schema(client):
    response = client.get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    return response.json()


def test_every_operation_has_a_chinese_summary(schema):
    missing = [
        (method.upper(), path)
        for path, operations in schema["paths"].items()
        for method, operation in operations.items()
        if not CHINESE.search(operation.get("summary", ""))
    ]
    assert missing == []


def test_no_text_of_the_schema_is_a_docstring_or_an_english_name(schema):
    # The schema's own title is the product's name; a "name" there is a parameter's or a header's.
    keys = tuple(key for key in TEXT_KEYS if key != "name")
    found = texts_without_chinese({"paths": schema["paths"], "components": schema["components"]}, keys)
    assert found == []


def test_choices_are_described_by_their_chinese_labels(schema):
    for name in ("ReminderKindEnum", "ChangeActionEnum", "HistoryEntryActionEnum", "SupplyRecordFlagsEnum"):
        description = schema["components"]["schemas"][name]["description"]
        lines = description.strip().splitlines()
        assert lines and all(CHINESE.search(line) for line in lines), (name, description)


def api_paths(schema):
    """Each path of the schema with ids of rows that exist (OPTIONS answers 404 for a row that does not)."""
    parcel = Parcel.objects.order_by("pk").first()
    disposal = parcel.disposals.order_by("pk").first() if parcel else None
    ids = {
        "{id}": parcel.pk if parcel else 1,
        "{did}": disposal.pk if disposal else 1,
        "{county_code}": "141026",
        "{code}": "141026",
    }
    resources = {
        "/api/v1/tasks/{id}/": CountyTask.objects.order_by("pk").first(),
        "/api/v1/rectifications/{id}/": RectificationItem.objects.order_by("pk").first(),
        "/api/v1/supply-records/{id}/": SupplyRecord.objects.order_by("pk").first(),
        "/api/v1/supply-records/{id}/to-parcel/": SupplyRecord.objects.order_by("pk").first(),
    }
    for path in schema["paths"]:
        if path in resources and resources[path] is None:
            continue
        yield re.sub(
            r"\{[a-z_]+\}",
            lambda match, path=path: str(
                resources[path].pk if path in resources and match.group(0) == "{id}" else ids[match.group(0)]
            ),
            path,
        )


def test_options_answers_in_chinese_on_every_path(schema, demo, superuser):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=superuser).key}")
    answered = 0
    for path in api_paths(schema):
        response = client.options(path)
        if response.status_code == 404:
            continue
        assert response.status_code == 200, (path, response.status_code, response.content[:200])
        body = response.json()
        assert texts_without_chinese(body) == [], path
        answered += 1
    assert answered >= 25
    # What OPTIONS is for is still there: the media types and the fields a write takes.
    body = client.options("/api/v1/parcels/").json()
    assert body["renders"] == ["application/json"]
    fields = body["actions"]["POST"]
    assert fields["kind"]["label"] == "类型" and fields["kind"]["required"] is True
    assert {"county", "code", "area_mu"} <= set(fields)
