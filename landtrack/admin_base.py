"""What every LandTrack admin page shares: the scope and role rules, service-backed saves, edit checks.

The admin is the screen county staff use all day. Each ModelAdmin here reads through the model's
``visible_to`` scope and asks ``leadership.scope.can_write`` before any change, so a clerk never
sees or edits another county's rows, not even in a choice list.
"""

import datetime

from django import forms
from django.apps import apps
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, ProtectedError, Q, Subquery
from django.http import Http404, HttpResponseRedirect
from django.utils import timezone
from django.utils.text import capfirst
from simple_history.admin import SimpleHistoryAdmin
from simple_history.template_utils import HistoricalRecordContextHelper

from landtrack.dates import cn_date
from landtrack.services import UNTRACKED_FIELDS, StaleVersion
from landtrack.validation import rows_naming
from leadership.choices import RegionLevel
from leadership.scope import (
    can_read_admin,
    can_write,
    object_in_scope,
    object_region,
    scope_counties,
    scope_regions,
)


class VersionedForm(forms.ModelForm):
    """Refuses to save over a version that someone else saved since this form was opened."""

    expected_version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["expected_version"].initial = self.instance.version

    def clean(self):
        cleaned = super().clean()
        expected = cleaned.get("expected_version")
        if self.instance.pk and expected is not None:
            stored = (
                type(self.instance)
                .objects.filter(pk=self.instance.pk)
                .values_list("version", flat=True)
                .first()
            )
            if stored is not None and stored != expected:
                raise ValidationError(stale_message(self.last_change()), code="stale")
        return cleaned

    def last_change(self):
        """The newest history record of what this form edits (forms may widen it to related rows)."""
        return self.instance.history.order_by("-history_date").select_related("history_user").first()


class MarkerField(forms.CharField):
    """Which change a form was opened on: bookkeeping, never a change of the record itself (the form
    comes back with it, while a bound form has no initial value to compare it with)."""

    def has_changed(self, initial, data):
        return False


class ChangeMarkerForm(forms.ModelForm):
    """Refuses to save over a change recorded since the form was opened that no ``version`` covers.

    The marker is the newest change-history id of the object (when it has no ``version``) and of the
    rows edited inline with it whose saves do not raise its version (a group's members, a parcel's notes
    and 令53 procedure), read by the admin's ``change_marker``; it is set when the form is rendered and
    compared again when the form comes back.
    """

    seen_change = MarkerField(widget=forms.HiddenInput, required=False)
    model_admin = None  # set by LandTrackAdmin.get_form
    marked_models = ()  # the inline models the marker watches, set by LandTrackAdmin.get_form

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk and not self.is_bound:
            self.fields["seen_change"].initial = self.marker()

    def marker(self):
        return self.model_admin.change_marker(self.instance, self.marked_models)

    def clean(self):
        cleaned = super().clean()
        seen = cleaned.get("seen_change")
        if self.instance.pk and seen and seen != self.marker():
            latest = self.model_admin.last_change(self.instance, self.marked_models)
            raise ValidationError(stale_message(latest), code="stale")
        return cleaned


def stale_message(latest):
    """Who saved the record meanwhile, and when, for the refusal message."""
    tail = "您的修改未保存，以免覆盖他人的修改。请刷新页面后在最新版本上重新修改。"
    if latest is None:
        return "该记录已被他人修改，" + tail
    who = latest.history_user.get_username() if latest.history_user else "其他用户"
    when = timezone.localtime(latest.history_date)
    return f"该记录已被{who}于 {cn_date(when)} {when:%H:%M} 修改，" + tail


class ScopedAdminMixin:
    """Rows, choices and permissions limited to what the signed-in user's role and region allow."""

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if hasattr(queryset, "visible_to"):
            queryset = queryset.visible_to(request.user)
        return queryset

    def has_module_permission(self, request):
        return can_read_admin(request.user)

    def has_view_permission(self, request, obj=None):
        if not can_read_admin(request.user):
            return False
        return obj is None or object_in_scope(request.user, obj)

    def has_add_permission(self, request, *args):
        return can_write(request.user, self.model._meta.label_lower)

    def has_change_permission(self, request, obj=None):
        return can_write(request.user, self.model._meta.label_lower, object_region(obj) if obj else None)

    def has_delete_permission(self, request, obj=None):
        return self.has_change_permission(request, obj)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        return _scope_choices(field, db_field, request)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        field = super().formfield_for_manytomany(db_field, request, **kwargs)
        return _scope_choices(field, db_field, request)


def _scope_choices(field, db_field, request):
    """Limit a choice list to rows in the user's scope (and, for regions, where they may write)."""
    if field is None or not hasattr(field, "queryset"):
        return field
    queryset = field.queryset
    if hasattr(queryset, "visible_to"):
        # A county's city's rows only where the model takes them (``fields_of_its_city``: a parcel's unit,
        # a task's lead unit, a task's or item's campaign); every other unit of a county's row is its own,
        # and nothing is offered that the model would then refuse.
        with_city = db_field.name in getattr(db_field.model, "fields_of_its_city", ())
        field.queryset = queryset.visible_to(request.user, with_city=with_city)
    elif queryset.model._meta.label_lower == "leadership.region":
        regions = scope_regions(request.user)
        if regions is not None:
            # Towns and zones belong to a county in scope; counties and the city are themselves in scope.
            field.queryset = queryset.filter(pk__in=regions.values("pk")) | queryset.filter(
                parent__in=regions.values("pk"), level__in=["town", "zone"]
            )
    return field


class ScopedInlineMixin:
    """Inline rows follow their parent's permissions."""

    def has_add_permission(self, request, obj=None):
        return can_write(
            request.user, self.parent_model._meta.label_lower, object_region(obj) if obj else None
        )

    def has_change_permission(self, request, obj=None):
        return self.has_add_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return self.has_add_permission(request, obj)

    def has_view_permission(self, request, obj=None):
        return can_read_admin(request.user)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        field = _scope_choices(
            super().formfield_for_foreignkey(db_field, request, **kwargs), db_field, request
        )
        if field is not None and hasattr(field, "queryset"):
            # Read the choices once for all inline rows, not once per row.
            field.choices = list(field.choices)
        return field


class ShownChanges(HistoricalRecordContextHelper):
    """simple-history's list of what each change changed, its values shown as the pages show them: a
    choice by its label (未开始 → 推进中, not not_started → in_progress), 是/否, nothing for nothing."""

    def prepare_delta_change_value(self, change, value):
        field = self.model._meta.get_field(change.field)
        if field.is_relation:
            return super().prepare_delta_change_value(change, value)
        return _shown(field, value, {})


class LandTrackAdmin(ScopedAdminMixin, SimpleHistoryAdmin):
    """Base for every LandTrack ModelAdmin: scoped, with change history, refusals shown not raised.

    A model with a ``version`` guards its change form with :class:`VersionedForm`; any other model
    with a change history, and the inline rows whose saves do not raise a version, get
    :class:`ChangeMarkerForm`'s guard added here, so that no change form saves over someone else's
    newer save.
    """

    list_per_page = 50
    object_history_template = "admin/landtrack/object_history.html"
    object_history_form_template = "admin/landtrack/object_history_form.html"

    # Inline models each of whose saves raises the object's ``version`` (a parcel's disposals): the
    # version's own check covers them, the change marker need not.
    inlines_in_version = ()

    def get_historical_record_context_helper(self, request, historical_record):
        return ShownChanges(self.model, historical_record)

    def guarded_by_history(self):
        """Whether the object's own changes are guarded by its change history: it has no ``version``."""
        model = self.model
        has_version = any(field.name == "version" for field in model._meta.concrete_fields)
        return not has_version and hasattr(model, "history")

    def marked_models(self, request, obj):
        """The inline models of the object's change page that the change marker watches: those that keep a
        history and whose saves do not raise the object's version (an idle parcel's 令53 procedure too)."""
        return tuple(
            inline.model
            for inline in self.get_inlines(request, obj)
            if hasattr(inline.model, "history") and inline.model not in self.inlines_in_version
        )

    def history_sources(self, obj, inline_models):
        """(history queryset) of what the change marker watches: the object unless its version does, and
        each of ``inline_models``' rows of the object."""
        sources = [type(obj).history.filter(id=obj.pk)] if self.guarded_by_history() else []
        for child in inline_models:
            fk = _parent_key(child, type(obj))
            sources.append(child.history.filter(**{fk.attname: obj.pk}))
        return sources

    def change_marker(self, obj, inline_models):
        """The newest history ids of the object and its inline rows, as one string, read in one statement
        ("" once the object is gone)."""
        newest = {
            f"newest_{number}": Subquery(source.order_by("-history_id").values("history_id")[:1])
            for number, source in enumerate(self.history_sources(obj, inline_models))
        }
        row = type(obj)._base_manager.filter(pk=obj.pk).annotate(**newest).values_list(*newest).first()
        return "" if row is None else ":".join(str(value or 0) for value in row)

    def last_change(self, obj, inline_models):
        records = [
            source.select_related("history_user").order_by("-history_date").first()
            for source in self.history_sources(obj, inline_models)
        ]
        records = [record for record in records if record is not None]
        return max(records, key=lambda record: record.history_date, default=None)

    def _check_ids(self, object_id, version_id=None):
        """A malformed id in a history URL is a 404, not the database's conversion error."""
        try:
            self.model._meta.pk.to_python(unquote(object_id))
            if version_id is not None:
                self.model.history.model._meta.pk.to_python(version_id)
        except ValidationError as error:
            raise Http404 from error

    def revert_disabled(self, request, obj=None):
        return True

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        """A past version, to read. Reverting is not offered: a change goes through the change form,
        where the inline rows, the services' rules and the stale-version check all apply."""
        self._check_ids(object_id, version_id)
        if request.method == "POST":
            raise PermissionDenied
        # simple-history asks only whether the past version lay in the user's scope: a row moved to another
        # county since would still open for its former county, with the row's current boundary map on it.
        # The object is judged as the history list judges it: as it is now.
        self._history_subject(request, object_id)
        return super().history_form_view(request, object_id, version_id, extra_context)

    def _history_subject(self, request, object_id):
        """The object whose history is asked for, when the user may read it: the row, if it is in the user's
        scope; else (outside it, or deleted) None if its latest recorded state was in the scope (as
        simple-history's history view finds it). 404 otherwise, as the change page answers that the object
        does not exist: a refusal (403) would tell that the id is another county's. A user who reads no admin
        page at all is refused."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        object_id = unquote(object_id)
        obj = self.get_queryset(request).filter(pk=object_id).first()  # the queryset is the user's scope
        if obj is not None:
            return obj
        latest = self.model.history.filter(**{self.opts.pk.attname: object_id}).order_by("-history_date")
        record = latest.first()
        if record is None or not self.has_view_permission(request, record.instance):
            raise Http404
        return None

    def history_view(self, request, object_id, extra_context=None):
        """The object's change history, followed by that of the rows edited with it (disposals, milestones,
        members), so that every change made on this page can be traced here."""
        self._check_ids(object_id)
        obj = self._history_subject(request, object_id)
        extra_context = {**(extra_context or {}), "inline_history": self.inline_history(request, obj)}
        return super().history_view(request, object_id, extra_context)

    def inline_history(self, request, obj):
        """[(verbose name, rows newest first)] for each inline model that keeps a history.

        The inlines are those the object's change page edits (``get_inlines``), not only the fixed
        ``inlines``: an idle parcel's page also edits its 令53 procedure."""
        if obj is None:
            return []  # deleted: its inline rows went with it
        sections = []
        for inline in self.get_inlines(request, obj):
            child = inline.model
            if not hasattr(child, "history"):
                continue
            fk = _parent_key(child, self.model)
            kept = {field.attname for field in child.history.model._meta.concrete_fields}
            fields = [
                field
                for field in child._meta.concrete_fields
                if field.attname in kept
                and not field.primary_key
                and field is not fk
                and field.name not in UNTRACKED_FIELDS
            ]
            records = list(
                child.history.filter(**{fk.attname: obj.pk})
                .select_related("history_user")
                .order_by("history_date", "history_id")
            )
            sections.append(
                (child._meta.verbose_name, _history_rows(records, fields, _related_names(records, fields)))
            )
        return sections

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is not None and self.is_marked(request, obj):
            base = kwargs.get("form", self.form)
            marked = {"model_admin": self, "marked_models": self.marked_models(request, obj)}
            kwargs["form"] = type(base.__name__, (ChangeMarkerForm, base), marked)
        return super().get_form(request, obj, change=change, **kwargs)

    def is_marked(self, request, obj):
        return self.guarded_by_history() or bool(self.marked_models(request, obj))

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if obj is None or not self.is_marked(request, obj) or not self.has_change_permission(request, obj):
            return fieldsets
        (name, options), *rest = fieldsets
        return [(name, {**options, "fields": [*options["fields"], "seen_change"]}), *rest]

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except StaleVersion as error:
            # Someone saved between this form's validation and its save: nothing was written.
            self.message_user(request, error.message, messages.ERROR)
        except ValidationError as error:
            self.message_user(request, "；".join(error.messages), messages.ERROR)
        return HttpResponseRedirect(request.get_full_path())

    def get_deleted_objects(self, objs, request):
        """What a deletion would take, with the rows that name the objects in a many-to-many set listed
        as protected, as the models refuse that deletion (landtrack.validation.protect_from_sets). The
        objects' own links in their many-to-many sets (a rectification item's responsible units) go with
        them unlisted: Django would list each by class names ("RectificationItem_responsible_units object
        (2)"), the one English line of the page."""
        deleted, counts, perms_needed, protected = super().get_deleted_objects(objs, request)
        links = [model for model in apps.get_models(include_auto_created=True) if model._meta.auto_created]
        for link in links:
            counts.pop(link._meta.verbose_name_plural, None)
        deleted = _without_lines(deleted, tuple(f"{capfirst(link._meta.verbose_name)}: " for link in links))
        naming = [f"{capfirst(label)}: {row}" for label, row in rows_naming(self.model, objs)]
        protected = [*protected, *naming]
        if protected:
            # Refused whatever the user may delete: the page names what keeps the objects (Django counts the
            # protected rows in ``perms_needed`` too, and would show "your account may not delete 县级任务"
            # for rows the deletion would never have touched).
            perms_needed = set()
        return deleted, counts, perms_needed, protected

    def delete_view(self, request, object_id, extra_context=None):
        try:
            return super().delete_view(request, object_id, extra_context)
        except ProtectedError:
            self.message_user(request, "该记录仍被其他数据引用，不能删除。", messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())


def _without_lines(lines, prefixes):
    """The nested list of a deletion's lines (Django's ``unordered_list``) less those that start with
    ``prefixes``, and the lists left empty."""
    kept = []
    for line in lines:
        if isinstance(line, list):
            line = _without_lines(line, prefixes)
            if line:
                kept.append(line)
        elif not str(line).startswith(prefixes):
            kept.append(line)
    return kept


def _parent_key(child, parent):
    """The foreign key from an inline model to the model it is edited with."""
    return next(
        field for field in child._meta.concrete_fields if field.is_relation and field.related_model is parent
    )


def _related_names(records, fields):
    """``{attname: {id: name}}`` for the foreign keys among ``fields``, one query per key: a reader knows
    a unit by its name, not its id. A row deleted since keeps showing its id."""
    names = {}
    for field in fields:
        if field.is_relation:
            ids = {getattr(record, field.attname) for record in records} - {None}
            found = field.related_model._base_manager.in_bulk(ids) if ids else {}
            names[field.attname] = {pk: str(obj) for pk, obj in found.items()}
    return names


def _shown(field, value, names):
    if value is None or value == "":
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"  # not Python's True/False on a Chinese page
    if field.attname in names:
        return names[field.attname].get(value, str(value))
    if field.choices:
        return str(dict(field.flatchoices).get(value, value))
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value)


def _history_rows(records, fields, names):
    """Who changed what and when, one row per history record (given oldest first), newest first; saves
    that changed nothing are left out. ``names`` shows foreign keys (:func:`_related_names`)."""
    rows = []
    previous = {}
    for record in records:
        before = previous.get(record.id)
        previous[record.id] = record
        if record.history_type in ("+", "-"):
            # A creation lists what was entered, a deletion what was lost.
            changes = []
            for field in fields:
                value = _shown(field, getattr(record, field.attname), names)
                if value:
                    entered = record.history_type == "+"
                    changes.append((field.verbose_name, "" if entered else value, value if entered else ""))
        elif record.history_type == "~" and before is not None:
            changes = [
                (
                    field.verbose_name,
                    _shown(field, getattr(before, field.attname), names),
                    _shown(field, getattr(record, field.attname), names),
                )
                for field in fields
                if getattr(before, field.attname) != getattr(record, field.attname)
            ]
            if not changes:
                continue
        else:
            changes = []
        rows.append(
            {
                "at": record.history_date,
                "user": record.history_user.get_username() if record.history_user else "",
                "action": record.get_history_type_display(),
                # Built from the record alone: ``record.instance`` reads the live row's excluded fields,
                # one query per record.
                "object": str(record.history_object),
                "changes": changes,
            }
        )
    rows.reverse()
    return rows


# A filter offers no more regions than this until a wider one narrows them: the country's 2,850 counties
# were some 190 KB of links on every changelist of the country's admin, who chooses a province, then a
# city, then one of its counties. A city's counties, a province's cities, or a province's counties (183
# at most, Sichuan's) are all offered at once.
REGION_CHOICES_LIMIT = 200


# A region's lookups that reach it from itself, its children and its grandchildren: what lies "under" it.
UNDER = ("code", "parent__code", "parent__parent__code")


def _path(field, lookup):
    """``lookup`` through ``field`` of the listed model to its region ("" when the rows are regions)."""
    return f"{field}__{lookup}" if field else lookup


def _upper_regions(request):
    """The provinces and cities, ``[(pk, code, name, level, parent_id)]`` by code: read once per request
    (only for a user whose scope spans several cities: the country's admin)."""
    from leadership.models import Region

    regions = getattr(request, "_landtrack_upper_regions", None)
    if regions is None:
        regions = request._landtrack_upper_regions = list(
            Region.objects.filter(level__in=[RegionLevel.PROVINCE, RegionLevel.CITY])
            .order_by("code")
            .values_list("pk", "code", "name", "level", "parent_id")
        )
    return regions


def regions_under(request, code):
    """The ids of the region of this code and of everything under it (a city's own units and groups,
    and its counties'), read once per request. A list, not a subquery: PostgreSQL guesses a handful of
    rows for the subquery's three-way OR, then sorts a province's 30,000 parcels (100 ms) for a page it
    could read in code order from the few hundred counties named outright."""
    from leadership.models import Region

    found = request.__dict__.setdefault("_landtrack_regions_under", {})
    if code not in found:
        # Three index lookups in one statement (an OR over the joins reads all 22,000 regions: 6–9 ms).
        levels = [
            Region.objects.filter(**{lookup: code}).order_by().values_list("pk", flat=True)
            for lookup in UNDER
        ]
        found[code] = list(levels[0].union(*levels[1:], all=True))
    return found[code]


class RegionFilter(admin.SimpleListFilter):
    """One level of the province → city → county filters. Choosing a region (or "全部") forgets the
    regions chosen below it (``clears``): a county kept from another city would empty the list."""

    #: lookup from the listed model to its county (or, for units and groups, its region)
    county_field = "county"
    #: the query parameters of the filters below this one
    clears = ()

    def has_output(self):
        # A region named in the query but not offered (unknown, or outside the list) still filters: the
        # admin applies only the filters it shows, and would otherwise list everything.
        return bool(self.lookup_choices) or self.value() is not None

    def choices(self, changelist):
        # SimpleListFilter.choices, with the lower levels' parameters removed from every link.
        facet_counts = self.get_facet_queryset(changelist) if changelist.add_facets else None
        yield {
            "selected": self.value() is None,
            "query_string": changelist.get_query_string(remove=[self.parameter_name, *self.clears]),
            "display": "全部",
        }
        for index, (lookup, title) in enumerate(self.lookup_choices):
            if facet_counts is not None:
                title = f"{title} ({facet_counts.get(f'{index}__c', '-')})"
            yield {
                "selected": self.value() == str(lookup),
                "query_string": changelist.get_query_string({self.parameter_name: lookup}, self.clears),
                "display": title,
            }

    def queryset(self, request, queryset):
        if self.value():
            return self.narrow(request, queryset, self.value(), self.county_field)
        return queryset

    @classmethod
    def narrow(cls, request, queryset, code, field):
        """``queryset`` kept to the rows under the region of ``code``, its region at ``field``."""
        return queryset.filter(**{_path(field, "pk__in"): regions_under(request, code)})

    def under(self, code):
        """The rows under the region of this code, as a condition through the joins."""
        conditions = [Q(**{_path(self.county_field, lookup): code}) for lookup in UNDER]
        return conditions[0] | conditions[1] | conditions[2]

    def get_facet_counts(self, pk_attname, filtered_qs):
        # The counts beside each region ("显示计数"): one aggregate with a condition per region offered,
        # where SimpleListFilter's would run queryset() for each — a query per region here.
        return {
            f"{index}__c": Count(pk_attname, filter=self.under(code))
            for index, (code, _) in enumerate(self.lookup_choices)
        }


class ProvinceFilter(RegionFilter):
    """The provinces, for a user whose scope is the whole country, when there are several."""

    title = "省（自治区、直辖市）"
    parameter_name = "province"
    clears = ("city", "county", "town")

    def lookups(self, request, model_admin):
        if scope_counties(request.user) is not None:
            return []  # a city's or a county's account: one province
        provinces = [
            (code, name)
            for _, code, name, level, _ in _upper_regions(request)
            if level == RegionLevel.PROVINCE
        ]
        return provinces if len(provinces) > 1 or self.value() else []


class CityFilter(RegionFilter):
    """The cities of the chosen province (or of the chosen city's), or every city when they are few;
    for a user whose scope is the whole country, when there are several."""

    title = "市（地区、州）"
    parameter_name = "city"
    clears = ("county", "town")

    def lookups(self, request, model_admin):
        if scope_counties(request.user) is not None:
            return []  # a city's or a county's account: one city
        regions = _upper_regions(request)
        cities = [
            (pk, code, name, parent) for pk, code, name, level, parent in regions if level == RegionLevel.CITY
        ]
        province = request.GET.get(ProvinceFilter.parameter_name)
        if not province and self.value():
            province_ids = {parent for _, code, _, parent in cities if code == self.value()}
        elif province:
            province_ids = {pk for pk, code, _, _, _ in regions if code == province}
        else:
            province_ids = None
        if province_ids is not None:
            cities = [city for city in cities if city[3] in province_ids and city[3] is not None]
        if len(cities) > REGION_CHOICES_LIMIT or (len(cities) < 2 and not self.value()):
            return []
        return [(code, name) for _, code, name, _ in cities]


class CountyFilter(RegionFilter):
    """The counties in the user's scope: those of the chosen city or province, or the chosen county's
    neighbours (a link that names a county), or all of them when they are few enough to list."""

    title = "县（市、区）"
    parameter_name = "county"
    clears = ("town",)

    def lookups(self, request, model_admin):
        from leadership.models import Region

        counties = scope_counties(request.user)
        if counties is None:
            counties = Region.objects.counties()
        city = request.GET.get(CityFilter.parameter_name)
        province = request.GET.get(ProvinceFilter.parameter_name)
        if self.value():
            counties = counties.filter(
                Q(code=self.value())
                | Q(
                    parent__isnull=False, parent__in=Region.objects.filter(code=self.value()).values("parent")
                )
            )
        elif city:
            counties = counties.filter(parent__code=city)
        elif province:
            counties = counties.filter(parent__parent__code=province)
        rows = list(counties.order_by("code").values_list("code", "name")[: REGION_CHOICES_LIMIT + 1])
        return [] if len(rows) > REGION_CHOICES_LIMIT else rows

    @classmethod
    def narrow(cls, request, queryset, code, field):
        return queryset.filter(**{_path(field, "code"): code})

    def under(self, code):
        return Q(**{_path(self.county_field, "code"): code})


class RegionProvinceFilter(ProvinceFilter):
    county_field = "region"


class RegionCityFilter(CityFilter):
    county_field = "region"


class RegionCountyFilter(CountyFilter):
    county_field = "region"


# What a changelist of rows that belong to a county lists first (units and groups: REGION_FILTERS).
COUNTY_FILTERS = (ProvinceFilter, CityFilter, CountyFilter)
REGION_FILTERS = (RegionProvinceFilter, RegionCityFilter, RegionCountyFilter)
