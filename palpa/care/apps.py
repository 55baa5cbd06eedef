from django.apps import AppConfig


class CareConfig(AppConfig):
    name = "palpa.care"
    label = "care"
    verbose_name = "Care: treatment notes"

    def ready(self) -> None:
        # Imported here: ready() runs once every app's models are loaded; at the top of
        # apps.py these modules (models, views) would load before the app registry is ready.
        from palpa.care.actions import note_for_appointment
        from palpa.care.views import dashboard_panel
        from palpa.core import dashboard
        from palpa.scheduling import actions

        dashboard.register(dashboard_panel)
        actions.register(note_for_appointment)
