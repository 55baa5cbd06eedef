"""Background work of the audit app (Django tasks, run by ``palpa db_worker``): signed
checkpoints of every chain, written every ``PALPA_AUDIT_CHECKPOINT_MINUTES`` (ADR 0008).

The task queues its own next run when it finishes (whether or not this run succeeded),
and ``palpa migrate`` queues the first one. Each queues a run only when none is waiting,
so restarts, repeated migrations and several workers keep one cycle. Cron running
``palpa audit checkpoint`` is the alternative where no worker runs.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.tasks import default_task_backend, task
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from palpa.audit import checkpoints

log = logging.getLogger(__name__)


@task()
def write_checkpoint_task() -> dict[str, int]:
    """Append a checkpoint of every chain whose head moved; then queue the next run."""
    try:
        taken = checkpoints.write(settings.PALPA_AUDIT_CHECKPOINT_FILE)
        for refused in taken.refused:
            log.error("audit checkpoint refused: %s", refused)
        return {
            "written": len(taken.checkpoints),
            "unchanged": taken.unchanged,
            "refused": len(taken.refused),
        }
    finally:
        schedule_checkpoints()


def _waiting() -> bool:
    return DBTaskResult.objects.filter(
        task_path=write_checkpoint_task.module_path, status="READY"
    ).exists()


def schedule_checkpoints(*, now: dt.datetime | None = None) -> bool:
    """Queue the next checkpoint run unless one is waiting or checkpoints are off (0
    minutes, or a task backend that cannot defer). True when a run was queued."""
    minutes = settings.PALPA_AUDIT_CHECKPOINT_MINUTES
    if not minutes or not default_task_backend.supports_defer:
        return False
    if _waiting():
        return False
    moment = now or timezone.now()
    write_checkpoint_task.using(run_after=moment + dt.timedelta(minutes=minutes)).enqueue()
    return True
