"""Tasks, milestones and rectification items: the rules of DOMAIN.md §3–§4."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from tasks import services
from tasks.models import Campaign, CountyTask, Milestone, RectificationItem
from tests.helpers import database_snapshot, refused

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
    item = services.rectification_save(
        item=RectificationItem(county=xiangning, title="整改", status="done", completed_date=D(2022, 9, 30))
    )
    item.status = "closed"
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


# A milestone saved or deleted on its own, as in the shell, is judged against its task's other milestones:
# the set stays valid after every single change. The task here has 25/50/85/100 % at 31 May, 30 June,
# 30 Sept and 30 Nov 2023 (the defaults).


def test_a_single_milestone_that_falls_below_an_earlier_one_is_refused_in_the_shell(anze):
    task = make_task(anze)
    september = task.milestones.get(due=D(2023, 9, 30))
    september.target_rate = Decimal("45")  # below 50 % at 30 June
    with refused("target_rate", "2023年9月30日 的 45% 不高于 2023年6月30日 的 50.00%"):
        september.save()


def test_a_single_milestone_above_a_later_one_is_refused_in_the_shell(anze):
    task = make_task(anze)
    june = task.milestones.get(due=D(2023, 6, 30))
    june.target_rate = Decimal("90")  # above 85 % at 30 Sept
    with refused("target_rate", "2023年9月30日 的 85.00% 不高于 2023年6月30日 的 90%"):
        june.save()


def test_lowering_the_last_milestone_below_100_is_refused_in_the_shell(anze):
    task = make_task(anze)
    november = task.milestones.get(due=D(2023, 11, 30))
    november.target_rate = Decimal("95")
    with refused("target_rate", "最后一个节点（2023年11月30日）的目标应为 100%"):
        november.save()


def test_a_new_milestone_after_the_100_percent_one_is_refused_in_the_shell(anze):
    task = make_task(anze)
    with refused("target_rate", "2023年12月15日 的 100% 不高于 2023年11月30日 的 100.00%"):
        Milestone(task=task, due=D(2023, 12, 15), target_rate=Decimal("100")).save()


def test_a_new_milestone_outside_the_task_period_is_refused_in_the_shell(anze):
    task = make_task(anze)
    with refused("due", "不在任务期 2023年1月1日 至 2023年12月31日 内"):
        Milestone(task=task, due=D(2022, 12, 31), target_rate=Decimal("10")).save()


def test_a_milestone_that_fits_between_its_neighbours_is_saved_in_the_shell(anze):
    task = make_task(anze)
    Milestone(task=task, due=D(2023, 8, 31), target_rate=Decimal("70")).save()  # 50 < 70 < 85
    assert list(task.milestones.values_list("target_rate", flat=True)) == [
        Decimal("25.00"),
        Decimal("50.00"),
        Decimal("70.00"),
        Decimal("85.00"),
        Decimal("100.00"),
    ]


def test_deleting_the_100_percent_milestone_alone_is_refused_in_the_shell(anze):
    task = make_task(anze)
    before = database_snapshot()
    with pytest.raises(
        ValidationError, match="删除 2023年11月30日 的节点后：最后一个节点（2023年9月30日）的目标应为 100%"
    ):
        task.milestones.get(due=D(2023, 11, 30)).delete()
    assert database_snapshot() == before


def test_deleting_a_tasks_only_milestone_is_refused_in_the_shell(anze):
    task = make_task(anze, milestones=[(D(2023, 11, 30), Decimal("100"))])
    before = database_snapshot()
    with pytest.raises(ValidationError, match="任务至少需要一个时间节点"):
        task.milestones.get().delete()
    assert database_snapshot() == before


def test_deleting_a_middle_milestone_in_the_shell_leaves_a_valid_set(anze):
    task = make_task(anze)
    task.milestones.get(due=D(2023, 6, 30)).delete()
    assert list(task.milestones.values_list("target_rate", flat=True)) == [
        Decimal("25.00"),
        Decimal("85.00"),
        Decimal("100.00"),
    ]


def test_the_service_replaces_a_set_whose_rows_cross_on_the_way(anze):
    # 50 → 90 at 30 June is above the stored 85 at 30 Sept until that row becomes 95: as a set it is valid.
    task = make_task(anze)
    services.task_save(
        task=task,
        milestones=[
            (D(2023, 5, 31), Decimal("25")),
            (D(2023, 6, 30), Decimal("90")),
            (D(2023, 9, 30), Decimal("95")),
            (D(2023, 11, 30), Decimal("100")),
        ],
    )
    assert list(task.milestones.values_list("target_rate", flat=True)) == [
        Decimal("25.00"),
        Decimal("90.00"),
        Decimal("95.00"),
        Decimal("100.00"),
    ]


def test_a_task_created_in_the_shell_gets_the_notices_default_milestones(anze):
    task = CountyTask.objects.create(county=anze, year=2024, category="idle", target_area_mu=Decimal("12"))
    assert list(task.milestones.values_list("due", "target_rate")) == [
        (D(2024, 5, 31), Decimal("25.00")),
        (D(2024, 6, 30), Decimal("50.00")),
        (D(2024, 9, 30), Decimal("85.00")),
        (D(2024, 11, 30), Decimal("100.00")),
    ]


def test_a_shell_task_whose_period_cannot_hold_the_default_milestones_is_refused(anze):
    with refused("start_date", "任务期开始不能晚于时间节点 2024年5月31日"):
        CountyTask.objects.create(
            county=anze,
            year=2024,
            category="idle",
            target_area_mu=Decimal("12"),
            start_date=D(2024, 6, 1),
        )


def test_shortening_a_tasks_period_past_its_milestones_is_refused_in_the_shell(anze):
    task = make_task(anze)
    task = CountyTask.objects.get(pk=task.pk)  # as the shell would read it
    task.end_date = D(2023, 10, 31)
    with refused("end_date", "任务期结束不能早于时间节点 2023年11月30日"):
        task.save()


def test_a_campaigns_scope_cannot_end_before_it_starts(anze):
    campaign = Campaign(region=anze, year=2023, name="专项行动", scope_start_year=2009, scope_end_year=2008)
    with refused("scope_end_year", "不能早于起始年"):
        campaign.save()


def test_the_database_refuses_a_campaign_scope_ending_before_it_starts(anze):
    campaign = Campaign.objects.create(
        region=anze, year=2023, name="专项行动", scope_start_year=2009, scope_end_year=2022
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        Campaign.objects.filter(pk=campaign.pk).update(scope_end_year=2008)


def test_an_unfinished_item_has_no_completed_date(xiangning):
    item = RectificationItem(
        county=xiangning, title="整改", status="in_progress", completed_date=D(2022, 9, 20)
    )
    with refused("completed_date", "未完成的事项不填写完成日期"):
        services.rectification_save(item=item)


def test_the_database_refuses_a_completed_date_on_an_unfinished_item(xiangning):
    item = services.rectification_save(item=RectificationItem(county=xiangning, title="整改"))
    with pytest.raises(IntegrityError), transaction.atomic():
        RectificationItem.objects.filter(pk=item.pk).update(completed_date=D(2022, 9, 20))
