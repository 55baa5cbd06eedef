from django.apps import AppConfig


class DemoConfig(AppConfig):
    """The demo clinic (`palpa demo`): the top line, built through every app's services."""

    name = "palpa.demo"
    label = "demo"
    verbose_name = "Demo clinic"
