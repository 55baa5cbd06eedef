from django.apps import AppConfig


class PractitionersConfig(AppConfig):
    name = "palpa.practitioners"
    label = "practitioners"
    verbose_name = "Practitioners and licenses"

    def ready(self) -> None:
        # Imported here: ready() runs once every app's models are loaded; at the top of
        # apps.py these modules (models, views) would load before the app registry is ready.
        from palpa.accounts import checklist
        from palpa.accounts.backends import also_read_with_user
        from palpa.accounts.permissions import Capability, register_practitioner_check
        from palpa.core import dashboard
        from palpa.practitioners.models import License
        from palpa.practitioners.queries import is_active_practitioner
        from palpa.practitioners.views import dashboard_panel

        dashboard.register(dashboard_panel)
        register_practitioner_check(is_active_practitioner)
        also_read_with_user("practitioner")  # the check then reads no more
        checklist.register(
            "practitioners",
            checklist.Item(
                20,
                "Add your practitioners, linked to their sign-in accounts, with licenses",
                "practitioners:list",
                lambda org: License.objects.filter(
                    organization=org, practitioner__active=True, practitioner__user__isnull=False
                ).exists(),
                Capability.PRACTITIONERS_MANAGE,
            ),
        )
