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
    # DOMAIN.md §3, as listed there.
    assert dict(counties.values_list("code", "name")) == {
        "141002": "尧都区",
        "141021": "曲沃县",
        "141022": "翼城县",
        "141023": "襄汾县",
        "141024": "洪洞县",
        "141025": "古县",
        "141026": "安泽县",
        "141027": "浮山县",
        "141028": "吉县",
        "141029": "乡宁县",
        "141030": "大宁县",
        "141031": "隰县",
        "141032": "永和县",
        "141033": "蒲县",
        "141034": "汾西县",
        "141081": "侯马市",
        "141082": "霍州市",
    }
    assert list(Region.objects.filter(parent__code="141026", level="town").values_list("code", "name")) == [
        ("141026100", "府城镇"),
        ("141026101", "和川镇"),
        ("141026102", "唐城镇"),
        ("141026103", "冀氏镇"),
        ("141026104", "良马镇"),
        ("141026105", "马壁镇"),
    ]
    assert list(Region.objects.filter(parent__code="141029", level="town").values_list("code", "name")) == [
        ("141029100", "昌宁镇"),
        ("141029101", "光华镇"),
        ("141029102", "台头镇"),
        ("141029103", "管头镇"),
        ("141029104", "西坡镇"),
        ("141029200", "双鹤乡"),
        ("141029201", "关王庙乡"),
        ("141029202", "尉庄乡"),
        ("141029203", "西交口乡"),
        ("141029204", "枣岭乡"),
    ]


def test_regions_hold_no_development_zone_their_codes_are_the_demos(regions):
    # The zones' nine-digit codes are illustrative (DOMAIN.md §3 lists no zone), so they come with the demo,
    # not with the reference data a deployment loads.
    assert not Region.objects.filter(level="zone").exists()


def test_regions_load_twice_without_duplicates(regions):
    call_command("loaddata", "regions", verbosity=0)
    # 临汾市 + 17 counties + 6 towns of 安泽 + 10 of 乡宁
    assert Region.objects.count() == 1 + 17 + 6 + 10


def test_the_demo_adds_the_two_development_zones_the_notices_name(demo):
    assert list(Region.objects.filter(level="zone").values_list("code", "name", "parent__code")) == [
        ("141026400", "安泽经济技术开发区", "141026"),
        ("141029400", "乡宁生态文化旅游示范区", "141029"),
    ]


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
    assert campaign.issuer == "安泽县人民政府办公室"
    assert (campaign.scope_start_year, campaign.scope_end_year) == (2009, 2022)
    assert [(p.name, p.start_date, p.end_date) for p in campaign.phases.all()] == [
        ("安排部署阶段", datetime.date(2023, 5, 10), datetime.date(2023, 5, 30)),
        ("清理处置阶段", datetime.date(2023, 5, 31), datetime.date(2023, 11, 30)),
        ("总结提高阶段", datetime.date(2023, 12, 1), datetime.date(2023, 12, 31)),
    ]
    assert campaign.leadership_group.name == "安泽县2023年度清理“批而未用”土地专项行动领导小组"


# The attachment of 安政办发〔2023〕16号, line by line ("付 强" is printed with a space: the name is 付强).
ANZE_GROUP = [
    ("组长", "张国强", "政府副县长"),
    ("副组长", "付强", "安泽经济技术开发区管委会副主任"),
    ("副组长", "薛金权", "自然资源局局长"),
    ("成员", "党辉亮", "政府办电子政务中心主任"),
    ("成员", "王文亮", "财政局副局长"),
    ("成员", "王建华", "临汾市生态环境局安泽分局局长"),
    ("成员", "雷军", "住房保障和城乡建设局局长"),
    ("成员", "赵龙", "文化和旅游局局长"),
    ("成员", "牛宏军", "行政审批局局长"),
    ("成员", "王军", "工信局局长"),
    ("成员", "侯勇军", "促投中心主任"),
    ("成员", "段东", "府城镇镇长"),
    ("成员", "曹斌", "唐城镇镇长"),
    ("成员", "袁翠英", "和川镇镇长"),
    ("成员", "张甜", "冀氏镇镇长"),
    ("成员", "李泽敏", "良马镇镇长"),
    ("成员", "娄雁楠", "马壁镇镇长"),
]


def test_the_anze_leadership_group_is_as_published(demo):
    group = LeadershipGroup.objects.get(region__code="141026")
    assert (group.document_number, group.document_date) == ("安政办发〔2023〕16号", datetime.date(2023, 6, 9))
    assert group.office_unit.name == "安泽县自然资源局"
    assert group.office_director == "薛金权"
    assert group.office_duties == "负责专项行动的协调联络、数据汇总、报告整理等日常工作"
    members = [(m.get_role_display(), m.name, m.title) for m in group.members.all()]
    assert members == ANZE_GROUP


# 五（三）: each department's duty as printed; the shared sentence on 住建、交通、水利、工信 goes to each of them.
SHARED_DUTY = (
    "住建、交通、水利、工信等部门分别负责协调督促相关建设单位申报并配合完成保障性住房、市政道路、公园、绿地、"
    "公路、铁路、水利等项目用地手续办理。"
)
MEMBER_DUTY = (
    "各成员单位要明确目标任务、落实工作责任、严明工作纪律、全面履职尽责，各司其职，合力推进专项行动。"
)
ANZE_DUTIES = {
    "安泽县自然资源局": "负责梳理排查“批而未用”土地底数和情况，拟定分类处置意见，"
    "牵头做好专项行动综合协调以及土地供应、规划手续办理等工作。",
    "安泽县财政局": "负责落实土地征收、前期开发、闲置土地收回等所需资金。",
    "安泽县行政审批局": "负责加快办理“批而未用”土地、“闲置土地”涉及的项目审批。",
    "临汾市生态环境局安泽分局": "负责组织做好待供应土地土壤污染状况调查报告评审等工作。",
    "安泽县文化和旅游局": "负责组织做好待供应土地文物考古调查勘探等工作。",
    "安泽县促投中心": "负责协调做好待供应土地涉及的项目招商有关事项。",
    "安泽县工信局": "负责协调督促完成专项行动相关任务；" + SHARED_DUTY,
    "安泽县住房保障和城乡建设局": SHARED_DUTY,
    "安泽县交通运输局": SHARED_DUTY,
    "安泽县水利局": SHARED_DUTY,
    "安泽县人民政府办公室": MEMBER_DUTY,
    "安泽经济技术开发区管委会": "开发区管委会要按照本辖区内批而未供土地牵头开展开发区范围内“批而未用”清理工作。",
    "府城镇人民政府": MEMBER_DUTY,
    "唐城镇人民政府": MEMBER_DUTY,
    "和川镇人民政府": MEMBER_DUTY,
    "冀氏镇人民政府": MEMBER_DUTY,
    "良马镇人民政府": MEMBER_DUTY,
    "马壁镇人民政府": MEMBER_DUTY,
}


def test_the_anze_units_carry_their_duties_from_part_five_three(demo):
    assert dict(Unit.objects.filter(region__code="141026").values_list("name", "duties")) == ANZE_DUTIES


def test_the_xiangning_group_is_as_published(demo):
    group = LeadershipGroup.objects.get(region__code="141029")
    assert group.name == "乡宁县推进清理“批而未用”土地专项督察反馈问题整改工作领导小组"
    assert (group.document_number, group.document_date) == ("乡政办发〔2022〕60号", datetime.date(2022, 9, 5))
    assert (group.office_unit.name, group.office_director) == ("乡宁县自然资源局", "袁亚萍")
    assert [(m.get_role_display(), m.name, m.title) for m in group.members.all()] == [
        ("组长", "李乡民", "县政府副县长"),
        ("成员", "贺琦", "县政府办公室副科级干部"),
        ("成员", "汪峰", "县自然资源局局长"),
        ("成员", "贺振龙", "县行政审批服务管理局局长"),
        ("成员", "杨彦龙", "县财政局局长"),
        ("成员", "周彦喜", "县住房和城乡建设管理局局长"),
        ("成员", "", "涉及乡镇政府主要负责人"),
    ]


def test_the_xiangning_task_is_the_26_96_mu_the_city_bureau_assigned(demo):
    task = CountyTask.objects.get(county__code="141029", year=2022)
    assert (task.category, task.target_area_mu, task.assigned_by) == (
        "unsupplied",
        Decimal("26.9600"),
        "临汾市规划和自然资源局",
    )
    assert (task.start_date, task.end_date) == (datetime.date(2022, 1, 1), datetime.date(2022, 12, 31))
    assert task.campaign.document_number == "乡政办发〔2022〕60号"
    assert task.campaign.document_date == datetime.date(2022, 9, 5)


def test_the_xiangning_rectification_items_are_the_notices_with_deadlines_and_units(demo):
    items = RectificationItem.objects.filter(county__code="141029").prefetch_related("responsible_units")
    assert [
        (
            item.section,
            item.deadline,
            item.lead_unit.name if item.lead_unit else None,
            {u.name for u in item.responsible_units.all()},
        )
        for item in items
    ] == [
        (
            "二、（一）1",
            datetime.date(2022, 9, 15),
            "乡宁生态文化旅游示范区管委会",
            {"乡宁生态文化旅游示范区管委会", "乡宁县自然资源局"},
        ),
        (
            "二、（一）2",
            datetime.date(2022, 9, 15),
            "乡宁生态文化旅游示范区管委会",
            {"乡宁生态文化旅游示范区管委会", "乡宁县推进“标准地”改革工作领导小组成员单位"},
        ),
        (
            "二、（一）3（1）",
            datetime.date(2022, 9, 30),
            "乡宁生态文化旅游示范区管委会",
            {"乡宁生态文化旅游示范区管委会", "乡宁县推进“标准地”改革工作领导小组成员单位"},
        ),
        (
            "二、（一）3（2）",
            datetime.date(2022, 12, 30),
            "乡宁生态文化旅游示范区管委会",
            {"乡宁生态文化旅游示范区管委会", "乡宁县推进“标准地”改革工作领导小组成员单位"},
        ),
        (
            "二、（一）3（3）",
            datetime.date(2022, 12, 30),
            "乡宁生态文化旅游示范区管委会",
            {"乡宁生态文化旅游示范区管委会", "乡宁县推进“标准地”改革工作领导小组成员单位"},
        ),
        # 成立工作专班: no deadline and no unit printed; the notice itself set the group up.
        ("二、（二）1", None, None, set()),
        # 整改时限：2022 年 10 月 31 日前 (the text adds 11 月底前全面完成, the task's last milestone).
        (
            "二、（二）2",
            datetime.date(2022, 10, 31),
            "乡宁县自然资源局",
            {"乡宁县相关乡镇政府", "乡宁县自然资源局", "乡宁县行政审批服务管理局"},
        ),
    ]
    assert [item.title for item in items][:2] == ["明确责任主体，压实工作责任", "完善工作制度，健全改革机制"]
    assert [item.title for item in items][5:] == ["成立工作专班", "明确工作任务，倒排清理时间"]
    assert "11月底前全面完成，11月底前最少完成供地3.25亩" in items.get(section="二、（二）2").description
    done = items.get(section="二、（二）1")
    assert (done.status, done.completed_date) == ("done", datetime.date(2022, 9, 5))


def test_the_demo_parcels_are_named_as_examples_in_both_counties_towns(demo):
    parcels = Parcel.objects.select_related("county", "town")
    assert all(parcel.name.startswith("（示例）") for parcel in parcels)
    assert {parcel.county.name for parcel in parcels} == {"安泽县", "乡宁县"}
    assert all(parcel.town.parent_id == parcel.county_id for parcel in parcels)


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
