from __future__ import annotations

import zoneinfo
from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm

from palpa.accounts.models import Location, Organization, Role, Room
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


def _zones() -> list[tuple[str, str]]:
    return [(z, z.replace("_", " ")) for z in sorted(zoneinfo.available_timezones()) if "/" in z]


class FirstRunForm(Form):
    """The organization and its owner (the first location is ``FirstLocationForm``)."""

    organization_name = forms.CharField(label="Organization name", max_length=200)
    time_zone = forms.ChoiceField(
        label="Time zone",
        choices=_zones,
        initial="America/New_York",
        help_text="Where the clinic is: dates and times are shown in this zone.",
    )
    owner_name = forms.CharField(label="Your full name", max_length=200)
    owner_email = forms.EmailField(
        label="Your email", help_text="You sign in with it.", max_length=150
    )
    password = forms.CharField(
        label="Password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text="At least 12 characters, not a common password, not all digits.",
    )
    password_again = forms.CharField(
        label="Password again",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("password") and data.get("password") != data.get("password_again"):
            self.add_error("password_again", "The two passwords differ: type the same one twice.")
        return data


class FirstLocationForm(ModelForm[Location]):
    class Meta:
        model = Location
        fields = ("name", "kind", "address_line1", "city", "region", "postal_code", "phone")
        labels = {"name": "Location name"}


class InviteForm(Form):
    full_name = forms.CharField(label="Full name", max_length=200)
    email = forms.EmailField(label="Email", max_length=150)
    role = forms.ChoiceField(label="Role", choices=Role.choices, initial=Role.THERAPIST)


class RoleForm(Form):
    role = forms.ChoiceField(label="Role", choices=Role.choices)


class SetPasswordForm(Form):
    """The invitee's own password (checked by the service against the validators)."""

    new_password1 = forms.CharField(
        label="New password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text="At least 12 characters, not a common password, not all digits.",
    )
    new_password2 = forms.CharField(
        label="New password again",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("new_password1") and data.get("new_password1") != data.get("new_password2"):
            self.add_error("new_password2", "The two passwords differ: type the same one twice.")
        return data
