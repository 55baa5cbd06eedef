from django.apps import AppConfig


class SchedulingConfig(AppConfig):
    name = "palpa.scheduling"
    label = "scheduling"
    verbose_name = "Scheduling"
