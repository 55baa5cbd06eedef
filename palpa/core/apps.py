from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "palpa.core"
    label = "core"
    verbose_name = "Palpa core"
