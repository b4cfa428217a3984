from django import forms
from django.core.exceptions import ValidationError

from landtrack.admin_base import VersionedForm

from .models import (
    CountyTask,
    RectificationItem,
    closed_units_message,
    foreign_units_message,
    milestone_set_errors,
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
