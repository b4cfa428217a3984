"""A search word's lookup that skips the case folding a word without letters of either case does not need.

Django's ``icontains`` on PostgreSQL is ``UPPER(col::text) LIKE UPPER('%word%')``: every row read has
each searched column upper-cased first. A word of three characters or more is read from a trigram index
on that very expression (parcels migration 0009), which only ``UPPER(...)`` can use; a shorter word has
no trigram, so the table is read, and at national size the upper-casing was three quarters of that read
(the country's 1,000,000 parcels: ~900 ms to count the matches of "临平" over eight columns, ~290 ms with
a plain ``LIKE``). For a word none of whose characters has a case (Chinese, digits, punctuation), the
upper-cased column contains it exactly when the column does, so the plain ``LIKE`` finds the same rows.
"""

from django.db.models import IntegerField, Lookup
from django.db.models.lookups import Contains, IContains, In

# pg_trgm's trigrams: a word shorter than this has none, and no index serves it.
TRIGRAM = 3


def caseless(word):
    """Whether no character of ``word`` has a case to fold: its upper and lower case are the word."""
    return word.upper() == word and word.lower() == word


class SearchWord(Lookup):
    """``icontains``, read as a plain ``contains`` on PostgreSQL for a caseless word too short for a
    trigram index. Elsewhere (SQLite: ``LIKE``, which folds ASCII only), exactly ``icontains``.

    It compiles one of Django's own lookups in its place, so that every part of theirs keyed by the
    lookup's name (the operator, the column's cast, the escaping of ``%`` and ``_``) stays theirs."""

    lookup_name = "search_word"

    def as_sql(self, compiler, connection):
        return compiler.compile(IContains(self.lhs, self.rhs))

    def as_postgresql(self, compiler, connection):
        word = self.rhs
        if isinstance(word, str) and len(word) < TRIGRAM and caseless(word):
            return compiler.compile(Contains(self.lhs, word))
        return self.as_sql(compiler, connection)


# What an integer column holds on every database LandTrack runs on (SQLite and PostgreSQL: 64 bits).
INTEGER_RANGE = (-(2**63), 2**63 - 1)


@IntegerField.register_lookup
class InIntegerRange(In):
    """Django's ``in`` on integer columns (ids included), without the values no such column holds.

    They match no row, and SQLite cannot even bind them: OverflowError, a 500 wherever a list of ids
    comes from a request (a form's choice of several rows, an admin action's selection). Django's own
    ``exact`` already answers such a value with no rows; its ``in`` does not."""

    lookup_name = "in"

    def process_rhs(self, compiler, connection):
        if self.rhs_is_direct_value():
            low, high = INTEGER_RANGE
            self.rhs = [value for value in self.rhs if not isinstance(value, int) or low <= value <= high]
        return super().process_rhs(compiler, connection)
