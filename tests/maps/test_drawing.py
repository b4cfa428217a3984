"""Server-side SVG maps: fitted to the parcels, no base map unless a tile URL is set, small parcels marked."""

import math
from types import SimpleNamespace

import pytest

from parcels.boundaries import read_boundary_file
from parcels.boundary_maps import MAX_TILES, MapItem, draw, mercator, scale_bar, tiles_for, viewport_for

from .samples import SEVERAL, SQUARE, gbk


def item(parsed_parcel, **kwargs):
    return MapItem(boundary=parsed_parcel, **kwargs)


def test_web_mercator_of_the_origin_and_of_111_degrees_east():
    assert mercator(0, 0) == (0.0, pytest.approx(0.0, abs=1e-9))
    # x = R × λ in radians: 6 378 137 × 111 × π ÷ 180.
    assert mercator(111, 36)[0] == pytest.approx(6_378_137 * 111 * math.pi / 180)


def test_nothing_to_draw_gives_no_map():
    assert draw([]) is None
    assert draw([MapItem(boundary=None)]) is None


def test_the_map_fits_every_parcel_inside_its_box(settings):
    settings.LANDTRACK_MAP_TILE_URL = ""
    parcels = read_boundary_file(gbk(SEVERAL)).parcels
    drawing = draw([item(p) for p in parcels], width=960)
    assert drawing.width == 960 and 420 <= drawing.height <= 760
    assert drawing.tiles == [] and drawing.attribution == ""
    for parcel in parcels:
        for lng, lat in parcel.geometry["coordinates"][0]:
            x, y = drawing.viewport.px(lng, lat)
            assert 0 <= x <= drawing.width and 0 <= y <= drawing.height
    assert [shape.path.count("M") for shape in drawing.shapes] == [1, 1, 2]  # AZ-004 has a hole


def test_a_small_parcel_on_a_wide_map_gets_a_dot_to_click():
    square = read_boundary_file(gbk(SQUARE)).parcels[0]
    # A second "parcel" 20 km away stretches the map: the 100 m square shrinks below 10 px.
    far = SimpleNamespace(
        geometry={"coordinates": [[[111.2, 36.1], [111.201, 36.1], [111.201, 36.101], [111.2, 36.1]]]},
        bbox=[111.2, 36.1, 111.201, 36.101],
        center=[111.2005, 36.1005],
    )
    drawing = draw([item(square), item(far)])
    assert [shape.marker for shape in drawing.shapes] == [True, True]
    assert drawing.shapes[0].label_y < drawing.shapes[0].cy


def test_the_scale_bar_is_a_round_length_in_ground_metres():
    square = read_boundary_file(gbk(SQUARE)).parcels[0]
    drawing = draw([item(square)], width=640, min_height=320, max_height=480, pad=40, min_span_m=60.0)
    # Worked by hand: the box is 640 × 480 (the square wants 560 + 80 = 640 px high, capped at 480), so the
    # square's 100 m of height fill the 400 px between the margins: 4 px per ground metre. A bar of at
    # most 120 px is 30 m, rounded down to 1, 2 or 5 × 10^k: 20 m, 80 px long.
    assert (drawing.width, drawing.height) == (640, 480)
    bar = scale_bar(drawing.viewport)
    assert bar.label == "20 米"
    assert bar.width == pytest.approx(80, abs=0.5)


def test_tiles_cover_the_map_and_stay_within_the_limit():
    viewport = viewport_for([[111.0, 36.0, 111.5, 36.4]], width=960, min_height=420, max_height=760)
    tiles = tiles_for(viewport, "/tiles/{z}/{x}/{y}.png")
    assert 0 < len(tiles) <= MAX_TILES
    zooms = {tile.href.split("/")[2] for tile in tiles}
    assert len(zooms) == 1
    # Together the tiles cover the whole drawing.
    assert min(t.x for t in tiles) <= 0 and min(t.y for t in tiles) <= 0
    assert max(t.x + t.size for t in tiles) >= viewport.width
    assert max(t.y + t.size for t in tiles) >= viewport.height
    assert tiles_for(viewport, "") == []
