"""Outcome analytics: the episode table, expected results at evaluation, responder
analysis and the de-identified research export (issue 15; see docs/outcome-analytics.md)."""

from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _schedule_sweep(**kwargs: Any) -> None:
    """``palpa migrate`` queues the worker's first drop-out sweep."""
    from django.db import DatabaseError

    # Imported here: the task module uses django_tasks_db's models, which cannot be
    # imported while apps.py itself is loaded.
    from palpa.analytics.tasks import schedule_sweep

    try:
        schedule_sweep()
    except DatabaseError:  # the task queue's table is not migrated yet (a partial migrate)
        return


class AnalyticsConfig(AppConfig):
    name = "palpa.analytics"
    label = "analytics"
    verbose_name = "Outcome analytics"

    def ready(self) -> None:
        # Imported here: ready() runs once every app's models are loaded.
        from palpa.analytics import services
        from palpa.care.events import (
            EvaluationEnteredInError,
            EvaluationSigned,
            PlanDischarged,
            PlanEnteredInError,
            PlanSigned,
            TreatmentNoteEnteredInError,
            TreatmentNoteSigned,
        )
        from palpa.core.events import subscribe
        from palpa.outcomes.events import AdministrationEnteredInError, InstrumentAdministered
        from palpa.scheduling.events import AppointmentBooked

        # The episode of care each event touches is brought up to date after the commit.
        subscribe(EvaluationSigned, services.on_evaluation_changed)
        subscribe(EvaluationEnteredInError, services.on_evaluation_changed)
        subscribe(PlanSigned, services.on_plan_changed)
        subscribe(PlanEnteredInError, services.on_plan_changed)
        subscribe(PlanDischarged, services.on_plan_changed)
        subscribe(TreatmentNoteSigned, services.on_note_changed)
        subscribe(TreatmentNoteEnteredInError, services.on_note_changed)
        subscribe(InstrumentAdministered, services.on_administration_changed)
        subscribe(AdministrationEnteredInError, services.on_administration_changed)
        subscribe(AppointmentBooked, services.on_appointment_booked)
        post_migrate.connect(_schedule_sweep, sender=self)
        # The expected result when setting a goal: snapshot kind "expected" and the
        # estimator the plan of care shows (care.expectations).
        from palpa.analytics import expected

        expected.register()

        # The Outcomes pages' snapshot (issue 15 parts 3, 4 and 7) and the dashboard's link.
        from palpa.analytics import responders, snapshots
        from palpa.analytics.views import dashboard_panel
        from palpa.core import dashboard

        snapshots.register(responders.KIND, responders.VERSION, responders.build)
        dashboard.register(dashboard_panel)
