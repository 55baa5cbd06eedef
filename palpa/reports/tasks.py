"""Background work of the reports app (Django tasks, run by ``palpa db_worker``).

Each task is defined, with its decorator, beside the work it does (``deliver_email`` in
``services.py``); this module names them in one place and keeps the path of tasks queued
before they moved runnable."""

from __future__ import annotations

from django.tasks import task

from palpa.reports.services import deliver_email

__all__ = ["deliver_email", "deliver_report_email"]


@task()
def deliver_report_email(delivery_id: int, base_url: str) -> bool:
    """A delivery queued under this task's former path (arguments by position)."""
    return deliver_email.call(delivery_id=delivery_id, base_url=base_url)
