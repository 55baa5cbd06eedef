"""Background work of the patient message ledger (Django tasks on the database backend,
run by ``palpa db_worker``). Queued messages whose task row was lost are handed to the
worker again by ``palpa send_reminders`` (``patients.messages.sweep_messages``), run
from cron.

Each task is defined, with its decorator, beside the work it does; this module names them
all in one place, and keeps the paths of tasks queued before they moved importable."""

from __future__ import annotations

from palpa.patients.messages import deliver_message_task

__all__ = ["deliver_message_task"]
