"""The one mechanism that decides which regions' data a user may see.

Every queryset a user reaches — API views, admin changelists, choice lists, autocompletes,
filters, exports, reports — goes through :meth:`ScopedQuerySet.visible_to`, so a rule about
who sees what lives here and nowhere else.
"""

from django.db import models
from django.db.models import Q

from .choices import RegionLevel, Role

COUNTY_ROLES = (Role.COUNTY_CLERK, Role.COUNTY_OFFICE)


def is_admin(user):
    """A superuser or an account with the ``admin`` role sees and changes everything."""
    return bool(
        user is not None
        and user.is_authenticated
        and user.is_active
        and (user.is_superuser or getattr(user, "role", "") == Role.ADMIN)
    )


def scope_regions(user):
    """The regions whose data the user may read, as a queryset of Region; ``None`` means all of them.

    A county role reads its county; the city bureau reads its city and the city's counties.
    Towns and zones are read through their county.
    """
    from .models import Region

    if user is None or not user.is_authenticated or not user.is_active:
        return Region.objects.none()
    if is_admin(user):
        return None
    if not user.region_id:
        return Region.objects.none()
    if user.role in COUNTY_ROLES:
        return Region.objects.filter(pk=user.region_id)
    if user.role == Role.CITY_BUREAU:
        return Region.objects.filter(
            Q(pk=user.region_id) | Q(parent_id=user.region_id, level=RegionLevel.COUNTY)
        )
    return Region.objects.none()


def scope_counties(user):
    """The counties whose data the user may read (``None`` means all)."""
    regions = scope_regions(user)
    if regions is None:
        return None
    return regions.filter(level=RegionLevel.COUNTY)


class ScopedQuerySet(models.QuerySet):
    """A queryset that knows the path from its model to the county (or city) it belongs to."""

    #: lookup from the model to its Region, e.g. ``"county"`` or ``"parcel__county"``
    county_lookup = "county"
    #: whether a county role also reads the rows of the city above its county (no other county's):
    #: units, since a parcel's or a task's responsible unit may be the city's (Parcel.clean, CountyTask.clean),
    #: and campaigns, since a county's tasks and items may be filed under the city's
    county_reads_its_city = False

    def visible_to(self, user, *, with_city=True):
        """The rows ``user`` may read. ``with_city=False``: a county role's own county's rows only, even
        where it reads its city's (the choices of a field whose model takes the county's own only)."""
        regions = scope_regions(user)
        if regions is None:
            return self
        if getattr(user, "role", "") in COUNTY_ROLES and user.region_id:
            # One county: compare ids directly rather than through a subquery.
            own = Q(**{f"{self.county_lookup}_id": user.region_id})
            if self.county_reads_its_city and with_city:
                from .models import Region

                city = Region.objects.filter(pk=user.region_id).values("parent_id")
                own |= Q(**{f"{self.county_lookup}_id__in": city})
            return self.filter(own)
        return self.filter(**{f"{self.county_lookup}__in": regions.values("pk")})


def visible_region_ids(user):
    """The ids of the regions whose data the user may read, as a frozenset (``None``: all of them): the
    rule of :meth:`ScopedQuerySet.visible_to` for rows already in memory (one query for a city account)."""
    regions = scope_regions(user)
    if regions is None:
        return None
    if getattr(user, "role", "") in COUNTY_ROLES and user.region_id:
        return frozenset((user.region_id,))
    return frozenset(regions.values_list("pk", flat=True))


# Who may change what (DOMAIN.md §2), by model label. ``admin`` may change everything.
# A county role writes in its own county; the city bureau in its city and the city's counties.
WRITE_ROLES = {
    "parcels.parcel": {Role.COUNTY_CLERK},
    "parcels.disposal": {Role.COUNTY_CLERK},
    "parcels.progressnote": {Role.COUNTY_CLERK},
    "tasks.countytask": {Role.CITY_BUREAU},
    "tasks.milestone": {Role.CITY_BUREAU},
    "tasks.campaign": {Role.COUNTY_OFFICE, Role.CITY_BUREAU},
    "tasks.rectificationitem": {Role.COUNTY_OFFICE},
    "leadership.leadershipgroup": {Role.COUNTY_OFFICE},
    "leadership.groupmember": {Role.COUNTY_OFFICE},
    "leadership.unit": {Role.COUNTY_OFFICE},
}


def home_county(user):
    """The county a county-level account works in (what its forms and files default to); None for others."""
    if getattr(user, "role", "") in COUNTY_ROLES and user.region_id:
        return user.region
    return None


def has_role(user):
    """Signed in, active, and given a role with a region (or an administrator)."""
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    return is_admin(user) or (bool(getattr(user, "role", "")) and bool(user.region_id))


def can_read_admin(user):
    return has_role(user) and user.is_staff


def region_in_scope(user, region):
    """Whether ``region`` (a county or city) is one whose data the user may read."""
    if is_admin(user):
        return True
    if not has_role(user) or region is None:
        return False
    if user.role in COUNTY_ROLES:
        return region.pk == user.region_id or region.parent_id == user.region_id
    if user.role == Role.CITY_BUREAU:
        return (
            region.pk == user.region_id
            or region.parent_id == user.region_id
            or (region.parent is not None and region.parent.parent_id == user.region_id)
        )
    return False


def can_write(user, label, region=None):
    """Whether the user may create or change objects of model ``label`` belonging to ``region``.

    Without a region: whether the user may write such objects anywhere at all.
    """
    if is_admin(user):
        return True
    if not has_role(user) or user.role not in WRITE_ROLES.get(label, ()):
        return False
    if region is None:
        return True
    if user.role in COUNTY_ROLES:
        return region.pk == user.region_id
    if user.role == Role.CITY_BUREAU:
        return region.pk == user.region_id or region.parent_id == user.region_id
    return False


def writable_counties(user, label):
    """The counties in which the user may write objects of model ``label``, as a queryset by code.

    The same rule as :func:`can_write` for a county, for every county at once (import and upload forms).
    """
    from .models import Region

    counties = Region.objects.filter(level=RegionLevel.COUNTY).order_by("code")
    if is_admin(user):
        return counties
    if not has_role(user) or user.role not in WRITE_ROLES.get(label, ()):
        return counties.none()
    if user.role in COUNTY_ROLES:
        return counties.filter(pk=user.region_id)
    if user.role == Role.CITY_BUREAU:
        return counties.filter(parent_id=user.region_id)
    return counties.none()


def object_in_scope(user, obj):
    """Whether the user may read ``obj``: the rule of :meth:`ScopedQuerySet.visible_to` for one object."""
    region = object_region(obj)
    if region is None or region_in_scope(user, region):
        return True
    queryset_class = getattr(type(obj)._default_manager, "_queryset_class", None)
    return bool(
        getattr(queryset_class, "county_reads_its_city", False)
        and has_role(user)
        and user.role in COUNTY_ROLES
        and region.pk == user.region.parent_id
    )


def object_region(obj):
    """The county (or city) an object belongs to, following its queryset's ``county_lookup``."""
    from .models import Region

    if isinstance(obj, Region):
        return obj
    queryset_class = getattr(type(obj)._default_manager, "_queryset_class", None)
    lookup = getattr(queryset_class, "county_lookup", None)
    if lookup is None or not issubclass(queryset_class, ScopedQuerySet):
        return None
    value = obj
    for part in lookup.split("__"):
        value = getattr(value, part, None)
        if value is None:
            return None
    return value
