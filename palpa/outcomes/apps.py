from django.apps import AppConfig


class OutcomesConfig(AppConfig):
    name = "palpa.outcomes"
    label = "outcomes"
    verbose_name = "Outcome instruments"

    def ready(self) -> None:
        from palpa.outcomes.services import resend_instrument_link
        from palpa.patients import messages as ledger
        from palpa.patients.models import MessageKind

        ledger.register_resender(MessageKind.INSTRUMENT_LINK, resend_instrument_link)
