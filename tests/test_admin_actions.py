"""Every action of every list in the admin, run by the administrator on a row of the demo: none answers a
server error. The actions come from the admin registry, so that one added later is run too.

django-axes' "clean up expired attempts" answered 500 before LandTrack did it itself (leadership.admin).
"""

import datetime as dt

import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib import admin
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone
from rest_framework.authtoken.models import Token

from leadership.choices import Role
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def registered_actions():
    """(model label, action name) of every action the admin offers an administrator, on each model."""
    administrator = UserFactory.build(username="lister", role=Role.ADMIN, is_superuser=True)
    request = RequestFactory().get("/admin/")
    request.user = administrator
    return [
        (model._meta.label, name)
        for model, model_admin in admin.site._registry.items()
        for name in model_admin.get_actions(request)
    ]


ACTIONS = registered_actions()


def test_the_admin_offers_actions_to_run():
    # The list below is not empty, and holds the actions LandTrack itself defines.
    assert ("axes.AccessAttempt", "cleanup_expired_attempts") in ACTIONS
    assert ("tasks.RectificationItem", "delete_selected") in ACTIONS


@pytest.mark.parametrize(("label", "action"), ACTIONS, ids=[f"{label}.{name}" for label, name in ACTIONS])
def test_every_admin_action_answers_without_a_server_error(label, action, demo, client):
    from django.apps import apps

    administrator = UserFactory(username="runner", role=Role.ADMIN, is_superuser=True)
    client.force_login(administrator)
    Token.objects.create(user=UserFactory(username="holder"))
    seen = dict(user_agent="Mozilla/5.0", ip_address="10.0.0.9", username="someone", http_accept="text/html")
    attempt = AccessAttempt.objects.create(
        **seen, path_info="/admin/login/", get_data="", post_data="", failures_since_start=5
    )
    AccessAttempt.objects.filter(pk=attempt.pk).update(attempt_time=timezone.now() - dt.timedelta(days=2))
    AccessLog.objects.create(**seen, path_info="/admin/login/", attempt_time=timezone.now())
    AccessFailureLog.objects.create(
        **seen, path_info="/admin/login/", attempt_time=timezone.now(), locked_out=False
    )

    model = apps.get_model(label)
    model_admin = admin.site._registry[model]
    row = model_admin.get_queryset(_request(administrator)).order_by("pk").first()
    assert row is not None, f"the demo holds no {label} to run {action} on"
    changelist = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
    chosen = {"action": action, "_selected_action": [row.pk]}
    asked = client.post(changelist, chosen)
    assert asked.status_code in (200, 302), asked.status_code
    done = client.post(changelist, {**chosen, "post": "yes"})
    assert done.status_code in (200, 302), done.status_code


def _request(user):
    request = RequestFactory().get("/admin/")
    request.user = user
    return request
