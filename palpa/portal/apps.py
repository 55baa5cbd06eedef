"""The patient portal: the patient's own sign-in (a one-time code by email or text) and
their own pages: appointments, forms to fill, progress, home care, documents, consents."""

from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "palpa.portal"
    label = "portal"
    verbose_name = "Patient portal"

    def ready(self) -> None:
        from palpa.care.notes import adherence
        from palpa.patients import chart
        from palpa.portal import chart_section, queries

        chart.register(chart_section.SECTION)
        adherence.register_source("portal", queries.home_care_days)
