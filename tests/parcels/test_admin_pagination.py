"""The admin's parcel list read one county at a time (parcels.paging): the same pages, in the same order, as
Django's own paginator, reading only the counties each page holds."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from leadership.choices import RegionLevel, Role
from parcels import admin as parcel_admin
from parcels.paging import CountedPaginator
from tests.factories import ParcelFactory, RegionFactory
from tests.helpers import THREE_COUNTIES_IN_ORDER, three_county_disposals, three_county_ledger

pytestmark = pytest.mark.django_db

PARCELS = reverse("admin:parcels_parcel_changelist")


@pytest.fixture
def ledger(regions, monkeypatch):
    """安泽 7 + 3 idle, 乡宁 4, 曲沃 5, and 东一县 of another city 2: pages of 4 cut through every county."""
    monkeypatch.setattr(parcel_admin.ParcelAdmin, "list_per_page", 4)
    three_county_ledger(regions)
    east = RegionFactory(code="910100", name="东市", level=RegionLevel.CITY)
    other = RegionFactory(code="910101", name="东一县", level=RegionLevel.COUNTY, parent=east)
    for number in range(2):
        ParcelFactory(county=other, code=f"E{number:02d}")
    return {**regions, "910101": other}


def pages(client, **params):
    """The result count and every page's parcels, (county code, parcel code), page by page to the last."""
    listed, page = [], 1
    while True:
        changelist = client.get(PARCELS, {**params, "p": page}).context["cl"]
        listed += [(parcel.county.code, parcel.code) for parcel in changelist.result_list]
        if page >= changelist.paginator.num_pages:
            return changelist.result_count, listed
        page += 1


@pytest.fixture
def spy(monkeypatch):
    """How many pages came from CountedPaginator."""
    taken = []
    original = CountedPaginator.page

    def page(self, number):
        taken.append(number)
        return original(self, number)

    monkeypatch.setattr(CountedPaginator, "page", page)
    return taken


def plain(client, monkeypatch, **params):
    """The same pages through Django's own paginator, which counts the rows."""
    with monkeypatch.context() as patch:
        patch.setattr(parcel_admin, "counted_rows", lambda request: None)
        patch.setattr(parcel_admin, "in_county_order", lambda queryset: False)
        return pages(client, **params)


@pytest.mark.parametrize(
    "role, region",
    [(Role.ADMIN, None), (Role.CITY_BUREAU, "141000"), (Role.COUNTY_CLERK, "141026")],
)
@pytest.mark.parametrize(
    "params",
    [
        {},
        {"kind__exact": "unsupplied"},
        {"kind__exact": "idle"},
        {"county": "141029"},
        {"city": "141000"},
        # A status, counted from ParcelCount's rows per status.
        {"status": "pending"},
        {"status": "disposed", "kind__exact": "unsupplied"},
        {"county": "141026", "status": "partial"},
        # Filters ParcelCount cannot count: the list's own rows counted per county.
        {"disposal_method": "supply_transfer"},
        {"q": "0"},
        {"q": "A0 0"},
    ],
)
def test_pages_by_county_are_djangos_pages(client, ledger, make_user, spy, monkeypatch, role, region, params):
    three_county_disposals()
    user = make_user(f"u_{role}", role, ledger[region] if region else None, is_superuser=role == Role.ADMIN)
    client.force_login(user)
    counted = pages(client, **params)
    expected = plain(client, monkeypatch, **params)
    assert counted == expected
    if expected[0] > 4:
        assert spy, "a list of several pages must be read county by county, or the comparison proves nothing"


def test_the_admins_pages_in_order_worked_by_hand(client, ledger, superuser):
    client.force_login(superuser)
    count, listed = pages(client)
    assert count == 21
    assert [code for _, code in listed] == [*THREE_COUNTIES_IN_ORDER, "E00", "E01"]  # 东一县 910101 last
    changelist = client.get(PARCELS, {"p": 5}).context["cl"]
    assert [parcel.code for parcel in changelist.result_list] == ["X01", "X02", "X03", "E00"]
    assert client.get(PARCELS, {"p": 7}).status_code == 302  # past the last page: Django's ?e=1


def test_a_page_reads_only_the_counties_it_holds_in_a_constant_number_of_queries(client, ledger, city_linfen):
    client.force_login(city_linfen)

    def page_four():
        with CaptureQueriesContext(connection) as queries:
            changelist = client.get(PARCELS, {"p": 4}).context["cl"]
        return [parcel.code for parcel in changelist.result_list], [query["sql"] for query in queries]

    page_four()  # the counties' codes are then held by the process (tasks.catalog)
    codes, sql = page_four()
    assert codes == ["AI0", "AI1", "AI2", "X00"]
    assert not [statement for statement in sql if "COUNT(" in statement.upper()]
    read = [statement for statement in sql if 'FROM "parcels_parcel"' in statement]
    assert len(read) == 1
    assert f'"county_id" IN ({ledger["141026"].pk}, {ledger["141029"].pk})' in read[0]
    # More counties and parcels in the city: the page asks the database no more.
    for code in ("141022", "141023"):
        for number in range(3):
            ParcelFactory(county=ledger[code], code=f"Z{code}{number}")
    assert len(page_four()[1]) == len(sql)


def test_a_status_is_counted_from_the_counts_not_from_the_parcels(client, ledger, city_linfen):
    three_county_disposals()
    client.force_login(city_linfen)
    client.get(PARCELS, {"status": "pending", "p": 3})
    with CaptureQueriesContext(connection) as queries:
        changelist = client.get(PARCELS, {"status": "pending", "p": 3}).context["cl"]
    # 曲沃's four and 安泽's eight parcels not yet disposed of, four to a page: the third is 安泽's last four.
    assert (changelist.result_count, [parcel.code for parcel in changelist.result_list]) == (
        15,
        ["A06", "AI0", "AI1", "AI2"],
    )
    sql = [query["sql"] for query in queries]
    assert not [statement for statement in sql if "COUNT(" in statement.upper()]
    assert [statement for statement in sql if "parcels_parcelcount" in statement and "'pending'" in statement]


@pytest.mark.parametrize("order", ["2", "-2", "3", "-5"])  # county, county descending, town, area descending
def test_a_list_sorted_by_a_column_is_djangos_page_and_still_counted_from_the_counts(
    client, ledger, superuser, monkeypatch, order
):
    client.force_login(superuser)
    with CaptureQueriesContext(connection) as queries:
        counted = pages(client, o=order)
    assert counted == plain(client, monkeypatch, o=order)
    assert not [query for query in queries if "COUNT(" in query["sql"].upper()]
