"""The changelists' province → city → county filters (landtrack.admin_base): the country's admin narrows
2,850 counties a level at a time; a city's or a county's account sees its own counties, as before."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from landtrack import admin_base
from leadership.choices import RegionLevel, Role
from leadership.models import Unit
from tests.factories import IdleParcelFactory, ParcelFactory, RegionFactory, UnitFactory

pytestmark = pytest.mark.django_db

PARCELS = reverse("admin:parcels_parcel_changelist")


@pytest.fixture
def country(regions):
    """Beside 临汾市 (no province in the fixture): 甲省 with two cities of two and one counties, 乙省 with
    one city of one county; a parcel in each new county and in 安泽县."""

    def region(code, name, level, parent=None):
        return RegionFactory(code=code, name=name, level=level, parent=parent)

    jia, yi = region("910000", "甲省", RegionLevel.PROVINCE), region("920000", "乙省", RegionLevel.PROVINCE)
    jia_east, jia_west = (
        region("910100", "东市", RegionLevel.CITY, jia),
        region("910200", "西市", RegionLevel.CITY, jia),
    )
    yi_north = region("920100", "北市", RegionLevel.CITY, yi)
    counties = {
        "910101": region("910101", "东一县", RegionLevel.COUNTY, jia_east),
        "910102": region("910102", "东二县", RegionLevel.COUNTY, jia_east),
        "910201": region("910201", "西一县", RegionLevel.COUNTY, jia_west),
        "920101": region("920101", "北一县", RegionLevel.COUNTY, yi_north),
    }
    for code, county in counties.items():
        ParcelFactory(county=county, code=f"P-{code}")
    ParcelFactory(county=regions["141026"], code="P-141026")
    return {**regions, "910000": jia, "920000": yi, "910100": jia_east, "910200": jia_west, **counties}


@pytest.fixture
def admin_client(client, superuser):
    client.force_login(superuser)
    return client


def filters(response):
    """The changelist's region filters: parameter -> (choices offered, the link of each, the one selected);
    a filter the page does not show offers nothing."""
    changelist = response.context["cl"]
    found = dict.fromkeys(("province", "city", "county", "town"), ([], {}, None))
    for spec in changelist.filter_specs:
        if getattr(spec, "parameter_name", None) in ("province", "city", "county", "town"):
            choices = list(spec.choices(changelist))
            found[spec.parameter_name] = (
                [code for code, _ in spec.lookup_choices],
                {choice["display"]: choice["query_string"] for choice in choices},
                next((choice["display"] for choice in choices if choice["selected"]), None),
            )
    return found


def listed(response):
    return sorted(parcel.code for parcel in response.context["cl"].result_list)


def test_with_few_counties_the_admin_sees_every_county_and_no_wider_filter(admin_client, country):
    response = admin_client.get(PARCELS)
    found = filters(response)
    assert found["province"][0] == ["910000", "920000"]  # two provinces: offered
    assert found["city"][0] == ["141000", "910100", "910200", "920100"]  # four cities: few enough
    assert len(found["county"][0]) == 17 + 4  # 临汾's 17 and the four new ones, by code
    assert found["county"][0][:2] == ["141002", "141021"]


def test_the_admin_narrows_many_counties_a_level_at_a_time(admin_client, country, monkeypatch):
    monkeypatch.setattr(admin_base, "REGION_CHOICES_LIMIT", 3)  # 21 counties and 4 cities are "many"

    found = filters(admin_client.get(PARCELS))
    assert found["province"][0] == ["910000", "920000"]
    assert found["city"][0] == []  # four cities: too many until a province is chosen
    assert found["county"][0] == []  # 21 counties: too many

    response = admin_client.get(PARCELS, {"province": "910000"})
    found = filters(response)
    assert found["province"][2] == "甲省"
    assert found["city"][0] == ["910100", "910200"]
    assert found["county"][0] == ["910101", "910102", "910201"]  # the province's three
    assert listed(response) == ["P-910101", "P-910102", "P-910201"]

    response = admin_client.get(PARCELS, {"province": "910000", "city": "910100"})
    found = filters(response)
    assert found["city"][2] == "东市"
    assert found["county"][0] == ["910101", "910102"]
    assert listed(response) == ["P-910101", "P-910102"]

    response = admin_client.get(PARCELS, {"province": "910000", "city": "910100", "county": "910102"})
    assert filters(response)["county"][2] == "东二县"
    assert listed(response) == ["P-910102"]


def test_a_link_that_names_only_a_county_offers_its_neighbours(admin_client, country, monkeypatch):
    monkeypatch.setattr(admin_base, "REGION_CHOICES_LIMIT", 3)
    response = admin_client.get(PARCELS, {"county": "910101"})  # as the dashboard links
    found = filters(response)
    assert found["county"][0] == ["910101", "910102"]  # 东市's counties
    assert found["county"][2] == "东一县"
    assert listed(response) == ["P-910101"]

    response = admin_client.get(PARCELS, {"city": "910200"})  # a city alone: its province's cities
    assert filters(response)["city"][0] == ["910100", "910200"]
    assert listed(response) == ["P-910201"]


def test_choosing_a_region_forgets_the_regions_chosen_below_it(admin_client, country):
    response = admin_client.get(
        PARCELS, {"province": "910000", "city": "910100", "county": "910101", "kind__exact": "unsupplied"}
    )
    found = filters(response)
    assert found["province"][1]["乙省"] == "?kind__exact=unsupplied&province=920000"
    assert found["province"][1]["全部"] == "?kind__exact=unsupplied"
    assert found["city"][1]["西市"] == "?city=910200&kind__exact=unsupplied&province=910000"
    assert found["county"][1]["东二县"] == "?city=910100&county=910102&kind__exact=unsupplied&province=910000"
    found = filters(admin_client.get(PARCELS, {"county": "141026", "town": "141026101"}))
    assert found["town"][2] is not None  # the town chosen
    assert found["county"][1]["尧都区"] == "?county=141002"  # another county: its own towns, none chosen
    assert found["county"][1]["全部"] == "?"


def test_a_city_account_sees_its_counties_and_no_wider_filter(client, country, make_user, monkeypatch):
    monkeypatch.setattr(admin_base, "REGION_CHOICES_LIMIT", 3)  # a city's counties are listed whatever
    client.force_login(make_user("linfen_city", Role.CITY_BUREAU, country["141000"]))
    response = client.get(PARCELS)
    found = filters(response)
    assert found["province"][0] == [] and found["city"][0] == []
    assert found["county"][0] == []  # 17 counties over the patched limit of 3: none until narrowed
    assert listed(response) == ["P-141026"]
    # Another province's city named in the query: the scope still holds.
    assert listed(client.get(PARCELS, {"province": "910000"})) == []
    assert listed(client.get(PARCELS, {"city": "910100"})) == []


def test_a_county_account_keeps_its_one_county(client, country, make_user):
    client.force_login(make_user("anze_clerk", Role.COUNTY_CLERK, country["141026"]))
    found = filters(client.get(PARCELS))
    assert found["province"][0] == [] and found["city"][0] == []
    assert found["county"][0] == ["141026"]


def test_a_citys_filter_keeps_the_citys_own_units_and_its_counties(admin_client, country):
    UnitFactory(region=country["910100"], name="东市自然资源局")
    UnitFactory(region=country["910101"], name="东一县自然资源局")
    UnitFactory(region=country["910201"], name="西一县自然资源局")
    UnitFactory(region=country["141026"], name="安泽县自然资源局")
    response = admin_client.get(reverse("admin:leadership_unit_changelist"), {"city": "910100"})
    assert sorted(unit.name for unit in response.context["cl"].result_list) == [
        "东一县自然资源局",
        "东市自然资源局",
    ]
    response = admin_client.get(reverse("admin:leadership_unit_changelist"), {"province": "910000"})
    names = sorted(unit.name for unit in response.context["cl"].result_list)
    assert names == ["东一县自然资源局", "东市自然资源局", "西一县自然资源局"]
    assert Unit.objects.filter(name="安泽县自然资源局").exists()  # left out of both


@pytest.mark.parametrize("query", [{"province": "abc"}, {"city": "9"}, {"county": "910199"}])
def test_an_unknown_region_lists_nothing_and_no_error(admin_client, country, query):
    response = admin_client.get(PARCELS, query)
    assert response.status_code == 200
    assert listed(response) == []


COUNTABLE = [
    {},
    {"province": "910000"},
    {"province": "910000", "city": "910100"},
    {"city": "910100", "county": "910102"},
    {"county": "141026", "kind__exact": "unsupplied"},
    {"kind__exact": "idle"},
    {"province": "920000", "o": "2", "p": "1"},
    {"province": "abc"},
    {"status": "pending"},  # counted per status too
    {"province": "910000", "status": "disposed"},
]


@pytest.mark.parametrize("query", COUNTABLE)
def test_the_parcel_lists_count_comes_from_the_counts_table_and_is_exact(admin_client, country, query):
    IdleParcelFactory(county=country["910101"], code="IDLE-910101")
    with CaptureQueriesContext(connection) as queries:
        response = admin_client.get(PARCELS, query)
    changelist = response.context["cl"]
    assert changelist.result_count == changelist.queryset.count() == len(changelist.result_list)
    counts = [q["sql"] for q in queries.captured_queries if "COUNT(" in q["sql"].upper()]
    assert counts == [], counts  # the parcels were not counted, the counts table was summed


@pytest.mark.parametrize(
    "query",
    [{"q": "P-91"}, {"town": "141026101"}, {"disposal_method": "other"}, {"all": ""}, {"kind__exact": "x"}],
)
def test_other_filters_count_the_parcels_themselves(admin_client, country, query):
    with CaptureQueriesContext(connection) as queries:
        response = admin_client.get(PARCELS, query)
    changelist = response.context["cl"]
    assert changelist.result_count == changelist.queryset.count() == len(changelist.result_list)
    assert any("COUNT(" in q["sql"].upper() for q in queries.captured_queries)


def test_a_clerks_count_is_of_their_county_only(client, country, make_user):
    client.force_login(make_user("anze_clerk", Role.COUNTY_CLERK, country["141026"]))
    for query in ({}, {"province": "910000"}, {"county": "910101"}):
        changelist = client.get(PARCELS, query).context["cl"]
        assert changelist.result_count == len(changelist.result_list) == (1 if not query else 0)


def test_the_counts_beside_each_region_are_exact_and_cost_no_query_per_region(admin_client, country):
    def shown():
        found = filters(admin_client.get(PARCELS, {"_facets": "True", "province": "910000"}))
        return {display for name in ("province", "city", "county") for display in found[name][1]}

    with CaptureQueriesContext(connection) as before:
        displays = shown()
    # 甲省 holds three parcels (东一县, 东二县, 西一县), 乙省 one; in 甲省, 东市 two and 西市 one.
    assert {
        "甲省 (3)",
        "乙省 (1)",
        "东市 (2)",
        "西市 (1)",
        "东一县 (1)",
        "东二县 (1)",
        "西一县 (1)",
    } <= displays
    # Another province with a city and two counties: the page asks the database no more.
    third = RegionFactory(code="930000", name="丙省", level=RegionLevel.PROVINCE)
    city = RegionFactory(code="930100", name="南市", level=RegionLevel.CITY, parent=third)
    for code in ("930101", "930102"):
        ParcelFactory(
            county=RegionFactory(code=code, level=RegionLevel.COUNTY, parent=city), code=f"P-{code}"
        )
    with CaptureQueriesContext(connection) as after:
        assert "丙省 (2)" in shown()
    assert len(after) == len(before)
