"""Writes to tasks, milestones and rectification items. The admin and the REST API call these."""

from decimal import Decimal

from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from landtrack.services import attribute_to, lock_version
from leadership.scope import can_write

from .models import (
    CountyTask,
    Milestone,
    RectificationItem,
    closed_units_message,
    foreign_units_message,
    milestone_set_errors,
)

__all__ = [
    "task_save",
    "task_create",
    "task_delete",
    "task_bulk_assign",
    "TasksRefused",
    "BULK_ASSIGN_REASON",
    "rectification_save",
]


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


#: The change reason recorded with each task and milestone that the city assigns on one page (下达任务).
BULK_ASSIGN_REASON = "批量下达任务"
# Foreign keys not looked up again row by row when many tasks are judged at once: the caller hands the
# rows it read (the counties it offered, the campaign chosen), and the database's keys hold them anyway.
# Each one's rules in CountyTask.clean() (a county-level region, a campaign of the county or its city,
# a unit of the county or its city) are still judged for every task.
READ_ONCE = ("county", "campaign", "lead_unit")
# What a problem's field is called where it is not a field of the task.
PROBLEM_LABELS = {"milestones": "时间节点", "due": "节点日期", "target_rate": "累计目标（%）"}


class TasksRefused(ValidationError):
    """A batch of tasks refused, nothing written: ``problems`` lists ``(task, field, message)`` for each
    rule a task breaks; the messages name the counties and the field, those sharing a problem together."""

    def __init__(self, problems):
        self.problems = problems
        grouped = {}
        for task, field, message in problems:
            grouped.setdefault((field, message), []).append(task.county.name)
        super().__init__(
            [
                f"{'、'.join(dict.fromkeys(counties))}：{_label(field)}{message}"
                for (field, message), counties in grouped.items()
            ]
        )


def _label(field):
    if field in PROBLEM_LABELS:
        return f"{PROBLEM_LABELS[field]}："
    try:
        return f"{CountyTask._meta.get_field(field).verbose_name}："
    except FieldDoesNotExist:  # NON_FIELD_ERRORS
        return ""


def _problems_of(task, error):
    return [(task, field, message) for field, messages in error.message_dict.items() for message in messages]


def _categories_held(tasks):
    """``{(county id, year): [category, …]}`` of the tasks stored for the batch's counties and years, in one
    query, with those of the batch itself added as each task is judged (two rows of one county clash)."""
    counties = {task.county_id for task in tasks}
    years = {task.year for task in tasks if isinstance(task.year, int)}
    held = {}
    rows = CountyTask.objects.filter(Q(county_id__in=counties) & Q(year__in=years)).order_by()
    for county_id, year, category in rows.values_list("county_id", "year", "category"):
        held.setdefault((county_id, year), []).append(category)
    return held


def _bulk_problems(tasks, milestones, user):
    """``(task, field, message)`` for every rule of task_save that a task of the batch breaks, each task
    judged by its own full_clean() and milestone_set_errors(), in a fixed number of queries."""
    problems = []
    held = _categories_held(tasks)
    sets = []
    for task in tasks:
        if user is not None and task.county_id and not can_write(user, "tasks.countytask", task.county):
            problems.append((task, "county", "不在您可下达任务的范围内。"))
        task.milestones_checked_as_set = True
        key = (task.county_id, task.year)
        task.categories_held = list(held.get(key, ()))
        try:
            # The task unique per county, year and category is CountyTask.clean()'s clash check, fed above;
            # the check constraints repeat the fields' validators and clean() (and the database holds all).
            task.full_clean(exclude=READ_ONCE, validate_unique=False, validate_constraints=False)
        except ValidationError as error:
            problems.extend(_problems_of(task, error))
        held.setdefault(key, []).append(task.category)
        pairs = milestones
        if pairs is None and isinstance(task.year, int):
            pairs = task.default_milestones()
        pairs = [(due, Decimal(rate)) for due, rate in pairs or ()]
        rows = []
        for due, rate in pairs:
            row = Milestone(task=task, due=due, target_rate=rate)
            row.checked_as_set = True
            try:
                row.full_clean(exclude=["task"], validate_unique=False, validate_constraints=False)
            except ValidationError as error:
                problems.extend(_problems_of(task, error))
            rows.append(row)
        problems.extend(
            (task, "milestones", message)
            for message in milestone_set_errors(pairs, task.start_date, task.end_date)
        )
        sets.append(rows)
    return problems, sets


@transaction.atomic
def task_bulk_assign(*, tasks, milestones=None, user=None, reason=BULK_ASSIGN_REASON):
    """Assign many counties their tasks at once (the city's 下达任务), all or none.

    Each task is judged by task_save's rules — its full_clean() and its milestones as one set (``milestones``
    as there: ``(due, target_rate)`` pairs for every task, or None for the notice's defaults) — and by the
    user's scope; any problem raises TasksRefused and nothing is written. The tasks and milestones are then
    written with their change history (the user, ``reason``) in a fixed number of statements, however many
    the counties.
    """
    tasks = list(tasks)
    problems, sets = _bulk_problems(tasks, milestones, user)
    if problems:
        raise TasksRefused(problems)
    author = user if user is not None and user.is_authenticated else None
    now = timezone.now()
    history = {"default_user": author, "default_change_reason": reason, "default_date": now}
    bulk_create_with_history(tasks, CountyTask, **history)
    # Each milestone takes its task's id, now that the task has one (bulk_create reads it from the task).
    bulk_create_with_history([row for rows in sets for row in rows], Milestone, **history)
    return tasks


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
