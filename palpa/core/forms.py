"""Helpers shared by the web forms of every app, and the text rule for forms.

Every Palpa form derives from ``Form`` or ``ModelForm`` here (or mixes in
``TextRuleMixin``): after Django's own cleaning, each text value is held to the rule of
``palpa.core.text`` (docs/input.md): multi-line where the widget is a text area, one line
otherwise, NFC, the field's ``max_length``. A value that breaks it is a form error on
that field naming the rule; passwords are left as typed.

Numbers get the same treatment: a whole number without a bound of its own must fit the
database's integer column (32 bits, as PostgreSQL's ``integer``), a decimal without its
own ``max_digits`` has at most 15 digits before the point. Beyond that a value could not
be stored or computed with (2**63 overflows SQLite, 1e309 has no cents) and would
otherwise end in a server error.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, TypeVar

from django import forms
from django.core.exceptions import ValidationError
from django.db import connection
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


INTEGER_LIMIT = 2**31 - 1  # PostgreSQL's integer; SQLite's is wider
DECIMAL_DIGITS = 15  # before the decimal point, for a field without max_digits


def _check_number(value: Any, field: forms.Field) -> None:
    """The number rule (see the module) for a field that sets no bound of its own."""
    if isinstance(value, bool):
        return
    if isinstance(value, int) and isinstance(field, forms.IntegerField):
        top = field.max_value if field.max_value is not None else INTEGER_LIMIT
        bottom = field.min_value if field.min_value is not None else -INTEGER_LIMIT
        if not bottom <= value <= top:  # type: ignore[operator]
            raise ValidationError(
                f"This field must be a whole number between {bottom} and {top}.",
                code="out_of_range",
            )
    if (
        isinstance(value, Decimal)
        and isinstance(field, forms.DecimalField)
        and field.max_digits is None
        and value.is_finite()
        and value.adjusted() >= DECIMAL_DIGITS
    ):
        raise ValidationError(
            f"This field must have at most {DECIMAL_DIGITS} digits before the decimal point.",
            code="out_of_range",
        )


def _within_key_range(field: forms.ModelChoiceField[Any], raw: Any) -> bool:
    """Whether every value sent for a choice of records fits the key's column: Django
    hands 2**63 to the database, which fails (SQLite overflows, PostgreSQL refuses the
    statement and the transaction with it) instead of saying "not a valid choice"."""
    meta = field.queryset.model._meta  # type: ignore[union-attr]
    model_field = meta.pk if field.to_field_name is None else meta.get_field(field.to_field_name)
    internal = model_field.get_internal_type()
    if not internal.endswith(("AutoField", "IntegerField")):
        return True
    kind = internal.replace("AutoField", "IntegerField")
    low, high = connection.ops.integer_field_range(kind)
    low = -(2**63) if low is None else low  # every database Palpa runs on: 64 bits at most
    high = 2**63 - 1 if high is None else high
    values = raw if isinstance(raw, list | tuple) else [raw]
    for value in values:
        try:
            number = int(str(value).strip())
        except ValueError:
            continue  # Django's own check names it
        if not low <= number <= high:
            return False
    return True


class TextRuleMixin(BaseForm):
    """The text rule on every text field of the form (see the module)."""

    def _clean_fields(self) -> None:
        for field in self.fields.values():  # this form's own copies of the fields
            if isinstance(field, forms.ModelChoiceField) and not hasattr(field, "guarded"):
                field.clean = _guarded(field)  # type: ignore[method-assign]
                field.guarded = True  # type: ignore[attr-defined]
        super()._clean_fields()  # type: ignore[misc]
        for name, field in self.fields.items():
            if name not in self.cleaned_data or isinstance(field.widget, forms.PasswordInput):
                continue
            try:
                _check_number(self.cleaned_data[name], field)
                self.cleaned_data[name] = _clean_value(self.cleaned_data[name], field)
            except TextError as exc:
                self.add_error(name, ValidationError(f"This field {exc.message}.", code=exc.rule))
            except ValidationError as exc:
                self.add_error(name, exc)


def _guarded(field: forms.ModelChoiceField[Any]) -> Any:
    clean = field.clean

    def guarded_clean(value: Any) -> Any:
        if value not in field.empty_values and not _within_key_range(field, value):
            raise ValidationError(
                "Select a valid choice. That choice is not one of the available choices.",
                code="invalid_choice",
            )
        return clean(value)

    return guarded_clean


class Form(TextRuleMixin, forms.Form):
    pass


class ModelForm(TextRuleMixin, forms.ModelForm[_M]):
    pass
