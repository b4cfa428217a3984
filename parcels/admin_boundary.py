"""The parcel admin's boundary upload and map (issue 7): mixed into ParcelAdmin.

The upload reads a coordinate file, matches its parcels to the county's ledger by 地块编号 and shows a
preview (each parcel's area check, warnings and refusals, and all of them on a map); only a confirmation
stores anything. Between the two steps the file travels in a signed form field, so nothing is kept on
the server for a preview that is never confirmed. The parcel's change page shows its own map.
"""

import base64
import binascii

from django import forms
from django.contrib import messages
from django.core import signing
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseRedirect
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.safestring import mark_safe

from leadership.models import Region
from leadership.scope import can_write, writable_counties

from . import boundary_services
from .boundaries import MAX_FILE_BYTES, BoundaryFileError, area_check, square_metres_to_mu
from .boundary_maps import MapItem, draw, parcel_drawing
from .models import Parcel, ParcelBoundary

PAYLOAD_SALT = "parcels.boundary_upload"
# A preview left open longer than this must be uploaded again: the ledger may have changed meanwhile.
PAYLOAD_MAX_AGE = 2 * 60 * 60
MAX_MB = MAX_FILE_BYTES // 1024 // 1024
HISTORY_SHOWN = 10
UPLOAD_ACTIONS = {"+": "上传", "~": "重新上传", "-": "删除"}


class BoundaryUploadForm(forms.Form):
    """Step one: a coordinate file and the county whose ledger its parcels belong to."""

    county = forms.ModelChoiceField(
        label="县（市、区）", queryset=Region.objects.none(), empty_label=None, to_field_name="code"
    )
    file = forms.FileField(
        label="界址点坐标文件",
        help_text=f"部颁界址点坐标 TXT：GBK 或 UTF-8 编码，3 度带或 6 度带，不超过 {MAX_MB} MB。"
        "文件中的地块按地块编号与台账对应。",
    )

    def __init__(self, *args, counties, parcel=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["county"].queryset = counties
        if parcel is not None:
            self.fields["county"].disabled = True
            self.fields["county"].initial = parcel.county.code
            self.fields["file"].help_text = (
                f"部颁界址点坐标 TXT：GBK 或 UTF-8 编码，不超过 {MAX_MB} MB。文件含多个地块时取地块编号为"
                f"“{parcel.code}”的一个；只含一个地块时即用它。"
            )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_FILE_BYTES:
            raise forms.ValidationError(f"文件大小为 {upload.size / 1024 / 1024:.1f} MB，超过 {MAX_MB} MB 的上限。")
        return upload


def _pack(*, name, content, county, parcel):
    return signing.dumps(
        {
            "name": name,
            "content": base64.b64encode(content).decode("ascii"),
            "county": county.code,
            "parcel": parcel.pk if parcel is not None else None,
        },
        salt=PAYLOAD_SALT,
        compress=True,
    )


def _unpack(payload):
    """The file of a preview, or None when the form field was changed or the preview is too old."""
    try:
        data = signing.loads(payload, salt=PAYLOAD_SALT, max_age=PAYLOAD_MAX_AGE)
        data["content"] = base64.b64decode(data["content"], validate=True)
    except (signing.BadSignature, binascii.Error, KeyError, TypeError, ValueError):
        return None
    return data


class BoundaryAdminMixin:
    """Adds the coordinate-file upload and the parcel's own map to the parcel change page."""

    boundary_upload_template = "admin/parcels/boundary_upload.html"
    boundary_panel_template = "admin/parcels/boundary_panel.html"

    # ------------------------------------------------------------------ the change page

    def get_urls(self):
        name = f"{self.opts.app_label}_{self.opts.model_name}_boundary_upload"
        urls = [path("boundary-upload/", self.admin_site.admin_view(self.boundary_upload_view), name=name)]
        return urls + super().get_urls()

    @property
    def media(self):
        return super().media + forms.Media(css={"all": ["landtrack/maps.css"]})

    def change_view(self, request, object_id, form_url="", extra_context=None):
        # The change page shows the boundary: load it with the parcel, not in a query of its own.
        request.boundary_with_parcel = True
        return super().change_view(request, object_id, form_url, extra_context)

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if getattr(request, "boundary_with_parcel", False):
            queryset = queryset.select_related("county", "boundary", "boundary__uploaded_by")
        return queryset

    def get_object(self, request, object_id, from_field=None):
        parcel = super().get_object(request, object_id, from_field)
        if parcel is not None:
            parcel.boundary_writable = can_write(request.user, "parcels.parcel", parcel.county)
        return parcel

    def get_readonly_fields(self, request, obj=None):
        return [*super().get_readonly_fields(request, obj), "boundary_panel"]

    def get_fieldsets(self, request, obj=None):
        fieldsets = list(super().get_fieldsets(request, obj))
        if obj is not None:
            fieldsets.append(("界址与地图", {"classes": ("boundary",), "fields": ("boundary_panel",)}))
        return fieldsets

    def boundary_panel(self, parcel):
        """The parcel's own map, its area check and the file it came from; links to upload or export."""
        boundary = getattr(parcel, "boundary", None) if parcel.pk else None
        # Who uploaded, replaced or removed this parcel's boundary, and when — kept after a removal too.
        uploads = (
            ParcelBoundary.history.filter(parcel_id=parcel.pk)
            .select_related("history_user")
            .order_by("-history_date", "-history_id")[:HISTORY_SHOWN]
        )
        context = {
            "parcel": parcel,
            "boundary": boundary,
            "uploads": [
                {
                    "at": record.history_date,
                    "user": record.history_user,
                    "action": UPLOAD_ACTIONS.get(record.history_type, record.history_type),
                    # From the exact square metres, as the panel's own figure: rounded once when shown.
                    "area_mu": square_metres_to_mu(record.area_m2),
                    "file_name": record.file_name,
                }
                for record in uploads
            ],
            "upload_url": (
                f"{reverse('admin:parcels_parcel_boundary_upload')}?parcel={parcel.pk}"
                if getattr(parcel, "boundary_writable", False)
                else ""
            ),
            "county_map_url": reverse("dashboard-county-map", args=[parcel.county.code]),
        }
        if boundary is not None:
            context.update(
                drawing=parcel_drawing(
                    MapItem(
                        boundary=boundary,
                        css=f"status-{parcel.status}",
                        title=f"{parcel.code} {parcel.name}（{parcel.get_status_display()}）",
                    )
                ),
                check=area_check(
                    area_m2=boundary.area_m2, declared_mu=parcel.area_mu, file_area_ha=boundary.file_area_ha
                ),
                warnings=boundary_services.boundary_warnings(boundary, parcel),
                point_count=sum(len(ring["points"]) for ring in boundary.rings),
                hole_count=len(boundary.rings) - 1,
                geojson_url=reverse("parcel-boundary", args=[parcel.pk]),
                txt_url=reverse("parcel-boundary-txt", args=[parcel.pk]),
            )
        return mark_safe(render_to_string(self.boundary_panel_template, context))

    boundary_panel.short_description = "界址与地图"

    # ------------------------------------------------------------------ the upload

    def _writable_counties(self, request):
        return writable_counties(request.user, "parcels.parcel")

    def _target_parcel(self, request, value):
        """The parcel named by ``?parcel=`` (upload for that one parcel): 404 outside the user's scope, 403
        where the user may read but not write."""
        if not value:
            return None
        if not str(value).isdecimal() or len(str(value)) > 18:
            raise Http404
        parcel = (
            Parcel.objects.visible_to(request.user)
            .select_related("county", "boundary")
            .filter(pk=int(value))
            .first()
        )
        if parcel is None:
            raise Http404
        if not can_write(request.user, "parcels.parcel", parcel.county):
            raise PermissionDenied
        return parcel

    def boundary_upload_view(self, request):
        """Upload → preview (nothing stored) → confirm (stored, recorded in the history)."""
        if not self.has_change_permission(request):
            raise PermissionDenied
        counties = self._writable_counties(request)
        parcel = self._target_parcel(request, request.POST.get("parcel") or request.GET.get("parcel"))
        if parcel is None and not counties.exists():
            raise PermissionDenied

        if request.method == "POST" and "payload" in request.POST:
            return self._boundary_confirm(request, counties, parcel)

        errors, preview = [], None
        if request.method == "POST":
            form = BoundaryUploadForm(request.POST, request.FILES, counties=counties, parcel=parcel)
            if form.is_valid():
                county = parcel.county if parcel is not None else form.cleaned_data["county"]
                upload = form.cleaned_data["file"]
                content = upload.read()
                try:
                    preview = self._boundary_preview(
                        request, content=content, county=county, parcel=parcel, file_name=upload.name
                    )
                except BoundaryFileError as refusal:
                    errors = refusal.errors
        else:
            initial = {"county": request.GET.get("county")} if request.GET.get("county") else {}
            form = BoundaryUploadForm(initial=initial, counties=counties, parcel=parcel)
        return self._boundary_render(request, form=form, errors=errors, preview=preview, parcel=parcel)

    def _boundary_matches(self, request, *, content, county, parcel):
        parsed = boundary_services.read_for_county(content, county=county, parcel=parcel)
        if parcel is not None:
            return parsed, [boundary_services.boundary_match_parcel(parsed=parsed, parcel=parcel)]
        ledger = Parcel.objects.visible_to(request.user).filter(county=county)
        return parsed, boundary_services.boundary_match_file(parsed=parsed, parcels=ledger)

    def _boundary_preview(self, request, *, content, county, parcel, file_name):
        parsed, matches = self._boundary_matches(request, content=content, county=county, parcel=parcel)
        rows = []
        items = []
        for match in matches:
            found = match.found
            check = (
                area_check(
                    area_m2=found.area_m2,
                    declared_mu=match.parcel.area_mu if match.parcel is not None else None,
                    file_area_ha=found.area_ha,
                )
                if found.area_m2 is not None
                else None
            )
            rows.append({"match": match, "found": found, "check": check})
            if found.geometry:
                css = "preview-error" if match.errors else "preview" if match.parcel else "preview-unmatched"
                items.append(
                    MapItem(
                        boundary=found,
                        css=css,
                        title=f"{found.code or '（无编号）'} {found.name}",
                        label=found.code,
                    )
                )
        writable = [match for match in matches if match.writable]
        blocked = [match for match in matches if match.parcel is not None and match.errors]
        return {
            "parsed": parsed,
            "rows": rows,
            "drawing": draw(items, width=900, min_height=360, max_height=600),
            "writable": writable,
            "blocked": blocked,
            "unmatched": [match for match in matches if match.parcel is None],
            "county": county,
            "file_name": file_name,
            "payload": _pack(name=file_name, content=content, county=county, parcel=parcel),
        }

    def _boundary_confirm(self, request, counties, parcel):
        data = _unpack(request.POST.get("payload", ""))
        back = reverse("admin:parcels_parcel_boundary_upload") + (f"?parcel={parcel.pk}" if parcel else "")
        if data is None or data.get("parcel") != (parcel.pk if parcel else None):
            self.message_user(request, "预览已过期或已被改动，请重新上传文件。", messages.ERROR)
            return HttpResponseRedirect(back)
        county = parcel.county if parcel is not None else counties.filter(code=data["county"]).first()
        if county is None:
            raise PermissionDenied
        try:
            if parcel is not None:
                stored = [
                    boundary_services.boundary_upload(
                        parcel=parcel, content=data["content"], file_name=data["name"], user=request.user
                    )
                ]
            else:
                parsed, matches = self._boundary_matches(
                    request, content=data["content"], county=county, parcel=None
                )
                stored = boundary_services.boundaries_import(
                    parsed=parsed, matches=matches, file_name=data["name"], user=request.user
                )
        except BoundaryFileError as refusal:
            for error in refusal.errors:
                self.message_user(request, str(error), messages.ERROR)
            return HttpResponseRedirect(back)
        if not stored:
            self.message_user(request, "文件中没有与台账地块编号对应的地块，未保存任何边界。", messages.WARNING)
            return HttpResponseRedirect(back)
        codes = "、".join(boundary.parcel.code for boundary in stored[:10])
        more = f"等 {len(stored)} 个地块" if len(stored) > 10 else ""
        self.message_user(request, f"已保存 {codes}{more}的界址坐标。", messages.SUCCESS)
        if parcel is not None:
            return HttpResponseRedirect(reverse("admin:parcels_parcel_change", args=[parcel.pk]))
        return HttpResponseRedirect(f"{reverse('admin:parcels_parcel_changelist')}?county={county.code}")

    def _boundary_render(self, request, *, form, errors, preview, parcel):
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": f"上传界址点坐标：{parcel.code} {parcel.name}" if parcel else "上传界址点坐标",
            "form": form,
            "errors": errors,
            "preview": preview,
            "parcel": parcel,
        }
        return TemplateResponse(request, self.boundary_upload_template, context)
