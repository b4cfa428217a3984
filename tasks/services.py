"""Writes to tasks, milestones and rectification items. The admin and the REST API call these."""

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction

from landtrack.services import attribute_to, lock_version

from .models import (
    CountyTask,
    Milestone,
    RectificationItem,
    closed_units_message,
    foreign_units_message,
    milestone_set_errors,
)

__all__ = ["task_save", "task_create", "task_delete", "rectification_save"]


@transaction.atomic
def task_save(*, task, milestones=None, user=None, expected_version=None):
    """Create or update a county task and, when given, replace its milestones.

    ``milestones`` is a list of ``(due, target_rate)``; a new task given none gets the notice's
    25/50/85/100 % defaults. The whole set is checked before anything is written.
    """
    creating = task.pk is None
    # This service checks the milestones as one set below, and writes them itself.
    task.milestones_checked_as_set = True
    if not creating:
        task.version = lock_version(CountyTask, task.pk, expected_version) + 1
    task.full_clean()
    if milestones is None and creating:
        milestones = task.default_milestones()
    if milestones is not None:
        milestones = [(due, Decimal(rate)) for due, rate in milestones]
        errors = milestone_set_errors(milestones, task.start_date, task.end_date)
    else:
        errors = milestone_set_errors(
            list(task.milestones.values_list("due", "target_rate")), task.start_date, task.end_date
        )
    if errors:
        raise ValidationError({"milestones": errors})
    attribute_to(task, user)
    task.save()
    if milestones is not None:
        _replace_milestones(task, milestones, user)
    return task


def _replace_milestones(task, milestones, user):
    """Write the checked set row by row: rows in between may break the set, so each is marked checked."""
    wanted = dict(milestones)
    for milestone in list(task.milestones.all()):
        milestone.checked_as_set = True
        if milestone.due not in wanted:
            attribute_to(milestone, user)
            milestone.delete()
        elif milestone.target_rate != wanted[milestone.due]:
            milestone.target_rate = wanted.pop(milestone.due)
            attribute_to(milestone, user)
            milestone.save()
        else:
            wanted.pop(milestone.due)
    for due, rate in sorted(wanted.items()):
        milestone = Milestone(task=task, due=due, target_rate=rate)
        milestone.checked_as_set = True
        attribute_to(milestone, user).save()


def task_create(*, user=None, milestones=None, **fields):
    """Assign a county its task for a year."""
    return task_save(task=CountyTask(**fields), milestones=milestones, user=user)


@transaction.atomic
def task_delete(*, task, user=None, expected_version=None):
    """Withdraw a task assigned by mistake, with its milestones."""
    lock_version(CountyTask, task.pk, expected_version)
    for milestone in task.milestones.all():
        milestone.checked_as_set = True  # the whole set goes with the task
        attribute_to(milestone, user).delete()
    attribute_to(task, user).delete()


@transaction.atomic
def rectification_save(*, item, user=None, responsible_units=None, expected_version=None):
    """Create or update a rectification item, and set its responsible units when given."""
    if item.pk:
        item.version = lock_version(RectificationItem, item.pk, expected_version) + 1
    if user is not None and user.is_authenticated:
        item.updated_by = user
    if responsible_units is not None:
        responsible_units = list(responsible_units)
        units = responsible_units
        message = closed_units_message(item, units)
        if message:
            raise ValidationError({"responsible_units": message})
    else:
        # The units it keeps must also belong to the county it may be moved to.
        units = item.responsible_units.all() if item.pk else ()
    message = foreign_units_message(item.county, units) if item.county_id else None
    if message:
        raise ValidationError({"responsible_units": message})
    attribute_to(item, user)
    if responsible_units is not None and item.pk:
        # The links first, unrecorded, so that the save records the change once, with its units: set after
        # it, they would add a record of the units taken off and another of those put on, the first naming
        # a state the item was never in.
        item.skip_history_when_saving = True
        try:
            item.responsible_units.set(responsible_units)
        finally:
            del item.skip_history_when_saving
        responsible_units = None
    item.save()
    if responsible_units is not None:  # a new item: its links need its id
        item.responsible_units.set(responsible_units)
    return item
