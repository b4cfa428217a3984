"""The admin's disposal rows of a parcel are judged together, as typed on the page: a clerk who corrects a
split (5 + 5 亩 → 6 + 4 亩 of a 10 亩 parcel) in one save is not refused because one row was checked
alone against the other row as stored (6 + 5 > 10), and the others are not summed again for each row.
Saving still checks every row under the parcel's lock (services.disposal_save)."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from parcels import services
from parcels.models import Disposal
from tests.admin_forms import admin_form_data
from tests.factories import ParcelFactory
from tests.helpers import database_snapshot

pytestmark = pytest.mark.django_db

D = Decimal


@pytest.fixture
def parcel(anze):
    """An 安泽 批而未供 parcel of 10 亩, approved on 2020-03-01, half of it supplied twice over."""
    parcel = ParcelFactory(county=anze, code="AZ-R-02", area_mu=D("10"))
    for day in (5, 6):
        services.disposal_record(
            parcel=parcel, method="supply_transfer", area_mu=D("5"), date=datetime.date(2022, 1, day)
        )
    return parcel


@pytest.fixture
def admin_clerk(client, clerk_anze):
    client.force_login(clerk_anze)
    return client


def change_url(parcel):
    return reverse("admin:parcels_parcel_change", args=[parcel.pk])


def areas(parcel):
    return list(parcel.disposals.order_by("date").values_list("area_mu", flat=True))


def rows_typed(client, parcel, first, second):
    """The change page as opened, with the two disposal rows' areas typed over."""
    response = client.get(change_url(parcel))
    return admin_form_data(response, **{"disposals-0-area_mu": first, "disposals-1-area_mu": second})


def test_a_split_corrected_in_one_save_is_saved_whichever_row_grows(admin_clerk, parcel):
    # 5 + 5 → 6 + 4: the first row grows, the second shrinks; then back, the second row growing.
    assert admin_clerk.post(change_url(parcel), rows_typed(admin_clerk, parcel, "6", "4")).status_code == 302
    assert areas(parcel) == [D("6.0000"), D("4.0000")]
    assert admin_clerk.post(change_url(parcel), rows_typed(admin_clerk, parcel, "3", "7")).status_code == 302
    assert areas(parcel) == [D("3.0000"), D("7.0000")]
    parcel.refresh_from_db()
    assert parcel.disposed_area_mu == D("10.0000")
    # Each row's correction is in its change history, once per save.
    first, second = parcel.disposals.order_by("date")
    assert [h.area_mu for h in first.history.order_by("history_id")] == [D("5"), D("6"), D("3")]
    assert [h.area_mu for h in second.history.order_by("history_id")] == [D("5"), D("4"), D("7")]


def test_rows_that_together_exceed_the_parcel_are_refused_on_the_page_and_nothing_written(admin_clerk, parcel):
    before = database_snapshot()
    response = admin_clerk.post(change_url(parcel), rows_typed(admin_clerk, parcel, "6", "4.5"))
    assert response.status_code == 200
    assert "处置面积合计 10.5000 亩超过地块面积 10.0000 亩。" in response.content.decode()
    assert database_snapshot() == before


def test_a_row_deleted_makes_room_for_another_in_the_same_save(admin_clerk, parcel):
    data = rows_typed(admin_clerk, parcel, "5", "5")
    data["disposals-1-DELETE"] = "on"
    data["disposals-0-area_mu"] = "10"
    assert admin_clerk.post(change_url(parcel), data).status_code == 302
    assert areas(parcel) == [D("10.0000")]


def test_the_rows_are_not_each_summed_again_to_judge_them(admin_clerk, parcel):
    # Judging the page sums the parcel's stored disposals no more for 6 rows than for 2 (before, each row
    # summed the others as stored: one query per row).
    def sums_of_disposals():
        data = admin_form_data(
            admin_clerk.get(change_url(parcel)), **{"disposals-0-area_mu": "9", "disposals-1-area_mu": "9"}
        )
        with CaptureQueriesContext(connection) as context:
            response = admin_clerk.post(change_url(parcel), data)
        assert response.status_code == 200 and "超过地块面积" in response.content.decode()
        return sum('SUM("parcels_disposal"."area_mu")' in query["sql"] for query in context.captured_queries)

    two = sums_of_disposals()
    for disposal in Disposal.objects.filter(parcel=parcel):
        services.disposal_update(disposal=disposal, area_mu=D("1"))
    for day in (7, 8, 9, 10):
        services.disposal_record(
            parcel=parcel, method="supply_transfer", area_mu=D("1"), date=datetime.date(2022, 1, day)
        )
    assert parcel.disposals.count() == 6
    assert sums_of_disposals() == two <= 1
