from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from palpa.accounts.models import Location
from palpa.practitioners.models import Practitioner
from palpa.practitioners.services import check_license


class Command(BaseCommand):
    help = (
        "May a practitioner be booked or sign notes? Checks every location of the "
        "organization (or one jurisdiction) on a day. Exits 1 when refused anywhere."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("email", help="the practitioner's staff email")
        parser.add_argument("--jurisdiction", default="", help="e.g. FL (default: each location)")
        parser.add_argument("--on", type=dt.date.fromisoformat, default=None, help="YYYY-MM-DD")

    def handle(self, *args: Any, **options: Any) -> None:
        practitioner = Practitioner.objects.filter(user__email=options["email"].lower()).first()
        if practitioner is None:
            raise CommandError(
                f"EMAIL: no practitioner signs in as {options['email']!r}.", returncode=2
            )
        day = options["on"] or timezone.localdate()
        places = (
            [options["jurisdiction"].upper()]
            if options["jurisdiction"]
            else sorted(
                {
                    loc.jurisdiction
                    for loc in Location.objects.filter(
                        organization_id=practitioner.organization_id, active=True
                    )
                }
            )
        )
        refused = False
        for place in places:
            decision = check_license(practitioner, jurisdiction=place, on=day)
            refused |= not decision.allowed
            verdict = "allowed" if decision.allowed else "REFUSED"
            self.stdout.write(f"{place} {day.isoformat()}: {verdict}: {decision.reason}")
        if refused:
            raise SystemExit(1)
