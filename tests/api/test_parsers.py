"""The JSON parser's own refusals, for a body read straight from the stream (as under a WSGI server)."""

import io

import pytest
from rest_framework.exceptions import ParseError, ValidationError

from landtrack.api.parsers import JSONParser


class FakeRequest:
    def __init__(self, length):
        self.META = {"CONTENT_LENGTH": str(length)}


def parse(raw, length=None):
    context = {"request": FakeRequest(len(raw) if length is None else length), "encoding": "utf-8"}
    return JSONParser().parse(io.BytesIO(raw), "application/json", context)


def test_a_body_over_the_upload_limit_is_refused_before_it_is_read(settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
    with pytest.raises(ValidationError) as refusal:
        parse(b"{}", length=1025)
    assert "请求体超过" in str(refusal.value.detail["non_field_errors"][0])
    assert parse(b'{"a": 1}', length=1024) == {"a": 1}


def test_nesting_too_deep_is_a_parse_error_not_a_crash():
    with pytest.raises(ParseError):
        parse(b"[" * 100000 + b"]" * 100000)


@pytest.mark.parametrize(
    "raw, field",
    [
        (b'{"name": "\\ud800"}', "name"),
        (b'{"milestones": [{"due": "\\udc00"}]}', "milestones"),
        (b'{"\\ud800": 1}', "non_field_errors"),
        (b'["\\ud800"]', "non_field_errors"),
    ],
)
def test_a_lone_surrogate_is_refused_on_the_top_level_field_holding_it(raw, field):
    with pytest.raises(ValidationError) as refusal:
        parse(raw)
    assert list(refusal.value.detail) == [field]


def test_valid_text_passes_unchanged():
    assert parse('{"name": "东关😀\\u200b"}'.encode()) == {"name": "东关😀\u200b"}


@pytest.mark.parametrize("length", ["²", "①", "1" * 5000])
def test_a_content_length_int_cannot_read_is_not_a_crash(settings, length):
    # "²" and "①" pass str.isdigit() but not int(); 5,000 digits are past int()'s limit and past any limit.
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
    if length.isascii():
        with pytest.raises(ValidationError):
            parse(b"{}", length=length)
    else:
        assert parse(b'{"a": 1}', length=length) == {"a": 1}
