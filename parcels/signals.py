"""Keep each parcel's denormalised disposed area equal to the sum of its disposals.

The copy lets lists filter and sort by status without aggregating every disposal, and lets the
database itself refuse disposals beyond a parcel's area (constraint ``parcel_disposed_within_area``).
It is recomputed from the disposals, never incremented, so it cannot drift; it also runs for
fixtures loaded with ``loaddata``.
"""

from django.db.models import DecimalField, F, OuterRef, Subquery, Sum, Value
from django.db.models.functions import Coalesce, Round
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from landtrack.validation import AREA_DECIMAL_PLACES, AREA_MAX_DIGITS, ZERO

from .models import Disposal, Parcel

AREA = DecimalField(max_digits=AREA_MAX_DIGITS, decimal_places=AREA_DECIMAL_PLACES)


def refresh_disposed_area(parcel_ids):
    """Recompute the disposed area of the given parcels from their disposals, in one statement."""
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


@receiver(post_save, sender=Disposal, dispatch_uid="disposal_saved_refresh_parcel")
def disposal_saved(sender, instance, **kwargs):
    refresh_disposed_area([instance.parcel_id])


@receiver(post_delete, sender=Disposal, dispatch_uid="disposal_deleted_refresh_parcel")
def disposal_deleted(sender, instance, **kwargs):
    refresh_disposed_area([instance.parcel_id])
