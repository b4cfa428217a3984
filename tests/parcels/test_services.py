"""Disposals through the services: remaining area by hand, refusals that write nothing, row locks."""

import datetime
import threading
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone

from landtrack.services import StaleVersion
from parcels import services
from parcels.models import Disposal, Parcel
from tests.factories import IdleParcelFactory, ParcelFactory, UserFactory
from tests.helpers import refused

pytestmark = pytest.mark.django_db

MAY = datetime.date(2022, 5, 10)


@pytest.fixture
def parcel(anze):
    return ParcelFactory(county=anze, area_mu=Decimal("12.3456"), approval_date=datetime.date(2020, 3, 1))


def record(parcel, area, method="supply_transfer", date=MAY, **extra):
    return services.disposal_record(parcel=parcel, method=method, area_mu=Decimal(area), date=date, **extra)


def test_disposals_reduce_the_remaining_area_exactly(parcel):
    record(parcel, "5.1234")
    parcel.refresh_from_db()
    # 12.3456 − 5.1234 = 7.2222
    assert parcel.disposed_area_mu == Decimal("5.1234")
    assert parcel.remaining_area_mu == Decimal("7.2222")
    assert parcel.status == "partial"
    record(parcel, "7.2222", method="supply_allocation")
    parcel.refresh_from_db()
    assert parcel.remaining_area_mu == Decimal("0")
    assert parcel.status == "disposed"


def test_a_disposal_larger_than_the_remaining_area_is_refused(parcel):
    record(parcel, "10")
    with refused("area_mu", "超过地块剩余面积 2.3456 亩"):
        record(parcel, "2.3457")


def test_a_disposal_method_of_the_other_kind_is_refused(parcel):
    with refused("method", "“动工开发”不是批而未供的处置方式"):
        record(parcel, "1", method="construction_started")


def test_an_idle_parcel_takes_only_idle_land_methods(anze):
    idle = IdleParcelFactory(county=anze)
    with refused("method", "不是闲置土地的处置方式"):
        record(idle, "1", method="supply_transfer")
    disposal = record(idle, "1", method="free_recovery", date=datetime.date(2022, 1, 5))
    assert disposal.pk


def test_a_disposal_dated_in_the_future_is_refused(parcel):
    with refused("date", "不能晚于今天"):
        record(parcel, "1", date=timezone.localdate() + datetime.timedelta(days=1))


def test_a_disposal_dated_today_is_accepted(parcel):
    assert record(parcel, "1", date=timezone.localdate()).pk


def test_a_disposal_before_the_approval_date_is_refused(parcel):
    with refused("date", "不能早于地块的批准时间 2020年3月1日"):
        record(parcel, "1", date=datetime.date(2020, 2, 29))


def test_a_disposal_before_the_supply_date_of_idle_land_is_refused(anze):
    idle = IdleParcelFactory(county=anze, supply_date=datetime.date(2019, 5, 1))
    with refused("date", "供地时间 2019年5月1日"):
        record(idle, "1", method="construction_started", date=datetime.date(2019, 4, 30))


@pytest.mark.parametrize("area", ["0", "-1"])
def test_a_disposal_area_must_be_positive(parcel, area):
    with refused("area_mu", "大于 0"):
        record(parcel, area)


def test_correcting_a_disposal_counts_its_own_area_once(parcel):
    disposal = record(parcel, "12")
    services.disposal_update(disposal=disposal, area_mu=Decimal("12.3456"))
    parcel.refresh_from_db()
    assert parcel.remaining_area_mu == Decimal("0")


def test_deleting_a_disposal_returns_its_area(parcel):
    disposal = record(parcel, "2.0000")
    services.disposal_delete(disposal=disposal)
    parcel.refresh_from_db()
    assert parcel.disposed_area_mu == Decimal("0")
    assert parcel.status == "pending"


def test_a_parcel_with_disposals_cannot_be_deleted(parcel):
    record(parcel, "1")
    with pytest.raises(services.ParcelHasDisposals):
        services.parcel_delete(parcel=parcel)
    assert Parcel.objects.filter(pk=parcel.pk).exists()


def test_a_parcel_without_disposals_can_be_deleted(parcel):
    services.parcel_delete(parcel=parcel)
    assert not Parcel.objects.filter(pk=parcel.pk).exists()


def test_a_deleted_parcels_supply_record_is_unlinked_in_its_change_history(parcel):
    """The database would set the record's link to null unrecorded (SET NULL): the history says who and when."""
    from parcels.models import SupplyRecord

    supply = SupplyRecord(
        county=parcel.county,
        supervision_number="1410262020B00001",
        project_name="某工业项目",
        land_user="某某公司",
        supply_method="transfer",
        area_ha=Decimal("1.2345"),
        contract_date=datetime.date(2020, 3, 1),
        agreed_start_date=datetime.date(2020, 9, 30),
        parcel=parcel,
    )
    supply.save()
    clerk = UserFactory(username="deleting_clerk")
    services.parcel_delete(parcel=parcel, user=clerk)
    supply.refresh_from_db()
    assert supply.parcel_id is None
    latest = supply.history.order_by("-history_id").first()
    assert latest.history_type == "~" and latest.parcel_id is None
    assert latest.history_user == clerk
    assert supply.history.count() == 2
    # Also deleted outside the services (the shell), the change is recorded.
    other = ParcelFactory(county=parcel.county, code="AZ-DEL-2")
    supply.parcel = other
    supply.save()
    other.delete()
    assert supply.history.order_by("-history_id").first().parcel_id is None
    assert supply.history.count() == 4


def test_saving_over_a_stale_version_is_refused(parcel):
    first = Parcel.objects.get(pk=parcel.pk)
    second = Parcel.objects.get(pk=parcel.pk)
    services.parcel_update(parcel=first, expected_version=first.version, name="甲改")
    with pytest.raises(StaleVersion):
        services.parcel_update(parcel=second, expected_version=second.version, name="乙改")
    assert Parcel.objects.get(pk=parcel.pk).name == "甲改"


def test_a_disposal_raises_the_parcels_version(parcel):
    before = parcel.version
    record(parcel, "1")
    parcel.refresh_from_db()
    assert parcel.version == before + 1


def test_the_disposals_author_and_history_are_recorded(parcel):
    clerk = UserFactory(username="录入员")
    disposal = record(parcel, "1", user=clerk)
    assert disposal.created_by == clerk
    entry = disposal.history.get()
    assert entry.history_type == "+"
    assert entry.history_user == clerk


def test_a_save_through_the_shell_is_validated_too(parcel):
    with pytest.raises(ValidationError):
        Disposal.objects.create(parcel=parcel, method="supply_transfer", area_mu=Decimal("99"), date=MAY)
    assert not Disposal.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_disposals_cannot_exceed_the_area(anze):
    """Two clerks each dispose of 6 of 10 亩 at the same moment: exactly one of them succeeds."""
    parcel = ParcelFactory(county=anze, area_mu=Decimal("10"))
    barrier = threading.Barrier(2)
    outcomes = []

    def clerk():
        try:
            barrier.wait(timeout=10)
            record(parcel, "6")
            outcomes.append("saved")
        except ValidationError as error:
            outcomes.append(error.message_dict["area_mu"][0])
        finally:
            connection.close()

    threads = [threading.Thread(target=clerk) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(outcomes, key=len) == ["saved", "处置面积 6.0000 亩超过地块剩余面积 4.0000 亩。"]
    parcel.refresh_from_db()
    assert parcel.disposed_area_mu == Decimal("6")
    assert Disposal.objects.filter(parcel=parcel).count() == 1
