"""An API token's whole life, as the city bureau's integrator and the administrator see it (a review).

Obtained with a password (every refusal a Chinese 400, a lockout 429, never a 5xx), used with
``Authorization: Token <key>`` (every malformed header a Chinese 401 naming the scheme), revoked by its
holder, by the administrator, by deactivating the account or by a new password; each issue and revocation
on the admin's record. Scope itself is tested elsewhere (tests/leadership/test_scope.py, tests/api/).
"""

import pytest
from django.contrib.admin.models import ADDITION, DELETION, LogEntry
from django.test import Client
from django.urls import reverse
from rest_framework.authtoken.models import Token

from leadership.choices import Role
from leadership.models import User
from tests.factories import ParcelFactory, UserFactory

pytestmark = pytest.mark.django_db

TOKEN_URL = "/api/v1/auth/token/"
PASSWORD = "Anze-clerk-2023!"
NEW_PASSWORD = "Brand-new-Pass-77"


@pytest.fixture
def clerk(anze):
    return User.objects.create_user("az_clerk", password=PASSWORD, role=Role.COUNTY_CLERK, region=anze)


@pytest.fixture
def administrator(regions):
    client = Client()
    client.force_login(UserFactory(username="city_admin", role=Role.ADMIN, is_superuser=True))
    return client


def sign_in(username, password, address="198.51.100.30"):
    return Client(REMOTE_ADDR=address).post(
        TOKEN_URL, {"username": username, "password": password}, content_type="application/json"
    )


def call(key, path="/api/v1/parcels/"):
    return Client().get(path, HTTP_AUTHORIZATION=f"Token {key}")


# --- obtaining ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "body, content_type, status, field, message",
    [
        (
            {"username": "az_clerk", "password": "wrong"},
            "application/json",
            400,
            "non_field_errors",
            "用户名或密码错误",
        ),
        (
            {"username": "nobody", "password": "wrong"},
            "application/json",
            400,
            "non_field_errors",
            "用户名或密码错误",
        ),
        (
            {"username": "az_gone", "password": PASSWORD},
            "application/json",
            400,
            "non_field_errors",
            "用户名或密码错误",
        ),
        ({}, "application/json", 400, "password", "该字段是必填项"),
        ({"username": "az_clerk"}, "application/json", 400, "password", "该字段是必填项"),
        ("username=az_clerk", "application/json", 400, "non_field_errors", "无法解析"),
        ("[1]", "application/json", 400, "non_field_errors", "期待为字典类型"),
        ("username=az_clerk", "text/plain", 415, "detail", "不支持请求中的媒体类型"),
        ({"username": "az_clerk", "password": "x" * 5000}, "application/json", 400, "password", "128"),
        (
            {"username": "az_clerk", "password": "x" * (11 * 1024 * 1024)},
            "application/json",
            400,
            "non_field_errors",
            "请求体超过 10 MB",
        ),
    ],
    ids=["wrong", "unknown", "inactive", "empty", "no-password", "not-json", "list", "text", "long", "huge"],
)
def test_a_refused_sign_in_says_why_in_chinese_and_gives_no_token(
    clerk, anze, body, content_type, status, field, message
):
    User.objects.create_user(
        "az_gone", password=PASSWORD, role=Role.COUNTY_CLERK, region=anze, is_active=False
    )
    response = Client(REMOTE_ADDR="198.51.100.31").post(TOKEN_URL, body, content_type=content_type)
    assert response.status_code == status
    messages = response.json()[field]
    assert message in (messages if isinstance(messages, str) else messages[0])
    assert not Token.objects.exists()


def test_failed_token_requests_and_admin_sign_ins_count_together_towards_the_lockout(clerk):
    address = "198.51.100.32"
    browser = Client(REMOTE_ADDR=address)
    for _ in range(3):
        assert browser.post("/admin/login/", {"username": "az_clerk", "password": "wrong"}).status_code == 200
    assert sign_in("az_clerk", "wrong", address).status_code == 400
    locked = sign_in("az_clerk", "wrong", address)
    assert locked.status_code == 429 and "已被暂时锁定" in locked.json()["detail"]
    assert sign_in("az_clerk", PASSWORD, address).status_code == 429  # the right password too, while locked


def test_a_token_sign_in_forgets_earlier_failures_as_an_admin_sign_in_does(clerk):
    """AXES_RESET_ON_SUCCESS: a sign-in after four failures starts the count again. The token's did not (it
    sent no ``user_logged_in``), so the next mistyped password locked the account out at once."""
    address = "198.51.100.33"
    assert [sign_in("az_clerk", "wrong", address).status_code for _ in range(4)] == [400] * 4
    assert sign_in("az_clerk", PASSWORD, address).status_code == 200
    assert sign_in("az_clerk", "wrong", address).status_code == 400
    clerk.refresh_from_db()
    assert clerk.last_login is not None  # the accounts' list shows when an outside system last signed in


# --- using ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "header, message",
    [
        ("Token", "认证令牌HTTP头无效"),
        ("Token   ", "认证令牌HTTP头无效"),
        ("Token abc def", "不应该包含空格"),
        # A header reaches Django as Latin-1 (PEP 3333): a key typed in Chinese arrives as its UTF-8 bytes.
        ("Token " + "令牌".encode().decode("latin-1"), "认证令牌无效"),
        ("Token \xff\xfe", "非法的字符"),
        ("Token " + "a" * 10_000, "认证令牌无效"),
        ("Token " + "0" * 40, "认证令牌无效"),
        ("Bearer abc", "身份认证信息未提供"),
    ],
    ids=["no-key", "blank-key", "two-keys", "chinese", "not-utf8", "10000-chars", "unknown", "other-scheme"],
)
def test_a_malformed_or_unknown_token_is_a_chinese_401_naming_the_scheme(clerk, header, message):
    Token.objects.create(user=clerk)
    response = Client().get("/api/v1/parcels/", HTTP_AUTHORIZATION=header)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    assert message in response.json()["detail"]


def test_a_deactivated_account_s_token_stops_at_once(clerk):
    key = sign_in("az_clerk", PASSWORD).json()["token"]
    clerk.is_active = False
    clerk.save()
    response = call(key)
    assert response.status_code == 401 and response.json()["detail"] == "用户未激活或者已删除。"
    assert response["WWW-Authenticate"] == "Token"


def test_a_deleted_account_s_token_is_gone_with_it(clerk):
    key = sign_in("az_clerk", PASSWORD).json()["token"]
    clerk.delete()
    assert not Token.objects.filter(key=key).exists()
    assert call(key).status_code == 401


def test_a_token_follows_its_account_to_its_new_county(clerk, xiangning):
    anze_parcel = ParcelFactory(county=clerk.region)
    xiangning_parcel = ParcelFactory(county=xiangning)
    key = sign_in("az_clerk", PASSWORD).json()["token"]
    assert [row["id"] for row in call(key).json()["results"]] == [anze_parcel.pk]
    clerk.region = xiangning
    clerk.save()
    assert [row["id"] for row in call(key).json()["results"]] == [xiangning_parcel.pk]
    assert call(key, f"/api/v1/parcels/{anze_parcel.pk}/").status_code == 404
    clerk.role = ""
    clerk.save()
    assert call(key).status_code == 403  # an account whose role is taken away reads nothing


def test_a_password_set_by_the_administrator_revokes_the_token(clerk, administrator):
    key = sign_in("az_clerk", PASSWORD).json()["token"]
    page = administrator.get(reverse("admin:auth_user_password_change", args=[clerk.pk]))
    assert "API 令牌随即作废" in page.content.decode()
    response = administrator.post(
        reverse("admin:auth_user_password_change", args=[clerk.pk]),
        {"usable_password": "true", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )
    assert response.status_code == 302
    assert call(key).status_code == 401
    # On the token's record, key masked, besides the administrator's own entry for the password.
    revoked = LogEntry.objects.filter(content_type__model="apitoken", action_flag=DELETION).get()
    assert (revoked.object_id, revoked.change_message) == (
        str(clerk.pk),
        "账号密码重设或禁用，令牌随之作废。",
    )
    assert revoked.object_repr == f"{key[:4]}…{key[-2:]}"
    # The outside system signs in again with the new password.
    new_key = sign_in("az_clerk", NEW_PASSWORD).json()["token"]
    assert new_key != key and call(new_key).status_code == 200


def test_password_sign_in_switched_off_by_the_administrator_revokes_the_token(clerk, administrator):
    key = sign_in("az_clerk", PASSWORD).json()["token"]
    response = administrator.post(
        reverse("admin:auth_user_password_change", args=[clerk.pk]),
        {"usable_password": "false", "unset-password": "1"},
    )
    assert response.status_code == 302
    clerk.refresh_from_db()
    assert not clerk.has_usable_password()
    assert call(key).status_code == 401


def test_a_password_changed_by_its_owner_revokes_the_token(clerk):
    key = sign_in("az_clerk", PASSWORD).json()["token"]
    clerk.apply_role()  # into the admin, where each account changes its own password
    clerk.save()
    browser = Client()
    browser.force_login(clerk)
    response = browser.post(
        "/admin/password_change/",
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert response.status_code == 302 and response["Location"] == "/admin/password_change/done/"
    assert call(key).status_code == 401


def test_saving_an_account_without_a_new_password_keeps_its_token(clerk, settings):
    key = sign_in("az_clerk", PASSWORD).json()["token"]
    clerk.first_name = "华"
    clerk.save()
    # Signing in again under a stronger hasher re-hashes the unchanged password: still the same token.
    settings.PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",
        "django.contrib.auth.hashers.MD5PasswordHasher",
    ]
    again = sign_in("az_clerk", PASSWORD)
    clerk.refresh_from_db()
    assert clerk.password.startswith("pbkdf2_sha256$")
    assert again.json()["token"] == key and call(key).status_code == 200


# --- the administrator's pages and the record -------------------------------------------------------------


def test_only_the_administrator_sees_the_tokens_page(clerk, anze):
    Token.objects.create(user=clerk)
    for role in (Role.COUNTY_CLERK, Role.COUNTY_OFFICE, Role.CITY_BUREAU):
        region = anze.parent if role == Role.CITY_BUREAU else anze
        browser = Client()
        browser.force_login(UserFactory(username=f"other_{role}", role=role, region=region))
        for url in (
            reverse("admin:leadership_apitoken_changelist"),
            reverse("admin:leadership_apitoken_change", args=[clerk.pk]),
            reverse("admin:leadership_apitoken_delete", args=[clerk.pk]),
        ):
            assert browser.get(url).status_code == 403, (role, url)
        assert "apitoken" not in browser.get("/admin/").content.decode()


def test_issuing_and_revoking_a_token_through_the_api_are_on_the_admin_s_record(clerk, administrator):
    key = sign_in("az_clerk", PASSWORD).json()["token"]
    assert sign_in("az_clerk", PASSWORD).json()["token"] == key  # asked again: the same token, no new entry
    history = administrator.get(reverse("admin:leadership_apitoken_history", args=[clerk.pk]))
    assert "通过 API 以用户名和密码取得" in history.content.decode() and key not in history.content.decode()
    response = Client().delete(TOKEN_URL, HTTP_AUTHORIZATION=f"Token {key}")
    assert response.status_code == 204
    entries = LogEntry.objects.filter(content_type__model="apitoken").order_by("pk")
    assert [(e.user_id, e.object_id, e.action_flag, e.change_message) for e in entries] == [
        (clerk.pk, str(clerk.pk), ADDITION, "通过 API 以用户名和密码取得。"),
        (clerk.pk, str(clerk.pk), DELETION, "通过 API 吊销。"),
    ]
    masked = f"{key[:4]}…{key[-2:]}"
    assert {e.object_repr for e in entries} == {masked}  # the key itself is on no record
