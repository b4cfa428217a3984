"""Periods counted in full years (DOMAIN.md §4, 民法典 arts. 201–203).

A period of n years from date D does not count D itself and ends at the end of D's n-th anniversary;
when that anniversary does not exist (29 February in a common year) it is the month's last day.
"One full year after 2021-06-30" therefore holds from 2022-07-01, and "two full years after
2020-02-29" from 2022-03-01.
"""

import calendar
import datetime

ONE_DAY = datetime.timedelta(days=1)


def anniversary(date, years):
    """D's anniversary ``years`` later; 29 February falls back to the month's last day."""
    year = date.year + years
    last_day = calendar.monthrange(year, date.month)[1]
    return datetime.date(year, date.month, min(date.day, last_day))


def full_years_end(date, years):
    """The last day of a period of ``years`` full years from ``date``."""
    return anniversary(date, years)


def full_years_passed_from(date, years):
    """The first day on which ``years`` full years from ``date`` have passed."""
    return anniversary(date, years) + ONE_DAY


def have_full_years_passed(date, years, as_of):
    """Whether ``years`` full years from ``date`` have passed on ``as_of``."""
    return as_of >= full_years_passed_from(date, years)


def latest_start(as_of, years):
    """The latest date D such that ``years`` full years from D have passed on ``as_of``.

    Lets the database filter "full years have passed" as ``date <= latest_start(as_of, years)``.
    """
    last = as_of - ONE_DAY  # the anniversary must have ended before as_of
    year = last.year - years
    if last.month == 2 and last.day == calendar.monthrange(last.year, 2)[1]:
        # The last day of February: 29 February of a leap year (anniversary = last day of Feb) also counts.
        return datetime.date(year, 2, calendar.monthrange(year, 2)[1])
    day = min(last.day, calendar.monthrange(year, last.month)[1])
    return datetime.date(year, last.month, day)


def cn_date(value):
    """A date as Chinese documents write it: 2022年9月5日 (no leading zeros); "" for none."""
    return f"{value.year}年{value.month}月{value.day}日" if value else ""


def cn_month_day(value):
    """A date within a year known from elsewhere: 5月31日."""
    return f"{value.month}月{value.day}日"
