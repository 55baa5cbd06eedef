from django.apps import AppConfig


class ScreeningConfig(AppConfig):
    name = "palpa.screening"
    label = "screening"
    verbose_name = "Safety screening"

    def ready(self) -> None:
        # The organization's policy is read with the signed-in account (one statement for
        # the account and every such policy; accounts.backends.also_annotate_user).
        from palpa.accounts.backends import also_annotate_user, organization_row
        from palpa.screening.models import ScreeningPolicy
        from palpa.screening.queries import POLICY_FIELDS, POLICY_READ

        also_annotate_user(POLICY_READ, organization_row(ScreeningPolicy, *POLICY_FIELDS))
        # Imported here: ready() runs once every app's models are loaded; at the top of
        # apps.py these modules (models, views) would load before the app registry is ready.
        from palpa.core import dashboard
        from palpa.screening.views import dashboard_panel

        dashboard.register(dashboard_panel)
        from palpa.patients import messages as ledger
        from palpa.patients.models import MessageKind
        from palpa.screening.services import resend_intake_link

        ledger.register_resender(MessageKind.INTAKE_LINK, resend_intake_link)
