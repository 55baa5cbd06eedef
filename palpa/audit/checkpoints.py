"""Signed checkpoints of the audit chains, kept outside the database (ADR 0008).

A checkpoint line records how far one organization's chain had grown (seq and hash of
its newest entry) at a time, signed with the checkpoint key, which is derived from the
audit key and never passes through the database. ``verify`` then detects what a MAC
cannot: newest entries removed with the head set back, a whole chain deleted, and a
chain rewritten by someone who obtained the entry key.

Lines are JSON, one per line, appended (``palpa audit checkpoint``, the worker's task):

    {"v":1,"kind":"checkpoint","organization":3,"name":"…","seq":1042,"hash":"…",
     "at":"2026-11-30T10:15:00+00:00","key_id":"…","mac":"…"}

``kind`` is ``restore`` for the line ``palpa restore`` writes: the chain was set back to
``seq`` by restoring a backup (``backup_at``), so earlier checkpoints beyond it describe
entries lost with the restore, not tampering.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import hmac
import json
import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.utils import timezone

from palpa.audit.chain import in_chain
from palpa.audit.keys import AuditKey, current_key, known_keys
from palpa.audit.models import AuditChainHead, AuditEvent

VERSION = 1
CHECKPOINT = "checkpoint"
RESTORE = "restore"


@dataclass(frozen=True)
class Checkpoint:
    kind: str
    organization_id: int | None
    name: str
    seq: int
    hash: str
    at: dt.datetime
    key_id: str
    backup_at: str = ""
    line: int = 0  # its line number in the file it was read from
    mac: str = ""  # the signature it was read with

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "v": VERSION,
            "kind": self.kind,
            "organization": self.organization_id,
            "name": self.name,
            "seq": self.seq,
            "hash": self.hash,
            "at": self.at.isoformat(),
            "key_id": self.key_id,
        }
        if self.kind == RESTORE:
            body["backup_at"] = self.backup_at
        return body

    def signed_line(self, key: AuditKey) -> str:
        assert key.key_id == self.key_id
        body = self.body()
        return json.dumps({**body, "mac": key.sign(_canonical(body))}, sort_keys=True)

    def describe(self) -> str:
        what = "restore" if self.kind == RESTORE else "checkpoint"
        where = f" (line {self.line})" if self.line else ""
        return f"the {what} of {self.at.isoformat(timespec='seconds')}{where}"


@dataclass(frozen=True)
class LineProblem:
    line: int
    message: str


@dataclass
class CheckpointFile:
    """What a checkpoint file holds: the lines that verify, and what is wrong with the
    others (never used)."""

    path: str
    checkpoints: list[Checkpoint] = field(default_factory=list)
    problems: list[LineProblem] = field(default_factory=list)
    missing: bool = False

    def for_chain(self, organization_id: int | None) -> list[Checkpoint]:
        return [c for c in self.checkpoints if c.organization_id == organization_id]

    def chains(self) -> set[int | None]:
        return {c.organization_id for c in self.checkpoints}

    def latest(self) -> dict[int | None, Checkpoint]:
        latest: dict[int | None, Checkpoint] = {}
        for checkpoint in self.checkpoints:
            latest[checkpoint.organization_id] = checkpoint
        return latest


def _canonical(body: dict[str, Any]) -> bytes:
    return json.dumps(body, sort_keys=True, separators=(",", ":")).encode()


_FIELDS: dict[str, tuple[type, ...]] = {
    "v": (int,),
    "kind": (str,),
    "organization": (int, type(None)),
    "name": (str,),
    "seq": (int,),
    "hash": (str,),
    "at": (str,),
    "key_id": (str,),
    "mac": (str,),
}


def parse_line(text: str, number: int, keys: dict[str, AuditKey]) -> Checkpoint | LineProblem:
    """One line: a checkpoint whose signature verifies, or what is wrong with it."""
    try:
        data = json.loads(text)
    except ValueError:
        return LineProblem(number, "not a checkpoint line (not valid JSON): altered or forged")
    if not isinstance(data, dict):
        return LineProblem(number, "not a checkpoint line (not a JSON object): altered or forged")
    for name, types in _FIELDS.items():
        value = data.get(name)
        if not isinstance(value, types) or isinstance(value, bool):
            return LineProblem(number, f"field {name!r} is missing or malformed: altered or forged")
    if data["v"] != VERSION or data["kind"] not in (CHECKPOINT, RESTORE):
        return LineProblem(number, f"unknown version or kind ({data['v']}, {data['kind']!r})")
    key = keys.get(data["key_id"])
    if key is None:
        return LineProblem(
            number,
            f"signed with an unknown key (key id {data['key_id']}): give that key in "
            "PALPA_AUDIT_OLD_KEYS, or the line was forged",
        )
    body = {k: v for k, v in data.items() if k != "mac"}
    if not hmac.compare_digest(key.sign(_canonical(body)), data["mac"]):
        return LineProblem(number, "its signature does not match: altered or forged")
    try:
        at = dt.datetime.fromisoformat(data["at"])
    except ValueError:
        return LineProblem(number, "its time is not a valid ISO 8601 time")
    if at.tzinfo is None:
        return LineProblem(number, "its time has no UTC offset")
    return Checkpoint(
        kind=data["kind"],
        organization_id=data["organization"],
        name=data["name"],
        seq=data["seq"],
        hash=data["hash"],
        at=at,
        key_id=data["key_id"],
        backup_at=str(data.get("backup_at", "")),
        line=number,
        mac=data["mac"],
    )


def _replayed(checkpoint: Checkpoint, earlier: list[Checkpoint]) -> LineProblem | None:
    """A signed line copied again further down the file. Lines are appended in time
    order, so a line that repeats an earlier one, or a restore line older than a line of
    its chain before it, was replayed: a replayed restore line would otherwise excuse a
    rewound chain as "set back by a restore"."""
    for before in earlier:
        if hmac.compare_digest(before.mac, checkpoint.mac):
            return LineProblem(
                checkpoint.line,
                f"repeats line {before.line} (replayed): not used",
            )
    if checkpoint.kind == RESTORE:
        newer = [b for b in earlier if b.organization_id == checkpoint.organization_id]
        newer = [b for b in newer if b.at > checkpoint.at]
        if newer:
            return LineProblem(
                checkpoint.line,
                f"a restore line older than line {newer[0].line} before it (replayed or "
                "moved): not used",
            )
    return None


def read(path: str | Path, keys: dict[str, AuditKey] | None = None) -> CheckpointFile:
    """Read a checkpoint file; a file that does not exist reads as empty (``missing``).
    A file that cannot be read raises ``OSError``."""
    keys = known_keys() if keys is None else keys
    found = CheckpointFile(str(path))
    try:
        handle = Path(path).open(encoding="utf-8", errors="replace")  # noqa: SIM115
    except FileNotFoundError:
        found.missing = True
        return found
    with handle:
        for number, text in enumerate(handle, start=1):
            if not text.strip():
                continue
            parsed = parse_line(text, number, keys)
            if isinstance(parsed, Checkpoint):
                parsed = _replayed(parsed, found.checkpoints) or parsed
            if isinstance(parsed, LineProblem):
                found.problems.append(parsed)
            else:
                found.checkpoints.append(parsed)
    return found


def append(path: str | Path, lines: Sequence[str]) -> None:
    """Append lines in one write under an exclusive lock, then fsync: concurrent writers
    (the worker and cron) never interleave, and a line written is on disk."""
    if not lines:
        return
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(target, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        os.write(fd, "".join(f"{line}\n" for line in lines).encode())
        os.fsync(fd)
    finally:
        os.close(fd)  # releases the lock


@dataclass
class Taken:
    """What one checkpoint run found: the lines to write and the chains it refused."""

    checkpoints: list[Checkpoint] = field(default_factory=list)
    unchanged: int = 0
    refused: list[str] = field(default_factory=list)


def _chain_label(organization_id: int | None, name: str) -> str:
    if organization_id is None:
        return "system"
    return f"{name} (organization {organization_id})" if name else f"organization {organization_id}"


def take(*, now: dt.datetime | None = None, previous: CheckpointFile | None = None) -> Taken:
    """A checkpoint of every chain whose head moved since ``previous`` (all when None).

    Before signing, the head's newest entry must exist with the head's hash and a MAC
    that verifies (or none, for a chain written before MACs): a state that is visibly
    wrong is refused, not vouched for.
    """
    moment = now or timezone.now()
    key = current_key()
    keys = known_keys()
    latest = previous.latest() if previous is not None else {}
    taken = Taken()
    heads = AuditChainHead.objects.select_related("organization").order_by("id")
    seen: set[int | None] = set()
    for head in heads:
        org_id = head.organization_id
        if org_id in seen or head.last_seq == 0:
            continue  # a second head of the system chain is never used (ADR 0007)
        seen.add(org_id)
        name = head.organization.name if head.organization is not None else ""
        label = _chain_label(org_id, name)
        before = latest.get(org_id)
        if before is not None and (before.seq, before.hash) == (head.last_seq, head.last_hash):
            taken.unchanged += 1
            continue
        entry = AuditEvent.objects.filter(in_chain(org_id), seq=head.last_seq).first()
        if entry is None or entry.hash != head.last_hash:
            taken.refused.append(
                f"{label}: the head says #{head.last_seq}, but no entry #{head.last_seq} with "
                "its hash exists (run `palpa audit verify`)"
            )
            continue
        if entry.mac:
            signer = keys.get(entry.key_id)
            if signer is None or not hmac.compare_digest(signer.entry_mac(entry.hash), entry.mac):
                taken.refused.append(
                    f"{label}: entry #{entry.seq}'s MAC does not verify (run `palpa audit verify`)"
                )
                continue
        taken.checkpoints.append(
            Checkpoint(
                kind=CHECKPOINT,
                organization_id=org_id,
                name=name,
                seq=head.last_seq,
                hash=head.last_hash,
                at=moment,
                key_id=key.key_id,
            )
        )
    return taken


def write(
    target: str, *, now: dt.datetime | None = None, emit: Callable[[str], object] | None = None
) -> Taken:
    """Take checkpoints and append them to the file ``target``, or with ``target`` ``-``
    hand every chain's line to ``emit`` (standard output: an operator's pipe to another
    store)."""
    key = current_key()
    if target == "-":
        taken = take(now=now)
        assert emit is not None
        for checkpoint in taken.checkpoints:
            emit(checkpoint.signed_line(key))
        return taken
    taken = take(now=now, previous=read(target))
    append(target, [c.signed_line(key) for c in taken.checkpoints])
    return taken


def restore_lines(
    chains: Iterable[tuple[int | None, str, int, str]],
    *,
    backup_at: str,
    now: dt.datetime | None = None,
) -> list[str]:
    """Signed ``restore`` lines: each chain (organization, name, seq, hash) as restored
    from a backup made at ``backup_at``; seq 0 for a chain the backup did not have."""
    key = current_key()
    moment = now or timezone.now()
    return [
        Checkpoint(
            kind=RESTORE,
            organization_id=org_id,
            name=name,
            seq=seq,
            hash=hash_,
            at=moment,
            key_id=key.key_id,
            backup_at=backup_at,
        ).signed_line(key)
        for org_id, name, seq, hash_ in chains
    ]
