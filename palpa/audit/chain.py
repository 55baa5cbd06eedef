"""The public hash chain (ADR 0002, 0004): how an entry's hash is made from its content,
its place and the entry before it. Anyone can recompute it; the keyed MAC over it
(``keys``, ADR 0008) is what someone who can write to the database cannot."""

from __future__ import annotations

import hashlib
import json

from django.db.models import Q

from palpa.audit.models import AuditEvent

GENESIS = "0" * 64


def _canonical(entry: AuditEvent) -> bytes:
    """The entry's own content: every field but its place in the chain (seq, links)."""
    body = {
        "organization": entry.organization_id,
        "at": entry.at.isoformat(),
        "actor": entry.actor_id,
        "actor_label": entry.actor_label,
        "action": entry.action,
        "object_type": entry.object_type,
        "object_id": entry.object_id,
        "patient_id": entry.patient_id,
        "detail": entry.detail,
        "client_address": entry.client_address,
        "request_id": entry.request_id,
        "via": entry.via,
    }
    return json.dumps(body, sort_keys=True, separators=(",", ":"), default=str).encode()


def content_digest(entry: AuditEvent) -> str:
    return hashlib.sha256(_canonical(entry)).hexdigest()


def link_hash(prev_hash: str, seq: int, digest: str) -> str:
    """An entry's hash: SHA-256 of ``prev_hash:seq:content_digest`` (ADR 0004).

    PostgreSQL computes the same expression inside the append statement
    (``_PG_APPEND``); tests check that both agree.
    """
    return hashlib.sha256(f"{prev_hash}:{seq}:{digest}".encode()).hexdigest()


def compute_hash(entry: AuditEvent) -> str:
    return link_hash(entry.prev_hash, entry.seq, content_digest(entry))


def in_chain(organization_id: int | None) -> Q:
    if organization_id is None:
        return Q(organization__isnull=True)
    return Q(organization_id=organization_id)
