"""The county map on the dashboard (挂图作战): every parcel drawn and coloured by its disposal status.

Drawn on the server as SVG (parcels.boundary_maps): no JavaScript, no internet, printable. A click on a
parcel follows an ``#parcel-ID`` link that the stylesheet answers by showing that parcel's figures.
"""

from decimal import Decimal

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import urlencode

from landtrack.numbers import format_area
from leadership.choices import RegionLevel
from leadership.models import Region
from leadership.scope import can_write, has_role, region_in_scope
from parcels.boundaries import area_check
from parcels.boundary_maps import MapItem, draw
from parcels.choices import ParcelKind, ParcelStatus
from parcels.models import Parcel

from .views import DashboardQuery


class MapQuery(forms.Form):
    kind = forms.ChoiceField(label="类型", required=False, choices=[("", "全部类型"), *ParcelKind.choices])
    status = forms.ChoiceField(label="处置状态", required=False, choices=[("", "全部状态"), *ParcelStatus.choices])


def _county(request, county_code):
    if not has_role(request.user):
        raise PermissionDenied("您的账号没有角色或所属区划，请联系系统管理员。")
    region = (
        Region.objects.filter(code=county_code, level=RegionLevel.COUNTY).select_related("parent").first()
    )
    if region is None or not region_in_scope(request.user, region):
        raise Http404("未找到该县（市、区）。")
    return region


def _carried(request):
    """The year and date of the dashboard page the map was opened from, to go back to it with (the map
    itself is of today's ledger): the good ones only, as text."""
    form = DashboardQuery({name: request.GET[name] for name in ("year", "as_of") if name in request.GET})
    form.is_valid()
    year, as_of = form.cleaned_data.get("year"), form.cleaned_data.get("as_of")
    return {
        **({"year": str(year)} if year else {}),
        **({"as_of": f"{as_of:%Y-%m-%d}"} if as_of else {}),
    }


@login_required
def county_map(request, county_code):
    """The county's parcels on one map, a legend by status, and each parcel's figures on a click."""
    region = _county(request, county_code)
    carried = _carried(request)
    form = MapQuery(request.GET or None)
    # A bad value is reported on the form and left out (cleaned_data keeps only the good ones): the other
    # still filters the map.
    chosen = {}
    if form.is_bound:
        form.is_valid()
        chosen = form.cleaned_data
    parcels = (
        Parcel.objects.visible_to(request.user)
        .filter(county=region)
        .select_related("town", "boundary")
        .order_by("code")
    )
    if chosen.get("kind"):
        parcels = parcels.filter(kind=chosen["kind"])
    if chosen.get("status"):
        parcels = parcels.with_status(chosen["status"])
    parcels = list(parcels)

    legend = {status: {"status": status, "label": label, "count": 0, "mapped": 0, "area_mu": Decimal(0)}
              for status, label in ParcelStatus.choices}
    items = []
    for parcel in parcels:
        boundary = getattr(parcel, "boundary", None)
        parcel.admin_url = reverse("admin:parcels_parcel_change", args=[parcel.pk])
        parcel.area_check = (
            area_check(area_m2=boundary.area_m2, declared_mu=parcel.area_mu, file_area_ha=boundary.file_area_ha)
            if boundary
            else None
        )
        entry = legend[parcel.status]
        entry["count"] += 1
        entry["area_mu"] += parcel.area_mu
        if boundary:
            entry["mapped"] += 1
            items.append(
                MapItem(
                    boundary=boundary,
                    css=f"status-{parcel.status}",
                    href=f"#parcel-{parcel.pk}",
                    title=f"{parcel.code} {parcel.name}（{parcel.get_status_display()}，{format_area(parcel.area_mu)} 亩）",
                    key=parcel.pk,
                    label=parcel.code,
                )
            )
    drawing = draw(items)
    query = f"county={region.code}"
    for name in ("kind", "status"):
        if chosen.get(name):
            query += f"&{name}={chosen[name]}"
    return render(
        request,
        "dashboard/county_map.html",
        {
            "county": region,
            "carried": carried,
            "back_query": urlencode(carried),
            "form": form if form.is_bound else MapQuery(),
            "parcels": parcels,
            "mapped": [parcel for parcel in parcels if getattr(parcel, "boundary", None)],
            "unmapped": [parcel for parcel in parcels if not getattr(parcel, "boundary", None)],
            "drawing": drawing,
            "legend": list(legend.values()),
            "geojson_url": f"{reverse('parcel-geojson')}?{query}",
            "txt_url": f"{reverse('parcel-boundaries-txt')}?{query}",
            "upload_url": (
                f"{reverse('admin:parcels_parcel_boundary_upload')}?county={region.code}"
                if request.user.is_staff and can_write(request.user, "parcels.parcel", region)
                else ""
            ),
        },
    )
