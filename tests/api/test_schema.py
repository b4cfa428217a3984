"""The OpenAPI schema and Swagger UI: served to anyone, offline, describing errors as implemented."""

import re
import subprocess
import sys

import pytest

pytestmark = pytest.mark.django_db

CONTRACT_PATHS = {
    "/api/v1/auth/token/": {"post", "delete"},
    "/api/v1/regions/": {"get"},
    "/api/v1/tasks/": {"get", "post"},
    "/api/v1/tasks/{id}/": {"get", "patch", "delete"},
    "/api/v1/parcels/": {"get", "post"},
    "/api/v1/parcels/{id}/": {"get", "patch", "put", "delete"},
    "/api/v1/parcels/{id}/disposals/": {"get", "post"},
    "/api/v1/parcels/{id}/disposals/{did}/": {"delete"},
    "/api/v1/parcels/{id}/history/": {"get"},
    "/api/v1/units/": {"get"},
    "/api/v1/leadership-groups/": {"get"},
    "/api/v1/rectifications/": {"get", "post"},
    "/api/v1/rectifications/{id}/": {"get", "patch"},
    "/api/v1/progress/": {"get"},
    "/api/v1/progress/{county_code}/": {"get"},
}


@pytest.fixture
def schema(client):
    response = client.get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    return response.json()


def test_the_schema_is_served_to_anyone_and_lists_the_contract(schema):
    assert schema["openapi"].startswith("3.")
    for path, methods in CONTRACT_PATHS.items():
        assert path in schema["paths"], path
        assert methods <= set(schema["paths"][path]), (path, set(schema["paths"][path]))


def test_every_operation_documents_its_errors(schema):
    for path, operations in schema["paths"].items():
        if not path.startswith("/api/v1/") or path == "/api/v1/auth/token/":
            continue
        for method, operation in operations.items():
            codes = set(operation["responses"])
            assert {"401", "403"} <= codes, (path, method, codes)
            if "{" in path:
                assert "404" in codes, (path, method)
            if method in ("post", "put", "patch"):
                assert "400" in codes, (path, method)
    parcel = schema["paths"]["/api/v1/parcels/{id}/"]
    assert "412" in parcel["patch"]["responses"] and "412" in parcel["delete"]["responses"]
    assert "409" in parcel["delete"]["responses"]
    assert any(p["name"] == "If-Match" for p in parcel["patch"]["parameters"])


def test_swagger_ui_is_served_without_any_cdn(client):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    page = response.content.decode()
    external = re.findall(r'(?:src|href)="(https?://[^"]+)"', page)
    assert external == []
    bundle = re.search(r'src="([^"]*swagger-ui-bundle\.js)"', page).group(1)
    assert client.get(bundle).status_code == 200


def test_schema_generation_has_no_warnings():
    result = subprocess.run(
        [sys.executable, "manage.py", "spectacular", "--validate", "--fail-on-warn", "--file", "/dev/null"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
