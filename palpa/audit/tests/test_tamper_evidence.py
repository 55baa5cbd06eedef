"""Someone who can write to the database cannot re-forge the audit log unnoticed (ADR 0008).

Each attack is scripted against the real database (``attacks``): triggers dropped, rows
changed, public hashes recomputed, the head moved. ``verify`` must name what was done,
using the MACs (the audit key is not in the database) and the signed checkpoints (kept
outside it).
"""

from __future__ import annotations

import datetime as dt
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.core.management import call_command
from django.core.management.base import CommandError

from palpa.accounts.models import Organization, User
from palpa.audit import checkpoints
from palpa.audit.keys import current_key, derive
from palpa.audit.models import AuditEvent
from palpa.audit.services import Action, record
from palpa.audit.tests import attacks
from palpa.audit.verification import DASH, verify_all, verify_chain

T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
KEY_A = "audit-key-A-" + "Qw3rTy7uIoP1aSdFgH5jKlZxCvBnM9" + "0123456789"
KEY_B = "audit-key-B-" + "Mn8bVcXz2LkJhGf4DsAp6OiUyTrE1w" + "9876543210"


@pytest.fixture(autouse=True)
def clock() -> Iterator[time_machine.Traveller]:
    with time_machine.travel(T0, tick=False) as traveller:
        yield traveller


@pytest.fixture(autouse=True)
def audit_settings(settings: Any, tmp_path: Path) -> Any:
    settings.PALPA_AUDIT_KEY = KEY_A
    settings.PALPA_AUDIT_OLD_KEYS = []
    settings.PALPA_AUDIT_CHECKPOINT_FILE = str(tmp_path / "checkpoints.jsonl")
    return settings


def _chain_of(org: Organization, count: int, actor: User | None = None) -> list[AuditEvent]:
    return [
        record(actor=actor, action=Action.UPDATE, organization=org, object_id=f"obj-{i}")
        for i in range(count)
    ]


def _checkpoint(clock: time_machine.Traveller, minutes: int = 0) -> None:
    if minutes:
        clock.shift(dt.timedelta(minutes=minutes))
    call_command("audit", "checkpoint", stdout=io.StringIO())


def _verify_command(*args: str) -> tuple[bool, str]:
    out = io.StringIO()
    try:
        call_command("audit", "verify", *args, stdout=out)
    except CommandError:
        return False, out.getvalue()
    return True, out.getvalue()


def _file(settings: Any) -> checkpoints.CheckpointFile:
    return checkpoints.read(settings.PALPA_AUDIT_CHECKPOINT_FILE)


def test_every_entry_carries_a_mac_of_its_hash_made_with_the_audit_key(org: Organization) -> None:
    entry = record(actor=None, action=Action.UPDATE, organization=org)
    stored = AuditEvent.objects.get(pk=entry.pk)
    key = derive(KEY_A)
    assert stored.key_id == key.key_id == entry.key_id
    assert stored.mac == key.entry_mac(stored.hash) == entry.mac
    assert len(stored.key_id) == 12
    assert KEY_A not in json.dumps(
        list(AuditEvent.objects.values("mac", "key_id", "hash", "detail")), default=str
    )


def test_a_changed_entry_with_every_later_hash_recomputed_and_the_head_moved_is_detected(
    org: Organization,
) -> None:
    _chain_of(org, 6)
    assert verify_chain(org.pk).ok
    attacks.rewrite_entry(org.pk, 3)
    # The public chain holds: links, hashes and head were all recomputed.
    report = verify_chain(org.pk)
    assert [p.kind for p in report.problems] == ["mac"]
    assert report.broken_at_seq == 3
    assert report.reason == (
        "changed entry #3: its MAC does not match (changed or forged after it was "
        "written); entries #4\u2013#6 after it do not match theirs either"
    )
    ok, out = _verify_command()
    assert not ok
    assert "BROKEN: Bayside Medical Massage" in out
    assert "changed entry #3" in out


def test_entries_removed_from_the_middle_are_named_as_a_range(org: Organization) -> None:
    _chain_of(org, 5)
    attacks.drop_triggers()
    for entry in attacks.chain(org.pk)[1:3]:
        attacks.sql("DELETE FROM audit_auditevent WHERE id = %s", [entry.pk])
    report = verify_chain(org.pk)
    assert [(p.kind, p.seq, p.message) for p in report.problems] == [
        ("missing", 2, "missing entries #2\u2013#3")
    ]


def test_removed_newest_entries_with_the_head_set_back_are_caught_by_a_checkpoint(
    org: Organization, clock: time_machine.Traveller, settings: Any
) -> None:
    _chain_of(org, 5)
    _checkpoint(clock)
    ends_at = attacks.delete_newest(org.pk, 2)
    assert ends_at == 3
    # What the database holds is a valid, signed chain: only the checkpoint shows it.
    assert verify_chain(org.pk).ok
    report = verify_chain(org.pk, checkpoints=_file(settings))
    assert [p.kind for p in report.problems] == ["rewound"]
    assert report.reason == (
        "rewound head: the checkpoint of 2026-03-02T09:00:00+00:00 (line 1) said #5, "
        "the chain now ends at #3"
    )
    ok, out = _verify_command()
    assert not ok
    assert "rewound head" in out


def test_a_deleted_chain_and_head_are_caught_by_a_checkpoint(
    org: Organization, other_org: Organization, clock: time_machine.Traveller, settings: Any
) -> None:
    _chain_of(org, 3)
    _chain_of(other_org, 2)
    _checkpoint(clock)
    attacks.delete_chain(org.pk)
    reports = {r.organization_id: r for r in verify_all(_file(settings))}
    assert reports[other_org.pk].ok
    missing = reports[org.pk]
    assert [p.kind for p in missing.problems] == ["missing-chain"]
    assert "missing chain: the checkpoint of 2026-03-02T09:00:00+00:00" in missing.reason
    assert "recorded it at #3; no entries and no head now" in missing.reason
    ok, out = _verify_command()
    assert not ok
    assert "BROKEN: Bayside Medical Massage: 0 entries" in out
    assert "intact: Elsewhere Spa: 2 entries" in out


def test_a_forged_entry_is_detected_whatever_mac_it_carries(org: Organization) -> None:
    _chain_of(org, 3)
    key = derive(KEY_A)
    seq = attacks.insert_forged(org.pk, mac="ab" * 32, key_id=key.key_id)
    report = verify_chain(org.pk)
    assert [(p.kind, p.seq) for p in report.problems] == [("mac", seq)]
    assert "(changed or forged after it was written)" in report.reason

    without = attacks.insert_forged(org.pk, mac="", key_id="")
    report = verify_chain(org.pk)
    assert ("no-mac", without) in [(p.kind, p.seq) for p in report.problems]

    other = attacks.insert_forged(org.pk, mac="cd" * 32, key_id="0123456789ab")
    problems = {p.kind: p for p in verify_chain(org.pk).problems}
    assert problems["unknown-key"].seq == other
    assert "unknown key (key id 0123456789ab)" in problems["unknown-key"].message


def test_an_attacker_with_the_entry_key_is_still_caught_at_a_checkpoint(
    org: Organization, clock: time_machine.Traveller, settings: Any
) -> None:
    """Whoever controls the live server can read the entry key from the statement's
    parameters and re-sign a rewritten chain; checkpoints made before bound that."""
    _chain_of(org, 4)
    _checkpoint(clock)
    _chain_of(org, 2)
    attacks.rewrite_entry(org.pk, 2, entry_key=current_key().entry_key)
    assert verify_chain(org.pk).ok  # every MAC verifies: the entry key was used
    report = verify_chain(org.pk, checkpoints=_file(settings))
    assert [(p.kind, p.seq) for p in report.problems] == [("rewritten", 4)]
    assert "entry #4 is not the entry the checkpoint of" in report.reason
    # The entry key does not give the checkpoint key: a forged line is refused.
    forged = checkpoints.Checkpoint(
        kind=checkpoints.CHECKPOINT,
        organization_id=org.pk,
        name=org.name,
        seq=6,
        hash="0" * 64,
        at=T0,
        key_id=current_key().key_id,
    ).body()
    forged["mac"] = attacks.mac_with(current_key().entry_key, "anything")
    with Path(settings.PALPA_AUDIT_CHECKPOINT_FILE).open("a") as handle:
        handle.write(json.dumps(forged) + "\n")
    found = _file(settings)
    assert [(p.line, p.message) for p in found.problems] == [
        (2, "its signature does not match: altered or forged")
    ]


def test_altered_and_forged_checkpoint_lines_are_named_and_not_used(
    org: Organization, clock: time_machine.Traveller, settings: Any
) -> None:
    _chain_of(org, 3)
    _checkpoint(clock)
    path = Path(settings.PALPA_AUDIT_CHECKPOINT_FILE)
    line = json.loads(path.read_text())
    line["seq"] = 99  # claims the chain was longer
    with path.open("a") as handle:
        handle.write(json.dumps(line) + "\n")
        handle.write("not json at all\n")
        handle.write(
            checkpoints.Checkpoint(
                kind=checkpoints.CHECKPOINT,
                organization_id=org.pk,
                name="",
                seq=3,
                hash=line["hash"],
                at=T0,
                key_id=derive(KEY_B).key_id,
            ).signed_line(derive(KEY_B))
            + "\n"
        )
    found = _file(settings)
    assert [c.line for c in found.checkpoints] == [1]
    assert [(p.line, p.message.split(":")[0]) for p in found.problems] == [
        (2, "its signature does not match"),
        (3, "not a checkpoint line (not valid JSON)"),
        (4, f"signed with an unknown key (key id {derive(KEY_B).key_id})"),
    ]
    assert verify_chain(org.pk, checkpoints=found).ok  # the altered #99 is not believed
    ok, out = _verify_command()
    assert not ok
    assert f"checkpoint file {path}: line 2: its signature does not match" in out


def test_rotated_keys_old_entries_verify_with_the_old_key_and_are_reported_without_it(
    org: Organization, clock: time_machine.Traveller, settings: Any
) -> None:
    _chain_of(org, 3)
    _checkpoint(clock)
    settings.PALPA_AUDIT_KEY = KEY_B
    settings.PALPA_AUDIT_OLD_KEYS = [KEY_A]
    newer = _chain_of(org, 2)
    assert {e.key_id for e in newer} == {derive(KEY_B).key_id}
    _checkpoint(clock, minutes=15)
    ok, out = _verify_command()
    assert ok, out
    report = verify_chain(org.pk, checkpoints=_file(settings))
    assert report.ok
    assert report.checkpoints == 2

    settings.PALPA_AUDIT_OLD_KEYS = []  # the old key was not kept
    report = verify_chain(org.pk)
    assert [(p.kind, p.seq) for p in report.problems] == [("unknown-key", 1)]
    assert report.reason.startswith(
        f"entries #1\u2013#3 are signed with an unknown key (key id {derive(KEY_A).key_id})"
    )
    ok, out = _verify_command()
    assert not ok
    assert "line 1: signed with an unknown key" in out


def test_entries_written_before_macs_are_reported_as_such_not_as_tampering(
    org: Organization, clock: time_machine.Traveller, settings: Any
) -> None:
    _chain_of(org, 3)
    attacks.strip_macs(org.pk, [1, 2, 3])  # as the upgrade finds them
    _checkpoint(clock)  # the first checkpoint after the upgrade pins them
    _chain_of(org, 2)
    report = verify_chain(org.pk, checkpoints=_file(settings))
    assert report.ok
    assert report.unsigned == (1, 3)
    assert report.notes == []
    assert "no checkpoint covers" in verify_chain(org.pk).notes[0]
    ok, out = _verify_command()
    assert ok, out
    assert "note: entries #1\u2013#3 were written before audit MACs" in out

    attacks.strip_macs(org.pk, [5])  # a MAC removed after signed entries is tampering
    report = verify_chain(org.pk)
    assert [(p.kind, p.seq) for p in report.problems] == [("no-mac", 5)]
    # Stripping every MAC after the legacy entries does not pass them off as legacy:
    # they were written after the first checkpoint, when MACs were in use.
    attacks.strip_macs(org.pk, [4])
    assert verify_chain(org.pk).unsigned == (1, 5)
    report = verify_chain(org.pk, checkpoints=_file(settings))
    assert [(p.kind, p.seq) for p in report.problems] == [("no-mac", 4)]
    assert report.reason.startswith(
        "entries #4\u2013#5 have no MAC although written after the chain's first checkpoint (#3)"
    )


def test_checkpoint_writes_only_chains_that_moved_and_refuses_a_visibly_wrong_head(
    org: Organization, other_org: Organization, clock: time_machine.Traveller, settings: Any
) -> None:
    _chain_of(org, 2)
    _chain_of(other_org, 1)
    out = io.StringIO()
    call_command("audit", "checkpoint", stdout=out)
    assert "2 checkpoint(s) appended" in out.getvalue()
    _chain_of(org, 1)
    clock.shift(dt.timedelta(minutes=15))
    out = io.StringIO()
    call_command("audit", "checkpoint", stdout=out)
    assert "1 checkpoint(s) appended" in out.getvalue()
    assert "1 chain(s) unchanged" in out.getvalue()
    lines = [
        json.loads(x) for x in Path(settings.PALPA_AUDIT_CHECKPOINT_FILE).read_text().splitlines()
    ]
    assert [(x["organization"], x["seq"]) for x in lines] == [
        (org.pk, 2),
        (other_org.pk, 1),
        (org.pk, 3),
    ]
    assert lines[2]["at"] == "2026-03-02T09:15:00+00:00"
    assert lines[0]["name"] == "Bayside Medical Massage"

    attacks.rewrite_entry(org.pk, 3)  # a forged head entry: its MAC fails
    err = io.StringIO()
    with pytest.raises(CommandError, match="1 chain\\(s\\) not checkpointed"):
        call_command("audit", "checkpoint", stdout=io.StringIO(), stderr=err)
    assert "entry #3's MAC does not verify" in err.getvalue()


def test_checkpoint_to_standard_output_prints_every_chain_for_another_store(
    org: Organization, settings: Any
) -> None:
    _chain_of(org, 2)
    out = io.StringIO()
    call_command("audit", "checkpoint", "--to", "-", stdout=out)
    lines = out.getvalue().splitlines()
    assert len(lines) == 1
    parsed = checkpoints.parse_line(lines[0], 1, {current_key().key_id: current_key()})
    assert isinstance(parsed, checkpoints.Checkpoint)
    assert (parsed.organization_id, parsed.seq) == (org.pk, 2)
    assert not Path(settings.PALPA_AUDIT_CHECKPOINT_FILE).exists()


def test_bad_arguments_exit_2_naming_the_argument(tmp_path: Path, db: None) -> None:
    with pytest.raises(CommandError, match="--checkpoints: no such file") as raised:
        call_command("audit", "verify", "--checkpoints", str(tmp_path / "nope.jsonl"))
    assert raised.value.returncode == 2
    with pytest.raises(CommandError, match=r"--to: .* is a directory") as raised:
        call_command("audit", "checkpoint", "--to", str(tmp_path))
    assert raised.value.returncode == 2


def test_verify_without_a_checkpoint_file_warns_that_removals_go_unseen(
    org: Organization,
) -> None:
    _chain_of(org, 1)
    ok, out = _verify_command()
    assert ok
    assert "warning: no checkpoint file at" in out


def test_a_replayed_restore_line_does_not_excuse_a_rewound_chain(
    org: Organization, clock: time_machine.Traveller, settings: Any
) -> None:
    """A restore legitimately sets a chain back; copying its (validly signed) line again
    to the end of the file must not make a later rewind pass as that restore."""
    entries = _chain_of(org, 3)
    path = Path(settings.PALPA_AUDIT_CHECKPOINT_FILE)
    restore = checkpoints.restore_lines(
        [(org.pk, org.name, 3, entries[-1].hash)], backup_at=T0.isoformat()
    )
    checkpoints.append(path, restore)
    _chain_of(org, 2)
    _checkpoint(clock, minutes=20)
    attacks.delete_newest(org.pk, 2)  # back to #3, where the restore was
    with path.open("a") as handle:
        handle.write(restore[0] + "\n")  # the attacker can append to an append-only file
    found = _file(settings)
    assert [(p.line, p.message) for p in found.problems] == [
        (3, "repeats line 1 (replayed): not used")
    ]
    report = verify_chain(org.pk, checkpoints=found)
    assert [p.kind for p in report.problems] == ["rewound"]
    ok, out = _verify_command()
    assert not ok
    assert "line 3: repeats line 1 (replayed)" in out
    assert "rewound head" in out


def test_a_restore_line_older_than_a_line_before_it_is_not_used(
    org: Organization, clock: time_machine.Traveller, settings: Any
) -> None:
    entries = _chain_of(org, 2)
    early = checkpoints.restore_lines(
        [(org.pk, org.name, 2, entries[-1].hash)], backup_at=T0.isoformat()
    )
    _chain_of(org, 2)
    _checkpoint(clock, minutes=5)
    path = Path(settings.PALPA_AUDIT_CHECKPOINT_FILE)
    checkpoints.append(path, early)  # signed at T0, appended after the line of T0+5
    found = _file(settings)
    assert [(p.line, p.message) for p in found.problems] == [
        (2, "a restore line older than line 1 before it (replayed or moved): not used")
    ]


@pytest.mark.parametrize("damage", ["deleted", "emptied", "cut back"])
def test_a_removed_or_cut_back_checkpoint_file_is_named_once_entries_are_overdue(
    org: Organization, clock: time_machine.Traveller, settings: Any, damage: str
) -> None:
    """Checkpoints are due every PALPA_AUDIT_CHECKPOINT_MINUTES: entries older than twice
    that which no checkpoint covers mean the file lost lines (or checkpoints stopped)."""
    settings.PALPA_AUDIT_CHECKPOINT_MINUTES = 15
    _chain_of(org, 2)
    _checkpoint(clock)
    clock.shift(dt.timedelta(minutes=1))
    _chain_of(org, 2)
    _checkpoint(clock)
    path = Path(settings.PALPA_AUDIT_CHECKPOINT_FILE)
    if damage == "deleted":
        path.unlink()
    elif damage == "emptied":
        path.write_text("")
    else:
        path.write_text(path.read_text().splitlines()[0] + "\n")
    ok, out = _verify_command()
    assert ok, out  # within the interval: not yet due
    clock.shift(dt.timedelta(minutes=31))
    ok, out = _verify_command()
    assert not ok
    first = 1 if damage != "cut back" else 3
    assert f"entries #{first}{DASH}#4 are not covered by a checkpoint although #{first}" in out
    assert "more than 30 minutes ago" in out


def test_swapped_entries_and_a_changed_key_id_are_named(org: Organization) -> None:
    _chain_of(org, 4)
    attacks.drop_triggers()
    table = AuditEvent._meta.db_table
    attacks.sql(f"UPDATE {table} SET seq = 1000 WHERE organization_id = %s AND seq = 2", [org.pk])
    attacks.sql(f"UPDATE {table} SET seq = 2 WHERE organization_id = %s AND seq = 3", [org.pk])
    attacks.sql(f"UPDATE {table} SET seq = 3 WHERE organization_id = %s AND seq = 1000", [org.pk])
    attacks.sql(
        f"UPDATE {table} SET key_id = '000000000000' WHERE organization_id = %s AND seq = 4",
        [org.pk],
    )
    ok, out = _verify_command("--no-checkpoints")
    assert not ok
    assert f"changed entries #2{DASH}#3" in out
    assert "entry #2: its link to the entry before is broken" in out
    assert "signed with an unknown key (key id 000000000000)" in out


def test_verify_with_another_audit_key_names_every_entry_as_an_unknown_key(
    org: Organization, clock: time_machine.Traveller, settings: Any
) -> None:
    _chain_of(org, 2)
    _checkpoint(clock)
    settings.PALPA_AUDIT_KEY = KEY_B
    ok, out = _verify_command()
    assert not ok
    assert f"entries #1{DASH}#2 are signed with an unknown key" in out
    assert "line 1: signed with an unknown key" in out


def test_an_unreadable_checkpoint_file_exits_2_naming_the_setting(
    org: Organization, settings: Any, tmp_path: Path
) -> None:
    settings.PALPA_AUDIT_CHECKPOINT_FILE = str(tmp_path)  # a directory
    with pytest.raises(CommandError, match="PALPA_AUDIT_CHECKPOINT_FILE: cannot read") as raised:
        call_command("audit", "verify", stdout=io.StringIO())
    assert raised.value.returncode == 2
