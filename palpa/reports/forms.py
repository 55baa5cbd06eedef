from __future__ import annotations

from django import forms

from palpa.core.forms import Form, ModelForm
from palpa.reports.models import Report


class ReportForm(ModelForm[Report]):
    class Meta:
        model = Report
        fields = ("assessment", "recommendation", "recommendation_detail")
        widgets = {
            "assessment": forms.Textarea(attrs={"rows": 5}),
            "recommendation_detail": forms.Textarea(attrs={"rows": 2}),
        }
        labels = {
            "assessment": "Your assessment (the physician reads it first)",
            "recommendation_detail": "Details of the recommendation",
        }


class SendForm(Form):
    email = forms.EmailField(
        label="Physician's email",
        required=False,
        help_text="Leave empty to use the secure email in the physician directory.",
    )


class CorrectionForm(Form):
    reason = forms.CharField(label="What does the correction fix?", max_length=300)


class DiscardForm(Form):
    reason = forms.CharField(label="Why discard this draft?", max_length=300)


class PolicyForm(Form):
    every_visits = forms.IntegerField(
        label="A progress report is due after this many signed visits",
        min_value=1,
        max_value=100,
        required=False,
    )
    every_days = forms.IntegerField(
        label="or after this many days", min_value=1, max_value=365, required=False
    )
    link_days = forms.IntegerField(
        label="The physician's link works for (days)", min_value=1, max_value=90
    )
