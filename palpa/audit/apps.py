from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "palpa.audit"
    label = "audit"
    verbose_name = "Audit log"
