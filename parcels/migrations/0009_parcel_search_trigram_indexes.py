"""Trigram indexes for the parcel search (PostgreSQL only).

The admin's and the API's search (``parcels.models.SEARCH_FIELDS``) ask, for every word, whether any of
eight columns contains it: ``UPPER(col::text) LIKE UPPER('%word%')``. A B-tree cannot serve a pattern
that starts with ``%``, so across the country's million parcels each search read the whole table
(1.5–2.5 s). A ``pg_trgm`` GIN index on exactly that expression of each column answers any word of three
characters or more, Chinese included, from the index; shorter words still read the table. Building
them took 17 s at national size. The extension is trusted (PostgreSQL 13+): the database's owner may
create it. SQLite gets nothing: a county's ledger is small enough to read.
"""

from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations

COLUMNS = (
    "code",
    "name",
    "approval_number",
    "supervision_number",
    "land_user",
    "contract_number",
    "batch_name",
    "location",
)


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for column in COLUMNS:
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS parcel_search_{column} ON parcels_parcel "
            f"USING gin ((UPPER({column}::text)) gin_trgm_ops)"
        )
    # The planner's statistics of an indexed expression come from ANALYZE, which a new index does not
    # start: without them it guesses hundreds of matches for a parcel's code and walks the whole list in
    # order instead (2.5 s at national size, 75 ms with them).
    schema_editor.execute("ANALYZE parcels_parcel")


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for column in COLUMNS:
        schema_editor.execute(f"DROP INDEX IF EXISTS parcel_search_{column}")


class Migration(migrations.Migration):
    dependencies = [("parcels", "0008_disposal_county_date")]

    operations = [TrigramExtension(), migrations.RunPython(create, drop)]
