"""Tasks, milestones and rectification items: the rules of DOMAIN.md §3–§4."""

import datetime
from decimal import Decimal

import pytest

from tasks import services
from tasks.models import CountyTask, RectificationItem
from tests.helpers import refused

pytestmark = pytest.mark.django_db

D = datetime.date


def make_task(county, **fields):
    values = dict(county=county, year=2023, category="both", target_area_mu=Decimal("60"))
    values.update(fields)
    return services.task_create(**values)


def test_a_task_without_milestones_gets_the_notices_defaults(anze):
    task = make_task(anze)
    assert [(m.due, m.target_rate) for m in task.milestones.order_by("due")] == [
        (D(2023, 5, 31), Decimal("25.00")),
        (D(2023, 6, 30), Decimal("50.00")),
        (D(2023, 9, 30), Decimal("85.00")),
        (D(2023, 11, 30), Decimal("100.00")),
    ]


def test_a_task_period_defaults_to_its_calendar_year(anze):
    task = make_task(anze)
    assert (task.start_date, task.end_date) == (D(2023, 1, 1), D(2023, 12, 31))


def test_custom_milestones_are_kept(anze):
    task = make_task(anze, milestones=[(D(2023, 8, 31), Decimal("40")), (D(2023, 12, 15), Decimal("100"))])
    assert [(m.due, m.target_rate) for m in task.milestones.order_by("due")] == [
        (D(2023, 8, 31), Decimal("40.00")),
        (D(2023, 12, 15), Decimal("100.00")),
    ]


def test_milestone_rates_must_rise_with_dates(anze):
    with refused("milestones", "不高于"):
        make_task(
            anze,
            milestones=[
                (D(2023, 6, 30), Decimal("50")),
                (D(2023, 9, 30), Decimal("40")),
                (D(2023, 11, 30), Decimal("100")),
            ],
        )


def test_the_last_milestone_must_be_100(anze):
    with refused("milestones", "应为 100%"):
        make_task(anze, milestones=[(D(2023, 6, 30), Decimal("50")), (D(2023, 11, 30), Decimal("90"))])


def test_milestones_must_fall_inside_the_task_period(anze):
    with refused("milestones", "不在任务期"):
        make_task(anze, milestones=[(D(2024, 1, 15), Decimal("100"))])


def test_milestone_dates_cannot_repeat(anze):
    with refused("milestones", "不能重复"):
        make_task(anze, milestones=[(D(2023, 6, 30), Decimal("50")), (D(2023, 6, 30), Decimal("100"))])


@pytest.mark.parametrize("target", [Decimal("0"), Decimal("-3")])
def test_a_task_target_must_be_positive(anze, target):
    with refused("target_area_mu", "大于 0"):
        make_task(anze, target_area_mu=target)


def test_a_county_has_one_task_per_year_and_category(anze):
    make_task(anze, category="unsupplied")
    with refused("category", "已有“批而未供”任务"):
        make_task(anze, category="unsupplied")


def test_a_both_task_cannot_sit_beside_a_single_kind_task(anze):
    make_task(anze, category="idle")
    with refused("category", "重复计算"):
        make_task(anze, category="both")


def test_replacing_milestones_keeps_history_of_each(anze, superuser):
    task = make_task(anze, user=superuser)
    services.task_save(
        task=task,
        milestones=[(D(2023, 6, 30), Decimal("60")), (D(2023, 11, 30), Decimal("100"))],
        user=superuser,
    )
    assert list(task.milestones.order_by("due").values_list("target_rate", flat=True)) == [
        Decimal("60.00"),
        Decimal("100.00"),
    ]
    deleted = task.milestones.model.history.filter(history_type="-").count()
    assert deleted == 2  # 31 May and 30 Sept
    assert CountyTask.history.filter(id=task.pk).first().history_user == superuser


def test_a_closed_rectification_item_needs_evidence(xiangning):
    item = RectificationItem(county=xiangning, title="整改", status="closed", completed_date=D(2022, 9, 30))
    with refused("evidence", "佐证材料"):
        services.rectification_save(item=item)


def test_an_item_past_its_deadline_and_not_done_is_overdue(xiangning):
    item = services.rectification_save(
        item=RectificationItem(county=xiangning, title="整改", deadline=D(2022, 9, 15))
    )
    assert item.is_overdue(D(2022, 9, 16))
    assert not item.is_overdue(D(2022, 9, 15))
    item.status, item.completed_date = "done", D(2022, 9, 20)
    services.rectification_save(item=item)
    assert not item.is_overdue(D(2022, 10, 1))
