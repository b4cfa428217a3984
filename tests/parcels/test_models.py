"""The ledger's rules (DOMAIN.md §3–§4), enforced by the model for every writer and by the database."""

import datetime
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from parcels import services
from parcels.models import Disposal, Parcel
from tests.factories import IdleParcelFactory, ParcelFactory
from tests.helpers import refused

pytestmark = pytest.mark.django_db


def unsupplied(county, **fields):
    values = dict(
        county=county,
        code="A-001",
        name="测试地块",
        kind="unsupplied",
        area_mu=Decimal("10.0000"),
        approval_number="晋政地字〔2020〕1号",
        approval_date=datetime.date(2020, 3, 1),
        expropriation_status="completed",
        unsupplied_reason="no_user",
    )
    values.update(fields)
    return values


def test_a_complete_unsupplied_parcel_is_saved_with_its_area_exact(anze):
    parcel = services.parcel_create(**unsupplied(anze, area_mu=Decimal("12.3457")))
    parcel.refresh_from_db()
    assert parcel.area_mu == Decimal("12.3457")
    assert parcel.remaining_area_mu == Decimal("12.3457")
    assert parcel.status == "pending"


@pytest.mark.parametrize("area", [Decimal("0"), Decimal("-1.5")])
def test_parcel_area_must_be_positive(anze, area):
    with refused("area_mu", "大于 0"):
        services.parcel_create(**unsupplied(anze, area_mu=area))


def test_parcel_area_with_more_than_four_decimals_is_refused(anze):
    with refused("area_mu", "4"):
        services.parcel_create(**unsupplied(anze, area_mu=Decimal("1.23456")))


@pytest.mark.parametrize(
    "field, message",
    [
        ("approval_number", "批准文号"),
        ("approval_date", "批准时间"),
        ("expropriation_status", "征收情况"),
        ("unsupplied_reason", "未供原因"),
    ],
)
def test_unsupplied_parcel_requires_its_fields(anze, field, message):
    blank = None if field == "approval_date" else ""
    with refused(field, f"必须填写{message}"):
        services.parcel_create(**unsupplied(anze, **{field: blank}))


@pytest.mark.parametrize(
    "field, message",
    [
        ("land_user", "土地使用权人"),
        ("supply_method", "供地方式"),
        ("supply_date", "供地时间"),
        ("agreed_start_date", "约定开工时间"),
        ("idle_cause", "闲置原因类别"),
    ],
)
def test_idle_parcel_requires_its_fields(anze, field, message):
    parcel = IdleParcelFactory.build(county=anze, **{field: None if "date" in field else ""})
    with refused(field, f"必须填写{message}"):
        services.parcel_save(parcel=parcel)


def test_unsupplied_parcel_refuses_idle_land_fields(anze):
    with refused("land_user", "不填写土地使用权人"):
        services.parcel_create(**unsupplied(anze, land_user="某公司"))


def test_town_must_lie_in_the_parcels_county(regions):
    anze, xiangning_town = regions["141026"], regions["141029100"]
    with refused("town", "昌宁镇不属于安泽县"):
        services.parcel_create(**unsupplied(anze, town=xiangning_town))


def test_county_must_be_a_county(regions):
    with refused("county", "县（市、区）级"):
        services.parcel_create(**unsupplied(regions["141000"]))


def test_parcel_code_is_unique_within_a_county_but_not_across_counties(anze, xiangning):
    services.parcel_create(**unsupplied(anze, code="007"))
    with refused("code", "地块编号为“007”"):
        services.parcel_create(**unsupplied(anze, code="007", name="另一地块"))
    other = services.parcel_create(**unsupplied(xiangning, code="007"))
    assert other.code == "007"  # leading zeros kept


def test_planned_method_must_fit_the_kind(anze):
    with refused("planned_method", "“无偿收回”不是批而未供的处置方式"):
        services.parcel_create(**unsupplied(anze, planned_method="free_recovery"))


def test_approval_date_cannot_be_in_the_future(anze):
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    with refused("approval_date", "不能晚于今天"):
        services.parcel_create(**unsupplied(anze, approval_date=tomorrow))


def test_centre_point_needs_both_coordinates_inside_china(anze):
    with refused("center_lat", "同时填写"):
        services.parcel_create(**unsupplied(anze, center_lng=Decimal("112.25")))
    with refused("center_lng", "73 至 136"):
        services.parcel_create(**unsupplied(anze, center_lng=Decimal("12.25"), center_lat=Decimal("36.1")))


def test_nul_characters_are_refused_in_any_text(anze):
    with refused("name", "空字符"):
        services.parcel_create(**unsupplied(anze, name="坏\x00名字"))


def test_government_cause_only_for_government_caused_idleness(anze):
    parcel = IdleParcelFactory.build(county=anze, idle_cause="user", government_cause="petition")
    with refused("government_cause", "政府原因"):
        services.parcel_save(parcel=parcel)


def test_area_cannot_shrink_below_what_was_disposed_of(anze):
    parcel = ParcelFactory(county=anze, area_mu=Decimal("10.0000"))
    services.disposal_record(
        parcel=parcel, method="supply_transfer", area_mu=Decimal("6.5000"), date=datetime.date(2022, 5, 1)
    )
    parcel.refresh_from_db()
    with refused("area_mu", "6.5000"):
        services.parcel_update(parcel=parcel, area_mu=Decimal("6.4999"))


def test_kind_cannot_change_once_disposed_of(anze):
    parcel = ParcelFactory(county=anze)
    services.disposal_record(
        parcel=parcel, method="supply_transfer", area_mu=Decimal("1"), date=datetime.date(2022, 5, 1)
    )
    parcel.refresh_from_db()
    idle = IdleParcelFactory.build()
    fields = {
        name: getattr(idle, name)
        for name in ("kind", "land_user", "supply_method", "supply_date", "agreed_start_date", "idle_cause")
    }
    fields.update(approval_number="", approval_date=None, expropriation_status="", unsupplied_reason="")
    with refused("kind", "不能更改类型"):
        services.parcel_update(parcel=parcel, **fields)


def test_approval_date_cannot_move_after_an_existing_disposal(anze):
    parcel = ParcelFactory(county=anze, approval_date=datetime.date(2020, 3, 1))
    services.disposal_record(
        parcel=parcel, method="supply_transfer", area_mu=Decimal("1"), date=datetime.date(2021, 1, 10)
    )
    parcel.refresh_from_db()
    with refused("approval_date", "2021年1月10日"):
        services.parcel_update(parcel=parcel, approval_date=datetime.date(2021, 2, 1))


class TestDatabaseConstraints:
    """The database refuses bad rows even when a writer skips the model's validation."""

    def test_database_refuses_a_zero_area(self, anze):
        parcel = ParcelFactory(county=anze)
        with pytest.raises(IntegrityError), transaction.atomic():
            Parcel.objects.filter(pk=parcel.pk).update(area_mu=Decimal("0"))

    def test_database_refuses_disposals_beyond_the_area(self, anze):
        parcel = ParcelFactory(county=anze, area_mu=Decimal("10"))
        with pytest.raises(IntegrityError), transaction.atomic():
            Parcel.objects.filter(pk=parcel.pk).update(disposed_area_mu=Decimal("10.0001"))

    def test_database_refuses_an_unsupplied_parcel_without_approval(self, anze):
        parcel = ParcelFactory(county=anze)
        with pytest.raises(IntegrityError), transaction.atomic():
            Parcel.objects.filter(pk=parcel.pk).update(approval_date=None)

    def test_database_refuses_a_duplicate_code_in_a_county(self, anze):
        parcel = ParcelFactory(county=anze, code="X1")
        with pytest.raises(IntegrityError), transaction.atomic():
            Parcel.objects.bulk_create([ParcelFactory.build(county=anze, code=parcel.code)])

    def test_database_refuses_a_planned_method_of_the_other_kind(self, anze):
        parcel = ParcelFactory(county=anze, planned_method="supply_transfer")
        with pytest.raises(IntegrityError), transaction.atomic():
            Parcel.objects.filter(pk=parcel.pk).update(planned_method="free_recovery")

    def test_database_refuses_half_a_centre_point(self, anze):
        parcel = ParcelFactory(county=anze, center_lng=Decimal("112.25"), center_lat=Decimal("36.15"))
        with pytest.raises(IntegrityError), transaction.atomic():
            Parcel.objects.filter(pk=parcel.pk).update(center_lat=None)

    def test_database_refuses_a_disposal_method_of_the_other_kind(self, anze):
        parcel = ParcelFactory(county=anze)
        disposal = services.disposal_record(
            parcel=parcel, method="supply_transfer", area_mu=Decimal("1"), date=datetime.date(2022, 5, 10)
        )
        with pytest.raises(IntegrityError), transaction.atomic():
            Disposal.objects.filter(pk=disposal.pk).update(method="construction_started")


def test_a_date_after_2999_is_refused_on_the_parcel_itself(anze):
    """The admin and the importer save through the model: a year like 9999 (full years after it cannot
    be computed) is refused there, as the API refuses it."""
    parcel = IdleParcelFactory.build(county=anze, code="LATE", agreed_start_date=datetime.date(9999, 12, 31))
    with refused("agreed_start_date", "不应晚于 2999年12月31日"):
        parcel.save()
