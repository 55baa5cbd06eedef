from __future__ import annotations

import copy
from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from palpa.accounts.models import User
from palpa.accounts.queries import locations_for
from palpa.core.forms import Form, ModelForm
from palpa.patients.models import Allergy, Consent, Guardian, Patient
from palpa.patients.services import DEMOGRAPHIC_FIELDS, validate_patient


class DateInput(forms.DateInput):
    input_type = "date"


class PatientForm(ModelForm[Patient]):
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
        self.actor = actor
        field = self.fields["primary_location"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = locations_for(actor)

    def _post_clean(self) -> None:
        # The service's rules, run on a copy of the record as typed, so the page lists every
        # mistake at once (not the form's first and the service's on the next try). The
        # service checks again when it saves.
        candidate = copy.copy(self.instance)
        for name in self._meta.fields or ():
            if name in self.cleaned_data:
                setattr(candidate, name, self.cleaned_data[name])
        candidate.refresh_search_name()
        try:
            validate_patient(actor=self.actor, patient=candidate)
        except ValidationError as exc:
            for name, messages in exc.message_dict.items():
                if name not in self.fields:
                    self.add_error(None, messages)
                elif name not in self.errors:
                    self.add_error(name, messages)


class ConsentForm(ModelForm[Consent]):
    class Meta:
        model = Consent
        fields = ("kind", "version", "given_on", "granted")
        widgets = {"given_on": DateInput()}


class AllergyForm(ModelForm[Allergy]):
    class Meta:
        model = Allergy
        fields = ("substance", "reaction", "severity")


class GuardianForm(ModelForm[Guardian]):
    class Meta:
        model = Guardian
        fields = ("name", "relationship", "email", "phone", "legal_representative")
        widgets = {
            "phone": forms.TextInput(attrs={"type": "tel", "autocomplete": "off"}),
            "email": forms.EmailInput(attrs={"autocomplete": "off"}),
        }


class StatusForm(Form):
    status = forms.ChoiceField(choices=Patient.Status.choices)
    reason = forms.CharField(max_length=300, required=False)


class MessageTemplateForm(Form):
    """One kind of message on one channel, in the organization's words."""

    subject = forms.CharField(max_length=200, required=False)
    body = forms.CharField(widget=forms.Textarea(attrs={"rows": 12}), max_length=5000)

    def __init__(self, *args: Any, channel: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if channel == Patient.Channel.SMS:
            del self.fields["subject"]
            self.fields["body"].widget.attrs["rows"] = 4
            self.fields["body"].label = "Text message"
        else:
            self.fields["subject"].required = True
