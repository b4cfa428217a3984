"""Writes to the ledger. The admin, the REST API and the importers all call these.

Every write of a parcel or of its disposals locks the parcel's row first, so that two clerks
saving at once cannot together dispose of more than the parcel's area.
"""

from collections import Counter

from django.db import transaction
from django.utils import timezone
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from landtrack.services import StaleVersion, attribute_to

from . import rollup
from .models import Disposal, Parcel, ProgressNote, SupplyRecord

__all__ = [
    "StaleVersion",
    "ParcelHasDisposals",
    "parcel_save",
    "parcel_create",
    "parcel_update",
    "parcel_delete",
    "parcel_bulk_save",
    "disposal_save",
    "disposal_record",
    "disposal_update",
    "disposal_delete",
    "progress_note_save",
    "progress_note_add",
    "progress_note_delete",
    "idle_procedure_save",
]


class ParcelHasDisposals(Exception):
    """A parcel with disposals cannot be deleted: its disposals count toward tasks."""

    message = "该地块已有处置记录，不能删除；如录入有误，请先删除其处置记录。"


def _lock_parcel(pk):
    return Parcel.objects.select_for_update().get(pk=pk)


@transaction.atomic
def parcel_save(*, parcel, user=None, expected_version=None):
    """Create a ledger line or save the changes made to it, refusing a stale version."""
    if parcel.pk:
        current = Parcel.objects.select_for_update().values("version", "disposed_area_mu").get(pk=parcel.pk)
        if expected_version is not None and current["version"] != expected_version:
            raise StaleVersion(current["version"])
        # The disposed area is the database's, never the caller's copy of it.
        parcel.disposed_area_mu = current["disposed_area_mu"]
        parcel.version = current["version"] + 1
    attribute_to(parcel, user)
    parcel.save()
    return parcel


def parcel_create(*, user=None, **fields):
    """Add a parcel to a county's ledger."""
    return parcel_save(parcel=Parcel(**fields), user=user)


def parcel_update(*, parcel, user=None, expected_version=None, **fields):
    """Change a parcel's fields."""
    for name, value in fields.items():
        setattr(parcel, name, value)
    return parcel_save(parcel=parcel, user=user, expected_version=expected_version)


@transaction.atomic
def parcel_delete(*, parcel, user=None, expected_version=None):
    """Remove a ledger line entered by mistake; refused while it has disposals."""
    locked = _lock_parcel(parcel.pk)
    if expected_version is not None and locked.version != expected_version:
        raise StaleVersion(locked.version)
    if locked.disposals.exists():
        raise ParcelHasDisposals(ParcelHasDisposals.message)
    attribute_to(locked, user)
    locked.delete()


@transaction.atomic
def disposal_save(*, disposal, user=None):
    """Save a new or corrected disposal of a parcel, under the parcel's row lock."""
    disposal.parcel = _lock_parcel(disposal.parcel_id)
    if disposal.pk is None and disposal.created_by_id is None and user is not None and user.is_authenticated:
        disposal.created_by = user
    attribute_to(disposal, user)
    disposal.save()
    return disposal


def disposal_record(
    *, parcel, method, area_mu, date, document_number="", supervision_number="", note="", user=None
):
    """Record that part or all of a parcel was disposed of on a date."""
    disposal = Disposal(
        parcel_id=parcel.pk,
        method=method,
        area_mu=area_mu,
        date=date,
        document_number=document_number,
        supervision_number=supervision_number,
        note=note,
    )
    return disposal_save(disposal=disposal, user=user)


def disposal_update(*, disposal, user=None, **fields):
    """Correct a disposal's method, area, date or documents."""
    for name, value in fields.items():
        setattr(disposal, name, value)
    return disposal_save(disposal=disposal, user=user)


@transaction.atomic
def disposal_delete(*, disposal, user=None):
    """Remove a disposal entered by mistake; its area returns to the parcel."""
    _lock_parcel(disposal.parcel_id)
    attribute_to(disposal, user)
    disposal.delete()


@transaction.atomic
def progress_note_save(*, note, user=None):
    """Add or correct a dated note on how a parcel's disposal is progressing."""
    if note.pk is None and note.created_by_id is None and user is not None and user.is_authenticated:
        note.created_by = user
    attribute_to(note, user)
    note.save()
    return note


def progress_note_add(*, parcel, date, text, user=None):
    """Add a dated progress note to a parcel."""
    return progress_note_save(note=ProgressNote(parcel=parcel, date=date, text=text), user=user)


@transaction.atomic
def progress_note_delete(*, note, user=None):
    """Remove a progress note."""
    attribute_to(note, user)
    note.delete()


@transaction.atomic
def idle_procedure_save(*, procedure, user=None):
    """Begin or carry on the 令53 procedure of an idle parcel (notice, finding, hearing, decision)."""
    attribute_to(procedure, user)
    procedure.save()
    return procedure


# Rows per INSERT/UPDATE statement of a batch write (SQLite lowers it further to its parameter limit).
BULK_BATCH = 500


@transaction.atomic
def parcel_bulk_save(*, created=(), updated=(), fields=(), user=None, reason=""):
    """Save many ledger lines at once (the Excel import), each with its entry in the change history.

    Every parcel must already have passed ``full_clean()``. Updated parcels are locked and must still
    carry their stored version, else StaleVersion and nothing is written; only ``fields`` are written,
    so the disposed area stays the database's. Statements go in batches of BULK_BATCH rows.
    """
    now = timezone.now()
    author = user if user is not None and user.is_authenticated else None
    # Bulk writes skip the signals that keep the per-county parcel counts (parcels.rollup): count here.
    counted = Counter(
        rollup.count_key(parcel.county_id, parcel.kind, parcel.area_mu, parcel.disposed_area_mu)
        for parcel in created
    )
    if updated:
        counted_fields = ("county_id", "kind", "area_mu", "disposed_area_mu")
        stored = {
            pk: (version, dict(zip(counted_fields, values, strict=True)))
            for pk, version, *values in Parcel.objects.select_for_update()
            .filter(pk__in=[parcel.pk for parcel in updated])
            .order_by()
            .values_list("pk", "version", *counted_fields)
        }
        written = {Parcel._meta.get_field(name).attname for name in fields}
        for parcel in updated:
            version, was = stored.get(parcel.pk, (None, None))
            if version != parcel.version:
                raise StaleVersion(version)
            # What the row holds after the write: the fields written, the rest (the disposed area) as stored.
            after = {name: getattr(parcel, name) if name in written else was[name] for name in counted_fields}
            key, key_after = rollup.count_key(**was), rollup.count_key(**after)
            if key != key_after:
                counted[key] -= 1
                counted[key_after] += 1
            parcel.version += 1
            parcel.updated_at = now
        bulk_update_with_history(
            updated,
            Parcel,
            [*fields, "version", "updated_at"],
            batch_size=BULK_BATCH,
            default_user=author,
            default_change_reason=reason,
            default_date=now,
        )
    if created:
        bulk_create_with_history(
            list(created),
            Parcel,
            batch_size=BULK_BATCH,
            default_user=author,
            default_change_reason=reason,
            default_date=now,
        )
    rollup.parcels_added(counted)


def supply_records_bulk_save(*, created=(), updated=(), fields=(), user=None, reason=""):
    """Save many supply records at once (the monitoring system's export), each with its entry in the
    change history. Every record must already have passed ``full_clean()``; only ``fields`` of the
    updated ones are written. The caller holds the updated rows locked (select_for_update)."""
    author = user if user is not None and user.is_authenticated else None
    now = timezone.now()
    if created:
        bulk_create_with_history(
            list(created),
            SupplyRecord,
            batch_size=BULK_BATCH,
            default_user=author,
            default_change_reason=reason,
            default_date=now,
        )
    if updated:
        for record in updated:
            record.updated_at = now
        bulk_update_with_history(
            list(updated),
            SupplyRecord,
            [*fields, "updated_at"],
            batch_size=BULK_BATCH,
            default_user=author,
            default_change_reason=reason,
            default_date=now,
        )
