"""Helpers shared by the web forms of every app, and the text rule for forms.

Every Palpa form derives from ``Form`` or ``ModelForm`` here (or mixes in
``TextRuleMixin``): after Django's own cleaning, each text value is held to the rule of
``palpa.core.text`` (docs/input.md): multi-line where the widget is a text area, one line
otherwise, NFC, the field's ``max_length``. A value that breaks it is a form error on
that field naming the rule; passwords are left as typed.
"""

from __future__ import annotations

from typing import Any, TypeVar

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Model
from django.forms import BaseForm

from palpa.core.text import TextError, clean_text

_M = TypeVar("_M", bound=Model)


def apply_validation_error(form: BaseForm, exc: ValidationError) -> None:
    """Show a service's ValidationError on the form: per field where it names one."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc)


def _clean_value(value: Any, field: forms.Field) -> Any:
    multiline = isinstance(field.widget, forms.Textarea)
    limit = getattr(field, "max_length", None)
    if isinstance(value, str):
        return clean_text(value, multiline=multiline, max_length=limit)
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return [clean_text(item, multiline=multiline, max_length=limit) for item in value]
    return value


class TextRuleMixin(BaseForm):
    """The text rule on every text field of the form (see the module)."""

    def _clean_fields(self) -> None:
        super()._clean_fields()  # type: ignore[misc]
        for name, field in self.fields.items():
            if name not in self.cleaned_data or isinstance(field.widget, forms.PasswordInput):
                continue
            try:
                self.cleaned_data[name] = _clean_value(self.cleaned_data[name], field)
            except TextError as exc:
                self.add_error(name, ValidationError(f"This field {exc.message}.", code=exc.rule))


class Form(TextRuleMixin, forms.Form):
    pass


class ModelForm(TextRuleMixin, forms.ModelForm[_M]):
    pass
