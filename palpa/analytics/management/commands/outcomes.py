"""``palpa outcomes``: the analysis of the episode table.

- ``palpa outcomes recompute [--organization SLUG] [--kind KIND]``: compute the snapshots
  the pages read (what the worker does nightly), in this process.
- ``palpa outcomes report --from DATE --to DATE [--json]``: the responder analysis of
  the episodes in the period (``palpa.analytics.report_cli``).
- ``palpa outcomes export --deidentified --out DIR [--organization SLUG] [--k 11]``: the
  de-identified episode table for research (``palpa.analytics.export``).
- ``palpa outcomes generate --scale N --seed S [--null]``: a generated organization whose
  truth is known, for tests and benchmarks (``palpa.analytics.generated``).

See docs/outcome-analytics.md.
"""

from __future__ import annotations

import getpass
import time
from pathlib import Path
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
    help = "The analysis of the episode table: recompute, report, export, generate."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        recompute = sub.add_parser("recompute", help="compute the snapshots the pages read")
        recompute.add_argument("--organization", metavar="SLUG", help="only this organization")
        recompute.add_argument("--kind", help="only this kind of snapshot")
        # export and generate (palpa.analytics.export, palpa.analytics.generated)
        export = sub.add_parser("export", help="write the de-identified episode table")
        export.add_argument("--deidentified", action="store_true", help="required: no other kind")
        export.add_argument("--out", metavar="DIR", help="a new or empty directory")
        export.add_argument("--organization", metavar="SLUG", help="required with several")
        export.add_argument("--k", type=int, default=11, help="k-anonymity's k (default 11)")
        generate = sub.add_parser("generate", help="create a generated organization (not clinical)")
        generate.add_argument("--scale", type=int, required=True, help="episodes to generate")
        generate.add_argument(
            "--seed", type=int, required=True, help="the same seed, the same data"
        )
        generate.add_argument("--null", action="store_true", help="plant no effects")
        report_cli.add_parser(sub)  # palpa outcomes report (palpa.analytics.report_cli)

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "recompute":
            self._recompute(options)
        elif options["action"] == "export":
            self._export(options)
        elif options["action"] == "generate":
            self._generate(options)
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

    def _export(self, options: dict[str, Any]) -> None:
        from palpa.analytics.export import ExportRefused, export_deidentified

        if not options["deidentified"]:
            raise CommandError(
                "--deidentified: required; Palpa has no identified export", returncode=2
            )
        if not options["out"]:
            raise CommandError("--out: name a new or empty directory", returncode=2)
        organization = organization_by_slug(options["organization"])
        if organization is None:
            every = list(Organization.objects.order_by("pk")[:2])
            if len(every) != 1:
                raise CommandError(
                    "--organization: name the organization to export (by its slug)",
                    returncode=2,
                )
            organization = every[0]
        try:
            result = export_deidentified(
                actor=None,
                organization=organization,
                out=Path(options["out"]),
                k=options["k"],
                actor_label=f"palpa outcomes export (shell user {getpass.getuser()})",
            )
        except ExportRefused as refused:
            raise CommandError(str(refused), returncode=2) from refused
        self.stdout.write(
            f"{result.rows} episodes written to {result.directory / 'episodes.csv'}; "
            f"{result.suppressed} suppressed in {result.groups_suppressed} groups smaller "
            f"than k = {result.k}; data dictionary in {result.directory / 'data_dictionary.md'}"
        )

    def _generate(self, options: dict[str, Any]) -> None:
        from palpa.analytics.generated import AlreadyGenerated, generate_organization

        if options["scale"] < 1:
            raise CommandError("--scale: at least 1 episode", returncode=2)
        started = time.perf_counter()
        try:
            made = generate_organization(
                scale=options["scale"], seed=options["seed"], null=options["null"]
            )
        except AlreadyGenerated as exists:
            raise CommandError(
                f"--seed: the organization {exists} exists already (same scale and seed)",
                returncode=2,
            ) from exists
        self.stdout.write(
            f"{made.organization.slug}: {made.locations} locations, {made.therapists} "
            f"therapists, {made.patients} patients, {made.evaluations} evaluations, "
            f"{made.episodes} episodes in {time.perf_counter() - started:.1f} s "
            "(generated data, not for clinical use)"
        )
