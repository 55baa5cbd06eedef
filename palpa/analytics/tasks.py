"""Background work of the analytics app (Django tasks, run by ``palpa db_worker``): the
nightly drop-out sweep of the episode table.

Like the audit checkpoints, the task queues its own next run (``PALPA_EPISODE_SWEEP_HOURS``
later, 24 by default) when it
finishes, whether or not this run succeeded, and ``palpa migrate`` queues the first one;
a run is queued only when none is waiting. Cron running ``palpa episodes sweep`` is the
alternative where no worker runs. Each episode is judged at its own location's date.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.tasks import default_task_backend, task
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from palpa.accounts.models import Organization
from palpa.analytics import snapshots
from palpa.analytics.models import Episode
from palpa.analytics.services import sweep_dropouts


@task()
def sweep_dropouts_task() -> dict[str, int]:
    """Mark the open episodes that dropped out, then ask for fresh snapshots of every
    organization with episodes (the nightly recompute: drop-outs change the figures);
    then queue the next run."""
    try:
        dropped = sweep_dropouts()
        organizations = list(
            Episode.objects.order_by().values_list("organization_id", flat=True).distinct()
        )
        for organization_id in sorted(organizations):
            queue_recompute(organization_id)
        return {"dropped_out": dropped, "recomputes_queued": len(organizations)}
    finally:
        schedule_sweep()


def schedule_sweep(*, now: dt.datetime | None = None) -> bool:
    """Queue the next sweep unless one is waiting, sweeps are off
    (``PALPA_EPISODE_SWEEP_HOURS`` 0) or the backend cannot defer."""
    hours = settings.PALPA_EPISODE_SWEEP_HOURS
    if not hours or not default_task_backend.supports_defer:
        return False
    waiting = DBTaskResult.objects.filter(
        task_path=sweep_dropouts_task.module_path, status="READY"
    ).exists()
    if waiting:
        return False
    moment = now or timezone.now()
    sweep_dropouts_task.using(run_after=moment + dt.timedelta(hours=hours)).enqueue()
    return True


@task()
def recompute_snapshots_task(organization_id: int, kind: str | None = None) -> dict[str, float]:
    """Recompute an organization's analysis snapshots (every kind, or one): what the
    pages read. Queued nightly and on demand (``queue_recompute``)."""
    organization = Organization.objects.get(pk=organization_id)
    return {s.kind: s.seconds for s in snapshots.recompute(organization, only=kind)}


def queue_recompute(organization_id: int, kind: str | None = None) -> None:
    """Ask the worker for fresh snapshots (an owner's "Recompute now", a nightly run)."""
    recompute_snapshots_task.enqueue(organization_id, kind)
