"""No mangled file yields a 500: every one is read, or refused with Chinese messages, and what is stored
passes the model's own validation."""

import random

import pytest

from parcels.boundaries import BoundaryFileError, read_boundary_file
from parcels.models import ParcelBoundary
from tests.api.harness import client_for

from .conftest import upload
from .samples import SEVERAL, SQUARE, SQUARE_WITH_HOLE, gbk

pytestmark = pytest.mark.django_db

SUBSTITUTES = "0123456789.,-@[]=，x 带"


def mangle(rng, text):
    """A survey file after careless hands: characters changed, lines doubled or lost, numbers bent."""
    lines = text.split("\n")
    for _ in range(rng.randint(1, 4)):
        i = rng.randrange(len(lines))
        line = lines[i]
        operation = rng.randrange(8)
        if operation == 0 and line:
            j = rng.randrange(len(line))
            line = line[:j] + rng.choice(SUBSTITUTES) + line[j + 1 :]
        elif operation == 1:
            lines.insert(i, lines[rng.randrange(len(lines))])
        elif operation == 2:
            del lines[i]
            continue
        elif operation == 3:
            line = line.replace(",", ",,", 1)
        elif operation == 4:
            line += rng.choice(["1", "e5", ".123456789", "999999999"])
        elif operation == 5:
            line = line.replace("3985", rng.choice(["0", "-3985", "39850", "98"]))
        elif operation == 6:
            line = line.replace(",1,", rng.choice([",2,", ",0,", ",9,", ",99999,"]))
        else:
            line = line.replace(".000", rng.choice([".0000001", "", ".5", "e3"]))
        lines[i] = line
    return "\n".join(lines)


def test_mangled_files_are_read_or_refused_and_what_is_read_can_be_stored(anze_parcels):
    from parcels import boundary_services

    rng = random.Random(20230601)
    parcel = anze_parcels["AZ-001"]
    outcomes = {"stored": 0, "parcel refused": 0, "file refused": 0}
    for _ in range(600):
        text = mangle(rng, rng.choice([SEVERAL, SQUARE_WITH_HOLE, SQUARE]))
        content = gbk(text) if rng.random() < 0.5 else text.encode("utf-8")
        try:
            parsed = read_boundary_file(content, near_lng=111.3 if rng.random() < 0.3 else None)
        except BoundaryFileError as refusal:
            assert refusal.errors and all(error.message for error in refusal.errors)
            outcomes["file refused"] += 1
            continue
        for found in parsed.parcels:
            if found.errors:
                outcomes["parcel refused"] += 1
                continue
            # boundary_save runs full_clean(): the model accepts what the reader accepted.
            boundary_services.boundary_save(parcel=parcel, found=found, parsed=parsed)
            outcomes["stored"] += 1
    assert all(count > 50 for count in outcomes.values()), outcomes


def test_mangled_uploads_answer_200_or_400(clerk_anze, anze_parcels):
    rng = random.Random(7)
    api = client_for(clerk_anze)
    statuses = set()
    for _ in range(60):
        response = upload(api, anze_parcels["AZ-003"], gbk(mangle(rng, SEVERAL)))
        statuses.add(response.status_code)
        body = response.json()
        if response.status_code == 400:
            assert set(body) == {"errors"} and all(set(e) == {"line", "message"} for e in body["errors"])
        else:
            assert set(body) >= {"area_mu_computed", "area_mu_declared", "difference_percent", "warnings"}
    assert statuses == {200, 400}
    assert ParcelBoundary.objects.count() == 1
