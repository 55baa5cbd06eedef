"""Background work of the patient message ledger (Django tasks on the database backend,
run by ``palpa db_worker``)."""

from __future__ import annotations

from django.tasks import task


@task()
def deliver_message_task(message_id: int) -> str:
    """Send one queued patient message; a failure queues the next try itself."""
    from palpa.patients.messages import deliver_message

    return deliver_message(message_id)


@task()
def sweep_messages_task() -> dict[str, int]:
    """Hand queued messages whose time has come to the worker again (safety net)."""
    from dataclasses import asdict

    from palpa.patients.messages import sweep_messages

    return asdict(sweep_messages())
