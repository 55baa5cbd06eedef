from django.apps import AppConfig


class ScreeningConfig(AppConfig):
    name = "palpa.screening"
    label = "screening"
    verbose_name = "Safety screening"
