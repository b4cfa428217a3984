"""A rectification item overdue as of a date (DOMAIN.md §3: deadline passed and not done), judged by what was
done by that date: an item done after it was still overdue then.

The item here: deadline 1 May 2023, done (已完成) on 1 June 2023. The deadline day itself is not overdue;
from 2 May to 31 May it was overdue; from 1 June, the day it was done, it is not.
"""

import datetime

import pytest
from django.utils import timezone

from tasks import services
from tasks.models import RectificationItem
from tasks.reminders import reminders_for

pytestmark = pytest.mark.django_db

D = datetime.date
OVERDUE_ON = {
    D(2023, 4, 30): False,
    D(2023, 5, 1): False,  # the deadline itself
    D(2023, 5, 2): True,
    D(2023, 5, 15): True,
    D(2023, 5, 31): True,
    D(2023, 6, 1): False,  # done that day
    D(2023, 6, 2): False,
}


def save(item, **fields):
    for name, value in fields.items():
        setattr(item, name, value)
    return services.rectification_save(item=item)


@pytest.fixture
def done_late(anze):
    item = save(RectificationItem(county=anze, title="清理批而未供土地", deadline=D(2023, 5, 1)))
    return save(item, status="done", completed_date=D(2023, 6, 1))


@pytest.mark.parametrize("as_of, overdue", OVERDUE_ON.items())
def test_an_item_done_after_its_deadline_was_overdue_until_the_day_it_was_done(done_late, as_of, overdue):
    assert done_late.is_overdue(as_of) is overdue
    assert list(RectificationItem.objects.overdue(as_of)) == ([done_late] if overdue else [])


def test_as_of_today_an_item_done_or_closed_is_not_overdue_and_one_not_done_is(done_late, anze):
    closed = save(
        RectificationItem(county=anze, title="销号事项", deadline=D(2023, 5, 1)),
        status="done",
        completed_date=D(2023, 5, 20),
    )
    closed = save(closed, status="closed", evidence="验收意见")
    reopened = save(
        RectificationItem(county=anze, title="重新整改", deadline=D(2023, 5, 1)),
        status="done",
        completed_date=D(2023, 4, 20),
    )
    reopened = save(reopened, status="in_progress", completed_date=None)
    today = timezone.localdate()
    assert [done_late.is_overdue(), closed.is_overdue(), reopened.is_overdue()] == [False, False, True]
    assert list(RectificationItem.objects.overdue(today)) == [reopened]
    # Closed on 20 May: overdue from 2 to 19 May. The reopened item keeps no date done: overdue since 2 May.
    assert [closed.is_overdue(D(2023, 5, 19)), closed.is_overdue(D(2023, 5, 20))] == [True, False]
    assert reopened.is_overdue(D(2023, 5, 2))


def test_the_reminders_are_of_what_was_still_to_do_on_the_date(done_late, office_anze):
    def shown(as_of):
        return [(item.due, item.days_left, item.title) for item in reminders_for(office_anze, as_of)]

    # 20 April: due in 11 days; 15 May: 14 days overdue, done on 1 June; from 1 June: nothing.
    assert shown(D(2023, 4, 20)) == [
        (D(2023, 5, 1), 11, "整改事项“清理批而未供土地”即将到期（2023年6月1日完成）")
    ]
    assert shown(D(2023, 5, 15)) == [
        (D(2023, 5, 1), -14, "整改事项“清理批而未供土地”已逾期（2023年6月1日完成）")
    ]
    assert shown(D(2023, 6, 1)) == []
    assert shown(timezone.localdate()) == []


def test_the_dashboard_shows_the_item_overdue_as_of_a_date_before_it_was_done(client, done_late, office_anze):
    client.force_login(office_anze)
    page = client.get("/dashboard/reminders/", {"as_of": "2023-05-15"})
    assert [(item.kind, item.days_left) for item in page.context["reminders"]] == [("rectification", -14)]
    assert "逾期 14 天" in page.content.decode()
    for as_of, overdue in (("2023-05-01", False), ("2023-05-15", True), ("2023-06-01", False)):
        listed = client.get("/dashboard/141026/rectifications/", {"as_of": as_of}).context
        assert [item.overdue_now for item in listed["items"]] == [overdue]
        assert listed["overdue"] == int(overdue)
    assert client.get("/dashboard/141026/rectifications/").context["overdue"] == 0  # today
