"""The audit key: the secret outside the database that makes entries and checkpoints
unforgeable by someone who can only write to the database (ADR 0008).

The key is given like ``SECRET_KEY`` (``PALPA_AUDIT_KEY`` or ``PALPA_AUDIT_KEY_FILE``);
keys that signed older entries are given in ``PALPA_AUDIT_OLD_KEYS``. Three values are
derived from a key with HMAC-SHA256 and fixed labels, so that what passes through the
database (the entry key, as the append statement's parameters) reveals neither the key
nor the checkpoint key:

- the entry key, for each entry's ``mac = HMAC(entry key, hash)``;
- the checkpoint key, for the checkpoint lines written outside the database;
- the key id, stored with each entry and line so that ``verify`` knows which key to use.

Development and test without a configured key use one generated once in
``<PALPA_DATA_DIR>/audit.key``; production refuses to start without one (settings).
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from palpa.core.keys import weakness

ENTRY_LABEL = b"palpa audit entry mac v1"
CHECKPOINT_LABEL = b"palpa audit checkpoint v1"
KEY_ID_LABEL = b"palpa audit key id v1"
KEY_ID_LENGTH = 12
BLOCK = 64  # SHA-256's block size in bytes (RFC 2104's B)

MIN_LENGTH = 32


def _hmac(key: bytes, message: bytes) -> bytes:
    return hmac.new(key, message, hashlib.sha256).digest()


@dataclass(frozen=True)
class AuditKey:
    """One audit key's derived values. ``inner_pad``/``outer_pad`` are the entry key
    XOR-ed with RFC 2104's ipad and opad, for PostgreSQL to compute the HMAC with its
    built-in ``sha256()``."""

    key_id: str
    entry_key: bytes
    checkpoint_key: bytes
    inner_pad: bytes
    outer_pad: bytes

    def entry_mac(self, entry_hash: str) -> str:
        """HMAC-SHA256 of an entry's hash (its 64 hex characters), in hex."""
        return hmac.new(self.entry_key, entry_hash.encode(), hashlib.sha256).hexdigest()

    def sign(self, message: bytes) -> str:
        """HMAC-SHA256 of a checkpoint line's canonical body, in hex."""
        return hmac.new(self.checkpoint_key, message, hashlib.sha256).hexdigest()


@cache
def derive(secret: str) -> AuditKey:
    master = secret.encode()
    entry_key = _hmac(master, ENTRY_LABEL)
    padded = entry_key.ljust(BLOCK, b"\0")  # 32 bytes: shorter than a block, so padded
    return AuditKey(
        key_id=_hmac(master, KEY_ID_LABEL).hex()[:KEY_ID_LENGTH],
        entry_key=entry_key,
        checkpoint_key=_hmac(master, CHECKPOINT_LABEL),
        inner_pad=bytes(b ^ 0x36 for b in padded),
        outer_pad=bytes(b ^ 0x5C for b in padded),
    )


def new_key() -> str:
    """A fresh audit key: 48 random bytes, URL-safe base64 (64 characters)."""
    return secrets.token_urlsafe(48)


def key_problem(secret: str, *, secret_key: str = "") -> str | None:
    """Why ``secret`` is not good enough as a production audit key, or None.

    A guard against placeholders and reused secrets, the same as for ``SECRET_KEY``
    (``palpa.core.keys.weakness``) with at least 32 characters, and not the
    ``SECRET_KEY`` itself. ``new_key()`` makes one of 384 bits.
    """
    if not secret:
        return "it is not set"
    if secret_key and hmac.compare_digest(secret, secret_key):
        return "it is the same as SECRET_KEY; one leak must not give away both"
    return weakness(secret, min_length=MIN_LENGTH)


def split_keys(value: str) -> list[str]:
    """Old keys as given: separated by commas or whitespace."""
    return [k for k in value.replace(",", " ").split() if k]


def _development_key_path() -> Path:
    return Path(settings.DATA_DIR) / "audit.key"


@cache
def _development_key(path: Path) -> str:
    """Read, or make once, the development/test key file (mode 0600).

    Made under a temporary name and linked into place, so that two processes starting
    at once both end up with the same complete key.
    """
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(new_key() + "\n")
        try:
            os.link(temporary, path)
        except FileExistsError:
            pass  # another process made it first: use theirs
        finally:
            temporary.unlink()
    return path.read_text(encoding="utf-8").strip()


def configured_secret() -> str:
    secret: str = getattr(settings, "PALPA_AUDIT_KEY", "")
    if secret:
        return secret
    if getattr(settings, "PRODUCTION", False):  # settings refuse this at start already
        raise ImproperlyConfigured("PALPA_AUDIT_KEY is required in production")
    return _development_key(_development_key_path())


def current_key() -> AuditKey:
    """The key new entries and checkpoint lines are made with."""
    return derive(configured_secret())


def known_keys() -> dict[str, AuditKey]:
    """Every key that may have made an entry: the current one and the old ones."""
    keys = [current_key(), *(derive(s) for s in getattr(settings, "PALPA_AUDIT_OLD_KEYS", []))]
    return {k.key_id: k for k in keys}
