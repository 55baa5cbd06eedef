"""Background work of scheduling (Django tasks on the database backend, run by
``palpa db_worker``): reminders, patient notices, the reminder sweep."""

from __future__ import annotations

from django.tasks import task


@task()
def send_reminder_task(reminder_id: int) -> str:
    """Send one reminder when it is due (queued with ``run_after``); safe to run twice."""
    from palpa.scheduling.reminders import send_reminder

    return send_reminder(reminder_id)


@task()
def send_notice_task(appointment_id: int, kind: str) -> list[str]:
    """Tell the patient their appointment was booked, moved or cancelled."""
    from palpa.scheduling.patient_messages import send_notice

    return send_notice(appointment_id, kind)


@task()
def sweep_reminders_task() -> dict[str, int]:
    """Plan missing reminders and send any that are due (the safety net)."""
    from dataclasses import asdict

    from palpa.scheduling.reminders import sweep

    return asdict(sweep())
