"""The parcel list's pages at national size: counted from ``ParcelCount``, sliced one county at a time.

With a million parcels, ``COUNT(*)`` reads every row and ``ORDER BY county, code OFFSET 500000`` sorts
them all. When the list is filtered by nothing but the caller's scope, ``county`` and ``kind``, the
per-county counts kept in ``ParcelCount`` (parcels.rollup) give both the total and, for any page, the few
counties whose parcels it holds; the page is then those counties' parcels in the list's order, read
through the (county, code) index. Any other filter, a search or another ordering takes the plain
paginator, whose count is then over the filtered rows only.

The counts are summed per county without joining the regions (22,000 rows at national size: the join
cost three times the sum), and put in the list's county order from the counties' codes the process holds
(:func:`tasks.catalog.held`). The page's rows are chosen by id first, then read with their county and
town: read whole, the planner would hash every region to join the towns of a few hundred rows.
"""

from django.core.paginator import Paginator as DjangoPaginator
from django.db.models import Sum
from django.utils.functional import cached_property

from landtrack.api.pagination import Pagination
from landtrack.queries import compiled_rows
from leadership.choices import RegionLevel
from leadership.models import Region
from leadership.scope import scope_counties
from tasks.catalog import held

from ..models import ParcelCount

# Query parameters that leave the rows countable from ParcelCount.
COUNTED_PARAMETERS = {"county", "kind", "as_of", "page", "page_size", "format"}


class CountedPaginator(DjangoPaginator):
    """A paginator whose count and pages come from per-county counts, in the list's county order."""

    def __init__(self, object_list, per_page, counts):
        super().__init__(object_list, per_page)
        self.counts = counts  # [(county_id, parcels)] in the list's order

    @cached_property
    def count(self):
        return sum(parcels for _, parcels in self.counts)

    def page(self, number):
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = min(bottom + self.per_page, self.count)
        counties, before, seen = [], None, 0
        for county_id, parcels in self.counts:
            if seen + parcels > bottom and seen < top:
                if before is None:
                    before = seen
                counties.append(county_id)
            seen += parcels
            if seen >= top:
                break
        if not counties:
            return self._get_page([], number, self)
        chosen = self.object_list.filter(county_id__in=counties).values("pk")[bottom - before : top - before]
        return self._get_page(self.object_list.filter(pk__in=chosen), number, self)


class ParcelPagination(Pagination):
    def paginate_queryset(self, queryset, request, view=None):
        counts = self.counted(queryset, request)
        if counts is None:
            return super().paginate_queryset(queryset, request, view)
        self.django_paginator_class = lambda rows, size: CountedPaginator(rows, size, counts)
        try:
            return super().paginate_queryset(queryset, request, view)
        finally:
            del self.django_paginator_class

    def counted(self, queryset, request):
        """Per-county counts for this request, or None when other filters make them not apply."""
        if set(request.query_params) - COUNTED_PARAMETERS:
            return None
        ordering = [str(term) for term in queryset.query.order_by]
        if ordering != ["county__code", "code"]:
            return None
        rows = ParcelCount.objects.filter(parcels__gt=0)
        counties = scope_counties(request.user)
        if counties is not None:
            rows = rows.filter(county__in=counties.values("pk"))
        if request.query_params.get("county"):
            rows = rows.filter(county__code=request.query_params["county"])
        if request.query_params.get("kind"):
            rows = rows.filter(kind=request.query_params["kind"])
        # Run as compiled: the ORM's per-value conversions of the country's 2,850 rows cost more than the sum.
        totals = compiled_rows(
            rows.order_by().values("county_id").annotate(total=Sum("parcels")).values_list("county_id", "total")
        )
        codes = county_codes()
        if any(county_id not in codes for county_id, _ in totals):
            # Parcels of a region that is not a county (only raw SQL could put them there): ordered by the
            # database, with the regions joined.
            ordered = (
                rows.values("county_id", "county__code")
                .annotate(total=Sum("parcels"))
                .order_by("county__code")
            )
            return [(row["county_id"], row["total"]) for row in ordered]
        return sorted(totals, key=lambda row: codes[row[0]])


def county_codes():
    """Every county's code by id, held by the process while the catalog is unchanged (tasks.catalog)."""
    return held(
        "county_codes",
        lambda: dict(Region.objects.filter(level=RegionLevel.COUNTY).values_list("pk", "code")),
    )
