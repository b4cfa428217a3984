"""Template filters that show figures the way DOMAIN.md §4 says: 亩 and % with 2 places, half-up."""

from django import template

from landtrack import dates
from landtrack.numbers import area_2, hectares_4, rate_2

register = template.Library()


@register.filter
def mu(value):
    """An area in 亩: '26.96'."""
    rounded = area_2(value)
    return "" if rounded is None else f"{rounded:,.2f}"


@register.filter
def hectares(value):
    """An area in 亩 shown in 公顷 with 4 places."""
    rounded = hectares_4(value)
    return "" if rounded is None else f"{rounded:,.4f}"


@register.filter
def percent(value):
    """A rate in percent: '87.95'."""
    rounded = rate_2(value)
    return "" if rounded is None else f"{rounded:.2f}"


@register.filter
def cn_date(value):
    """A date as 2022年9月5日."""
    return dates.cn_date(value)


@register.filter
def absolute(value):
    """|n|, e.g. days overdue from a negative days_left."""
    return abs(value)
