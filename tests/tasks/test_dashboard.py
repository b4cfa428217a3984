"""The dashboard pages: who sees what, figures as the progress module gives them, no script, fixed queries."""

import datetime
from decimal import Decimal

import pytest

from leadership.choices import Role
from leadership.models import Region, User
from parcels import services as parcel_services
from tasks import services as task_services
from tasks.catalog import forget
from tests.factories import ParcelFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def signed_in(client, demo):
    def sign_in(role, code):
        client.force_login(
            UserFactory(username=f"{role}{code}", role=role, region=Region.objects.get(code=code))
        )
        return client

    return sign_in


def test_anonymous_visitors_are_sent_to_the_login_page(client, demo):
    response = client.get("/dashboard/")
    assert response.status_code == 302
    assert response.url.startswith("/accounts/login/?next=/dashboard/")
    login = client.get(response.url)
    assert login.status_code == 200 and "登录" in login.content.decode()


def test_a_user_without_a_role_is_refused(client, demo):
    client.force_login(UserFactory(username="nobody", role="", region=None))
    assert client.get("/dashboard/").status_code == 403


def test_the_overview_shows_each_task_against_its_milestones(signed_in):
    page = signed_in(Role.CITY_BUREAU, "141000").get("/dashboard/", {"year": 2022, "as_of": "2022-12-01"})
    assert page.status_code == 200
    (row,) = page.context["rows"]
    assert (row.task.county.code, row.status) == ("141029", "behind")
    html = page.content.decode()
    for figure in ("26.96", "23.71", "87.95%", "100.00%", "3.25", "滞后"):
        assert figure in html
    assert "<script" not in html  # readable without JavaScript


def test_the_year_defaults_to_the_latest_year_with_tasks(signed_in):
    page = signed_in(Role.CITY_BUREAU, "141000").get("/dashboard/")
    assert page.context["view"].year == 2023  # no 2026 task in the demo: the latest year before it


def test_the_office_sees_only_its_county(signed_in):
    client = signed_in(Role.COUNTY_OFFICE, "141029")
    rows = client.get("/dashboard/", {"year": 2023}).context["rows"]
    assert rows == []
    assert client.get("/dashboard/141026/").status_code == 404
    assert client.get("/dashboard/141029/").status_code == 200


def test_sorting_by_rate_descending(signed_in, regions):
    for code, done in (("141002", "30"), ("141021", "10")):
        county = Region.objects.get(code=code)
        task_services.task_create(
            county=county, year=2023, category="unsupplied", target_area_mu=Decimal("100")
        )
        parcel = ParcelFactory(county=county, area_mu=Decimal("100"))
        parcel_services.disposal_record(
            parcel=parcel, method="supply_transfer", area_mu=Decimal(done), date=datetime.date(2023, 3, 1)
        )
    client = signed_in(Role.CITY_BUREAU, "141000")
    rows = client.get(
        "/dashboard/", {"year": 2023, "as_of": "2023-12-31", "sort": "rate", "dir": "desc"}
    ).context["rows"]
    assert [row.task.county.code for row in rows] == ["141026", "141002", "141021"]
    rows = client.get("/dashboard/", {"year": 2023, "as_of": "2023-12-31", "sort": "rate"}).context["rows"]
    assert [row.task.county.code for row in rows] == ["141021", "141002", "141026"]


@pytest.mark.parametrize("params", [{"as_of": "2023-02-30"}, {"year": "abc"}, {"sort": "x", "dir": "y"}])
def test_bad_parameters_fall_back_to_defaults(signed_in, params):
    response = signed_in(Role.CITY_BUREAU, "141000").get("/dashboard/", params)
    assert response.status_code == 200
    assert "已按默认值显示" in response.content.decode()


def test_the_overview_shows_the_reminders_panel(signed_in):
    page = signed_in(Role.COUNTY_OFFICE, "141029").get("/dashboard/", {"year": 2022, "as_of": "2022-09-20"})
    html = page.content.decode()
    assert "需要关注" in html
    assert "逾期 5 天" in html and "明确责任主体，压实工作责任" in html
    assert "10 天后" in html


def test_the_rectification_list_of_a_county(signed_in):
    client = signed_in(Role.COUNTY_OFFICE, "141029")
    page = client.get("/dashboard/141029/rectifications/", {"as_of": "2022-10-01"})
    assert len(page.context["items"]) == 7
    assert page.context["overdue"] == 3  # 15 Sept ×2 and 30 Sept, not done; 二（二）1 was done
    assert client.get("/dashboard/141026/rectifications/").status_code == 404


def test_the_county_page_has_breakdowns_forecast_and_pending_parcels(signed_in):
    page = signed_in(Role.CITY_BUREAU, "141000").get(
        "/dashboard/141026/", {"year": 2023, "as_of": "2023-06-20"}
    )
    html = page.content.decode()
    (row,) = page.context["rows"]
    assert [m.met for m in row.milestones] == [False, None, None, None]
    assert "按乡镇（园区）" in html and "按责任单位" in html and "进度预测" in html
    # Pending on 20 June 2023, as of that date: AZ-PW-001 (12.40) was disposed of on 26 April; the others
    # were disposed of later (or not yet), so their remaining areas then were their whole areas.
    pending = [(p.code, p.remaining) for p in page.context["pending"]]
    assert pending == [
        ("AZ-PW-002", Decimal("18.80")),  # disposed of on 21 June, the day after
        ("AZ-PW-003", Decimal("15.00")),  # 9.60 of it withdrawn on 15 August
        ("AZ-XZ-001", Decimal("12.00")),  # construction started on 12 September
        ("AZ-XZ-002", Decimal("11.50")),  # use adjusted on 20 November
        ("AZ-XZ-003", Decimal("7.65")),
        ("AZ-PW-004", Decimal("6.35")),
        ("AZ-PW-005", Decimal("4.20")),
    ]
    # Read at the year's end, only what is still left then.
    later = signed_in(Role.CITY_BUREAU, "141000").get(
        "/dashboard/141026/", {"year": 2023, "as_of": "2023-12-31"}
    )
    assert [(p.code, p.remaining) for p in later.context["pending"]] == [
        ("AZ-XZ-003", Decimal("7.65")),
        ("AZ-PW-004", Decimal("6.35")),
        ("AZ-PW-003", Decimal("5.40")),  # 15.00 − 9.60
        ("AZ-PW-005", Decimal("4.20")),
    ]
    assert "/admin/parcels/parcel/" in html
    assert "<script" not in html


@pytest.mark.parametrize("extra_counties", [0, 5])
def test_dashboard_query_counts_do_not_grow_with_counties(
    signed_in, django_assert_num_queries, extra_counties
):
    client = signed_in(Role.CITY_BUREAU, "141000")
    for code in ("141002", "141021", "141022", "141023", "141024")[:extra_counties]:
        county = Region.objects.get(code=code)
        task_services.task_create(county=county, year=2023, category="both", target_area_mu=Decimal("10"))
        parcel = ParcelFactory(county=county, area_mu=Decimal("3"))
        parcel_services.disposal_record(
            parcel=parcel, method="supply_transfer", area_mu=Decimal("1"), date=datetime.date(2023, 3, 1)
        )
    forget()
    # session, user, the user's region (header), task years, the city's counties, the catalog stamp,
    # tasks, milestones, the disposed area (the year totals: 2023 is a whole year), and the reminders
    # panel: the city's counties, the stamp, this year's tasks and milestones (none in the demo's years,
    # so no figures to read), rectification items, planned parcels and lapsing approvals (each counted,
    # its 12th-soonest date read, then the soonest read), idle-land procedures
    with django_assert_num_queries(21):
        assert len(client.get("/dashboard/", {"year": 2023}).context["rows"]) == 1 + extra_counties
    # … again, each year's tasks now held by the process: the stamps say they are unchanged
    with django_assert_num_queries(17):
        assert len(client.get("/dashboard/", {"year": 2023}).context["rows"]) == 1 + extra_counties
    # … and on a county page: the county, the town/unit breakdown (2) and the pending parcels
    with django_assert_num_queries(11):
        client.get("/dashboard/141026/", {"year": 2023})


def test_the_pace_forecast_on_the_county_page_worked_by_hand(signed_in):
    client = signed_in(Role.CITY_BUREAU, "141000")
    # 20 June 2023: in the 60 days since 21 April only AZ-PW-001's 12.40 (26 April) → 12.40 ÷ 60 = 0.20666…
    # 亩/day ("0.21"). 50 % = 30 亩: 17.60 missing → 85.16… → 86 days → 14 Sept, after 30 June: 滞后风险.
    # 85 % = 51: 38.60 → 186.77… → 187 days → 24 Dec. 100 % = 60: 47.60 → 230.32… → 231 days → 6 Feb 2024.
    page = client.get("/dashboard/141026/", {"year": 2023, "as_of": "2023-06-20"})
    (row,) = page.context["rows"]
    assert [(f.due, f.expected, f.late) for f in row.forecasts] == [
        (datetime.date(2023, 6, 30), datetime.date(2023, 9, 14), True),
        (datetime.date(2023, 9, 30), datetime.date(2023, 12, 24), True),
        (datetime.date(2023, 11, 30), datetime.date(2024, 2, 6), True),
    ]
    html = page.content.decode()
    assert "0.21 亩/天" in html and "2023年9月14日" in html and html.count("滞后风险") == 3
    # 30 June: 12.40 + 18.80 = 31.20 done; in the 60 days since 1 May, 18.80 → 0.31333… 亩/day.
    # 85 % = 51: 19.80 missing → 63.19… → 64 days → 2 Sept, before 30 Sept: no risk.
    # 100 % = 60: 28.80 → 91.91… → 92 days → 30 Sept, before 30 Nov: no risk.
    page = client.get("/dashboard/141026/", {"year": 2023, "as_of": "2023-06-30"})
    (row,) = page.context["rows"]
    assert [(f.due, f.expected, f.late) for f in row.forecasts] == [
        (datetime.date(2023, 9, 30), datetime.date(2023, 9, 2), False),
        (datetime.date(2023, 11, 30), datetime.date(2023, 9, 30), False),
    ]
    assert "滞后风险</span>" not in page.content.decode()


def test_the_county_page_links_its_rectification_list_at_the_same_date(signed_in):
    html = signed_in(Role.COUNTY_OFFICE, "141029").get("/dashboard/141029/", {"as_of": "2022-10-01"}).content
    assert b'href="/dashboard/141029/rectifications/?year=2022&amp;as_of=2022-10-01"' in html


def test_the_overview_pages_its_rows_but_counts_and_totals_all_of_them(signed_in, monkeypatch):
    from tasks import views

    monkeypatch.setattr(views, "ROWS_PER_PAGE", 4)
    client = signed_in(Role.CITY_BUREAU, "141000")
    for code in ("141002", "141021", "141022", "141023", "141024"):
        task_services.task_create(
            county=Region.objects.get(code=code), year=2023, category="both", target_area_mu=Decimal("10")
        )
    first = client.get("/dashboard/", {"year": 2023, "sort": "county", "dir": "asc"}).context
    second = client.get("/dashboard/", {"year": 2023, "sort": "county", "dir": "asc", "page": 2}).context
    # 尧都 141002, 曲沃 141021, 翼城 141022, 襄汾 141023 | 洪洞 141024, 安泽 141026
    assert [row.task.county.code for row in first["rows"]] == ["141002", "141021", "141022", "141023"]
    assert [row.task.county.code for row in second["rows"]] == ["141024", "141026"]
    assert sum(count for _, count in first["status_counts"]) == 6
    # Five new tasks of 10 亩 and the 安泽 task of 60 亩: 110 亩 on every page.
    assert [total["target_area_mu"] for total in first["totals"]] == [Decimal("110")]
    assert first["totals"] == second["totals"]
    page = client.get("/dashboard/", {"year": 2023, "sort": "county", "dir": "asc"}).content.decode()
    assert "第 1/2 页" in page and "page=2" in page and "下一页" in page


def _reminders_of_every_kind(counties):
    """In each county, as of 5 July 2023: a task behind its 30 June milestone, an overdue rectification
    item, a passed planned date, a lapsed approval and an idle-land investigation notice overdue."""
    from parcels.models import IdleProcedure
    from tasks.models import RectificationItem
    from tests.factories import IdleParcelFactory

    for code in counties:
        county = Region.objects.get(code=code)
        task_services.task_create(county=county, year=2023, category="both", target_area_mu=Decimal("10"))
        task_services.rectification_save(
            item=RectificationItem(county=county, title=f"{code}整改", deadline=datetime.date(2023, 6, 30))
        )
        ParcelFactory(
            county=county,
            code=f"{code}-PL",
            planned_method="supply_transfer",
            planned_date=datetime.date(2023, 7, 1),
        )
        ParcelFactory(
            county=county,
            code=f"{code}-LA",
            expropriation_status="not_started",
            approval_date=datetime.date(2021, 3, 1),
        )
        IdleProcedure(
            parcel=IdleParcelFactory(county=county, code=f"{code}-ID"), found_date=datetime.date(2023, 6, 1)
        ).save()


@pytest.mark.parametrize(
    "counties", [("141002", "141021", "141022"), ("141002", "141021", "141022", "141023", "141024", "141025")]
)
def test_the_reminders_page_and_api_query_counts_do_not_grow_with_reminders(
    signed_in, django_assert_num_queries, counties
):
    _reminders_of_every_kind(counties)
    client = signed_in(Role.CITY_BUREAU, "141000")
    forget()
    # Each county: 5 reminders (milestone, rectification, planned date, lapsed approval, notice due).
    # Session, user; the city's counties, the catalog stamp, tasks, milestones, the year totals and the
    # days of July; rectification items; planned parcels; lapsed approvals; idle-land procedures.
    with django_assert_num_queries(12):
        items = client.get("/api/v1/reminders/", {"as_of": "2023-07-05"}).json()
    assert len([item for item in items if item["county"] in counties]) == 5 * len(counties)
    # … and the page: the same, with the user's region (header) and the task years, the year's tasks now
    # held by the process (the stamp says they are unchanged).
    with django_assert_num_queries(12):
        page = client.get("/dashboard/reminders/", {"as_of": "2023-07-05"})
    assert len([item for item in page.context["reminders"] if item.county in counties]) == 5 * len(counties)


def test_the_reminders_page_is_paged_and_filtered_by_kind(signed_in, monkeypatch):
    from tasks import views

    _reminders_of_every_kind(("141002",))
    client = signed_in(Role.COUNTY_OFFICE, "141002")
    monkeypatch.setattr(views, "REMINDERS_PER_PAGE", 2)

    def shown(response):
        return [(item.kind, item.due.isoformat(), item.days_left) for item in response.context["reminders"]]

    # As of 5 July 2023, worked out by hand, soonest first (then by kind, county, title): the approval of
    # 1 March 2021 lapsed on 2 March 2023 (two full years); the 30 June milestone and the rectification
    # deadline; the investigation notice due 1 July (found 1 June + 30 days: "141002-ID…") and the planned
    # date of 1 July ("141002-PL…"). All five are overdue.
    first = client.get("/dashboard/reminders/", {"as_of": "2023-07-05"})
    assert shown(first) == [("parcel", "2023-03-02", -125), ("milestone", "2023-06-30", -5)]
    assert [(kind["label"], kind["count"]) for kind in first.context["kinds"]] == [
        ("全部", 5),
        ("进度节点", 1),
        ("整改事项", 1),
        ("地块", 3),
    ]
    page = first.content.decode()
    assert "共 5 项，其中已逾期 5 项；第 1–2 项。" in page
    assert "第 1/3 页" in page and "?as_of=2023-07-05&amp;page=2" in page

    second = client.get("/dashboard/reminders/", {"as_of": "2023-07-05", "page": 2})
    assert shown(second) == [("rectification", "2023-06-30", -5), ("parcel", "2023-07-01", -4)]
    assert "141002-ID" in second.context["reminders"][1].title
    last = client.get("/dashboard/reminders/", {"as_of": "2023-07-05", "page": 3})
    assert shown(last) == [("parcel", "2023-07-01", -4)]
    assert "141002-PL" in last.context["reminders"][0].title

    parcels = client.get("/dashboard/reminders/", {"as_of": "2023-07-05", "kind": "parcel", "page": 2})
    assert shown(parcels) == [("parcel", "2023-07-01", -4)]
    assert "141002-PL" in parcels.context["reminders"][0].title
    page = parcels.content.decode()
    assert "共 3 项，其中已逾期 3 项；第 3–3 项。" in page
    assert "<strong>地块（3）</strong>" in page and "?as_of=2023-07-05&amp;kind=parcel&amp;page=1" in page
    # The date form keeps the kind chosen, and asks no year: reminders are of every task open on the date.
    assert '<input type="hidden" name="kind" value="parcel">' in page
    assert 'name="as_of"' in page and 'name="year"' not in page
    assert 'name="year"' in client.get("/dashboard/", {"as_of": "2023-07-05"}).content.decode()


@pytest.mark.parametrize(
    "query",
    [{"kind": "nothing"}, {"page": "abc"}, {"page": "0"}, {"page": "99999"}, {"kind": "<b>", "page": "-1"}],
)
def test_the_reminders_page_reads_a_bad_kind_or_page_as_all_and_the_nearest_page(signed_in, query):
    _reminders_of_every_kind(("141002",))
    client = signed_in(Role.CITY_BUREAU, "141000")
    response = client.get("/dashboard/reminders/", {"as_of": "2023-07-05", **query})
    assert response.status_code == 200
    assert response.context["kind"] == ""
    assert len(response.context["reminders"]) == len(
        client.get("/api/v1/reminders/", {"as_of": "2023-07-05"}).json()
    )


def test_the_overview_panel_reuses_its_rows_figures_and_shows_what_the_panel_alone_shows(
    signed_in, django_assert_num_queries
):
    from tasks.reminders import as_read_by, reminder_panel
    from tasks.views import PANEL_LIMIT

    _reminders_of_every_kind(("141002", "141021"))
    client = signed_in(Role.CITY_BUREAU, "141000")
    as_of = datetime.date(2023, 7, 5)
    client.get("/dashboard/", {"as_of": "2023-07-05"})  # the year's tasks now held by the process
    # Session, user, task years, the city's counties, the catalog stamp, the year totals and the days of
    # July; the panel: no milestone figures of its own (the rows' are this year's, as of the same date:
    # the four queries before are not run again), only the catalog stamp again, for the tasks of other
    # years open on the date (none here, so no scope and no figures to read for them), rectification
    # items, planned parcels and lapsing approvals (each counted, its 12th-soonest date read, then the
    # soonest read), idle-land procedures; the user's region (header).
    with django_assert_num_queries(17):
        shown = client.get("/dashboard/", {"as_of": "2023-07-05"}).context["reminders"]
    user = User.objects.get(username=f"{Role.CITY_BUREAU}141000")
    alone = reminder_panel(user, as_of, PANEL_LIMIT).items
    assert shown == as_read_by(user, alone)
    milestones = [item for item in shown if item.kind == "milestone"]
    assert {item.county for item in milestones} == {"141002", "141021"}
    assert {item.url for item in milestones} == {
        "/dashboard/141002/?year=2023&as_of=2023-07-05",
        "/dashboard/141021/?year=2023&as_of=2023-07-05",
    }
    # Another year's rows are not this year's figures: the panel works out its own (2023's) again.
    other = client.get("/dashboard/", {"year": 2022, "as_of": "2023-07-05"}).context["reminders"]
    assert other == as_read_by(user, alone)


def test_a_county_dashboard_url_is_made_as_reverse_makes_it():
    from django.urls import reverse

    from tasks.reminders import _url_of

    url_of = _url_of("dashboard-county", "000000")
    for code in ("141026", "000001", "950101"):
        assert url_of(code) == reverse("dashboard-county", args=[code])
