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
