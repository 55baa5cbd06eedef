from django.apps import AppConfig


class LymphoedemaConfig(AppConfig):
    name = "palpa.lymphoedema"
    label = "lymphoedema"
    verbose_name = "Lymphoedema"

    def ready(self) -> None:
        from palpa.core import dashboard
        from palpa.lymphoedema import chart_section
        from palpa.lymphoedema.garments.views import dashboard_panel
        from palpa.patients import chart

        chart.register(chart_section.SECTION)
        dashboard.register(dashboard_panel)  # garments due for replacement
