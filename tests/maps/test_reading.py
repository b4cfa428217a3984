"""Reading coordinate files as survey companies write them: encodings, zones, the tolerated variations.

Areas are worked out by hand in samples.py; the reader's warnings must name what it tolerated.
"""

from decimal import Decimal

import pytest

from parcels.boundaries import read_boundary_file

from .samples import (
    SEVERAL,
    SQUARE,
    SQUARE_6_DEGREE,
    SQUARE_COUNT_OFF_BY_ONE,
    SQUARE_NO_PREFIX,
    SQUARE_UNCLOSED,
    SQUARE_WITH_HOLE,
    crlf,
    gbk,
    utf8_bom,
)

SQUARE_POINTS = [
    ("J1", Decimal("3985000.000"), Decimal("37500000.000")),
    ("J2", Decimal("3985100.000"), Decimal("37500000.000")),
    ("J3", Decimal("3985100.000"), Decimal("37500100.000")),
    ("J4", Decimal("3985000.000"), Decimal("37500100.000")),
    ("J1", Decimal("3985000.000"), Decimal("37500000.000")),
]


def points(parcel, ring=0):
    return [(p.number, p.x, p.y) for p in parcel.rings[ring].points]


def only(parsed):
    assert len(parsed.parcels) == 1
    return parsed.parcels[0]


def all_warnings(parsed):
    return [str(w) for w in parsed.warnings] + [str(w) for p in parsed.parcels for w in p.warnings]


@pytest.mark.parametrize(
    "content, encoding",
    [
        (gbk(SQUARE), "GBK"),
        (utf8_bom(SQUARE), "UTF-8（带 BOM）"),
        (crlf(SQUARE).encode("utf-8"), "UTF-8"),
        (SQUARE.encode("utf-8"), "UTF-8"),  # Unix line ends
    ],
    ids=["gbk-crlf", "utf8-bom", "utf8", "utf8-lf"],
)
def test_the_100_metre_square_reads_as_15_mu_in_every_encoding(content, encoding):
    parsed = read_boundary_file(content)
    parcel = only(parsed)
    assert parsed.encoding == encoding
    assert (parcel.code, parcel.name, parcel.land_use, parcel.land_class) == (
        "AZ-001",
        "府城镇工业园地块",
        "工业用地",
        "0601",
    )
    assert parsed.header["数据产生单位"] == "临汾市某测绘有限公司"
    assert parcel.zone == 37 and parcel.epsg == 4525  # 4488 + 37
    # 100 m × 100 m = 10 000 m² = 15 亩; the file says 1 公顷.
    assert parcel.area_m2 == Decimal("10000")
    assert parcel.area_mu == Decimal("15.0000")
    assert parcel.area_ha == Decimal("1.0000") and parcel.file_area_mu == Decimal("15")
    assert points(parcel) == SQUARE_POINTS
    assert parcel.errors == [] and all_warnings(parsed) == []


def test_eastings_without_the_zone_prefix_take_the_header_zone_with_a_warning():
    parsed = read_boundary_file(gbk(SQUARE_NO_PREFIX))
    parcel = only(parsed)
    assert parcel.zone == 37 and parcel.area_mu == Decimal("15.0000")
    # Stored with the prefix, so that an export is unambiguous.
    assert points(parcel) == SQUARE_POINTS
    assert all_warnings(parsed) == ["第14行：Y 坐标没有带号前缀，已按 [属性描述] 的带号 37 计算。"]
    # The same place on the map as the prefixed file.
    assert parcel.geometry == read_boundary_file(gbk(SQUARE)).parcels[0].geometry


def test_eastings_without_prefix_take_the_zone_from_the_central_meridian():
    text = SQUARE_NO_PREFIX.replace("带号=37", "中央子午线=111")
    parcel = only(read_boundary_file(gbk(text)))
    assert parcel.zone == 37 and parcel.area_mu == Decimal("15.0000")
    assert "已按 [属性描述] 的中央子午线 111°（3 度带第 37 带） 计算" in parcel.warnings[0].message


def test_eastings_without_prefix_and_no_zone_anywhere_use_the_parcels_centre_longitude():
    text = SQUARE_NO_PREFIX.replace("带号=37\n", "")
    # 111.6°E lies in the 3° zone 37 (109.5°–112.5°E).
    parcel = only(read_boundary_file(gbk(text), near_lng=Decimal("111.6")))
    assert parcel.zone == 37
    assert "已按 地块中心点经度 111.6° 所在的 3 度带第 37 带 计算" in parcel.warnings[0].message


def test_eastings_without_prefix_and_no_zone_anywhere_are_refused_with_the_line():
    text = SQUARE_NO_PREFIX.replace("带号=37\n", "")
    parcel = only(read_boundary_file(gbk(text)))
    assert parcel.area_m2 is None
    # The header lost a line: the first point is on line 13.
    assert [e.line for e in parcel.errors] == [13]
    assert parcel.errors[0].message.startswith("Y 坐标没有带号前缀，[属性描述] 中也没有有效的带号，无法确定投影带")


def test_a_fallback_zone_of_the_other_width_is_taken_at_its_central_meridian():
    text = SQUARE_NO_PREFIX.replace("带号=37\n", "")  # 几度分带=3 stays
    # 6° zone 20: central meridian 6 × 20 − 3 = 117°E, which is 3° zone 117 ÷ 3 = 39 (EPSG 4488 + 39 = 4527).
    parcel = only(read_boundary_file(gbk(text), fallback_zone=lambda: (20, "本县的 6 度带第 20 带")))
    assert (parcel.zone, parcel.epsg) == (39, 4527)
    assert points(parcel)[0] == ("J1", Decimal("3985000.000"), Decimal("39500000.000"))
    assert parcel.warnings[0].message == (
        "Y 坐标没有带号前缀，已按 本县的 6 度带第 20 带（中央子午线 117°，即 3 度带第 39 带） 计算。"
    )


def test_a_fallback_zone_whose_meridian_has_no_zone_of_the_files_width_is_not_used():
    text = SQUARE_NO_PREFIX.replace("带号=37\n", "").replace("几度分带=3", "几度分带=6")
    # 3° zone 38 is centred on 114°E; 6° zones are centred on 111°E and 117°E, none on 114°E.
    parcel = only(read_boundary_file(gbk(text), fallback_zone=lambda: (38, "默认投影带")))
    assert parcel.area_m2 is None
    assert [e.line for e in parcel.errors] == [13]
    assert parcel.errors[0].message.startswith("Y 坐标没有带号前缀，[属性描述] 中也没有有效的带号，无法确定投影带")


def test_a_ring_without_its_closing_point_is_closed_with_a_warning():
    parsed = read_boundary_file(gbk(SQUARE_UNCLOSED))
    parcel = only(parsed)
    assert parcel.area_mu == Decimal("15.0000")
    assert points(parcel) == SQUARE_POINTS  # J1 repeated at the end
    assert all_warnings(parsed) == ["第14行：第1圈未闭合（末点与首点 J1 不同），已按首点闭合。"]


def test_a_point_count_off_by_one_is_read_as_found_with_a_warning():
    parsed = read_boundary_file(gbk(SQUARE_COUNT_OFF_BY_ONE))
    parcel = only(parsed)
    assert parcel.area_mu == Decimal("15.0000")
    assert all_warnings(parsed) == ["第13行：地块行的界址点数为 6，实际有 5 个界址点，已按实际读取。"]


def test_several_variations_at_once_are_each_warned():
    # No prefix, no closing point, and the parcel line still counting the closing point.
    text = SQUARE_NO_PREFIX.replace("J1,1,3985000.000,500000.000\n", "", 1)
    text = text.replace("J2,1,3985100.000,500000.000", "J1,1,3985000.000,500000.000\nJ2,1,3985100.000,500000.000")
    text = "\n".join(text.splitlines()[:-1]) + "\n"  # drop the closing J1
    parsed = read_boundary_file(gbk(text))
    parcel = only(parsed)
    assert parcel.area_mu == Decimal("15.0000")
    warnings = all_warnings(parsed)
    assert len(warnings) == 3, warnings
    assert any("界址点数为 5，实际有 4 个" in w for w in warnings)
    assert any("没有带号前缀" in w for w in warnings)
    assert any("未闭合" in w for w in warnings)


def test_a_hole_is_subtracted_from_the_outer_ring():
    parcel = only(read_boundary_file(gbk(SQUARE_WITH_HOLE)))
    # 10 000 − 20 × 30 = 9 400 m² = 14.1 亩.
    assert parcel.area_m2 == Decimal("9400")
    assert parcel.area_mu == Decimal("14.1000")
    assert [ring.number for ring in parcel.rings] == [1, 2]
    assert len(parcel.geometry["coordinates"]) == 2
    assert parcel.warnings == []


def test_several_parcels_in_one_file_each_get_their_own_area():
    parsed = read_boundary_file(gbk(SEVERAL))
    assert [(p.line, p.code, p.area_m2, p.area_mu) for p in parsed.parcels] == [
        (13, "AZ-001", Decimal("10000"), Decimal("15.0000")),
        (19, "AZ-003", Decimal("1800"), Decimal("2.7000")),  # 60 × 20 + 20 × 30
        (27, "AZ-004", Decimal("1900"), Decimal("2.8500")),  # 50 × 40 − 10 × 10
    ]
    assert all_warnings(parsed) == []


def test_a_six_degree_zone_file_lands_where_the_three_degree_one_does():
    parsed = read_boundary_file(gbk(SQUARE_6_DEGREE))
    parcel = only(parsed)
    # CGCS2000 6° zone 19: EPSG 4478 + 19 = 4497, central meridian 111°E like 3° zone 37.
    assert (parcel.zone, parcel.epsg) == (19, 4497)
    assert parcel.area_mu == Decimal("15.0000")
    three = only(read_boundary_file(gbk(SQUARE)))
    assert parcel.geometry == three.geometry
    assert all_warnings(parsed) == []


def test_a_file_without_the_header_section_is_read_with_a_warning():
    text = SQUARE[SQUARE.index("[地块坐标]") :]
    parsed = read_boundary_file(gbk(text))
    assert only(parsed).area_mu == Decimal("15.0000")
    assert all_warnings(parsed) == ["文件没有 [属性描述] 节，按 2000 国家大地坐标系、高斯-克吕格投影读取。"]


def test_fullwidth_commas_and_trailing_commas_are_tolerated():
    text = SQUARE.replace("J2,1,3985100.000,37500000.000", "J2，1，3985100.000，37500000.000")
    text = text.replace("J3,1,3985100.000,37500100.000", "J3,1,3985100.000,37500100.000,")
    parsed = read_boundary_file(gbk(text))
    assert only(parsed).area_mu == Decimal("15.0000")
    assert all_warnings(parsed) == ["第15行：使用了中文逗号“，”分隔字段，已按英文逗号读取。"]


def test_a_prefix_that_disagrees_with_the_header_zone_is_warned_and_the_prefix_wins():
    text = SQUARE.replace("带号=37", "带号=38")
    parsed = read_boundary_file(gbk(text))
    parcel = only(parsed)
    assert parcel.zone == 37
    assert all_warnings(parsed) == ["第14行：Y 坐标的带号前缀为 37，与 [属性描述] 的带号 38 不同，已按坐标前缀计算。"]


def test_a_file_area_more_than_one_percent_off_is_warned():
    # The file says 0.9800 公顷 = 14.7 亩; the points give 15 亩: (15 − 14.7) ÷ 14.7 × 100 = 2.04 %.
    parcel = only(read_boundary_file(gbk(SQUARE.replace("5,1.0000,", "5,0.9800,"))))
    warning = parcel.file_area_warning()
    assert warning.line == 13
    assert "按坐标计算的面积 15.00 亩（1.0000 公顷）与文件中的地块面积 0.9800 公顷（14.70 亩）相差 2.04%" in (
        warning.message
    )


def test_a_file_area_within_one_percent_is_not_warned():
    # 0.9901 公顷: (1 − 0.9901) ÷ 0.9901 × 100 = 0.9999 % — not over 1 %.
    parcel = only(read_boundary_file(gbk(SQUARE.replace("5,1.0000,", "5,0.9901,"))))
    assert parcel.file_area_warning() is None


def test_a_parcel_far_outside_its_zone_is_warned():
    # Easting 900 000 m: 400 km east of zone 37's meridian, about 115.4°E, beyond the zone's 112.5°E.
    parsed = read_boundary_file(gbk(SQUARE.replace(",375", ",379")))
    parcel = only(parsed)
    assert parcel.area_mu == Decimal("15.0000")
    (warning,) = all_warnings(parsed)
    assert warning.startswith("第13行：地块位于东经 115.")
    assert "离 3 度带第 37 带的中央子午线 111° 有 4." in warning and warning.endswith("超出该带范围；请核对带号。")
