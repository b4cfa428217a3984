"""Hand-made coordinate files (界址点坐标 TXT, DOMAIN.md §5) with areas worked out by hand.

Every file lies in CGCS2000 3° zone 37 (central meridian 111°E, in 临汾) around X 3 985 000 m
(about 36°N) unless it says otherwise. The twelve lines of HEADER put each parcel line at line 13 and
its first point at line 14, so that a refusal's line number can be read off the text.
"""

HEADER_LINES = [
    "[属性描述]",
    "格式版本号=1.01版本",
    "数据产生单位=临汾市某测绘有限公司",
    "数据产生日期=2023-06-01",
    "坐标系=2000国家大地坐标系",
    "几度分带=3",
    "投影类型=高斯克吕格",
    "计量单位=米",
    "带号=37",
    "精度=0.001",
    "转换参数=,,,,,,",
    "[地块坐标]",
]
HEADER = "\n".join(HEADER_LINES) + "\n"


def crlf(text):
    """Survey companies' files come from Windows: CRLF line ends."""
    return text.replace("\r\n", "\n").replace("\n", "\r\n")


def gbk(text):
    return crlf(text).encode("gbk")


def utf8_bom(text):
    return b"\xef\xbb\xbf" + crlf(text).encode("utf-8")


# 100 m × 100 m = 10 000 m² = 1 公顷 = 15 亩. The south-west corner lies on the central meridian.
SQUARE = HEADER + """5,1.0000,AZ-001,府城镇工业园地块,面,J49G066070,工业用地,0601,@
J1,1,3985000.000,37500000.000
J2,1,3985100.000,37500000.000
J3,1,3985100.000,37500100.000
J4,1,3985000.000,37500100.000
J1,1,3985000.000,37500000.000
"""

# The same square with the eastings written without the zone prefix (带号 only in the header).
SQUARE_NO_PREFIX = HEADER + """5,1.0000,AZ-001,府城镇工业园地块,面,J49G066070,工业用地,0601,@
J1,1,3985000.000,500000.000
J2,1,3985100.000,500000.000
J3,1,3985100.000,500100.000
J4,1,3985000.000,500100.000
J1,1,3985000.000,500000.000
"""

# The same square without its closing point: four points, and the parcel line counts four.
SQUARE_UNCLOSED = HEADER + """4,1.0000,AZ-001,府城镇工业园地块,面,J49G066070,工业用地,0601,@
J1,1,3985000.000,37500000.000
J2,1,3985100.000,37500000.000
J3,1,3985100.000,37500100.000
J4,1,3985000.000,37500100.000
"""

# The same square whose parcel line counts 6 points for the 5 that follow.
SQUARE_COUNT_OFF_BY_ONE = HEADER + """6,1.0000,AZ-001,府城镇工业园地块,面,J49G066070,工业用地,0601,@
J1,1,3985000.000,37500000.000
J2,1,3985100.000,37500000.000
J3,1,3985100.000,37500100.000
J4,1,3985000.000,37500100.000
J1,1,3985000.000,37500000.000
"""

# The square with a 20 m (north) × 30 m (east) hole: 10 000 − 600 = 9 400 m² = 0.94 公顷 = 14.1 亩.
SQUARE_WITH_HOLE = HEADER + """10,0.9400,AZ-002,唐城镇物流园地块,面,,仓储用地,0508,@
J1,1,3985000.000,37500000.000
J2,1,3985100.000,37500000.000
J3,1,3985100.000,37500100.000
J4,1,3985000.000,37500100.000
J1,1,3985000.000,37500000.000
K1,2,3985040.000,37500030.000
K2,2,3985060.000,37500030.000
K3,2,3985060.000,37500060.000
K4,2,3985040.000,37500060.000
K1,2,3985040.000,37500030.000
"""

# Three parcels in one file (line numbers: parcel lines 13, 19 and 27):
#  AZ-001 the square, 15 亩;
#  AZ-003 an L: 60 m east × 20 m north, plus 20 m east × 30 m north above its west end:
#         1 200 + 600 = 1 800 m² = 0.18 公顷 = 2.7 亩; it lies 200 m east of the square;
#  AZ-004 a 50 m × 40 m rectangle with a 10 m × 10 m hole: 2 000 − 100 = 1 900 m² = 2.85 亩,
#         400 m east of the square.
SEVERAL = HEADER + """5,1.0000,AZ-001,府城镇工业园地块,面,,工业用地,0601,@
J1,1,3985000.000,37500000.000
J2,1,3985100.000,37500000.000
J3,1,3985100.000,37500100.000
J4,1,3985000.000,37500100.000
J1,1,3985000.000,37500000.000
7,0.1800,AZ-003,和川镇仓储地块,面,,仓储用地,0508,@
L1,1,3985000.000,37500200.000
L2,1,3985000.000,37500260.000
L3,1,3985020.000,37500260.000
L4,1,3985020.000,37500220.000
L5,1,3985050.000,37500220.000
L6,1,3985050.000,37500200.000
L1,1,3985000.000,37500200.000
10,0.1900,AZ-004,冀氏镇商业地块,面,,商业用地,0501,@
M1,1,3985000.000,37500400.000
M2,1,3985040.000,37500400.000
M3,1,3985040.000,37500450.000
M4,1,3985000.000,37500450.000
M1,1,3985000.000,37500400.000
N1,2,3985010.000,37500410.000
N2,2,3985020.000,37500410.000
N3,2,3985020.000,37500420.000
N4,2,3985010.000,37500420.000
N1,2,3985010.000,37500410.000
"""

# The square in the 6° zone 19, whose central meridian is also 111°E: the same place on the map.
SQUARE_6_DEGREE = SQUARE.replace("几度分带=3", "几度分带=6").replace("带号=37", "带号=19").replace(
    ",375", ",195"
)

# A rectangle 100 m east × 101 m north = 10 100 m² = 15.15 亩: exactly 1 % more than 15 亩.
RECTANGLE_ONE_PERCENT = HEADER + """5,1.0100,AZ-001,府城镇工业园地块,面,,工业用地,0601,@
J1,1,3985000.000,37500000.000
J2,1,3985101.000,37500000.000
J3,1,3985101.000,37500100.000
J4,1,3985000.000,37500100.000
J1,1,3985000.000,37500000.000
"""

# 100 m east × 101.01 m north = 10 101 m² = 15.1515 亩: 1.01 % more than 15 亩.
RECTANGLE_OVER_ONE_PERCENT = RECTANGLE_ONE_PERCENT.replace("3985101.000", "3985101.010").replace(
    "1.0100", "1.0101"
)
