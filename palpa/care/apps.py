from django.apps import AppConfig


class CareConfig(AppConfig):
    name = "palpa.care"
    label = "care"
    verbose_name = "Care: treatment notes"

    def ready(self) -> None:
        from palpa.care.actions import note_for_appointment
        from palpa.care.views import dashboard_panel
        from palpa.core import dashboard
        from palpa.scheduling import actions

        dashboard.register(dashboard_panel)
        actions.register(note_for_appointment)
