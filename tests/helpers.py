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
