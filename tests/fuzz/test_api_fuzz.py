"""Fuzzing the REST API from its own OpenAPI schema (schemathesis), with every role's token.

Every operation the served schema (/api/schema/) describes is called with generated input, valid and
invalid, as an anonymous caller and as admin, city_bureau (临汾市), county_office (安泽县) and
county_clerk (乡宁县) on the demo data. Every schemathesis check is on for every operation: no server
error, status codes, content types, bodies and headers as documented, schema-valid input accepted,
schema-violating input refused, undeclared methods 405, credentials not ignored.

How it runs. The application is called in-process (WSGI) inside the test's transaction; each call, for
each role, runs in a savepoint that is rolled back, so every example starts from the same data (the
demo plus the five accounts, whose tokens never change) whatever an earlier one deleted or wrote, and a
failure replays exactly when Hypothesis shrinks it. Examples are derandomized: the same every run. A
failure names the operation (the test id) and the role ("LandTrack fuzzing: <operation> as <role>").
What only a request outside a transaction meets is checked by test_outside_a_transaction.py (every
operation once, in autocommit) and, with generated input, by the served run (bench/fuzz.py).

LANDTRACK_FUZZ_EXAMPLES (default 5, what `make test` runs) is the number of generated examples per
operation in the fuzzing phase; the explicit-examples and coverage phases run as well. By hand:

    LANDTRACK_FUZZ_EXAMPLES=100 .venv/bin/python -m pytest tests/fuzz -q

LANDTRACK_FUZZ_SEED=<integer> draws other inputs than the derandomized default, as deterministically
(the same seed, the same inputs): to explore further by hand, run a few seeds.

Allowances (tests/fuzz/schemathesis.toml), the only ones: they widen the statuses that the
positive_data_acceptance check accepts for schema-valid input (1, 2), and that negative_data_rejection
accepts as a refusal (3), on the operations named there only.
(1) 400 where a rule of the stored data refuses well-formed input — the schema can say what a
    well-formed request is, not which ids, codes and credentials exist or the ledger's cross-field rules:
    - POST /auth/token/: a username and password that match no account;
    - GET /parcels/ and /parcels/export/: ?responsible_unit= must be a unit in the caller's scope
      (django-filter's "选择一个有效的选项");
    - POST/PUT/PATCH /parcels/: county, town and responsible unit must exist (and the town lie in the
      county), the kind's own fields and dates must fit (Parcel.clean), the code must be free in the
      county;
    - POST /parcels/{id}/disposals/: the method must fit the parcel's kind, the area the remaining area,
      the date lie between the approval (or supply) and today;
    - POST /parcels/{id}/boundary/, /parcels/import/, /supply-records/import/: the schema can only say
      "binary"; the file must be a coordinate TXT or an .xlsx with the right headers and rows, and an
      import names an existing county (required unless the caller is a county user);
    - POST /supply-records/{id}/to-parcel/: town and code as for a parcel, an agreed start date when the
      record has none;
    - POST/PATCH /tasks/: the county must exist, milestones rise with their dates to 100 %, one task per
      county, year and category;
    - POST/PATCH /rectifications/: the county and units must exist in scope, the status moves in order
      and closing needs evidence;
    - GET /reports/lists/: ?county= is required unless the caller is a county user (who gets their
      own), which a schema cannot make depend on the caller.
(2) 412 on PUT/PATCH/DELETE with If-Match (parcels, tasks, rectifications): any text is a well-formed
    If-Match; whether it names the record's current version is stored data (a random one never does).
(3) 412 as a refusal of schema-violating input on those same operations (negative_data_rejection):
    the If-Match is judged before the body is read (RFC 9110 §13.2.1; VersionedViewSetMixin), so a
    stale one answers 412 whatever the body holds — the request is refused all the same.
Nothing else is allowed: any other answer to valid input, any undocumented status, any body or
content type not as documented, and any 5xx fails.
"""

import os
from pathlib import Path

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, transaction
from hypothesis import HealthCheck, settings
from rest_framework.authtoken.models import Token
from schemathesis.config import SchemathesisConfig

from leadership.choices import Role
from leadership.models import Region, User

EXAMPLES = int(os.environ.get("LANDTRACK_FUZZ_EXAMPLES", "5"))
SEED = os.environ.get("LANDTRACK_FUZZ_SEED")
ROLES = {
    "anonymous": None,
    "admin": (Role.ADMIN, None),
    "city_bureau": (Role.CITY_BUREAU, "141000"),
    "county_office": (Role.COUNTY_OFFICE, "141026"),
    "county_clerk": (Role.COUNTY_CLERK, "141029"),
}

APP = WSGIHandler()
CONFIG = SchemathesisConfig.from_path(Path(__file__).with_name("schemathesis.toml"))
# The schema as the running application serves it; every call goes to the same application in-process.
schema = schemathesis.openapi.from_wsgi("/api/schema/", APP, config=CONFIG)
if SEED:
    schema.config.seed = int(SEED)  # an explicit seed takes precedence over derandomize


@pytest.fixture
def in_test_transaction():
    """Let the application answer inside the test's transaction: as Django's test client does, keep it
    from closing the database connection at the end of each request."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def token_for(username, role, code):
    """The API token of a new account of ``role`` in the region with this code (None: no region)."""
    user = User.objects.create_user(
        username=username,
        password="Fuzz-Passw0rd-2026",
        role=role,
        region=Region.objects.get(code=code) if code else None,
        is_superuser=role == Role.ADMIN,
    )
    return Token.objects.create(user=user).key


@pytest.fixture
def tokens(demo):
    return {name: spec and token_for(f"fuzz_{name}", *spec) for name, spec in ROLES.items()}


@pytest.mark.django_db
@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
    ],
    derandomize=True,
)
def test_no_server_error_and_every_answer_as_the_schema_says(case, tokens, in_test_transaction):
    for name, key in tokens.items():
        headers = {"Authorization": f"Token {key}"} if key else {}
        # Each call starts from the same data (the demo), whatever an earlier example or role wrote,
        # so that a failure replays exactly.
        try:
            with transaction.atomic():
                case.call_and_validate(headers=headers)
                transaction.set_rollback(True)
        except Exception as failure:
            failure.add_note(f"LandTrack fuzzing: {case.operation.label} as {name}")
            raise


# The operations tests/fuzz/schemathesis.toml names, with what it lets each meet beyond the defaults.
ALLOWED_400 = {
    "POST /api/v1/auth/token/",
    "GET /api/v1/parcels/",
    "GET /api/v1/parcels/export/",
    "POST /api/v1/parcels/",
    "POST /api/v1/parcels/{id}/disposals/",
    "POST /api/v1/parcels/{id}/boundary/",
    "POST /api/v1/parcels/import/",
    "POST /api/v1/supply-records/import/",
    "POST /api/v1/supply-records/{id}/to-parcel/",
    "POST /api/v1/tasks/",
    "POST /api/v1/rectifications/",
    "GET /api/v1/reports/lists/",
    "PUT /api/v1/parcels/{id}/",
    "PATCH /api/v1/parcels/{id}/",
    "PATCH /api/v1/tasks/{id}/",
    "PATCH /api/v1/rectifications/{id}/",
}
ALLOWED_412 = {
    "PUT /api/v1/parcels/{id}/",
    "PATCH /api/v1/parcels/{id}/",
    "PATCH /api/v1/tasks/{id}/",
    "PATCH /api/v1/rectifications/{id}/",
    "DELETE /api/v1/parcels/{id}/",
    "DELETE /api/v1/tasks/{id}/",
}


def test_the_allowances_reach_only_the_operations_the_docstring_names():
    defaults = SchemathesisConfig().projects.default.checks
    for operation in (result.ok() for result in schema.get_all_operations()):
        checks = schema.config.checks_config_for(operation=operation)
        positive = set(checks.positive_data_acceptance.expected_statuses)
        negative = set(checks.negative_data_rejection.expected_statuses)
        expected_positive = set(defaults.positive_data_acceptance.expected_statuses)
        expected_negative = set(defaults.negative_data_rejection.expected_statuses)
        if operation.label in ALLOWED_400:
            expected_positive.add("400")
        if operation.label in ALLOWED_412:
            expected_positive.add("412")
            expected_negative.add("412")
        assert (positive, negative) == (expected_positive, expected_negative), operation.label
        names = [name for name in type(checks).__slots__ if not name.startswith("_")]
        assert len(names) >= 14
        for name in names:  # nothing switched off: each check as enabled as by default
            assert getattr(checks, name).enabled == getattr(defaults, name).enabled, (operation.label, name)
