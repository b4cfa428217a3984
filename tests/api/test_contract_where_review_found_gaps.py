"""The REST API against API.md and the served OpenAPI schema, where a review found them apart: files
served in their own media type, export and re-import of text that looks like an Excel escape, refusals in
Chinese and in JSON before any view, "any signed-in" endpoints, rates past five digits, a deletion's
parameters; and two pins of the contract no other test covers (marked "Pins").
"""

import datetime
import re
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from rest_framework.test import APIClient

from parcels import services as parcel_services
from parcels.models import Parcel
from tasks import services as task_services
from tests.factories import ParcelFactory, UnitFactory
from tests.helpers import database_snapshot

from .harness import client_for

pytestmark = pytest.mark.django_db

API = "/api/v1"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture
def clerk(users):
    return client_for(users["clerk"])


def unsupplied(code, **extra):
    return {
        "county": "141026",
        "kind": "unsupplied",
        "code": code,
        "name": f"地块{code}",
        "area_mu": "5",
        "approval_number": "晋政地字〔2021〕9号",
        "approval_date": "2021-04-01",
        "expropriation_status": "completed",
        "unsupplied_reason": "no_user",
        **extra,
    }


def body_of(response):
    return b"".join(response.streaming_content) if response.streaming else response.content


def export_then_import(client, kind):
    """The clerk's ledger of one kind exported, then posted back as it came (a real import)."""
    exported = client.get(f"{API}/parcels/export/", {"kind": kind})
    assert exported.status_code == 200
    content = body_of(exported)
    upload = SimpleUploadedFile("台账.xlsx", content, content_type=XLSX)
    return client.post(f"{API}/parcels/import/", {"file": upload, "kind": kind}, format="multipart")


def schema():
    return APIClient().get("/api/schema/", {"format": "json"}).json()


# --- file downloads: content negotiation ------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        f"{API}/parcels/export/",
        f"{API}/parcels/import-template/?kind=unsupplied",
        f"{API}/reports/monthly/?year=2023&month=6",
    ],
)
def test_a_download_asked_for_in_its_own_documented_media_type_is_served(clerk, url):
    """API.md: the export, the template and the monthly report are .xlsx, and the schema documents each
    200 as that media type. A client that asks for it in Accept (as a client generated from the schema
    does) gets 406 — an answer the schema does not list — instead of the file."""
    response = clerk.get(url, HTTP_ACCEPT=XLSX)
    assert response.status_code == 200, (response.status_code, response.content[:200])
    assert response["Content-Type"] == XLSX


# --- the import/export contract --------------------------------------------------------------------------


def test_text_that_looks_like_an_excel_escape_survives_export_and_re_import(users, clerk):
    """API.md: the export "re-imports unchanged". Text holding the characters of an Excel escape
    (``_x0041_``, ``_x000D_``) is accepted by the API, written into the export as it is, and decoded on
    the way back in: the re-import changes the name and note, and a code turns into another parcel."""
    for payload in (
        # Text typed as an escape of a control character ("_x000D_") cannot be told from Excel's own
        # escape once openpyxl has read it: it is read as the escape (parcels.ledger.cell_value).
        unsupplied("ESC-1", name="项目_x0041_名称", note="含_x004A_字样"),
        unsupplied("ESC_x0032_"),
    ):
        assert clerk.post(f"{API}/parcels/", payload, format="json").status_code == 201
    before = database_snapshot()
    response = export_then_import(clerk, "unsupplied")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["created"], body["updated"], body["unchanged"]) == (0, 0, 2), body["changes"]
    assert database_snapshot() == before


# --- error bodies ----------------------------------------------------------------------------------------


def test_a_session_write_without_a_csrf_token_is_refused_in_chinese(users):
    """API.md: session login for the browser; refusals answer in Chinese like every other error of the
    API. A write without the CSRF token answers DRF's English "CSRF Failed: CSRF cookie not set."."""
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(users["clerk"])
    response = browser.post(f"{API}/parcels/", data="{}", content_type="application/json")
    assert response.status_code == 403
    assert CJK.search(response.json()["detail"]), response.json()


@pytest.mark.parametrize("where", ["query", "multipart fields", "multipart files"])
def test_too_many_parameters_are_a_json_400(clerk, where):
    """API.md: a 400 is ``{"field": ["message"]}`` in JSON. Past Django's DATA_UPLOAD_MAX_NUMBER_FIELDS
    (1,000 query or form fields) or DATA_UPLOAD_MAX_NUMBER_FILES (100 files), the API answers Django's
    HTML "Bad Request (400)" page instead."""
    if where == "query":
        query = "&".join(f"p{index}=1" for index in range(1001))
        response = clerk.get(f"{API}/parcels/?{query}")
    elif where == "multipart fields":
        data = {f"p{index}": "1" for index in range(1001)}
        response = clerk.post(f"{API}/parcels/import/", data, format="multipart")
    else:
        data = {f"f{index}": SimpleUploadedFile(f"{index}.xlsx", b"x") for index in range(101)}
        response = clerk.post(f"{API}/parcels/import/", data, format="multipart")
    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/json"), response.content[:120]
    assert all(isinstance(messages, list) for messages in response.json().values())


# --- who may call what -----------------------------------------------------------------------------------


def test_the_import_template_is_served_to_any_signed_in_user(users):
    """API.md: GET /parcels/import-template/ — who: "signed-in" (not "read scope"). A signed-in account
    without a role is refused 403 by the API's default RolePermission."""
    response = client_for(users["no_role"]).get(f"{API}/parcels/import-template/", {"kind": "idle"})
    assert response.status_code == 200, response.content[:200]
    assert response["Content-Type"] == XLSX


# --- the schema against what the API answers -------------------------------------------------------------


def test_a_completion_rate_over_99999_percent_matches_the_schema(users, regions):
    """DOMAIN.md §1: rates over 100 % are real and never capped. The schema's pattern for every rate
    (RateField: max_digits 7 → ``^-?\\d{0,5}(?:\\.\\d{0,2})?$``) allows five whole digits, so a county that
    disposed of 1,000 亩 against a 1 亩 task is answered a completion_rate the schema says cannot occur."""
    anze = regions["141026"]
    task_services.task_create(county=anze, year=2022, category="unsupplied", target_area_mu=Decimal("1"))
    parcel = ParcelFactory(county=anze, code="BIG-1", area_mu=Decimal("1000"))
    parcel_services.disposal_record(
        parcel=parcel, method="supply_transfer", area_mu=Decimal("1000"), date=datetime.date(2022, 6, 1)
    )
    body = client_for(users["admin"]).get(f"{API}/progress/", {"year": 2022, "as_of": "2022-12-31"}).json()
    (row,) = body["results"]
    assert row["completion_rate"] == "100000.00"
    components = schema()["components"]["schemas"]
    for name, value in (("ProgressRow", row), ("Total", body["totals"][0])):
        pattern = components[name]["properties"]["completion_rate"]["pattern"]
        assert re.fullmatch(pattern, value["completion_rate"]), (name, pattern, value["completion_rate"])


def test_deleting_a_parcel_answers_only_what_the_schema_documents(clerk, regions):
    """The schema documents DELETE /parcels/{id}/ with no query parameter and no 400. The view reads
    ?as_of= on every action (ParcelViewSet.get_queryset), so a DELETE carrying one that is not a date is
    answered 400 — undocumented — and the parcel is not deleted."""
    parcel = ParcelFactory(county=regions["141026"], code="DEL-1")
    operation = schema()["paths"]["/api/v1/parcels/{id}/"]["delete"]
    assert "400" not in operation["responses"]
    assert "as_of" not in {parameter["name"] for parameter in operation.get("parameters", [])}
    response = clerk.delete(f"{API}/parcels/{parcel.pk}/?as_of=soon")
    assert str(response.status_code) in operation["responses"], (response.status_code, response.content)
    assert response.status_code == 204
    assert not Parcel.objects.filter(pk=parcel.pk).exists()


# --- Pins: correct behaviour not covered elsewhere -------------------------------------------------------


def test_pins_an_export_of_awkward_but_ordinary_values_re_imports_unchanged(users, clerk, regions):
    """Pins API.md's "re-imports unchanged" for values clerks really type: leading zeros, codes differing
    only by case or width, four-place areas and prices, line breaks, blanks around text, a town, a unit,
    coordinates, an Excel-looking text (=1+2, #N/A) and the earliest date the API takes."""
    unit = UnitFactory(region=regions["141026"], name="安泽县测试局")
    for payload in (
        unsupplied("0012", area_mu="12.3456"),
        unsupplied("ab-1"),
        unsupplied("AB-1"),
        unsupplied("ＡＢ-2"),
        unsupplied("N-1", note="第一行\r\n第二行", location="  前后空格  ", name="=1+2"),
        unsupplied(
            "N-2",
            town="141026100",
            responsible_unit=unit.pk,
            center_lng="112.123456",
            center_lat="36.000001",
            planned_method="approval_withdrawn",
            planned_date="1949-10-01",
            current_use="#N/A",
        ),
    ):
        response = clerk.post(f"{API}/parcels/", payload, format="json")
        assert response.status_code == 201, response.json()
    idle = {
        "county": "141026",
        "kind": "idle",
        "code": "XZ-0001",
        "name": "闲置",
        "area_mu": "8.1234",
        "land_user": "某某公司",
        "supply_method": "lease",
        "supply_date": "2019-05-01",
        "price_wan": "123.4567",
        "agreed_start_date": "2019-11-01",
        "idle_cause": "government",
        "government_cause": "late_delivery",
        "supervision_number": "1410262019B00001",
        "contract_number": "0001",
    }
    assert clerk.post(f"{API}/parcels/", idle, format="json").status_code == 201
    before = database_snapshot()
    for kind, count in (("unsupplied", 6), ("idle", 1)):
        body = export_then_import(clerk, kind).json()
        assert (body["created"], body["updated"], body["unchanged"]) == (0, 0, count), body
    assert database_snapshot() == before


def test_pins_deleting_a_disposal_makes_an_earlier_etag_stale(clerk, regions):
    """Pins API.md's ETag rule for the other way a parcel's figures change: a disposal deleted. A PATCH
    with the If-Match read before it is 412 and changes nothing."""
    response = clerk.post(f"{API}/parcels/", unsupplied("ET-1", area_mu="10"), format="json")
    url = f"{API}/parcels/{response.json()['id']}/"
    disposal = clerk.post(
        f"{url}disposals/", {"method": "supply_transfer", "area_mu": "1", "date": "2022-06-01"}, format="json"
    ).json()
    read = clerk.get(url)
    assert read.json()["remaining_area_mu"] == "9.00"
    assert clerk.delete(f"{url}disposals/{disposal['id']}/").status_code == 204
    after = clerk.get(url)
    assert after.json()["remaining_area_mu"] == "10.00"
    assert after["ETag"] != read["ETag"]
    before = database_snapshot()
    stale = clerk.patch(url, {"name": "覆盖"}, format="json", HTTP_IF_MATCH=read["ETag"])
    assert stale.status_code == 412
    assert database_snapshot() == before
