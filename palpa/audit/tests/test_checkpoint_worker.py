"""The worker writes audit checkpoints on its own: ``palpa migrate`` queues the first run,
each run queues the next, and one cycle stays one (ADR 0008)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.core.management import call_command
from django_tasks_db.models import DBTaskResult

from palpa.accounts.models import Organization
from palpa.audit.models import AuditEvent
from palpa.audit.services import record
from palpa.audit.tasks import schedule_checkpoints, write_checkpoint_task

T0 = dt.datetime(2026, 6, 30, 23, 50, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def clock() -> Iterator[time_machine.Traveller]:
    with time_machine.travel(T0, tick=False) as traveller:
        yield traveller


@pytest.fixture
def every_15_minutes(settings: Any, tmp_path: Path) -> Path:
    settings.PALPA_AUDIT_CHECKPOINT_MINUTES = 15
    settings.PALPA_AUDIT_CHECKPOINT_FILE = str(tmp_path / "checkpoints.jsonl")
    return tmp_path / "checkpoints.jsonl"


@pytest.fixture(autouse=True)
def _worker_keeps_the_test_connection(monkeypatch: pytest.MonkeyPatch) -> None:
    """As in the other worker tests: the worker's connection recycling would close the
    test's own connection inside its transaction; everything else is the real worker."""
    monkeypatch.setattr(
        "django_tasks_db.management.commands.db_worker.close_old_connections", lambda: None
    )


def _waiting() -> list[DBTaskResult[Any, Any]]:
    return list(
        DBTaskResult.objects.filter(task_path=write_checkpoint_task.module_path, status="READY")
    )


def _work() -> None:
    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)


def test_migrate_queues_the_first_run_and_each_run_queues_the_next(
    every_15_minutes: Path, clock: time_machine.Traveller, db: None
) -> None:
    org = Organization.objects.create(name="Clinic", slug="clinic")
    record(actor=None, action=AuditEvent.Action.UPDATE, organization=org)
    call_command("migrate", verbosity=0)
    waiting = _waiting()
    assert [w.run_after for w in waiting] == [T0 + dt.timedelta(minutes=15)]
    call_command("migrate", verbosity=0)  # again: still one run waiting
    assert len(_waiting()) == 1

    _work()  # not due yet
    assert not every_15_minutes.exists()
    clock.shift(dt.timedelta(minutes=15))
    _work()
    lines = [json.loads(x) for x in every_15_minutes.read_text().splitlines()]
    assert [(x["organization"], x["seq"], x["at"]) for x in lines] == [
        (org.pk, 1, "2026-07-01T00:05:00+00:00")
    ]
    assert [w.run_after for w in _waiting()] == [T0 + dt.timedelta(minutes=30)]

    record(actor=None, action=AuditEvent.Action.UPDATE, organization=org)
    clock.shift(dt.timedelta(minutes=15))
    _work()
    lines = every_15_minutes.read_text().splitlines()
    assert [json.loads(x)["seq"] for x in lines] == [1, 2]
    assert len(_waiting()) == 1


def test_no_runs_are_queued_when_checkpoints_are_off(settings: Any, db: None) -> None:
    settings.PALPA_AUDIT_CHECKPOINT_MINUTES = 0
    assert schedule_checkpoints() is False
    call_command("migrate", verbosity=0)
    assert _waiting() == []
