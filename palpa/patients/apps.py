from django.apps import AppConfig


class PatientsConfig(AppConfig):
    name = "palpa.patients"
    label = "patients"
    verbose_name = "Patients"

    def ready(self) -> None:
        from palpa.core import dashboard
        from palpa.patients.views import dashboard_panel

        dashboard.register(dashboard_panel)
