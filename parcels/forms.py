from django import forms
from django.core.exceptions import ValidationError

from landtrack.admin_base import VersionedForm
from landtrack.validation import ZERO

from .choices import METHODS_BY_KIND, DisposalMethod
from .models import Parcel
from .selectors import parcel_last_change


class ParcelForm(VersionedForm):
    class Meta:
        model = Parcel
        fields = "__all__"
        widgets = {
            "note": forms.Textarea(attrs={"rows": 2}),
            "not_started_reason": forms.Textarea(attrs={"rows": 2}),
        }

    def last_change(self):
        return parcel_last_change(self.instance)


class DisposalInlineFormSet(forms.BaseInlineFormSet):
    """Checks the disposals of one parcel together: their areas may not add up to more than its area."""

    def _construct_form(self, i, **kwargs):
        form = super()._construct_form(i, **kwargs)
        # A row's area is judged here with the page's other rows as typed (clean, below), not alone against
        # the others as stored, which the same page may be changing (5 + 5 → 6 + 4 亩 in one save); saving
        # checks each row again against what is stored by then, under the parcel's lock.
        form.instance.area_judged_with_rows = True
        return form

    def clean(self):
        super().clean()
        parcel = self.instance
        if parcel.area_mu is None or parcel.kind not in METHODS_BY_KIND:
            return
        total = ZERO
        for form in self.forms:
            if not hasattr(form, "cleaned_data") or not form.cleaned_data:
                continue
            if form.cleaned_data.get("DELETE"):
                continue
            area = form.cleaned_data.get("area_mu")
            method = form.cleaned_data.get("method")
            if area:
                total += area
                if area > parcel.area_mu:  # the row alone: said on it, besides the page's total
                    form.add_error("area_mu", f"处置面积 {area:.4f} 亩超过地块面积 {parcel.area_mu:.4f} 亩。")
            if method and method not in METHODS_BY_KIND[parcel.kind]:
                form.add_error(
                    "method", f"“{DisposalMethod(method).label}”不是{parcel.get_kind_display()}的处置方式。"
                )
        if total > parcel.area_mu:
            raise ValidationError(
                f"处置面积合计 {total:.4f} 亩超过地块面积 {parcel.area_mu:.4f} 亩。", code="over_area"
            )
