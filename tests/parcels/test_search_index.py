"""The parcel search: the same matches from the admin and the API in every searched column, and, on
PostgreSQL, each column's match read from its trigram index (migration 0009), not from the table."""

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from landtrack.lookups import caseless
from parcels.models import SEARCH_FIELDS
from tests.factories import IdleParcelFactory, ParcelFactory

pytestmark = pytest.mark.django_db

PARCELS = reverse("admin:parcels_parcel_changelist")
# One parcel per searched column, holding a word no other column of any parcel holds (mixed case: the
# search ignores it).
WORDS = {
    "code": "Qk-0917",
    "name": "松涛苑安置",
    "approval_number": "晋政地字〔2019〕77号",
    "supervision_number": "1410262020B00913",
    "land_user": "瑞丰置业有限公司",
    "contract_number": "HT-2020-aZ",
    "batch_name": "2018年度第9批次",
    "location": "府城镇北关村东",
}
IDLE_FIELDS = {"supervision_number", "land_user", "contract_number"}


@pytest.fixture
def ledger(regions):
    anze = regions["141026"]
    found = {}
    for number, (field, word) in enumerate(WORDS.items()):
        factory = IdleParcelFactory if field in IDLE_FIELDS else ParcelFactory
        values = {"code": f"S-{number:02d}", field: word}
        found[field] = factory(county=anze, **values).code
    ParcelFactory(county=anze, code="S-99", name="无关地块")
    return found


def test_every_searched_column_finds_its_parcel_in_the_admin_and_the_api(
    client, clerk_anze, superuser, ledger
):
    client.force_login(clerk_anze)
    for field, word in WORDS.items():
        for term in (word, word.swapcase(), word[1:-1]):
            listed = client.get("/api/v1/parcels/", {"search": term}).json()["results"]
            assert [parcel["code"] for parcel in listed] == [ledger[field]], (field, term)
    client.force_login(superuser)
    for field, word in WORDS.items():
        changelist = client.get(PARCELS, {"q": word.swapcase()}).context["cl"]
        assert [parcel.code for parcel in changelist.result_list] == [ledger[field]], field


def counting_statement(client, who, term):
    """The one statement that counts what the API's or the admin's search for ``term`` finds."""
    url, params = ("/api/v1/parcels/", {"search": term}) if who == "api" else (PARCELS, {"q": term})
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url, params).status_code == 200
    counts = [query["sql"] for query in captured if "COUNT(" in query["sql"] and "LIKE" in query["sql"]]
    assert len(counts) == 1, [query["sql"] for query in captured]
    return counts[0]


# CI runs these on PostgreSQL too.
postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="PostgreSQL's: the trigram indexes (pg_trgm) and the upper-casing of icontains; SQLite reads a "
    "county's ledger, and its LIKE folds ASCII itself",
)


@postgresql_only
@pytest.mark.parametrize("who", ["api", "admin"])
def test_every_searched_column_is_read_from_its_trigram_index(client, superuser, ledger, who):
    """As the country's admin searches: over every county, where a county's own index cannot help."""
    client.force_login(superuser)
    count = counting_statement(client, who, "瑞丰置业")
    with transaction.atomic(), connection.cursor() as cursor:
        # A ledger of nine parcels is read fastest from the table, or whole through the county index to
        # count it county by county (parcels.paging): forbid both to see which index serves the words.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_indexscan = off")
        cursor.execute("EXPLAIN " + count)
        plan = "\n".join(line for (line,) in cursor.fetchall())
    for field in SEARCH_FIELDS:
        assert f"parcel_search_{field}" in plan, (field, plan)
    assert "Seq Scan on parcels_parcel" not in plan, plan


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("临平", True),
        ("7号", True),
        ("〔", True),
        ("-_", True),
        ("qk", False),
        ("Ⅳ", False),
        ("ß", False),
        ("ǅ", False),
    ],
)
def test_a_word_is_caseless_when_no_character_of_it_has_a_case(word, expected):
    assert caseless(word) is expected


@pytest.mark.parametrize("who", ["api", "admin"])
def test_short_words_find_their_parcels_with_or_without_a_case(client, superuser, ledger, who):
    """Two characters: too short for a trigram. A caseless word is matched as written, a word with letters
    still whatever their case."""
    client.force_login(superuser)
    for term, field in (
        ("松涛", "name"),
        ("府城", "location"),
        ("qK", "code"),
        ("Az", "contract_number"),
    ):
        if who == "api":
            found = [
                parcel["code"]
                for parcel in client.get("/api/v1/parcels/", {"search": term}).json()["results"]
            ]
        else:
            found = [parcel.code for parcel in client.get(PARCELS, {"q": term}).context["cl"].result_list]
        assert found == [ledger[field]], (term, found)


@postgresql_only
@pytest.mark.parametrize("who", ["api", "admin"])
def test_only_a_caseless_word_too_short_for_a_trigram_skips_the_upper_casing(client, superuser, ledger, who):
    client.force_login(superuser)
    for term, upper_cased in (("松涛", False), ("府城", False), ("qK", True), ("松涛苑", True), ("Ⅳ", True)):
        count = counting_statement(client, who, term)
        assert count.count("LIKE") == len(SEARCH_FIELDS), count
        assert count.count("UPPER(") == (2 * len(SEARCH_FIELDS) if upper_cased else 0), (term, count)
