"""Writes to the ledger. The admin, the REST API and the importers all call these.

Every write of a parcel or of its disposals locks the parcel's row first, so that two clerks
saving at once cannot together dispose of more than the parcel's area.
"""

from collections import Counter

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from landtrack.numbers import MU_PER_HECTARE
from landtrack.services import StaleVersion, attribute_to

from . import ledger, rollup
from .choices import ParcelKind
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
    "SupplyRecordRefused",
    "SupplyRecordNotFound",
    "supply_record_ledger_fields",
    "supply_record_lock_for_ledger",
    "supply_record_check_for_ledger",
    "supply_record_mismatches",
    "supply_record_link",
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


class SupplyRecordRefused(ValidationError):
    """A supply record that may not open an idle-land ledger line: it has one, or its land is on the ledger
    under another (a second line would count its idle area twice)."""


class SupplyRecordNotFound(SupplyRecordRefused):
    """The supply record asked for is gone, or is not the caller's to read."""

    default_message = (
        "链接中的供地记录不存在，或不在您的数据范围内，不能由它生成台账。"
        "请回到供地记录列表重新点击“生成台账”；只新增地块请从地块列表点击“增加”。"
    )

    def __init__(self, message=default_message):
        super().__init__(message, code="supply_record_not_found")


def supply_record_ledger_fields(record):
    """The idle-land ledger line a supply record gives: its number, project, user, dates and price, and
    its area in 亩 (公顷 × 15, exactly)."""
    return {
        "county_id": record.county_id,
        "kind": ParcelKind.IDLE,
        "code": record.supervision_number,
        "name": record.project_name,
        "area_mu": record.area_ha * MU_PER_HECTARE,
        "land_use": record.land_use,
        "supervision_number": record.supervision_number,
        "land_user": record.land_user,
        "supply_method": record.supply_method,
        "supply_date": record.contract_date,
        "price_wan": record.price_wan,
        "agreed_start_date": record.agreed_start_date,
        "note": f"由监管系统供地记录 {record.supervision_number} 生成。",
    }


def supply_record_lock_for_ledger(*, pk, records=None, opened=None):
    """The supply record ``pk`` (among ``records``, by default all), locked until the caller's transaction
    ends, about to open its idle-land ledger line. Refused (SupplyRecordRefused) when it has one already or
    when the county's idle-land ledger holds a line with its 电子监管号; ``opened`` is the line being opened
    in this transaction, already saved, which is neither.

    Runs inside the caller's transaction (select_for_update refuses to run outside one on PostgreSQL): the
    record stays locked while the line is saved and linked, so that two clerks cannot both open one.
    """
    records = SupplyRecord.objects.all() if records is None else records
    record = records.select_for_update().filter(pk=pk).first()
    if record is None:
        raise SupplyRecordNotFound()
    supply_record_check_for_ledger(record, opened=opened)
    return record


def supply_record_check_for_ledger(record, *, opened=None):
    """Refuse (SupplyRecordRefused) a supply record that has its idle-land ledger line already, or whose
    land the county's idle-land ledger holds under another line; ``opened``: the line being opened."""
    if record.parcel_id and (opened is None or record.parcel_id != opened.pk):
        code = Parcel.objects.filter(pk=record.parcel_id).values_list("code", flat=True).first()
        raise SupplyRecordRefused(
            f"该供地记录已生成闲置土地台账（地块编号 {code}），不能再生成一宗。", code="supply_record_opened"
        )
    # The land may already be on the ledger (entered by hand or from an Excel ledger): a second line for
    # it would count its idle area twice.
    number = record.supervision_number
    existing = Parcel.objects.filter(
        county_id=record.county_id,
        kind=ParcelKind.IDLE,
        supervision_number__in={number, ledger.code_key(number)},
    )
    if opened is not None:
        existing = existing.exclude(pk=opened.pk)
    code = existing.values_list("code", flat=True).first()
    if code is not None:
        raise SupplyRecordRefused(
            f"本县闲置土地台账中已有电子监管号为“{number}”的地块（地块编号 {code}），不能再生成一宗。",
            code="supply_record_on_ledger",
        )


def supply_record_mismatches(record, *, county, kind, supervision_number):
    """{field: message} for a ledger line that would not be the supply record's land: another county, a kind
    other than 闲置, another 电子监管号 (as :func:`parcels.ledger.code_key` compares numbers). Values left
    None are not judged (a form's field already in error)."""
    problems = {}
    if county is not None and county.pk != record.county_id:
        name = record.county.name
        problems["county"] = f"该供地记录属于{name}，由它生成的台账也应在{name}。"
    if kind and kind != ParcelKind.IDLE:
        problems["kind"] = "由供地记录生成的台账只能是闲置土地。"
    if supervision_number is not None and ledger.code_key(supervision_number) != ledger.code_key(
        record.supervision_number
    ):
        problems["supervision_number"] = f"应与供地记录的电子监管号“{record.supervision_number}”一致。"
    return problems


@transaction.atomic
def supply_record_link(*, record, parcel, user=None):
    """Record, in the supply record's change history, that ``parcel`` is the idle-land ledger line opened
    from it; refused as :func:`supply_record_lock_for_ledger` refuses, and when the parcel is not the
    record's land (:func:`supply_record_mismatches`)."""
    locked = supply_record_lock_for_ledger(pk=record.pk, opened=parcel)
    problems = supply_record_mismatches(
        locked, county=parcel.county, kind=parcel.kind, supervision_number=parcel.supervision_number
    )
    if problems:
        raise SupplyRecordRefused(problems)
    locked.parcel = parcel
    attribute_to(locked, user)
    locked.save(update_fields=["parcel", "updated_at"])
    record.parcel = parcel
    return locked


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
