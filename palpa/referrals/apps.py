from django.apps import AppConfig


class ReferralsConfig(AppConfig):
    name = "palpa.referrals"
    label = "referrals"
    verbose_name = "Physicians and referrals"
