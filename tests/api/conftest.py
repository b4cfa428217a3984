import pytest

from leadership.models import Region
from tests.factories import UserFactory

from .harness import USERS


@pytest.fixture
def taiyuan(regions):
    """A city and county outside 临汾, for a city bureau whose scope excludes 安泽县."""
    city = Region.objects.create(code="140100", name="太原市", level="city")
    Region.objects.create(code="140105", name="小店区", level="county", parent=city)
    return city


@pytest.fixture
def users(regions, taiyuan):
    made = {}
    for name, (role, code) in USERS.items():
        made[name] = UserFactory(
            username=f"api_{name}",
            role=role,
            region=Region.objects.get(code=code) if code else None,
            is_superuser=name == "admin",
        )
    made["no_role"] = UserFactory(username="api_no_role", role="", region=None)
    return made
