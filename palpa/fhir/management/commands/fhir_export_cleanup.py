from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from palpa.fhir.bulk import expire_exports


class Command(BaseCommand):
    help = (
        "Delete the files of FHIR bulk exports older than PALPA_FHIR_EXPORT_HOURS "
        "(run it hourly, e.g. from cron or a systemd timer)."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        expired = expire_exports()
        self.stdout.write(f"{expired} export(s) expired; their files are deleted.")
