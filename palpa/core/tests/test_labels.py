"""Codes shown to people are shown as labels."""

from __future__ import annotations

import pytest

from palpa.core.templatetags.labels import language_label


@pytest.mark.parametrize(
    ("code", "label"),
    [
        ("es", "Spanish"),
        ("en", "English"),
        ("pt-BR", "Brazilian Portuguese"),
        ("fr-CA", "French (CA)"),
        ("xx", "xx"),
        ("", ""),
    ],
)
def test_a_language_code_reads_as_the_languages_name(code: str, label: str) -> None:
    assert language_label(code) == label
