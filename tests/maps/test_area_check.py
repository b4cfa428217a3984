"""The area check: computed area against the ledger's and the file's, flagged beyond 1 %."""

from decimal import Decimal

from parcels.boundaries import area_check, area_differs, declared_area_warning, difference_percent


def test_difference_is_computed_minus_declared_over_declared_times_100_exactly():
    # (15 − 14.8) ÷ 14.8 × 100 = 1.351351…
    assert difference_percent(Decimal("15"), Decimal("14.8")).quantize(Decimal("0.000001")) == Decimal("1.351351")
    # (15 − 15.16) ÷ 15.16 × 100 = −1.055408…
    assert difference_percent(Decimal("15"), Decimal("15.16")).quantize(Decimal("0.000001")) == Decimal("-1.055409")
    assert difference_percent(Decimal("15"), None) is None


def test_exactly_one_percent_is_not_flagged_and_more_is():
    assert not area_differs(Decimal("15.15"), Decimal("15"))  # +1.00 %
    assert area_differs(Decimal("15.1515"), Decimal("15"))  # +1.01 %
    assert not area_differs(Decimal("14.85"), Decimal("15"))  # −1.00 %
    assert area_differs(Decimal("14.8485"), Decimal("15"))  # −1.01 %


def test_area_check_of_square_metres_against_ledger_and_file():
    # 10 000 m² = 15 亩; the ledger says 14.8 亩 and the file 0.9900 公顷 = 14.85 亩.
    check = area_check(area_m2=Decimal("10000"), declared_mu=Decimal("14.8"), file_area_ha=Decimal("0.99"))
    assert check.computed_mu == Decimal("15")
    assert check.file_mu == Decimal("14.85")
    assert check.mismatch  # (15 − 14.8) ÷ 14.8 = 1.35 %
    assert check.file_mismatch  # (15 − 14.85) ÷ 14.85 = 1.0101 %
    within = area_check(area_m2=Decimal("10000"), declared_mu=Decimal("14.9"), file_area_ha=Decimal("0.9901"))
    assert not within.mismatch and not within.file_mismatch  # 0.67 % and 0.9999 %


def test_the_ledger_warning_shows_both_areas_and_the_rounded_difference():
    assert declared_area_warning(Decimal("10000"), Decimal("14.8")) == (
        "按坐标计算的面积 15.00 亩与台账面积 14.80 亩相差 1.35%，超过 1%，请核对。"
    )
    assert declared_area_warning(Decimal("10000"), Decimal("14.9")) is None  # 0.67 %
