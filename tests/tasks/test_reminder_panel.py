"""The dashboard's reminders panel (tasks.reminders.reminder_panel): the head of the full list."""

import datetime

import pytest

from tasks.reminders import reminder_panel, reminders_for
from tests.factories import ParcelFactory

pytestmark = pytest.mark.django_db

D = datetime.date


def test_approvals_of_28_and_29_february_lapse_on_the_same_day_and_the_panel_keeps_both(regions, superuser):
    """Two full years after 2020-02-28 and after 2020-02-29 both end with 2022-02-28 (2022 has no 29th):
    both approvals lapse from 2022-03-01. Tied on that date, the list orders them by title, so 地块 LA
    (approved on the 29th) comes before 地块 LB (the 28th): the panel's one reminder must be LA's, although
    LB's approval is the earlier."""
    anze = regions["141026"]
    for code, approved in (("LB", D(2020, 2, 28)), ("LA", D(2020, 2, 29)), ("LC", D(2020, 3, 1))):
        ParcelFactory(county=anze, code=code, expropriation_status="not_started", approval_date=approved)
    as_of = D(2022, 6, 1)
    everything = reminders_for(superuser, as_of)
    assert [(item.due, item.title[:5]) for item in everything] == [
        (D(2022, 3, 1), "地块 LA"),
        (D(2022, 3, 1), "地块 LB"),
        (D(2022, 3, 2), "地块 LC"),
    ]
    for limit in (1, 2, 3):
        panel = reminder_panel(superuser, as_of, limit)
        assert (panel.items, panel.total, panel.capped) == (everything[:limit], 3, False)
