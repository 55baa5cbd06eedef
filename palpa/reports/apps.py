from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "palpa.reports"
    label = "reports"
    verbose_name = "Reports to the physician"

    def ready(self) -> None:
        # The organization's policy is read with the signed-in account (one statement for
        # the account and every such policy; accounts.backends.also_annotate_user).
        from palpa.accounts.backends import also_annotate_user, organization_row
        from palpa.reports.models import ReportPolicy
        from palpa.reports.services import POLICY_FIELDS, POLICY_READ

        also_annotate_user(POLICY_READ, organization_row(ReportPolicy, *POLICY_FIELDS))
        from palpa.patients import messages as ledger
        from palpa.patients.models import MessageKind
        from palpa.reports.services import resend_report_ready

        ledger.register_resender(MessageKind.REPORT_READY, resend_report_ready)
