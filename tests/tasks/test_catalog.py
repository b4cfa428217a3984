"""Each process holds what it read of the catalog (tasks.catalog.held: a year's county tasks, the counties'
codes) while the stamp that the database changes with every write of tasks, milestones and regions says it
is unchanged.

Every test compares what the process serves with a fresh read of the database (``task_refs``, which the
held copy is made of): after each kind of write, inside and after transactions, rolled back or not, and,
on PostgreSQL, against a write committed by another connection.
"""

import datetime
import threading
from decimal import Decimal

import pytest
from django.db import connection, connections, transaction

from leadership.choices import RegionLevel, Role
from leadership.models import Region
from tasks import services as task_services
from tasks import triggers
from tasks.catalog import forget, held
from tasks.models import CatalogStamp, CountyTask, Milestone
from tasks.progress import task_refs, tasks_in_scope, year_tasks
from tests.factories import RegionFactory, UserFactory

pytestmark = pytest.mark.django_db


def seen(refs):
    """What a report shows of each task: every field of its TaskRef, the county's name included."""
    return sorted((tuple(ref) for ref in refs), key=lambda row: row[0])


def fresh(year=2023):
    return seen(task_refs(CountyTask.objects.filter(year=year)))


@pytest.fixture
def tasks(regions):
    made = {}
    for code, category in (("141002", "unsupplied"), ("141026", "both"), ("141029", "idle")):
        made[code] = task_services.task_create(
            county=regions[code],
            year=2023,
            category=category,
            target_area_mu=Decimal("120"),
            milestones=[
                (datetime.date(2023, 5, 31), Decimal("25")),
                (datetime.date(2023, 11, 30), Decimal("100")),
            ],
        )
    # A task of another year, which 2023's list must not show.
    task_services.task_create(
        county=regions["141026"], year=2022, category="both", target_area_mu=Decimal("80")
    )
    return made


def test_a_year_is_read_once_then_served_for_one_query_while_the_stamp_is_unchanged(
    tasks, django_assert_num_queries
):
    # The stamp, the tasks, their milestones.
    with django_assert_num_queries(3):
        first = year_tasks(2023)
    assert seen(first) == fresh() and len(first) == 3
    with django_assert_num_queries(1):
        again = year_tasks(2023)
    assert again is first
    # Another year is held apart.
    with django_assert_num_queries(3):
        assert [task.year for task in year_tasks(2022)] == [2022]
    with django_assert_num_queries(1):
        assert year_tasks(2023) is first


def test_each_name_is_held_apart_and_nothing_outlives_a_change(tasks, regions, django_assert_num_queries):
    loads = []

    def load(value):
        def read():
            loads.append(value)
            return value

        return read

    assert held("a", load(1)) == 1 and held("b", load(2)) == 2
    with django_assert_num_queries(2):  # the stamp, for each
        assert (held("a", load(10)), held("b", load(20))) == (1, 2)
    rename_county(tasks, regions)
    assert (held("a", load(10)), held("b", load(20))) == (10, 20)
    assert loads == [1, 2, 10, 20]
    forget()
    assert held("a", load(100)) == 100


def test_no_more_than_names_kept_are_held_the_oldest_going_first(tasks):
    from tasks import catalog

    loads = []
    for number in range(catalog.NAMES_KEPT + 1):
        held(("n", number), lambda number=number: loads.append(number) or number)
    assert len(catalog._held) == catalog.NAMES_KEPT
    held(("n", catalog.NAMES_KEPT), lambda: loads.append("again"))  # the newest: held
    held(("n", 0), lambda: loads.append("read again") or 0)  # the oldest: dropped, read again
    assert loads[-1] == "read again" and "again" not in loads


def rename_task(tasks, regions):
    task = tasks["141026"]
    task.name = "安泽县2023年度专项任务"
    task.save()


def save_through_the_service(tasks, regions):
    task_services.task_save(
        task=tasks["141002"],
        milestones=[
            (datetime.date(2023, 6, 30), Decimal("50")),
            (datetime.date(2023, 11, 30), Decimal("100")),
        ],
    )


def add_milestone(tasks, regions):
    Milestone.objects.create(task=tasks["141029"], due=datetime.date(2023, 9, 30), target_rate=Decimal("85"))


def delete_milestone(tasks, regions):
    Milestone.objects.filter(task=tasks["141029"], due=datetime.date(2023, 5, 31)).delete()


def change_milestone_rate(tasks, regions):
    Milestone.objects.filter(task=tasks["141002"]).update(target_rate=Decimal("30"))


def rename_county(tasks, regions):
    Region.objects.filter(pk=regions["141026"].pk).update(name="安泽")


def save_county(tasks, regions):
    county = regions["141002"]
    county.name = "尧都"
    county.save()


def bulk_create_task(tasks, regions):
    CountyTask.objects.bulk_create(
        [
            CountyTask(
                county=regions["141081"],
                year=2023,
                category="both",
                target_area_mu=Decimal("9"),
                start_date=datetime.date(2023, 1, 1),
                end_date=datetime.date(2023, 12, 31),
            )
        ]
    )


def update_tasks(tasks, regions):
    CountyTask.objects.filter(year=2023).update(target_area_mu=Decimal("240"))


def raw_sql(tasks, regions):
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE tasks_countytask SET document_number = %s WHERE year = %s", ["临政发〔2023〕1号", 2023]
        )


def delete_task(tasks, regions):
    tasks["141029"].delete()


def move_to_another_year(tasks, regions):
    CountyTask.objects.filter(pk=tasks["141002"].pk).update(year=2024)


WRITES = [
    rename_task,
    save_through_the_service,
    add_milestone,
    delete_milestone,
    change_milestone_rate,
    rename_county,
    save_county,
    bulk_create_task,
    update_tasks,
    raw_sql,
    delete_task,
    move_to_another_year,
]


@pytest.mark.parametrize("write", WRITES, ids=lambda write: write.__name__)
def test_every_kind_of_write_is_seen_by_the_next_read(tasks, regions, write):
    before = seen(year_tasks(2023))
    assert before == fresh()
    write(tasks, regions)
    after = fresh()
    assert after != before, "the write must change what the report shows"
    assert seen(year_tasks(2023)) == after
    # … and the new list is held in its turn.
    assert seen(year_tasks(2023)) == after


def test_a_write_later_in_the_same_transaction_is_seen(tasks, regions):
    with transaction.atomic():
        assert seen(year_tasks(2023)) == fresh()
        rename_county(tasks, regions)
        assert seen(year_tasks(2023)) == fresh()
        update_tasks(tasks, regions)
        assert seen(year_tasks(2023)) == fresh()
    assert seen(year_tasks(2023)) == fresh()


class Undo(Exception):
    pass


def test_what_a_rolled_back_transaction_read_is_not_served_afterwards(tasks, regions):
    committed = seen(year_tasks(2023))
    with pytest.raises(Undo), transaction.atomic():
        rename_county(tasks, regions)
        delete_task(tasks, regions)
        inside = seen(year_tasks(2023))
        assert inside == fresh() != committed
        raise Undo
    assert fresh() == committed
    assert seen(year_tasks(2023)) == committed


def test_without_a_stamp_nothing_is_held_until_the_next_write(tasks, regions, django_assert_num_queries):
    """A database just flushed (or restored without the row) has no stamp: every read goes to the tasks."""
    CatalogStamp.objects.all().delete()
    for _ in range(2):
        with django_assert_num_queries(3):
            served = year_tasks(2023)
        assert seen(served) == fresh()
    # The next write of the catalog sets a stamp again, and the year is held from then on.
    rename_task(tasks, regions)
    assert CatalogStamp.objects.count() == 1
    with django_assert_num_queries(3):
        served = year_tasks(2023)
    with django_assert_num_queries(1):
        assert year_tasks(2023) is served
    assert seen(served) == fresh()


def test_every_watched_table_has_its_triggers():
    expected = 1 if connection.vendor == "postgresql" else len(triggers.SQLITE_EVENTS)
    assert triggers.installed(connection) == dict.fromkeys(triggers.WATCHED, expected)


def test_triggers_lost_with_a_rebuilt_table_come_back_after_migrate(tasks, regions):
    """SQLite rebuilds a table to alter it, and the old table's triggers go with it; every migrate puts
    them back (tasks/apps.py), with a new token for whatever was copied meanwhile."""
    from django.core.management.sql import emit_post_migrate_signal

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("DROP TRIGGER tasks_catalog_changed ON leadership_region")
        else:
            for event in triggers.SQLITE_EVENTS:
                cursor.execute(f"DROP TRIGGER tasks_catalog_changed_leadership_region_{event}")
    assert triggers.installed(connection)["leadership_region"] == 0
    held_before = seen(year_tasks(2023))
    rename_county(tasks, regions)  # unseen by the stamp: nothing tells the process
    assert seen(year_tasks(2023)) == held_before != fresh()
    emit_post_migrate_signal(verbosity=0, interactive=False, db=connection.alias)
    assert triggers.installed(connection)["leadership_region"] > 0
    assert seen(year_tasks(2023)) == fresh()
    save_county(tasks, regions)
    assert seen(year_tasks(2023)) == fresh()


def test_task_refs_are_frozen(tasks):
    task = year_tasks(2023)[0]
    with pytest.raises(AttributeError):
        task.target_area_mu = Decimal("1")
    with pytest.raises(AttributeError):
        task.county.name = "别处"
    with pytest.raises(AttributeError):
        task.milestones = ()  # nor can anything be added to one


def test_every_role_gets_from_the_held_list_exactly_the_tasks_its_scope_allows(tasks, regions, linfen):
    other_city = RegionFactory(code="150100", name="另一市", level=RegionLevel.CITY)
    other_county = RegionFactory(code="150102", name="另一县", level=RegionLevel.COUNTY, parent=other_city)
    task_services.task_create(county=other_county, year=2023, category="both", target_area_mu=Decimal("5"))
    users = [
        UserFactory(username="admin", role=Role.ADMIN),
        UserFactory(username="root", role="", is_superuser=True),
        UserFactory(username="city", role=Role.CITY_BUREAU, region=linfen),
        UserFactory(username="other_city", role=Role.CITY_BUREAU, region=other_city),
        UserFactory(username="clerk", role=Role.COUNTY_CLERK, region=regions["141026"]),
        UserFactory(username="office", role=Role.COUNTY_OFFICE, region=regions["141029"]),
        UserFactory(username="no_task", role=Role.COUNTY_CLERK, region=regions["141081"]),
        UserFactory(username="no_region", role=Role.COUNTY_CLERK, region=None),
        UserFactory(username="inactive", role=Role.CITY_BUREAU, region=linfen, is_active=False),
    ]
    shown = {}
    for user in users:
        for category in (None, "both", "idle"):
            for county_code in (None, "141026", "150102"):
                expected = CountyTask.objects.visible_to(user).filter(year=2023)
                if category:
                    expected = expected.filter(category=category)
                if county_code:
                    expected = expected.filter(county__code=county_code)
                got = [
                    task.pk
                    for task in tasks_in_scope(user, year=2023, category=category, county_code=county_code)
                ]
                assert sorted(got) == sorted(expected.values_list("pk", flat=True)), (
                    user.username,
                    category,
                    county_code,
                )
        shown[user.username] = len(tasks_in_scope(user, year=2023))
    # The scopes are not all alike (the comparison above is not between empty lists).
    assert shown == {
        "admin": 4,
        "root": 4,
        "city": 3,
        "other_city": 1,
        "clerk": 1,
        "office": 1,
        "no_task": 0,
        "no_region": 0,
        "inactive": 0,
    }


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="needs two connections writing at once; SQLite's in-memory test database serializes them (CI runs this on PostgreSQL)",
)
@pytest.mark.django_db(transaction=True)
def test_a_write_committed_by_another_connection_is_seen_and_an_uncommitted_one_is_not(regions):
    task = task_services.task_create(
        county=regions["141026"], year=2023, category="both", target_area_mu=Decimal("120")
    )
    assert seen(year_tasks(2023)) == fresh()
    written, go_on, done = threading.Event(), threading.Event(), threading.Event()
    failures = []

    def clerk():
        try:
            with transaction.atomic():
                CountyTask.objects.filter(pk=task.pk).update(target_area_mu=Decimal("150"))
                written.set()
                go_on.wait(10)
        except Exception as error:  # pragma: no cover - reported below
            failures.append(error)
        finally:
            connections.close_all()
            done.set()

    thread = threading.Thread(target=clerk)
    thread.start()
    assert written.wait(10)
    # Not committed yet: this connection still sees (and serves) 120 亩.
    assert [ref.target_area_mu for ref in year_tasks(2023)] == [Decimal("120.0000")]
    go_on.set()
    assert done.wait(10)
    thread.join()
    assert not failures
    assert [ref.target_area_mu for ref in year_tasks(2023)] == [Decimal("150.0000")]
    assert seen(year_tasks(2023)) == fresh()
