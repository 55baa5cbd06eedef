from django.apps import AppConfig


class AnalyticsConfig(AppConfig):
    name = "palpa.analytics"
    label = "analytics"
    verbose_name = "Outcome analytics"
