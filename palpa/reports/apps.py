from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "palpa.reports"
    label = "reports"
    verbose_name = "Reports to the physician"
