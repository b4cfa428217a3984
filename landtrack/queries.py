"""Querysets read without the ORM's per-row work, where thousands of rows make it count."""

from django.core.exceptions import EmptyResultSet
from django.db import connection


def compiled_rows(queryset):
    """The rows of a ``values_list`` queryset as the database driver returns them: the statement the ORM
    compiles, run as it is, without the ORM's per-value conversions and per-row tuple building (for the
    country's 2,850 counties or tasks, these cost more than the query). The caller takes the values as the
    driver gives them: on SQLite, dates arrive as text and sums as floats."""
    try:
        sql, params = queryset.query.sql_with_params()
    except EmptyResultSet:  # filtered by an empty set (``pk__in=[]``, ``none()``): as the ORM, no rows
        return []
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()
