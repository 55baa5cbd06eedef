from __future__ import annotations

from typing import Any

from django import forms

from palpa.accounts.models import User
from palpa.core.forms import Form, ModelForm
from palpa.practitioners.models import License, Practitioner
from palpa.practitioners.queries import unlinked_staff


class StaffChoiceField(forms.ModelChoiceField[User]):
    def label_from_instance(self, obj: User) -> str:
        return f"{obj.full_name or obj.email} ({obj.email})"


class PractitionerForm(ModelForm[Practitioner]):
    """A practitioner, optionally linked to a staff member's sign-in account (the link
    lets them write and sign clinical records and keep their own hours)."""

    class Meta:
        model = Practitioner
        fields = (
            "user",
            "given_name",
            "family_name",
            "credentials",
            "npi",
            "email",
            "phone",
            "active",
        )
        field_classes = {"user": StaffChoiceField}
        labels = {"user": "Sign-in account"}
        help_texts = {
            "user": "The staff account this practitioner signs in with (invite them under "
            "Staff first). Leave empty for a practitioner without a login."
        }

    def __init__(self, *args: Any, actor: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["user"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = unlinked_staff(actor)


class LoginLinkForm(Form):
    """Link an existing practitioner to a staff member's sign-in account."""

    user = StaffChoiceField(
        label="Sign-in account",
        queryset=User.objects.none(),
        help_text="A staff account not yet linked (invite them under Staff first).",
    )

    def __init__(self, *args: Any, actor: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["user"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = unlinked_staff(actor)


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
