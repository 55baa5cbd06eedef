"""Forms of the online booking pages (patients) and of their staff settings."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.utils import timezone

from palpa.core.forms import Form, ModelForm
from palpa.scheduling.models import AppointmentType, OnlineBookingSettings, ReminderPolicy
from palpa.scheduling.wording import WordingError, check

DATE = forms.DateInput(attrs={"type": "date", "autocomplete": "bday"})


def _born(value: dt.date | None) -> dt.date | None:
    if value is not None and not dt.date(1900, 1, 1) <= value <= timezone.localdate():
        raise forms.ValidationError("Give your date of birth (after 1900, not in the future).")
    return value


class ReturningPatientForm(Form):
    contact = forms.CharField(
        label="Your email or mobile phone",
        max_length=254,
        help_text="The one the clinic has on file. We send a code to it.",
        widget=forms.TextInput(attrs={"autocomplete": "email", "inputmode": "email"}),
    )
    date_of_birth = forms.DateField(label="Your date of birth", widget=DATE)

    def clean_date_of_birth(self) -> dt.date | None:
        return _born(self.cleaned_data.get("date_of_birth"))


class CodeForm(Form):
    code = forms.CharField(
        label="The 6-digit code we sent you",
        max_length=12,
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "autocomplete": "one-time-code", "pattern": "[0-9 ]*"}
        ),
    )


class NewPatientForm(Form):
    given_name = forms.CharField(label="First name", max_length=100)
    family_name = forms.CharField(label="Last name", max_length=100)
    date_of_birth = forms.DateField(label="Date of birth", widget=DATE)
    phone = forms.CharField(
        label="Mobile phone",
        max_length=30,
        required=False,
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"}),
    )
    email = forms.EmailField(
        label="Email", required=False, widget=forms.EmailInput(attrs={"autocomplete": "email"})
    )
    texts_allowed = forms.BooleanField(
        label="Text me about my appointments (reminders, changes)", required=False
    )
    privacy = forms.BooleanField(
        label="I have read the clinic's privacy notice and agree that my details are kept "
        "to arrange my care",
        error_messages={"required": "Please tick this box to continue."},
    )
    notes = forms.CharField(
        label="Anything the clinic should know (optional)",
        max_length=300,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def clean_date_of_birth(self) -> dt.date | None:
        return _born(self.cleaned_data.get("date_of_birth"))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("phone") and not data.get("email"):
            self.add_error("email", "Give an email or a mobile phone so the clinic can reach you.")
        if data.get("texts_allowed") and not data.get("phone"):
            self.add_error("phone", "Give your mobile phone to get text messages.")
        return data


class CancelForm(Form):
    reason = forms.CharField(
        label="Reason (optional)", max_length=200, required=False, widget=forms.TextInput()
    )


class OnlineSettingsForm(ModelForm):  # type: ignore[type-arg]
    appointment_types = forms.ModelMultipleChoiceField(
        queryset=AppointmentType.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Appointment types patients may book here",
        help_text="Only active types marked bookable online are listed.",
    )

    class Meta:
        model = OnlineBookingSettings
        fields = (
            "enabled",
            "appointment_types",
            "days_ahead",
            "min_notice_hours",
            "cancel_notice_hours",
            "move_any_therapist",
            "start_every_minutes",
            "new_patients",
            "notify_email",
            "welcome",
        )
        labels = {
            "enabled": "Online booking is open at this location",
            "days_ahead": "How far ahead (days)",
            "min_notice_hours": "Minimum notice (hours)",
            "cancel_notice_hours": "Patients may cancel or move online until (hours before)",
            "move_any_therapist": "Patients changing a time in the portal may choose another "
            "therapist",
            "start_every_minutes": "Start times offered",
            "new_patients": "New patients",
            "notify_email": "Email online bookings to",
            "welcome": "Line at the top of the booking page",
        }

    def __init__(self, *args: Any, organization_id: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["appointment_types"]
        assert isinstance(field, forms.ModelMultipleChoiceField)
        field.queryset = AppointmentType.objects.filter(
            organization_id=organization_id, active=True, online_bookable=True
        )


class ReminderPolicyForm(Form):
    channel = forms.ChoiceField(choices=ReminderPolicy.Channel.choices)
    lead_hours = forms.DecimalField(
        label="Hours before the appointment", min_value=0.5, max_value=336, decimal_places=1
    )
    subject = forms.CharField(max_length=200, required=False, label="Email subject")
    body = forms.CharField(max_length=2000, widget=forms.Textarea(attrs={"rows": 6}))

    def clean_subject(self) -> str:
        text = str(self.cleaned_data.get("subject") or "")
        try:
            check(text)
        except WordingError as exc:
            raise forms.ValidationError(str(exc)) from exc
        return text

    def clean_body(self) -> str:
        text = str(self.cleaned_data.get("body") or "")
        try:
            check(text, required=("date", "time", "manage_link"))
        except WordingError as exc:
            raise forms.ValidationError(str(exc)) from exc
        return text
