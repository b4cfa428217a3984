"""The ministry's boundary coordinate files (界址点坐标 TXT, DOMAIN.md §5) and the figures drawn from them.

Everything about a boundary lives here, in one place: reading a file as survey companies write it (GBK,
UTF-8 with or without BOM, 3° or 6° zones, Y with or without the zone prefix), the known defects tolerated
with a warning, anything unreadable refused with its line number, the CGCS2000 Gauss-Krüger → longitude and
latitude transform (EPSG 4490), the polygon checks, the area in the projected plane and the 1 % area check,
and writing a file back that re-reads to the same points. No database access: the services, the API, the
admin and the tests all call these functions.
"""

import functools
import math
import re
from collections import Counter
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation, localcontext

import numpy as np
import shapely
from pyproj import Transformer
from shapely.geometry import Polygon, mapping
from shapely.geometry.polygon import orient

from landtrack.numbers import TEN_THOUSANDTH, round_half_up

__all__ = [
    "MAX_FILE_BYTES",
    "GEOGRAPHIC_EPSG",
    "LineError",
    "BoundaryFileError",
    "Point",
    "Ring",
    "ParsedParcel",
    "ParsedFile",
    "epsg_for_zone",
    "zone_width",
    "zone_for_meridian",
    "zone_containing",
    "valid_zone",
    "read_boundary_file",
    "write_boundary_file",
    "ExportParcel",
    "difference_percent",
    "area_differs",
    "AreaCheck",
    "area_check",
    "declared_area_warning",
    "square_metres_to_mu",
]

# A county's whole survey rarely reaches 1 MB; 5 MB leaves room and keeps a request short.
MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_POINTS = 200_000
MAX_PARCELS = 5_000
MAX_LINE_CHARS = 2_000
MAX_NUMBER_CHARS = 24
MAX_TEXT_CHARS = 200
# Errors listed at most; a file with more is wrong in some way the first ones already show.
MAX_ERRORS = 50

GEOGRAPHIC_EPSG = 4490  # CGCS2000 longitude/latitude
THREE_DEGREE_ZONES = range(25, 46)  # central meridians 75°E … 135°E
SIX_DEGREE_ZONES = range(13, 24)  # central meridians 75°E … 135°E
ZONE_FACTOR = Decimal(1_000_000)
MAX_NORTHING = Decimal(10_000_000)
CHINA_LNG = (73.0, 136.0)
# Surveys near a zone's edge may stay in the neighbouring zone; farther out the zone is likely wrong.
ZONE_BAND_MARGIN = 0.5
# The largest 批而未用 parcels are a few square kilometres; a thousand means the points are wrong.
MAX_AREA_M2 = Decimal(1_000_000_000)
MAX_FILE_AREA_HA = Decimal(100_000_000)
CHINA_LAT = (3.0, 54.0)

SQUARE_METRES_PER_HECTARE = Decimal(10_000)
MU_PER_HECTARE = Decimal(15)
MU_PER_SQUARE_METRE = Decimal("0.0015")
AREA_TOLERANCE_PERCENT = Decimal(1)
FOUR_PLACES = Decimal("0.0001")
HUNDRED = Decimal(100)
COORDINATE_PLACES = 9  # 1e-9 degree ≈ 0.1 mm

HEADER_SECTION = "属性描述"
POINTS_SECTION = "地块坐标"
HEADER_KEYS = (
    "格式版本号",
    "数据产生单位",
    "数据产生日期",
    "坐标系",
    "几度分带",
    "投影类型",
    "计量单位",
    "带号",
    "精度",
    "转换参数",
)
NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)")
SECTION = re.compile(r"^[\[［【]\s*(.*?)\s*[\]］】]$")
LINE_BREAK = re.compile(r"\r\n|\r|\n")

VALIDITY_REASONS = {
    "Self-intersection": "边线自相交",
    "Ring Self-intersection": "圈自相交",
    "Hole lies outside shell": "内圈在外圈之外",
    "Nested holes": "内圈相互嵌套",
    "Interior is disconnected": "内圈把地块分割成不相连的部分",
    "Nested shells": "外圈相互嵌套",
    "Duplicate Rings": "有重复的圈",
    "Too few points": "界址点不足",
    "Invalid Coordinate": "坐标无效",
    "Ring is not closed": "圈未闭合",
}


@dataclass(frozen=True)
class LineError:
    """A refusal or a warning about one line of a coordinate file (``line`` is None for the whole file)."""

    line: int | None
    message: str

    def as_dict(self):
        return {"line": self.line, "message": self.message}

    def __str__(self):
        return self.message if self.line is None else f"第{self.line}行：{self.message}"


class BoundaryFileError(Exception):
    """A coordinate file that cannot be read, or a parcel in it that cannot be stored."""

    def __init__(self, errors):
        self.errors = list(errors)[:MAX_ERRORS]
        super().__init__("；".join(str(error) for error in self.errors))

    def as_list(self):
        return [error.as_dict() for error in self.errors]


@dataclass
class Point:
    """A boundary point (界址点): X northing, Y easting with the zone prefix, as written in the file."""

    number: str
    ring: int
    x: Decimal
    y: Decimal
    line: int | None = None


@dataclass
class Ring:
    """A ring (圈) of a parcel: 1 is the outer boundary, 2 and up are holes; closed (first point repeated)."""

    number: int
    points: list


def epsg_for_zone(zone):
    """The EPSG code of the CGCS2000 Gauss-Krüger zone whose eastings carry the zone prefix."""
    if zone in THREE_DEGREE_ZONES:
        return 4488 + zone
    if zone in SIX_DEGREE_ZONES:
        return 4478 + zone
    raise ValueError(f"no CGCS2000 Gauss-Krüger zone {zone}")


def zone_width(zone):
    """3 or 6: the zone numbers of China's 3° zones (25–45) and 6° zones (13–23) do not overlap."""
    if zone in THREE_DEGREE_ZONES:
        return 3
    if zone in SIX_DEGREE_ZONES:
        return 6
    raise ValueError(f"no CGCS2000 Gauss-Krüger zone {zone}")


def valid_zone(zone):
    return zone in THREE_DEGREE_ZONES or zone in SIX_DEGREE_ZONES


@functools.lru_cache(maxsize=32)
def _transformer(epsg):
    # pyproj's Transformer is thread-safe since 3.1, so one per zone serves every request.
    return Transformer.from_crs(epsg, GEOGRAPHIC_EPSG, always_xy=True)


def to_lng_lat(epsg, eastings, northings):
    """Gauss-Krüger (easting with zone prefix, northing) in metres → CGCS2000 (longitude, latitude) arrays."""
    return _transformer(epsg).transform(
        np.asarray(eastings, dtype=float), np.asarray(northings, dtype=float), errcheck=False
    )


def square_metres_to_mu(area_m2):
    return area_m2 * MU_PER_SQUARE_METRE


def difference_percent(computed, reference):
    """(computed − reference) ÷ reference × 100, exact (round only what is shown); None without a reference."""
    if computed is None or not reference:
        return None
    return (Decimal(computed) - Decimal(reference)) / Decimal(reference) * HUNDRED


def area_differs(computed, reference):
    """Whether two areas differ by more than 1 % of the reference."""
    difference = difference_percent(computed, reference)
    return difference is not None and abs(difference) > AREA_TOLERANCE_PERCENT


@dataclass(frozen=True)
class AreaCheck:
    """A boundary's computed area against the ledger's (declared) area and the file's own area, exact."""

    computed_mu: Decimal
    declared_mu: Decimal | None
    file_mu: Decimal | None

    @property
    def difference_percent(self):
        return difference_percent(self.computed_mu, self.declared_mu)

    @property
    def file_difference_percent(self):
        return difference_percent(self.computed_mu, self.file_mu)

    @property
    def mismatch(self):
        """More than 1 % away from the ledger's area."""
        return area_differs(self.computed_mu, self.declared_mu)

    @property
    def file_mismatch(self):
        return area_differs(self.computed_mu, self.file_mu)


def area_check(*, area_m2, declared_mu=None, file_area_ha=None):
    return AreaCheck(
        computed_mu=square_metres_to_mu(Decimal(area_m2)),
        declared_mu=None if declared_mu is None else Decimal(declared_mu),
        file_mu=None if file_area_ha is None else Decimal(file_area_ha) * MU_PER_HECTARE,
    )


def format_percent(value):
    return f"{value.quantize(Decimal('0.01'), rounding=ROUND_HALF_UP):.2f}"


def format_hectares(value):
    return f"{round_half_up(value, TEN_THOUSANDTH):.4f}"


def format_mu(value):
    return f"{Decimal(value).quantize(Decimal('0.01'), rounding=ROUND_HALF_UP):.2f}"


@dataclass
class ParsedParcel:
    """One parcel of a coordinate file: its header line, its rings, and what was computed from them."""

    line: int
    count: int
    area_text: str
    area_ha: Decimal | None
    code: str
    name: str
    shape: str
    sheet: str
    land_use: str
    land_class: str
    points: list = field(default_factory=list)  # as read, in file order
    rings: list = field(default_factory=list)  # [Ring], closed, Y with the zone prefix
    zone: int | None = None
    epsg: int | None = None
    area_m2: Decimal | None = None
    geometry: dict | None = None  # GeoJSON Polygon in CGCS2000 longitude/latitude
    bbox: list | None = None  # [min lng, min lat, max lng, max lat]
    center: list | None = None  # [lng, lat] of a point inside the parcel
    warnings: list = field(default_factory=list)
    errors: list = field(default_factory=list)

    @property
    def area_mu(self):
        """The computed area in 亩, 4 places."""
        if self.area_m2 is None:
            return None
        return square_metres_to_mu(self.area_m2).quantize(FOUR_PLACES, rounding=ROUND_HALF_UP)

    @property
    def file_area_mu(self):
        return None if self.area_ha is None else self.area_ha * MU_PER_HECTARE

    @property
    def point_count(self):
        return sum(len(ring.points) for ring in self.rings)

    def stored_rings(self):
        """The rings as kept in the database: ``[{"ring": 1, "points": [[number, "x", "y"], ...]}, ...]``."""
        return [
            {
                "ring": ring.number,
                "points": [[point.number, str(point.x), str(point.y)] for point in ring.points],
            }
            for ring in self.rings
        ]

    def parcel_line(self):
        """The fields of the file's parcel line, kept so that an export writes them back."""
        return {
            "count": self.count,
            "area": self.area_text,
            "code": self.code,
            "name": self.name,
            "shape": self.shape,
            "sheet": self.sheet,
            "land_use": self.land_use,
            "land_class": self.land_class,
        }

    def file_area_warning(self):
        """The 1 % check of the computed area against the file's own 地块面积 (公顷), or None."""
        if self.area_m2 is None:
            return None
        check = area_check(area_m2=self.area_m2, file_area_ha=self.area_ha)
        if not check.file_mismatch:
            return None
        return LineError(
            self.line,
            f"按坐标计算的面积 {format_mu(check.computed_mu)} 亩"
            f"（{format_hectares(self.area_m2 / SQUARE_METRES_PER_HECTARE)} 公顷）与文件中的地块面积 "
            f"{self.area_ha} 公顷（{format_mu(check.file_mu)} 亩）相差 {format_percent(check.file_difference_percent)}%，"
            "超过 1%。",
        )


def declared_area_warning(area_m2, declared_mu):
    """The 1 % check of a computed area against the ledger's (declared) area, as a message, or None.

    Not stored with the boundary: the ledger's area may change after the upload.
    """
    check = area_check(area_m2=area_m2, declared_mu=declared_mu)
    if not check.mismatch:
        return None
    return (
        f"按坐标计算的面积 {format_mu(check.computed_mu)} 亩与台账面积 {format_mu(check.declared_mu)} 亩"
        f"相差 {format_percent(check.difference_percent)}%，超过 1%，请核对。"
    )


@dataclass
class ParsedFile:
    """A coordinate file as read: its encoding, its [属性描述] and its parcels."""

    encoding: str
    header: dict
    parcels: list
    warnings: list = field(default_factory=list)
    header_lines: dict = field(default_factory=dict)  # key → line number

    @property
    def errors(self):
        return [error for parcel in self.parcels for error in parcel.errors]


# --------------------------------------------------------------------------------------------------------
# Reading


def _line_of_offset(content, offset):
    """The line a byte offset lies on, lines ending as LINE_BREAK ends them (CR LF, CR or LF)."""
    return len(re.findall(rb"\r\n|\r|\n", content[:offset])) + 1


def decode(content):
    """The file's text and the name of its encoding: UTF-8 (with or without BOM), GBK, or UTF-16 with BOM."""
    if content.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return content.decode("utf-16"), "UTF-16"
        except UnicodeDecodeError as error:
            raise BoundaryFileError(
                [LineError(None, "文件以 UTF-16 标记开头，但内容无法按 UTF-16 读取。")]
            ) from error
    nul = content.find(b"\x00")
    if nul >= 0:
        raise BoundaryFileError(
            [LineError(_line_of_offset(content, nul), "含有空字符（NUL），这不是文本格式的界址点坐标文件。")]
        )
    if content.startswith(b"\xef\xbb\xbf"):
        try:
            return content[3:].decode("utf-8"), "UTF-8（带 BOM）"
        except UnicodeDecodeError as error:
            line = _line_of_offset(content, error.start + 3)
            raise BoundaryFileError(
                [LineError(line, "文件标明为 UTF-8 编码，但此行含有无法识别的字节。")]
            ) from error
    try:
        return content.decode("utf-8"), "UTF-8"
    except UnicodeDecodeError:
        pass
    try:
        # GB18030 reads every GBK file the same way, and also the few characters GBK lacks.
        return content.decode("gb18030"), "GBK"
    except UnicodeDecodeError as error:
        line = _line_of_offset(content, error.start)
        raise BoundaryFileError(
            [
                LineError(
                    line, "含有既不是 GBK 也不是 UTF-8 编码的字节，无法读取；请以 GBK 或 UTF-8 编码保存文件。"
                )
            ]
        ) from error


def _decimal(text):
    """A plain decimal number (no exponent, NaN or infinity), or None."""
    if len(text) > MAX_NUMBER_CHARS or not NUMBER.fullmatch(text):
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:  # pragma: no cover - the pattern admits only plain decimals
        return None
    return value if value.is_finite() else None


def _short(text, limit=40):
    return text if len(text) <= limit else text[:limit] + "…"


class _Reader:
    """Reads the lines of a decoded file into a ParsedFile, collecting every error it meets."""

    def __init__(self, text, encoding):
        self.text = text
        self.encoding = encoding
        self.errors = []
        self.warnings = []
        self.header = {}
        self.header_lines = {}
        self.parcels = []
        self.points = 0

    def error(self, line, message):
        self.errors.append(LineError(line, message))
        if len(self.errors) >= MAX_ERRORS:
            raise BoundaryFileError(self.errors)

    def read(self):
        if "\x00" in self.text:
            raise BoundaryFileError([LineError(None, "含有空字符（NUL），这不是文本格式的界址点坐标文件。")])
        lines = LINE_BREAK.split(self.text)
        if not any(line.strip() for line in lines):
            raise BoundaryFileError([LineError(1, "文件为空。")])
        section = None
        seen_sections = set()
        fullwidth_comma_line = None
        for number, raw in enumerate(lines, start=1):
            line = raw.strip().lstrip("\ufeff")
            if not line:
                continue
            if len(line) > MAX_LINE_CHARS:
                self.error(number, f"此行超过 {MAX_LINE_CHARS} 个字符，不是界址点坐标文件的内容。")
                continue
            match = SECTION.match(line)
            if match:
                name = match.group(1)
                if name in (HEADER_SECTION, POINTS_SECTION):
                    if name in seen_sections:
                        self.error(number, f"[{name}] 节重复出现；一个文件只能有一个 [{name}] 节。")
                    seen_sections.add(name)
                    section = name
                else:
                    self.warnings.append(LineError(number, f"不认识的节 [{_short(name)}]，其内容已忽略。"))
                    section = "ignored"
                continue
            if section is None:
                self.error(number, "文件应以 [属性描述] 或 [地块坐标] 开头，此行无法识别。")
                continue
            if section == "ignored":
                continue
            if section == HEADER_SECTION:
                self.read_header_line(number, line)
            else:
                if "，" in line:
                    line = line.replace("，", ",")
                    fullwidth_comma_line = fullwidth_comma_line or number
                self.read_points_line(number, line)
        if fullwidth_comma_line:
            self.warnings.append(
                LineError(fullwidth_comma_line, "使用了中文逗号“，”分隔字段，已按英文逗号读取。")
            )
        if POINTS_SECTION not in seen_sections:
            self.error(None, "文件中没有 [地块坐标] 节，不是界址点坐标文件。")
        elif not self.parcels and not self.errors:
            self.error(None, "[地块坐标] 节中没有地块。")
        if HEADER_SECTION not in seen_sections and POINTS_SECTION in seen_sections:
            self.warnings.append(
                LineError(None, "文件没有 [属性描述] 节，按 2000 国家大地坐标系、高斯-克吕格投影读取。")
            )
        if self.errors:
            raise BoundaryFileError(self.errors)
        return ParsedFile(
            encoding=self.encoding,
            header=self.header,
            parcels=self.parcels,
            warnings=self.warnings,
            header_lines=self.header_lines,
        )

    def read_header_line(self, number, line):
        key, sep, value = line.replace("＝", "=").partition("=")
        if not sep:
            self.warnings.append(
                LineError(number, f"[属性描述] 中的“{_short(line)}”不是“名称=值”的形式，已忽略。")
            )
            return
        key, value = key.strip(), value.strip()
        if len(self.header) >= 50 or len(key) > MAX_TEXT_CHARS:
            self.warnings.append(LineError(number, "[属性描述] 中的此项已忽略。"))
            return
        self.header[key] = value[:MAX_TEXT_CHARS]
        self.header_lines[key] = number

    def read_points_line(self, number, line):
        fields = [part.strip() for part in line.split(",")]
        if len(fields) > 4 and not any(fields[4:]):
            # "J1,1,3985000.000,37500000.000," — trailing commas add nothing.
            fields = fields[:4]
        if fields and fields[-1] == "@":
            self.start_parcel(number, fields[:-1])
        elif line.endswith("@"):
            # "…,0601@" without the last comma
            fields[-1] = fields[-1][:-1].strip()
            self.start_parcel(number, fields)
        elif len(fields) == 4:
            self.add_point(number, fields)
        elif len(fields) == 8 and fields[0].isdecimal():
            self.warnings.append(LineError(number, "地块行末尾缺少“@”，已按地块行读取。"))
            self.start_parcel(number, fields)
        else:
            self.error(
                number,
                f"无法识别“{_short(line)}”：界址点行应为“点号,圈号,X坐标,Y坐标”，"
                "地块行应为“界址点数,地块面积,地块编号,地块名称,图形属性,图幅号,地块用途,地类编码,@”。",
            )

    def start_parcel(self, number, fields):
        if len(self.parcels) >= MAX_PARCELS:
            raise BoundaryFileError(
                self.errors + [LineError(number, f"一个文件最多 {MAX_PARCELS} 个地块，请分成几个文件上传。")]
            )
        if len(fields) < 3:
            self.error(number, "地块行至少应有界址点数、地块面积和地块编号三项。")
            return
        if not fields[0].isdecimal() or len(fields[0]) > 9:
            self.error(number, f"地块行的界址点数“{_short(fields[0])}”应为整数。")
            return
        if len(fields) > 8:
            # A comma inside the name: the last four fields are still shape, sheet, use and class.
            fields = fields[:3] + [",".join(fields[3:-4])] + fields[-4:]
        fields = fields + [""] * (8 - len(fields))
        count, area_text, code, name, shape, sheet, land_use, land_class = fields
        parcel = ParsedParcel(
            line=number,
            count=int(count),
            area_text=area_text[:MAX_NUMBER_CHARS],
            area_ha=None,
            code=code[:50],
            name=name[:MAX_TEXT_CHARS],
            shape=shape[:MAX_TEXT_CHARS],
            sheet=sheet[:MAX_TEXT_CHARS],
            land_use=land_use[:MAX_TEXT_CHARS],
            land_class=land_class[:MAX_TEXT_CHARS],
        )
        if area_text:
            area = _decimal(area_text)
            if area is None or area < 0 or area >= MAX_FILE_AREA_HA:
                parcel.warnings.append(
                    LineError(number, f"地块面积“{_short(area_text)}”不是有效的公顷数，未用于面积核对。")
                )
            elif area == 0:
                parcel.warnings.append(LineError(number, "地块面积为 0，未用于面积核对。"))
            else:
                parcel.area_ha = area
        else:
            parcel.warnings.append(LineError(number, "地块行没有填写地块面积，未与文件面积核对。"))
        if not code:
            parcel.warnings.append(LineError(number, "地块行没有地块编号。"))
        self.parcels.append(parcel)

    def add_point(self, number, fields):
        if not self.parcels:
            self.error(number, "界址点之前缺少地块行（“界址点数,地块面积,地块编号,…,@”）。")
            return
        self.points += 1
        if self.points > MAX_POINTS:
            raise BoundaryFileError(
                self.errors + [LineError(number, f"一个文件最多 {MAX_POINTS} 个界址点，请分成几个文件上传。")]
            )
        point_number, ring_text, x_text, y_text = fields
        if not ring_text.isdecimal() or len(ring_text) > 9 or not 1 <= int(ring_text) <= 9999:
            self.error(number, f"圈号“{_short(ring_text)}”应为正整数（1 为外圈，2 起为内圈）。")
            return
        x, y = _decimal(x_text), _decimal(y_text)
        if x is None:
            self.error(number, f"X 坐标“{_short(x_text)}”不是有效的数字（单位：米）。")
            return
        if y is None:
            self.error(number, f"Y 坐标“{_short(y_text)}”不是有效的数字（单位：米）。")
            return
        if x >= MAX_NORTHING and 0 < y < MAX_NORTHING:
            self.error(
                number,
                f"X 坐标 {x} 像是带带号的横坐标，Y 坐标 {y} 像是纵坐标：X、Y 可能颠倒（X 为北坐标，Y 为东坐标）。",
            )
            return
        if not 0 < x < MAX_NORTHING:
            self.error(
                number, f"X 坐标 {_short(x_text)} 超出合理范围（应为 0 至 10 000 000 米之间的北坐标）。"
            )
            return
        if not 0 < y < 100 * ZONE_FACTOR:
            self.error(number, f"Y 坐标 {_short(y_text)} 超出合理范围（应为东坐标，可带两位带号）。")
            return
        self.parcels[-1].points.append(Point(point_number[:MAX_NUMBER_CHARS], int(ring_text), x, y, number))


def _header_int(key, parsed):
    value = parsed.header.get(key, "")
    digits = re.sub(r"[^\d]", "", value)
    return (int(digits) if digits and len(digits) <= 3 else None), parsed.header_lines.get(key), value


def _check_header(reader, parsed):
    """Refuses what the transform cannot honour; returns the zone the header names, if any."""
    header = parsed.header
    lines = parsed.header_lines
    crs = (header.get("坐标系") or "").strip() or None  # written blank: as not written
    if crs is None:
        if header:
            parsed.warnings.append(LineError(None, "[属性描述] 没有写明坐标系，按 2000 国家大地坐标系读取。"))
    elif "2000" not in crs and "CGCS" not in crs.upper():
        reader.error(
            lines["坐标系"],
            f"坐标系为“{_short(crs)}”。本系统只接受 2000 国家大地坐标系（CGCS2000）的坐标，请先转换后再上传。",
        )
    projection = header.get("投影类型")
    if projection and "高斯" not in projection and "GAUSS" not in projection.upper():
        reader.error(lines["投影类型"], f"投影类型为“{_short(projection)}”，本系统只接受高斯-克吕格投影。")
    unit = header.get("计量单位")
    if unit and "米" not in unit and unit.lower() not in ("m", "metre", "meter", "metres", "meters"):
        reader.error(lines["计量单位"], f"计量单位为“{_short(unit)}”，本系统只接受以米为单位的坐标。")

    width, width_line, width_text = _header_int("几度分带", parsed)
    if width_text and width not in (3, 6):
        parsed.warnings.append(
            LineError(width_line, f"几度分带“{_short(width_text)}”无法识别，按带号判断 3 度带或 6 度带。")
        )
        width = None
    zone, zone_line, zone_text = _header_int("带号", parsed)
    if zone_text and (zone is None or not valid_zone(zone)):
        parsed.warnings.append(
            LineError(
                zone_line,
                f"带号“{_short(zone_text)}”不是我国范围内的 3 度带（25–45）或 6 度带（13–23）带号，未采用。",
            )
        )
        zone = None
    if zone is not None and width is not None and zone_width(zone) != width:
        parsed.warnings.append(
            LineError(
                width_line,
                f"几度分带为 {width}，但带号 {zone} 属于 {zone_width(zone)} 度带，按 {zone_width(zone)} 度带计算。",
            )
        )
    if zone is not None:
        return ZoneSource(zone, f"[属性描述] 的带号 {zone}")
    meridian_key = next((key for key in parsed.header if "中央子午线" in key or "中央经线" in key), None)
    if meridian_key is None:
        return ZoneSource(None, "", width)
    text = parsed.header[meridian_key]
    match = NUMBER.search(text)
    meridian = _decimal(match.group()) if match else None
    zone = zone_for_meridian(meridian, width or 3) if meridian is not None else None
    if zone is None:
        parsed.warnings.append(
            LineError(
                parsed.header_lines.get(meridian_key),
                f"{meridian_key}“{_short(text)}”不是 {width or 3} 度带的中央子午线，未采用。",
            )
        )
        return ZoneSource(None, "", width)
    return ZoneSource(
        zone, f"[属性描述] 的{meridian_key} {meridian}°（{zone_width(zone)} 度带第 {zone} 带）"
    )


@dataclass(frozen=True)
class ZoneSource:
    """The projection zone a file's header names (or implies), and how, for a warning that uses it."""

    zone: int | None
    how: str
    width: int | None = None


def zone_for_meridian(meridian, width=3):
    """The 3° or 6° zone whose central meridian is ``meridian`` degrees east, or None."""
    meridian = Decimal(meridian)
    if meridian != meridian.to_integral_value():
        return None
    degrees = int(meridian)
    if width == 3 and degrees % 3 == 0:
        zone = degrees // 3
    elif width == 6 and (degrees + 3) % 6 == 0:
        zone = (degrees + 3) // 6
    else:
        return None
    return zone if valid_zone(zone) and zone_width(zone) == width else None


def zone_containing(lng, width=3):
    """The 3° or 6° zone in which longitude ``lng`` (degrees east) lies, or None outside China's zones."""
    lng = float(lng)
    zone = math.floor(lng / 3 + 0.5) if width == 3 else math.floor(lng / 6) + 1
    return zone if valid_zone(zone) and zone_width(zone) == width else None


def read_boundary_file(content, *, near_lng=None, fallback_zone=None):
    """Read a coordinate file (bytes) into its parcels, checked and transformed.

    Raises BoundaryFileError listing every line that cannot be read. A parcel that can be read but not
    stored (self-intersecting, a hole outside, no zone …) keeps its reasons in ``parcel.errors``.
    When neither the eastings' prefix nor the header names the zone, ``near_lng`` (e.g. the ledger's centre
    longitude of the parcel) gives it, or else ``fallback_zone()`` — called only then — returning
    ``(zone, how it was chosen)`` or None; a warning says which was used.
    """
    if not isinstance(content, bytes | bytearray):
        raise TypeError("content must be bytes")
    if len(content) > MAX_FILE_BYTES:
        raise BoundaryFileError(
            [
                LineError(
                    None,
                    f"文件大小为 {len(content) / 1024 / 1024:.1f} MB，超过 {MAX_FILE_BYTES // 1024 // 1024} MB 的上限；"
                    "请分成几个文件上传。",
                )
            ]
        )
    if not content:
        raise BoundaryFileError([LineError(1, "文件为空。")])
    text, encoding = decode(bytes(content))
    reader = _Reader(text, encoding)
    parsed = reader.read()
    source = _check_header(reader, parsed)
    if reader.errors:
        raise BoundaryFileError(reader.errors)
    if source.zone is None and near_lng is not None:
        width = source.width or 3
        zone = _zone_near(parsed, near_lng, width)
        if zone is not None:
            lng = f"{Decimal(near_lng):f}"
            how = (
                f"地块中心点经度 {lng}° 所在的 {width} 度带第 {zone} 带"
                if zone == zone_containing(near_lng, width)
                else f"相邻的 {width} 度带第 {zone} 带（按此带计算，地块才在中心点经度 {lng}° 附近）"
            )
            source = ZoneSource(zone, how, width)
    if source.zone is None and fallback_zone is not None and any(
        parcel.points and all(point.y < ZONE_FACTOR for point in parcel.points) for parcel in parsed.parcels
    ):
        chosen = fallback_zone()
        if chosen is not None and valid_zone(chosen[0]):
            source = _fallback_source(*chosen, width=source.width)
    for parcel in parsed.parcels:
        _build_parcel(parcel, source)
    return parsed


def _zone_near(parsed, near_lng, width):
    """The zone of the given width whose reading of the file's unprefixed points puts them nearest the
    longitude ``near_lng`` (the ledger's centre point): the zone that holds it, or the one beside it.
    A survey near a zone's edge keeps the neighbouring zone's central meridian, so the zone holding the
    centre point alone could put the parcel a zone's width away (about 270 km at 112.5°E)."""
    zone = zone_containing(near_lng, width)
    if zone is None:
        return None
    sample = next(
        (point for parcel in parsed.parcels for point in parcel.points if point.y < ZONE_FACTOR), None
    )
    if sample is None:
        return zone
    candidates = [
        candidate
        for candidate in (zone, zone - 1, zone + 1)
        if valid_zone(candidate) and zone_width(candidate) == width
    ]

    def distance(candidate):
        lng, _ = to_lng_lat(
            epsg_for_zone(candidate), [float(candidate * ZONE_FACTOR + sample.y)], [float(sample.x)]
        )
        return abs(float(lng[0]) - float(near_lng)) if math.isfinite(lng[0]) else math.inf

    return min(candidates, key=distance)


def _fallback_source(zone, how, *, width):
    """A fallback zone in the width the header's 几度分带 names: the zone of that width with the same central
    meridian (eastings in 6° zone 19 and 3° zone 37 are the same numbers), or no zone when there is none."""
    if width is None or zone_width(zone) == width:
        return ZoneSource(zone, how, zone_width(zone))
    meridian = _central_meridian(zone)
    same = zone_for_meridian(meridian, width)
    if same is None:
        return ZoneSource(None, "", width)
    return ZoneSource(same, f"{how}（中央子午线 {meridian}°，即 {width} 度带第 {same} 带）", width)


def _central_meridian(zone):
    return zone * 3 if zone_width(zone) == 3 else zone * 6 - 3


def _build_parcel(parcel, source):
    """Group the points into closed rings, find the zone, transform, validate and measure one parcel."""
    if not parcel.points:
        parcel.errors.append(LineError(parcel.line, f"地块“{parcel.code}”没有界址点。"))
        return
    rings = _group_rings(parcel)
    if parcel.errors:
        return
    _check_count(parcel, rings)
    if not _assign_zone(parcel, source):
        return
    for ring in rings:
        first, last = ring.points[0], ring.points[-1]
        if (first.x, first.y) != (last.x, last.y):
            parcel.warnings.append(
                LineError(
                    first.line, f"第{ring.number}圈未闭合（末点与首点 {first.number} 不同），已按首点闭合。"
                )
            )
            ring.points.append(Point(first.number, ring.number, first.x, first.y, None))
    parcel.rings = rings
    for ring in rings:
        distinct = len({(point.x, point.y) for point in ring.points})
        if distinct < 3:
            parcel.errors.append(
                LineError(
                    ring.points[0].line, f"第{ring.number}圈只有 {distinct} 个不同的界址点，不能构成面。"
                )
            )
            return
    if not _transform(parcel):
        return
    if not _validate_geometry(parcel):
        return
    area_m2 = _area_m2(parcel.rings)
    if square_metres_to_mu(area_m2).quantize(FOUR_PLACES, rounding=ROUND_HALF_UP) <= 0:
        parcel.errors.append(
            LineError(parcel.line, f"按坐标计算的地块面积只有 {area_m2} 平方米，界址点不能构成地块。")
        )
        return
    if area_m2 > MAX_AREA_M2:
        parcel.errors.append(
            LineError(
                parcel.line,
                f"按坐标计算的地块面积为 {area_m2 / 1_000_000:.1f} 平方公里，不像一宗地块；请检查坐标和点序。",
            )
        )
        return
    parcel.area_m2 = area_m2
    _check_zone_band(parcel)


def _check_zone_band(parcel):
    """Warn when the parcel lies well outside its zone: the zone prefix (or header 带号) is likely wrong."""
    width = zone_width(parcel.zone)
    meridian = _central_meridian(parcel.zone)
    reach = width / 2 + ZONE_BAND_MARGIN
    min_lng, _, max_lng, _ = parcel.bbox
    farthest = max(abs(min_lng - meridian), abs(max_lng - meridian))
    if farthest > reach:
        parcel.warnings.append(
            LineError(
                parcel.line,
                f"地块位于东经 {min_lng:.2f}°，离 {width} 度带第 {parcel.zone} 带的中央子午线 {meridian}° 有 "
                f"{farthest:.1f}°，超出该带范围；请核对带号。",
            )
        )


def _group_rings(parcel):
    rings = []
    by_number = {}
    for point in parcel.points:
        if rings and rings[-1].number == point.ring:
            rings[-1].points.append(point)
            continue
        if point.ring in by_number:
            parcel.errors.append(
                LineError(point.line, f"第{point.ring}圈的界址点不连续：同一圈的点应写在一起。")
            )
            return rings
        ring = Ring(point.ring, [point])
        by_number[point.ring] = ring
        rings.append(ring)
    if 1 not in by_number:
        parcel.errors.append(
            LineError(parcel.points[0].line, "缺少第1圈（外圈）：圈号 1 为外圈，2 起为内圈。")
        )
        return rings
    # The outer ring first, then the holes in file order.
    rings.sort(key=lambda ring: ring.number != 1)
    parcel.rings = rings
    return rings


def _check_count(parcel, rings):
    actual = len(parcel.points)
    if parcel.count == actual:
        return
    gap = abs(parcel.count - actual)
    if gap <= max(1, len(rings)):
        parcel.warnings.append(
            LineError(
                parcel.line, f"地块行的界址点数为 {parcel.count}，实际有 {actual} 个界址点，已按实际读取。"
            )
        )
    else:
        parcel.errors.append(
            LineError(
                parcel.line,
                f"地块行的界址点数为 {parcel.count}，其后却有 {actual} 个界址点：文件可能不完整或被改动。",
            )
        )


def _assign_zone(parcel, source):
    """Give every Y its zone prefix; record the zone and its EPSG code."""
    header_zone = source.zone
    first = parcel.points[0]
    if all(abs(point.x) <= 90 and abs(point.y) <= 180 for point in parcel.points):
        parcel.errors.append(
            LineError(
                first.line,
                f"X {first.x}、Y {first.y} 像是经纬度（度），不是投影坐标（米）：本系统读 2000 国家大地坐标系"
                "高斯-克吕格投影的 X（北坐标）、Y（东坐标），请在测绘软件中转换后再上传。",
            )
        )
        return False
    prefixed = [point.y >= ZONE_FACTOR for point in parcel.points]
    if all(prefixed):
        # The prefix most points carry: a point that differs is the one refused, the first one included.
        zone = Counter(int(point.y // ZONE_FACTOR) for point in parcel.points).most_common(1)[0][0]
        for point in parcel.points:
            if int(point.y // ZONE_FACTOR) != zone:
                parcel.errors.append(
                    LineError(
                        point.line,
                        f"Y 坐标的带号前缀 {int(point.y // ZONE_FACTOR)} 与本地块其他点的 {zone} 不同。",
                    )
                )
                return False
        if not valid_zone(zone):
            parcel.errors.append(
                LineError(
                    first.line,
                    f"Y 坐标 {first.y} 的带号前缀 {zone} 不是我国范围内的 3 度带（25–45）或 6 度带（13–23）带号"
                    + ("；X 与 Y 可能颠倒（X 为北坐标，Y 为东坐标）。" if first.x < ZONE_FACTOR else "。"),
                )
            )
            return False
        if header_zone is not None and header_zone != zone and source.how.startswith("[属性描述]"):
            parcel.warnings.append(
                LineError(
                    first.line,
                    f"Y 坐标的带号前缀为 {zone}，与 {source.how} 不同，已按坐标前缀计算。",
                )
            )
    elif not any(prefixed):
        if header_zone is None:
            parcel.errors.append(
                LineError(
                    first.line,
                    "Y 坐标没有带号前缀，[属性描述] 中也没有有效的带号，无法确定投影带；"
                    "请在 [属性描述] 中填写“带号=”，或在 Y 坐标前加上带号。",
                )
            )
            return False
        zone = header_zone
        parcel.warnings.append(LineError(first.line, f"Y 坐标没有带号前缀，已按 {source.how} 计算。"))
        for point in parcel.points:
            point.y = point.y + zone * ZONE_FACTOR
    else:
        usual = Counter(prefixed).most_common(1)[0][0]  # what most points do; the others are named
        odd = next(point for point, has in zip(parcel.points, prefixed, strict=True) if has != usual)
        parcel.errors.append(LineError(odd.line, "本地块的 Y 坐标有的带带号前缀、有的不带，无法确定投影带。"))
        return False
    parcel.zone = zone
    parcel.epsg = epsg_for_zone(zone)
    return True


def _transform(parcel):
    lngs_lats = []
    for ring in parcel.rings:
        lng, lat = to_lng_lat(
            parcel.epsg, [float(p.y) for p in ring.points], [float(p.x) for p in ring.points]
        )
        for point, x, y in zip(ring.points, lng, lat, strict=True):
            if not (math.isfinite(x) and math.isfinite(y)) or not (
                CHINA_LNG[0] <= x <= CHINA_LNG[1] and CHINA_LAT[0] <= y <= CHINA_LAT[1]
            ):
                where = (
                    f"经度 {x:.6f}°、纬度 {y:.6f}°"
                    if math.isfinite(x) and math.isfinite(y)
                    else "无效的经纬度"
                )
                parcel.errors.append(
                    LineError(
                        point.line or ring.points[0].line,
                        f"坐标（X {point.x}，Y {point.y}）换算为{where}，不在我国范围内；"
                        "请检查带号是否正确、X 与 Y 是否颠倒。",
                    )
                )
                return False
        lngs_lats.append(list(zip(lng.tolist(), lat.tolist(), strict=True)))
    polygon = orient(Polygon(lngs_lats[0], lngs_lats[1:]), sign=1.0)
    geometry = mapping(polygon)
    parcel.geometry = {
        "type": "Polygon",
        "coordinates": [
            [[round(x, COORDINATE_PLACES), round(y, COORDINATE_PLACES)] for x, y in ring]
            for ring in geometry["coordinates"]
        ],
    }
    parcel.bbox = [round(value, COORDINATE_PLACES) for value in polygon.bounds]
    inside = polygon.representative_point() if polygon.is_valid else polygon.centroid
    parcel.center = [round(inside.x, COORDINATE_PLACES), round(inside.y, COORDINATE_PLACES)]
    return True


def _plane(parcel):
    """Each ring's distinct consecutive points in metres relative to the first point (precision), with lines."""
    origin_x, origin_y = parcel.rings[0].points[0].y, parcel.rings[0].points[0].x
    planes = []
    for ring in parcel.rings:
        coords, lines = [], []
        for point in ring.points:
            xy = (float(point.y - origin_x), float(point.x - origin_y))
            if coords and coords[-1] == xy:
                continue
            coords.append(xy)
            lines.append(point.line or ring.points[0].line)
        planes.append((ring, coords, lines))
    return planes


def _validate_geometry(parcel):
    """Closed, not self-intersecting, holes inside the outer ring: each refusal names its lines."""
    planes = _plane(parcel)
    for ring, coords, lines in planes:
        distinct = len(set(coords))
        if distinct < 3:
            parcel.errors.append(
                LineError(
                    ring.points[0].line, f"第{ring.number}圈只有 {distinct} 个不同的界址点，不能构成面。"
                )
            )
            return False
        crossing = _self_intersection(coords, lines)
        if crossing:
            parcel.errors.append(LineError(crossing[0], f"第{ring.number}圈自相交：{crossing[1]}"))
            return False
    outer = Polygon(planes[0][1])
    holes = []
    for ring, coords, _lines in planes[1:]:
        hole = Polygon(coords)
        if not outer.contains(hole):
            parcel.errors.append(
                LineError(ring.points[0].line, f"第{ring.number}圈（内圈）不完全在第1圈（外圈）之内。")
            )
            return False
        holes.append(coords)
    polygon = Polygon(planes[0][1], holes)
    reason = shapely.is_valid_reason(polygon)
    if reason != "Valid Geometry":
        name, _, where = reason.partition("[")
        line = parcel.line
        if where:
            try:
                x, y = (float(value) for value in where.rstrip("]").split()[:2])
                line = _nearest_line(planes, x, y) or line
            except ValueError:  # pragma: no cover - shapely always reports "x y"
                pass
        parcel.errors.append(
            LineError(
                line,
                f"地块图形无效：{VALIDITY_REASONS.get(name.strip(), name.strip())}（位置在此行的界址点附近）。",
            )
        )
        return False
    return True


def _self_intersection(coords, lines):
    """The first two non-adjacent edges of a closed ring that touch, as (line, message), or None."""
    n = len(coords) - 1  # edges; the last point repeats the first
    if n < 3:
        return None
    segments = shapely.linestrings(np.array([[coords[i], coords[i + 1]] for i in range(n)]))
    tree = shapely.STRtree(segments)
    left, right = tree.query(segments, predicate="intersects")
    for i, j in zip(left.tolist(), right.tolist(), strict=True):
        if j <= i:
            continue
        adjacent = j == i + 1 or (i == 0 and j == n - 1)
        if adjacent:
            # Neighbouring edges share one point; more than that is a spike folding back on itself.
            shared = segments[i].intersection(segments[j])
            if shared.length == 0:
                continue
        return (
            lines[i],
            f"第{lines[i]}行至第{lines[i + 1]}行的边与第{lines[j]}行至第{lines[j + 1]}行的边相交。",
        )
    return None


def _nearest_line(planes, x, y):
    best, best_line = None, None
    for _ring, coords, lines in planes:
        for (px, py), line in zip(coords, lines, strict=True):
            distance = (px - x) ** 2 + (py - y) ** 2
            if best is None or distance < best:
                best, best_line = distance, line
    return best_line


def _shoelace(points):
    total = Decimal(0)
    for a, b in zip(points, points[1:], strict=False):
        total += a.y * b.x - b.y * a.x
    return abs(total) / 2


def _area_m2(rings):
    """The area in the Gauss-Krüger plane, exactly from the file's decimals: outer ring less its holes."""
    with localcontext() as context:
        context.prec = 60
        area = _shoelace(rings[0].points) - sum((_shoelace(ring.points) for ring in rings[1:]), Decimal(0))
    return area.quantize(FOUR_PLACES, rounding=ROUND_HALF_UP)


# --------------------------------------------------------------------------------------------------------
# Writing


@dataclass
class ExportParcel:
    """What a coordinate file holds of one stored boundary."""

    code: str
    name: str
    zone: int
    rings: list  # as stored: [{"ring": n, "points": [[number, "x", "y"], ...]}, ...]
    area_text: str = ""
    shape: str = "面"
    sheet: str = ""
    land_use: str = ""
    land_class: str = ""
    header: dict = field(default_factory=dict)


def _one_line(value):
    return re.sub(r"[\r\n]+", " ", str(value or "")).strip()


def _clean_field(value):
    # A comma of either width would split the field (readers take "，" for ","), and a line break would end the
    # line: within a field a comma is written as the enumeration comma.
    return _one_line(value).replace(",", "、").replace("，", "、")


def _name_field(value):
    # The name alone may hold commas: a reader takes the fields between the code and the last four as the name.
    return _one_line(value).replace("，", ",")


def write_boundary_file(parcels, *, producer="LandTrack", date=""):
    """A coordinate file (GBK-compatible GB18030 bytes, CRLF) of stored boundaries that re-reads to the same points.

    Y is written with its zone prefix and every ring closed, so that the file reads without warnings;
    ``带号`` and ``几度分带`` are left out only when the parcels lie in different zones.
    """
    parcels = list(parcels)
    if not parcels:
        raise ValueError("nothing to write")
    zones = {parcel.zone for parcel in parcels}
    widths = {zone_width(zone) for zone in zones}
    stored = parcels[0].header or {}
    values = {
        "格式版本号": stored.get("格式版本号") or "1.01版本",
        "数据产生单位": stored.get("数据产生单位") or producer,
        "数据产生日期": stored.get("数据产生日期") or date,
        "坐标系": "2000国家大地坐标系",
        "几度分带": str(widths.pop()) if len(widths) == 1 else "",
        "投影类型": "高斯克吕格",
        "计量单位": "米",
        "带号": str(next(iter(zones))) if len(zones) == 1 else "",
        "精度": stored.get("精度") or "0.001",
        "转换参数": stored.get("转换参数") or ",,,,,,",
    }
    lines = [f"[{HEADER_SECTION}]"]
    lines += [f"{key}={_one_line(value)}" for key, value in values.items() if value]
    lines.append(f"[{POINTS_SECTION}]")
    for parcel in parcels:
        count = sum(len(ring["points"]) for ring in parcel.rings)
        area = parcel.area_text
        if _decimal(area or "") is None:
            area = ""
        lines.append(
            ",".join(
                [
                    str(count),
                    area,
                    _clean_field(parcel.code),
                    _name_field(parcel.name),
                    _clean_field(parcel.shape) or "面",
                    _clean_field(parcel.sheet),
                    _clean_field(parcel.land_use),
                    _clean_field(parcel.land_class),
                    "@",
                ]
            )
        )
        for ring in parcel.rings:
            for number, x, y in ring["points"]:
                lines.append(f"{_clean_field(number)},{ring['ring']},{x},{y}")
    return ("\r\n".join(lines) + "\r\n").encode("gb18030")
