"""The API's orjson renderer writes the same bytes as the rest framework's JSONRenderer."""

import datetime
import json
import uuid
from collections import OrderedDict
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.utils.translation import gettext_lazy
from rest_framework.renderers import JSONRenderer as RestFrameworkJSONRenderer
from rest_framework.utils.serializer_helpers import ReturnDict, ReturnList

from landtrack.api.renderers import JSONRenderer

SHANGHAI = ZoneInfo("Asia/Shanghai")

SAMPLES = [
    {"as_of": "2023-09-30", "completion_rate": "87.95", "met": True, "next_milestone": None},
    [1, -2, 3.5, 0.1, 112.4567891, 36.0001, 12345678901234567, True, False, None],
    {"county_name": "安泽县", "note": "“引号” \\ 反斜杠 \" 换行\n制表\t", "emoji": "地块🏞"},
    {"separators": "行\u2028分隔\u2029段"},
    {"date": datetime.date(2023, 5, 31), "decimal": Decimal("26.9600")},
    {"utc": datetime.datetime(2023, 5, 31, 8, 30, 15, 123456, tzinfo=datetime.UTC)},
    {"shanghai": datetime.datetime(2023, 5, 31, 16, 30, tzinfo=SHANGHAI), "naive": datetime.datetime(2023, 1, 2)},
    {"time": datetime.time(9, 30), "span": datetime.timedelta(days=1, seconds=5)},
    {"uuid": uuid.UUID("12345678-1234-5678-1234-567812345678"), "lazy": gettext_lazy("This field is required.")},
    {1: "int key", "nested": OrderedDict([("b", 1), ("a", [{"x": ()}])])},
    ReturnDict({"field": ["该字段是必填项。"]}, serializer=None),
    ReturnList([{"code": "141026"}], serializer=None),
    {"tuple": (1, 2), "empty": {}, "empty_list": []},
]


@pytest.mark.parametrize("data", SAMPLES)
def test_the_same_bytes_as_the_rest_frameworks_renderer(settings, data):
    settings.LANGUAGE_CODE = "zh-hans"
    assert JSONRenderer().render(data) == RestFrameworkJSONRenderer().render(data)


def test_a_float_written_with_an_exponent_is_the_same_number():
    """The one difference: json writes 1e-07, orjson 1e-7 (the API writes areas and rates as strings,
    and coordinates never reach an exponent)."""
    data = [1e-7, 1.5e300, -2e-10]
    assert json.loads(JSONRenderer().render(data)) == json.loads(RestFrameworkJSONRenderer().render(data)) == data


def test_indented_output_on_request_is_the_rest_frameworks():
    data = {"a": [1, {"b": "安泽"}]}
    written = JSONRenderer().render(data, "application/json; indent=2")
    assert written == RestFrameworkJSONRenderer().render(data, "application/json; indent=2")
    assert b"\n  " in written


def test_an_integer_beyond_64_bits_is_still_written():
    data = {"big": 2**70}
    assert JSONRenderer().render(data) == b'{"big":1180591620717411303424}'


def test_what_cannot_be_written_is_refused_as_before():
    with pytest.raises(TypeError):
        JSONRenderer().render({"object": object()})


def test_nothing_is_written_for_no_data():
    assert JSONRenderer().render(None) == b""


def test_the_api_answers_through_it(client):
    response = client.get("/api/v1/progress/")
    assert response.status_code == 401
    assert type(response.accepted_renderer) is JSONRenderer
    assert response.content == RestFrameworkJSONRenderer().render(response.data)
