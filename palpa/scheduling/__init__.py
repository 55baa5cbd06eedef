"""Appointment types, availability, rooms, appointments, online booking and reminders."""
