from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction

from palpa.accounts.models import Organization, User
from palpa.audit.models import AppendOnlyError, AuditChainHead, AuditEvent
from palpa.audit.services import GENESIS, Action, compute_hash, record, verify_chain
from palpa.patients.models import Patient


def _raw(sql: str, params: list[int | str] | None = None) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params or [])


def _without_triggers(sql: str, params: list[int | str] | None = None) -> None:
    """Tamper with the table the way an attacker with database access would."""
    if connection.vendor == "postgresql":
        _raw("SET CONSTRAINTS ALL IMMEDIATE")  # no pending FK checks before ALTER TABLE
        _raw("ALTER TABLE audit_auditevent DISABLE TRIGGER USER")
        _raw(sql, params)
        _raw("ALTER TABLE audit_auditevent ENABLE TRIGGER USER")
    else:
        _raw("DROP TRIGGER IF EXISTS audit_event_no_update")
        _raw("DROP TRIGGER IF EXISTS audit_event_no_delete")
        _raw(sql, params)


def test_entries_of_one_organization_form_a_chain(owner: User, org: Organization) -> None:
    first = record(actor=owner, action=Action.READ, object_type="Patient", object_id="a")
    second = record(actor=owner, action=Action.READ, object_type="Patient", object_id="b")
    chain = list(AuditEvent.objects.filter(organization=org).order_by("seq"))
    assert [e.seq for e in chain] == list(range(1, len(chain) + 1))
    assert second.seq == first.seq + 1
    assert second.prev_hash == first.hash
    assert chain[0].prev_hash == GENESIS
    assert compute_hash(second) == second.hash
    head = AuditChainHead.objects.get(organization=org)
    assert (head.last_seq, head.last_hash) == (second.seq, second.hash)


def test_each_organization_has_its_own_chain(owner: User, outsider: User) -> None:
    mine = record(actor=owner, action=Action.READ, object_id="x")
    theirs = record(actor=outsider, action=Action.READ, object_id="y")
    assert mine.organization_id != theirs.organization_id
    assert verify_chain(owner.organization_id).ok
    assert verify_chain(outsider.organization_id).ok


def test_entry_records_actor_request_and_patient(owner: User, patient: Patient) -> None:
    entry = AuditEvent.objects.filter(patient_id=str(patient.public_id)).get()
    assert entry.action == Action.CREATE
    assert entry.actor == owner
    assert entry.object_type == "Patient"
    assert entry.object_id == str(patient.public_id)


def test_an_intact_chain_verifies(owner: User, patient: Patient) -> None:
    report = verify_chain(owner.organization_id)
    assert report.ok
    assert report.entries >= 2


def test_model_refuses_to_change_or_delete_an_entry(owner: User) -> None:
    entry = record(actor=owner, action=Action.READ, object_id="a")
    entry.action = Action.UPDATE
    with pytest.raises(AppendOnlyError):
        entry.save()
    with pytest.raises(AppendOnlyError):
        entry.delete()
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.filter(pk=entry.pk).update(action="update")
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.filter(pk=entry.pk).delete()


def test_database_refuses_an_update_that_bypasses_the_model(owner: User) -> None:
    entry = record(actor=owner, action=Action.READ, object_id="a")
    with pytest.raises(DatabaseError), transaction.atomic():
        _raw("UPDATE audit_auditevent SET action = 'update' WHERE id = %s", [entry.pk])
    assert AuditEvent.objects.get(pk=entry.pk).action == Action.READ


def test_database_refuses_a_delete_that_bypasses_the_model(owner: User) -> None:
    entry = record(actor=owner, action=Action.READ, object_id="a")
    with pytest.raises(DatabaseError), transaction.atomic():
        _raw("DELETE FROM audit_auditevent WHERE id = %s", [entry.pk])
    assert AuditEvent.objects.filter(pk=entry.pk).exists()


def test_verify_finds_the_first_changed_entry(owner: User, patient: Patient) -> None:
    entries = list(AuditEvent.objects.filter(organization=owner.organization).order_by("seq"))
    target = entries[1]
    _without_triggers(
        "UPDATE audit_auditevent SET actor_label = 'someone else' WHERE id = %s", [target.pk]
    )
    report = verify_chain(owner.organization_id)
    assert not report.ok
    assert report.broken_at_seq == target.seq
    assert "changed" in report.reason


def test_verify_finds_a_removed_entry_in_the_middle(owner: User, patient: Patient) -> None:
    record(actor=owner, action=Action.READ, object_id="later")
    entries = list(AuditEvent.objects.filter(organization=owner.organization).order_by("seq"))
    _without_triggers("DELETE FROM audit_auditevent WHERE id = %s", [entries[1].pk])
    report = verify_chain(owner.organization_id)
    assert not report.ok
    assert report.broken_at_seq == entries[1].seq
    assert "missing" in report.reason


def test_verify_finds_removed_newest_entries(owner: User, patient: Patient) -> None:
    newest = AuditEvent.objects.filter(organization=owner.organization).order_by("-seq").first()
    assert newest is not None
    _without_triggers("DELETE FROM audit_auditevent WHERE id = %s", [newest.pk])
    report = verify_chain(owner.organization_id)
    assert not report.ok
    assert "removed" in report.reason


def test_audit_verify_command_reports_intact_and_broken_chains(
    owner: User, patient: Patient
) -> None:
    out = io.StringIO()
    call_command("audit", "verify", "--no-checkpoints", stdout=out)
    assert "audit log intact" in out.getvalue()
    assert "intact: Bayside Medical Massage" in out.getvalue()

    first = AuditEvent.objects.filter(organization=owner.organization).order_by("seq").first()
    assert first is not None
    _without_triggers("UPDATE audit_auditevent SET object_id = 'forged' WHERE id = %s", [first.pk])
    out = io.StringIO()
    with pytest.raises(CommandError, match="problem"):
        call_command("audit", "verify", "--no-checkpoints", stdout=out)
    assert "BROKEN: Bayside Medical Massage" in out.getvalue()
    assert f"changed entry #{first.seq}: the content no longer matches" in out.getvalue()


def test_failed_sign_in_of_an_unknown_name_goes_to_the_system_chain(db: None) -> None:
    entry = record(actor=None, action=Action.LOGIN_FAILED, actor_label="nobody@example.com")
    assert entry.organization_id is None
    assert verify_chain(None).ok
