"""The parcel admin's Excel import and export (issue 5): mixed into ParcelAdmin.

Import runs upload → preview → confirm. The uploaded file is kept on the server (a temporary file
named by a random token that only the uploader's session knows, with its SHA-256), never a copy of the
data sent back by the browser; the preview and the confirmation each read that file again and pass
it through :func:`parcels.ledger.ledger_import`, so the confirmation imports exactly what is in the
file and judges it against the ledger as it stands at that moment. The ledger's rules all live in
:mod:`parcels.ledger`, shared with the REST API.

django-import-export was weighed for this flow and not used: its resources save row by row (or skip
model validation in bulk mode) and report errors in its own shape, while the ledger needs every row
through ``Parcel.full_clean()``, one batched write, and errors by Excel row and column header.
"""

import hashlib
import re
import secrets
import tempfile
import time
from functools import partial
from pathlib import Path

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.admin.options import IncorrectLookupParameters
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse

from leadership.choices import RegionLevel
from leadership.models import Region
from leadership.scope import can_write, home_county, region_in_scope
from leadership.scope import writable_counties as scope_writable_counties

from . import ledger
from .choices import ParcelKind

WRITE_LABEL = "parcels.parcel"
SESSION_KEY = "ledger_imports"
TOKEN_PATTERN = re.compile(r"[A-Za-z0-9_-]{20,64}")
# How long an uploaded ledger waits for its confirmation.
UPLOAD_LIFETIME_SECONDS = 24 * 60 * 60
# The preview lists at most this many rows of each kind of action (the counts are always complete).
PREVIEW_ROWS = 500


def upload_dir():
    """Where uploaded ledgers wait between preview and confirmation."""
    directory = Path(getattr(settings, "LEDGER_UPLOAD_DIR", Path(tempfile.gettempdir()) / "landtrack-ledger"))
    directory.mkdir(parents=True, exist_ok=True)
    return directory


def _remove_stale_uploads(directory):
    cutoff = time.time() - UPLOAD_LIFETIME_SECONDS
    for stale in directory.glob("*.xlsx"):
        try:
            if stale.stat().st_mtime < cutoff:
                stale.unlink()
        except OSError:
            pass


def writable_counties(user):
    """The counties whose ledger the user may import."""
    return scope_writable_counties(user, WRITE_LABEL)


class LedgerImportForm(forms.Form):
    file = forms.FileField(
        label="台账文件",
        help_text=f"Excel 工作簿（.xlsx），不超过 {ledger.MAX_FILE_LABEL}、{ledger.MAX_ROWS} 行。",
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx"}),
    )
    kind = forms.ChoiceField(
        label="台账类型", choices=[("", "按表头自动识别"), *ParcelKind.choices], required=False
    )
    county = forms.ModelChoiceField(label="县（市、区）", queryset=Region.objects.none(), empty_label=None)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["county"].queryset = writable_counties(user)


class LedgerAdminMixin:
    """Adds the ledger import (upload → preview → confirm), the export and the template to the changelist."""

    change_list_template = "admin/parcels/ledger_change_list.html"

    def get_urls(self):
        prefix = f"{self.opts.app_label}_{self.opts.model_name}"
        wrap = self.admin_site.admin_view
        return [
            path("ledger/import/", wrap(self.ledger_import_view), name=f"{prefix}_ledger_import"),
            path(
                "ledger/import/<str:token>/", wrap(self.ledger_preview_view), name=f"{prefix}_ledger_preview"
            ),
            path("ledger/export/", wrap(self.ledger_export_view), name=f"{prefix}_ledger_export"),
            path("ledger/template/", wrap(self.ledger_template_view), name=f"{prefix}_ledger_template"),
            *super().get_urls(),
        ]

    def changelist_view(self, request, extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "ledger_can_import": can_write(request.user, WRITE_LABEL),
        }
        return super().changelist_view(request, extra_context)

    # -- helpers -------------------------------------------------------------------------------------

    def _ledger_url(self, name, *args):
        return reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_{name}", args=args)

    def _ledger_context(self, request, title, **extra):
        return {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": title,
            "changelist_url": reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_changelist"),
            "template_url": self._ledger_url("ledger_template"),
            "max_file": ledger.MAX_FILE_LABEL,
            "max_rows": ledger.MAX_ROWS,
            **extra,
        }

    def _require_import(self, request):
        if not can_write(request.user, WRITE_LABEL):
            raise PermissionDenied

    def _stored(self, request, token):
        """(entry, path) of an upload waiting in this session, or (None, None)."""
        if not TOKEN_PATTERN.fullmatch(token):
            return None, None
        entry = request.session.get(SESSION_KEY, {}).get(token)
        if entry is None:
            return None, None
        stored = upload_dir() / f"{token}.xlsx"
        try:
            content = stored.read_bytes()
        except OSError:
            return None, None
        if hashlib.sha256(content).hexdigest() != entry["sha256"]:
            return None, None
        return entry, stored

    def _forget(self, request, token):
        uploads = request.session.get(SESSION_KEY, {})
        if uploads.pop(token, None) is not None:
            request.session[SESSION_KEY] = uploads
        (upload_dir() / f"{token}.xlsx").unlink(missing_ok=True)

    def _expired(self, request):
        self.message_user(request, "该导入已完成、已取消或已过期，请重新上传台账文件。", messages.WARNING)
        return redirect(self._ledger_url("ledger_import"))

    # -- views ---------------------------------------------------------------------------------------

    def ledger_import_view(self, request):
        """Upload: the file is checked at once; only a file without errors goes on to the preview."""
        self._require_import(request)
        refusal = ledger.upload_too_large(request) if request.method == "POST" else None
        if refusal:
            form = LedgerImportForm(user=request.user)
            result = ledger.ImportResult(
                kind=None, county=None, dry_run=True, errors=[ledger.LedgerError(None, None, refusal)]
            )
            return TemplateResponse(
                request,
                "admin/parcels/ledger_import.html",
                self._ledger_context(request, "导入台账", form=form, result=result),
            )
        form = LedgerImportForm(request.POST or None, request.FILES or None, user=request.user)
        result = None
        if request.method == "POST" and form.is_valid():
            county = form.cleaned_data["county"]
            upload = form.cleaned_data["file"]
            result = ledger.ledger_import(
                source=upload,
                kind=form.cleaned_data["kind"] or None,
                county=county,
                user=request.user,
                dry_run=True,
            )
            if result.ok:
                directory = upload_dir()
                _remove_stale_uploads(directory)
                token = secrets.token_urlsafe(24)
                upload.seek(0)
                content = upload.read()
                (directory / f"{token}.xlsx").write_bytes(content)
                uploads = request.session.get(SESSION_KEY, {})
                uploads[token] = {
                    "county": county.pk,
                    "kind": result.kind,
                    "name": upload.name[:200],
                    "sha256": hashlib.sha256(content).hexdigest(),
                }
                request.session[SESSION_KEY] = uploads
                return redirect(self._ledger_url("ledger_preview", token))
        return TemplateResponse(
            request,
            "admin/parcels/ledger_import.html",
            self._ledger_context(request, "导入台账", form=form, result=result),
        )

    def ledger_preview_view(self, request, token):
        """Preview (GET) and confirmation (POST) of a stored upload, each judged afresh from the file."""
        self._require_import(request)
        entry, stored = self._stored(request, token)
        if entry is None:
            return self._expired(request)
        county = Region.objects.filter(pk=entry["county"], level=RegionLevel.COUNTY).first()
        if county is None or not can_write(request.user, WRITE_LABEL, county):
            self._forget(request, token)
            raise PermissionDenied
        if request.method == "POST" and "cancel" in request.POST:
            self._forget(request, token)
            self.message_user(request, "已取消导入，台账没有任何修改。", messages.INFO)
            return redirect(self._ledger_url("ledger_import"))
        confirm = request.method == "POST" and "confirm" in request.POST
        with stored.open("rb") as source:
            result = ledger.ledger_import(
                source=source,
                kind=entry["kind"],
                county=county,
                user=request.user,
                dry_run=not confirm,
                reason=f"Excel 台账导入（{entry['name'][:80]}）",
            )
        if confirm and result.ok:
            self._forget(request, token)
            self.message_user(
                request,
                f"已导入{county.name}{ParcelKind(result.kind).label}台账“{entry['name']}”："
                f"新增 {len(result.created)} 宗，更新 {len(result.updated)} 宗，未变 {len(result.unchanged)} 宗。",
                messages.SUCCESS,
            )
            changelist = reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_changelist")
            return HttpResponseRedirect(f"{changelist}?county={county.code}&kind__exact={result.kind}")
        context = self._ledger_context(
            request,
            "确认导入台账" if result.ok else "导入台账",
            result=result,
            entry=entry,
            county=county,
            kind_label=ParcelKind(result.kind).label if result.kind else "",
            token=token,
            preview_rows=PREVIEW_ROWS,
            created=result.created[:PREVIEW_ROWS],
            updated=result.updated[:PREVIEW_ROWS],
            unchanged=result.unchanged[:PREVIEW_ROWS],
        )
        if not result.ok:
            # The ledger changed since the upload (or someone else's import won): show why, keep nothing.
            self._forget(request, token)
            context["form"] = LedgerImportForm(
                user=request.user, initial={"county": county, "kind": entry["kind"]}
            )
            return TemplateResponse(request, "admin/parcels/ledger_import.html", context)
        return TemplateResponse(request, "admin/parcels/ledger_preview.html", context)

    def ledger_export_view(self, request):
        """The changelist's parcels — its filters, search and the user's scope — as a ledger workbook."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        try:
            changelist = self.get_changelist_instance(request)
        except IncorrectLookupParameters:
            return redirect(
                reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_changelist") + "?e=1"
            )
        parcels = changelist.queryset.select_related("county", "town", "responsible_unit").order_by(
            "county__code", "code"
        )
        kind = request.GET.get("kind__exact")
        kinds = [kind] if kind in ParcelKind.values else list(ParcelKind.values)
        sheets = [(value, parcels.filter(kind=value)) for value in kinds]
        county = Region.objects.filter(code=request.GET.get("county") or "", level=RegionLevel.COUNTY).first()
        if county is not None and not region_in_scope(request.user, county):
            county = None  # named in the file name only when the user sees it, as the API's export does
        county = county or home_county(request.user)
        name = "-".join(
            part
            for part in (
                "台账",
                county.name if county else "",
                ParcelKind(kind).label if kind in ParcelKind.values else "",
            )
            if part
        )
        write = partial(ledger.write_ledger, sheets=sheets, max_rows=settings.LEDGER_EXPORT_MAX_ROWS)
        try:
            return ledger.xlsx_response(write, f"{name}.xlsx")
        except ledger.ExportTooLarge as refusal:
            messages.error(request, str(refusal))
            changelist_url = reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_changelist")
            return redirect(f"{changelist_url}?{request.GET.urlencode()}" if request.GET else changelist_url)

    def ledger_template_view(self, request):
        """The empty ledger of a kind (or both), with the drop-downs of the user's county."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        kind = request.GET.get("kind")
        kinds = [kind] if kind in ParcelKind.values else list(ParcelKind.values)
        county = Region.objects.filter(code=request.GET.get("county") or "", level=RegionLevel.COUNTY).first()
        if county is not None and not region_in_scope(request.user, county):
            county = None
        county = county or home_county(request.user)
        towns, units = ledger.county_choices(county, request.user) if county else ((), ())
        name = "-".join(
            part
            for part in (
                "台账模板",
                county.name if county else "",
                ParcelKind(kind).label if kind in ParcelKind.values else "",
            )
            if part
        )
        return ledger.xlsx_response(
            lambda target: ledger.write_template(target, kinds, towns=towns, units=units), f"{name}.xlsx"
        )
