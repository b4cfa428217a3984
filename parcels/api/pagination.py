"""The parcel list's pages at national size, sliced one county at a time (:mod:`parcels.paging`) while the
list is in its own order (by county): counted from ``ParcelCount`` when it is filtered by nothing but the
caller's scope, ``county``, ``kind`` and ``status``, otherwise (a flag, a search …) by counting its own rows
per county. Another ordering takes the plain paginator, whose count is then over the filtered rows only.
"""

from landtrack.api.pagination import Pagination
from leadership.models import Region
from leadership.scope import scope_counties

from ..paging import CountedPaginator, counts_of, in_county_order

# Query parameters that leave the rows countable from ParcelCount.
COUNTED_PARAMETERS = {"county", "kind", "status", "as_of", "page", "page_size", "format"}


class ParcelPagination(Pagination):
    view = None  # the list's view, whose filters read the query

    def paginate_queryset(self, queryset, request, view=None):
        if not in_county_order(queryset):
            return super().paginate_queryset(queryset, request, view)
        self.view = view
        counts = self.counted(queryset, request)
        self.django_paginator_class = lambda rows, size: CountedPaginator(rows, size, counts)
        try:
            return super().paginate_queryset(queryset, request, view)
        finally:
            del self.django_paginator_class

    def counted(self, queryset, request):
        """The ``ParcelCount`` rows that count this request's parcels, or None when other filters make
        them not apply (whether the list is in county order is :func:`in_county_order`'s to say)."""
        filterset_class = getattr(self.view, "filterset_class", None)
        if set(request.query_params) - COUNTED_PARAMETERS or filterset_class is None:
            return None
        # The values as the list's filters took them (``?county=%20141026`` is 141026), not as sent: the
        # count is then always that of the rows. The filter backend keeps the filterset it applied.
        filters = getattr(self.view, "applied_filterset", None)
        if filters is None:
            filters = filterset_class(request.query_params, queryset=queryset, request=request)
        if not filters.is_valid():
            return None  # the filter backend has refused them already
        cleaned = filters.form.cleaned_data
        counties = scope_counties(request.user)
        if cleaned.get("county"):
            counties = (Region.objects.all() if counties is None else counties).filter(code=cleaned["county"])
        return counts_of(counties, cleaned.get("kind"), cleaned.get("status"))
