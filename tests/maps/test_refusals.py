"""What cannot be read is refused with its line number and a Chinese message; nothing is guessed."""

import pytest

from parcels.boundaries import BoundaryFileError, read_boundary_file

from .samples import HEADER, SQUARE, SQUARE_WITH_HOLE, gbk


def refusal(content):
    with pytest.raises(BoundaryFileError) as caught:
        read_boundary_file(content)
    return [(error.line, error.message) for error in caught.value.errors]


def parcel_errors(content):
    parsed = read_boundary_file(content)
    assert len(parsed.parcels) == 1
    parcel = parsed.parcels[0]
    assert parcel.area_m2 is None or parcel.errors
    return [(error.line, error.message) for error in parcel.errors]


def test_a_coordinate_that_is_not_a_number_is_refused_with_its_line():
    errors = refusal(gbk(SQUARE.replace("J3,1,3985100.000", "J3,1,39851OO.000")))
    assert errors == [(16, "X 坐标“39851OO.000”不是有效的数字（单位：米）。")]


def test_every_unreadable_line_is_listed():
    text = SQUARE.replace("J2,1,3985100.000,37500000.000", "J2,1,3985100.000")
    text = text.replace("J4,1,3985000.000,37500100.000", "J4,一,3985000.000,37500100.000")
    errors = refusal(gbk(text))
    assert [line for line, _ in errors] == [15, 17]
    assert errors[0][1].startswith("无法识别“J2,1,3985100.000”：界址点行应为“点号,圈号,X坐标,Y坐标”")
    assert errors[1][1] == "圈号“一”应为正整数（1 为外圈，2 起为内圈）。"


def test_swapped_x_and_y_are_refused_with_a_hint():
    text = SQUARE.replace("J1,1,3985000.000,37500000.000", "J1,1,37500000.000,3985000.000", 1)
    errors = refusal(gbk(text))
    assert errors[0][0] == 14 and "X、Y 可能颠倒" in errors[0][1]


def test_points_before_any_parcel_line_are_refused():
    text = SQUARE.replace("5,1.0000,AZ-001,府城镇工业园地块,面,J49G066070,工业用地,0601,@\n", "")
    errors = refusal(gbk(text))
    assert errors[0] == (13, "界址点之前缺少地块行（“界址点数,地块面积,地块编号,…,@”）。")


def test_a_file_without_the_coordinates_section_is_refused():
    errors = refusal(gbk(HEADER.replace("[地块坐标]\n", "")))
    assert errors == [(None, "文件中没有 [地块坐标] 节，不是界址点坐标文件。")]


def test_an_empty_file_is_refused_at_line_one():
    assert refusal(b"") == [(1, "文件为空。")]
    assert refusal(b"\r\n  \r\n") == [(1, "文件为空。")]


def test_a_file_in_neither_gbk_nor_utf8_is_refused_with_the_line_of_the_bad_bytes():
    content = gbk(SQUARE).replace(b"J2,1,", b"J2,\xff\xfe1,")
    errors = refusal(content)
    assert errors[0][0] == 15
    assert "既不是 GBK 也不是 UTF-8" in errors[0][1]


def test_a_binary_file_is_refused():
    errors = refusal(b"PK\x03\x04\x00\x00binary")
    assert errors == [(1, "含有空字符（NUL），这不是文本格式的界址点坐标文件。")]


def test_another_coordinate_system_is_refused_at_its_header_line():
    errors = refusal(gbk(SQUARE.replace("坐标系=2000国家大地坐标系", "坐标系=1980西安坐标系")))
    assert errors == [
        (5, "坐标系为“1980西安坐标系”。本系统只接受 2000 国家大地坐标系（CGCS2000）的坐标，请先转换后再上传。")
    ]


def test_another_projection_or_unit_is_refused_at_its_header_line():
    errors = refusal(gbk(SQUARE.replace("投影类型=高斯克吕格", "投影类型=UTM").replace("计量单位=米", "计量单位=英尺")))
    assert [line for line, _ in errors] == [7, 8]


def test_a_self_intersecting_boundary_is_refused_naming_the_crossing_edges():
    # J1 → J2 → J3 → J4 drawn as a bow tie: the edge J1–J2 crosses J3–J4.
    text = SQUARE.replace(
        "J2,1,3985100.000,37500000.000\nJ3,1,3985100.000,37500100.000\nJ4,1,3985000.000,37500100.000",
        "J2,1,3985100.000,37500100.000\nJ3,1,3985100.000,37500000.000\nJ4,1,3985000.000,37500100.000",
    )
    assert parcel_errors(gbk(text)) == [
        (14, "第1圈自相交：第14行至第15行的边与第16行至第17行的边相交。")
    ]


def test_a_hole_outside_the_outer_ring_is_refused_at_the_holes_first_line():
    # Move the hole 100 m further east: it now lies outside the square.
    text = SQUARE_WITH_HOLE.replace(",3750003", ",3750013").replace(",3750006", ",3750016")
    assert parcel_errors(gbk(text)) == [(19, "第2圈（内圈）不完全在第1圈（外圈）之内。")]


def test_a_hole_crossing_the_outer_ring_is_refused():
    text = SQUARE_WITH_HOLE.replace(",37500060.000", ",37500160.000")
    assert parcel_errors(gbk(text))[0][0] == 19


def test_a_point_count_far_from_the_points_is_refused():
    text = SQUARE.replace("5,1.0000,AZ-001", "12,1.0000,AZ-001")
    assert parcel_errors(gbk(text)) == [
        (13, "地块行的界址点数为 12，其后却有 5 个界址点：文件可能不完整或被改动。")
    ]


def test_a_parcel_without_an_outer_ring_is_refused():
    text = SQUARE.replace(",1,39", ",2,39")
    assert parcel_errors(gbk(text)) == [(14, "缺少第1圈（外圈）：圈号 1 为外圈，2 起为内圈。")]


def test_a_ring_split_in_two_is_refused():
    text = SQUARE_WITH_HOLE.replace("K3,2,", "K3,1,")
    errors = parcel_errors(gbk(text))
    assert errors == [(21, "第1圈的界址点不连续：同一圈的点应写在一起。")]


def test_a_boundary_of_two_distinct_points_is_refused():
    text = SQUARE.replace("J3,1,3985100.000,37500100.000", "J3,1,3985100.000,37500000.000").replace(
        "J4,1,3985000.000,37500100.000", "J4,1,3985000.000,37500000.000"
    )
    errors = parcel_errors(gbk(text))
    assert errors[0][0] == 14 and "不能构成面" in errors[0][1]


def test_mixed_prefixed_and_unprefixed_eastings_are_refused():
    text = SQUARE.replace("J3,1,3985100.000,37500100.000", "J3,1,3985100.000,500100.000")
    assert parcel_errors(gbk(text)) == [(16, "本地块的 Y 坐标有的带带号前缀、有的不带，无法确定投影带。")]


def test_a_zone_prefix_outside_china_is_refused():
    text = SQUARE.replace(",375", ",505")
    errors = parcel_errors(gbk(text))
    assert errors[0][0] == 14 and "带号前缀 50 不是我国范围内" in errors[0][1]


def test_a_boundary_of_thousands_of_square_kilometres_is_refused():
    # 100 km × 100 km: no parcel is that large; the points (or their units) are wrong.
    text = SQUARE.replace("3985100.000", "4085000.000").replace("37500100.000", "37600000.000")
    errors = parcel_errors(gbk(text))
    assert errors == [(13, "按坐标计算的地块面积为 10000.0 平方公里，不像一宗地块；请检查坐标和点序。")]


def test_a_hole_of_two_points_is_refused_at_its_line():
    text = SQUARE_WITH_HOLE.replace("K3,2,3985060.000,37500060.000\nK4,2,3985040.000,37500060.000\n", "")
    text = text.replace("10,0.9400", "8,0.9400")
    assert parcel_errors(gbk(text)) == [(19, "第2圈只有 2 个不同的界址点，不能构成面。")]


@pytest.mark.parametrize("digit", ["①", "⑤"])
def test_a_ring_or_point_count_of_digits_int_cannot_read_is_refused_with_its_line(digit):
    # str.isdigit() takes these for digits, int() does not: the reader used to fail with a server error.
    ring = refusal(gbk(SQUARE.replace("J3,1,3985100.000", f"J3,{digit},3985100.000")))
    assert ring == [(16, f"圈号“{digit}”应为正整数（1 为外圈，2 起为内圈）。")]
    count = refusal(gbk(SQUARE.replace("5,1.0000,AZ-001", f"{digit},1.0000,AZ-001")))
    assert count[0] == (13, f"地块行的界址点数“{digit}”应为整数。")
