"""``flush`` empties every table on SQLite as TRUNCATE does on PostgreSQL: row triggers
(the audit log's append-only ones) do not fire, and they are there again afterwards
(``palpa.core.sqlite``, ADR 0008)."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction

from palpa.accounts.models import Organization
from palpa.audit.models import AuditEvent
from palpa.audit.services import record


def _triggers() -> set[str]:
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
        else:
            cursor.execute(
                "SELECT tgname FROM pg_trigger WHERE tgrelid = 'audit_auditevent'::regclass "
                "AND NOT tgisinternal"
            )
        return {str(row[0]) for row in cursor.fetchall()}


@pytest.mark.django_db(transaction=True)
def test_flush_empties_the_audit_log_and_keeps_its_triggers() -> None:
    org = Organization.objects.create(name="Flushed Clinic", slug="flushed")
    entry = record(actor=None, action=AuditEvent.Action.UPDATE, organization=org)
    assert {"audit_event_no_update", "audit_event_no_delete"} <= _triggers()
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM audit_auditevent WHERE id = %s", [entry.pk])

    call_command("flush", interactive=False, verbosity=0)

    assert not AuditEvent.objects.exists()
    assert {"audit_event_no_update", "audit_event_no_delete"} <= _triggers()
    org = Organization.objects.create(name="Flushed Clinic", slug="flushed")
    again = record(actor=None, action=AuditEvent.Action.UPDATE, organization=org)
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM audit_auditevent WHERE id = %s", [again.pk])
    assert AuditEvent.objects.filter(pk=again.pk).exists()


def test_sqlite_runs_on_palpas_backend(db: None) -> None:
    if connection.vendor != "sqlite":
        pytest.skip("this run uses PostgreSQL")
    assert connection.settings_dict["ENGINE"] == "palpa.core.sqlite"
    # Each test process (also each pytest-xdist worker) has its own in-memory database:
    # pytest-django would otherwise take the file's path for a server database name.
    assert connection.settings_dict["NAME"] == "file:memorydb_default?mode=memory&cache=shared"
