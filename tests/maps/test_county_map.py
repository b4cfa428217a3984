"""The county map on the dashboard (挂图作战): every mapped parcel drawn and coloured by status."""

import datetime
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from leadership.choices import Role
from parcels.services import disposal_record
from tests.api.harness import client_for

from .conftest import upload
from .samples import SEVERAL, SQUARE, SQUARE_WITH_HOLE, gbk

pytestmark = pytest.mark.django_db

MAP_URL = "/dashboard/141026/map/"


@pytest.fixture
def mapped(clerk_anze, anze_parcels):
    """AZ-001, AZ-003 and AZ-004 from one file, AZ-002 with its hole; AZ-004 partly, AZ-003 wholly disposed of."""
    api = client_for(clerk_anze)
    for code in ("AZ-001", "AZ-003", "AZ-004"):
        assert upload(api, anze_parcels[code], gbk(SEVERAL)).status_code == 200
    assert upload(api, anze_parcels["AZ-002"], gbk(SQUARE_WITH_HOLE)).status_code == 200
    disposal_record(parcel=anze_parcels["AZ-004"], method="supply_transfer", area_mu=Decimal("1"),
                    date=datetime.date(2023, 6, 1))
    disposal_record(parcel=anze_parcels["AZ-003"], method="construction_started", area_mu=Decimal("2.7"),
                    date=datetime.date(2023, 6, 1))
    return anze_parcels


def svg_of(html):
    return html[html.index('<svg class="landmap"') : html.index("</svg>")]


def shapes(html):
    """(parcel id, css classes) of each parcel drawn on the map."""
    return [(int(key), css) for css, key in re.findall(r'<a href="#parcel-\d+" class="parcel ([^"]+)" data-parcel="(\d+)">', svg_of(html))]


def test_every_mapped_parcel_is_drawn_coloured_by_its_status(client, office_anze, mapped):
    client.force_login(office_anze)
    response = client.get(MAP_URL)
    assert response.status_code == 200
    html = response.content.decode()
    assert sorted(shapes(html)) == sorted(
        [
            (mapped["AZ-001"].pk, "status-pending"),
            (mapped["AZ-002"].pk, "status-pending"),
            (mapped["AZ-003"].pk, "status-disposed"),
            (mapped["AZ-004"].pk, "status-partial"),
        ]
    )
    svg = svg_of(html)
    assert svg.count("<title>") == 4
    # Each shape carries its 地块编号, which also shows on paper.
    assert sorted(re.findall(r'<text class="parcel-label"[^>]*>([^<]+)</text>', svg)) == [
        "AZ-001",
        "AZ-002",
        "AZ-003",
        "AZ-004",
    ]
    assert "<title>AZ-004 冀氏镇商业地块（部分处置，2.85 亩）</title>" in svg
    # No base map, no internet: nothing in the drawing points outside the site.
    assert "<image" not in svg
    assert not re.search(r'(?:src|href)="(?:https?:)?//', html)


def test_the_legend_counts_parcels_and_areas_by_status(client, office_anze, mapped):
    client.force_login(office_anze)
    html = client.get(MAP_URL).content.decode()
    legend = html[html.index('<ul class="map-legend">') :]
    legend = legend[: legend.index("</ul>")]
    entries = [re.sub(r"<[^>]+>", " ", item).split() for item in re.findall(r"<li>(.*?)</li>", legend, re.S)]
    # Mapped/all parcels and their ledger areas: pending 15 + 14.1 = 29.10; partial 2.85; disposed 2.70.
    assert entries == [
        ["待处置", "2/2", "宗上图", "·", "29.10", "亩"],
        ["部分处置", "1/1", "宗上图", "·", "2.85", "亩"],
        ["已处置", "1/1", "宗上图", "·", "2.70", "亩"],
    ]


def test_a_click_on_a_parcel_shows_its_figures_and_a_link_to_its_admin_page(client, clerk_anze, mapped):
    client.force_login(clerk_anze)
    html = client.get(MAP_URL).content.decode()
    parcel = mapped["AZ-004"]
    card = html[html.index(f'id="parcel-{parcel.pk}"') :]
    card = card[: card.index("</section>")]
    text = " ".join(re.sub(r"<[^>]+>", " ", card).split())
    # 2.85 亩 on the ledger, 1 disposed of, 1.85 left; 1 900 m² drawn = 2.85 亩, 0.00 % off.
    assert "台账面积 2.85 亩 已处置 1.00 亩 剩余面积 1.85 亩 图上面积 2.85 亩 面积差异 0.00%" in text
    assert "处置状态 部分处置" in text
    assert f'href="/admin/parcels/parcel/{parcel.pk}/change/"' in card
    # The map links each shape to that card: the stylesheet shows the card the link targets.
    assert f'<a href="#parcel-{parcel.pk}"' in svg_of(html)


def test_the_area_mismatch_is_shown_on_the_map_page(client, clerk_anze, anze_parcels):
    parcel = anze_parcels["AZ-001"]
    type(parcel).objects.filter(pk=parcel.pk).update(area_mu=Decimal("14.8"))
    upload(client_for(clerk_anze), parcel, gbk(SQUARE))
    client.force_login(clerk_anze)
    html = client.get(MAP_URL).content.decode()
    assert '<td class="num area-mismatch">1.35%</td>' in html
    assert "1.35%（超过 1%）" in html


def test_parcels_without_a_boundary_are_listed_not_drawn(client, clerk_anze, anze_parcels):
    upload(client_for(clerk_anze), anze_parcels["AZ-001"], gbk(SQUARE))
    client.force_login(clerk_anze)
    html = client.get(MAP_URL).content.decode()
    assert len(shapes(html)) == 1
    assert "共 4 宗，已上图 1 宗" in html
    assert html.count("未上图") == 3


def test_a_county_with_nothing_mapped_says_so(client, clerk_anze, anze_parcels):
    client.force_login(clerk_anze)
    html = client.get(MAP_URL).content.decode()
    assert '<svg class="landmap"' not in html
    assert "所选地块都还没有上传界址点坐标，无法上图。" in html


def test_the_map_filters_by_kind_and_status(client, clerk_anze, mapped):
    client.force_login(clerk_anze)
    idle = client.get(MAP_URL, {"kind": "idle"}).content.decode()
    assert shapes(idle) == [(mapped["AZ-003"].pk, "status-disposed")]
    pending = client.get(MAP_URL, {"status": "pending"}).content.decode()
    assert {key for key, _ in shapes(pending)} == {mapped["AZ-001"].pk, mapped["AZ-002"].pk}
    # A nonsense filter is ignored rather than an error.
    assert len(shapes(client.get(MAP_URL, {"kind": "x"}).content.decode())) == 4


def test_the_map_links_its_geojson_and_coordinate_file_for_the_same_selection(client, clerk_anze, mapped):
    client.force_login(clerk_anze)
    html = client.get(MAP_URL, {"kind": "idle"}).content.decode()
    assert 'href="/api/v1/parcels/geojson/?county=141026&amp;kind=idle"' in html
    assert 'href="/api/v1/parcels/boundaries/txt/?county=141026&amp;kind=idle"' in html
    assert 'href="/admin/parcels/parcel/boundary-upload/?county=141026"' in html


def test_only_writers_are_offered_the_upload(client, office_anze, mapped):
    client.force_login(office_anze)
    assert "boundary-upload" not in client.get(MAP_URL).content.decode()


@pytest.mark.parametrize(
    "who, status",
    [("clerk_anze", 200), ("office_anze", 200), ("city_linfen", 200), ("superuser", 200), ("clerk_xiangning", 404)],
)
def test_only_users_whose_scope_covers_the_county_see_its_map(client, request, mapped, who, status):
    client.force_login(request.getfixturevalue(who))
    assert client.get(MAP_URL).status_code == status


def test_unknown_counties_anonymous_visitors_and_users_without_a_role(client, make_user, mapped):
    assert client.get(MAP_URL).status_code == 302  # to the login page
    client.force_login(make_user("nobody", "", None))
    assert client.get(MAP_URL).status_code == 403
    client.force_login(make_user("admin2", Role.ADMIN, None, is_superuser=True))
    assert client.get("/dashboard/999999/map/").status_code == 404
    assert client.get("/dashboard/141026100/map/").status_code == 404  # a town is not a county


def test_the_county_page_links_to_its_map(client, office_anze, mapped):
    client.force_login(office_anze)
    html = client.get("/dashboard/141026/", {"as_of": "2023-06-30"}).content.decode()
    assert 'href="/dashboard/141026/map/?year=&amp;as_of=2023-06-30"' in html  # no task: no year


def test_the_map_costs_the_same_queries_for_one_parcel_or_four(client, clerk_anze, anze_parcels):
    client.force_login(clerk_anze)
    upload(client_for(clerk_anze), anze_parcels["AZ-001"], gbk(SQUARE))
    client.get(MAP_URL)
    with CaptureQueriesContext(connection) as one:
        client.get(MAP_URL)
    api = client_for(clerk_anze)
    for code in ("AZ-003", "AZ-004"):
        upload(api, anze_parcels[code], gbk(SEVERAL))
    upload(api, anze_parcels["AZ-002"], gbk(SQUARE_WITH_HOLE))
    with CaptureQueriesContext(connection) as four:
        html = client.get(MAP_URL).content.decode()
    assert len(shapes(html)) == 4
    # Session, user, the user's region (page header), the county, the parcels with their boundaries.
    assert len(four) == len(one) == 5


def test_a_tile_url_setting_adds_base_tiles_under_the_parcels(client, clerk_anze, mapped, settings):
    settings.LANDTRACK_MAP_TILE_URL = "https://t0.tianditu.gov.cn/DataServer?T=vec_w&x={x}&y={y}&l={z}&tk=KEY"
    settings.LANDTRACK_MAP_TILE_ATTRIBUTION = "天地图"
    client.force_login(clerk_anze)
    html = client.get(MAP_URL).content.decode()
    tiles = re.findall(r'<image class="tile" href="([^"]+)"', svg_of(html))
    assert 1 <= len(tiles) <= 48
    columns, zooms = set(), set()
    for href in tiles:
        match = re.fullmatch(r"https://t0\.tianditu\.gov\.cn/DataServer\?T=vec_w&amp;x=(\d+)&amp;y=(\d+)&amp;l=(\d+)&amp;tk=KEY", href)
        assert match, href
        columns.add(int(match.group(1)))
        zooms.add(int(match.group(3)))
    assert len(zooms) == 1
    zoom = zooms.pop()
    # The square's west edge lies on 111°E: tile column (111 + 180) ÷ 360 × 2^z, among those drawn.
    assert min(columns) <= int(291 / 360 * 2**zoom) <= max(columns)
    assert "底图：天地图" in html
    # The tiles come first, under the parcels.
    svg = svg_of(html)
    assert svg.index("<image") < svg.index('class="parcel ')


def test_the_map_page_is_print_friendly(client, clerk_anze, mapped):
    client.force_login(clerk_anze)
    html = client.get(MAP_URL).content.decode()
    assert "landtrack/maps.css" in html
    from django.contrib.staticfiles import finders

    css = open(finders.find("landtrack/maps.css"), encoding="utf-8").read()
    assert "@media print" in css
    assert ".parcel-card:target { display: block; }" in css
