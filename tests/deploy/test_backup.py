"""Backup and restore as the operator runs them: a round trip brings back exactly what was backed up."""

import datetime
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command

from parcels import services
from parcels.models import Parcel
from tests.factories import ParcelFactory
from tests.helpers import database_snapshot

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_backup_restores_exactly_what_it_held(regions, tmp_path, clerk_anze):
    parcel = ParcelFactory(county=regions["141026"], town=regions["141026101"], code="BK-001", area_mu=Decimal("12.5"))
    services.disposal_record(
        parcel=parcel, method="supply_transfer", area_mu=Decimal("2.25"), date=datetime.date(2024, 3, 5),
        user=clerk_anze,
    )
    backed_up = database_snapshot()
    path = tmp_path / "landtrack.backup"
    call_command("backup", str(path))
    assert path.stat().st_size > 0

    # What happens after the backup: a new parcel, a changed one, a deleted disposal.
    ParcelFactory(county=regions["141026"], code="BK-002")
    services.parcel_update(parcel=Parcel.objects.get(code="BK-001"), name="改过的名称", user=clerk_anze)
    services.disposal_delete(disposal=parcel.disposals.get(), user=clerk_anze)
    assert database_snapshot() != backed_up

    call_command("restore", str(path), "--noinput")
    assert database_snapshot() == backed_up
    restored = Parcel.objects.get(code="BK-001")
    assert restored.disposed_area_mu == Decimal("2.25")
    assert not Parcel.objects.filter(code="BK-002").exists()


def test_restore_refuses_a_missing_file_and_changes_nothing(regions, tmp_path):
    before = database_snapshot()
    with pytest.raises(CommandError, match="备份文件不存在"):
        call_command("restore", str(tmp_path / "nothing.backup"), "--noinput")
    assert database_snapshot() == before
