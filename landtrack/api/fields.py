"""Serializer fields for the API contract's numbers and codes (API.md, Conventions)."""

import re
from decimal import ROUND_HALF_UP

from django.db import models
from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from drf_spectacular.plumbing import build_basic_type
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from landtrack.numbers import area_2, rate_2
from landtrack.validation import AREA_DECIMAL_PLACES, AREA_MAX_DIGITS, DATE_RANGE_MESSAGES, date_out_of_range

REGION_CODE = re.compile(r"[0-9]{6}(?:[0-9]{3})?")
COUNTY_CODE = re.compile(r"[0-9]{6}")
# API.md: dates are YYYY-MM-DD. Python's and Django's readers also take "2022-9-5", "20220905" or a
# trailing newline, which the schema's pattern refuses; a date is read only when written as the contract says.
ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")

DECIMAL_MESSAGES = {
    "invalid": "请填写有效的数字。",
    "max_digits": "数字总位数不能超过 {max_digits} 位。",
    "max_decimal_places": "小数位数不能超过 {max_decimal_places} 位。",
    "max_whole_digits": "整数位数不能超过 {max_whole_digits} 位。",
    "max_string_length": "数字过长。",
}


@extend_schema_field(
    {
        "type": "string",
        "format": "decimal",
        "pattern": "^[0-9]{1,8}(\\.[0-9]{1,4})?$",
        "example": "26.96",
    }
)
class AreaField(serializers.DecimalField):
    """An area in 亩: accepted with up to 4 decimal places, shown as a string with 2 (half-up)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_digits", AREA_MAX_DIGITS)
        kwargs.setdefault("decimal_places", AREA_DECIMAL_PLACES)
        kwargs.setdefault("rounding", ROUND_HALF_UP)
        kwargs.setdefault("error_messages", {}).update(
            {key: value for key, value in DECIMAL_MESSAGES.items() if key not in kwargs["error_messages"]}
        )
        super().__init__(**kwargs)

    def to_representation(self, value):
        if value is None:
            return None
        return f"{area_2(value):.2f}"


class RateField(serializers.DecimalField):
    """A rate in percent, shown as a string with 2 decimal places (half-up)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_digits", 7)
        kwargs.setdefault("decimal_places", 2)
        kwargs.setdefault("rounding", ROUND_HALF_UP)
        kwargs.setdefault("error_messages", {}).update(
            {key: value for key, value in DECIMAL_MESSAGES.items() if key not in kwargs["error_messages"]}
        )
        super().__init__(**kwargs)

    def to_representation(self, value):
        if value is None:
            return None
        return f"{rate_2(value):.2f}"


@extend_schema_field(
    {"type": "string", "format": "decimal", "pattern": "^[0-9]+\\.[0-9]{2}$", "example": "87.96"}
)
class ShownRateField(RateField):
    """A rate the API computes and shows (progress): as many whole digits as it takes. A completion rate is
    never capped (DOMAIN.md): 1,000 亩 disposed of against a 1 亩 task is 100000.00 %, which a pattern of
    five whole digits said could not occur."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_digits", None)
        super().__init__(**kwargs)


class ExactDecimalField(serializers.DecimalField):
    """A decimal kept as stored (prices, coordinates), with Chinese messages."""

    def __init__(self, **kwargs):
        kwargs.setdefault("error_messages", {}).update(
            {key: value for key, value in DECIMAL_MESSAGES.items() if key not in kwargs["error_messages"]}
        )
        super().__init__(**kwargs)


# The dates the API takes, in bodies and in ?as_of=: those a record may hold (landtrack.validation, whose
# rule and words every stored date's validator, parcels.models.not_before_1949, uses too).
DATE_PATTERN = (
    "^(1949-1[0-2]|19[5-9][0-9]-(0[1-9]|1[0-2])|2[0-9]{3}-(0[1-9]|1[0-2]))-(0[1-9]|[12][0-9]|3[01])$"
)
DATE_MESSAGES = DATE_RANGE_MESSAGES


def check_date_range(date, fail):
    """``date`` when it lies within EARLIEST_DATE … LATEST_DATE; else ``fail("too_early" | "too_late")``."""
    problem = date_out_of_range(date)
    if problem:
        fail(problem)
    return date


class DateField(serializers.DateField):
    """A date (YYYY-MM-DD) from 1949-10-01 to 2999-12-31; the schema says so with a pattern."""

    default_error_messages = DATE_MESSAGES

    def to_internal_value(self, value):
        if isinstance(value, str) and not ISO_DATE.fullmatch(value):
            self.fail("invalid", format="YYYY-MM-DD")
        return check_date_range(super().to_internal_value(value), self.fail)


class DateFieldExtension(OpenApiSerializerFieldExtension):
    """A request's date carries the range as a pattern; a response's is any date (stored data may be
    older, e.g. a leadership group's document date)."""

    target_class = DateField

    def map_serializer_field(self, auto_schema, direction):
        schema = build_basic_type(OpenApiTypes.DATE)
        if direction == "request":
            schema["pattern"] = DATE_PATTERN
        return schema


@extend_schema_field({"type": "string", "pattern": "^[0-9]{6}([0-9]{3})?$", "example": "141026"})
class RegionCodeField(serializers.SlugRelatedField):
    """A region referred to by its code (``"141026"``), never by database id.

    Anything but a string of exactly 6 or 9 digits (no surrounding blanks: the schema's pattern) is
    refused before the database is asked, and only such a well-formed code is ever repeated back in a
    message.
    """

    default_error_messages = {
        "does_not_exist": "区划代码“{value}”不存在或不可用。",
        "invalid": "区划代码应为字符串。",
        "malformed": "区划代码应为 6 位或 9 位数字。",
    }

    def __init__(self, **kwargs):
        kwargs.setdefault("slug_field", "code")
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        if not REGION_CODE.fullmatch(data):
            self.fail("malformed")
        return super().to_internal_value(data)


class CountyCodeParameter(serializers.RegexField):
    r"""A ``?county=`` parameter: six ASCII digits and nothing else, as the schema's pattern says. RegexField
    alone searches with ``$``, which also matches before a final newline, and ``\d``, which takes the
    digits of any script (１４１０２９): such a code then matched no county, and a report answered empty."""

    def __init__(self, **kwargs):
        messages = kwargs.setdefault("error_messages", {})
        messages.setdefault("invalid", "县（市、区）代码应为 6 位数字，如 141026。")
        super().__init__(r"^[0-9]{6}$", trim_whitespace=False, **kwargs)

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        if value and not COUNTY_CODE.fullmatch(value):
            self.fail("invalid")
        return value


class StrictCharField(serializers.CharField):
    """Text that must arrive as a JSON string: a number is refused rather than turned into text,
    so that a code such as ``"0012"`` sent as ``12`` cannot silently lose its leading zeros."""

    default_error_messages = {"invalid": "请填写文本（JSON 字符串）。"}

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class ModelSerializer(serializers.ModelSerializer):
    """A ModelSerializer whose text fields take strings only (see :class:`StrictCharField`) and whose
    dates lie within :data:`EARLIEST_DATE` … :data:`LATEST_DATE` (see :class:`DateField`)."""

    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.CharField: StrictCharField,
        models.TextField: StrictCharField,
        models.DateField: DateField,
    }
