"""The pages a browser gets for a refused or failed request: in Chinese, saying what happened, as every
other page of LandTrack (Django's own are English: "Not Found", "Forbidden (403)", "Server Error (500)")."""

import pytest
from django.test import Client, RequestFactory
from django.views.defaults import server_error

from leadership.choices import Role

pytestmark = pytest.mark.django_db


def test_a_page_that_is_not_there_says_so_in_chinese(login):
    client = login("az_office", Role.COUNTY_OFFICE, "141026")
    for url in ("/no-such-page/", "/dashboard/141029/", "/dashboard/999999/"):  # 乡宁县: not theirs
        response = client.get(url)
        assert response.status_code == 404, url
        page = response.content.decode()
        assert "未找到该页面" in page and "Not Found" not in page, url
        assert 'href="/dashboard/"' in page and "az_office" in page  # the site's own page, signed in


def test_the_api_still_answers_json_where_nothing_is_found(login):
    response = login("az_office", Role.COUNTY_OFFICE, "141026").get("/api/v1/no-such-thing/")
    assert response.status_code == 404 and response.json() == {"detail": "未找到。"}


def test_a_page_refused_to_a_role_says_so_in_chinese(login):
    # A leadership-group member with no role on the dashboards (DOMAIN.md §2): the dashboards refuse.
    client = login("nobody", "", None)
    response = client.get("/dashboard/")
    assert response.status_code == 403
    page = response.content.decode()
    assert "无权访问" in page and "Forbidden" not in page


def test_an_expired_form_says_so_in_chinese_and_changes_nothing(demo):
    client = Client(enforce_csrf_checks=True)
    response = client.post("/accounts/login/", {"username": "x", "password": "y"})
    assert response.status_code == 403
    page = response.content.decode()
    assert "页面已过期，未作修改" in page and "CSRF verification failed" not in page


def test_a_server_error_page_is_in_chinese_and_needs_no_context(tmp_path, settings):
    # Nor the static files' manifest: what fails may be the very thing the page would need (the served
    # fuzzing run met a 404 page, which links the site's stylesheet, on a server without collectstatic).
    settings.STATIC_ROOT = tmp_path
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    }
    response = server_error(RequestFactory().get("/dashboard/"))
    assert response.status_code == 500
    page = response.content.decode()
    assert "服务器错误" in page and "Server Error" not in page and 'lang="zh-hans"' in page


def test_a_request_for_another_host_is_refused_in_chinese(demo):
    response = Client().get("/dashboard/", HTTP_HOST="not-landtrack.example")
    assert response.status_code == 400
    page = response.content.decode()
    assert "请求有误" in page and "Bad Request" not in page
