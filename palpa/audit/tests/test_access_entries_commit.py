"""Access entries (read, search) commit without waiting for the WAL flush (ADR 0005);
every other entry, and any entry inside a service's transaction, waits as before."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from palpa.accounts.models import Organization
from palpa.audit.models import AuditEvent
from palpa.audit.services import record, verify_chain

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="synchronous_commit is a PostgreSQL setting; SQLite has no asynchronous commit",
)

RELAXED = "set_config('synchronous_commit', 'off', true)"


def _append_sql(action: str, organization: Organization) -> str:
    with CaptureQueriesContext(connection) as queries:
        record(actor=None, action=action, organization=organization, object_type="Patient")
    inserts = [q["sql"] for q in queries.captured_queries if "INSERT INTO" in q["sql"]]
    assert len(inserts) == 1
    return inserts[0]


@pytest.mark.django_db(transaction=True)
def test_a_read_entry_in_its_own_transaction_commits_asynchronously() -> None:
    org = Organization.objects.create(name="Async Clinic")
    record(actor=None, action=AuditEvent.Action.UPDATE, organization=org)  # chain head exists
    assert RELAXED in _append_sql(AuditEvent.Action.READ, org)
    assert RELAXED in _append_sql(AuditEvent.Action.SEARCH, org)
    report = verify_chain(org.pk)
    assert report.ok
    assert report.entries == 3


@pytest.mark.django_db(transaction=True)
def test_a_change_entry_waits_for_the_flush() -> None:
    org = Organization.objects.create(name="Sync Clinic")
    record(actor=None, action=AuditEvent.Action.UPDATE, organization=org)
    for action in (AuditEvent.Action.CREATE, AuditEvent.Action.UPDATE, AuditEvent.Action.EXPORT):
        assert RELAXED not in _append_sql(action, org)


@pytest.mark.django_db(transaction=True)
def test_a_read_entry_inside_a_services_transaction_waits_with_it() -> None:
    org = Organization.objects.create(name="Atomic Clinic")
    record(actor=None, action=AuditEvent.Action.UPDATE, organization=org)
    with transaction.atomic():
        assert RELAXED not in _append_sql(AuditEvent.Action.READ, org)


@pytest.mark.django_db(transaction=True)
def test_the_setting_makes_read_entries_wait_too(settings: Any) -> None:
    settings.PALPA_AUDIT_SYNCHRONOUS_READS = True
    org = Organization.objects.create(name="Strict Clinic")
    record(actor=None, action=AuditEvent.Action.UPDATE, organization=org)
    assert RELAXED not in _append_sql(AuditEvent.Action.READ, org)


@pytest.mark.django_db(transaction=True)
def test_the_relaxed_commit_does_not_outlive_the_entrys_transaction() -> None:
    org = Organization.objects.create(name="Scoped Clinic")
    record(actor=None, action=AuditEvent.Action.UPDATE, organization=org)
    record(actor=None, action=AuditEvent.Action.READ, organization=org, object_type="Patient")
    with connection.cursor() as cursor:
        cursor.execute("SHOW synchronous_commit")
        row = cursor.fetchone()
    assert row is not None
    assert row[0] == "on"


@pytest.mark.django_db(transaction=True)
def test_a_read_recorded_with_its_select_commits_asynchronously_too() -> None:
    from palpa.accounts.models import User
    from palpa.audit.services import read_and_record

    org = Organization.objects.create(name="Read Clinic")
    reader = User.objects.create_user(
        username="reader@read.example", email="reader@read.example", organization=org, role="owner"
    )
    record(actor=None, action=AuditEvent.Action.UPDATE, organization=org)
    table = connection.ops.quote_name(Organization._meta.db_table)
    with CaptureQueriesContext(connection) as queries:
        row = read_and_record(
            f"SELECT id FROM {table} WHERE id = %s",
            [org.pk],
            actor=reader,
            object_type="Organization",
            object_id=str(org.pk),
        )
    assert row == (org.pk,)
    assert RELAXED in queries.captured_queries[-1]["sql"]
    assert verify_chain(org.pk).entries == 2
