"""``palpa outcomes report --from YYYY-MM-DD --to YYYY-MM-DD [--organization SLUG] [--json]``:
the responder analysis of the episodes that started in the period, computed in this
process (a shell may load scipy and statsmodels; web workers never import this module).

Per organization: episodes, measured, responders, drop-outs; responder rate (Wilson
interval) and median change in MCIDs (bootstrap interval) by condition group and by
technique mix within condition group (each mix against the others of its group), with
Benjamini-Hochberg at the snapshot's q; cells below the minimum size without figures; and
the therapists outside the 99.8 % funnel limits after risk adjustment.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any, Protocol

from django.core.management.base import CommandError

from palpa.accounts.models import Organization
from palpa.analytics.models import Episode
from palpa.analytics.queries import episode_rows
from palpa.analytics.responders import SETTINGS, Names
from palpa.analytics.rows import DROPPED_OUT, EpisodeRow


class Out(Protocol):
    def write(self, text: str) -> Any: ...


def add_parser(sub: Any) -> None:
    report = sub.add_parser("report", help="the responder analysis of a period")
    report.add_argument("--from", dest="date_from", required=True, metavar="YYYY-MM-DD")
    report.add_argument("--to", dest="date_to", required=True, metavar="YYYY-MM-DD")
    report.add_argument("--organization", metavar="SLUG", help="only this organization")
    report.add_argument("--json", action="store_true", help="JSON instead of text")


def _date(value: str, argument: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise CommandError(
            f"{argument}: {value!r} is not a date (YYYY-MM-DD)", returncode=2
        ) from None


def report(organization: Organization, first: dt.date, last: dt.date) -> dict[str, Any]:
    """The period's figures for one organization (pure data, JSON-ready)."""
    from palpa.analytics import responders  # numerical libraries load in its functions

    episodes = Episode.objects.filter(organization=organization, start__gte=first, start__lte=last)
    rows: list[EpisodeRow] = list(episode_rows(episodes))
    names = _names(organization)
    measured = [r for r in rows if r.responder is not None]
    out: dict[str, Any] = {
        "organization": organization.slug,
        "from": first.isoformat(),
        "to": last.isoformat(),
        "episodes": len(rows),
        "measured": len(measured),
        "responders": sum(1 for r in measured if r.responder),
        "dropped_out": sum(1 for r in rows if r.ending == DROPPED_OUT),
        "min_cell": SETTINGS.min_cell,
        "q": SETTINGS.q,
        "by_condition": [],
        "by_condition_mix": [],
        "therapists_outside_998": [],
        "note": "Technique effects are observational: associated with, not caused by.",
    }
    if not rows:
        return out
    out["by_condition"] = responders.table(
        rows, ("condition_group",), lambda k: names.condition(k[0]), SETTINGS, SETTINGS.seed
    )
    out["by_condition_mix"] = responders.mix_within_condition(rows, SETTINGS, SETTINGS.seed, names)
    models = responders.fits(rows)
    funnel = responders.funnel(rows, models, lambda r: r.therapist, names.therapist, SETTINGS)
    if funnel is not None:
        out["therapists_outside_998"] = [
            {"therapist": g["label"], "n": g["n"], "o_minus_e": g["o_minus_e"]}
            for g in funnel["groups"]
            if not g["suppressed"] and g["outside_998"]
        ]
    return out


def _names(organization: Organization) -> Names:
    from palpa.accounts.models import Location
    from palpa.analytics.conditions import condition_groups
    from palpa.practitioners.models import Practitioner

    return Names(
        {
            str(p.public_id): p.display_name
            for p in Practitioner.objects.filter(organization=organization)
        },
        {str(x.public_id): x.name for x in Location.objects.filter(organization=organization)},
        dict(condition_groups().labels),
    )


def _pct(value: float) -> str:
    return f"{value * 100:.0f}%"


def write_text(found: dict[str, Any], out: Out) -> None:
    out.write(
        f"{found['organization']}: episodes starting {found['from']} to {found['to']}: "
        f"{found['episodes']} episodes, {found['measured']} measured twice, "
        f"{found['responders']} responders, {found['dropped_out']} dropped out\n"
    )
    for title, key in (
        ("By condition group", "by_condition"),
        ("By technique mix within condition group", "by_condition_mix"),
    ):
        out.write(f"  {title}:\n")
        for c in found[key]:
            if c["suppressed"]:
                out.write(
                    f"    {c['label']}: {c['n']} episodes "
                    f"(fewer than {found['min_cell']}: not shown)\n"
                )
                continue
            rate = c.get("rate")
            shown = (
                f"{_pct(rate[0])} ({_pct(rate[1])} to {_pct(rate[2])})"
                if rate
                else "none measured twice"
            )
            flag = f"  different ({c['direction']})" if c.get("different") else ""
            out.write(
                f"    {c['label']}: {c['n']} episodes, responders {shown}, "
                f"dropped out {_pct(c['dropout'])}{flag}\n"
            )
    for t in found["therapists_outside_998"]:
        out.write(
            f"  Outside the 99.8% funnel limits: {t['therapist']} "
            f"({t['o_minus_e'] * 100:+.0f} points on {t['n']} episodes)\n"
        )
    out.write(
        f"  Differences: Benjamini-Hochberg at a false discovery rate of {found['q']:.0%}. "
        f"{found['note']}\n"
    )


def run(options: dict[str, Any], organizations: list[Organization], out: Out) -> None:
    first = _date(options["date_from"], "--from")
    last = _date(options["date_to"], "--to")
    if last < first:
        raise CommandError("--to: must not be before --from", returncode=2) from None
    found = [report(o, first, last) for o in organizations]
    if options["json"]:
        out.write(json.dumps(found if len(found) != 1 else found[0], indent=2) + "\n")
        return
    for one in found:
        write_text(one, out)
