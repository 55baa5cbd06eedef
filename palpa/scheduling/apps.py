"""Appointment types, availability, rooms, appointments, online booking and reminders."""

from django.apps import AppConfig


class SchedulingConfig(AppConfig):
    name = "palpa.scheduling"
    label = "scheduling"
    verbose_name = "Scheduling"

    def ready(self) -> None:
        # Imported here: ready() runs once every app's models are loaded; at the top of
        # apps.py these modules (models, views) would load before the app registry is ready.
        from palpa.accounts import checklist
        from palpa.accounts.permissions import Capability
        from palpa.core import dashboard
        from palpa.patients import chart as patient_chart
        from palpa.patients import message_chart
        from palpa.scheduling import chart, flags, reminders
        from palpa.scheduling.models import AppointmentType, ReminderPolicy, WorkingHours
        from palpa.scheduling.views import dashboard_panel

        flags.register(flags.screening_flags)
        dashboard.register(dashboard_panel)
        patient_chart.register(chart.SECTION)
        message_chart.register_source("appointment reminders", chart.reminder_rows)
        reminders.connect()  # reminders and patient notices follow bookings
        checklist.register(
            "types",
            checklist.Item(
                30,
                "Set your appointment types",
                "scheduling:types",
                lambda org: AppointmentType.objects.filter(organization=org, active=True).exists(),
                Capability.SCHEDULE_CONFIGURE,
            ),
        )
        checklist.register(
            "hours",
            checklist.Item(
                40,
                "Set each practitioner's working hours",
                "scheduling:hours",
                lambda org: WorkingHours.objects.filter(organization=org).exists(),
                Capability.PRACTITIONERS_MANAGE,
            ),
        )
        checklist.register(
            "reminders",
            checklist.Item(
                70,
                "Word the appointment reminders",
                "online:reminders",
                lambda org: ReminderPolicy.objects.filter(organization=org).exists(),
                Capability.SCHEDULE_CONFIGURE,
            ),
        )
        from palpa.patients import messages as ledger
        from palpa.patients.models import MessageKind
        from palpa.scheduling.patient_messages import resend_notice

        ledger.register_resender(MessageKind.BOOKING_CONFIRMED, resend_notice)
        ledger.register_resender(MessageKind.BOOKING_MOVED, resend_notice)
