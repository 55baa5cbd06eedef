from django.apps import AppConfig


class ReferralsConfig(AppConfig):
    name = "palpa.referrals"
    label = "referrals"
    verbose_name = "Physicians and referrals"

    def ready(self) -> None:
        # Imported here: ready() runs once every app's models are loaded; at the top of
        # apps.py these modules (models, views) would load before the app registry is ready.
        from palpa.core import dashboard
        from palpa.referrals.views import dashboard_panel

        dashboard.register(dashboard_panel)
