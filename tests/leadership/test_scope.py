"""leadership.scope: which counties an account writes in, and which county is its own."""

import pytest

from leadership.choices import Role
from leadership.scope import home_county, writable_counties
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

# fixtures/regions.json: 临汾市 (141000) and its 17 counties.
LINFEN_COUNTIES = 17


def account(regions, role, code, **fields):
    return UserFactory(username=f"{role or 'none'}_{code}", role=role, region=regions.get(code), **fields)


def codes(queryset):
    return [region.code for region in queryset]


def test_a_county_clerk_writes_the_ledger_of_its_own_county_only(regions):
    clerk = account(regions, Role.COUNTY_CLERK, "141026")
    assert codes(writable_counties(clerk, "parcels.parcel")) == ["141026"]
    assert codes(writable_counties(clerk, "leadership.unit")) == []  # units are the office's


def test_the_county_office_writes_units_but_not_the_ledger(regions):
    office = account(regions, Role.COUNTY_OFFICE, "141029")
    assert codes(writable_counties(office, "leadership.unit")) == ["141029"]
    assert codes(writable_counties(office, "parcels.parcel")) == []


def test_the_city_bureau_assigns_tasks_in_each_of_its_counties(regions):
    city = account(regions, Role.CITY_BUREAU, "141000")
    counties = codes(writable_counties(city, "tasks.countytask"))
    assert len(counties) == LINFEN_COUNTIES
    assert counties == sorted(counties) and "141026" in counties and "141000" not in counties
    assert codes(writable_counties(city, "parcels.parcel")) == []


def test_an_admin_writes_everywhere_and_an_account_without_a_role_nowhere(regions):
    admin = account(regions, Role.ADMIN, None, is_superuser=True)
    assert len(codes(writable_counties(admin, "parcels.parcel"))) == LINFEN_COUNTIES
    nobody = account(regions, "", None)
    assert codes(writable_counties(nobody, "parcels.parcel")) == []


@pytest.mark.parametrize(
    "role, code, expected",
    [
        (Role.COUNTY_CLERK, "141026", "141026"),
        (Role.COUNTY_OFFICE, "141029", "141029"),
        (Role.CITY_BUREAU, "141000", None),
        (Role.ADMIN, None, None),
        (Role.COUNTY_CLERK, None, None),  # a clerk not yet given a county
    ],
)
def test_the_home_county_is_a_county_accounts_own(regions, role, code, expected):
    county = home_county(account(regions, role, code))
    assert (county.code if county else None) == expected


@pytest.mark.parametrize("role", [Role.COUNTY_CLERK, Role.COUNTY_OFFICE])
def test_a_county_account_reads_the_units_of_its_county_and_its_city_only(regions, role):
    from leadership.models import LeadershipGroup, Region, Unit
    from leadership.scope import object_in_scope

    units = {
        code: Unit.objects.create(region=regions[code], name=f"单位{code}")
        for code in ("141026", "141000", "141029")
    }
    taiyuan = Region.objects.create(code="140100", name="太原市", level="city")
    units["140100"] = Unit.objects.create(region=taiyuan, name="太原市单位")
    county = account(regions, role, "141026")
    visible = {unit.region.code for unit in Unit.objects.visible_to(county)}
    assert visible == {"141026", "141000"}
    assert [object_in_scope(county, units[code]) for code in ("141026", "141000", "141029", "140100")] == [
        True,
        True,
        False,
        False,
    ]
    # Only units: the city's leadership group stays the city's.
    LeadershipGroup.objects.create(region=regions["141000"], name="临汾市领导小组")
    assert not LeadershipGroup.objects.visible_to(county).exists()
