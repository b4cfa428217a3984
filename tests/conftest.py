import os

import pytest
from django.core.management import call_command

from leadership.choices import Role
from leadership.models import Region

from .factories import UserFactory

PASSWORD = "landtrack-test-pw"


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """Tests create many users; the production hasher is deliberately slow."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def fresh_content_type_cache():
    """ContentType lookups are cached per process; clear them so pinned query counts do not depend on
    which test ran first."""
    from django.contrib.contenttypes.models import ContentType

    ContentType.objects.clear_cache()
    yield
    ContentType.objects.clear_cache()


@pytest.fixture(autouse=True)
def cold_catalog():
    """Each process holds what it read of the catalog (tasks.catalog.held: a year's tasks, the counties'
    codes); every test starts without it, so that pinned query counts do not depend on which test ran
    first. Nor the progress report's rows the process keeps (tasks.api.progress.report_rows)."""
    from tasks.api.progress import forget_rows
    from tasks.catalog import forget

    forget()
    forget_rows()
    yield
    forget()
    forget_rows()


@pytest.fixture
def regions(db):
    """临汾市, its 17 counties and the towns of 安泽县 and 乡宁县 (fixtures/regions.json)."""
    call_command("loaddata", "regions", verbosity=0)
    return {region.code: region for region in Region.objects.all()}


@pytest.fixture
def demo(regions):
    """The demo of `make run`: the 2023 安泽 campaign and the 2022 乡宁 task (fixtures/demo.json)."""
    call_command("loaddata", "demo", verbosity=0)
    return {region.code: region for region in Region.objects.all()}


@pytest.fixture
def login(client, demo):
    """Sign the test client in as a new user of ``role`` in the region of ``region_code`` (None: none),
    on the demo data: ``login("az_clerk", Role.COUNTY_CLERK, "141026")``."""

    def sign_in(username, role, region_code):
        user = UserFactory(
            username=username, role=role, region=Region.objects.get(code=region_code) if region_code else None
        )
        client.force_login(user)
        return client

    return sign_in


@pytest.fixture
def anze(regions):
    return regions["141026"]


@pytest.fixture
def xiangning(regions):
    return regions["141029"]


@pytest.fixture
def linfen(regions):
    return regions["141000"]


@pytest.fixture
def make_user(db):
    def make(username, role, region=None, **extra):
        return UserFactory(username=username, role=role, region=region, **extra)

    return make


@pytest.fixture
def superuser(db):
    return UserFactory(username="root", role=Role.ADMIN, is_superuser=True)


@pytest.fixture
def clerk_anze(make_user, anze):
    return make_user("clerk_anze", Role.COUNTY_CLERK, anze)


@pytest.fixture
def clerk_xiangning(make_user, xiangning):
    return make_user("clerk_xiangning", Role.COUNTY_CLERK, xiangning)


@pytest.fixture
def office_anze(make_user, anze):
    return make_user("office_anze", Role.COUNTY_OFFICE, anze)


@pytest.fixture
def city_linfen(make_user, linfen):
    return make_user("city_linfen", Role.CITY_BUREAU, linfen)


@pytest.fixture
def admin_client_demo(client, demo, superuser):
    client.force_login(superuser)
    return client


def pytest_configure(config):
    # Browser tests run Playwright's sync API (an event loop) in the thread that also talks to the
    # test database.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    """After every test that used the database: the totals kept beside the ledger (parcels.rollup) still
    equal the ledger itself. A write path that skipped them would fail here, whichever test took it."""
    result = yield
    uses_database = item.get_closest_marker("django_db") or {"db", "transactional_db"} & set(item.fixturenames)
    if uses_database:
        from parcels.rollup import rollup_drift

        drift = rollup_drift()
        assert not drift, f"the progress totals no longer match the ledger: {drift[:5]}"
    return result
