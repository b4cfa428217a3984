"""The dashboard's dates: the API's range, 1949-10-01 to 2999-12-31; a date outside it is reported on the form
in Chinese and replaced by today, never a server error (the figures look 60 days back, the reminders 14
days ahead, which the calendar's first and last days do not have)."""

import datetime

import pytest
from django.utils import timezone

pytestmark = pytest.mark.django_db

URLS = [
    "/dashboard/",
    "/dashboard/reminders/",
    "/dashboard/141026/",
    "/dashboard/141026/rectifications/",
    "/dashboard/141026/map/",
]
TOO_LATE = "日期不应晚于 2999年12月31日，请检查是否填写有误。"
TOO_EARLY = "日期不应早于 1949年10月1日，请检查是否填写有误。"


@pytest.fixture
def city(client, demo, city_linfen):
    client.force_login(city_linfen)
    return client


@pytest.mark.parametrize("url", URLS)
@pytest.mark.parametrize(
    "as_of, message",
    [
        ("9999-12-31", TOO_LATE),
        ("9999-12-20", TOO_LATE),
        ("3000-01-01", TOO_LATE),
        ("0001-01-01", TOO_EARLY),
        ("1949-09-30", TOO_EARLY),
    ],
)
def test_a_date_outside_the_apis_range_is_reported_and_today_shown(city, url, as_of, message):
    response = city.get(url, {"as_of": as_of})
    assert response.status_code == 200
    if url.endswith("/map/"):
        return  # the map is of today's ledger: it reads no date
    assert response.context["view"].as_of == timezone.localdate()
    assert f"截至日期：{message} 已按默认值显示。" in response.content.decode()


@pytest.mark.parametrize("url", URLS)
@pytest.mark.parametrize("as_of", ["1949-10-01", "2999-12-31", "2999-12-20"])
def test_the_first_and_last_days_of_the_range_are_shown(city, url, as_of):
    response = city.get(url, {"as_of": as_of})
    assert response.status_code == 200
    if url.endswith("/map/"):
        return
    assert response.context["view"].as_of == datetime.date.fromisoformat(as_of)
    assert "已按默认值显示" not in response.content.decode()


@pytest.mark.parametrize("url", URLS)
@pytest.mark.parametrize("year", ["0", "1999", "2101", "99999999999999999999", "2000", "2100"])
def test_any_year_with_the_last_day_of_the_range_is_no_error(city, url, year):
    response = city.get(url, {"year": year, "as_of": "2999-12-31"})
    assert response.status_code == 200
    if url.endswith("/map/") or url.endswith("/reminders/"):
        return  # no year asked
    refused = year not in ("2000", "2100")
    assert ("年度：" in response.content.decode()) == refused
