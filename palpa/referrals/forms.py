"""Web forms for the physician directory, referrals, overrides and the warning policy.

Forms only shape the input; the services validate it (the NPI's check digit, ICD-10-CM
codes, the prescription's type and size) and their messages are shown on the fields.
"""

from __future__ import annotations

import re
from typing import Any

from django import forms

from palpa.accounts.models import User
from palpa.core.forms import Form, ModelForm
from palpa.referrals.models import Physician, Referral, ReferralPolicy
from palpa.referrals.queries import physicians_for

DATE = forms.DateInput(attrs={"type": "date"})


class PhysicianForm(ModelForm[Physician]):
    class Meta:
        model = Physician
        fields = (
            "given_name",
            "family_name",
            "credentials",
            "npi",
            "practice",
            "address",
            "phone",
            "fax",
            "secure_email",
            "preferred_delivery",
        )

    def _post_clean(self) -> None:
        pass  # validated by the service (it names the NPI's check digit)


class ReferralForm(Form):
    physician = forms.ModelChoiceField(
        label="Referring physician", queryset=Physician.objects.none()
    )
    diagnoses = forms.CharField(
        label="Diagnoses (ICD-10-CM)",
        max_length=200,
        help_text="Codes from Palpa's subset, most important first, separated by commas "
        "(e.g. M54.50, M62.830).",
    )
    requested_service = forms.CharField(
        label="Requested service", max_length=200, initial="Medical massage"
    )
    frequency = forms.CharField(
        label="Frequency", max_length=100, required=False, help_text="e.g. 2x/week x 6 weeks"
    )
    visits_authorized = forms.IntegerField(label="Visits authorized", min_value=1, max_value=500)
    starts_on = forms.DateField(label="Starts on", widget=DATE)
    expires_on = forms.DateField(label="Expires on", widget=DATE)
    precautions = forms.CharField(
        label="Precautions", required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    prescription = forms.FileField(
        label="Scanned prescription",
        required=False,
        help_text="PDF, PNG or JPEG, up to 10 MB.",
        widget=forms.ClearableFileInput(attrs={"accept": "application/pdf,image/png,image/jpeg"}),
    )

    def __init__(self, *args: Any, actor: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["physician"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = physicians_for(actor).filter(active=True)

    def clean_diagnoses(self) -> list[str]:
        text = str(self.cleaned_data["diagnoses"])
        return [c for c in re.split(r"[\s,;]+", text.upper()) if c]

    @staticmethod
    def initial_for(referral: Referral) -> dict[str, Any]:
        return {
            "physician": referral.physician_id,
            "diagnoses": ", ".join(referral.diagnoses),
            "requested_service": referral.requested_service,
            "frequency": referral.frequency,
            "visits_authorized": referral.visits_authorized,
            "starts_on": referral.starts_on,
            "expires_on": referral.expires_on,
            "precautions": referral.precautions,
        }


class CancelForm(Form):
    reason = forms.CharField(
        label="Why the referral is cancelled",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class OverrideForm(Form):
    reason = forms.CharField(
        label="Why care may go beyond the referral",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    visits_planned = forms.IntegerField(
        label="Up to this many visits",
        min_value=1,
        max_value=500,
        required=False,
        help_text="Leave empty for no limit.",
    )
    ends_on = forms.DateField(
        label="Until", required=False, widget=DATE, help_text="Leave empty for no limit."
    )


class PolicyForm(ModelForm[ReferralPolicy]):
    class Meta:
        model = ReferralPolicy
        fields = ("warn_visits_left", "warn_days_left")

    def _post_clean(self) -> None:
        pass  # validated by the service
