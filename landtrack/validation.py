"""Validation shared by every LandTrack model.

Each ledger model validates itself on save, so the admin, the REST API, the Excel importers and
the Django shell all refuse the same bad data with the same Chinese messages.
"""

import datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import BaseValidator, MaxLengthValidator
from django.db import models
from django.db.models import ProtectedError
from django.db.models.signals import pre_delete
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

# The dates any record may hold: none before the People's Republic (anything earlier is a typing or Excel
# error) and none after 2999, so that periods counted in full years from a date stay in the calendar.
EARLIEST_DATE = datetime.date(1949, 10, 1)
LATEST_DATE = datetime.date(2999, 12, 31)
# What a date outside them is told: by the models (parcels.models.not_before_1949) and the API alike.
DATE_RANGE_MESSAGES = {
    "too_early": "日期不应早于 1949年10月1日，请检查是否填写有误。",
    "too_late": "日期不应晚于 2999年12月31日，请检查是否填写有误。",
}


def date_out_of_range(value):
    """``"too_early"`` or ``"too_late"`` for a date outside EARLIEST_DATE … LATEST_DATE; None otherwise."""
    if value is not None and value < EARLIEST_DATE:
        return "too_early"
    if value is not None and value > LATEST_DATE:
        return "too_late"
    return None


AREA_MAX_DIGITS = 12
AREA_DECIMAL_PLACES = 4
ZERO = Decimal("0")


class PositiveValidator(BaseValidator):
    """Refuses zero and negative numbers (areas, rates, prices)."""

    message = "必须大于 0。"
    code = "not_positive"

    def __init__(self, message=None):
        super().__init__(limit_value=ZERO, message=message)

    def compare(self, value, limit):
        return value <= limit


def area_field(verbose_name, **kwargs):
    """A 亩 area held exactly: Decimal with 4 places, always > 0 unless blank is allowed."""
    validators = kwargs.pop("validators", [PositiveValidator("面积必须大于 0 亩。")])
    return models.DecimalField(
        verbose_name,
        max_digits=AREA_MAX_DIGITS,
        decimal_places=AREA_DECIMAL_PLACES,
        validators=validators,
        **kwargs,
    )


# The control characters a worksheet cannot hold (XML 1.0), as openpyxl refuses them: never typed, only
# pasted in by mistake, and text holding one could not be exported or reported. Tab and line breaks pass.
CONTROL_CHARACTERS = ILLEGAL_CHARACTERS_RE


def control_character_error(value):
    """The ValidationError for text holding a NUL or another control character, else None."""
    if "\x00" in value:
        return ValidationError("不得包含空字符（NUL）。", code="null_characters_not_allowed")
    found = CONTROL_CHARACTERS.search(value)
    if found:
        return ValidationError(
            f"不得包含控制字符（U+{ord(found.group()):04X}），请删去后再保存。",
            code="control_characters_not_allowed",
        )
    return None


class ValidatedModel(models.Model):
    """A model that runs ``full_clean()`` before every save and refuses control characters (NUL among
    them) in text."""

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        self.full_clean()
        super().save(*args, **kwargs)

    def clean_fields(self, exclude=None):
        errors = {}
        try:
            super().clean_fields(exclude=exclude)
        except ValidationError as error:
            errors = error.update_error_dict(errors)
        for field in self._meta.concrete_fields:
            if not isinstance(field, (models.CharField, models.TextField)):
                continue
            if (exclude and field.name in exclude) or field.name in errors:
                continue
            value = getattr(self, field.attname)
            error = control_character_error(value) if isinstance(value, str) else None
            if error is not None:
                errors[field.name] = [error]
        if errors:
            raise ValidationError(errors)


AREA_PLACES = Decimal("0.0001")


def exact_area(value):
    """An area the database summed, back to its exact 4 places.

    SQLite adds decimals as binary floats (0.1 + 0.2 = 0.30000000000000004) and Django hands the result
    over as such; every stored area has 4 places, so rounding a sum to 4 places restores it exactly.
    PostgreSQL's sums are exact already and pass through unchanged.
    """
    if value is None:
        return None
    return Decimal(value).quantize(AREA_PLACES)


TEXT_MAX_LENGTH = 2000


def text_field(verbose_name, max_length=TEXT_MAX_LENGTH, **kwargs):
    """Free text with an upper bound that the model itself enforces (TextField alone does not)."""
    return models.TextField(
        verbose_name, max_length=max_length, validators=[MaxLengthValidator(max_length)], **kwargs
    )


def rows_naming(model, objs):
    """[(verbose name of the naming model, row)]: the rows that name any of ``objs`` (rows of ``model``) in
    a many-to-many set, as a rectification item names its responsible units."""
    found = []
    for relation in model._meta.related_objects:
        if relation.many_to_many:
            naming = relation.related_model._default_manager.filter(**{f"{relation.field.name}__in": objs})
            found += [(relation.related_model._meta.verbose_name, row) for row in naming.distinct()]
    return found


def protect_from_sets(model):
    """Refuse to delete a ``model`` row that a many-to-many set names (ProtectedError, as for a PROTECT
    foreign key): the database would drop it from the set, a change to the naming row that its history
    never records. Whatever deletes it — the admin, a bulk delete, the shell — is refused."""

    def refuse(sender, instance, **kwargs):
        naming = rows_naming(model, [instance])
        if naming:
            names = "、".join(f"{label}“{row}”" for label, row in naming)
            raise ProtectedError(f"“{instance}”仍被{names}引用，不能删除。", {row for _, row in naming})

    pre_delete.connect(
        refuse, sender=model, weak=False, dispatch_uid=f"protect_from_sets:{model._meta.label}"
    )
