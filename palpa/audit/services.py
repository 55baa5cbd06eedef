"""Writing the audit chain. ``record`` (and ``read_and_record``) are the only ways entries
are made; ``palpa.audit.verification`` checks them (re-exported here)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from palpa.audit.chain import GENESIS, compute_hash, content_digest, in_chain, link_hash
from palpa.audit.context import current
from palpa.audit.keys import AuditKey, current_key
from palpa.audit.models import AuditChainHead, AuditEvent

# Verification lives in its own module; these names stay importable from here.
from palpa.audit.verification import ChainReport, verify_all, verify_chain
from palpa.core.db import hot_cursor
from palpa.core.records import current_act
from palpa.core.rows import insert

if TYPE_CHECKING:  # audit sits below accounts: it names them only for types
    from palpa.accounts.models import Organization, User

Action = AuditEvent.Action


def _locked_head(organization_id: int | None) -> tuple[int, int, str]:
    """Lock the chain's head row until the transaction ends: (id, last_seq, last_hash).

    Written as one plain statement rather than a queryset: it runs for every audited
    request, where compiling the ORM query cost more than the query itself.
    """
    table = connection.ops.quote_name(AuditChainHead._meta.db_table)
    where, params = (
        ("organization_id IS NULL", [])
        if organization_id is None
        else ("organization_id = %s", [organization_id])
    )
    lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
    with connection.cursor() as cursor:
        # Identifiers come from the model and a fixed clause; every value is a parameter.
        sql = f"SELECT id, last_seq, last_hash FROM {table} WHERE {where}"  # noqa: S608
        cursor.execute(f"{sql} ORDER BY id LIMIT 1{lock}", params)
        row = cursor.fetchone()
    if row is not None:
        return int(row[0]), int(row[1]), str(row[2])
    try:
        with transaction.atomic():
            head = AuditChainHead.objects.create(
                organization_id=organization_id, last_seq=0, last_hash=GENESIS
            )
    except IntegrityError:  # another writer created it first
        head = AuditChainHead.objects.select_for_update().get(in_chain(organization_id))
    return head.pk, head.last_seq, head.last_hash


def _move_head(head_id: int, entry: AuditEvent) -> None:
    table = connection.ops.quote_name(AuditChainHead._meta.db_table)
    with connection.cursor() as cursor:
        sql = f"UPDATE {table} SET last_seq = %s, prev_hash = %s, last_hash = %s WHERE id = %s"  # noqa: S608
        cursor.execute(sql, [entry.seq, entry.prev_hash, entry.hash, head_id])


# The entry's place in the chain and its MAC: set by the append, not by the caller.
_CHAIN_FIELDS = ("seq", "prev_hash", "hash", "mac", "key_id")


def _content_fields() -> list[Any]:
    return [
        f
        for f in AuditEvent._meta.concrete_fields
        if not f.primary_key and f.name not in _CHAIN_FIELDS
    ]


def _pg_append_ctes(organization_is_null: bool, asynchronous: bool, guard: str = "") -> str:
    """The CTE that moves the chain head (``h``, and ``c`` when the commit may be
    asynchronous); ``guard`` is an extra SQL condition for moving it.

    One UPDATE takes the head's row lock, computes the link from the head as it is once
    the lock is held (a concurrent writer's UPDATE waits, then re-reads the row), and
    returns it: the head keeps the newest entry's ``prev_hash`` because RETURNING sees
    only new values (ADR 0007). The row is chosen by id (the oldest head of the chain),
    so exactly one row moves even for the system chain, whose NULL organization the
    unique constraint does not cover. Parameters: the content digest, then the
    organization id unless it is NULL.
    """
    quote = connection.ops.quote_name
    head = quote(AuditChainHead._meta.db_table)
    where = "organization_id IS NULL" if organization_is_null else "organization_id = %s"
    guarded = f" AND {guard}" if guard else ""
    # Identifiers come from the models and fixed clauses; every value is a parameter.
    relax = (
        "c AS (SELECT set_config('synchronous_commit', 'off', true) AS v), " if asynchronous else ""
    )
    return (
        f"{relax}h AS (UPDATE {head} AS t SET last_seq = t.last_seq + 1,"  # noqa: S608
        " prev_hash = t.last_hash,"
        " last_hash = encode(sha256(convert_to("
        "t.last_hash || ':' || (t.last_seq + 1)::text || ':' || %s, 'UTF8')), 'hex')"
        f" WHERE t.id = (SELECT id FROM {head} WHERE {where} ORDER BY id LIMIT 1){guarded}"
        " RETURNING t.last_seq AS seq, t.prev_hash AS prev_hash, t.last_hash AS hash)"
    )


#: HMAC-SHA256 (RFC 2104) of the new entry's hash with PostgreSQL's built-in sha256():
#: the parameters are the entry key XOR opad, then XOR ipad (``AuditKey.outer_pad``,
#: ``inner_pad``); the key is shorter than a block, so no key hashing step (ADR 0008).
PG_ENTRY_MAC = "encode(sha256(%s::bytea || sha256(%s::bytea || convert_to(h.hash, 'UTF8'))), 'hex')"


def _pg_insert_sql(asynchronous: bool, returning: str) -> str:
    """The INSERT of the entry, linked by ``h`` (see ``_pg_append_ctes``) and signed
    (``PG_ENTRY_MAC``). Parameters: the content values, the two pads, the key id."""
    quote = connection.ops.quote_name
    event = quote(AuditEvent._meta.db_table)
    columns = [quote(str(f.column)) for f in _content_fields()]
    return (
        f"INSERT INTO {event} ({', '.join(columns)}, seq, prev_hash, hash, mac, key_id)"  # noqa: S608
        f" SELECT {', '.join(['%s'] * len(columns))}, h.seq, h.prev_hash, h.hash,"
        f" {PG_ENTRY_MAC}, %s"
        f" FROM h{', c' if asynchronous else ''}"
        f" RETURNING {returning}"
    )


def _signing_params(key: AuditKey) -> list[Any]:
    return [key.outer_pad, key.inner_pad, key.key_id]


def _pg_append_sql(organization_is_null: bool, asynchronous: bool = False) -> str:
    """One statement that locks the chain head, links the entry and inserts it.

    Run on its own (autocommit) it is also its own transaction, so the head's row lock
    lasts for this statement only; inside a caller's transaction it lasts until that
    commits, as before. The hash expression is ``link_hash`` written in SQL.

    ``asynchronous`` (access entries only, never inside a caller's transaction; ADR 0005)
    sets ``synchronous_commit = off`` for this one statement's own transaction, so the
    request does not wait for the WAL flush of a read's audit entry.
    """
    ctes = _pg_append_ctes(organization_is_null, asynchronous)
    return f"WITH {ctes} {_pg_insert_sql(asynchronous, 'id, seq, prev_hash, hash, mac')}"


_PG_APPEND: dict[tuple[bool, bool], str] = {}

#: Entries that record an access (nothing in the database changed). Only these may be
#: committed asynchronously (ADR 0005).
ACCESS_ACTIONS = frozenset({AuditEvent.Action.READ, AuditEvent.Action.SEARCH})


def _commits_asynchronously(entry: AuditEvent) -> bool:
    """An access entry written in its own transaction, when the settings allow it."""
    return (
        entry.action in ACCESS_ACTIONS
        and not connection.in_atomic_block
        and not getattr(settings, "PALPA_AUDIT_SYNCHRONOUS_READS", False)
    )


def _append_postgresql(entry: AuditEvent, digest: str, key: AuditKey) -> bool:
    """Link, sign and insert in one round trip; False when the chain has no head row yet."""
    variant = (entry.organization_id is None, _commits_asynchronously(entry))
    org_null = variant[0]
    sql = _PG_APPEND.get(variant)
    if sql is None:
        sql = _PG_APPEND[variant] = _pg_append_sql(*variant)
    values = [f.get_db_prep_save(getattr(entry, f.attname), connection) for f in _content_fields()]
    params = [
        digest,
        *([] if org_null else [entry.organization_id]),
        *values,
        *_signing_params(key),
    ]
    with hot_cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    if row is None:
        return False
    entry.pk, entry.seq, entry.prev_hash, entry.hash = int(row[0]), int(row[1]), row[2], row[3]
    entry.mac, entry.key_id = row[4], key.key_id
    entry._state.adding = False  # from here on the model refuses to save it again
    entry._state.db = connection.alias
    return True


def _append_locked(entry: AuditEvent, digest: str, key: AuditKey) -> None:
    """Lock the head, link, sign, insert, move the head: three statements (SQLite)."""
    with transaction.atomic():
        head_id, last_seq, last_hash = _locked_head(entry.organization_id)
        entry.seq = last_seq + 1
        entry.prev_hash = last_hash
        entry.hash = link_hash(last_hash, entry.seq, digest)
        entry.mac, entry.key_id = key.entry_mac(entry.hash), key.key_id
        insert(entry, connection.alias)  # as save() would, without compiling the INSERT
        _move_head(head_id, entry)


def _entry(
    *,
    actor: User | None,
    action: str,
    organization: Organization | None,
    obj: Any,
    object_type: str,
    object_id: str,
    patient_id: str,
    detail: dict[str, Any] | None,
    actor_label: str,
) -> AuditEvent:
    if obj is not None:
        object_type = object_type or type(obj).__name__
        object_id = object_id or str(getattr(obj, "public_id", "") or getattr(obj, "pk", ""))
    org_id = organization.pk if organization is not None else None
    if org_id is None and actor is not None:
        org_id = actor.organization_id
    ctx = current()
    act = current_act()  # written as a consequence of a signing (core.records)
    if act is not None and obj is not None:
        detail = {**(detail or {}), "act": act}
    return AuditEvent(
        organization_id=org_id,
        at=timezone.now(),
        actor=actor if actor is not None and actor.pk else None,
        actor_label=actor_label or (actor.get_username() if actor is not None else "system"),
        action=action,
        object_type=object_type,
        object_id=object_id,
        patient_id=patient_id,
        # Round-tripped through JSON so the hash covers exactly what is stored.
        detail=json.loads(json.dumps(detail or {}, default=str)),
        client_address=ctx.client_address,
        request_id=ctx.request_id,
        via=ctx.via,
    )


def _append(entry: AuditEvent, digest: str) -> None:
    key = current_key()
    if connection.vendor == "postgresql":
        if not _append_postgresql(entry, digest, key):
            with transaction.atomic():
                _locked_head(entry.organization_id)  # creates the chain's head (first entry)
            if not _append_postgresql(entry, digest, key):  # pragma: no cover - head just made
                raise RuntimeError(
                    f"audit chain head for organization {entry.organization_id} is missing"
                )
    else:
        _append_locked(entry, digest, key)


def record(
    *,
    actor: User | None,
    action: str,
    organization: Organization | None = None,
    obj: Any = None,
    object_type: str = "",
    object_id: str = "",
    patient_id: str = "",
    detail: dict[str, Any] | None = None,
    actor_label: str = "",
) -> AuditEvent:
    """Append one entry to the organization's chain, inside the caller's transaction."""
    entry = _entry(
        actor=actor,
        action=action,
        organization=organization,
        obj=obj,
        object_type=object_type,
        object_id=object_id,
        patient_id=patient_id,
        detail=detail,
        actor_label=actor_label,
    )
    _append(entry, content_digest(entry))
    return entry


def _pg_read_sql(select_sql: str, organization_is_null: bool, asynchronous: bool) -> str:
    """``select_sql`` and, when it finds its row, the access entry: one statement.

    The append of ``_pg_append_sql`` with taking the head guarded by the select having
    found a row, so nothing is locked or written for a miss. Data-modifying CTEs run
    whether or not the outer query reads them; the outer query returns the selected row
    and the entry's id (NULL when the chain has no head yet). Parameters: the select's,
    then the append's.
    """
    ctes = _pg_append_ctes(organization_is_null, asynchronous, "EXISTS (SELECT 1 FROM found)")
    insert = _pg_insert_sql(asynchronous, "id")
    return (
        f"WITH found AS ({select_sql}), {ctes}, entry AS ({insert})"  # noqa: S608 (caller's SQL)
        " SELECT found.*, (SELECT id FROM entry) FROM found"
    )


_PG_READ: dict[tuple[str, bool, bool], str] = {}


def read_and_record(
    select_sql: str,
    params: list[Any],
    *,
    actor: User,
    action: str = Action.READ,
    object_type: str,
    object_id: str,
    patient_id: str = "",
    detail: dict[str, Any] | None = None,
) -> tuple[Any, ...] | None:
    """Run a one-row SELECT and, only if it finds the row, record the access.

    On PostgreSQL the read, the chain link and the entry are one statement (one round
    trip, one commit; an access entry in its own transaction commits asynchronously, ADR
    0005); elsewhere the select runs first and ``record`` follows. Returns the row, or
    None when nothing was found (and then nothing is recorded).
    """
    entry = _entry(
        actor=actor,
        action=action,
        organization=None,
        obj=None,
        object_type=object_type,
        object_id=object_id,
        patient_id=patient_id,
        detail=detail,
        actor_label="",
    )
    digest = content_digest(entry)
    if connection.vendor != "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(select_sql, params)
            row = cursor.fetchone()
        if row is not None:
            _append(entry, digest)
        return tuple(row) if row is not None else None
    org_null = entry.organization_id is None
    key = (select_sql, org_null, _commits_asynchronously(entry))
    sql = _PG_READ.get(key)
    if sql is None:
        sql = _PG_READ[key] = _pg_read_sql(*key)
    values = [f.get_db_prep_save(getattr(entry, f.attname), connection) for f in _content_fields()]
    append_params = [
        digest,
        *([] if org_null else [entry.organization_id]),
        *values,
        *_signing_params(current_key()),
    ]
    with hot_cursor() as cursor:
        cursor.execute(sql, [*params, *append_params])
        found = cursor.fetchone()
    if found is None:
        return None
    if found[-1] is None:  # the chain had no head yet: make it and append as usual
        _append(entry, digest)
    return tuple(found[:-1])


__all__ = [
    "GENESIS",
    "Action",
    "ChainReport",
    "compute_hash",
    "content_digest",
    "link_hash",
    "read_and_record",
    "record",
    "verify_all",
    "verify_chain",
]
