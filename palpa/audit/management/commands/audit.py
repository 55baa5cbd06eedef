from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from palpa.accounts.models import Organization
from palpa.audit.services import verify_all


class Command(BaseCommand):
    help = "Audit log tools. 'palpa audit verify' recomputes every hash chain."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("verify", help="recompute the chains; report the first broken link")

    def handle(self, *args: Any, **options: Any) -> None:
        names = dict(Organization.objects.values_list("pk", "name"))
        broken = 0
        for report in verify_all():
            who = (
                names.get(report.organization_id, "system") if report.organization_id else "system"
            )
            if report.ok:
                self.stdout.write(f"intact: {who}: {report.entries} entries")
            else:
                broken += 1
                self.stdout.write(
                    f"BROKEN: {who}: first broken link at entry #{report.broken_at_seq}: "
                    f"{report.reason}"
                )
        if broken:
            raise CommandError(f"{broken} audit chain(s) broken")
        self.stdout.write(self.style.SUCCESS("audit log intact"))
