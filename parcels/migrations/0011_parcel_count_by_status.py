"""The parcel counts kept per county, kind and status (待处置, 部分处置, 已处置): recounted from the ledger."""

from django.db import migrations, models
from django.db.models import Case, CharField, Count, F, Value, When


def count_by_status(apps, schema_editor):
    Parcel = apps.get_model("parcels", "Parcel")
    ParcelCount = apps.get_model("parcels", "ParcelCount")
    status = Case(
        When(disposed_area_mu__lte=0, then=Value("pending")),
        When(disposed_area_mu__lt=F("area_mu"), then=Value("partial")),
        default=Value("disposed"),
        output_field=CharField(),
    )
    rows = (
        Parcel.objects.order_by()
        .annotate(status=status)
        .values("county_id", "kind", "status")
        .annotate(count=Count("id"))
    )
    ParcelCount.objects.all().delete()
    ParcelCount.objects.bulk_create(
        (
            ParcelCount(
                county_id=row["county_id"], kind=row["kind"], status=row["status"], parcels=row["count"]
            )
            for row in rows
        ),
        batch_size=2000,
    )


def count_by_kind(apps, schema_editor):
    """Back: one row per county and kind again, before the status column goes."""
    Parcel = apps.get_model("parcels", "Parcel")
    ParcelCount = apps.get_model("parcels", "ParcelCount")
    rows = Parcel.objects.order_by().values("county_id", "kind").annotate(count=Count("id"))
    ParcelCount.objects.all().delete()
    ParcelCount.objects.bulk_create(
        (ParcelCount(county_id=row["county_id"], kind=row["kind"], parcels=row["count"]) for row in rows),
        batch_size=2000,
    )


class Migration(migrations.Migration):
    dependencies = [
        ("leadership", "0005_region_code_ascii_digits"),
        ("parcels", "0010_codes_on_one_line"),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name="parcelcount",
            name="parcel_count_unique",
        ),
        migrations.AddField(
            model_name="parcelcount",
            name="status",
            field=models.CharField(
                choices=[("pending", "待处置"), ("partial", "部分处置"), ("disposed", "已处置")],
                default="pending",
                max_length=16,
                verbose_name="处置状态",
            ),
        ),
        migrations.AddConstraint(
            model_name="parcelcount",
            constraint=models.UniqueConstraint(
                fields=("county", "kind", "status"), name="parcel_count_unique"
            ),
        ),
        migrations.RunPython(count_by_status, count_by_kind),
    ]
