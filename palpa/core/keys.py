"""Is a secret random enough to protect a clinic's data? (pure; no Django imports, so the
settings module can use it before Django is set up)."""

from __future__ import annotations

import math
from collections import Counter

MIN_LENGTH = 50
MIN_DISTINCT = 12
MIN_BITS = 128


def _smallest_period(text: str) -> int:
    """The length of the shortest pattern that ``text`` repeats (its length if none)."""
    n = len(text)
    for period in range(1, n // 2 + 1):
        if all(text[i] == text[i + period] for i in range(n - period)):
            return period
    return n


def estimated_bits(text: str) -> float:
    """The text's length times the Shannon entropy of its characters: an upper bound on
    what a random key of this look would hold, low for keys a person typed."""
    counts = Counter(text)
    total = len(text)
    per_char = -sum(c / total * math.log2(c / total) for c in counts.values()) if total else 0.0
    return per_char * total


def weakness(secret: str, *, min_length: int = MIN_LENGTH) -> str | None:
    """Why ``secret`` is too weak, or None. Accepts what `openssl rand -hex 32`,
    `openssl rand -base64 48` and Django's ``get_random_secret_key()`` give."""
    if len(secret) < min_length:
        return f"it is shorter than {min_length} characters"
    if len(set(secret)) < MIN_DISTINCT:
        return f"it uses fewer than {MIN_DISTINCT} different characters"
    if _smallest_period(secret) <= len(secret) // 3:
        return "it repeats a short pattern"
    if estimated_bits(secret) < MIN_BITS:
        return f"it holds less than {MIN_BITS} bits of randomness"
    return None
