"""generate_demo_data: synthetic counties whose every row keeps the models' rules, the same for a seed."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db.models import F, Sum

from landtrack.synthetic import synthetic_regions
from leadership.models import Region
from parcels.models import Disposal, Parcel, ParcelCount
from parcels.rollup import rollup_drift
from tasks.models import CountyTask, Milestone

pytestmark = pytest.mark.django_db


def generate(seed=7, counties=3, parcels=120):
    call_command(
        "generate_demo_data", "--counties", str(counties), "--parcels", str(parcels), "--seed", str(seed),
        "--years", "2024", "2025", verbosity=0,
    )


def snapshot():
    return (
        list(Region.objects.filter(code__startswith="9").order_by("code").values_list("code", "name", "level")),
        list(Parcel.objects.order_by("county__code", "code").values_list("code", "kind", "area_mu", "disposed_area_mu")),
        list(Disposal.objects.order_by("parcel__code", "date", "area_mu").values_list("parcel__code", "method", "area_mu", "date")),
        list(CountyTask.objects.order_by("county__code", "year").values_list("county__code", "year", "category", "target_area_mu")),
    )


def test_every_generated_row_passes_the_models_own_checks(regions):
    generate()
    counties = synthetic_regions().filter(level="county")
    assert counties.count() == 3
    assert Parcel.objects.count() == 120
    assert {kind for kind in Parcel.objects.values_list("kind", flat=True)} == {"unsupplied", "idle"}
    problems = []
    for parcel in Parcel.objects.all():
        try:
            parcel.full_clean()
        except ValidationError as error:
            problems.append((parcel.code, error.message_dict))
    for disposal in Disposal.objects.select_related("parcel"):
        try:
            disposal.full_clean()
        except ValidationError as error:
            problems.append((disposal.pk, error.message_dict))
    assert problems == []
    # Disposed areas are the parcels' own sums, never beyond the area; the totals match the ledger.
    sums = dict(Disposal.objects.order_by().values_list("parcel_id").annotate(total=Sum("area_mu")))
    assert all(parcel.disposed_area_mu == sums.get(parcel.pk, Decimal(0)) for parcel in Parcel.objects.all())
    assert not Parcel.objects.filter(disposed_area_mu__gt=F("area_mu")).exists()
    assert rollup_drift() == []
    assert sum(ParcelCount.objects.values_list("parcels", flat=True)) == 120
    # A task per county and year, each with the notice's four milestones.
    assert CountyTask.objects.count() == 6
    assert Milestone.objects.count() == 24


def test_the_same_seed_writes_the_same_data_and_a_second_run_is_refused(regions):
    generate(seed=11)
    first = snapshot()
    with pytest.raises(CommandError, match="已有合成数据"):
        generate(seed=11)
    Disposal.objects.all().delete()
    CountyTask.objects.all().delete()
    Parcel.objects.all().delete()
    from leadership.models import Unit

    Unit.objects.filter(region__code__startswith="9").delete()
    for level in ("town", "zone", "county", "city", "province"):
        synthetic_regions().filter(level=level).delete()
    generate(seed=11)
    assert snapshot() == first


def test_bad_sizes_are_refused_in_chinese(regions):
    with pytest.raises(CommandError, match="最多 2850 个县"):
        call_command("generate_demo_data", "--counties", "2851", "--parcels", "10", verbosity=0)
    with pytest.raises(CommandError, match="县数应至少为 1"):
        call_command("generate_demo_data", "--counties", "0", "--parcels", "10", verbosity=0)
