"""``palpa send_reminders``: plan missing appointment reminders and send those due, and
hand waiting patient messages to the worker again (``patients.messages.sweep_messages``).

The worker (``palpa db_worker``) sends each reminder at its time; run this from cron
every few minutes as a safety net, or once after the worker was down."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from palpa.patients.messages import sweep_messages
from palpa.scheduling.reminders import sweep


class Command(BaseCommand):
    help = "Plan missing appointment reminders and send those that are due (safe to repeat)."

    def handle(self, *args: Any, **options: Any) -> None:
        result = sweep()
        messages = sweep_messages()
        self.stdout.write(
            f"planned {result.planned}, sent {result.sent}, skipped {result.skipped}, "
            f"failed {result.failed}, interrupted {result.interrupted}; "
            f"patient messages handed to the worker again {messages.requeued}, "
            f"interrupted {messages.interrupted}"
        )
