"""Verifying the audit chains: links and hashes (public), MACs (the audit key) and
signed checkpoints kept outside the database (ADR 0008).

``verify_chain`` walks one organization's entries in order and names every problem: a
changed entry, missing entries, a broken link, an entry signed with an unknown key, an
entry without a MAC after signed ones, a head that does not match, and, given the
checkpoints, a rewound head, a rewritten chain or a missing chain. Entries written before
MACs existed are counted, not reported as tampering.
"""

from __future__ import annotations

import datetime as dt
import hmac
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.conf import settings
from django.utils import timezone

from palpa.audit.chain import GENESIS, compute_hash, in_chain
from palpa.audit.checkpoints import RESTORE, Checkpoint, CheckpointFile
from palpa.audit.keys import AuditKey, known_keys
from palpa.audit.models import AuditChainHead, AuditEvent


@dataclass(frozen=True)
class Problem:
    kind: str
    message: str
    seq: int | None = None


@dataclass
class ChainReport:
    organization_id: int | None
    entries: int = 0
    problems: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    last_seq: int = 0
    #: Entries written before MACs existed (first and last seq), not tampering.
    unsigned: tuple[int, int] | None = None
    checkpoints: int = 0
    last_checkpoint: Checkpoint | None = None
    name: str = ""  # from a checkpoint line, for a chain the database no longer has

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def broken_at_seq(self) -> int | None:
        return self.problems[0].seq if self.problems else None

    @property
    def reason(self) -> str:
        return self.problems[0].message if self.problems else ""


DASH = "\u2013"  # an en dash between the first and last seq of a range


def _span(first: int, last: int) -> str:
    return f"#{first}" if first == last else f"#{first}{DASH}#{last}"


def _runs(seqs: list[int]) -> list[tuple[int, int]]:
    """Consecutive sequence numbers as (first, last) runs."""
    runs: list[tuple[int, int]] = []
    for seq in seqs:
        if runs and seq == runs[-1][1] + 1:
            runs[-1] = (runs[-1][0], seq)
        else:
            runs.append((seq, seq))
    return runs


def _effective(checkpoints: Iterable[Checkpoint], report: ChainReport) -> list[Checkpoint]:
    """The checkpoints the chain must agree with, in file order. A restore line sets the
    chain back: earlier checkpoints beyond it describe entries lost with the restore."""
    active: list[Checkpoint] = []
    for checkpoint in checkpoints:
        if checkpoint.kind == RESTORE:
            lost = [c.seq for c in active if c.seq > checkpoint.seq]
            if lost:
                report.notes.append(
                    f"{checkpoint.describe()} (backup of {checkpoint.backup_at}) set the chain "
                    f"back to #{checkpoint.seq}: entries {_span(checkpoint.seq + 1, max(lost))}, "
                    "checkpointed before it, were not in the backup"
                )
            active = [c for c in active if c.seq <= checkpoint.seq]
        active.append(checkpoint)
    return active


def verify_chain(
    organization_id: int | None,
    *,
    checkpoints: CheckpointFile | None = None,
    keys: dict[str, AuditKey] | None = None,
) -> ChainReport:
    """Check one chain: every entry's link, hash and MAC, its head, and the checkpoints
    of it in ``checkpoints`` (none when not given)."""
    keys = known_keys() if keys is None else keys
    report = ChainReport(organization_id)
    lines = checkpoints.for_chain(organization_id) if checkpoints is not None else []
    if lines:
        report.name = lines[-1].name
    active = _effective(lines, report)
    report.checkpoints = len(active)
    report.last_checkpoint = active[-1] if active else None
    # Checkpoints exist only since MACs do (both came with ADR 0008): an entry after the
    # chain's first checkpoint line was written with MACs in place and must carry one.
    signed_after = min((c.seq for c in lines), default=None)
    covered = max((c.seq for c in active), default=0)
    first_uncovered: AuditEvent | None = None
    at_seq: dict[int, list[Checkpoint]] = defaultdict(list)
    for checkpoint in active:
        if checkpoint.seq > 0:
            at_seq[checkpoint.seq].append(checkpoint)

    problems: list[Problem] = []
    bad_mac: list[int] = []
    unknown: dict[str, list[int]] = defaultdict(list)
    stripped: list[int] = []
    unpinned: list[int] = []
    changed: list[int] = []
    unsigned: list[int] = []
    signed_seen = False
    prev = GENESIS
    expected = 1
    last_hash = GENESIS
    entries = AuditEvent.objects.filter(in_chain(organization_id)).order_by("seq", "id")
    for entry in entries.iterator(2000):
        report.entries += 1
        if entry.seq < expected:
            problems.append(
                Problem("duplicate", f"entry #{entry.seq} appears more than once", entry.seq)
            )
            continue
        if entry.seq > expected:
            span = _span(expected, entry.seq - 1)
            problems.append(Problem("missing", f"missing entries {span}", expected))
        elif entry.prev_hash != prev:
            problems.append(
                Problem(
                    "link",
                    f"entry #{entry.seq}: its link to the entry before is broken "
                    "(an entry was inserted, replaced or re-linked)",
                    entry.seq,
                )
            )
        if compute_hash(entry) != entry.hash:
            changed.append(entry.seq)
        if not entry.mac:
            if signed_seen:
                stripped.append(entry.seq)
            elif signed_after is not None and entry.seq > signed_after:
                unpinned.append(entry.seq)
            else:
                unsigned.append(entry.seq)
        else:
            signed_seen = True
            key = keys.get(entry.key_id)
            if key is None:
                unknown[entry.key_id].append(entry.seq)
            elif not hmac.compare_digest(key.entry_mac(entry.hash), entry.mac):
                bad_mac.append(entry.seq)
        for checkpoint in at_seq.get(entry.seq, []):
            if checkpoint.hash != entry.hash:
                problems.append(
                    Problem(
                        "rewritten",
                        f"entry #{entry.seq} is not the entry {checkpoint.describe()} "
                        "recorded: the chain up to it was rewritten",
                        entry.seq,
                    )
                )
        if first_uncovered is None and entry.seq > covered:
            first_uncovered = entry
        prev = entry.hash
        last_hash = entry.hash
        expected = entry.seq + 1
    report.last_seq = expected - 1

    for first, last in _runs(changed):
        what = "entry" if first == last else "entries"
        problems.append(
            Problem(
                "changed",
                f"changed {what} {_span(first, last)}: the content no longer matches the hash",
                first,
            )
        )
    for first, last in _runs(bad_mac):
        message = (
            f"changed entry #{first}: its MAC does not match (changed or forged after it "
            "was written)"
        )
        if last > first:
            message += f"; entries {_span(first + 1, last)} after it do not match theirs either"
        problems.append(Problem("mac", message, first))
    for key_id, seqs in unknown.items():
        for first, last in _runs(seqs):
            problems.append(
                Problem(
                    "unknown-key",
                    f"entries {_span(first, last)} are signed with an unknown key "
                    f"(key id {key_id}): give it in PALPA_AUDIT_OLD_KEYS, or they were forged",
                    first,
                )
            )
    for first, last in _runs(stripped):
        problems.append(
            Problem(
                "no-mac",
                f"entries {_span(first, last)} have no MAC although signed entries come "
                "before them: forged, or their MAC removed",
                first,
            )
        )
    for first, last in _runs(unpinned):
        problems.append(
            Problem(
                "no-mac",
                f"entries {_span(first, last)} have no MAC although written after the "
                f"chain's first checkpoint (#{signed_after}), when MACs were in use: forged, "
                "or their MAC removed",
                first,
            )
        )
    if unsigned:
        report.unsigned = (unsigned[0], unsigned[-1])
        if signed_after is None:
            report.notes.append(
                "no checkpoint covers the entries written before MACs yet: until one does, "
                "their MACs could have been removed unnoticed (run `palpa audit checkpoint`)"
            )

    heads = list(AuditChainHead.objects.filter(in_chain(organization_id)).order_by("id")[:1])
    head = heads[0] if heads else None
    last = report.last_seq
    if head is None and report.entries:
        problems.append(Problem("head", f"the chain has entries up to #{last} but no head", last))
    elif head is not None and head.last_seq > last:
        problems.append(
            Problem(
                "missing",
                f"missing entries {_span(last + 1, head.last_seq)}: the chain ends at "
                f"#{last} but its head says #{head.last_seq} (newest entries removed)",
                last + 1,
            )
        )
    elif head is not None and head.last_seq < last:
        problems.append(
            Problem(
                "head",
                f"the head says #{head.last_seq} but the chain goes on to #{last} "
                "(entries added without the head)",
                head.last_seq + 1,
            )
        )
    elif head is not None and head.last_seq and head.last_hash != last_hash:
        problems.append(
            Problem("head", f"the head's hash is not entry #{last}'s", last),
        )

    beyond = [c for c in active if c.seq > last]
    if beyond:
        furthest = max(beyond, key=lambda c: c.seq)
        if report.entries == 0 and head is None:
            problems.append(
                Problem(
                    "missing-chain",
                    f"missing chain: {furthest.describe()} recorded it at #{furthest.seq}; "
                    "no entries and no head now (the chain was deleted)",
                    1,
                )
            )
        else:
            problems.append(
                Problem(
                    "rewound",
                    f"rewound head: {furthest.describe()} said #{furthest.seq}, the chain "
                    f"now ends at #{last}",
                    last + 1,
                )
            )
    if checkpoints is not None and first_uncovered is not None:
        problems += _uncovered(first_uncovered, last, checkpoints)
    report.problems = sorted(problems, key=lambda p: p.seq or 0)
    return report


def _uncovered(first: AuditEvent, last: int, checkpoints: CheckpointFile) -> list[Problem]:
    """Entries that a checkpoint should have covered by now and none does. Checkpoints
    are written every ``PALPA_AUDIT_CHECKPOINT_MINUTES``; an entry older than twice that
    with no checkpoint at or after it means the checkpoint file was deleted, emptied or
    cut back (which would hide removed newest entries), or checkpoints stopped. The
    entry's time is covered by its MAC, so it cannot be moved forward to hide this."""
    minutes = settings.PALPA_AUDIT_CHECKPOINT_MINUTES
    if not minutes:
        return []
    allowed = dt.timedelta(minutes=2 * minutes)
    if timezone.now() - first.at <= allowed:
        return []
    where = "no checkpoint file" if checkpoints.missing else "no line in the checkpoint file"
    return [
        Problem(
            "uncovered",
            f"entries {_span(first.seq, last)} are not covered by a checkpoint although "
            f"#{first.seq} was written at {first.at.isoformat(timespec='seconds')}, more "
            f"than {2 * minutes} minutes ago ({where} covers them): the checkpoint file "
            f"{checkpoints.path} was deleted, emptied, cut back or replaced, or checkpoints "
            "are not being written (is the worker running? `palpa audit checkpoint`)",
            first.seq,
        )
    ]


def chains(checkpoints: CheckpointFile | None = None) -> list[int | None]:
    """Every chain the database or the checkpoints know: heads, entries, checkpoint lines."""
    org_ids: set[int | None] = set(AuditChainHead.objects.values_list("organization_id", flat=True))
    org_ids |= set(AuditEvent.objects.values_list("organization_id", flat=True).distinct())
    if checkpoints is not None:
        org_ids |= checkpoints.chains()
    return sorted(org_ids, key=lambda v: (v is None, v or 0))


def verify_all(checkpoints: CheckpointFile | None = None) -> list[ChainReport]:
    keys = known_keys()
    return [verify_chain(o, checkpoints=checkpoints, keys=keys) for o in chains(checkpoints)]
