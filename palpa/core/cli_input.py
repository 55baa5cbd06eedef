"""Command-line input under the boundary's rules (docs/input.md): the text rule for
arguments, and JSON documents (``--answers``, a facts or rule-set file) that are bounded
in size and depth before they are parsed, so that no input ends in a RecursionError.

Commands turn ``InputError`` into a message on stderr and exit status 2; its message
names the argument (or file) and the rule.
"""

from __future__ import annotations

import json
from typing import Any

from palpa.core.text import TextError, clean_text

MAX_JSON_DEPTH = 32  # far deeper than any answers, facts or rule set Palpa reads
MAX_JSON_CHARS = 2_000_000


class InputError(ValueError):
    """Bad command-line input; the message names the argument and the rule."""


def text_argument(value: str, *, argument: str, max_length: int | None = None) -> str:
    """A one-line argument under the text rule, in NFC."""
    try:
        return clean_text(value, multiline=False, max_length=max_length)
    except TextError as exc:
        raise InputError(f"{argument} {exc.message}") from exc


def json_depth(text: str) -> int:
    """How deeply arrays and objects nest in ``text`` (strings skipped); linear, no
    recursion, and correct for any text json.loads would accept."""
    depth = deepest = 0
    in_string = escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "]}":
            depth -= 1
    return deepest


def _clean(value: Any, argument: str, path: str) -> Any:
    if isinstance(value, str):
        try:
            return clean_text(value, multiline=True)
        except TextError as exc:
            raise InputError(f"{argument}: {path or 'the value'} {exc.message}") from exc
    if isinstance(value, list):
        return [_clean(item, argument, f"{path}[{i}]") for i, item in enumerate(value)]
    if isinstance(value, dict):
        cleaned: dict[str, Any] = {}
        for key, item in value.items():
            try:
                name = clean_text(key, multiline=False, max_length=200)
            except TextError as exc:
                raise InputError(
                    f"{argument}: a key in {path or 'the document'} {exc.message}"
                ) from exc
            cleaned[name] = _clean(item, argument, f"{path}.{name}" if path else name)
        return cleaned
    return value


def load_json(text: str, *, argument: str) -> Any:
    """``text`` parsed as JSON, every string under the text rule, or ``InputError``."""
    if len(text) > MAX_JSON_CHARS:
        raise InputError(f"{argument} is larger than {MAX_JSON_CHARS:,} characters")
    depth = json_depth(text)
    if depth > MAX_JSON_DEPTH:
        raise InputError(
            f"{argument} nests arrays or objects {depth} levels deep; at most {MAX_JSON_DEPTH}"
        )
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"{argument} is not valid JSON ({exc})") from exc
    except RecursionError as exc:  # unreachable after the depth check; kept as a guard
        raise InputError(f"{argument} nests too deeply") from exc
    return _clean(document, argument, "")
