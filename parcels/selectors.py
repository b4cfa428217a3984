"""Reads of the ledger that span more than one row."""

import datetime
from decimal import Decimal

from django.db import models

from landtrack.numbers import format_area
from landtrack.services import UNTRACKED_FIELDS
from leadership.models import Region

from .boundaries import square_metres_to_mu
from .models import Disposal, IdleProcedure, Parcel, ParcelBoundary, ProgressNote

ACTIONS = {"+": "create", "~": "update", "-": "delete"}
REGION_FIELDS = {"county_id", "town_id"}

# The rows kept with a parcel, as its history lists them: (model, action prefix, fields left out beyond the
# bookkeeping ones). A boundary's points and map shapes are left out (a re-upload lists its file, area and
# time instead).
RELATED_HISTORIES = (
    (Disposal, "disposal_", set()),
    (ProgressNote, "note_", set()),
    (IdleProcedure, "procedure_", set()),
    (
        ParcelBoundary,
        "boundary_",
        {"rings", "geometry", "bbox", "center", "file_header", "parcel_line", "uploaded_by"},
    ),
)
ACTION_WORDS = {"create": "新增", "update": "修改", "delete": "删除"}
# (action, 新建地块 …) as the history lists and the API documents them.
HISTORY_ACTIONS = [
    (prefix + action, f"{ACTION_WORDS[action]}{model._meta.verbose_name}")
    for model, prefix in ((Parcel, ""), *((model, prefix) for model, prefix, _ in RELATED_HISTORIES))
    for action in ACTIONS.values()
]


def parcel_last_change(parcel):
    """The newest history record of a parcel or of any of its disposals."""
    candidates = [
        Parcel.history.filter(id=parcel.pk).select_related("history_user").order_by("-history_date").first(),
        Disposal.history.filter(parcel_id=parcel.pk)
        .select_related("history_user")
        .order_by("-history_date")
        .first(),
    ]
    candidates = [record for record in candidates if record is not None]
    return max(candidates, key=lambda record: record.history_date, default=None)


def _tracked_fields(history_model, model):
    """(API name, attribute) of the fields a history model keeps, as the API names them."""
    kept = {field.attname for field in history_model._meta.concrete_fields}
    fields = []
    for field in model._meta.concrete_fields:
        if field.attname not in kept or field.primary_key:
            continue
        fields.append((field.name, field.attname, field))
    return fields


def _shown(field, value, region_codes):
    if value is None:
        return None
    if field.attname in REGION_FIELDS:
        return region_codes.get(value)
    if isinstance(value, Decimal):
        return format_area(value) if field.name.endswith("_mu") else str(value)
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()
    if isinstance(field, models.ForeignKey):
        return value
    return value


def _entries(records, fields, prefix, region_codes):
    entries = []
    previous = {}
    for record in records:
        key = record.id
        before = previous.get(key)
        if record.history_type in ("+", "-"):
            # A creation lists what was entered, a deletion what was lost: the same fields either way.
            changes = {}
            for name, attname, field in fields:
                value = getattr(record, attname)
                if value not in (None, "", [], {}):
                    shown = _shown(field, value, region_codes)
                    changes[name] = [None, shown] if record.history_type == "+" else [shown, None]
        else:
            changes = {}
            for name, attname, field in fields:
                old = getattr(before, attname) if before is not None else None
                new = getattr(record, attname)
                if before is not None and old != new:
                    changes[name] = [_shown(field, old, region_codes), _shown(field, new, region_codes)]
            if before is not None and not changes:
                previous[key] = record
                continue  # a save that changed nothing is not news
        previous[key] = record
        entries.append(
            {
                "at": record.history_date,
                "user": record.history_user.get_username() if record.history_user else None,
                "action": prefix + ACTIONS[record.history_type],
                "changes": changes,
                "_order": (record.history_date, prefix == "", record.history_id),
            }
        )
    return entries


def parcel_history(parcel_id):
    """A parcel's change history and that of the rows kept with it (disposals, progress notes, the 令53
    procedure, the boundary), newest first: who, when, what changed."""
    parcel_records = list(
        Parcel.history.filter(id=parcel_id)
        .select_related("history_user")
        .order_by("history_date", "history_id")
    )
    region_ids = {getattr(r, name) for r in parcel_records for name in REGION_FIELDS} - {None}
    region_codes = (
        dict(Region.objects.filter(pk__in=region_ids).values_list("pk", "code")) if region_ids else {}
    )
    entries = _entries(parcel_records, _tracked_fields(Parcel.history.model, Parcel), "", region_codes)
    for model, prefix, left_out in RELATED_HISTORIES:
        records = list(
            model.history.filter(parcel_id=parcel_id)
            .select_related("history_user")
            .order_by("history_date", "history_id")
        )
        if model is ParcelBoundary:
            # Its area in 亩 from the exact square metres, rounded once where shown, as every other page
            # shows it (the stored 4 places, rounded again, could differ by 0.01).
            for record in records:
                record.area_mu = square_metres_to_mu(record.area_m2)
        fields = [
            entry
            for entry in _tracked_fields(model.history.model, model)
            if entry[0] != "parcel" and entry[0] not in UNTRACKED_FIELDS | left_out
        ]
        entries += _entries(records, fields, prefix, region_codes)
    entries.sort(key=lambda entry: entry["_order"], reverse=True)
    for entry in entries:
        del entry["_order"]
    return entries
