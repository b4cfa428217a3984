"""Writes on accounts that the API makes: an account's API token issued and revoked, on the admin's record."""

from django.contrib.admin.models import ADDITION, DELETION, LogEntry
from django.db import transaction
from rest_framework.authtoken.models import Token

from .models import ApiToken

TOKEN_ISSUED = "通过 API 以用户名和密码取得。"
TOKEN_REVOKED = "通过 API 吊销。"
TOKEN_REVOKED_WITH_PASSWORD = "账号密码重设或禁用，令牌随之作废。"


def _record(token, action_flag, message):
    # As the admin records the tokens it gives and revokes (ApiTokenAdmin): on the account's id, the key masked.
    LogEntry.objects.log_actions(
        user_id=token.user_id,
        queryset=[ApiToken(key=token.key, user_id=token.user_id)],
        action_flag=action_flag,
        change_message=message,
    )


@transaction.atomic
def token_issue(*, user):
    """The account's API token, issued now and recorded as given to the account by itself if it had none."""
    token, created = Token.objects.get_or_create(user=user)
    if created:
        _record(token, ADDITION, TOKEN_ISSUED)
    return token


@transaction.atomic
def token_revoke(*, user, why=TOKEN_REVOKED):
    """Revoke the account's API token, recorded on the account with ``why``."""
    for token in Token.objects.filter(user=user).select_for_update():
        _record(token, DELETION, why)  # first: deleting the token clears its key, its primary key
        token.delete()
