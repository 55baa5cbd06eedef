from django.apps import AppConfig


class BillingConfig(AppConfig):
    name = "palpa.billing"
    label = "billing"
    verbose_name = "Billing"
