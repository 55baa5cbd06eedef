"""The portal's forms: sign-in (contact, then code) and the patient's small choices."""

from __future__ import annotations

from django import forms

from palpa.core.forms import Form


class ContactForm(Form):
    contact = forms.CharField(
        label="Your email or mobile number",
        max_length=254,
        help_text="The one the clinic has on file. We send a 6-digit code to it.",
        widget=forms.TextInput(attrs={"autocomplete": "username", "inputmode": "email"}),
    )


class CodeForm(Form):
    code = forms.CharField(
        label="The 6-digit code we sent you",
        max_length=12,
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "autocomplete": "one-time-code", "pattern": "[0-9 ]*"}
        ),
    )


class CancelForm(Form):
    reason = forms.CharField(label="Reason (optional)", max_length=300, required=False, strip=True)


class DoneForm(Form):
    done = forms.BooleanField(required=False)
