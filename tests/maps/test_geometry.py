"""Gauss-Krüger → longitude/latitude (CGCS2000) and the GeoJSON polygon drawn from a file."""

import pytest

from parcels.boundaries import epsg_for_zone, read_boundary_file, zone_containing, zone_for_meridian

from .samples import SQUARE, SQUARE_WITH_HOLE, gbk

# Worked by hand: one degree of latitude near 36°N is about 110.95 km, one degree of longitude
# 111.32 km × cos 36° ≈ 90.06 km. So 100 m north ≈ 0.000901°, 100 m east ≈ 0.001110°.
DEGREES_PER_100M_NORTH = 100 / 110_950
DEGREES_PER_100M_EAST = 100 / 90_060


def signed_area(ring):
    return sum(a[0] * b[1] - b[0] * a[1] for a, b in zip(ring, ring[1:], strict=False)) / 2


def test_three_degree_zone_n_is_epsg_4488_plus_n_and_six_degree_zones_have_their_own_codes():
    assert epsg_for_zone(37) == 4525  # CGCS2000 / 3-degree Gauss-Kruger zone 37
    assert epsg_for_zone(25) == 4513 and epsg_for_zone(45) == 4533
    assert epsg_for_zone(19) == 4497  # CGCS2000 / Gauss-Kruger zone 19 (6°)
    assert epsg_for_zone(13) == 4491 and epsg_for_zone(23) == 4501
    with pytest.raises(ValueError):
        epsg_for_zone(24)


def test_epsg_codes_name_the_zones_pyproj_knows():
    from pyproj import CRS

    assert CRS.from_epsg(epsg_for_zone(37)).name == "CGCS2000 / 3-degree Gauss-Kruger zone 37"
    assert CRS.from_epsg(epsg_for_zone(19)).name == "CGCS2000 / Gauss-Kruger zone 19"


def test_zones_from_a_central_meridian_or_a_longitude():
    assert zone_for_meridian(111, 3) == 37 and zone_for_meridian(111, 6) == 19
    assert zone_for_meridian(112, 3) is None
    assert zone_containing(111.6) == 37 and zone_containing(112.6) == 38  # 3° zone 37 ends at 112.5°E
    assert zone_containing(111.6, 6) == 19  # 108°–114°E


def test_a_point_on_the_central_meridian_has_longitude_111():
    parcel = read_boundary_file(gbk(SQUARE)).parcels[0]
    ring = parcel.geometry["coordinates"][0]
    # J1 and J2 have Y = 37 500 000: easting 500 000 m, on the central meridian of zone 37.
    on_meridian = [point for point in ring[:-1] if point[0] == pytest.approx(111.0, abs=1e-9)]
    assert len(on_meridian) == 2
    south, north = sorted(on_meridian, key=lambda point: point[1])
    assert 35.9 < south[1] < 36.1  # X = 3 985 000 m north of the equator ≈ 36°N
    assert north[1] - south[1] == pytest.approx(DEGREES_PER_100M_NORTH, rel=2e-3)
    # East of the meridian the grid's north drifts from true north: J4 lies a hair south of J1.
    east = [point for point in ring[:-1] if point[0] > 111.0005]
    assert min(point[1] for point in east) < south[1]


def test_the_square_spans_100_metres_each_way_in_degrees():
    parcel = read_boundary_file(gbk(SQUARE)).parcels[0]
    min_lng, min_lat, max_lng, max_lat = parcel.bbox
    assert min_lng == pytest.approx(111.0, abs=1e-9)
    assert max_lng - min_lng == pytest.approx(DEGREES_PER_100M_EAST, rel=2e-3)
    assert max_lat - min_lat == pytest.approx(DEGREES_PER_100M_NORTH, rel=2e-3)
    lng, lat = parcel.center
    assert min_lng < lng < max_lng and min_lat < lat < max_lat


def test_geojson_rings_are_closed_outer_anticlockwise_holes_clockwise():
    parcel = read_boundary_file(gbk(SQUARE_WITH_HOLE)).parcels[0]
    assert parcel.geometry["type"] == "Polygon"
    outer, hole = parcel.geometry["coordinates"]
    assert outer[0] == outer[-1] and hole[0] == hole[-1]
    assert len(outer) == 5 and len(hole) == 5
    assert signed_area(outer) > 0 > signed_area(hole)  # RFC 7946 right-hand rule
    # The hole lies inside the outer ring's extent.
    assert min(p[0] for p in outer) < min(p[0] for p in hole) < max(p[0] for p in hole) < max(p[0] for p in outer)
