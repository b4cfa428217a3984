"""The parcel list's pages from the per-county counts: the same pages, in the same order, as counting."""

import pytest
from rest_framework.test import APIClient

from leadership.choices import Role
from parcels.api import pagination
from parcels.api.pagination import ParcelPagination
from parcels.paging import CountedPaginator
from tests.factories import UserFactory
from tests.helpers import THREE_COUNTIES_IN_ORDER, three_county_disposals, three_county_ledger

pytestmark = pytest.mark.django_db


@pytest.fixture
def ledger(regions):
    return three_county_ledger(regions)  # pages of 4 cut through every county


def pages(client, **params):
    listed, page, count = [], 1, None
    while True:
        body = client.get("/api/v1/parcels/", {**params, "page_size": 4, "page": page}).json()
        count = body["count"]
        listed += [(row["county"], row["code"]) for row in body["results"]]
        if not body["next"]:
            return count, listed
        page += 1


def plain(client, monkeypatch, **params):
    """The same request through DRF's own counting paginator."""
    monkeypatch.setattr(ParcelPagination, "counted", lambda self, queryset, request: None)
    monkeypatch.setattr(pagination, "in_county_order", lambda queryset: False)
    try:
        return pages(client, **params)
    finally:
        monkeypatch.undo()


@pytest.mark.parametrize(
    "role, region",
    [(Role.ADMIN, None), (Role.CITY_BUREAU, "141000"), (Role.COUNTY_CLERK, "141026")],
)
@pytest.mark.parametrize(
    "params",
    [
        {},
        {"kind": "unsupplied"},
        {"kind": "idle"},
        {"county": "141029"},
        # A status is counted per county too (ParcelCount's rows per status).
        {"status": "pending"},
        {"status": "partial"},
        {"status": "disposed"},
        {"kind": "unsupplied", "status": "pending"},
        {"county": "141026", "status": "pending"},
    ],
)
def test_counted_pages_are_the_counted_paginators_pages(disposed, monkeypatch, role, region, params):
    ledger = disposed
    client = APIClient()
    client.force_authenticate(
        UserFactory(username=f"u_{role}", role=role, region=ledger[region] if region else None,
                    is_superuser=role == Role.ADMIN)
    )
    original, taken = ParcelPagination.counted, []

    def counted(self, queryset, request):
        counts = original(self, queryset, request)
        taken.append(counts is not None)
        return counts

    monkeypatch.setattr(ParcelPagination, "counted", counted)
    from_counts = pages(client, **params)
    monkeypatch.undo()
    assert taken and all(taken), "these requests must take the counted path, or the comparison proves nothing"
    assert from_counts == plain(client, monkeypatch, **params)


def test_the_admins_pages_in_order_worked_by_hand(ledger):
    client = APIClient()
    client.force_authenticate(UserFactory(username="root", role=Role.ADMIN, is_superuser=True))
    count, listed = pages(client)
    assert count == 19
    assert [code for _, code in listed] == THREE_COUNTIES_IN_ORDER
    third = client.get("/api/v1/parcels/", {"page_size": 4, "page": 3}).json()
    assert [row["code"] for row in third["results"]] == ["A03", "A04", "A05", "A06"]
    assert client.get("/api/v1/parcels/", {"page_size": 4, "page": 6}).status_code == 404


def test_a_deep_page_reads_only_the_counties_it_holds(ledger):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = APIClient()
    client.force_authenticate(UserFactory(username="root", role=Role.ADMIN, is_superuser=True))
    for held_by_the_process in (False, True):
        with CaptureQueriesContext(connection) as queries:
            body = client.get("/api/v1/parcels/", {"page_size": 4, "page": 4}).json()
        assert [row["code"] for row in body["results"]] == ["AI0", "AI1", "AI2", "X00"]
        # The counts table, the catalog stamp, the counties' codes (the first time: then held by the
        # process), then the page's parcels from the two counties it holds — never a COUNT of parcels.
        sql = [query["sql"] for query in queries.captured_queries]
        assert len(sql) == (3 if held_by_the_process else 4)
        assert "parcels_parcelcount" in sql[0] and "tasks_catalogstamp" in sql[1]
        assert held_by_the_process or '"leadership_region"."level" = ' in sql[2]
        counties = f'"county_id" IN ({ledger["141026"].pk}, {ledger["141029"].pk})'
        assert "COUNT(" not in sql[-1] and counties in sql[-1]


def test_a_search_counts_the_rows_it_finds(ledger):
    client = APIClient()
    client.force_authenticate(UserFactory(username="root", role=Role.ADMIN, is_superuser=True))
    body = client.get("/api/v1/parcels/", {"search": "AI", "page_size": 2}).json()
    assert body["count"] == 3
    assert [row["code"] for row in body["results"]] == ["AI0", "AI1"]


def test_a_county_given_a_new_code_is_listed_in_its_new_place(ledger):
    """The counties' codes are held by the process (tasks.catalog) and read again when a region changes."""
    from leadership.models import Region

    client = APIClient()
    client.force_authenticate(UserFactory(username="root", role=Role.ADMIN, is_superuser=True))
    before = [county for county, _ in pages(client)[1]]
    assert list(dict.fromkeys(before)) == ["141021", "141026", "141029"]
    Region.objects.filter(pk=ledger["141026"].pk).update(code="141098")
    count, listed = pages(client)
    assert count == 19
    assert list(dict.fromkeys(county for county, _ in listed)) == ["141021", "141029", "141098"]
    assert [code for _, code in listed][5:9] == ["X00", "X01", "X02", "X03"]


def test_parcels_of_a_region_that_is_not_a_county_are_still_listed_in_code_order(ledger):
    """Only raw SQL could leave parcels under a region that is no longer a county: the counts then come
    ordered by the database, with the regions joined, rather than from the counties' codes held."""
    from leadership.choices import RegionLevel
    from leadership.models import Region

    client = APIClient()
    client.force_authenticate(UserFactory(username="root", role=Role.ADMIN, is_superuser=True))
    expected = pages(client)
    Region.objects.filter(pk=ledger["141026"].pk).update(level=RegionLevel.TOWN)
    assert pages(client) == expected


@pytest.fixture
def disposed(ledger):
    three_county_disposals()  # 15 parcels pending, 4 to a page
    return ledger


FILTERED = [
    {"status": "pending", "search": "A"},
    {"flag": "approval_lapsed"},
    {"search": "0"},
    {"search": "A0"},
    {"search": "无此地块"},
]


@pytest.fixture
def grouped(monkeypatch):
    """The pages read county by county from the list's own rows counted per county (no ParcelCount)."""
    taken = []
    original = CountedPaginator.page

    def page(self, number):
        taken.append(self.counts is None)
        return original(self, number)

    monkeypatch.setattr(CountedPaginator, "page", page)
    return taken


@pytest.mark.parametrize(
    "role, region",
    [(Role.ADMIN, None), (Role.CITY_BUREAU, "141000"), (Role.COUNTY_CLERK, "141026")],
)
@pytest.mark.parametrize("params", FILTERED)
def test_filtered_pages_by_county_are_drfs_pages(disposed, grouped, monkeypatch, role, region, params):
    client = APIClient()
    client.force_authenticate(
        UserFactory(
            username=f"u_{role}",
            role=role,
            region=disposed[region] if region else None,
            is_superuser=role == Role.ADMIN,
        )
    )
    by_county = pages(client, **params)
    assert grouped and all(grouped), "a filtered list must be read county by county, or this proves nothing"
    assert by_county == plain(client, monkeypatch, **params)


def test_a_status_is_counted_from_the_counts_never_from_the_parcels(disposed):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = APIClient()
    client.force_authenticate(UserFactory(username="root", role=Role.ADMIN, is_superuser=True))
    client.get("/api/v1/parcels/", {"status": "pending", "page_size": 4, "page": 3})
    with CaptureQueriesContext(connection) as queries:
        body = client.get("/api/v1/parcels/", {"status": "pending", "page_size": 4, "page": 3}).json()
    assert body["count"] == 15
    assert [row["code"] for row in body["results"]] == ["A06", "AI0", "AI1", "AI2"]
    sql = [query["sql"] for query in queries.captured_queries]
    assert "parcels_parcelcount" in sql[0] and "'pending'" in sql[0]
    read = [statement for statement in sql if 'FROM "parcels_parcel"' in statement]
    assert len(read) == 1 and "COUNT(" not in read[0]
    assert f'"county_id" IN ({disposed["141026"].pk})' in read[0]


def test_the_pending_pages_worked_by_hand(disposed):
    client = APIClient()
    client.force_authenticate(UserFactory(username="root", role=Role.ADMIN, is_superuser=True))
    count, listed = pages(client, status="pending")
    assert count == 15
    assert [code for _, code in listed] == [
        # 曲沃 141021: Q03 in part; 安泽 141026: A01 disposed of, A02 in part; 乡宁 141029: X00 disposed of.
        *("Q00", "Q01", "Q02", "Q04"),
        *("A00", "A03", "A04", "A05", "A06", "AI0", "AI1", "AI2"),
        *("X01", "X02", "X03"),
    ]
    assert pages(client, status="partial") == (2, [("141021", "Q03"), ("141026", "A02")])
    assert pages(client, status="disposed") == (2, [("141026", "A01"), ("141029", "X00")])


def test_a_deep_page_of_a_filtered_list_reads_its_rows_once_and_then_only_the_counties_it_holds(disposed):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = APIClient()
    client.force_authenticate(UserFactory(username="root", role=Role.ADMIN, is_superuser=True))
    # The first time, the counties' codes are read; then the process holds them (tasks.catalog).
    # 安泽's parcels not yet disposed of whose code or name holds "A": A00, A03 … A06, AI0 … AI2.
    query = {"status": "pending", "search": "A", "page_size": 4, "page": 2}
    client.get("/api/v1/parcels/", query)
    with CaptureQueriesContext(connection) as queries:
        body = client.get("/api/v1/parcels/", query).json()
    assert body["count"] == 8
    assert [row["code"] for row in body["results"]] == ["A06", "AI0", "AI1", "AI2"]
    read = [query["sql"] for query in queries.captured_queries if 'FROM "parcels_parcel"' in query["sql"]]
    # The filtered rows counted per county (one read of them), then the page from 安泽's rows alone.
    assert len(read) == 2, read
    assert "GROUP BY" in read[0] and "LIMIT" not in read[0]
    assert f'"county_id" IN ({disposed["141026"].pk})' in read[1] and "COUNT(" not in read[1]


def test_a_list_that_joins_its_rows_distinct_counts_each_parcel_once(ledger):
    """No filter of the lists joins through the disposals today; a queryset that does, made distinct as
    Django's admin and DRF's search make them, is counted and paged as Django's paginator does."""
    import datetime
    from decimal import Decimal

    from django.core.paginator import Paginator

    from parcels.models import Parcel
    from tests.factories import DisposalFactory

    for code in ("A01", "X00", "Q03"):
        for month in (6, 7):  # two disposals each: each parcel joined twice
            DisposalFactory(
                parcel=Parcel.objects.get(code=code), area_mu=Decimal("1"), date=datetime.date(2022, month, 1)
            )
    rows = Parcel.objects.filter(disposals__method="supply_transfer").distinct()
    rows = rows.order_by("county__code", "code")
    by_county, django = CountedPaginator(rows, 2), Paginator(rows, 2)
    assert by_county.count == django.count == 3
    for number in (1, 2):
        assert [p.code for p in by_county.page(number)] == [p.code for p in django.page(number)]
    assert [parcel.code for parcel in by_county.page(1)] == ["Q03", "A01"]
