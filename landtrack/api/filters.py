"""django-filter filters that take exactly what the OpenAPI schema says they take.

django-filter's own are lenient where the schema cannot be: ``BooleanFilter`` reads ``?linked=maybe``
as "not filtered" and ``NumberFilter`` takes ``?year=2022.5``. Here such a value is a 400 naming the
parameter, like any other malformed filter; an empty value still means "not filtered".
"""

import django_filters
from django import forms


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
