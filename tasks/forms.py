from django import forms
from django.core.exceptions import ValidationError

from landtrack.admin_base import VersionedForm

from .choices import TaskCategory
from .models import (
    Campaign,
    CountyTask,
    Milestone,
    RectificationItem,
    closed_units_message,
    foreign_units_message,
    milestone_set_errors,
    year_validators,
)


class CountyTaskForm(VersionedForm):
    class Meta:
        model = CountyTask
        fields = "__all__"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The milestone inline checks the set against the period, and the admin saves both through
        # tasks.services.task_save.
        self.instance.milestones_checked_as_set = True


class RectificationItemForm(VersionedForm):
    class Meta:
        model = RectificationItem
        fields = "__all__"
        widgets = {
            "description": forms.Textarea(attrs={"rows": 3}),
            "evidence": forms.Textarea(attrs={"rows": 2}),
        }

    def clean(self):
        cleaned = super().clean()
        county, units = cleaned.get("county"), cleaned.get("responsible_units")
        if county is not None and units is not None:
            # The service's rule, asked here so that the refusal shows next to the field.
            message = foreign_units_message(county, units) or closed_units_message(self.instance, units)
            if message:
                self.add_error("responsible_units", message)
        return cleaned


class MilestoneInlineFormSet(forms.BaseInlineFormSet):
    """Checks a task's milestones as a set: rates rising with dates, the last at 100 %."""

    def _construct_form(self, i, **kwargs):
        form = super()._construct_form(i, **kwargs)
        # Rows are judged together in clean(), not one by one against the stored set.
        form.instance.checked_as_set = True
        return form

    def milestone_pairs(self):
        pairs = []
        for form in self.forms:
            data = getattr(form, "cleaned_data", None) or {}
            if not data or data.get("DELETE"):
                continue
            if data.get("due") and data.get("target_rate") is not None:
                pairs.append((data["due"], data["target_rate"]))
        return pairs

    def clean(self):
        super().clean()
        if any(self.errors):
            return
        pairs = self.milestone_pairs()
        task = self.instance
        if not pairs and task._state.adding:
            # A new task without milestones gets the defaults, which its period must hold (the model's own
            # check, which the task's form leaves to this set): said here, with everything typed kept.
            errors = {}
            task._clean_period_against_milestones(errors)
            if errors:
                raise ValidationError(list(errors.values()))
            return
        errors = milestone_set_errors(pairs, task.start_date, task.end_date)
        if errors:
            raise ValidationError(errors)


def _task_field(name, **kwargs):
    """The form field of a CountyTask field, as its change form has it (label, digits, help text)."""
    return CountyTask._meta.get_field(name).formfield(**kwargs)


def _milestone_field(name, **kwargs):
    return Milestone._meta.get_field(name).formfield(required=False, **kwargs)


class SpacedDecimalField(forms.DecimalField):
    """A number that may come with spaces around it, and only spaces for none."""

    def to_python(self, value):
        return super().to_python(value.strip() if isinstance(value, str) else value)


# A number typed as text: a browser's number input sends nothing for "12亩", and the row would be taken
# for one left blank (no task) instead of refused.
_NUMBER_AS_TEXT = forms.TextInput(attrs={"inputmode": "decimal", "size": 12})


class TaskAssignForm(forms.Form):
    """What one year's tasks of a city's counties share (下达任务), entered once on the assignment page."""

    # The page's year, chosen above the form (which fills in that year's milestones and lists the counties'
    # tasks of it): shown here, never taken from the post, so the two cannot disagree.
    year = forms.IntegerField(
        label="年度", validators=year_validators(), disabled=True, help_text="在页面上方选择年度。"
    )
    category = forms.ChoiceField(label="任务类别", choices=TaskCategory.choices)
    start_date = _task_field("start_date")
    end_date = _task_field("end_date")
    assigned_by = _task_field("assigned_by")
    document_number = _task_field("document_number")
    campaign = forms.ModelChoiceField(
        label="专项行动",
        queryset=Campaign.objects.none(),
        required=False,
        empty_label="（无）",
        help_text="可选本市的专项行动。",
    )

    def __init__(self, *args, city, **kwargs):
        super().__init__(*args, **kwargs)
        # A task is filed under a campaign of its county or its city (CountyTask.clean): the city's fit all.
        self.fields["campaign"].queryset = (
            Campaign.objects.filter(region=city).order_by("-year", "name")
            if city
            else Campaign.objects.none()
        )


class MilestoneRowForm(forms.Form):
    """One milestone of the tasks assigned together: by this date, this share of each county's target."""

    due = _milestone_field("due")
    target_rate = _milestone_field("target_rate", widget=_NUMBER_AS_TEXT)


class BaseMilestoneRowFormSet(forms.BaseFormSet):
    def pairs(self):
        """``(due, target_rate)`` of the rows filled in; rows left blank are no milestone."""
        return [
            (form.cleaned_data["due"], form.cleaned_data["target_rate"])
            for form in self.forms
            if form.cleaned_data.get("due") and form.cleaned_data.get("target_rate") is not None
        ]

    def clean(self):
        super().clean()
        for form in self.forms:
            data = getattr(form, "cleaned_data", None) or {}
            if bool(data.get("due")) != (data.get("target_rate") is not None):
                form.add_error(None, "节点日期和累计目标须同时填写，或同时留空。")


MilestoneRowFormSet = forms.formset_factory(
    MilestoneRowForm, formset=BaseMilestoneRowFormSet, extra=2, max_num=12, validate_max=True
)


class CountyAreasForm(forms.Form):
    """One row per county of the page: that county's target area in 亩, blank for no task."""

    def __init__(self, *args, counties, **kwargs):
        super().__init__(*args, **kwargs)
        self.counties = list(counties)
        for county in self.counties:
            field = _task_field(
                "target_area_mu", form_class=SpacedDecimalField, required=False, widget=_NUMBER_AS_TEXT
            )
            field.label = county.name
            self.fields[self.field_name(county)] = field

    @staticmethod
    def field_name(county_id):
        return f"area_{getattr(county_id, 'pk', county_id)}"

    def rows(self):
        """``(county, bound field)`` for the table."""
        return [(county, self[self.field_name(county)]) for county in self.counties]

    def filled(self):
        """``(county, area)`` of the rows given an area."""
        return [
            (county, self.cleaned_data[self.field_name(county)])
            for county in self.counties
            if self.cleaned_data.get(self.field_name(county)) is not None
        ]

    def problems(self):
        """The row errors, each naming its county and the field."""
        label = CountyTask._meta.get_field("target_area_mu").verbose_name
        return [
            f"{county.name}：{label}：{message}"
            for county in self.counties
            for message in self.errors.get(self.field_name(county), ())
        ]
