"""Regions, units, groups and users refuse data that contradicts DOMAIN.md §3."""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from leadership.models import GroupMember, LeadershipGroup, Region, Unit, User
from tests.helpers import refused

pytestmark = pytest.mark.django_db


def test_a_town_code_has_nine_digits_and_starts_with_its_county(regions):
    with refused("code", "9 位"):
        Region(code="141026", name="某镇", level="town", parent=regions["141026"]).save()
    with refused("code", "141026"):
        Region(code="141029999", name="某镇", level="town", parent=regions["141026"]).save()


@pytest.mark.parametrize("code", ["１４１０９９", "141099\n", "١٤١٠٩٩"])
def test_a_region_code_is_ascii_digits_only(regions, code):
    """Python's ``\\d`` takes the digits of any script and ``$`` matches before a final newline: such a code
    was stored, and no request naming the county in ASCII digits found it again."""
    with refused("code", "区划代码应为 6 位或 9 位数字"):
        Region(code=code, name="某县", level="county", parent=regions["141000"]).save()


def test_a_county_belongs_to_a_city(regions):
    with refused("parent", "市级"):
        Region(code="141099", name="某县", level="county", parent=regions["141026"]).save()


def test_region_natural_key_is_its_code(regions):
    assert Region.objects.get_by_natural_key("141029").name == "乡宁县"
    assert regions["141029"].natural_key() == ("141029",)


def test_a_unit_belongs_to_a_county_or_city_and_is_unique_there(regions):
    Unit.objects.create(region=regions["141026"], name="安泽县财政局")
    with refused("__all__", "同名单位"):
        Unit.objects.create(region=regions["141026"], name="安泽县财政局")
    with refused("region", "县（市、区）或市"):
        Unit.objects.create(region=regions["141026100"], name="镇里的单位")


def test_a_member_needs_a_name_or_a_title_and_a_unit_of_the_groups_county(regions):
    group = LeadershipGroup.objects.create(region=regions["141029"], name="领导小组")
    with refused("name", "至少填写一项"):
        GroupMember.objects.create(group=group, role="member")
    other = Unit.objects.create(region=regions["141026"], name="安泽县某局")
    with refused("unit", "所在区划"):
        GroupMember.objects.create(group=group, role="member", name="某人", unit=other)


def test_the_database_refuses_a_member_without_name_or_title(regions):
    group = LeadershipGroup.objects.create(region=regions["141029"], name="领导小组")
    member = GroupMember.objects.create(group=group, role="member", name="袁亚萍")
    with pytest.raises(IntegrityError), transaction.atomic():
        GroupMember.objects.filter(pk=member.pk).update(name="")


@pytest.mark.parametrize(
    "role, code, message",
    [
        ("county_clerk", None, "必须指定"),
        ("county_office", "141000", "县（市、区）级"),
        ("city_bureau", "141026", "市级"),
    ],
)
def test_a_role_needs_a_region_of_its_level(regions, role, code, message):
    user = User(username="u", role=role, region=regions[code] if code else None)
    with pytest.raises(ValidationError) as error:
        user.full_clean(exclude=["password"])
    assert message in error.value.message_dict["region"][0]


def test_a_unit_named_by_rectification_items_is_not_deleted_by_any_path(demo):
    # The database would drop it from the items' responsible units, unrecorded in their history: the
    # admin, a bulk delete and the shell are refused alike, and nothing changes.
    from django.db.models import ProtectedError

    from tests.helpers import database_snapshot

    unit = Unit.objects.get(name="乡宁县推进“标准地”改革工作领导小组成员单位")
    items = set(unit.rectifications.all())
    assert len(items) == 4
    before = database_snapshot()
    with pytest.raises(ProtectedError) as refusal, transaction.atomic():
        unit.delete()
    assert "整改事项“" in str(refusal.value.args[0]) and set(refusal.value.protected_objects) == items
    with pytest.raises(ProtectedError), transaction.atomic():
        Unit.objects.filter(pk=unit.pk).delete()
    assert database_snapshot() == before
    # A unit no set names is deleted as before.
    spare = Unit.objects.create(region=unit.region, name="无整改事项的单位")
    spare.delete()
    assert not Unit.objects.filter(pk=spare.pk).exists()
