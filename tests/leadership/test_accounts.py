"""Accounts, tokens and sign-in protection."""

import pytest
from django.core.management import CommandError, call_command
from rest_framework.test import APIClient

from leadership.models import User

pytestmark = pytest.mark.django_db

STRONG = "Anze-clerk-2023!"


def test_create_account_ties_a_role_to_a_region(regions, capsys):
    call_command("create_account", "anze_clerk", role="county_clerk", region="141026", password=STRONG)
    user = User.objects.get(username="anze_clerk")
    assert (user.role, user.region.code, user.is_staff, user.is_superuser) == (
        "county_clerk",
        "141026",
        True,
        False,
    )
    assert user.check_password(STRONG)
    assert "已创建账号 anze_clerk" in capsys.readouterr().out


def test_create_account_without_password_prints_a_generated_one(regions, capsys):
    call_command("create_account", "city_user", role="city_bureau", region="141000")
    out = capsys.readouterr().out
    password = out.split("初始密码：")[1].strip()
    assert User.objects.get(username="city_user").check_password(password)


@pytest.mark.parametrize(
    "options, message",
    [
        ({"role": "mayor", "region": "141026"}, "角色“mayor”无效"),
        ({"role": "county_clerk", "region": "999999"}, "区划代码“999999”不存在"),
        ({"role": "county_clerk", "region": "141000"}, "应为县（市、区）级"),
        ({"role": "city_bureau", "region": "141026"}, "应为市级"),
        ({"role": "county_office"}, "必须用 --region"),
        ({"role": "county_clerk", "region": "141026", "password": "123"}, "密码太短"),
    ],
)
def test_create_account_refuses_bad_roles_regions_and_passwords(regions, options, message):
    with pytest.raises(CommandError, match=message):
        call_command("create_account", "someone", **options)
    assert not User.objects.filter(username="someone").exists()


def test_create_account_exits_non_zero_from_the_shell(tmp_path):
    import os
    import subprocess
    import sys

    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'shell.sqlite3'}"}
    result = subprocess.run(
        [sys.executable, "manage.py", "create_account", "x", "--role", "bogus", "--region", "141026"],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert result.returncode != 0
    assert "bogus" in result.stderr


def test_a_token_is_issued_for_good_credentials_and_revoked_on_delete(regions):
    call_command("create_account", "anze_clerk", role="county_clerk", region="141026", password=STRONG)
    client = APIClient()
    response = client.post(
        "/api/v1/auth/token/", {"username": "anze_clerk", "password": STRONG}, format="json"
    )
    assert response.status_code == 200
    token = response.json()["token"]
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert client.get("/api/v1/parcels/").status_code == 200
    assert client.delete("/api/v1/auth/token/").status_code == 204
    assert client.get("/api/v1/parcels/").status_code == 401


def test_drf_create_token_gives_a_working_token(regions, capsys):
    call_command("create_account", "anze_clerk", role="county_clerk", region="141026", password=STRONG)
    call_command("drf_create_token", "anze_clerk")
    token = capsys.readouterr().out.split("token ")[1].split()[0]
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert client.get("/api/v1/regions/141026/").json()["name"] == "安泽县"


def test_bad_credentials_are_refused_in_chinese(regions):
    response = APIClient().post("/api/v1/auth/token/", {"username": "nobody", "password": "x"}, format="json")
    assert response.status_code == 400
    assert response.json() == {"non_field_errors": ["用户名或密码错误。"]}


def test_an_invalid_token_is_401(regions):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token not-a-token")
    assert client.get("/api/v1/parcels/").status_code == 401


def test_five_failures_lock_the_username_from_that_address(regions, settings):
    call_command("create_account", "anze_clerk", role="county_clerk", region="141026", password=STRONG)
    client = APIClient(REMOTE_ADDR="10.1.1.1")
    statuses = [
        client.post(
            "/api/v1/auth/token/", {"username": "anze_clerk", "password": "wrong"}, format="json"
        ).status_code
        for _ in range(5)
    ]
    assert statuses == [400, 400, 400, 400, 429]  # the fifth failure locks the pair out
    locked = client.post("/api/v1/auth/token/", {"username": "anze_clerk", "password": STRONG}, format="json")
    assert locked.status_code == 429
    assert "锁定" in locked.json()["detail"] and "30 分钟后再试" in locked.json()["detail"]
    assert locked["Retry-After"] == "1800"  # the cool-off, 30 minutes, for a program to wait before asking again
    # The same account from another address, and another account from this address, still sign in.
    elsewhere = APIClient(REMOTE_ADDR="10.2.2.2")
    assert (
        elsewhere.post(
            "/api/v1/auth/token/", {"username": "anze_clerk", "password": STRONG}, format="json"
        ).status_code
        == 200
    )


def test_the_admin_login_is_locked_too(regions, client):
    call_command("create_account", "anze_clerk", role="county_clerk", region="141026", password=STRONG)
    for _ in range(5):
        client.post("/admin/login/", {"username": "anze_clerk", "password": "wrong"}, REMOTE_ADDR="10.3.3.3")
    response = client.post(
        "/admin/login/", {"username": "anze_clerk", "password": STRONG}, REMOTE_ADDR="10.3.3.3"
    )
    assert response.status_code == 429
    assert "锁定" in response.content.decode()
    assert response["Retry-After"] == "1800"


def test_session_cookies_are_http_only_and_same_site(settings):
    assert settings.SESSION_COOKIE_HTTPONLY is True
    assert settings.SESSION_COOKIE_SAMESITE in ("Lax", "Strict")
    assert len(settings.AUTH_PASSWORD_VALIDATORS) == 4


def test_a_client_still_sending_its_revoked_token_can_sign_in_again(regions):
    call_command("create_account", "anze_clerk", role="county_clerk", region="141026", password=STRONG)
    client = APIClient()
    token = client.post("/api/v1/auth/token/", {"username": "anze_clerk", "password": STRONG}, format="json")
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.json()['token']}")
    assert client.delete("/api/v1/auth/token/").status_code == 204
    assert client.get("/api/v1/parcels/").status_code == 401
    again = client.post("/api/v1/auth/token/", {"username": "anze_clerk", "password": STRONG}, format="json")
    assert again.status_code == 200 and again.json()["token"] != token.json()["token"]


def test_revoking_needs_a_valid_token(regions):
    assert APIClient().delete("/api/v1/auth/token/").status_code == 401
