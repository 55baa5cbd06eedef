"""The audit key: derived values, the development key file, the production guard, and
the MAC made inside PostgreSQL's append statement equal to Python's ``hmac`` (ADR 0008)."""

from __future__ import annotations

import hashlib
import hmac
import stat
from pathlib import Path
from typing import Any

import pytest
from django.db import connection

from palpa.accounts.models import Organization, User
from palpa.audit import keys
from palpa.audit.models import AuditEvent
from palpa.audit.services import PG_ENTRY_MAC, read_and_record, record
from palpa.core.db import hot_cursor

KEY = "Zx9-" + "qW2eR4tY6uI8oP0aS1dF3gH5jK7lL9zX" + "cV2bN4mQ"


def test_the_derived_keys_are_separate_and_reveal_nothing_of_the_key() -> None:
    derived = keys.derive(KEY)
    master = KEY.encode()
    assert derived.entry_key == hmac.new(master, b"palpa audit entry mac v1", "sha256").digest()
    assert derived.checkpoint_key != derived.entry_key
    assert derived.key_id == hmac.new(master, b"palpa audit key id v1", "sha256").hexdigest()[:12]
    assert bytes(a ^ b for a, b in zip(derived.inner_pad, derived.outer_pad, strict=True)) == (
        bytes([0x36 ^ 0x5C]) * 64
    )
    assert keys.derive(KEY + "x").key_id != derived.key_id


@pytest.mark.parametrize(
    ("secret", "problem"),
    [
        ("", "it is not set"),
        ("short-key", "it is shorter than 32 characters"),
        ("a" * 50, "it uses fewer than 12 different characters"),
        ("abcabcabcabcabcabcabcabcabcabcabcabc", "it uses fewer than 12 different characters"),
        ("Palpa-clinic-2026!" * 3, "it repeats a short pattern"),
    ],
)
def test_weak_audit_keys_are_named(secret: str, problem: str) -> None:
    found = keys.key_problem(secret)
    assert found is not None
    assert found.startswith(problem)


def test_a_new_key_is_strong_and_the_secret_key_is_not_reused() -> None:
    fresh = keys.new_key()
    assert keys.key_problem(fresh) is None
    assert len(fresh) == 64
    assert keys.key_problem(fresh, secret_key=fresh) == (
        "it is the same as SECRET_KEY; one leak must not give away both"
    )


def test_old_keys_are_separated_by_commas_or_whitespace() -> None:
    assert keys.split_keys(" k1,k2\n k3 ,, ") == ["k1", "k2", "k3"]


def test_without_a_configured_key_one_is_made_once_in_the_data_directory(
    settings: Any, tmp_path: Path
) -> None:
    settings.PALPA_AUDIT_KEY = ""
    settings.DATA_DIR = tmp_path
    first = keys.current_key()
    path = tmp_path / "audit.key"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert keys.key_problem(path.read_text().strip()) is None
    keys._development_key.cache_clear()  # a new process reads the same file
    assert keys.current_key() == first
    assert [p.name for p in tmp_path.iterdir()] == ["audit.key"]  # no temporary left


def test_production_requires_a_configured_key(settings: Any) -> None:
    settings.PALPA_AUDIT_KEY = ""
    settings.PRODUCTION = True
    with pytest.raises(Exception, match="PALPA_AUDIT_KEY is required in production"):
        keys.current_key()


MESSAGES = ["", "a", "x" * 55, "x" * 56, "x" * 63, "x" * 64, "x" * 65, "é" * 40, "0" * 64]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the SQL HMAC is PostgreSQL's")
@pytest.mark.django_db
@pytest.mark.parametrize("prepared", [True, False], ids=["server-binding", "client-binding"])
def test_postgresql_hmac_equals_pythons_byte_for_byte(prepared: bool) -> None:
    derived = keys.derive(KEY)
    select = "SELECT " + PG_ENTRY_MAC.replace("h.hash", "%s::text")
    for message in MESSAGES:
        with hot_cursor() if prepared else connection.cursor() as cursor:
            cursor.execute(select, [derived.outer_pad, derived.inner_pad, message])
            row = cursor.fetchone()
        assert row is not None
        expected = hmac.new(derived.entry_key, message.encode(), hashlib.sha256).hexdigest()
        assert row[0] == expected, message


@pytest.mark.django_db
def test_appended_and_read_entries_carry_pythons_hmac_on_either_database(
    owner: User, settings: Any
) -> None:
    settings.PALPA_AUDIT_KEY = KEY
    derived = keys.derive(KEY)
    org = owner.organization
    assert org is not None
    written = record(actor=owner, action=AuditEvent.Action.UPDATE, organization=org)
    table = connection.ops.quote_name(Organization._meta.db_table)
    row = read_and_record(
        f"SELECT id FROM {table} WHERE id = %s",
        [org.pk],
        actor=owner,
        object_type="Organization",
        object_id=str(org.pk),
    )
    assert row == (org.pk,)
    newest = AuditEvent.objects.filter(organization=org).order_by("-seq")[:2]
    read, stored = list(newest)
    assert stored.pk == written.pk
    for entry in (read, stored):
        expected = hmac.new(derived.entry_key, entry.hash.encode(), hashlib.sha256).hexdigest()
        assert (entry.mac, entry.key_id) == (expected, derived.key_id)
    assert written.mac == stored.mac
