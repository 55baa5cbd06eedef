from django.apps import AppConfig


class ReferralsConfig(AppConfig):
    name = "palpa.referrals"
    label = "referrals"
    verbose_name = "Physicians and referrals"

    def ready(self) -> None:
        from palpa.core import dashboard
        from palpa.referrals.views import dashboard_panel

        dashboard.register(dashboard_panel)
