from __future__ import annotations

from django import forms

from palpa.core.forms import ModelForm
from palpa.practitioners.models import License, Practitioner


class PractitionerForm(ModelForm[Practitioner]):
    class Meta:
        model = Practitioner
        fields = ("given_name", "family_name", "credentials", "npi", "email", "phone", "active")


class LicenseForm(ModelForm[License]):
    class Meta:
        model = License
        fields = ("jurisdiction", "license_type", "number", "issued_on", "expires_on")
        widgets = {
            "issued_on": forms.DateInput(attrs={"type": "date"}),
            "expires_on": forms.DateInput(attrs={"type": "date"}),
        }

    def _post_clean(self) -> None:
        pass  # validated by the service
