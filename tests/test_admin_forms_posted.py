"""Every add and change form of the admin, posted by the administrator as rendered and with nonsense in every
field: each answers the form again with its errors (200) or saves (302), never a server error, and a form
answered with errors has written nothing. The forms come from the admin registry, so that one added later is
posted too. (tests/test_every_page_every_role.py reads every page; this posts them.)
"""

import pytest
from django.contrib import admin
from django.test import RequestFactory
from django.urls import reverse

from leadership.choices import Role
from leadership.models import User
from tests.admin_forms import admin_form_data
from tests.factories import UserFactory
from tests.helpers import database_snapshot
from tests.test_admin import admin_extra_rows  # noqa: F401 - a fixture: rows of what the demo lacks

pytestmark = pytest.mark.django_db

# What replaces every value of a form, management forms included: text where a number, date or choice is
# asked, a number beyond any column, an empty form, and text beyond any field's length.
NONSENSE = {
    "text": "不是数字",
    "huge": "9" * 30,
    "empty": "",
    "long": "长" * 5000,
}


def _registered():
    administrator = UserFactory.build(username="lister", role=Role.ADMIN, is_superuser=True)
    request = RequestFactory().get("/admin/")
    request.user = administrator
    pages = []
    for model, model_admin in admin.site._registry.items():
        info = (model._meta.app_label, model._meta.model_name)
        if model_admin.has_add_permission(request):
            pages.append(("add", *info))
        pages.append(("change", *info))
    return sorted(pages, key=lambda page: (page[1], page[2], page[0]))


PAGES = _registered()


@pytest.fixture
def administrator(client, demo, admin_extra_rows):  # noqa: F811
    client.force_login(UserFactory(username="poster", role=Role.ADMIN, is_superuser=True))
    return client


def _url(client, page, app_label, model_name):
    from django.apps import apps

    if page == "add":
        return reverse(f"admin:{app_label}_{model_name}_add")
    model = apps.get_model(app_label, model_name)
    model_admin = admin.site._registry[model]
    request = RequestFactory().get("/admin/")
    request.user = User.objects.get(username="poster")
    row = model_admin.get_queryset(request).order_by("pk").first()
    assert row is not None, f"no {model_name} to change"
    return reverse(f"admin:{app_label}_{model_name}_change", args=[row.pk])


@pytest.mark.parametrize(
    ("page", "app_label", "model_name"), PAGES, ids=["/".join(page[::-1]) for page in PAGES]
)
def test_every_admin_form_posted_as_rendered_or_with_nonsense_answers_without_a_server_error(
    page, app_label, model_name, administrator
):
    url = _url(administrator, page, app_label, model_name)
    shown = administrator.get(url)
    assert shown.status_code == 200, url
    # A page the administrator may only read (regions: reference data) refuses any POST, writing nothing.
    allowed = (200, 302) if shown.context["has_change_permission"] or page == "add" else (403,)
    rendered = admin_form_data(shown)
    variants = {"as rendered": rendered}
    for name, value in NONSENSE.items():
        variants[name] = {
            key: ([value] if isinstance(kept, list) else value) for key, kept in rendered.items()
        }
    for name, data in variants.items():
        before = database_snapshot()
        response = administrator.post(url, data)
        assert response.status_code in allowed, (name, url, response.status_code)
        if response.status_code != 302:
            assert database_snapshot() == before, (name, url, "a form answered with errors wrote")


DELETABLE = [(app_label, model_name) for page, app_label, model_name in PAGES if page == "change"]


@pytest.mark.parametrize(("app_label", "model_name"), DELETABLE, ids=["/".join(page) for page in DELETABLE])
def test_every_admin_delete_page_confirmed_answers_without_a_server_error(
    app_label, model_name, administrator
):
    from django.apps import apps

    model = apps.get_model(app_label, model_name)
    model_admin = admin.site._registry[model]
    request = RequestFactory().get("/admin/")
    request.user = User.objects.get(username="poster")
    rows = list(model_admin.get_queryset(request).order_by("pk")[:3])
    assert rows, f"no {model_name} to delete"
    if model_name == "parcel":  # one with disposals too, which the ledger keeps
        rows.append(model.objects.filter(disposals__isnull=False).first())
    for row in rows:
        url = reverse(f"admin:{app_label}_{model_name}_delete", args=[row.pk])
        before = database_snapshot()
        response = administrator.post(url, {"post": "yes"})
        assert response.status_code in (200, 302, 403), (url, response.status_code)
        if response.status_code != 302 or model.objects.filter(pk=row.pk).exists():
            assert database_snapshot() == before, (url, "a refused deletion wrote")


# The admin's own pages beyond a model's forms (imports, exports, uploads and their previews), by name, with
# what each route's parameters take.
CUSTOM = [
    ("parcels_supplyrecord_import", {}),
    ("parcels_parcel_ledger_import", {}),
    ("parcels_parcel_ledger_preview", {"token": "A" * 32}),
    ("parcels_parcel_ledger_export", {}),
    ("parcels_parcel_ledger_template", {}),
    ("parcels_parcel_boundary_upload", {}),
    ("tasks_countytask_assign", {}),
]


def test_the_list_of_custom_admin_pages_is_every_one_the_registry_has():
    from tests.test_every_page_every_role import flatten

    standard = {"changelist", "add", "history", "delete", "change", "simple_history", "password_change", None}
    named = set()
    for model, model_admin in admin.site._registry.items():
        prefix = f"{model._meta.app_label}_{model._meta.model_name}_"
        for _, pattern in flatten(model_admin.get_urls()):
            if pattern.name is not None and pattern.name.removeprefix(prefix) not in standard:
                named.add(pattern.name)
    assert named - {"auth_user_password_change"} == {name for name, _ in CUSTOM}


def _junk_posts(county_pk):
    from django.core.files.uploadedfile import SimpleUploadedFile

    def junk(name, content):
        return SimpleUploadedFile(name, content, content_type="application/octet-stream")

    return [
        {},
        {"county": "不是县", "kind": "不是类型", "parcel": "abc", "dry_run": "也许"},
        {"county": "9" * 30, "parcel": "9" * 30, "file": junk("台账.xlsx", b"PK\x03\x04" + b"\x00" * 64)},
        {"county": str(county_pk), "kind": "unsupplied", "file": junk("台账.xlsx", "不是表格".encode())},
        {"county": str(county_pk), "file": junk("界址点坐标.txt", b"\xff\xfe\x00garbage\r\n[\xe5\x9c")},
        {"county": str(county_pk), "file": junk("空.xlsx", b"")},
        {"payload": "伪造的预览", "confirm": "1", "cancel": ""},
        {"payload": "x" * 10_000, "parcel": "1"},
    ]


@pytest.mark.parametrize("who", ["administrator", "clerk"])
@pytest.mark.parametrize(("name", "values"), CUSTOM, ids=[name for name, _ in CUSTOM])
def test_every_custom_admin_page_posted_with_nonsense_answers_without_a_server_error_and_writes_nothing(
    name, values, who, administrator
):
    from leadership.models import Region

    anze = Region.objects.get(code="141026")
    if who == "clerk":
        administrator.force_login(UserFactory(username="az_poster", role=Role.COUNTY_CLERK, region=anze))
    url = reverse(f"admin:{name}", kwargs=values)
    for data in _junk_posts(anze.pk):
        before = database_snapshot()
        response = administrator.post(url, data)
        assert response.status_code in (200, 302, 400, 403, 404, 405), (url, data, response.status_code)
        assert database_snapshot() == before, (url, data, "nonsense wrote")
