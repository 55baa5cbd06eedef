from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "palpa.reports"
    label = "reports"
    verbose_name = "Reports to the physician"

    def ready(self) -> None:
        from palpa.patients import messages as ledger
        from palpa.patients.models import MessageKind
        from palpa.reports.services import resend_report_ready

        ledger.register_resender(MessageKind.REPORT_READY, resend_report_ready)
