"""``palpa capture_charges``: capture the charge of every signed note that has none.

Capture runs when a note is signed; if it failed then (it never undoes the signature),
this catches up. Idempotent: a note is never charged twice."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from palpa.accounts.models import Organization
from palpa.billing.services import capture_missing


class Command(BaseCommand):
    help = "Capture the charges of signed treatment notes that have none yet."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--organization", help="Only this organization (its slug)")

    def handle(self, *args: Any, **options: Any) -> None:
        org_id = None
        if options["organization"] is not None:
            org = Organization.objects.filter(slug=options["organization"]).first()
            if org is None:
                self.stderr.write(
                    f"--organization: no organization has the slug {options['organization']!r}."
                )
                raise SystemExit(2)
            org_id = org.pk
        captured = capture_missing(organization_id=org_id)
        for charge in captured:
            self.stdout.write(
                f"{charge.date_of_service} {charge.patient.mrn}: {charge.total} {charge.currency}"
                f" ({charge.get_status_display().lower()})"
            )
        self.stdout.write(f"{len(captured)} charge(s) captured.")
