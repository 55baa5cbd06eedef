from django.apps import AppConfig


class LymphoedemaConfig(AppConfig):
    name = "palpa.lymphoedema"
    label = "lymphoedema"
    verbose_name = "Lymphoedema"

    def ready(self) -> None:
        # Imported here: ready() runs once every app's models are loaded.
        from palpa.care.notes import sections as note_sections
        from palpa.core import dashboard
        from palpa.lymphoedema import chart_section, mld_section
        from palpa.lymphoedema.garments.views import dashboard_panel
        from palpa.patients import chart

        chart.register(chart_section.SECTION)
        dashboard.register(dashboard_panel)  # garments due for replacement
        note_sections.register(mld_section.SECTION)
