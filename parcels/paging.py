"""The parcel lists' pages at national size (the API's and the admin's): counted from ``ParcelCount``,
sliced one county at a time.

With a million parcels, ``COUNT(*)`` reads every row, and ``ORDER BY county, code … LIMIT 50`` over a
city's or the country's parcels reads and sorts all of them, however shallow the page. When a list is
filtered by nothing but the user's scope, regions and kind, and is ordered by county code first, the
per-county counts kept in ``ParcelCount`` (parcels.rollup) give both the total and, for any page, the few
counties whose parcels it holds; the page is then those counties' parcels in the list's order, read
through the (county, code) index.

The counts are summed per county without joining the regions (22,000 rows at national size: the join
cost three times the sum), and put in county order from the counties' codes the process holds
(:func:`tasks.catalog.held`) only when a page is read: a list of one page is counted by one query. The
page's rows are chosen by id among its counties' parcels, then read whole, again among its counties'
parcels only: read whole from the start, the planner would hash every region to join the towns of a few
hundred rows; without the counties on the outer read, it took a city's scope for a few counties and read
all of the city's 6,520 parcels to find the 50 ids (17 ms at national size, now 2).

A status filters them too: ``ParcelCount`` counts each county's parcels per status, moved with every
disposal that changes one (a country's 200,000 parcels not yet disposed of were counted row by row, 120 ms).

Any other filter (a rule flag, a town, a unit, a search) leaves ``ParcelCount`` unable to count
the list; as long as the list is still in county order, its own rows are then counted per county, in one
statement that reads the filtered rows once (as ``COUNT(*)`` would), and the page is read from the
counties it holds as above. Django's paginator would read the filtered rows a second time for the page,
and, for a deep one, sort all of them to skip the rows before it (the country's parcels not yet disposed
of, page 2,000: about a second).
"""

from django.core.paginator import Paginator
from django.db.models import Count, Sum
from django.utils.functional import cached_property

from landtrack.queries import compiled_rows
from leadership.choices import RegionLevel
from leadership.models import Region
from tasks.catalog import held

from .models import ParcelCount


def in_county_order(queryset):
    """Whether a parcel queryset is ordered by county code first: its pages can be read county by county."""
    return tuple(queryset.query.order_by[:1]) == ("county__code",)


class CountedPaginator(Paginator):
    """A paginator over a parcel queryset ordered by county code first, whose count and pages come from
    ``counts``: the ``ParcelCount`` rows that count exactly the queryset's parcels; or, without them
    (None), from the queryset's own rows counted per county."""

    def __init__(self, object_list, per_page, counts=None, orphans=0, allow_empty_first_page=True):
        super().__init__(object_list, per_page, orphans, allow_empty_first_page)
        self.counts = counts

    def _per_county(self, *fields):
        """The rows counted per county (and ``fields`` of it), as ``values`` annotated with ``total``."""
        fields = ("county_id", *fields)
        if self.counts is None:
            distinct = self.object_list.query.distinct  # a search through a join: each parcel once
            return self.object_list.order_by().values(*fields).annotate(total=Count("pk", distinct=distinct))
        return self.counts.filter(parcels__gt=0).order_by().values(*fields).annotate(total=Sum("parcels"))

    @cached_property
    def totals(self):
        """``[(county_id, parcels)]`` in no set order. Run as compiled: the ORM's per-value conversions of
        the country's 2,850 rows cost more than the sum."""
        return compiled_rows(self._per_county().values_list("county_id", "total"))

    @cached_property
    def count(self):
        return sum(parcels for _, parcels in self.totals)

    @cached_property
    def by_county(self):
        """``[(county_id, parcels)]`` in the list's county order (by code)."""
        if len(self.totals) < 2:
            return self.totals  # one county (a county user's lists): no order to find
        codes = county_codes()
        if any(county_id not in codes for county_id, _ in self.totals):
            # Parcels of a region that is not a county (only raw SQL could put them there): ordered by the
            # database, with the regions joined.
            ordered = self._per_county("county__code").order_by("county__code")
            return [(row["county_id"], row["total"]) for row in ordered]
        return sorted(self.totals, key=lambda row: codes[row[0]])

    def page(self, number):
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = bottom + self.per_page
        if top + self.orphans >= self.count:
            top = self.count
        counties, before, seen = [], None, 0
        for county_id, parcels in self.by_county:
            if seen + parcels > bottom and seen < top:
                if before is None:
                    before = seen
                counties.append(county_id)
            seen += parcels
            if seen >= top:
                break
        if not counties:
            return self._get_page([], number, self)
        rows = self.object_list.filter(county_id__in=counties)
        chosen = rows.values("pk")[bottom - before : top - before]
        return self._get_page(rows.filter(pk__in=chosen), number, self)


def counts_of(counties=None, kind=None, status=None):
    """The ``ParcelCount`` rows that count the parcels of these counties (a queryset of regions; None:
    every region), of this kind and of this status (None or "": any)."""
    rows = ParcelCount.objects.all()
    if counties is not None:
        rows = rows.filter(county_id__in=counties.values("pk"))
    if kind:
        rows = rows.filter(kind=kind)
    if status:
        rows = rows.filter(status=status)
    return rows


def counted(counts):
    """How many parcels these ``ParcelCount`` rows count, in one sum (a list paged by Django)."""
    return counts.aggregate(total=Sum("parcels"))["total"] or 0


def county_codes():
    """Every county's code by id, held by the process while the catalog is unchanged (tasks.catalog)."""
    return held(
        "county_codes",
        lambda: dict(Region.objects.filter(level=RegionLevel.COUNTY).values_list("pk", "code")),
    )
