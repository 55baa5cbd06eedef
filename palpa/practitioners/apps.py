from django.apps import AppConfig


class PractitionersConfig(AppConfig):
    name = "palpa.practitioners"
    label = "practitioners"
    verbose_name = "Practitioners and licenses"
