from django.apps import AppConfig


class CareConfig(AppConfig):
    name = "palpa.care"
    label = "care"
    verbose_name = "Care: treatment notes"

    def ready(self) -> None:
        from palpa.care.views import dashboard_panel
        from palpa.core import dashboard

        dashboard.register(dashboard_panel)
