"""A review of disposals (处置记录) on every path that writes them: admin, API, service, shell.

Each test states a rule of DOMAIN.md or API.md and checks it on one path; figures are worked out by hand.
After every test the kept totals (parcels.rollup) are compared with the ledger (tests/conftest.py).
"""

import datetime
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from leadership.choices import Role
from parcels import services
from parcels.models import Disposal, DisposalYearTotal, Parcel
from parcels.rollup import rollup_drift
from tests.admin_forms import admin_form_data
from tests.api.harness import client_for
from tests.factories import IdleParcelFactory, ParcelFactory, UserFactory
from tests.helpers import database_snapshot, refused

pytestmark = pytest.mark.django_db

D = Decimal


@pytest.fixture
def parcel(anze):
    """An 安泽 批而未供 parcel of 10 亩 approved on 2020-03-01."""
    return ParcelFactory(county=anze, code="AZ-R-01")


@pytest.fixture
def admin_clerk(client, clerk_anze):
    client.force_login(clerk_anze)
    return client


def change_url(parcel):
    return reverse("admin:parcels_parcel_change", args=[parcel.pk])


def add_url():
    return reverse("admin:parcels_parcel_add")


# --- the admin ---------------------------------------------------------------------------------------------


def new_parcel_post(response, **changes):
    """The admin add form of an 安泽 批而未供 parcel, with ``changes`` on top."""
    return admin_form_data(
        response,
        county="141026",
        code="AZ-NEW-1",
        name="新地块",
        kind="unsupplied",
        area_mu="10",
        approval_number="晋政地字〔2021〕3号",
        approval_date="2021-05-01",
        expropriation_status="completed",
        unsupplied_reason="no_user",
        **changes,
    )


@pytest.mark.parametrize(
    ("date", "message"),
    [
        ("2099-01-01", "完成日期不能晚于今天"),
        ("2021-04-30", "完成日期不能早于地块的批准时间 2021年5月1日"),
    ],
)
def test_admin_a_new_parcels_inline_disposal_with_a_bad_date_is_shown_on_its_row(
    admin_clerk, anze, date, message
):
    response = admin_clerk.get(add_url())
    data = new_parcel_post(
        response,
        **{"disposals-0-method": "supply_transfer", "disposals-0-area_mu": "2", "disposals-0-date": date},
    )
    data["county"] = str(anze.pk)
    before = database_snapshot()
    response = admin_clerk.post(add_url(), data)
    assert response.status_code == 200, response.get("Location")
    errors = [
        form.errors for formset in response.context["inline_admin_formsets"] for form in formset.formset
    ]
    assert any(message in text for row in errors for text in row.get("date", [])), errors
    # What was typed is still on the page, not lost to a redirect.
    assert response.context["adminform"].form["code"].value() == "AZ-NEW-1"
    assert database_snapshot() == before


def inline_errors(response, field):
    """The messages the disposal rows of an admin page show on ``field``."""
    return [
        text
        for formset in response.context["inline_admin_formsets"]
        if formset.formset.model is Disposal
        for form in formset.formset
        for text in form.errors.get(field, [])
    ]


def test_admin_a_new_parcels_inline_disposal_is_checked_against_the_parcel_typed_above_it(admin_clerk, anze):
    # More than the 10 亩 typed above: refused on the row (besides the page's total), nothing lost.
    response = admin_clerk.get(add_url())
    data = new_parcel_post(
        response,
        **{
            "disposals-0-method": "supply_transfer",
            "disposals-0-area_mu": "10.0001",
            "disposals-0-date": "2022-01-05",
        },
    )
    data["county"] = str(anze.pk)
    before = database_snapshot()
    response = admin_clerk.post(add_url(), data)
    assert response.status_code == 200
    assert inline_errors(response, "area_mu") == ["处置面积 10.0001 亩超过地块面积 10.0000 亩。"]
    assert database_snapshot() == before


def test_admin_a_new_parcel_with_its_first_disposal_is_saved_with_both(admin_clerk, anze):
    response = admin_clerk.get(add_url())
    data = new_parcel_post(
        response,
        **{
            "disposals-0-method": "supply_lease",
            "disposals-0-area_mu": "2.5",
            "disposals-0-date": "2022-01-05",
        },
    )
    data["county"] = str(anze.pk)
    response = admin_clerk.post(add_url(), data)
    assert response.status_code == 302
    parcel = Parcel.objects.get(code="AZ-NEW-1")
    assert (parcel.disposed_area_mu, parcel.remaining_area_mu) == (D("2.5000"), D("7.5000"))
    disposal = parcel.disposals.get()
    assert (disposal.county_id, disposal.kind, disposal.created_by.username) == (
        anze.pk,
        "unsupplied",
        "clerk_anze",
    )


def test_admin_an_inline_method_of_the_other_kind_is_shown_once_on_its_row(admin_clerk, parcel):
    response = admin_clerk.get(change_url(parcel))
    data = admin_form_data(
        response,
        **{
            "disposals-0-method": "construction_started",
            "disposals-0-area_mu": "2",
            "disposals-0-date": "2022-01-05",
        },
    )
    before = database_snapshot()
    response = admin_clerk.post(change_url(parcel), data)
    assert response.status_code == 200
    assert inline_errors(response, "method") == ["“动工开发”不是批而未供的处置方式。"]
    assert database_snapshot() == before


def test_admin_a_parcels_area_raised_and_a_disposal_of_the_new_area_are_saved_together(admin_clerk, parcel):
    response = admin_clerk.get(change_url(parcel))
    data = admin_form_data(
        response,
        area_mu="15",
        **{
            "disposals-0-method": "supply_transfer",
            "disposals-0-area_mu": "12",
            "disposals-0-date": "2022-01-05",
        },
    )
    assert admin_clerk.post(change_url(parcel), data).status_code == 302
    parcel.refresh_from_db()
    assert (parcel.area_mu, parcel.disposed_area_mu) == (D("15.0000"), D("12.0000"))


def test_admin_a_parcel_saved_untouched_or_with_only_a_note_changed_keeps_its_version_and_history(
    admin_clerk, parcel
):
    # The change marker the form carries back is not a change of the parcel: saving the page as opened
    # wrote a "changed" entry with no change and raised the version (an API client's If-Match then failed).
    history = parcel.history.count()
    assert (
        admin_clerk.post(change_url(parcel), admin_form_data(admin_clerk.get(change_url(parcel)))).status_code
        == 302
    )
    parcel.refresh_from_db()
    assert (parcel.version, parcel.history.count()) == (1, history)
    data = admin_form_data(
        admin_clerk.get(change_url(parcel)),
        **{"notes-0-date": "2022-03-01", "notes-0-text": "已约谈用地单位"},
    )
    assert admin_clerk.post(change_url(parcel), data).status_code == 302
    parcel.refresh_from_db()
    assert (parcel.version, parcel.history.count(), parcel.notes.count()) == (1, history, 1)
    data = admin_form_data(admin_clerk.get(change_url(parcel)), name="改名后的地块")
    assert admin_clerk.post(change_url(parcel), data).status_code == 302
    parcel.refresh_from_db()
    assert (parcel.version, parcel.history.count(), parcel.name) == (2, history + 1, "改名后的地块")


def test_admin_an_approval_date_moved_past_a_disposal_typed_with_it_is_shown_on_the_row(admin_clerk, parcel):
    # The approval date moved to 2022-06-01 and a disposal of 2022-01-05 added, in one save: refused on
    # the row, with everything typed still on the page.
    response = admin_clerk.get(change_url(parcel))
    data = admin_form_data(
        response,
        approval_date="2022-06-01",
        **{
            "disposals-0-method": "supply_transfer",
            "disposals-0-area_mu": "2",
            "disposals-0-date": "2022-01-05",
        },
    )
    before = database_snapshot()
    response = admin_clerk.post(change_url(parcel), data)
    assert response.status_code == 200, response.get("Location")
    assert inline_errors(response, "date") == ["完成日期不能早于地块的批准时间 2022年6月1日。"]
    assert database_snapshot() == before


# --- the service and the shell -----------------------------------------------------------------------------


def test_service_a_disposal_cannot_be_moved_to_a_parcel_of_another_county(parcel, xiangning):
    other = ParcelFactory(county=xiangning, code="XN-R-1")
    disposal = services.disposal_record(
        parcel=parcel, method="supply_transfer", area_mu=D("3"), date=datetime.date(2022, 1, 5)
    )
    with refused("parcel", "处置记录不能移到其他地块"):
        services.disposal_update(disposal=Disposal.objects.get(pk=disposal.pk), parcel=other)
    with refused("parcel", "处置记录不能移到其他地块"):
        services.disposal_update(disposal=Disposal.objects.get(pk=disposal.pk), parcel_id=other.pk)


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"date": datetime.date(1, 1, 1)}, "date", "不应早于 1949年10月1日"),
        ({"date": datetime.date(3000, 1, 1)}, "date", "不应晚于 2999年12月31日"),
        ({"date": datetime.date(2020, 2, 29)}, "date", "不能早于地块的批准时间 2020年3月1日"),
        ({"area_mu": D("7.0001")}, "area_mu", "超过地块剩余面积 7.0000 亩"),
        ({"area_mu": D("0")}, "area_mu", "面积必须大于 0 亩"),
        ({"area_mu": D("-1")}, "area_mu", "面积必须大于 0 亩"),
        ({"area_mu": D("1.00001")}, "area_mu", ""),
        ({"area_mu": D("1E+12")}, "area_mu", ""),
        ({"method": "free_recovery"}, "method", "不是批而未供的处置方式"),
    ],
)
def test_service_a_correction_that_breaks_a_rule_is_refused_and_writes_nothing(
    parcel, changes, field, message
):
    services.disposal_record(
        parcel=parcel, method="supply_transfer", area_mu=D("3"), date=datetime.date(2022, 1, 5)
    )
    mine = services.disposal_record(
        parcel=parcel, method="supply_transfer", area_mu=D("1"), date=datetime.date(2022, 2, 5)
    )
    with refused(field, message):
        services.disposal_update(disposal=Disposal.objects.get(pk=mine.pk), **changes)


def test_service_a_disposal_dated_today_in_shanghai_is_accepted_and_tomorrow_is_not(parcel):
    today = timezone.localdate()
    services.disposal_record(parcel=parcel, method="supply_transfer", area_mu=D("1"), date=today)
    with refused("date", "完成日期不能晚于今天"):
        services.disposal_record(
            parcel=parcel, method="supply_transfer", area_mu=D("1"), date=today + datetime.timedelta(days=1)
        )


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"area_mu": D("5.9999")}, "area_mu", "面积不能小于已处置面积 6.0000 亩"),
        ({"approval_date": datetime.date(2022, 1, 6)}, "approval_date", "已有 2022年1月5日 的处置记录"),
        ({"kind": "idle"}, "kind", "地块已有处置记录，不能更改类型"),
    ],
)
def test_service_a_parcel_cannot_be_changed_out_from_under_its_disposals(parcel, changes, field, message):
    services.disposal_record(
        parcel=parcel, method="supply_transfer", area_mu=D("6"), date=datetime.date(2022, 1, 5)
    )
    with refused(field, message):
        services.parcel_update(parcel=Parcel.objects.get(pk=parcel.pk), **changes)


def test_service_a_parcel_cannot_move_to_another_county_with_its_disposals(parcel, xiangning):
    services.disposal_record(
        parcel=parcel, method="supply_transfer", area_mu=D("6"), date=datetime.date(2022, 1, 5)
    )
    with refused("county", "地块已有处置记录，不能更改所属县"):
        services.parcel_update(parcel=Parcel.objects.get(pk=parcel.pk), county=xiangning, town=None)


def test_service_the_parcels_area_may_shrink_to_exactly_what_was_disposed_of(parcel):
    services.disposal_record(
        parcel=parcel, method="supply_transfer", area_mu=D("6"), date=datetime.date(2022, 1, 5)
    )
    services.parcel_update(parcel=Parcel.objects.get(pk=parcel.pk), area_mu=D("6.0000"))
    parcel.refresh_from_db()
    assert (parcel.remaining_area_mu, parcel.status) == (D("0.0000"), "disposed")


# --- the REST API ----------------------------------------------------------------------------------------


@pytest.fixture
def api_clerk(clerk_anze):
    return client_for(clerk_anze)


def disposals_url(parcel):
    return f"/api/v1/parcels/{parcel.pk}/disposals/"


GOOD = {"method": "supply_transfer", "area_mu": "2.5", "date": "2022-01-05"}


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"date": "0001-01-01"}, "date", "不应早于 1949年10月1日"),
        ({"date": "3000-01-01"}, "date", "不应晚于 2999年12月31日"),
        ({"date": "2022-02-30"}, "date", ""),
        ({"date": "2022/01/05"}, "date", ""),
        ({"date": ""}, "date", ""),
        ({"date": None}, "date", ""),
        ({"area_mu": "10.0001"}, "area_mu", "超过地块剩余面积 10.0000 亩"),
        ({"area_mu": "1.00001"}, "area_mu", "小数位数不能超过 4 位"),
        ({"area_mu": "1e400"}, "area_mu", ""),
        ({"area_mu": "-0"}, "area_mu", "面积必须大于 0 亩"),
        ({"area_mu": "Infinity"}, "area_mu", ""),
        ({"area_mu": "123456789012345"}, "area_mu", ""),
        ({"area_mu": None}, "area_mu", ""),
        ({"method": "construction_started"}, "method", "不是批而未供的处置方式"),
        ({"method": ""}, "method", ""),
        ({"method": ["supply_transfer"]}, "method", ""),
        ({"note": "坏\u0000"}, "note", ""),
        ({"document_number": "长" * 101}, "document_number", ""),
    ],
)
def test_api_a_bad_disposal_is_400_on_its_field_in_chinese_and_writes_nothing(
    api_clerk, parcel, changes, field, message
):
    before = database_snapshot()
    response = api_clerk.post(disposals_url(parcel), {**GOOD, **changes}, format="json")
    assert response.status_code == 400, response.content
    body = response.json()
    assert field in body, body
    assert any(message in text for text in body[field]), body
    assert all(any("\u4e00" <= ch <= "\u9fff" for ch in text) for text in body[field]), body
    assert database_snapshot() == before


def test_api_a_parcel_id_in_the_body_is_not_where_the_disposal_goes(api_clerk, parcel, xiangning):
    other = ParcelFactory(county=xiangning, code="XN-R-1")
    response = api_clerk.post(disposals_url(parcel), {**GOOD, "parcel": other.pk, "id": 999}, format="json")
    assert response.status_code == 201
    disposal = Disposal.objects.get()
    assert (disposal.parcel_id, disposal.county_id) == (parcel.pk, parcel.county_id)
    assert not other.disposals.exists()


def test_api_a_clerk_reaches_no_disposal_of_another_county_by_any_url(api_clerk, parcel, xiangning):
    other = ParcelFactory(county=xiangning, code="XN-R-1")
    theirs = services.disposal_record(
        parcel=other, method="supply_transfer", area_mu=D("3"), date=datetime.date(2022, 1, 5)
    )
    mine = services.disposal_record(
        parcel=parcel, method="supply_transfer", area_mu=D("3"), date=datetime.date(2022, 1, 5)
    )
    before = database_snapshot()
    assert api_clerk.get(disposals_url(other)).status_code == 404
    assert api_clerk.post(disposals_url(other), GOOD, format="json").status_code == 404
    assert api_clerk.get(f"{disposals_url(other)}{theirs.pk}/").status_code == 404
    assert api_clerk.delete(f"{disposals_url(other)}{theirs.pk}/").status_code == 404
    # Their disposal's id under one's own parcel, and one's own under theirs.
    assert api_clerk.delete(f"{disposals_url(parcel)}{theirs.pk}/").status_code == 404
    assert api_clerk.get(f"{disposals_url(parcel)}{theirs.pk}/").status_code == 404
    assert api_clerk.delete(f"{disposals_url(other)}{mine.pk}/").status_code == 404
    # No way to change a disposal through the API but to delete it (API.md).
    assert (
        api_clerk.patch(f"{disposals_url(parcel)}{mine.pk}/", {"area_mu": "1"}, format="json").status_code
        == 405
    )
    assert api_clerk.put(f"{disposals_url(parcel)}{mine.pk}/", GOOD, format="json").status_code == 405
    assert database_snapshot() == before


@pytest.mark.parametrize("role", [Role.COUNTY_OFFICE, Role.CITY_BUREAU])
def test_api_readers_of_the_county_may_list_its_disposals_but_not_write_them(parcel, anze, linfen, role):
    region = linfen if role == Role.CITY_BUREAU else anze
    api = client_for(UserFactory(username=f"reader_{role}", role=role, region=region))
    mine = services.disposal_record(
        parcel=parcel, method="supply_transfer", area_mu=D("3"), date=datetime.date(2022, 1, 5)
    )
    before = database_snapshot()
    listed = api.get(disposals_url(parcel))
    assert listed.status_code == 200 and [row["id"] for row in listed.json()["results"]] == [mine.pk]
    assert api.post(disposals_url(parcel), GOOD, format="json").status_code == 403
    assert api.delete(f"{disposals_url(parcel)}{mine.pk}/").status_code == 403
    assert database_snapshot() == before


def test_api_the_disposals_list_reads_the_same_few_queries_whatever_its_length(api_clerk, parcel):
    def count_queries():
        with CaptureQueriesContext(connection) as captured:
            response = api_clerk.get(disposals_url(parcel))
        assert response.status_code == 200
        return len(captured), response.json()["count"]

    clerk = UserFactory(username="another_clerk", role=Role.COUNTY_CLERK, region=parcel.county)
    for day in (3, 4, 5):
        services.disposal_record(
            parcel=parcel,
            method="supply_transfer",
            area_mu=D("1"),
            date=datetime.date(2022, 1, day),
            user=clerk,
        )
    three = count_queries()
    for day in (6, 7, 8):
        services.disposal_record(
            parcel=parcel, method="supply_lease", area_mu=D("1"), date=datetime.date(2022, 1, day), user=clerk
        )
    six = count_queries()
    assert (three[1], six[1]) == (3, 6)
    assert three[0] == six[0] <= 6


# --- the figures after each kind of change --------------------------------------------------------------------


@pytest.fixture
def tasks_of_anze(anze):
    """安泽's 批而未供 tasks: 2022 and 2023, 20 亩 each, periods 1 Jan – 31 Dec, milestones by default."""
    from tasks import services as task_services

    for year in (2022, 2023):
        task_services.task_create(county=anze, year=year, category="unsupplied", target_area_mu=D("20"))


def completed(api, year, as_of):
    """安泽's completed area and rate of ``year`` as /api/v1/progress/ shows them as of ``as_of``."""
    response = api.get("/api/v1/progress/", {"year": year, "as_of": as_of, "county": "141026"})
    assert response.status_code == 200, response.content
    (row,) = response.json()["results"]
    return row["completed_area_mu"], row["completion_rate"]


def completed_on_the_county_page(api, year, as_of):
    response = api.get("/api/v1/progress/141026/", {"year": year, "as_of": as_of})
    assert response.status_code == 200, response.content
    (row,) = response.json()["results"]
    return row["completed_area_mu"]


def assert_figures(api, figures_2022, figures_2023):
    assert completed(api, 2022, "2022-12-31") == figures_2022
    assert completed_on_the_county_page(api, 2022, "2022-12-31") == figures_2022[0]
    assert completed(api, 2023, "2023-12-31") == figures_2023
    assert rollup_drift() == []


def test_api_progress_follows_every_change_of_a_disposal_made_in_the_admin(
    admin_clerk, parcel, tasks_of_anze
):
    api = client_for(UserFactory(username="city_reader", role=Role.CITY_BUREAU, region=parcel.county.parent))
    assert_figures(api, ("0.00", "0.00"), ("0.00", "0.00"))

    def save_rows(**changes):
        response = admin_clerk.get(change_url(parcel))
        response = admin_clerk.post(change_url(parcel), admin_form_data(response, **changes))
        assert response.status_code == 302, response.context and response.context["errors"]

    # Created on 31 December 2022: 3.5 of 20 亩 = 17.50 %.
    save_rows(
        **{
            "disposals-0-method": "supply_transfer",
            "disposals-0-area_mu": "3.5",
            "disposals-0-date": "2022-12-31",
        }
    )
    assert_figures(api, ("3.50", "17.50"), ("0.00", "0.00"))
    # Its area corrected to 3.4567: 17.2835 % shows 17.28.
    save_rows(**{"disposals-0-area_mu": "3.4567"})
    assert_figures(api, ("3.46", "17.28"), ("0.00", "0.00"))
    # Moved across the year's end, to 1 January 2023: out of 2022's task, into 2023's.
    save_rows(**{"disposals-0-date": "2023-01-01"})
    assert_figures(api, ("0.00", "0.00"), ("3.46", "17.28"))
    # Back within 2023 across a month's end (31 January → 1 February): the year's figure stands, and as of
    # 31 January it no longer counts.
    save_rows(**{"disposals-0-date": "2023-02-01"})
    assert completed(api, 2023, "2023-01-31") == ("0.00", "0.00")
    assert completed(api, 2023, "2023-02-01") == ("3.46", "17.28")
    # Deleted: nothing left.
    save_rows(**{"disposals-0-DELETE": "on"})
    assert_figures(api, ("0.00", "0.00"), ("0.00", "0.00"))
    assert not Disposal.objects.exists()


def test_api_progress_follows_disposals_recorded_and_deleted_through_the_api(
    api_clerk, parcel, tasks_of_anze
):
    first = api_clerk.post(
        disposals_url(parcel), {**GOOD, "area_mu": "4.4444", "date": "2022-06-30"}, format="json"
    )
    second = api_clerk.post(
        disposals_url(parcel), {**GOOD, "area_mu": "0.0001", "date": "2022-07-01"}, format="json"
    )
    assert (first.status_code, second.status_code) == (201, 201)
    # 4.4445 of 20 亩 = 22.2225 % → 22.22; as of 30 June only the first: 4.4444 → 22.222 % → 22.22.
    assert completed(api_clerk, 2022, "2022-12-31") == ("4.44", "22.22")
    assert completed(api_clerk, 2022, "2022-06-30") == ("4.44", "22.22")
    assert api_clerk.delete(f"{disposals_url(parcel)}{first.json()['id']}/").status_code == 204
    assert completed(api_clerk, 2022, "2022-12-31") == ("0.00", "0.00")
    assert rollup_drift() == []
    parcel.refresh_from_db()
    assert parcel.disposed_area_mu == D("0.0001")


def test_the_rollup_check_command_passes_after_every_kind_of_change(parcel, xiangning):
    other = IdleParcelFactory(county=xiangning, code="XN-I-1")
    a = services.disposal_record(
        parcel=parcel, method="supply_transfer", area_mu=D("2"), date=datetime.date(2022, 12, 31)
    )
    b = services.disposal_record(
        parcel=other, method="construction_started", area_mu=D("1.2345"), date=datetime.date(2021, 1, 31)
    )
    services.disposal_update(disposal=a, date=datetime.date(2023, 1, 1), area_mu=D("2.0001"))
    services.disposal_update(disposal=b, method="paid_recovery", date=datetime.date(2021, 2, 1))
    services.disposal_delete(disposal=Disposal.objects.get(pk=a.pk))
    call_command("rebuild_progress_rollup", "--check")  # exits non-zero on any drift
    # Only 乡宁's idle 2021 row holds anything: 1.2345 亩 from February.
    rows = {
        (row.county.code, row.kind, row.year): (row.through_01, row.through_02, row.through_12, row.disposals)
        for row in DisposalYearTotal.objects.select_related("county")
        if row.disposals
    }
    assert rows == {("141029", "idle", 2021): (D("0"), D("1.2345"), D("1.2345"), 1)}


# --- history ------------------------------------------------------------------------------------------------


def test_every_change_of_a_disposal_is_in_the_parcels_history_with_who_and_what(
    admin_clerk, parcel, clerk_anze
):
    response = admin_clerk.get(change_url(parcel))
    data = admin_form_data(
        response,
        **{
            "disposals-0-method": "supply_transfer",
            "disposals-0-area_mu": "2",
            "disposals-0-date": "2022-01-05",
        },
    )
    assert admin_clerk.post(change_url(parcel), data).status_code == 302
    response = admin_clerk.get(change_url(parcel))
    assert (
        admin_clerk.post(
            change_url(parcel), admin_form_data(response, **{"disposals-0-area_mu": "1.5"})
        ).status_code
        == 302
    )
    api = client_for(clerk_anze)
    disposal = Disposal.objects.get()
    assert api.delete(f"{disposals_url(parcel)}{disposal.pk}/").status_code == 204

    history = api.get(f"/api/v1/parcels/{parcel.pk}/history/").json()
    of_disposals = [entry for entry in history if entry["action"].startswith("disposal_")]
    assert [(entry["action"], entry["user"], entry["changes"]) for entry in of_disposals] == [
        (
            "disposal_delete",
            "clerk_anze",
            {"method": ["supply_transfer", None], "area_mu": ["1.50", None], "date": ["2022-01-05", None]},
        ),
        ("disposal_update", "clerk_anze", {"area_mu": ["2.00", "1.50"]}),
        (
            "disposal_create",
            "clerk_anze",
            {"method": [None, "supply_transfer"], "area_mu": [None, "2.00"], "date": [None, "2022-01-05"]},
        ),
    ]
    page = admin_clerk.get(reverse("admin:parcels_parcel_history", args=[parcel.pk])).content.decode()
    assert "处置面积（亩）：</strong>2.0000 → 1.5000" in page


# --- scope in the admin -----------------------------------------------------------------------------------------


def test_admin_a_clerk_cannot_touch_another_countys_disposal_through_their_own_parcels_page(
    admin_clerk, parcel, xiangning
):
    other = ParcelFactory(county=xiangning, code="XN-R-1")
    theirs = services.disposal_record(
        parcel=other, method="supply_transfer", area_mu=D("3"), date=datetime.date(2022, 1, 5)
    )
    opened = admin_clerk.get(change_url(parcel))
    for tampered in (
        # Their disposal's id on one's own page, to change it, to delete it, with their parcel named.
        {"disposals-0-id": str(theirs.pk), "disposals-0-area_mu": "1"},
        {"disposals-0-id": str(theirs.pk), "disposals-0-DELETE": "on"},
        {"disposals-0-id": str(theirs.pk), "disposals-0-parcel": str(other.pk), "disposals-0-DELETE": "on"},
    ):
        data = admin_form_data(
            opened,
            **{
                "disposals-0-method": "supply_transfer",
                "disposals-0-area_mu": "3",
                "disposals-0-date": "2022-01-05",
            },
        )
        data.update(tampered)
        data["disposals-INITIAL_FORMS"] = "1"
        admin_clerk.post(change_url(parcel), data)
        theirs_now = Disposal.objects.get(pk=theirs.pk)
        assert (theirs_now.parcel_id, theirs_now.area_mu) == (other.pk, D("3.0000"))
        assert not parcel.disposals.exists()
    # Their parcel's page itself: not there.
    before = database_snapshot()
    response = admin_clerk.post(
        change_url(other),
        {
            "disposals-TOTAL_FORMS": "1",
            "disposals-INITIAL_FORMS": "1",
            "disposals-0-id": str(theirs.pk),
            "disposals-0-DELETE": "on",
        },
    )
    assert response.status_code == 302 and response.url == reverse("admin:index")
    assert database_snapshot() == before


def test_admin_a_disposal_row_posted_with_another_parcel_is_refused(admin_clerk, parcel, xiangning):
    other = ParcelFactory(county=xiangning, code="XN-R-1")
    opened = admin_clerk.get(change_url(parcel))
    data = admin_form_data(
        opened,
        **{
            "disposals-0-method": "supply_transfer",
            "disposals-0-area_mu": "3",
            "disposals-0-date": "2022-01-05",
            "disposals-0-parcel": str(other.pk),
        },
    )
    before = database_snapshot()
    response = admin_clerk.post(change_url(parcel), data)
    assert response.status_code == 200
    assert database_snapshot() == before


# --- pages that show disposals: pinned query counts -----------------------------------------------------------


def count_queries(client, url):
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured)


def test_admin_a_parcels_page_reads_as_many_queries_with_six_disposals_as_with_three(
    admin_clerk, parcel, clerk_anze
):
    for day in (3, 4, 5):
        services.disposal_record(
            parcel=parcel,
            method="supply_transfer",
            area_mu=D("1"),
            date=datetime.date(2022, 1, day),
            user=clerk_anze,
        )
    other_clerk = UserFactory(username="other_clerk", role=Role.COUNTY_CLERK, region=parcel.county)
    # Once each first: the first request of a session reads what later ones have cached.
    count_queries(admin_clerk, change_url(parcel))
    count_queries(admin_clerk, reverse("admin:parcels_parcel_history", args=[parcel.pk]))
    three = (
        count_queries(admin_clerk, change_url(parcel)),
        count_queries(admin_clerk, reverse("admin:parcels_parcel_history", args=[parcel.pk])),
    )
    for day in (6, 7, 8):
        services.disposal_record(
            parcel=parcel,
            method="supply_lease",
            area_mu=D("1"),
            date=datetime.date(2022, 1, day),
            user=other_clerk,
        )
    six = (
        count_queries(admin_clerk, change_url(parcel)),
        count_queries(admin_clerk, reverse("admin:parcels_parcel_history", args=[parcel.pk])),
    )
    assert three == six


def test_admin_the_parcel_list_filtered_by_disposal_method_reads_as_many_queries_for_six_rows_as_for_three(
    admin_clerk, anze
):
    url = reverse("admin:parcels_parcel_changelist") + "?disposal_method=supply_transfer&status=partial"

    def add(count):
        for _ in range(count):
            parcel = ParcelFactory(county=anze)
            services.disposal_record(
                parcel=parcel, method="supply_transfer", area_mu=D("1"), date=datetime.date(2022, 1, 5)
            )

    add(3)
    three = count_queries(admin_clerk, url)
    add(3)
    assert count_queries(admin_clerk, url) == three
    assert count_queries(admin_clerk, url + "&q=测试") == count_queries(admin_clerk, url + "&q=测试")


# --- government-caused idleness (令53 art. 12) ---------------------------------------------------------------


@pytest.mark.parametrize("method", ["free_recovery", "construction_started"])
def test_an_idle_parcels_cause_cannot_become_government_under_a_disposal_art_12_refuses(anze, method):
    idle = IdleParcelFactory(county=anze, code="AZ-I-1")
    services.disposal_record(parcel=idle, method=method, area_mu=D("2"), date=datetime.date(2022, 1, 5))
    with refused("idle_cause", "政府原因造成的闲置土地只能按《闲置土地处置办法》第十二条处置"):
        services.parcel_update(parcel=Parcel.objects.get(pk=idle.pk), idle_cause="government")


def test_an_idle_parcels_cause_may_become_government_under_art_12_disposals(anze):
    idle = IdleParcelFactory(county=anze, code="AZ-I-1")
    services.disposal_record(
        parcel=idle, method="paid_recovery", area_mu=D("2"), date=datetime.date(2022, 1, 5)
    )
    services.parcel_update(parcel=Parcel.objects.get(pk=idle.pk), idle_cause="government")
    assert Parcel.objects.get(pk=idle.pk).idle_cause == "government"


def test_api_an_idle_parcels_cause_changed_under_a_free_recovery_is_400_on_the_cause(api_clerk, anze):
    idle = IdleParcelFactory(county=anze, code="AZ-I-1")
    services.disposal_record(
        parcel=idle, method="free_recovery", area_mu=D("2"), date=datetime.date(2022, 1, 5)
    )
    before = database_snapshot()
    response = api_clerk.patch(f"/api/v1/parcels/{idle.pk}/", {"idle_cause": "government"}, format="json")
    assert response.status_code == 400
    assert "“无偿收回”的处置记录" in response.json()["idle_cause"][0]
    assert database_snapshot() == before
