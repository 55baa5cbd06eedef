"""Background work of the patient message ledger (Django tasks on the database backend,
run by ``palpa db_worker``). Queued messages whose task row was lost are handed to the
worker again by ``palpa send_reminders`` (``patients.messages.sweep_messages``), run
from cron."""

from __future__ import annotations

from django.tasks import task


@task()
def deliver_message_task(message_id: int) -> str:
    """Send one queued patient message; a failure queues the next try itself."""
    from palpa.patients.messages import deliver_message

    return deliver_message(message_id)
