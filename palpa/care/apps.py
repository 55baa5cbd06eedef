from django.apps import AppConfig


class CareConfig(AppConfig):
    name = "palpa.care"
    label = "care"
    verbose_name = "Care: treatment notes"
