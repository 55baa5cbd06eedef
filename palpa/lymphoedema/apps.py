from django.apps import AppConfig


class LymphoedemaConfig(AppConfig):
    name = "palpa.lymphoedema"
    label = "lymphoedema"
    verbose_name = "Lymphoedema"
