"""An id no integer column can hold (beyond 64 bits) matches nothing, wherever a list of ids comes in.

SQLite cannot bind such a value at all (OverflowError): before landtrack.lookups.InIntegerRange, a choice
of several rows in an admin form or an admin action's selection naming one answered 500 there.
"""

import pytest
from django.urls import reverse

from leadership.choices import Role
from leadership.models import Unit
from tasks.models import RectificationItem
from tests.helpers import database_snapshot

pytestmark = pytest.mark.django_db

BEYOND = [2**63, -(2**63) - 1, 10**20]


def test_an_in_lookup_skips_the_ids_no_column_holds_and_keeps_the_rest(demo):
    unit = Unit.objects.order_by("pk").first()
    assert list(Unit.objects.filter(pk__in=[*BEYOND, unit.pk])) == [unit]
    assert not Unit.objects.filter(pk__in=BEYOND).exists()
    # The edges of the range are ids like any other: kept, and matching nothing here.
    assert not Unit.objects.filter(pk__in=[2**63 - 1, -(2**63)]).exists()


def test_an_admin_action_naming_such_an_id_selects_nothing_and_changes_nothing(login):
    client = login("xn_office", Role.COUNTY_OFFICE, "141029")
    own = RectificationItem.objects.filter(county__code="141029").order_by("pk").first()
    before = database_snapshot()
    response = client.post(
        reverse("admin:tasks_rectificationitem_changelist"),
        {"action": "delete_selected", "_selected_action": [str(2**64), str(own.pk)]},
    )
    assert response.status_code == 200  # the confirmation page, for the one item that exists
    page = response.content.decode()
    assert 'name="post"' in page and own.title in page
    response = client.post(
        reverse("admin:tasks_rectificationitem_changelist"),
        {"action": "delete_selected", "_selected_action": [str(2**64)]},
    )
    assert response.status_code == 200  # a confirmation naming nothing
    assert own.title not in response.content.decode()
    assert database_snapshot() == before
