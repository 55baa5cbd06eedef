"""read_and_record: a one-row read and its access entry; nothing recorded for a miss."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from palpa.accounts.models import Organization, User
from palpa.audit.models import AuditChainHead, AuditEvent
from palpa.audit.services import read_and_record, record, verify_chain

pytestmark = pytest.mark.django_db


def _select() -> str:
    table = connection.ops.quote_name(Organization._meta.db_table)
    return f"SELECT id, name FROM {table} WHERE id = %s"


def _read(actor: User, org_id: int) -> tuple[object, ...] | None:
    return read_and_record(
        _select(),
        [org_id],
        actor=actor,
        object_type="Organization",
        object_id=str(org_id),
        detail={"view": "test"},
    )


def test_a_found_row_comes_back_with_its_access_recorded(owner: User) -> None:
    org = owner.organization
    assert org is not None
    before = AuditEvent.objects.filter(organization=org).count()
    row = _read(owner, org.pk)
    assert row == (org.pk, org.name)
    entry = AuditEvent.objects.filter(organization=org).order_by("-seq").first()
    assert entry is not None
    assert AuditEvent.objects.filter(organization=org).count() == before + 1
    assert (entry.action, entry.object_type, entry.object_id) == (
        "read",
        "Organization",
        str(org.pk),
    )
    assert entry.actor == owner
    assert entry.detail == {"view": "test"}
    assert verify_chain(org.pk).ok


def test_a_miss_returns_none_and_records_nothing(owner: User) -> None:
    org = owner.organization
    assert org is not None
    record(actor=owner, action=AuditEvent.Action.UPDATE, organization=org)  # the chain has a head
    head = AuditChainHead.objects.get(organization=org)
    assert _read(owner, -1) is None
    moved = AuditChainHead.objects.get(organization=org)
    assert (moved.last_seq, moved.last_hash) == (head.last_seq, head.last_hash)
    assert verify_chain(org.pk).ok


def test_the_first_entry_of_a_chain_is_recorded_too(db: None) -> None:
    org = Organization.objects.create(name="New Clinic", slug="new-clinic")
    user = User.objects.create_user(
        username="new@clinic.example", email="new@clinic.example", organization=org, role="owner"
    )
    assert not AuditChainHead.objects.filter(organization=org).exists()
    assert _read(user, org.pk) == (org.pk, "New Clinic")
    report = verify_chain(org.pk)
    assert report.ok
    assert report.entries == 1


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the single-statement form is PostgreSQL's"
)
def test_on_postgresql_the_read_and_the_entry_are_one_statement(owner: User) -> None:
    org = owner.organization
    assert org is not None
    record(actor=owner, action=AuditEvent.Action.UPDATE, organization=org)
    with CaptureQueriesContext(connection) as queries:
        assert _read(owner, org.pk) is not None
    assert len(queries.captured_queries) == 1
    assert "INSERT INTO" in queries.captured_queries[0]["sql"]
