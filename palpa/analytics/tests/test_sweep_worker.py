"""The worker sweeps for drop-outs daily on its own: ``palpa migrate`` queues the first run,
each run queues the next, and one cycle stays one."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine
from django.core.management import call_command
from django_tasks_db.models import DBTaskResult

from palpa.analytics import rows
from palpa.analytics.models import Episode
from palpa.analytics.tasks import recompute_snapshots_task, sweep_dropouts_task
from palpa.analytics.tests.conftest import VISITS, Course
from palpa.core.tests.support import NOW


@pytest.fixture(autouse=True)
def _worker_keeps_the_test_connection(monkeypatch: pytest.MonkeyPatch) -> None:
    """As in the other worker tests: the worker's connection recycling would close the
    test's own connection inside its transaction; everything else is the real worker."""
    monkeypatch.setattr(
        "django_tasks_db.management.commands.db_worker.close_old_connections", lambda: None
    )


def _waiting() -> list[DBTaskResult[Any, Any]]:
    return list(
        DBTaskResult.objects.filter(task_path=sweep_dropouts_task.module_path, status="READY")
    )


def _work() -> None:
    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)


def test_migrate_queues_the_first_sweep_and_each_sweep_queues_the_next(
    course: Course, settings: Any
) -> None:
    settings.PALPA_EPISODE_SWEEP_HOURS = 24  # off in tests unless asked for
    assert not _waiting()  # the test database's own migrate queued none
    call_command("migrate", verbosity=0)
    call_command("migrate", verbosity=0)  # again: still one run waiting
    assert [w.run_after for w in _waiting()] == [NOW + dt.timedelta(days=1)]

    later = dt.datetime.combine(VISITS[-1] + dt.timedelta(days=31), dt.time(20), tzinfo=dt.UTC)
    with time_machine.travel(later, tick=False):
        _work()
        assert Episode.objects.get().ending == rows.DROPPED_OUT
        assert [w.run_after for w in _waiting()] == [later + dt.timedelta(days=1)]
        # the nightly recompute of the organization's snapshots was asked for with it
        recomputes = DBTaskResult.objects.filter(task_path=recompute_snapshots_task.module_path)
        assert [r.args_kwargs["args"][0] for r in recomputes] == [course.patient.organization_id]


def test_sweeps_off_queue_nothing(course: Course, settings: Any) -> None:
    settings.PALPA_EPISODE_SWEEP_HOURS = 0
    call_command("migrate", verbosity=0)
    assert not _waiting()
