"""How areas and rates are rounded for people to read (DOMAIN.md §4).

Figures are computed from exact Decimal sums; only what is shown is rounded, always half-up
(87.955 → 87.96), never with Python's default half-even and never through float.
"""

from decimal import ROUND_HALF_UP, Decimal

HUNDREDTH = Decimal("0.01")
TEN_THOUSANDTH = Decimal("0.0001")
MU_PER_HECTARE = Decimal("15")


def round_half_up(value, places=HUNDREDTH):
    if value is None:
        return None
    return Decimal(value).quantize(places, rounding=ROUND_HALF_UP)


def area_2(value):
    """An area in 亩 as shown: 2 places, half-up."""
    return round_half_up(value, HUNDREDTH)


def rate_2(value):
    """A rate in percent as shown: 2 places, half-up."""
    return round_half_up(value, HUNDREDTH)


def hectares_4(area_mu):
    """An area in 公顷 (亩 ÷ 15) as shown: 4 places, half-up."""
    if area_mu is None:
        return None
    return round_half_up(Decimal(area_mu) / MU_PER_HECTARE, TEN_THOUSANDTH)


def format_area(value):
    """'26.96' for an area in 亩, '' when there is none."""
    rounded = area_2(value)
    return "" if rounded is None else f"{rounded:.2f}"
