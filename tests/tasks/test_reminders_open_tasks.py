"""Milestone reminders are of every task open on the date: its period holds the date, whatever its year.

安泽县's 2023 task here runs from 1 July 2022 to 30 June 2023 (target 100 亩; 50 % by 31 December 2022, 100 %
by 30 June 2023): on 20 December 2022 its first milestone is 11 days away, so it reminds, although the date
lies in 2022.
"""

import datetime
from decimal import Decimal

import pytest

from parcels import services as parcel_services
from tasks import services as task_services
from tasks.reminders import Reminder, reminders_for
from tests.factories import ParcelFactory

pytestmark = pytest.mark.django_db

D = datetime.date
AS_OF = D(2022, 12, 20)


@pytest.fixture
def task_2023(anze):
    return task_services.task_create(
        county=anze,
        year=2023,
        category="unsupplied",
        target_area_mu=Decimal("100"),
        start_date=D(2022, 7, 1),
        end_date=D(2023, 6, 30),
        milestones=[(D(2022, 12, 31), Decimal("50")), (D(2023, 6, 30), Decimal("100"))],
    )


def upcoming(still_needed):
    """The 2023 task's reminder as of 20 December 2022: 11 days to 31 December, 50 % = 50 亩 due."""
    return Reminder(
        "milestone",
        D(2022, 12, 31),
        11,
        "141026",
        "安泽县",
        f"安泽县批而未供任务 12月31日 须达到 50.00%，还需 {still_needed} 亩",
        "/dashboard/141026/?year=2023&as_of=2022-12-20",
    )


def test_a_task_of_next_year_open_on_the_date_reminds_of_its_coming_milestone(client, task_2023, office_anze):
    # Nothing disposed of: rate 0 % < 50 % with the milestone 11 days away (at risk), 50.00 亩 still needed.
    assert reminders_for(office_anze, AS_OF) == [upcoming("50.00")]
    client.force_login(office_anze)
    page = client.get("/dashboard/reminders/", {"as_of": "2022-12-20"})
    assert page.context["reminders"] == [upcoming("50.00")]
    assert "12月31日 须达到 50.00%，还需 50.00 亩" in page.content.decode()
    # The overview defaults to 2023, the only year with tasks; its panel is of the date all the same.
    overview = client.get("/dashboard/", {"as_of": "2022-12-20"})
    assert overview.context["view"].year == 2023
    assert overview.context["reminders"] == [upcoming("50.00")]
    (row,) = overview.context["rows"]
    assert row.status == "at_risk"


@pytest.fixture
def ledger_and_task_2022(anze, task_2023):
    """A parcel of 30 亩 disposed of in three parts, and 安泽县's 2022 task (calendar year, 40 亩, the
    defaults: 25/50/85/100 % at 31 May, 30 June, 30 September and 30 November)."""
    parcel = ParcelFactory(county=anze, area_mu=Decimal("30"))
    for date, area in ((D(2022, 6, 30), "5"), (D(2022, 8, 15), "12"), (D(2022, 12, 25), "3")):
        parcel_services.disposal_record(
            parcel=parcel, method="supply_transfer", area_mu=Decimal(area), date=date
        )
    return task_services.task_create(
        county=anze, year=2022, category="unsupplied", target_area_mu=Decimal("40")
    )


# Worked out by hand, as of 20 December 2022:
# - the 2023 task counts the disposals from 1 July 2022 up to the date: 12 (15 August); not the 5 of 30 June
#   (before its period) nor the 3 of 25 December (after the date). 50 亩 due by 31 December: 38.00 still needed.
# - the 2022 task counts 5 + 12 = 17 亩. Its milestones: 10 亩 by 31 May (0 reached), 20 by 30 June (5),
#   34 by 30 September (17), 40 by 30 November (17): all missed; the latest the county is still below is
#   30 November, 20 days ago, 40 − 17 = 23.00 亩 short.
MISSED_2022 = Reminder(
    "milestone",
    D(2022, 11, 30),
    -20,
    "141026",
    "安泽县",
    "安泽县批而未供任务未达到 11月30日 节点（100.00%），还差 23.00 亩",
    "/dashboard/141026/?year=2022&as_of=2022-12-20",
)


def test_the_tasks_of_both_years_open_on_the_date_remind_with_their_own_figures(
    client, ledger_and_task_2022, city_linfen
):
    assert reminders_for(city_linfen, AS_OF) == [MISSED_2022, upcoming("38.00")]
    client.force_login(city_linfen)
    assert client.get("/dashboard/reminders/", {"as_of": "2022-12-20"}).context["reminders"] == [
        MISSED_2022,
        upcoming("38.00"),
    ]
    # The overview of 2022 (the date's year) lends its rows' figures to the panel, which adds the 2023
    # task's; the overview of 2023 does not, and the panel works out both.
    for year in (2022, 2023):
        overview = client.get("/dashboard/", {"year": year, "as_of": "2022-12-20"}).context
        assert [row.task.year for row in overview["rows"]] == [year]
        assert overview["reminders"] == [MISSED_2022, upcoming("38.00")]


def test_the_panel_lent_the_rows_of_the_dates_year_reads_the_other_years_open_tasks_in_fixed_queries(
    client, ledger_and_task_2022, city_linfen, django_assert_num_queries
):
    client.force_login(city_linfen)
    client.get("/dashboard/", {"year": 2022, "as_of": "2022-12-20"})  # the catalog now held
    # Session, user, task years, the city's counties, the catalog stamp, the 2022 disposals (the year
    # totals of whole months, the days of December); the panel: the catalog stamp again (the tasks open
    # on the date, held), the city's counties and the 2023 task's disposals (the same two: 3 more than
    # with no other year's task open), rectification items, planned parcels and lapsing approvals (each
    # counted, its 12th-soonest date read, then the soonest read), idle-land procedures; the user's
    # region (header).
    with django_assert_num_queries(20):
        shown = client.get("/dashboard/", {"year": 2022, "as_of": "2022-12-20"}).context["reminders"]
    assert shown == [MISSED_2022, upcoming("38.00")]


def test_a_task_is_not_reminded_once_its_period_has_ended(client, ledger_and_task_2022, office_anze):
    # 5 July 2023: the 2023 task's period ended on 30 June, short of its 100 % (12 + 3 = 15 of 100 亩), and
    # the 2022 task's with 2022. Neither is open on the date: no milestone reminders.
    assert [item for item in reminders_for(office_anze, D(2023, 7, 5)) if item.kind == "milestone"] == []
