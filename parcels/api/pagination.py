"""The parcel list's pages at national size: counted from ``ParcelCount``, sliced one county at a time.

With a million parcels, ``COUNT(*)`` reads every row and ``ORDER BY county, code OFFSET 500000`` sorts
them all. When the list is filtered by nothing but the caller's scope, ``county`` and ``kind``, the
per-county counts kept in ``ParcelCount`` (parcels.rollup) give both the total and, for any page, the few
counties whose parcels it holds; the page is then those counties' parcels in the list's order, read
through the (county, code) index. Any other filter, a search or another ordering takes the plain
paginator, whose count is then over the filtered rows only.
"""

from django.core.paginator import Paginator as DjangoPaginator
from django.db.models import Sum
from django.utils.functional import cached_property

from landtrack.api.pagination import Pagination
from leadership.scope import scope_counties

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
        rows = self.object_list.filter(county_id__in=counties)[bottom - before : top - before]
        return self._get_page(rows, number, self)


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
        totals = rows.values("county_id", "county__code").annotate(total=Sum("parcels")).order_by("county__code")
        return [(row["county_id"], row["total"]) for row in totals]
