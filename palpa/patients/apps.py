from django.apps import AppConfig


class PatientsConfig(AppConfig):
    name = "palpa.patients"
    label = "patients"
    verbose_name = "Patients"

    def ready(self) -> None:
        # Imported here: ready() runs once every app's models are loaded; at the top of
        # apps.py these modules (models, views) would load before the app registry is ready.
        from palpa.core import dashboard
        from palpa.patients import chart, message_chart
        from palpa.patients.views import dashboard_panel

        dashboard.register(dashboard_panel)
        chart.register(message_chart.SECTION)
