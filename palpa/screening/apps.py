from django.apps import AppConfig


class ScreeningConfig(AppConfig):
    name = "palpa.screening"
    label = "screening"
    verbose_name = "Safety screening"

    def ready(self) -> None:
        from palpa.core import dashboard
        from palpa.screening.views import dashboard_panel

        dashboard.register(dashboard_panel)
