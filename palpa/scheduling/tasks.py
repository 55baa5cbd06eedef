"""Background work of scheduling (Django tasks on the database backend, run by
``palpa db_worker``): reminders and patient notices. The reminder sweep (the safety
net) is no task: ``palpa send_reminders`` runs it from cron.

A task that does one piece of work is defined, with its decorator, beside that work
(``reminders.send_reminder``, ``patient_messages.send_notice``); this module names every
task in one place and keeps the paths of tasks queued before they moved importable."""

from __future__ import annotations

from palpa.scheduling.patient_messages import send_notice
from palpa.scheduling.reminders import send_reminder

__all__ = ["send_notice", "send_notice_task", "send_reminder", "send_reminder_task"]

# The former paths of the two tasks (rows queued under them still run).
send_reminder_task = send_reminder
send_notice_task = send_notice
