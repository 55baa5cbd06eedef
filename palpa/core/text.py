"""The one rule for text that enters Palpa (API, FHIR search, forms, command line).

Every string a person or a program sends is checked here, at the boundary, before any
service sees it (docs/input.md):

- **No control characters.** NUL, the other C0 controls, DEL and the C1 controls are
  refused; text that may span lines (notes, letters, instructions) may hold tab, line
  feed and carriage return, and nothing else of them.
- **No bidirectional overrides or isolates** (U+202A to U+202E, U+2066 to U+2069) in one-line
  text: names, identifiers, codes, labels. They make a name display as something it is
  not. Multi-line prose may hold them (mixed-direction sentences).
- **No lone surrogates**: they are not characters and cannot be stored as UTF-8.
- **Unicode NFC**: what is kept is the composed form, so "é" typed two ways is one name.
- **A maximum length** (after NFC): the field's own, or ``LINE_MAX`` / ``TEXT_MAX``.

Pure: no database, no Django. ``clean_text`` returns the normalized text or raises
``TextError`` whose ``rule`` is a short code and whose message names the rule.
"""

from __future__ import annotations

import re
import unicodedata

LINE_MAX = 1_000  # one-line text with no length of its own
TEXT_MAX = 100_000  # multi-line text with no length of its own

BIDI_CONTROLS = frozenset(
    [chr(c) for c in range(0x202A, 0x202F)] + [chr(c) for c in range(0x2066, 0x206A)]
)
MULTILINE_ALLOWED = frozenset("\t\n\r")

# Anything that may be refused, found in one pass; the exact rule is worked out after.
_SUSPECT = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


class TextError(ValueError):
    """Text that breaks the rule: ``rule`` is its code, ``message`` says what is wrong."""

    def __init__(self, rule: str, message: str) -> None:
        super().__init__(message)
        self.rule = rule
        self.message = message


def describe(char: str) -> str:
    """``U+202E (RIGHT-TO-LEFT OVERRIDE)``: a character as a person can read it."""
    name = unicodedata.name(char, "")
    if not name and ord(char) < 0x20:
        name = "control character"
    return f"U+{ord(char):04X}" + (f" ({name})" if name else "")


def clean_text(value: str, *, multiline: bool = False, max_length: int | None = None) -> str:
    """``value`` in NFC, or ``TextError`` naming the rule it breaks (see the module)."""
    found = _SUSPECT.search(value)
    while found is not None:
        char = found.group()
        code = ord(char)
        if 0xD800 <= code <= 0xDFFF:
            raise TextError(
                "text_surrogate", f"contains {describe(char)}, a lone surrogate (not a character)"
            )
        if char in BIDI_CONTROLS:
            if not multiline:
                raise TextError(
                    "text_bidi_control",
                    f"contains {describe(char)}; bidirectional override and isolate "
                    "controls are not allowed in names, identifiers and other one-line text",
                )
        elif not (multiline and char in MULTILINE_ALLOWED):
            if char in MULTILINE_ALLOWED:
                raise TextError(
                    "text_line_break",
                    f"contains {describe(char)}; this field is one line (no tabs or line breaks)",
                )
            raise TextError(
                "text_control_character",
                f"contains {describe(char)}; control characters are not allowed"
                + (" (tab and line breaks are)" if multiline else ""),
            )
        found = _SUSPECT.search(value, found.end())
    normal = unicodedata.normalize("NFC", value)
    limit = max_length if max_length is not None else (TEXT_MAX if multiline else LINE_MAX)
    if len(normal) > limit:
        raise TextError("text_too_long", f"is {len(normal)} characters long; at most {limit}")
    return normal
