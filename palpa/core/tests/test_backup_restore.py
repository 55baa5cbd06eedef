"""``palpa backup`` and ``palpa restore`` on the real database (SQLite's online backup API,
PostgreSQL's pg_dump/pg_restore): a round trip gives back every row, the uploaded files
and an audit log that verifies; a database that holds data is not overwritten without
``--force``; bad arguments exit 2 naming the argument."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from palpa.accounts.models import User
from palpa.audit.models import AuditChainHead, AuditEvent
from palpa.audit.services import Action, record
from palpa.core.backup import in_use
from palpa.patients.models import Patient

T0 = dt.datetime(2026, 2, 28, 22, 30, tzinfo=dt.UTC)
PDF = b"%PDF-1.4\n% a scanned prescription\n"


@pytest.fixture(autouse=True)
def clock() -> Iterator[time_machine.Traveller]:
    with time_machine.travel(T0, tick=False) as traveller:
        yield traveller


@pytest.fixture(autouse=True)
def places(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.PALPA_AUDIT_CHECKPOINT_FILE = str(tmp_path / "checkpoints.jsonl")
    return tmp_path


def _run(command: str, *args: str) -> str:
    out = io.StringIO()
    call_command(command, *args, stdout=out)
    return out.getvalue()


def _wipe(places: Path) -> None:
    """An empty database (schema in place) and no media: a new server."""
    call_command("flush", interactive=False, verbosity=0)
    shutil.rmtree(places / "media", ignore_errors=True)
    assert in_use() == []


@pytest.mark.django_db(transaction=True)
def test_a_backup_restores_every_row_every_file_and_an_intact_audit_log(
    owner: User, patient: Patient, places: Path, clock: time_machine.Traveller
) -> None:
    stored = default_storage.save("referrals/prescriptions/2026/02/rx.pdf", ContentFile(PDF))
    record(actor=owner, action=Action.READ, obj=patient, patient_id=str(patient.public_id))
    _run("audit", "checkpoint")
    entries = AuditEvent.objects.count()

    out = _run("backup", str(places / "backup"))
    assert f"backed up to {places / 'backup'}" in out
    manifest = json.loads((places / "backup" / "manifest.json").read_text())
    assert manifest["database"]["vendor"] == connection.vendor
    assert manifest["tables"]["patients_patient"] == 1
    assert manifest["tables"]["audit_auditevent"] == entries
    assert manifest["created_at"] == T0.isoformat()
    heads = {h["organization"]: h for h in manifest["audit_heads"]}
    head = AuditChainHead.objects.get(organization=owner.organization)
    assert (heads[owner.organization_id]["seq"], heads[owner.organization_id]["hash"]) == (
        head.last_seq,
        head.last_hash,
    )
    assert "0004_audit_entry_mac_and_delete_trigger" in manifest["migrations"]["audit"]
    assert [m["path"] for m in manifest["media"]] == [stored]
    assert manifest["palpa_version"]

    # Work after the backup, checkpointed: the restore loses it, on purpose.
    record(actor=owner, action=Action.UPDATE, obj=patient)
    clock.shift(dt.timedelta(minutes=15))
    _run("audit", "checkpoint")

    _wipe(places)
    clock.shift(dt.timedelta(hours=1))
    out = _run("restore", str(places / "backup"))
    assert "counts match the manifest; audit log intact" in out

    assert Patient.objects.get().public_id == patient.public_id
    assert AuditEvent.objects.count() == entries
    assert default_storage.open(stored).read() == PDF
    verified = _run("audit", "verify")
    assert "audit log intact" in verified
    assert "were not in the backup" in verified  # the lost entry is named, not hidden
    # The restored installation goes on: new entries chain on and verify.
    record(actor=owner, action=Action.READ, obj=patient)
    assert "audit log intact" in _run("audit", "verify")


@pytest.mark.django_db(transaction=True)
def test_restore_refuses_a_database_that_holds_data_without_force(
    owner: User, patient: Patient, places: Path
) -> None:
    _run("backup", str(places / "backup"))
    Patient.objects.filter(pk=patient.pk).update(family_name="Changed Later")
    with pytest.raises(CommandError, match=r"--force: .*holds data: .*give --force") as refused:
        _run("restore", str(places / "backup"))
    assert refused.value.returncode == 2
    assert Patient.objects.get().family_name == "Changed Later"  # untouched

    out = _run("restore", str(places / "backup"), "--force")
    assert "replaced: " in out
    assert Patient.objects.get().family_name == patient.family_name
    assert "audit log intact" in _run("audit", "verify")


@pytest.mark.django_db(transaction=True)
def test_a_damaged_backup_is_refused_before_anything_is_touched(owner: User, places: Path) -> None:
    _run("backup", str(places / "backup"))
    manifest = json.loads((places / "backup" / "manifest.json").read_text())
    database = places / "backup" / manifest["database"]["file"]
    database.write_bytes(database.read_bytes()[:-10])
    _wipe(places)
    with pytest.raises(CommandError, match=r"DIR: .* is missing or damaged") as refused:
        _run("restore", str(places / "backup"))
    assert refused.value.returncode == 2


def test_bad_arguments_exit_2_naming_the_argument(places: Path, db: None) -> None:
    (places / "full").mkdir()
    (places / "full" / "something").write_text("x")
    with pytest.raises(CommandError, match=r"DIR: .* is not an empty directory") as raised:
        _run("backup", str(places / "full"))
    assert raised.value.returncode == 2
    with pytest.raises(CommandError, match=r"DIR: .* has no manifest.json") as raised:
        _run("restore", str(places / "full"))
    assert raised.value.returncode == 2
    with pytest.raises(CommandError, match=r"DIR: .* is not a directory") as raised:
        _run("restore", str(places / "nowhere"))
    assert raised.value.returncode == 2
    (places / "full" / "manifest.json").write_text("{not json")
    with pytest.raises(CommandError, match=r"DIR: .* is not valid JSON") as raised:
        _run("restore", str(places / "full"))
    assert raised.value.returncode == 2


def _damage(manifest: dict[str, Any], what: str) -> None:
    if what == "database is a list":
        manifest["database"] = []
    elif what == "media is text":
        manifest["media"] = "x"
    elif what == "a media entry without a path":
        manifest["media"] = [{"sha256": "0" * 64}]
    elif what == "a media path outside the backup":
        manifest["media"][0]["path"] = "../../../etc/passwd"
    elif what == "migrations is a list":
        manifest["migrations"] = []
    elif what == "a table count is text":
        manifest["tables"]["patients_patient"] = "many"
    elif what == "a head without a seq":
        manifest["audit_heads"] = [{"organization": 1, "hash": "x"}]
    elif what == "a newer schema":
        manifest["migrations"]["audit"].append("9999_from_the_future")


DAMAGES = {
    "database is a list": "'database' is not an object",
    "media is text": "'media' is not a list of files",
    "a media entry without a path": "'media' is not a list of files",
    "a media path outside the backup": "'media' is not a list of files",
    "migrations is a list": "'migrations' is not a map",
    "a table count is text": "'tables' is not a map of table names to row counts",
    "a head without a seq": "'audit_heads' is not a list of chain heads",
    "a newer schema": "made by a newer Palpa .*audit.9999_from_the_future",
    "a missing media file": "media file .* is missing or damaged",
    "a media file added afterwards": "media file extra.pdf is not in the manifest",
}
if connection.vendor == "sqlite":
    DAMAGES["not a database, its checksum matching"] = "is not an SQLite database"


@pytest.mark.django_db(transaction=True)
def test_a_damaged_manifest_or_media_is_refused_with_exit_2_and_nothing_touched(
    owner: User, places: Path
) -> None:
    default_storage.save("referrals/prescription.pdf", ContentFile(PDF))
    _run("backup", str(places / "backup"))
    _wipe(places)
    default_storage.save("kept.pdf", ContentFile(PDF))  # what is there must stay
    for what, message in DAMAGES.items():
        damaged = places / "damaged"
        shutil.rmtree(damaged, ignore_errors=True)
        shutil.copytree(places / "backup", damaged)
        manifest = json.loads((damaged / "manifest.json").read_text())
        _damage(manifest, what)
        (damaged / "manifest.json").write_text(json.dumps(manifest))
        if what == "a missing media file":
            (damaged / "media" / "referrals" / "prescription.pdf").unlink()
        if what == "a media file added afterwards":
            (damaged / "media" / "extra.pdf").write_bytes(PDF)
        if what == "not a database, its checksum matching":
            database = damaged / manifest["database"]["file"]
            database.write_bytes(b"not a database " * 1000)
            manifest["database"]["sha256"] = hashlib.sha256(database.read_bytes()).hexdigest()
            (damaged / "manifest.json").write_text(json.dumps(manifest))
        with pytest.raises(CommandError, match=f"DIR: .*{message}") as refused:
            _run("restore", str(damaged), "--force")
        assert refused.value.returncode == 2, what
        assert not User.objects.exists(), what
        assert sorted(p.name for p in (places / "media").rglob("*.pdf")) == ["kept.pdf"], what
