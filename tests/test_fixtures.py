"""The `regions` and `demo` fixtures: what the notices say, checked against figures worked out by hand."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db.models import Sum

from leadership.models import GroupMember, LeadershipGroup, Region, Unit
from parcels.models import Disposal, Parcel, ProgressNote
from tasks.models import Campaign, CampaignPhase, CountyTask, Milestone, RectificationItem

pytestmark = pytest.mark.django_db


def test_regions_hold_linfen_its_17_counties_and_the_towns_of_anze_and_xiangning(regions):
    assert Region.objects.get(code="141000").name == "临汾市"
    counties = Region.objects.filter(level="county", parent__code="141000")
    assert counties.count() == 17
    assert {r.code: r.name for r in counties}["141029"] == "乡宁县"
    assert list(Region.objects.filter(parent__code="141026").values_list("name", flat=True)) == [
        "府城镇",
        "和川镇",
        "唐城镇",
        "冀氏镇",
        "良马镇",
        "马壁镇",
    ]
    assert Region.objects.filter(parent__code="141029", level="town").count() == 10
    assert Region.objects.get(code="141029204").name == "枣岭乡"


def test_regions_load_twice_without_duplicates(regions):
    call_command("loaddata", "regions", verbosity=0)
    assert Region.objects.count() == 34


def test_xiangning_stands_at_23_71_mu_of_26_96_on_5_september_2022(demo):
    task = CountyTask.objects.get(county__code="141029", year=2022)
    assert (task.category, task.target_area_mu) == ("unsupplied", Decimal("26.9600"))
    done = Disposal.objects.filter(
        parcel__county__code="141029", parcel__kind="unsupplied", date__lte=datetime.date(2022, 9, 5)
    ).aggregate(total=Sum("area_mu"))["total"]
    # 7.10 + 9.36 + 7.25 = 23.71; 26.96 − 23.71 = 3.25 亩 still to supply.
    assert done == Decimal("23.7100")
    remaining = sum(p.remaining_area_mu for p in Parcel.objects.filter(county__code="141029"))
    assert remaining == Decimal("3.2500")
    by_31_may = Disposal.objects.filter(parcel__county__code="141029", date__lte=datetime.date(2022, 5, 31))
    assert by_31_may.aggregate(total=Sum("area_mu"))["total"] == Decimal("7.1000")


def test_the_xiangning_task_has_the_notices_milestones(demo):
    task = CountyTask.objects.get(county__code="141029", year=2022)
    assert list(task.milestones.values_list("due", "target_rate")) == [
        (datetime.date(2022, 5, 31), Decimal("25.00")),
        (datetime.date(2022, 6, 30), Decimal("50.00")),
        (datetime.date(2022, 9, 30), Decimal("85.00")),
        (datetime.date(2022, 11, 30), Decimal("100.00")),
    ]


def test_the_anze_campaign_is_the_2023_notice_with_its_phases(demo):
    campaign = Campaign.objects.get(document_number="安政办发〔2023〕16号")
    assert (campaign.year, campaign.document_date) == (2023, datetime.date(2023, 6, 9))
    assert (campaign.scope_start_year, campaign.scope_end_year) == (2009, 2022)
    assert [(p.name, p.start_date, p.end_date) for p in campaign.phases.all()] == [
        ("安排部署阶段", datetime.date(2023, 5, 10), datetime.date(2023, 5, 30)),
        ("清理处置阶段", datetime.date(2023, 5, 31), datetime.date(2023, 11, 30)),
        ("总结提高阶段", datetime.date(2023, 12, 1), datetime.date(2023, 12, 31)),
    ]


def test_the_anze_leadership_group_is_as_published(demo):
    group = LeadershipGroup.objects.get(region__code="141026")
    assert group.office_unit.name == "安泽县自然资源局"
    assert group.office_director == "薛金权"
    members = [(m.get_role_display(), m.name) for m in group.members.all()]
    assert members[:3] == [("组长", "张国强"), ("副组长", "付强"), ("副组长", "薛金权")]
    assert [name for _, name in members[3:]] == [
        "党辉亮",
        "王文亮",
        "王建华",
        "雷军",
        "赵龙",
        "牛宏军",
        "王军",
        "侯勇军",
        "段东",
        "曹斌",
        "袁翠英",
        "张甜",
        "李泽敏",
        "娄雁楠",
    ]
    assert group.members.get(name="王建华").title == "临汾市生态环境局安泽分局局长"


def test_the_anze_units_carry_their_duties_from_part_five_three(demo):
    duties = dict(Unit.objects.filter(region__code="141026").values_list("name", "duties"))
    assert duties["安泽县财政局"] == "负责落实土地征收、前期开发、闲置土地收回等所需资金。"
    assert "文物考古调查勘探" in duties["安泽县文化和旅游局"]
    assert "土壤污染状况调查报告评审" in duties["临汾市生态环境局安泽分局"]


def test_the_xiangning_group_and_its_rectification_items(demo):
    group = LeadershipGroup.objects.get(region__code="141029")
    assert group.office_director == "袁亚萍"
    assert group.members.first().name == "李乡民"
    assert group.members.count() == 7
    items = RectificationItem.objects.filter(county__code="141029")
    assert items.count() == 7
    deadlines = {item.section: item.deadline for item in items}
    assert deadlines["二、（一）1"] == datetime.date(2022, 9, 15)
    assert deadlines["二、（一）3（2）"] == datetime.date(2022, 12, 30)
    assert deadlines["二、（二）2"] == datetime.date(2022, 10, 31)
    last = items.get(section="二、（二）2")
    assert {u.name for u in last.responsible_units.all()} == {
        "乡宁县相关乡镇政府",
        "乡宁县自然资源局",
        "乡宁县行政审批服务管理局",
    }


def test_every_demo_object_passes_the_models_own_rules(demo):
    for model in (
        Region,
        Unit,
        LeadershipGroup,
        GroupMember,
        Parcel,
        Disposal,
        ProgressNote,
        Campaign,
        CampaignPhase,
        CountyTask,
        Milestone,
        RectificationItem,
    ):
        for obj in model.objects.all():
            try:
                obj.full_clean()
            except ValidationError as error:  # pragma: no cover - the message is the point
                pytest.fail(f"{model.__name__} {obj.pk}: {error}")


def test_demo_parcels_disposed_area_matches_their_disposals(demo):
    for parcel in Parcel.objects.all():
        total = parcel.disposals.aggregate(total=Sum("area_mu"))["total"] or Decimal("0")
        assert parcel.disposed_area_mu == total, parcel.code


def test_demo_setup_is_repeatable_and_creates_the_demo_logins(db, capsys):
    call_command("demo_setup")
    call_command("demo_setup")
    assert Parcel.objects.count() == 12
    out = capsys.readouterr().out
    for username in ("demo_admin", "demo_city", "demo_anze", "demo_anze_office", "demo_xiangning"):
        assert username in out
    from leadership.models import User

    admin = User.objects.get(username="demo_admin")
    assert admin.is_superuser and admin.check_password("landtrack-demo")
    assert User.objects.get(username="demo_city").region.code == "141000"
