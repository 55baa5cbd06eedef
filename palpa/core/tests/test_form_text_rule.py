"""The text rule on every web form (docs/input.md): one base, checked for every form."""

from __future__ import annotations

import importlib
import pkgutil
from typing import Any

import pytest
from django import forms

import palpa
from palpa.core.forms import Form, TextRuleMixin


class _Sample(Form):
    name = forms.CharField(max_length=20)
    notes = forms.CharField(widget=forms.Textarea, required=False)
    password = forms.CharField(widget=forms.PasswordInput, required=False)


def _errors(data: dict[str, Any]) -> dict[str, list[str]]:
    form = _Sample(data)
    form.is_valid()
    return {name: [str(e) for e in errors] for name, errors in form.errors.items()}


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("Ada\u202eLovelace", "U+202E (RIGHT-TO-LEFT OVERRIDE)"),
        ("Ada\u0007", "control characters are not allowed"),
        ("Ada\tLovelace", "this field is one line"),
    ],
)
def test_a_one_line_field_breaking_the_rule_is_a_form_error_naming_it(
    value: str, message: str
) -> None:
    (error,) = _errors({"name": value})["name"]
    assert error.startswith("This field contains ")
    assert message in error


def test_multi_line_fields_keep_line_breaks_and_values_are_nfc() -> None:
    form = _Sample({"name": "Rene\u0301e", "notes": "Line one\r\n\tLine two"})
    assert form.is_valid(), form.errors
    assert form.cleaned_data == {
        "name": "Ren\u00e9e",
        "notes": "Line one\r\n\tLine two",
        "password": "",
    }
    assert "notes" in _errors({"name": "x", "notes": "bell\u0007"})


def test_passwords_are_left_as_typed() -> None:
    form = _Sample({"name": "x", "password": "Pa\u0301ss\tword"})
    assert form.is_valid()
    assert form.cleaned_data["password"] == "Pa\u0301ss\tword"


def _all_forms() -> set[type[forms.BaseForm]]:
    for app in pkgutil.iter_modules(palpa.__path__):
        package = f"palpa.{app.name}"
        for name in ("forms", "result_forms", "online_forms", "documents_views", "views"):
            try:
                importlib.import_module(f"{package}.{name}")
            except ModuleNotFoundError:
                continue
    found: set[type[forms.BaseForm]] = set()
    todo: list[type[forms.BaseForm]] = [forms.BaseForm]
    while todo:
        for sub in todo.pop().__subclasses__():
            if sub not in found:
                found.add(sub)
                todo.append(sub)
    return {f for f in found if f.__module__.startswith("palpa.") and ".tests" not in f.__module__}


def test_every_palpa_form_applies_the_text_rule() -> None:
    found = _all_forms()
    assert len(found) > 50
    missing = sorted(
        f"{f.__module__}.{f.__qualname__}" for f in found if not issubclass(f, TextRuleMixin)
    )
    assert missing == []


class _Numbers(Form):
    count = forms.IntegerField(required=False)
    bounded = forms.IntegerField(required=False, max_value=5)
    price = forms.DecimalField(required=False)
    fixed = forms.DecimalField(required=False, max_digits=5, decimal_places=2)


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"count": str(2**63)}, "count", "a whole number between -2147483647 and 2147483647"),
        ({"count": "-" + "9" * 30}, "count", "a whole number between"),
        ({"price": "1e309"}, "price", "at most 15 digits before the decimal point"),
        ({"price": "-" + "9" * 30}, "price", "at most 15 digits before the decimal point"),
    ],
)
def test_a_number_no_column_could_hold_is_a_form_error_naming_the_rule(
    data: dict[str, str], field: str, message: str
) -> None:
    form = _Numbers(data)
    assert not form.is_valid()
    assert message in str(form.errors[field])


def test_a_field_with_its_own_bounds_keeps_them() -> None:
    form = _Numbers({"count": "2147483647", "bounded": "5", "price": "1e14", "fixed": "999.99"})
    assert form.is_valid(), form.errors
    assert "less than or equal to 5" in str(_Numbers({"bounded": "6"}).errors["bounded"])


@pytest.mark.django_db
@pytest.mark.parametrize("sent", [str(2**63), "-" + "9" * 30])
def test_a_record_choice_beyond_the_key_column_is_not_a_valid_choice(sent: str) -> None:
    from palpa.accounts.models import Organization

    class _Choices(Form):
        one = forms.ModelChoiceField(queryset=Organization.objects.all(), required=False)
        many = forms.ModelMultipleChoiceField(queryset=Organization.objects.all(), required=False)

    form = _Choices({"one": sent, "many": ["1", sent]})
    assert not form.is_valid()
    assert "Select a valid choice" in str(form.errors["one"])
    assert "Select a valid choice" in str(form.errors["many"])
