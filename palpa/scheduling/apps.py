"""Appointment types, availability, rooms, appointments, online booking and reminders."""

from django.apps import AppConfig


class SchedulingConfig(AppConfig):
    name = "palpa.scheduling"
    label = "scheduling"
    verbose_name = "Scheduling"

    def ready(self) -> None:
        from palpa.scheduling import flags, reminders, services

        flags.register(services.screening_flags)
        reminders.connect()  # reminders and patient notices follow bookings
