"""The administrator's pages for accounts and sign-in records: what they offer has an effect, in Chinese.

What an account may do follows its role and region (leadership.scope), and it signs in with its password
only; Django's user form offers permission groups, per-user permissions and switching password sign-in off,
none of which means anything here.
"""

import re

import pytest
from django.test import Client
from django.urls import reverse

from leadership.choices import Role
from leadership.models import Region, User
from tests.factories import UserFactory
from tests.test_every_page_every_role import ENGLISH_ON_PURPOSE, visible_text

pytestmark = pytest.mark.django_db


@pytest.fixture
def administrator(client, demo):
    client.force_login(UserFactory(username="city_admin", role=Role.ADMIN, is_superuser=True))
    return client


def test_the_account_form_offers_role_and_region_not_permissions_or_groups(administrator):
    clerk = User.objects.create_user("az_someone", password="x-Very-long-1", role=Role.COUNTY_CLERK)
    form = (
        administrator.get(reverse("admin:leadership_user_change", args=[clerk.pk])).context["adminform"].form
    )
    assert {"role", "region", "is_active"} <= set(form.fields)
    assert not {"groups", "user_permissions"} & set(form.fields)
    shown = shown_fields(administrator.get(reverse("admin:leadership_user_add")))
    assert shown == ["username", "password1", "password2", "role", "region"]


def shown_fields(response):
    """The names of the fields a page's admin form shows, in order."""
    return [
        field.field.name for fieldset in response.context["adminform"] for line in fieldset for field in line
    ]


def test_an_account_added_in_the_admin_signs_in_with_its_password_and_role(administrator):
    anze = Region.objects.get(code="141026")
    response = administrator.post(
        reverse("admin:leadership_user_add"),
        {
            "username": "az_new_clerk",
            "password1": "Anze-clerk-2026",
            "password2": "Anze-clerk-2026",
            "role": Role.COUNTY_CLERK,
            "region": anze.pk,
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    account = User.objects.get(username="az_new_clerk")
    assert (account.role, account.region, account.has_usable_password()) == (Role.COUNTY_CLERK, anze, True)
    # As manage.py create_account makes one: the account works in the admin, and is no superuser.
    assert (account.is_staff, account.is_superuser) == (True, False)
    signed_in = Client().post(
        reverse("admin:login"), {"username": "az_new_clerk", "password": "Anze-clerk-2026"}, follow=True
    )
    assert signed_in.context["user"].username == "az_new_clerk"


def test_the_password_page_says_in_chinese_that_switching_password_sign_in_off_locks_the_account_out(
    administrator,
):
    clerk = User.objects.create_user("az_someone", password="x-Very-long-1", role=Role.COUNTY_CLERK)
    page = administrator.get(reverse("admin:auth_user_password_change", args=[clerk.pk]))
    text = page.content.decode()
    assert "禁用后该用户不能再登录" in text and "禁用后，该用户当前的密码即作废" in text
    assert "LDAP" not in text and "If disabled" not in text
    add_page = administrator.get(reverse("admin:leadership_user_add")).content.decode()
    assert "创建用户后，可再填写其姓名、电子邮箱和权限等信息。" in add_page


def test_the_sign_in_records_are_named_in_chinese(administrator):
    index = administrator.get(reverse("admin:index")).content.decode()
    assert "登录失败锁定" in index and "登录失败记录" in index and "登录日志" in index
    for name in ("accessattempt", "accesslog", "accessfailurelog"):
        page = administrator.get(reverse(f"admin:axes_{name}_changelist")).content.decode()
        # django-axes writes "<unknown>" as the path of a sign-in without a request (force_login's).
        text = visible_text(page, ()).replace("city_admin", "").replace("<unknown>", "")
        assert set(re.findall(r"[A-Za-z]{3,}", text)) <= ENGLISH_ON_PURPOSE, name


def test_api_tokens_are_listed_given_and_revoked_without_their_keys_ever_shown(administrator):
    from rest_framework.authtoken.models import Token

    clerk = User.objects.create_user("az_someone", password="x-Very-long-1", role=Role.COUNTY_CLERK)
    key = Token.objects.create(user=clerk).key
    masked = f"{key[:4]}…{key[-2:]}"
    changelist = reverse("admin:leadership_apitoken_changelist")
    pages = {
        changelist: administrator.get(changelist),
        "view": administrator.get(reverse("admin:leadership_apitoken_change", args=[clerk.pk])),
        "delete": administrator.get(reverse("admin:leadership_apitoken_delete", args=[clerk.pk])),
        "account's delete": administrator.get(reverse("admin:leadership_user_delete", args=[clerk.pk])),
    }
    for name, page in pages.items():
        text = page.content.decode()
        assert page.status_code == 200 and key not in text and masked in text, name
        assert "&lt;a href" not in text, name  # the links of a deletion's list stay links
    # The token is read, not edited: it cannot be moved to another account.
    assert not pages["view"].context["has_change_permission"]
    # Revoked: the key no longer signs in to the API.
    response = administrator.post(
        reverse("admin:leadership_apitoken_delete", args=[clerk.pk]), {"post": "yes"}
    )
    assert response.status_code == 302 and not Token.objects.filter(key=key).exists()
    assert Client().get("/api/v1/parcels/", HTTP_AUTHORIZATION=f"Token {key}").status_code == 401
    # Given again: a new key, which the account asks for with its password.
    response = administrator.post(reverse("admin:leadership_apitoken_add"), {"user": clerk.pk})
    assert response.status_code == 302
    new = Token.objects.get(user=clerk).key
    assert new != key and new not in administrator.get(changelist).content.decode()
    # An account holds one token: a second is refused on the form, and the first stays.
    again = administrator.post(reverse("admin:leadership_apitoken_add"), {"user": clerk.pk})
    assert again.status_code == 200 and again.context["adminform"].form.errors
    assert list(Token.objects.filter(user=clerk).values_list("key", flat=True)) == [new]


def test_clearing_expired_sign_in_failures_says_in_chinese_how_many_went(administrator):
    import datetime as dt

    from axes.models import AccessAttempt
    from django.utils import timezone

    seen = dict(
        user_agent="Mozilla/5.0", ip_address="10.0.0.9", http_accept="text/html", path_info="/admin/login/"
    )
    old = AccessAttempt.objects.create(
        **seen, username="old", get_data="", post_data="", failures_since_start=5
    )
    AccessAttempt.objects.filter(pk=old.pk).update(attempt_time=timezone.now() - dt.timedelta(days=2))
    recent = AccessAttempt.objects.create(
        **seen, username="recent", get_data="", post_data="", failures_since_start=1
    )
    response = administrator.post(
        reverse("admin:axes_accessattempt_changelist"),
        {"action": "cleanup_expired_attempts", "_selected_action": [recent.pk]},
        follow=True,
    )
    assert [str(message) for message in response.context["messages"]] == ["已清除 1 条过期的登录失败记录。"]
    assert list(AccessAttempt.objects.values_list("username", flat=True)) == ["recent"]


# --- Django's flags follow the role ----------------------------------------------------------------------


def change_account(client, account, **changes):
    from tests.admin_forms import admin_form_data

    url = reverse("admin:leadership_user_change", args=[account.pk])
    return client.post(url, admin_form_data(client.get(url), **changes))


def test_an_administrator_turned_clerk_loses_the_administrators_pages(administrator):
    """is_admin reads is_superuser: an administrator given the clerk's role in the admin kept it, and with it
    every county's data and every account."""
    anze = Region.objects.get(code="141026")
    other = UserFactory(username="other_admin", role=Role.ADMIN, is_superuser=True, is_staff=True)
    response = change_account(administrator, other, role=Role.COUNTY_CLERK, region=anze.pk)
    assert response.status_code == 302, response.context["adminform"].form.errors
    other.refresh_from_db()
    assert (other.role, other.region) == (Role.COUNTY_CLERK, anze)
    assert (other.is_staff, other.is_superuser) == (True, False)
    demoted = Client()
    demoted.force_login(other)
    assert demoted.get(reverse("admin:leadership_user_changelist")).status_code == 403
    xiangning = reverse("admin:parcels_parcel_changelist") + "?county__code=141029"
    assert "XN2022-001" not in demoted.get(xiangning).content.decode()
    # And back: the administrator role is the superuser again.
    change_account(administrator, other, role=Role.ADMIN, region="")
    other.refresh_from_db()
    assert (other.role, other.is_staff, other.is_superuser) == (Role.ADMIN, True, True)


def test_the_flags_are_shown_not_edited(administrator):
    clerk = UserFactory(username="az_flags", role=Role.COUNTY_CLERK, region=Region.objects.get(code="141026"))
    page = administrator.get(reverse("admin:leadership_user_change", args=[clerk.pk]))
    editable = set(page.context["adminform"].form.fields)
    assert not {"is_staff", "is_superuser", "last_login", "date_joined"} & editable
    assert "只有“系统管理员”角色是超级用户" in page.content.decode()
    data = {"is_superuser": "on", "is_staff": "on"}
    response = change_account(administrator, clerk, **data)
    assert response.status_code == 302
    clerk.refresh_from_db()
    assert (clerk.is_staff, clerk.is_superuser) == (True, False)


def test_an_account_without_a_role_keeps_its_flags(administrator):
    """createsuperuser makes an account with no role: editing its e-mail leaves it the superuser it is."""
    root = User.objects.create_superuser("root", "root@example.cn", "Root-pass-2026")
    response = change_account(administrator, root, email="root@linfen.cn")
    assert response.status_code == 302, response.context["adminform"].form.errors
    root.refresh_from_db()
    assert (root.email, root.role, root.is_staff, root.is_superuser) == ("root@linfen.cn", "", True, True)


def test_an_administrator_cannot_take_the_role_off_their_own_account(client, demo):
    me = UserFactory(username="only_admin", role=Role.ADMIN, is_superuser=True, is_staff=True)
    client.force_login(me)
    anze = Region.objects.get(code="141026")
    response = change_account(client, me, role=Role.COUNTY_CLERK, region=anze.pk)
    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {
        "role": ["不能取消自己账号的“系统管理员”角色：请由另一位系统管理员修改。"]
    }
    me.refresh_from_db()
    assert (me.role, me.region, me.is_superuser) == (Role.ADMIN, None, True)
    # Their other details they change as anyone's.
    assert change_account(client, me, email="me@linfen.cn").status_code == 302
