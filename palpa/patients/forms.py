from __future__ import annotations

from typing import Any

from django import forms

from palpa.accounts.models import Location, User
from palpa.accounts.permissions import tenant_id
from palpa.patients.models import Allergy, Consent, Patient
from palpa.patients.services import DEMOGRAPHIC_FIELDS


class DateInput(forms.DateInput):
    input_type = "date"


class PatientForm(forms.ModelForm[Patient]):
    class Meta:
        model = Patient
        fields = DEMOGRAPHIC_FIELDS
        widgets = {
            "date_of_birth": DateInput(),
            "phone": forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"}),
            "emergency_contact_phone": forms.TextInput(attrs={"type": "tel"}),
            "email": forms.EmailInput(attrs={"autocomplete": "email"}),
        }

    def __init__(self, *args: Any, actor: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["primary_location"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = Location.objects.filter(organization_id=tenant_id(actor))

    def _post_clean(self) -> None:
        # Model validation runs in the service, which sees the whole record.
        pass


class ConsentForm(forms.ModelForm[Consent]):
    class Meta:
        model = Consent
        fields = ("kind", "version", "given_on", "granted")
        widgets = {"given_on": DateInput()}


class AllergyForm(forms.ModelForm[Allergy]):
    class Meta:
        model = Allergy
        fields = ("substance", "reaction", "severity")


class StatusForm(forms.Form):
    status = forms.ChoiceField(choices=Patient.Status.choices)
    reason = forms.CharField(max_length=300, required=False)
