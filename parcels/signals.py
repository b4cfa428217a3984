"""Keep each parcel's denormalised disposed area equal to the sum of its disposals.

The copy lets lists filter and sort by status without aggregating every disposal, and lets the
database itself refuse disposals beyond a parcel's area (constraint ``parcel_disposed_within_area``).
It is recomputed from the disposals, never incremented, so it cannot drift; it also runs for
fixtures loaded with ``loaddata``. A parcel's deletion also unlinks its supply records in their history.
"""

from django.db.models import DecimalField, F, OuterRef, Subquery, Sum, Value
from django.db.models.functions import Coalesce, Round
from django.db.models.signals import post_delete, post_save, pre_delete
from django.dispatch import receiver

from landtrack.validation import AREA_DECIMAL_PLACES, AREA_MAX_DIGITS, ZERO

from .models import Disposal, Parcel, SupplyRecord

AREA = DecimalField(max_digits=AREA_MAX_DIGITS, decimal_places=AREA_DECIMAL_PLACES)


def refresh_disposed_area(parcel_ids):
    """Recompute the disposed area of the given parcels from their disposals, in one statement; a parcel
    whose status it changes moves to that status's count (parcels.rollup)."""
    from .rollup import count_keys, count_keys_changed

    before = count_keys(parcel_ids)
    total = (
        Disposal.objects.filter(parcel_id=OuterRef("pk"))
        .order_by()
        .values("parcel_id")
        .annotate(total=Sum("area_mu"))
        .values("total")
    )
    Parcel.objects.filter(pk__in=parcel_ids).update(
        # Round: SQLite adds decimals as binary floats; 4 places restores the exact value.
        disposed_area_mu=Round(
            Coalesce(Subquery(total, output_field=AREA), Value(ZERO), output_field=AREA),
            AREA_DECIMAL_PLACES,
            output_field=AREA,
        ),
        version=F("version") + 1,
    )
    count_keys_changed(before, count_keys(parcel_ids))


@receiver(post_save, sender=Disposal, dispatch_uid="disposal_saved_refresh_parcel")
def disposal_saved(sender, instance, **kwargs):
    refresh_disposed_area([instance.parcel_id])


@receiver(post_delete, sender=Disposal, dispatch_uid="disposal_deleted_refresh_parcel")
def disposal_deleted(sender, instance, **kwargs):
    refresh_disposed_area([instance.parcel_id])


@receiver(pre_delete, sender=Parcel, dispatch_uid="parcel_deleted_unlink_supply_records")
def parcel_deleting(sender, instance, **kwargs):
    """A deleted parcel's supply records lose their link to it with an entry in their change history, by the
    parcel's deleter: the database would set the link to null (SET NULL) unrecorded."""
    from .services import supply_records_bulk_save

    # Locked, as supply_records_bulk_save asks: the deletion runs in a transaction (Django's Collector
    # sends pre_delete inside its own), so an import writing the same records waits for it.
    records = list(SupplyRecord.objects.select_for_update().filter(parcel_id=instance.pk))
    for record in records:
        record.parcel = None
    if records:
        deleter = getattr(instance, "_history_user", None)
        supply_records_bulk_save(
            updated=records, fields=["parcel"], user=deleter, reason="对应台账地块已删除"
        )
