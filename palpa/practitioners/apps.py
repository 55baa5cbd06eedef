from django.apps import AppConfig


class PractitionersConfig(AppConfig):
    name = "palpa.practitioners"
    label = "practitioners"
    verbose_name = "Practitioners and licenses"

    def ready(self) -> None:
        from palpa.core import dashboard
        from palpa.practitioners.views import dashboard_panel

        dashboard.register(dashboard_panel)
