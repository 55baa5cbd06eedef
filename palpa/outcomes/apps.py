from django.apps import AppConfig


class OutcomesConfig(AppConfig):
    name = "palpa.outcomes"
    label = "outcomes"
    verbose_name = "Outcome instruments"
