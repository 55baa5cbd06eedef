"""``palpa outcomes``: the analysis of the episode table.

- ``palpa outcomes recompute [--organization SLUG] [--kind KIND]``: compute the snapshots
  the pages read (what the worker does nightly), in this process.
- ``palpa outcomes report --from DATE --to DATE [--json]``: the responder analysis of
  the episodes in the period (``palpa.analytics.report_cli``).
- ``palpa outcomes export --deidentified ...``: the de-identified episode table for
  research (``palpa.analytics.export``).

See docs/outcome-analytics.md.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from palpa.accounts.models import Organization
from palpa.analytics import report_cli, snapshots


def organization_by_slug(slug: str | None) -> Organization | None:
    """The organization named by ``--organization`` (None when not given); exit 2 when no
    organization has the slug."""
    if slug is None:
        return None
    found = Organization.objects.filter(slug=slug).first()
    if found is None:
        raise CommandError(f"--organization: no organization has the slug {slug!r}", returncode=2)
    return found


class Command(BaseCommand):
    help = "The analysis of the episode table: recompute, report, export."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        recompute = sub.add_parser("recompute", help="compute the snapshots the pages read")
        recompute.add_argument("--organization", metavar="SLUG", help="only this organization")
        recompute.add_argument("--kind", help="only this kind of snapshot")
        report_cli.add_parser(sub)  # palpa outcomes report (palpa.analytics.report_cli)

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "recompute":
            self._recompute(options)
        elif options["action"] == "report":
            one = organization_by_slug(options["organization"])
            chosen = [one] if one else list(Organization.objects.order_by("pk"))
            report_cli.run(options, chosen, self.stdout)

    def _recompute(self, options: dict[str, Any]) -> None:
        kind = options["kind"]
        if kind is not None and kind not in snapshots.kinds():
            raise CommandError(
                f"--kind: choose one of {', '.join(snapshots.kinds()) or '(none registered)'}",
                returncode=2,
            )
        one = organization_by_slug(options["organization"])
        for organization in [one] if one else Organization.objects.order_by("pk"):
            for snapshot in snapshots.recompute(organization, only=kind):
                self.stdout.write(
                    f"{organization.slug}: {snapshot.kind} from {snapshot.episodes} episodes "
                    f"in {snapshot.seconds:.2f} s"
                )
