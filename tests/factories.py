"""factory_boy factories for LandTrack's models, with valid defaults for each parcel kind."""

import datetime
from decimal import Decimal

import factory

from leadership.choices import RegionLevel, Role
from leadership.models import Region, Unit, User
from parcels.choices import ExpropriationStatus, IdleCause, ParcelKind, SupplyMethod, UnsuppliedReason
from parcels.models import Disposal, Parcel, SupplyRecord
from tasks.models import CountyTask


class RegionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Region
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"{150000 + n}")
    name = factory.Sequence(lambda n: f"测试区划{n}")
    level = RegionLevel.COUNTY
    parent = None


class UnitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Unit

    name = factory.Sequence(lambda n: f"测试单位{n}")
    kind = "natural_resources"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.django.Password("landtrack-test-pw")
    is_staff = True
    role = Role.COUNTY_CLERK


class ParcelFactory(factory.django.DjangoModelFactory):
    """A 批而未供 parcel with every required field filled."""

    class Meta:
        model = Parcel

    code = factory.Sequence(lambda n: f"T{n:04d}")
    name = factory.Sequence(lambda n: f"测试地块{n}")
    kind = ParcelKind.UNSUPPLIED
    area_mu = Decimal("10.0000")
    approval_number = "晋政地字〔2020〕1号"
    approval_date = datetime.date(2020, 3, 1)
    expropriation_status = ExpropriationStatus.COMPLETED
    unsupplied_reason = UnsuppliedReason.NO_USER


class IdleParcelFactory(ParcelFactory):
    """A 闲置土地 parcel with every required field filled."""

    kind = ParcelKind.IDLE
    approval_number = ""
    approval_date = None
    expropriation_status = ""
    unsupplied_reason = ""
    land_user = "测试公司"
    supply_method = SupplyMethod.TRANSFER
    supply_date = datetime.date(2019, 5, 1)
    agreed_start_date = datetime.date(2019, 11, 1)
    idle_cause = IdleCause.USER
    price_wan = Decimal("500.0000")


class DisposalFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Disposal

    method = "supply_transfer"
    area_mu = Decimal("1.0000")
    date = datetime.date(2022, 6, 1)


class TaskFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CountyTask

    year = 2022
    category = "unsupplied"
    target_area_mu = Decimal("100.0000")


def supply_record(county, number, **fields):
    """A supply record of the monitoring system's export (供地结果), saved: an industrial project supplied by
    transfer on 1 March 2020 (1.2345 公顷, to start by 30 September 2020), with ``fields`` on top."""
    values = dict(
        county=county,
        supervision_number=number,
        project_name="某工业项目",
        land_user="某某公司",
        supply_method="transfer",
        area_ha=Decimal("1.2345"),
        land_use="工业用地",
        price_wan=Decimal("800"),
        contract_date=datetime.date(2020, 3, 1),
        agreed_delivery_date=datetime.date(2020, 4, 30),
        agreed_start_date=datetime.date(2020, 9, 30),
    )
    values.update(fields)
    instance = SupplyRecord(**values)
    instance.save()
    return instance
