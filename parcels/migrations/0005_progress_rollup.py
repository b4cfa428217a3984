"""Totals kept beside the ledger for national-size figures (parcels.rollup), filled from what is stored."""

from decimal import Decimal

import django.db.models.deletion
from django.db import migrations, models
from django.db.models import Count, OuterRef, Subquery, Sum
from django.db.models.functions import ExtractMonth, ExtractYear

KINDS = [("unsupplied", "批而未供"), ("idle", "闲置土地")]
ZERO = Decimal("0")


def through(month):
    return models.DecimalField(
        decimal_places=4, default=ZERO, max_digits=12, verbose_name=f"截至{month}月底累计处置面积（亩）"
    )


def copy_parcel_fields(apps, schema_editor):
    """Give every stored disposal its parcel's county and kind."""
    Disposal = apps.get_model("parcels", "Disposal")
    Parcel = apps.get_model("parcels", "Parcel")
    parcel = Parcel.objects.filter(pk=OuterRef("parcel_id"))
    Disposal.objects.update(
        county_id=Subquery(parcel.values("county_id")[:1]), kind=Subquery(parcel.values("kind")[:1])
    )


def fill_totals(apps, schema_editor):
    """Count the stored parcels and disposals, so that figures read from the totals match them at once."""
    Disposal = apps.get_model("parcels", "Disposal")
    Parcel = apps.get_model("parcels", "Parcel")
    DisposalYearTotal = apps.get_model("parcels", "DisposalYearTotal")
    ParcelCount = apps.get_model("parcels", "ParcelCount")
    totals = {}
    rows = (
        Disposal.objects.order_by()
        .annotate(year=ExtractYear("date"), month=ExtractMonth("date"))
        .values("county_id", "kind", "year", "month")
        .annotate(area=Sum("area_mu"), count=Count("id"))
    )
    for row in rows:
        entry = totals.setdefault((row["county_id"], row["kind"], row["year"]), [[ZERO] * 12, 0])
        for month in range(row["month"], 13):
            entry[0][month - 1] += row["area"]
        entry[1] += row["count"]
    DisposalYearTotal.objects.bulk_create(
        [
            DisposalYearTotal(
                county_id=county_id,
                kind=kind,
                year=year,
                disposals=count,
                **{f"through_{month:02d}": cumulative[month - 1] for month in range(1, 13)},
            )
            for (county_id, kind, year), (cumulative, count) in totals.items()
        ],
        batch_size=2000,
    )
    ParcelCount.objects.bulk_create(
        [
            ParcelCount(county_id=row["county_id"], kind=row["kind"], parcels=row["count"])
            for row in Parcel.objects.order_by().values("county_id", "kind").annotate(count=Count("id"))
        ],
        batch_size=2000,
    )


class Migration(migrations.Migration):
    dependencies = [
        ("leadership", "0002_text_limits"),
        ("parcels", "0004_parcel_boundary"),
    ]

    operations = [
        migrations.AddField(
            model_name="disposal",
            name="county",
            field=models.ForeignKey(
                db_index=False,
                null=True,
                editable=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="leadership.region",
                verbose_name="县（市、区）",
            ),
        ),
        migrations.AddField(
            model_name="disposal",
            name="kind",
            field=models.CharField(choices=KINDS, default="", editable=False, max_length=16, verbose_name="地块类型"),
            preserve_default=False,
        ),
        migrations.RunPython(copy_parcel_fields, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="disposal",
            name="county",
            field=models.ForeignKey(
                db_index=False,
                editable=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="leadership.region",
                verbose_name="县（市、区）",
            ),
        ),
        migrations.AddIndex(
            model_name="disposal",
            index=models.Index(fields=["date", "county", "kind", "area_mu"], name="disposal_date"),
        ),
        migrations.CreateModel(
            name="DisposalYearTotal",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "county",
                    models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="leadership.region",
                        verbose_name="县（市、区）",
                    ),
                ),
                ("kind", models.CharField(choices=KINDS, max_length=16, verbose_name="类型")),
                ("year", models.PositiveSmallIntegerField(verbose_name="年度")),
                *[(f"through_{month:02d}", through(month)) for month in range(1, 13)],
                ("disposals", models.IntegerField(default=0, verbose_name="处置记录数")),
            ],
            options={"verbose_name": "年度处置汇总", "verbose_name_plural": "年度处置汇总"},
        ),
        migrations.AddIndex(
            model_name="disposalyeartotal",
            index=models.Index(fields=["year"], name="disposal_year_total_year"),
        ),
        migrations.AddConstraint(
            model_name="disposalyeartotal",
            constraint=models.UniqueConstraint(fields=("county", "kind", "year"), name="disposal_year_total_unique"),
        ),
        migrations.CreateModel(
            name="ParcelCount",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "county",
                    models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="leadership.region",
                        verbose_name="县（市、区）",
                    ),
                ),
                ("kind", models.CharField(choices=KINDS, max_length=16, verbose_name="类型")),
                ("parcels", models.IntegerField(default=0, verbose_name="地块数")),
            ],
            options={"verbose_name": "地块数汇总", "verbose_name_plural": "地块数汇总"},
        ),
        migrations.AddConstraint(
            model_name="parcelcount",
            constraint=models.UniqueConstraint(fields=("county", "kind"), name="parcel_count_unique"),
        ),
        migrations.RunPython(fill_totals, migrations.RunPython.noop),
        migrations.AddIndex(
            model_name="parcel",
            index=models.Index(
                condition=models.Q(("planned_date__isnull", False)), fields=["planned_date"], name="parcel_planned_date"
            ),
        ),
        migrations.AddIndex(
            model_name="parcel",
            index=models.Index(
                condition=models.Q(("expropriation_status", "not_started"), ("kind", "unsupplied")),
                fields=["approval_date"],
                name="parcel_unimplemented_approval",
            ),
        ),
    ]
