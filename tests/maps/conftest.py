from decimal import Decimal
from pathlib import Path

import pytest

from tests.api.harness import client_for
from tests.factories import IdleParcelFactory, ParcelFactory

FILES = Path(__file__).parent / "files"


@pytest.fixture
def anze_parcels(anze, xiangning):
    """安泽 parcels whose 地块编号 match the sample files, with ledger areas worked out by hand, and one
    乡宁 parcel outside an 安泽 user's scope."""
    return {
        "AZ-001": ParcelFactory(county=anze, code="AZ-001", name="府城镇工业园地块", area_mu=Decimal("15.0000")),
        "AZ-002": ParcelFactory(county=anze, code="AZ-002", name="唐城镇物流园地块", area_mu=Decimal("14.1000")),
        "AZ-003": IdleParcelFactory(county=anze, code="AZ-003", name="和川镇仓储地块", area_mu=Decimal("2.7000")),
        "AZ-004": ParcelFactory(county=anze, code="AZ-004", name="冀氏镇商业地块", area_mu=Decimal("2.8500")),
        "XN-001": ParcelFactory(county=xiangning, code="XN-001", name="乡宁地块", area_mu=Decimal("15.0000")),
    }


@pytest.fixture
def api(clerk_anze):
    return client_for(clerk_anze)


def upload(client, parcel, content, name="界址点坐标.txt"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return client.post(
        f"/api/v1/parcels/{parcel.pk}/boundary/",
        {"file": SimpleUploadedFile(name, content, content_type="text/plain")},
        format="multipart",
    )
