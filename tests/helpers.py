"""Assertions shared by the tests."""

import contextlib
import datetime
from decimal import Decimal

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError


def database_snapshot():
    """Every LandTrack row, as plain values, to prove that a refused write changed nothing.

    Many-to-many links (a rectification item's responsible units) are rows too: their tables count.
    """
    snapshot = {}
    for app_label in ("leadership", "parcels", "tasks"):
        for model in apps.get_app_config(app_label).get_models(include_auto_created=True):
            snapshot[model._meta.label] = sorted(
                tuple(sorted((k, str(v)) for k, v in row.items())) for row in model.objects.values()
            )
    return snapshot


@contextlib.contextmanager
def refused(field, contains=""):
    """Expect a ValidationError on ``field`` whose message contains ``contains``; nothing may be written."""
    before = database_snapshot()
    with pytest.raises(ValidationError) as caught:
        yield caught
    errors = (
        caught.value.message_dict
        if hasattr(caught.value, "error_dict")
        else {"__all__": caught.value.messages}
    )
    assert field in errors, f"expected an error on {field!r}, got {errors}"
    assert any(contains in message for message in errors[field]), errors[field]
    assert database_snapshot() == before, "a refused write changed the database"


def record_random_disposals(rng, parcel, *, most, first_day, days, largest):
    """Up to ``most - 1`` disposals of ``parcel`` through the service, each of 0.01 to ``largest`` hundredths
    of a 亩, dated within ``days`` days from ``first_day``: random campaigns for the progress tests."""
    from parcels import services

    method = "supply_transfer" if parcel.kind == "unsupplied" else "construction_started"
    for _ in range(rng.randrange(0, most)):
        services.disposal_record(
            parcel=parcel,
            method=method,
            area_mu=Decimal(rng.randrange(1, largest)) / 100,
            date=first_day + datetime.timedelta(days=rng.randrange(0, days)),
        )


# three_county_ledger's parcels in the lists' order, worked out by hand: by county code (曲沃 141021, 安泽
# 141026, 乡宁 141029), then parcel code.
THREE_COUNTIES_IN_ORDER = [
    "Q00", "Q01", "Q02", "Q03", "Q04",
    "A00", "A01", "A02", "A03", "A04", "A05", "A06", "AI0", "AI1", "AI2",
    "X00", "X01", "X02", "X03",
]  # fmt: skip


def three_county_ledger(regions):
    """安泽 7 + 3 idle, 乡宁 4, 曲沃 5 parcels, coded so that their order is plain to read: small pages of
    the parcel lists cut through every county (parcels.paging)."""
    from tests.factories import IdleParcelFactory, ParcelFactory

    for number in range(7):
        ParcelFactory(county=regions["141026"], code=f"A{number:02d}")
    for number in range(3):
        IdleParcelFactory(county=regions["141026"], code=f"AI{number}")
    for number in range(4):
        ParcelFactory(county=regions["141029"], code=f"X{number:02d}")
    for number in range(5):
        ParcelFactory(county=regions["141021"], code=f"Q{number:02d}")
    return regions


def three_county_disposals():
    """On :func:`three_county_ledger`'s parcels (10 亩 each): A01 and X00 disposed of, A02 and Q03 in
    part; 15 parcels left pending."""
    from decimal import Decimal

    from parcels.models import Parcel
    from tests.factories import DisposalFactory

    for code, area in (("A01", "10"), ("X00", "10"), ("A02", "4"), ("Q03", "2.5")):
        DisposalFactory(parcel=Parcel.objects.get(code=code), area_mu=Decimal(area))
