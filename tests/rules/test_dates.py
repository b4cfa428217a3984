"""Full years, counted as 民法典 arts. 201–203 count them (DOMAIN.md §4)."""

import datetime

import pytest

from landtrack.dates import full_years_passed_from, have_full_years_passed, latest_start

D = datetime.date


@pytest.mark.parametrize(
    "start, years, holds_from",
    [
        (D(2021, 6, 30), 1, D(2022, 7, 1)),  # the domain guide's example
        (D(2020, 2, 29), 2, D(2022, 3, 1)),  # the domain guide's example: no 29 Feb in 2022
        (D(2020, 2, 29), 4, D(2024, 3, 1)),  # 2024 has a 29 Feb: the period ends at its end
        (D(2019, 2, 28), 1, D(2020, 2, 29)),  # into a leap year: ends 28 Feb, holds from 29 Feb
        (D(2021, 12, 31), 1, D(2023, 1, 1)),
        (D(2021, 1, 31), 2, D(2023, 2, 1)),
    ],
)
def test_a_full_year_holds_from_the_day_after_the_anniversary(start, years, holds_from):
    assert full_years_passed_from(start, years) == holds_from
    assert not have_full_years_passed(start, years, holds_from - datetime.timedelta(days=1))
    assert have_full_years_passed(start, years, holds_from)


def test_latest_start_is_the_exact_inverse_for_every_day_of_eight_years():
    """For every as_of in 2019–2026: D ≤ latest_start(as_of) ⟺ the full years from D have passed."""
    day = D(2019, 1, 1)
    while day <= D(2026, 12, 31):
        for years in (1, 2):
            boundary = latest_start(day, years)
            assert have_full_years_passed(boundary, years, day), (day, years, boundary)
            assert not have_full_years_passed(boundary + datetime.timedelta(days=1), years, day), (day, years)
        day += datetime.timedelta(days=1)
