"""What counts as a secret random enough for production (palpa.core.keys)."""

from __future__ import annotations

import secrets
import string

from django.core.management.utils import get_random_secret_key
from hypothesis import given
from hypothesis import strategies as st

from palpa.core.keys import weakness


def test_keys_from_the_usual_generators_are_accepted() -> None:
    assert weakness(secrets.token_hex(32)) is None  # openssl rand -hex 32
    assert weakness(secrets.token_urlsafe(48)) is None  # openssl rand -base64 48
    assert weakness(get_random_secret_key()) is None


def test_typed_or_repeated_keys_are_refused() -> None:
    assert weakness("short-key") == "it is shorter than 50 characters"
    assert weakness("a" * 64) == "it uses fewer than 12 different characters"
    assert weakness("Palpa-clinic-2026!" * 3) == "it repeats a short pattern"
    assert weakness("abcdefghijkl" + "a" * 60) == ("it holds less than 128 bits of randomness")


@given(st.text(alphabet=string.ascii_letters + string.digits, min_size=1, max_size=12))
def test_any_short_pattern_repeated_to_length_is_refused(pattern: str) -> None:
    key = pattern * (60 // len(pattern) + 1)
    assert weakness(key) is not None
