"""What someone who can write to the database does to the audit log, scripted with plain
SQL (ADR 0008). Each function acts as such an attacker would: triggers dropped, rows
changed, hashes recomputed with the public formula, the head moved. None knows the audit
key unless it is handed one (``entry_key``: the entry key read from the append
statement's parameters on a compromised server)."""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

from django.db import connection

from palpa.audit.chain import GENESIS, compute_hash, in_chain
from palpa.audit.models import AuditChainHead, AuditEvent


def sql(statement: str, params: list[Any] | None = None) -> None:
    with connection.cursor() as cursor:
        cursor.execute(statement, params or [])


def drop_triggers() -> None:
    """Step one of every attack: the append-only triggers go."""
    if connection.vendor == "postgresql":
        sql("SET CONSTRAINTS ALL IMMEDIATE")  # no pending checks before the DDL
        sql("DROP TRIGGER IF EXISTS audit_event_no_update ON audit_auditevent")
        sql("DROP TRIGGER IF EXISTS audit_event_no_delete ON audit_auditevent")
    else:
        sql("DROP TRIGGER IF EXISTS audit_event_no_update")
        sql("DROP TRIGGER IF EXISTS audit_event_no_delete")


def chain(organization_id: int | None) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(in_chain(organization_id)).order_by("seq"))


def _set_head(organization_id: int | None, seq: int, last_hash: str, prev_hash: str) -> None:
    head = AuditChainHead.objects.filter(in_chain(organization_id)).order_by("id").first()
    assert head is not None
    sql(
        "UPDATE audit_auditchainhead SET last_seq = %s, last_hash = %s, prev_hash = %s "
        "WHERE id = %s",
        [seq, last_hash, prev_hash, head.pk],
    )


def _store(entry: AuditEvent) -> None:
    sql(
        "UPDATE audit_auditevent SET actor_label = %s, object_id = %s, prev_hash = %s, "
        "hash = %s, mac = %s WHERE id = %s",
        [entry.actor_label, entry.object_id, entry.prev_hash, entry.hash, entry.mac, entry.pk],
    )


def mac_with(entry_key: bytes, entry_hash: str) -> str:
    return hmac.new(entry_key, entry_hash.encode(), hashlib.sha256).hexdigest()


def rewrite_entry(
    organization_id: int | None,
    seq: int,
    *,
    actor_label: str = "someone else",
    entry_key: bytes | None = None,
) -> None:
    """Change entry #seq, recompute its hash and every later one, and move the head.
    With ``entry_key`` the attacker also re-makes every MAC from #seq on."""
    drop_triggers()
    entries = chain(organization_id)
    prev = GENESIS
    for entry in entries:
        if entry.seq == seq:
            entry.actor_label = actor_label
        if entry.seq >= seq:
            entry.prev_hash = prev
            entry.hash = compute_hash(entry)
            if entry_key is not None:
                entry.mac = mac_with(entry_key, entry.hash)
            _store(entry)
        prev = entry.hash
    _set_head(organization_id, entries[-1].seq, entries[-1].hash, entries[-1].prev_hash)


def delete_newest(organization_id: int | None, count: int) -> int:
    """Delete the newest ``count`` entries and set the head back to what remains; returns
    the seq the chain now ends at."""
    drop_triggers()
    entries = chain(organization_id)
    kept, removed = entries[:-count], entries[-count:]
    for entry in removed:
        sql("DELETE FROM audit_auditevent WHERE id = %s", [entry.pk])
    last = kept[-1]
    _set_head(organization_id, last.seq, last.hash, last.prev_hash)
    return last.seq


def delete_chain(organization_id: int | None) -> None:
    """Delete every entry of the chain and its head."""
    drop_triggers()
    for entry in chain(organization_id):
        sql("DELETE FROM audit_auditevent WHERE id = %s", [entry.pk])
    sql("DELETE FROM audit_auditchainhead WHERE organization_id = %s", [organization_id])


def insert_forged(organization_id: int | None, *, mac: str, key_id: str) -> int:
    """Append an entry the application never wrote, correctly linked and hashed, with
    the given MAC and key id, and move the head to it; returns its seq."""
    drop_triggers()
    last = chain(organization_id)[-1]
    forged = AuditEvent(
        organization_id=organization_id,
        at=last.at,
        actor_label="owner@bayside.example",
        action=AuditEvent.Action.UPDATE,
        object_type="Patient",
        object_id="forged",
        detail={"note": "never happened"},
        seq=last.seq + 1,
        prev_hash=last.hash,
    )
    forged.hash = compute_hash(forged)
    sql(
        "INSERT INTO audit_auditevent (organization_id, seq, at, actor_id, actor_label, action,"
        " object_type, object_id, patient_id, detail, client_address, request_id, via,"
        " prev_hash, hash, mac, key_id) VALUES"
        " (%s, %s, %s, NULL, %s, %s, %s, %s, '', %s, '', '', '', %s, %s, %s, %s)",
        [
            organization_id,
            forged.seq,
            forged.at,
            forged.actor_label,
            forged.action,
            forged.object_type,
            forged.object_id,
            '{"note": "never happened"}',
            forged.prev_hash,
            forged.hash,
            mac,
            key_id,
        ],
    )
    _set_head(organization_id, forged.seq, forged.hash, forged.prev_hash)
    return forged.seq


def strip_macs(organization_id: int | None, seqs: list[int]) -> None:
    """Blank the MAC of entries (as if written before MACs existed)."""
    drop_triggers()
    for entry in chain(organization_id):
        if entry.seq in seqs:
            sql("UPDATE audit_auditevent SET mac = '', key_id = '' WHERE id = %s", [entry.pk])
