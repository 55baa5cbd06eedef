"""Appointment types, availability, rooms, appointments, online booking and reminders."""

from django.apps import AppConfig


class SchedulingConfig(AppConfig):
    name = "palpa.scheduling"
    label = "scheduling"
    verbose_name = "Scheduling"

    def ready(self) -> None:
        from palpa.core import dashboard
        from palpa.patients import chart as patient_chart
        from palpa.scheduling import chart, flags, reminders, services
        from palpa.scheduling.views import dashboard_panel

        flags.register(services.screening_flags)
        dashboard.register(dashboard_panel)
        patient_chart.register(chart.SECTION)
        reminders.connect()  # reminders and patient notices follow bookings
        from palpa.patients import messages as ledger
        from palpa.patients.models import MessageKind
        from palpa.scheduling.patient_messages import resend_notice

        ledger.register_resender(MessageKind.BOOKING_CONFIRMED, resend_notice)
        ledger.register_resender(MessageKind.BOOKING_MOVED, resend_notice)
