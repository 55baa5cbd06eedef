from django.apps import AppConfig


class LymphoedemaConfig(AppConfig):
    name = "palpa.lymphoedema"
    label = "lymphoedema"
    verbose_name = "Lymphoedema"

    def ready(self) -> None:
        from palpa.care.notes import sections as note_sections
        from palpa.lymphoedema import chart_section, mld_section
        from palpa.patients import chart

        chart.register(chart_section.SECTION)
        note_sections.register(mld_section.SECTION)
