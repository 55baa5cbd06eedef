from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "palpa.accounts"
    label = "accounts"
    verbose_name = "Organizations and staff"

    def ready(self) -> None:
        # Imported here: ready() runs once every app's models are loaded.
        from palpa.accounts import (
            checklist,
            signals,  # noqa: F401  (connects the audit of sign-ins)
        )
        from palpa.accounts.models import Room, User
        from palpa.accounts.permissions import Capability
        from palpa.core import dashboard

        dashboard.register(checklist.dashboard_panel)
        # The ids of the account's confirmed TOTP devices are read with the account, so
        # the two-factor check reads no device (accounts.otp.AccountOTPMiddleware).
        from palpa.accounts.backends import also_annotate_user
        from palpa.accounts.otp import CONFIRMED_DEVICES, confirmed_devices

        also_annotate_user(CONFIRMED_DEVICES, confirmed_devices)
        checklist.register(
            "rooms",
            checklist.Item(
                10,
                "Add your locations and their treatment rooms",
                "accounts:settings",
                lambda org: Room.objects.filter(
                    organization=org, active=True, location__active=True
                ).exists(),
                Capability.ORGANIZATION_MANAGE,
            ),
        )
        checklist.register(
            "staff",
            checklist.Item(
                50,
                "Invite your staff",
                "accounts:staff",
                lambda org: User.objects.filter(organization=org).count() > 1,
                Capability.ORGANIZATION_MANAGE,
            ),
        )
