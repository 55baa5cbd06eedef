"""``palpa episodes``: the episode table of outcome analytics.

- ``palpa episodes rebuild [--organization SLUG]``: recompute every episode from the
  clinical records (after a restore, a failed update, or a change of the condition groups).
- ``palpa episodes sweep [--organization SLUG] [--on YYYY-MM-DD]``: mark the open episodes
  that dropped out (what the nightly task does); each counts at its location's date
  unless ``--on`` names the day.

See docs/outcome-analytics.md ("The episode table").
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from palpa.accounts.models import Organization
from palpa.analytics.services import rebuild_episodes, sweep_dropouts
from palpa.core.dates import page_date


class Command(BaseCommand):
    help = (
        "The episode table: 'rebuild' recomputes every episode from the records; 'sweep' "
        "marks the open episodes that dropped out."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        rebuild = sub.add_parser("rebuild", help="recompute every episode from the records")
        sweep = sub.add_parser("sweep", help="mark the open episodes that dropped out")
        for each in (rebuild, sweep):
            each.add_argument(
                "--organization", metavar="SLUG", help="only this organization (default: all)"
            )
        sweep.add_argument(
            "--on", metavar="YYYY-MM-DD", help="judge at this date (default: each location's today)"
        )

    def _organization_id(self, slug: str | None) -> int | None:
        if slug is None:
            return None
        found = Organization.objects.filter(slug=slug).values_list("pk", flat=True).first()
        if found is None:  # an empty slug too: never read as "every organization"
            raise CommandError(
                f"--organization: no organization has the slug {slug!r}", returncode=2
            )
        return found

    def handle(self, *args: Any, **options: Any) -> None:
        organization_id = self._organization_id(options["organization"])
        if options["action"] == "rebuild":
            count = rebuild_episodes(organization_id=organization_id)
            self.stdout.write(f"{count} episodes rebuilt")
            return
        on: dt.date | None = None
        if options["on"]:
            on = page_date(options["on"])
            if on is None:
                raise CommandError(
                    f"--on: {options['on']!r} is not a date YYYY-MM-DD", returncode=2
                )
        changed = sweep_dropouts(organization_id=organization_id, today=on)
        self.stdout.write(f"{changed} episodes dropped out")
