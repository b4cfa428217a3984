"""Writes of parcel boundaries, and the choice of which parcel of a coordinate file belongs to which ledger line.

The REST API and the admin call these; the file format, the transform and the checks are in
:mod:`parcels.boundaries`.
"""

from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from landtrack.numbers import TEN_THOUSANDTH, round_half_up
from landtrack.services import attribute_to

from .boundaries import (
    SQUARE_METRES_PER_HECTARE,
    BoundaryFileError,
    ExportParcel,
    LineError,
    declared_area_warning,
    read_boundary_file,
    valid_zone,
    write_boundary_file,
    zone_width,
)
from .models import Parcel, ParcelBoundary

__all__ = [
    "FileMatch",
    "boundary_for_parcel",
    "boundary_warnings",
    "file_warnings",
    "boundary_match_file",
    "boundary_match_parcel",
    "boundary_save",
    "boundary_upload",
    "boundaries_import",
    "boundary_delete",
    "boundaries_txt",
    "read_for_county",
    "zone_fallback",
]


def boundary_for_parcel(parsed, parcel):
    """The parcel of a file that belongs to ``parcel``: the one with its 地块编号, or the file's only parcel.

    Raises BoundaryFileError when the file holds several parcels and none (or more than one) has the code.
    """
    same_code = [candidate for candidate in parsed.parcels if candidate.code == parcel.code]
    if len(same_code) == 1:
        return same_code[0], []
    if len(same_code) > 1:
        raise BoundaryFileError(
            [
                LineError(candidate.line, f"文件中地块编号“{parcel.code}”出现了 {len(same_code)} 次。")
                for candidate in same_code
            ]
        )
    if len(parsed.parcels) == 1:
        only = parsed.parcels[0]
        notes = []
        if only.code:
            notes.append(
                LineError(
                    only.line,
                    f"文件中的地块编号“{only.code}”与台账地块编号“{parcel.code}”不同，已按本地块保存。",
                )
            )
        return only, notes
    codes = "、".join(candidate.code or "（无编号）" for candidate in parsed.parcels[:20])
    raise BoundaryFileError(
        [
            LineError(
                None,
                f"文件中有 {len(parsed.parcels)} 个地块（{codes}{'等' if len(parsed.parcels) > 20 else ''}），"
                f"没有地块编号为“{parcel.code}”的地块。",
            )
        ]
    )


def file_warnings(parsed, found, notes=()):
    """What was tolerated in reading one parcel of a file (and its file area check), as unique messages."""
    warnings = [*parsed.warnings, *notes, *found.warnings]
    file_area = found.file_area_warning()
    if file_area is not None:
        warnings.append(file_area)
    seen, unique = set(), []
    for warning in warnings:
        text = str(warning)
        if text not in seen:
            seen.add(text)
            unique.append(text)
    return unique


def boundary_warnings(boundary, parcel):
    """A stored boundary's warnings, and the area check against the parcel's ledger area as of now."""
    warnings = list(boundary.warnings or [])
    declared = declared_area_warning(boundary.area_m2, parcel.area_mu)
    if declared is not None:
        warnings.append(declared)
    return warnings


def _store(*, boundary, parcel, found, parsed, file_name, notes, user):
    boundary.parcel = parcel
    boundary.zone = found.zone
    boundary.zone_width = zone_width(found.zone)
    boundary.epsg = found.epsg
    boundary.rings = found.stored_rings()
    boundary.geometry = found.geometry
    boundary.bbox = found.bbox
    boundary.center = found.center
    boundary.area_m2 = found.area_m2
    boundary.area_mu = found.area_mu
    # Kept as the model holds areas (4 places); the check itself used the file's exact figure.
    boundary.file_area_ha = round_half_up(found.area_ha, TEN_THOUSANDTH)
    boundary.file_header = dict(parsed.header)
    boundary.parcel_line = found.parcel_line()
    boundary.file_name = (file_name or "")[-255:]
    boundary.encoding = parsed.encoding
    boundary.warnings = file_warnings(parsed, found, notes)
    boundary.uploaded_by = user if user is not None and user.is_authenticated else None
    boundary.uploaded_at = timezone.now()
    attribute_to(boundary, user)
    boundary.save()
    return boundary


@transaction.atomic
def boundary_save(*, parcel, found, parsed, file_name="", notes=(), user=None):
    """Store (or replace) a parcel's boundary from one checked parcel of a coordinate file."""
    if found.errors:
        raise BoundaryFileError(found.errors)
    # A boundary is part of the parcel: the parcel's row lock orders concurrent uploads.
    locked = Parcel.objects.select_for_update().get(pk=parcel.pk)
    boundary = ParcelBoundary.objects.filter(parcel_id=locked.pk).first() or ParcelBoundary()
    return _store(
        boundary=boundary, parcel=locked, found=found, parsed=parsed, file_name=file_name, notes=notes, user=user
    )


def zone_fallback(county):
    """The zone for eastings without a prefix in a file that names none: the zone most of the county's
    stored boundaries use, else the deployment's ``LANDTRACK_DEFAULT_ZONE``. Looked up only when needed."""

    def fallback():
        zone = (
            ParcelBoundary.objects.filter(parcel__county=county)
            .values("zone")
            .annotate(count=Count("pk"))
            .order_by("-count", "zone")
            .values_list("zone", flat=True)
            .first()
        )
        if zone is not None:
            return zone, f"本县已上图地块所用的 {zone_width(zone)} 度带第 {zone} 带"
        default = getattr(settings, "LANDTRACK_DEFAULT_ZONE", None)
        if default is not None and valid_zone(default):
            return default, f"系统设置的默认投影带（{zone_width(default)} 度带第 {default} 带）"
        return None

    return fallback


def read_for_county(content, *, county, parcel=None):
    """Read a coordinate file uploaded for a county's ledger (or one parcel of it)."""
    return read_boundary_file(
        content,
        near_lng=parcel.center_lng if parcel is not None else None,
        fallback_zone=zone_fallback(county),
    )


def boundary_upload(*, parcel, content, file_name="", user=None):
    """Read a coordinate file and store the boundary of ``parcel`` from it (BoundaryFileError if it cannot)."""
    parsed = read_for_county(content, county=parcel.county, parcel=parcel)
    found, notes = boundary_for_parcel(parsed, parcel)
    if found.errors:
        raise BoundaryFileError(found.errors)
    return boundary_save(
        parcel=parcel, found=found, parsed=parsed, file_name=file_name, notes=notes, user=user
    )


@dataclass
class FileMatch:
    """One parcel of a coordinate file, the ledger line it matches by 地块编号 (if any), and what would happen."""

    found: object
    parcel: Parcel | None
    errors: list = field(default_factory=list)
    warnings: list = field(default_factory=list)
    replaces: bool = False

    @property
    def writable(self):
        return self.parcel is not None and not self.errors


def _declared_warnings(found, parcel):
    if parcel is None or found.area_m2 is None:
        return []
    declared = declared_area_warning(found.area_m2, parcel.area_mu)
    return [] if declared is None else [declared]


def boundary_match_parcel(*, parsed, parcel):
    """The parcel of a file that belongs to one ledger line (see boundary_for_parcel), as a FileMatch."""
    found, notes = boundary_for_parcel(parsed, parcel)
    return FileMatch(
        found=found,
        parcel=parcel,
        errors=[str(error) for error in found.errors],
        warnings=file_warnings(parsed, found, notes) + _declared_warnings(found, parcel),
        replaces=getattr(parcel, "boundary", None) is not None,
    )


def boundary_match_file(*, parsed, parcels):
    """Match each parcel of a file to a ledger line of ``parcels`` (a scoped queryset) by 地块编号, in one query.

    ``parcels`` is limited to where the caller may write; the boundary each would replace is loaded with it.
    """
    codes = {found.code for found in parsed.parcels if found.code}
    ledger = {
        parcel.code: parcel for parcel in parcels.filter(code__in=codes).select_related("boundary")
    }
    counts = {}
    for found in parsed.parcels:
        counts[found.code] = counts.get(found.code, 0) + 1
    matches = []
    for found in parsed.parcels:
        parcel = ledger.get(found.code)
        errors = [str(error) for error in found.errors]
        if found.code and counts[found.code] > 1:
            errors.append(
                str(LineError(found.line, f"文件中地块编号“{found.code}”出现了 {counts[found.code]} 次。"))
            )
        warnings = file_warnings(parsed, found) + _declared_warnings(found, parcel)
        matches.append(
            FileMatch(
                found=found,
                parcel=parcel,
                errors=errors,
                warnings=warnings,
                replaces=parcel is not None and getattr(parcel, "boundary", None) is not None,
            )
        )
    return matches


@transaction.atomic
def boundaries_import(*, parsed, matches, file_name="", user=None):
    """Store every matched parcel of a file; nothing is stored if a matched parcel cannot be.

    Parcels of the file that match no ledger line are left out (the preview lists them).
    """
    refused = [error for match in matches if match.parcel is not None for error in match.errors]
    if refused:
        raise BoundaryFileError([LineError(None, message) for message in refused])
    writable = [match for match in matches if match.writable]
    ids = [match.parcel.pk for match in writable]
    locked = Parcel.objects.select_for_update().in_bulk(ids)
    stored = {boundary.parcel_id: boundary for boundary in ParcelBoundary.objects.filter(parcel_id__in=ids)}
    return [
        _store(
            boundary=stored.get(match.parcel.pk) or ParcelBoundary(),
            parcel=locked[match.parcel.pk],
            found=match.found,
            parsed=parsed,
            file_name=file_name,
            notes=(),
            user=user,
        )
        for match in writable
    ]


@transaction.atomic
def boundary_delete(*, boundary, user=None):
    """Remove a parcel's boundary uploaded by mistake."""
    attribute_to(boundary, user)
    boundary.delete()


def boundaries_txt(boundaries, *, producer="LandTrack"):
    """A coordinate file of stored boundaries (each with its parcel loaded), as bytes in GBK-compatible GB18030."""
    records = []
    for boundary in boundaries:
        line = boundary.parcel_line or {}
        area = line.get("area") or ""
        if not area:
            # Half-up, as every figure (an f-string would round half-even).
            area = f"{round_half_up(boundary.area_m2 / SQUARE_METRES_PER_HECTARE, TEN_THOUSANDTH)}"
        records.append(
            ExportParcel(
                code=boundary.parcel.code,
                name=line.get("name") or boundary.parcel.name,
                zone=boundary.zone,
                rings=boundary.rings,
                area_text=area,
                shape=line.get("shape") or "面",
                sheet=line.get("sheet", ""),
                land_use=line.get("land_use") or boundary.parcel.land_use,
                land_class=line.get("land_class", ""),
                header=boundary.file_header or {},
            )
        )
    return write_boundary_file(records, producer=producer, date=f"{timezone.localdate():%Y-%m-%d}")
