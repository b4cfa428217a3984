"""django-filter filters that take exactly what the OpenAPI schema says they take.

django-filter's own are lenient where the schema cannot be: ``BooleanFilter`` reads ``?linked=maybe``
as "not filtered" and ``NumberFilter`` takes ``?year=2022.5``; ``DateFilter`` takes dates the rules
cannot count from. Here such a value is a 400 naming the parameter, like any other malformed filter; an
empty value still means "not filtered".
"""

import django_filters
from django import forms
from django_filters.rest_framework import DjangoFilterBackend

from .fields import DATE_MESSAGES, ISO_DATE, check_date_range


class BooleanField(forms.TypedChoiceField):
    """``true`` or ``false``, as a boolean of the schema is written in a query string; empty is None."""

    def __init__(self, **kwargs):
        super().__init__(
            choices=[("true", "是"), ("false", "否")],
            coerce={"true": True, "false": False}.__getitem__,
            empty_value=None,
            **kwargs,
        )


class BooleanFilter(django_filters.BooleanFilter):
    """``?overdue=true`` or ``false``; anything else is refused rather than read as "not filtered"."""

    field_class = BooleanField


class IntegerFilter(django_filters.NumberFilter):
    """A whole number: ``?year=2022.5`` is a 400, not a filter on a year that cannot exist."""

    field_class = forms.IntegerField


class DateField(forms.DateField):
    """A date from 1949-10-01 to 2999-12-31, as :class:`landtrack.api.fields.DateField`."""

    input_formats = ["%Y-%m-%d"]  # API.md: YYYY-MM-DD only, as DRF's DATE_INPUT_FORMATS
    default_error_messages = DATE_MESSAGES

    def fail(self, key):
        raise forms.ValidationError(self.error_messages[key], code=key)

    def to_python(self, value):
        if isinstance(value, str) and value and not ISO_DATE.fullmatch(value):  # empty: not filtered
            self.fail("invalid")
        return check_date_range(super().to_python(value), self.fail)


class DateFilter(django_filters.DateFilter):
    """``?as_of=``: a date in the range every date of the API keeps."""

    field_class = DateField


class FilterBackend(DjangoFilterBackend):
    """django-filter's backend (the API's default), keeping on the view the filterset it applied
    (``view.applied_filterset``): what else reads the filters — the parcel list's counts — takes their
    values as cleaned there, without building and validating the filters a second time."""

    def get_filterset(self, request, queryset, view):
        filterset = super().get_filterset(request, queryset, view)
        view.applied_filterset = filterset
        return filterset
