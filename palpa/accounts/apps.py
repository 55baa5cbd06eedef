from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "palpa.accounts"
    label = "accounts"
    verbose_name = "Organizations and staff"

    def ready(self) -> None:
        # Imported here: ready() runs once every app's models are loaded.
        from palpa.accounts import signals  # noqa: F401  (connects the audit of sign-ins)
