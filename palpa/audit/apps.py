from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _schedule_checkpoints(**kwargs: Any) -> None:
    """``palpa migrate`` queues the worker's first audit checkpoint (ADR 0008)."""
    from django.db import DatabaseError

    # Imported here: audit.tasks uses django_tasks_db's models, which cannot be imported
    # while apps.py itself is loaded (before the app registry is ready).
    from palpa.audit.tasks import schedule_checkpoints

    try:
        schedule_checkpoints()
    except DatabaseError:  # the task queue's table is not migrated yet (a partial migrate)
        return


class AuditConfig(AppConfig):
    name = "palpa.audit"
    label = "audit"
    verbose_name = "Audit log"

    def ready(self) -> None:
        post_migrate.connect(_schedule_checkpoints, sender=self)
