"""Writes of parcel boundaries, and the choice of which parcel of a coordinate file belongs to which ledger line.

The REST API and the admin call these; the file format, the transform and the checks are in
:mod:`parcels.boundaries`.
"""

from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from landtrack.services import attribute_to

from .boundaries import (
    SQUARE_METRES_PER_HECTARE,
    BoundaryFileError,
    ExportParcel,
    LineError,
    read_boundary_file,
    write_boundary_file,
    zone_width,
)
from .models import Parcel, ParcelBoundary

__all__ = [
    "FileMatch",
    "boundary_for_parcel",
    "boundary_match_file",
    "boundary_save",
    "boundary_upload",
    "boundaries_import",
    "boundary_delete",
    "boundaries_txt",
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


def _all_warnings(parsed, found, parcel, notes=()):
    warnings = [*parsed.warnings, *notes, *found.warnings, *found.area_warnings(parcel.area_mu)]
    seen, unique = set(), []
    for warning in warnings:
        text = str(warning)
        if text not in seen:
            seen.add(text)
            unique.append(text)
    return unique


@transaction.atomic
def boundary_save(*, parcel, found, parsed, file_name="", notes=(), user=None):
    """Store (or replace) a parcel's boundary from one checked parcel of a coordinate file."""
    if found.errors:
        raise BoundaryFileError(found.errors)
    # A boundary is part of the parcel: the parcel's row lock orders concurrent uploads.
    locked = Parcel.objects.select_for_update().get(pk=parcel.pk)
    boundary = ParcelBoundary.objects.filter(parcel_id=locked.pk).first() or ParcelBoundary(parcel=locked)
    boundary.parcel = locked
    boundary.zone = found.zone
    boundary.zone_width = zone_width(found.zone)
    boundary.epsg = found.epsg
    boundary.rings = found.stored_rings()
    boundary.geometry = found.geometry
    boundary.bbox = found.bbox
    boundary.center = found.center
    boundary.area_m2 = found.area_m2
    boundary.area_mu = found.area_mu
    boundary.file_area_ha = found.area_ha
    boundary.file_header = dict(parsed.header)
    boundary.parcel_line = found.parcel_line()
    boundary.file_name = (file_name or "")[-255:]
    boundary.encoding = parsed.encoding
    boundary.warnings = _all_warnings(parsed, found, locked, notes)
    boundary.uploaded_by = user if user is not None and user.is_authenticated else None
    boundary.uploaded_at = timezone.now()
    attribute_to(boundary, user)
    boundary.save()
    return boundary


def boundary_upload(*, parcel, content, file_name="", user=None):
    """Read a coordinate file and store the boundary of ``parcel`` from it (BoundaryFileError if it cannot)."""
    parsed = read_boundary_file(content)
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

    @property
    def writable(self):
        return self.parcel is not None and not self.errors


def boundary_match_file(*, parsed, parcels):
    """Match each parcel of a file to a ledger line of ``parcels`` (a scoped queryset) by 地块编号, in one query."""
    codes = [found.code for found in parsed.parcels if found.code]
    ledger = {parcel.code: parcel for parcel in parcels.filter(code__in=codes)}
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
        warnings = _all_warnings(parsed, found, parcel) if parcel is not None else []
        matches.append(FileMatch(found=found, parcel=parcel, errors=errors, warnings=warnings))
    return matches


@transaction.atomic
def boundaries_import(*, parsed, matches, file_name="", user=None):
    """Store every matched, error-free parcel of a file; nothing is stored if a matched parcel has errors."""
    refused = [error for match in matches if match.parcel is not None for error in match.errors]
    if refused:
        raise BoundaryFileError([LineError(None, message) for message in refused])
    return [
        boundary_save(parcel=match.parcel, found=match.found, parsed=parsed, file_name=file_name, user=user)
        for match in matches
        if match.writable
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
            area = f"{boundary.area_m2 / SQUARE_METRES_PER_HECTARE:.4f}"
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
