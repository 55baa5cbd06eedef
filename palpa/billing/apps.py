from django.apps import AppConfig


class BillingConfig(AppConfig):
    name = "palpa.billing"
    label = "billing"
    verbose_name = "Billing"

    def ready(self) -> None:
        # Imported here: ready() runs once every app's models are loaded; at the top of
        # apps.py these modules (models, views) would load before the app registry is ready.
        from palpa.accounts import checklist
        from palpa.accounts.permissions import Capability
        from palpa.billing.business_views import dashboard_panel
        from palpa.billing.models import FeeScheduleEntry, SelfPayPrice, ServicePrice
        from palpa.billing.queries import unpaid_balance_flags
        from palpa.billing.services import on_note_entered_in_error, on_note_signed
        from palpa.care.events import TreatmentNoteEnteredInError, TreatmentNoteSigned
        from palpa.core import dashboard
        from palpa.core.events import subscribe
        from palpa.scheduling import flags

        subscribe(TreatmentNoteSigned, on_note_signed)
        subscribe(TreatmentNoteEnteredInError, on_note_entered_in_error)
        flags.register_many(unpaid_balance_flags)  # the schedule's "unpaid balance"
        checklist.register(
            "prices",
            checklist.Item(
                35,
                "Set your services' prices (self-pay service prices, payers' fees)",
                "billing:settings",
                lambda org: (
                    ServicePrice.objects.filter(organization=org).exists()
                    or SelfPayPrice.objects.filter(organization=org).exists()
                    or FeeScheduleEntry.objects.filter(organization=org).exists()
                ),
                Capability.BILLING_CONFIGURE,
            ),
        )
        dashboard.register(dashboard_panel)  # the owner's business summary
