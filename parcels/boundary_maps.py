"""Server-side SVG maps of parcel boundaries: no JavaScript, no GDAL, no internet needed, printable.

Boundaries are drawn in Web Mercator so that a deployment's base tiles (a tile URL such as 天地图's, set in
``LANDTRACK_MAP_TILE_URL``) line up under them; without a tile URL the map has no base layer at all.
Only drawing positions are computed here; the figures a map shows come from the models and
:mod:`parcels.boundaries`.
"""

import math
from dataclasses import dataclass, field

from django.conf import settings

from .boundaries import to_lng_lat

EARTH_RADIUS = 6378137.0
HALF_WORLD = math.pi * EARTH_RADIUS
TILE_SIZE = 256
MAX_ZOOM = 18
MAX_TILES = 48
# A parcel smaller than this on screen is also drawn as a dot, so that it can be seen and clicked.
MIN_SHAPE_PX = 10
MARKER_RADIUS = 6
MAX_POINT_LABELS = 80


def mercator(lng, lat):
    """Longitude/latitude in degrees → Web Mercator metres (x east, y north)."""
    lat = max(min(lat, 85.0), -85.0)
    return (
        EARTH_RADIUS * math.radians(lng),
        EARTH_RADIUS * math.log(math.tan(math.pi / 4 + math.radians(lat) / 2)),
    )


def _fmt(value):
    return f"{value:.1f}".rstrip("0").rstrip(".")


@dataclass
class Viewport:
    """Mercator bounds drawn into a width × height box at one scale (pixels per Mercator metre)."""

    min_x: float
    max_y: float
    scale: float
    width: int
    height: int

    def px(self, lng, lat):
        x, y = mercator(lng, lat)
        return (x - self.min_x) * self.scale, (self.max_y - y) * self.scale

    @property
    def max_x(self):
        return self.min_x + self.width / self.scale

    @property
    def min_y(self):
        return self.max_y - self.height / self.scale

    @property
    def centre_lat(self):
        y = (self.max_y + self.min_y) / 2
        return math.degrees(2 * math.atan(math.exp(y / EARTH_RADIUS)) - math.pi / 2)


def viewport_for(bboxes, *, width, min_height, max_height, pad=28, min_span_m=300.0):
    """The viewport that shows every [min lng, min lat, max lng, max lat] box with a margin."""
    xs, ys = [], []
    for min_lng, min_lat, max_lng, max_lat in bboxes:
        for lng, lat in ((min_lng, min_lat), (max_lng, max_lat)):
            x, y = mercator(lng, lat)
            xs.append(x)
            ys.append(y)
    min_x, max_x, min_y, max_y = min(xs), max(xs), min(ys), max(ys)
    # Mercator stretches by 1/cos(latitude): the least span is in ground metres.
    stretch = 1 / math.cos(
        math.radians(math.degrees(2 * math.atan(math.exp(min_y / EARTH_RADIUS)) - math.pi / 2))
    )
    least = min_span_m * stretch
    if max_x - min_x < least:
        middle = (max_x + min_x) / 2
        min_x, max_x = middle - least / 2, middle + least / 2
    if max_y - min_y < least:
        middle = (max_y + min_y) / 2
        min_y, max_y = middle - least / 2, middle + least / 2
    span_x, span_y = max_x - min_x, max_y - min_y
    inner_width = width - 2 * pad
    height = round(min(max(inner_width * span_y / span_x + 2 * pad, min_height), max_height))
    inner_height = height - 2 * pad
    scale = min(inner_width / span_x, inner_height / span_y)
    # Centre the drawing in the box.
    left = (min_x + max_x) / 2 - width / 2 / scale
    top = (min_y + max_y) / 2 + height / 2 / scale
    return Viewport(min_x=left, max_y=top, scale=scale, width=width, height=height)


@dataclass
class Tile:
    href: str
    x: float
    y: float
    size: float


def tiles_for(viewport, url_template):
    """The base tiles ({z}/{x}/{y}, Web Mercator, 256 px) that cover the viewport; none without a URL."""
    if not url_template:
        return []
    world = 2 * HALF_WORLD
    zoom = math.ceil(math.log2(viewport.scale * world / TILE_SIZE))
    zoom = max(0, min(zoom, MAX_ZOOM))
    while True:
        tile_m = world / 2**zoom
        first_x = math.floor((viewport.min_x + HALF_WORLD) / tile_m)
        last_x = math.floor((viewport.max_x + HALF_WORLD) / tile_m)
        first_y = math.floor((HALF_WORLD - viewport.max_y) / tile_m)
        last_y = math.floor((HALF_WORLD - viewport.min_y) / tile_m)
        if (last_x - first_x + 1) * (last_y - first_y + 1) <= MAX_TILES or zoom == 0:
            break
        zoom -= 1
    count = 2**zoom
    tiles = []
    for tile_y in range(max(first_y, 0), min(last_y, count - 1) + 1):
        for tile_x in range(first_x, last_x + 1):
            href = (
                url_template.replace("{z}", str(zoom))
                .replace("{x}", str(tile_x % count))
                .replace("{y}", str(tile_y))
            )
            left = tile_x * tile_m - HALF_WORLD
            top = HALF_WORLD - tile_y * tile_m
            tiles.append(
                Tile(
                    href=href,
                    x=round((left - viewport.min_x) * viewport.scale, 1),
                    y=round((viewport.max_y - top) * viewport.scale, 1),
                    size=round(tile_m * viewport.scale + 0.5, 1),  # half a pixel of overlap hides seams
                )
            )
    return tiles


@dataclass
class ScaleBar:
    x: float
    y: float
    width: float
    label: str


def scale_bar(viewport, target_px=120):
    """A bar of a round length in ground metres at the map's middle latitude."""
    metres_per_px = math.cos(math.radians(viewport.centre_lat)) / viewport.scale
    target = target_px * metres_per_px
    magnitude = 10 ** math.floor(math.log10(target))
    length = max(step * magnitude for step in (1, 2, 5) if step * magnitude <= target)
    label = f"{length:g} 米" if length < 1000 else f"{length / 1000:g} 千米"
    return ScaleBar(x=16, y=viewport.height - 18, width=round(length / metres_per_px, 1), label=label)


@dataclass
class PointLabel:
    x: float
    y: float
    text: str


@dataclass
class MapItem:
    """What to draw: a boundary (anything with ``geometry``, ``bbox`` and ``center`` in lon/lat) and how."""

    boundary: object
    css: str = ""
    href: str = ""
    title: str = ""
    key: object = None
    label: str = ""


@dataclass
class Shape:
    """One item on a map: its outline as an SVG path, and a dot when it is too small to see."""

    item: MapItem
    path: str
    cx: float
    cy: float
    marker: bool

    @property
    def label_y(self):
        # Beside the dot of a small parcel, inside a large one.
        return round(self.cy - MARKER_RADIUS - 4, 1) if self.marker else self.cy


@dataclass
class Drawing:
    width: int
    height: int
    shapes: list
    tiles: list
    scale: ScaleBar
    viewport: Viewport
    attribution: str = ""
    labels: list = field(default_factory=list)


def _shape(item, viewport):
    parts = []
    min_x = min_y = math.inf
    max_x = max_y = -math.inf
    for ring in item.boundary.geometry["coordinates"]:
        points = [viewport.px(lng, lat) for lng, lat in ring]
        for x, y in points:
            min_x, max_x, min_y, max_y = min(min_x, x), max(max_x, x), min(min_y, y), max(max_y, y)
        parts.append("M" + "L".join(f"{_fmt(x)} {_fmt(y)}" for x, y in points[:-1]) + "Z")
    cx, cy = viewport.px(*item.boundary.center)
    small = max(max_x - min_x, max_y - min_y) < MIN_SHAPE_PX
    return Shape(item=item, path="".join(parts), cx=round(cx, 1), cy=round(cy, 1), marker=small)


def tile_settings():
    return (
        getattr(settings, "LANDTRACK_MAP_TILE_URL", "") or "",
        getattr(settings, "LANDTRACK_MAP_TILE_ATTRIBUTION", "") or "",
    )


def draw(items, *, width=960, min_height=420, max_height=760, pad=28, min_span_m=300.0):
    """Every item on one map, fitted to its boundaries; None when there is nothing to draw."""
    items = [item for item in items if item.boundary is not None and item.boundary.geometry]
    if not items:
        return None
    viewport = viewport_for(
        [item.boundary.bbox for item in items],
        width=width,
        min_height=min_height,
        max_height=max_height,
        pad=pad,
        min_span_m=min_span_m,
    )
    url, attribution = tile_settings()
    return Drawing(
        width=viewport.width,
        height=viewport.height,
        shapes=[_shape(item, viewport) for item in items],
        tiles=tiles_for(viewport, url),
        scale=scale_bar(viewport),
        viewport=viewport,
        attribution=attribution if url else "",
    )


def parcel_drawing(item, *, width=640):
    """One parcel's own map, its boundary points labelled with their 点号 (up to 80 points)."""
    drawing = draw([item], width=width, min_height=320, max_height=480, pad=40, min_span_m=60.0)
    if drawing is None:
        return None
    boundary = item.boundary
    if sum(len(ring["points"]) - 1 for ring in boundary.rings) <= MAX_POINT_LABELS:
        for ring in boundary.rings:
            points = ring["points"][:-1]
            lngs, lats = to_lng_lat(
                boundary.epsg, [float(y) for _, _, y in points], [float(x) for _, x, _ in points]
            )
            for (number, _, _), lng, lat in zip(points, lngs.tolist(), lats.tolist(), strict=True):
                x, y = drawing.viewport.px(lng, lat)
                drawing.labels.append(PointLabel(x=round(x + 4, 1), y=round(y - 4, 1), text=str(number)))
    return drawing
