"""The Django admin as county staff use it: Chinese pages, pinned query counts, refusals next to fields."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from leadership.models import Region
from parcels.models import Disposal, Parcel
from tests.admin_forms import admin_form_data
from tests.factories import ParcelFactory, UserFactory
from tests.helpers import database_snapshot

pytestmark = pytest.mark.django_db

# (admin url name, object looked up for change pages, queries) — with the demo loaded. A change
# that adds a query per row makes these fail: fix the queryset, not the number. The ContentType cache
# starts empty in every test (conftest), so change pages count its one lookup.
# Changelists filtered by region read the provinces and cities once more for the admin (whose scope may
# span provinces: landtrack.admin_base.ProvinceFilter).
PAGES = [
    ("leadership_region_changelist", None, 5),
    ("leadership_region_change", ("leadership.Region", {"code": "141026"}), 5),
    ("leadership_unit_changelist", None, 7),
    ("leadership_unit_add", None, 4),
    # Change pages of models without a version read their newest history id (and their inline rows'),
    # the guard against saving over someone else's newer save: one query per history table.
    ("leadership_unit_change", ("leadership.Unit", {"name": "安泽县财政局"}), 7),
    ("leadership_leadershipgroup_changelist", None, 7),
    ("leadership_leadershipgroup_add", None, 7),
    ("leadership_leadershipgroup_change", ("leadership.LeadershipGroup", {"region__code": "141026"}), 11),
    ("leadership_user_changelist", None, 5),
    ("leadership_user_add", None, 4),
    ("parcels_parcel_changelist", None, 6),  # counted from ParcelCount; no town filter till a county
    ("parcels_parcel_add", None, 6),
    # The boundary panel: the boundary comes with the parcel (and its county, one query fewer), plus one
    # query for its upload history — the same with or without a boundary.
    # The newest change of its notes (and an idle parcel's procedure), which raise no version: one statement.
    ("parcels_parcel_change", ("parcels.Parcel", {"code": "XN2022-003"}), 11),
    ("tasks_campaign_changelist", None, 8),
    ("tasks_campaign_add", None, 5),
    ("tasks_campaign_change", ("tasks.Campaign", {"year": 2023}), 9),  # its and its phases' history: one statement
    ("tasks_countytask_changelist", None, 9),
    ("tasks_countytask_add", None, 6),
    ("tasks_countytask_change", ("tasks.CountyTask", {"year": 2022}), 10),
    ("tasks_rectificationitem_changelist", None, 8),
    ("tasks_rectificationitem_add", None, 7),
    ("tasks_rectificationitem_change", ("tasks.RectificationItem", {"section": "二、（二）2"}), 10),
]


# Admin pages of what the demo does not hold (tokens, sign-in records, supply records): three rows each
# (admin_extra_rows). The sign-in records' lists also read their date hierarchy and filter choices.
PAGES += [
    ("leadership_user_change", ("leadership.User", {"username": "demo_2"}), 5),
    ("leadership_apitoken_changelist", None, 5),
    ("leadership_apitoken_add", None, 4),
    ("leadership_apitoken_change", ("leadership.ApiToken", {"user__username": "demo_2"}), 6),
    ("axes_accessattempt_changelist", None, 8),
    ("axes_accessattempt_change", ("axes.AccessAttempt", {"username": "demo_2"}), 5),
    ("axes_accesslog_changelist", None, 8),
    ("axes_accesslog_change", ("axes.AccessLog", {"username": "demo_2"}), 4),
    ("axes_accessfailurelog_changelist", None, 8),
    ("axes_accessfailurelog_change", ("axes.AccessFailureLog", {"username": "demo_2"}), 4),
    ("parcels_supplyrecord_changelist", None, 8),
    ("parcels_supplyrecord_change", ("parcels.SupplyRecord", {"supervision_number": "1410292022B00002"}), 6),
    # An idle parcel with its 令53 procedure: the deadlines read the parcel's facts the page has read.
    ("parcels_parcel_change", ("parcels.Parcel", {"code": "AZ-XZ-003"}), 12),
]

# Models whose rows come from elsewhere (reference data, the monitoring system, sign-in records): no add page.
NO_ADD_PAGE = [
    "leadership_region_add",
    "parcels_supplyrecord_add",
    "axes_accessattempt_add",
    "axes_accesslog_add",
    "axes_accessfailurelog_add",
]


@pytest.fixture
def admin_extra_rows(demo):
    """Three rows of each admin-listed model the demo does not hold."""
    import datetime as dt

    from axes.models import AccessAttempt, AccessFailureLog, AccessLog
    from django.utils import timezone
    from rest_framework.authtoken.models import Token

    from parcels.models import IdleProcedure, SupplyRecord

    now = timezone.now()
    for number in range(1, 4):
        user = UserFactory(username=f"demo_{number}")
        Token.objects.create(user=user)
        seen = dict(user_agent="Mozilla/5.0", ip_address=f"10.0.0.{number}", username=user.username)
        seen.update(http_accept="text/html", path_info="/admin/login/")
        AccessAttempt.objects.create(**seen, get_data="", post_data="", failures_since_start=number)
        AccessLog.objects.create(**seen, attempt_time=now)
        AccessFailureLog.objects.create(**seen, attempt_time=now, locked_out=False)
        SupplyRecord.objects.create(
            county=Parcel.objects.filter(county__code="141029").first().county,
            supervision_number=f"1410292022B0000{number}",
            project_name=f"（示例）供地项目{number}",
            land_user="（示例）某公司",
            supply_method="transfer",
            area_ha=Decimal("1.2000"),
            contract_date=dt.date(2022, 3, number),
            agreed_start_date=dt.date(2022, 9, number),
        )
    IdleProcedure.objects.create(
        parcel=Parcel.objects.get(code="AZ-XZ-003"),
        found_date=dt.date(2022, 1, 1),
        notice_date=dt.date(2022, 2, 1),
    )


@pytest.mark.parametrize("name, lookup, queries", PAGES, ids=[page[0] for page in PAGES])
def test_admin_page_loads_in_chinese_with_a_pinned_query_count(
    admin_client_demo, admin_extra_rows, django_assert_num_queries, name, lookup, queries
):
    from django.apps import apps

    args = []
    if lookup:
        model, filters = lookup
        args = [apps.get_model(model).objects.get(**filters).pk]
    url = reverse(f"admin:{name}", args=args)
    with django_assert_num_queries(queries):
        response = admin_client_demo.get(url)
    assert response.status_code == 200
    assert 'lang="zh-hans"' in response.content.decode()


@pytest.mark.parametrize("name", NO_ADD_PAGE)
def test_models_filled_from_elsewhere_have_no_add_page(admin_client_demo, name):
    assert admin_client_demo.get(reverse(f"admin:{name}")).status_code == 403


def test_every_page_of_every_registered_model_admin_has_a_pinned_query_count(rf, superuser):
    from django.contrib import admin

    request = rf.get("/admin/")
    request.user = superuser
    expected = set()
    for model, model_admin in admin.site._registry.items():
        prefix = f"admin:{model._meta.app_label}_{model._meta.model_name}"
        expected |= {f"{prefix}_changelist", f"{prefix}_change"}
        if model_admin.has_add_permission(request):
            expected.add(f"{prefix}_add")
    pinned = {f"admin:{name}" for name, _, _ in PAGES}
    refused_adds = {f"admin:{name}" for name in NO_ADD_PAGE}
    assert expected - pinned == set()
    assert pinned - expected == set()
    assert refused_adds & expected == set()


def test_parcel_changelist_queries_do_not_grow_with_rows(
    admin_client_demo, django_assert_num_queries, regions
):
    for number in range(30):
        ParcelFactory(county=regions["141026"], town=regions["141026101"], code=f"MORE-{number:03d}")
    with django_assert_num_queries(6):
        response = admin_client_demo.get(reverse("admin:parcels_parcel_changelist"), {"all": ""})
    assert response.status_code == 200


def test_parcel_changelist_shows_remaining_area_and_status(admin_client_demo):
    response = admin_client_demo.get(reverse("admin:parcels_parcel_changelist"), {"q": "XN2022-003"})
    page = response.content.decode()
    # 8.50 − 7.25 = 1.25 亩 remaining: partly disposed of.
    assert "8.50" in page and "7.25" in page and "1.25" in page
    assert "部分处置" in page


def test_parcel_changelist_filters_pending_parcels(admin_client_demo):
    response = admin_client_demo.get(reverse("admin:parcels_parcel_changelist"), {"status": "pending"})
    codes = sorted(p.code for p in response.context["cl"].result_list)
    assert codes == ["AZ-PW-004", "AZ-PW-005", "AZ-XZ-003", "XN2022-004"]


@pytest.mark.parametrize(
    "query, expected",
    [
        ("晋政地字〔2019〕112号", ["AZ-PW-001"]),
        ("1410262021B00005", ["AZ-XZ-003"]),
        ("某新材料", ["AZ-XZ-001"]),
        ("台头镇道路", ["XN2022-003"]),
    ],
)
def test_parcel_search_by_approval_supervision_number_land_user_and_name(admin_client_demo, query, expected):
    response = admin_client_demo.get(reverse("admin:parcels_parcel_changelist"), {"q": query})
    assert [p.code for p in response.context["cl"].result_list] == expected


def test_parcel_filters_by_town_and_by_disposal_method(admin_client_demo):
    url = reverse("admin:parcels_parcel_changelist")
    by_town = admin_client_demo.get(url, {"town": "141029102"}).context["cl"].result_list
    assert [p.code for p in by_town] == ["XN2022-003"]
    by_method = admin_client_demo.get(url, {"disposal_method": "supply_allocation"}).context["cl"].result_list
    assert sorted(p.code for p in by_method) == ["AZ-PW-002", "XN2022-002"]


def town_choices(client, **query):
    """The town filter's choices on the parcel list (codes), or None when the filter is not shown."""
    response = client.get(reverse("admin:parcels_parcel_changelist"), query)
    assert response.status_code == 200
    for spec in response.context["cl"].filter_specs:  # only the filters shown
        if getattr(spec, "parameter_name", None) == "town":
            return [code for code, _ in spec.lookup_choices]
    return None


def test_the_town_filter_lists_the_towns_of_one_county(client, demo, superuser, city_linfen, clerk_anze):
    anze_towns = sorted(Region.objects.filter(parent__code="141026").values_list("code", flat=True))
    xiangning_towns = sorted(Region.objects.filter(parent__code="141029").values_list("code", flat=True))
    assert anze_towns and xiangning_towns
    client.force_login(superuser)
    # Several counties in scope and none chosen: not offered (the country's would be 20,000 links).
    assert town_choices(client) is None
    assert town_choices(client, county="141026") == anze_towns
    # A town chosen by link, its county not: that county's towns, and the list is filtered.
    assert town_choices(client, town="141029102") == xiangning_towns
    client.force_login(city_linfen)
    assert town_choices(client) is None
    assert town_choices(client, county="141029") == xiangning_towns
    # A county's clerk has one county: its towns from the start, and only those.
    client.force_login(clerk_anze)
    assert town_choices(client) == anze_towns
    assert town_choices(client, county="141029") is None  # not theirs: nothing offered


def change_page(client, parcel):
    return client.get(reverse("admin:parcels_parcel_change", args=[parcel.pk]))


def test_adding_a_disposal_in_the_admin_lowers_the_remaining_area(admin_client_demo):
    parcel = Parcel.objects.get(code="XN2022-004")
    response = change_page(admin_client_demo, parcel)
    data = admin_form_data(
        response,
        **{
            "disposals-1-method": "approval_adjusted",
            "disposals-1-area_mu": "1.5",
            "disposals-1-date": "2022-10-20",
            "disposals-0-method": "approval_adjusted",
            "disposals-0-area_mu": "1.5",
            "disposals-0-date": "2022-10-20",
        },
    )
    response = admin_client_demo.post(response.request["PATH_INFO"], data)
    assert response.status_code == 302, response.context["errors"] if response.context else response
    parcel.refresh_from_db()
    assert parcel.remaining_area_mu == Decimal("0.5000")
    disposal = parcel.disposals.get()
    assert disposal.created_by.username == "root"


def test_an_inline_disposal_beyond_the_remaining_area_is_shown_and_nothing_is_saved(admin_client_demo):
    parcel = Parcel.objects.get(code="XN2022-003")
    response = change_page(admin_client_demo, parcel)
    before = database_snapshot()
    data = admin_form_data(
        response,
        **{
            "disposals-1-method": "approval_adjusted",
            "disposals-1-area_mu": "1.26",
            "disposals-1-date": "2022-10-20",
        },
    )
    response = admin_client_demo.post(response.request["PATH_INFO"], data)
    assert response.status_code == 200
    page = response.content.decode()
    assert "超过地块剩余面积 1.2500 亩" in page or "超过地块面积 8.5000 亩" in page
    assert database_snapshot() == before


def test_a_bad_field_is_reported_next_to_it_in_chinese(admin_client_demo):
    parcel = Parcel.objects.get(code="XN2022-004")
    response = change_page(admin_client_demo, parcel)
    before = database_snapshot()
    data = admin_form_data(response, area_mu="-2", approval_number="")
    response = admin_client_demo.post(response.request["PATH_INFO"], data)
    assert response.status_code == 200
    form = response.context["adminform"].form
    assert form.errors["area_mu"] == ["面积必须大于 0 亩。"]
    assert form.errors["approval_number"] == ["批而未供地块必须填写批准文号。"]
    assert database_snapshot() == before


def test_saving_over_someone_elses_newer_version_is_refused(admin_client_demo):
    parcel = Parcel.objects.get(code="XN2022-004")
    response = change_page(admin_client_demo, parcel)
    # Meanwhile a colleague records a disposal, which raises the parcel's version.
    from parcels import services

    colleague = UserFactory(username="colleague")
    services.disposal_record(
        parcel=parcel,
        method="approval_adjusted",
        area_mu=Decimal("0.5"),
        date=datetime.date(2022, 10, 1),
        user=colleague,
    )
    data = admin_form_data(response, name="我的修改")
    response = admin_client_demo.post(response.request["PATH_INFO"], data)
    assert response.status_code == 200
    assert "该记录已被colleague于" in response.content.decode()
    assert "您的修改未保存" in response.content.decode()
    parcel.refresh_from_db()
    assert parcel.name != "我的修改"


def test_a_parcel_with_disposals_cannot_be_deleted_in_the_admin(admin_client_demo):
    parcel = Parcel.objects.get(code="XN2022-001")
    url = reverse("admin:parcels_parcel_delete", args=[parcel.pk])
    response = admin_client_demo.post(url, {"post": "yes"})
    assert Parcel.objects.filter(pk=parcel.pk).exists()
    assert Disposal.objects.filter(parcel=parcel).exists()
    assert response.status_code in (200, 403)


def test_a_task_added_without_milestones_gets_the_defaults_in_the_admin(admin_client_demo):
    response = admin_client_demo.get(reverse("admin:tasks_countytask_add"))
    from leadership.models import Region

    data = admin_form_data(
        response,
        county=Region.objects.get(code="141002"),
        year="2024",
        category="unsupplied",
        target_area_mu="40",
    )
    response = admin_client_demo.post(reverse("admin:tasks_countytask_add"), data)
    assert response.status_code == 302
    from tasks.models import CountyTask

    task = CountyTask.objects.get(county__code="141002", year=2024)
    assert list(task.milestones.values_list("target_rate", flat=True)) == [
        Decimal("25.00"),
        Decimal("50.00"),
        Decimal("85.00"),
        Decimal("100.00"),
    ]


def test_task_milestones_that_fall_are_refused_in_the_admin(admin_client_demo):
    from tasks.models import CountyTask

    task = CountyTask.objects.get(county__code="141029", year=2022)
    url = reverse("admin:tasks_countytask_change", args=[task.pk])
    response = admin_client_demo.get(url)
    before = database_snapshot()
    data = admin_form_data(response, **{"milestones-2-target_rate": "45"})
    response = admin_client_demo.post(url, data)
    assert response.status_code == 200
    assert "不高于" in response.content.decode()
    assert database_snapshot() == before


def test_task_milestones_that_cross_while_being_changed_are_saved_as_a_set_in_the_admin(admin_client_demo):
    # 30 June 50 → 90 is above the stored 85 at 30 Sept until that row becomes 95: the inline is judged as a
    # set, not row by row against the stored milestones.
    from tasks.models import CountyTask

    task = CountyTask.objects.get(county__code="141029", year=2022)
    url = reverse("admin:tasks_countytask_change", args=[task.pk])
    response = admin_client_demo.get(url)
    data = admin_form_data(response, **{"milestones-1-target_rate": "90", "milestones-2-target_rate": "95"})
    response = admin_client_demo.post(url, data)
    assert response.status_code == 302, response.context["errors"] if response.context else response
    assert list(task.milestones.values_list("target_rate", flat=True)) == [
        Decimal("25.00"),
        Decimal("90.00"),
        Decimal("95.00"),
        Decimal("100.00"),
    ]


def test_a_task_period_and_its_last_milestone_moved_together_in_the_admin(admin_client_demo):
    from tasks.models import CountyTask

    task = CountyTask.objects.get(county__code="141029", year=2022)
    url = reverse("admin:tasks_countytask_change", args=[task.pk])
    response = admin_client_demo.get(url)
    data = admin_form_data(response, end_date="2022-10-31", **{"milestones-3-due": "2022-10-31"})
    response = admin_client_demo.post(url, data)
    assert response.status_code == 302, response.context["errors"] if response.context else response
    task.refresh_from_db()
    assert task.end_date == datetime.date(2022, 10, 31)
    assert task.milestones.last().due == datetime.date(2022, 10, 31)


def test_a_responsible_unit_of_another_county_is_refused_next_to_the_field(admin_client_demo):
    from leadership.models import Unit
    from tasks.models import RectificationItem

    item = RectificationItem.objects.get(section="二、（二）2")
    url = reverse("admin:tasks_rectificationitem_change", args=[item.pk])
    response = admin_client_demo.get(url)
    anze_bureau = Unit.objects.get(name="安泽县自然资源局")
    before = database_snapshot()
    data = admin_form_data(response, responsible_units=[*item.responsible_units.all(), anze_bureau])
    response = admin_client_demo.post(url, data)
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["responsible_units"] == [
        "责任单位应属于本县，安泽县自然资源局不属于乡宁县。"
    ]
    assert database_snapshot() == before


@pytest.mark.parametrize(
    "params, expected",
    [
        ({"county": "141029"}, ["XN2022-001", "XN2022-002", "XN2022-003", "XN2022-004"]),
        ({"kind__exact": "idle"}, ["AZ-XZ-001", "AZ-XZ-002", "AZ-XZ-003"]),
        ({"unsupplied_reason__exact": "planning_change"}, ["AZ-PW-003", "XN2022-002"]),
        ({"idle_cause__exact": "government"}, ["AZ-XZ-002"]),
        ({"planned_method__exact": "supply_transfer"}, ["AZ-PW-001", "AZ-PW-004", "XN2022-001"]),
        (
            {"status": "disposed"},
            ["AZ-PW-001", "AZ-PW-002", "AZ-XZ-001", "AZ-XZ-002", "XN2022-001", "XN2022-002"],
        ),
        ({"county": "141026", "status": "partial"}, ["AZ-PW-003"]),
    ],
)
def test_parcel_filters_by_county_kind_reason_planned_method_and_status(admin_client_demo, params, expected):
    response = admin_client_demo.get(reverse("admin:parcels_parcel_changelist"), params)
    assert sorted(p.code for p in response.context["cl"].result_list) == expected


def test_no_read_only_field_of_an_admin_page_fails_into_a_dash(
    admin_client_demo, admin_extra_rows, monkeypatch
):
    """The admin shows "-" where a read-only field's value raises AttributeError or ValueError, and says
    nothing: the 令53 procedure's deadlines showed "-" whatever the dates. Every page above, with what each
    read-only field raised, if anything (the crawl of every role's pages records the same)."""
    from django.apps import apps

    failures = record_read_only_field_failures(monkeypatch)
    for name, lookup, _ in PAGES:
        args = []
        if lookup:
            model, filters = lookup
            args = [apps.get_model(model).objects.get(**filters).pk]
        assert admin_client_demo.get(reverse(f"admin:{name}", args=args)).status_code == 200
    assert failures == []


def record_read_only_field_failures(monkeypatch):
    """The list, filled as pages are rendered, of the read-only fields whose value raised (and showed "-").
    A related row that is not there (a sign-in attempt's lockout expiry before any lockout) is "-" on
    purpose: ObjectDoesNotExist is not recorded."""
    from django.contrib.admin import helpers
    from django.core.exceptions import ObjectDoesNotExist

    failures = []
    lookup_field = helpers.lookup_field

    def recorded(name, obj, model_admin=None):
        try:
            return lookup_field(name, obj, model_admin)
        except ObjectDoesNotExist:
            raise
        except Exception as error:
            failures.append(f"{type(obj).__name__}.{name}: {error!r}")
            raise

    monkeypatch.setattr(helpers, "lookup_field", recorded)
    return failures
