from django.apps import AppConfig


class ReferralsConfig(AppConfig):
    name = "palpa.referrals"
    label = "referrals"
    verbose_name = "Physicians and referrals"

    def ready(self) -> None:
        # The organization's policy is read with the signed-in account (one statement for
        # the account and every such policy; accounts.backends.also_annotate_user).
        from palpa.accounts.backends import also_annotate_user, organization_row
        from palpa.referrals.models import ReferralPolicy
        from palpa.referrals.services import POLICY_FIELDS, POLICY_READ

        also_annotate_user(POLICY_READ, organization_row(ReferralPolicy, *POLICY_FIELDS))
        # Imported here: ready() runs once every app's models are loaded; at the top of
        # apps.py these modules (models, views) would load before the app registry is ready.
        from palpa.core import dashboard
        from palpa.referrals.views import dashboard_panel

        dashboard.register(dashboard_panel)
