"""Helpers for the online booking, reminder and feed tests."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.core.management import call_command

from palpa.accounts.models import User
from palpa.patients.models import Consent, Patient
from palpa.patients.services import record_consent
from palpa.scheduling import sms


def consent_to_texts(owner: User, patient: Patient, on: dt.date) -> None:
    record_consent(
        actor=owner, patient=patient, kind=Consent.Kind.SMS, version="1", given_on=on, granted=True
    )


def run_worker() -> None:
    """Run the database task worker over every task that is ready, then stop.

    The worker recycles old database connections between tasks; inside a test's
    transaction (and with the clock moved on) that would close the test's own
    connection, so recycling is left out here and only here."""
    from unittest import mock

    with mock.patch(
        "django_tasks_db.management.commands.db_worker.close_old_connections", return_value=None
    ):
        call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)


def sms_bodies() -> list[str]:
    return [m.body for m in sms.outbox]


def committed(capture: Callable[..., Any]) -> Any:
    """``django_capture_on_commit_callbacks(execute=True)``: run on-commit handlers."""
    return capture(execute=True)
