from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm

from palpa.accounts.models import Location, Organization, Room
from palpa.core.forms import Form, ModelForm, TextRuleMixin


class LoginForm(TextRuleMixin, AuthenticationForm):
    username = forms.CharField(
        label="Email",
        widget=forms.EmailInput(attrs={"autocomplete": "username", "autofocus": True}),
    )

    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": "Enter the correct email and password of a staff account.",
    }

    def clean(self) -> dict[str, Any]:
        if self.cleaned_data.get("username"):
            self.cleaned_data["username"] = self.cleaned_data["username"].lower()
        return super().clean()


class OtpForm(Form):
    token = forms.RegexField(
        label="6-digit code from your authenticator app",
        regex=r"^\s*\d{6}\s*$",
        error_messages={"invalid": "Enter the 6 digits your authenticator app shows."},
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}
        ),
    )


class OrganizationForm(ModelForm[Organization]):
    class Meta:
        model = Organization
        fields = (
            "name",
            "time_zone",
            "require_mfa",
            "session_idle_minutes",
            "license_warning_days",
        )


class LocationForm(ModelForm[Location]):
    class Meta:
        model = Location
        fields = (
            "name",
            "kind",
            "address_line1",
            "address_line2",
            "city",
            "region",
            "postal_code",
            "phone",
            "time_zone",
            "active",
        )


class RoomForm(ModelForm[Room]):
    class Meta:
        model = Room
        fields = ("name", "equipment")
