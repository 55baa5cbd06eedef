"""The de-identified research export of the episode table (HIPAA Safe Harbor).

``palpa outcomes export --deidentified --out DIR [--organization SLUG] [--k 11]`` writes
``episodes.csv`` (one row per episode that survives the k-anonymity check) and
``data_dictionary.md`` (every column, its meaning and its de-identification rule, and the
export's counts). There is no identified export.

The rules (docs/outcome-analytics.md, "The de-identified export"), after HHS's guidance on
45 CFR 164.514(b)(2) (Safe Harbor):

- none of the 18 identifiers: no names, addresses, ZIP codes, contact details, MRNs, public
  ids, license or NPI numbers, free text;
- dates reduced to the year (the episode's start and end year), no date more specific;
- ages over 89 in one band, "90+";
- ZIP codes dropped entirely (Palpa keeps no census table to check the 20,000-people rule
  for a 3-digit ZIP area); the location's state is the only geography;
- patients, episodes, therapists and locations get pseudonyms drawn at random for each
  export (a secret per-export random source, never derived from the records, never kept), so
  two exports cannot be joined by them;
- k-anonymity over the quasi-identifiers (age band, sex, condition group, location region):
  the rows of every group smaller than k (default 11) are suppressed and counted.

One audit entry (action ``export``) records who, when, how many rows, how many suppressed and
which rules.
"""

from __future__ import annotations

import csv
import json
import random
import re
import secrets
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.db import transaction

from palpa.accounts.models import Organization, User
from palpa.analytics.models import Episode
from palpa.audit.services import Action, record

RULES = "safe-harbor-year-only-1"  # the version of the rules below, named in the audit entry
DEFAULT_K = 11
QUASI_IDENTIFIERS = ("age_band", "sex", "condition_group", "location_region")
EPISODES_FILE = "episodes.csv"
DICTIONARY_FILE = "data_dictionary.md"
PSEUDONYM = "random per export; not derived from the record; never stored"


@dataclass(frozen=True)
class Column:
    name: str
    meaning: str
    rule: str


COLUMNS = (
    Column("episode", "The episode of care (evaluation to discharge or last contact).", PSEUDONYM),
    Column(
        "patient",
        "The patient (episodes of one patient share it within this export).",
        f"replaces the MRN and every patient id; {PSEUDONYM}",
    ),
    Column("therapist", "The treating therapist.", f"replaces name, NPI, license; {PSEUDONYM}"),
    Column("location", "The clinic or medical spa.", f"replaces name and address; {PSEUDONYM}"),
    Column(
        "location_region",
        "The location's state (two letters).",
        "the only geography; no address, city or ZIP code (ZIP dropped: no census table to "
        "apply the 20,000-people rule for 3-digit ZIP areas); quasi-identifier",
    ),
    Column("condition_group", "Group of the ICD-10-CM code.", "kept; quasi-identifier"),
    Column("icd10", "ICD-10-CM code of the primary diagnosis.", "kept (not an identifier)"),
    Column("measure", "Instrument id of the primary measure (e.g. NDI).", "kept"),
    Column("higher_is_better", "Whether a higher score of the measure is better.", "kept"),
    Column("mcid", "The instrument's MCID, in its points.", "kept"),
    Column("mdc", "The instrument's MDC, in its points.", "kept"),
    Column("intake_score", "Score of the measure at intake.", "kept (its date is not)"),
    Column("last_score", "Latest score after intake; empty when never re-measured.", "kept"),
    Column(
        "improvement",
        "last_score - intake_score, signed so that positive is better.",
        "derived from the scores",
    ),
    Column(
        "responder", "improvement >= MCID and >= MDC (true/false; empty unmeasured).", "derived"
    ),
    Column("visits", "Signed treatment visits in the episode.", "kept (a count, not a date)"),
    Column("planned_visits", "Visits the plan of care planned.", "kept"),
    Column("technique_mix", "Label of the dominant techniques.", "kept"),
    Column("technique_minutes", "Minutes per technique (JSON object).", "kept"),
    Column(
        "visits_to_meaningful_change",
        "Visits until the improvement first reached MCID and MDC; empty when never.",
        "kept (a count, not a date)",
    ),
    Column("payer_type", "insurance, self-pay or unknown.", "kept; no plan or member numbers"),
    Column(
        "age_band",
        "Age band at the evaluation.",
        'bands only, never a date of birth; every age over 89 is "90+"; quasi-identifier',
    ),
    Column("sex", "Administrative sex (FHIR codes).", "kept; quasi-identifier"),
    Column("chronicity", "acute, subacute, chronic or unknown (from onset).", "kept; no dates"),
    Column("screening_decision", "Latest screening decision at the evaluation.", "kept"),
    Column("comorbidity_count", "Current conditions from the health history.", "kept (count)"),
    Column("ending", "How the episode ended (goals-met, plateau, ...).", "kept"),
    Column("discharge_reason", "The discharge's reason code; empty without one.", "kept (code)"),
    Column("start_year", "Year of the evaluation.", "dates reduced to the year"),
    Column("end_year", "Year the episode ended; empty when ongoing.", "dates reduced to the year"),
)

# What the export reads: never names, contacts, dates of birth, addresses or free text.
_READ = (
    "pk",
    "patient_id",
    "practitioner_id",
    "location_id",
    "location__region",
    "condition_group",
    "icd10",
    "measure",
    "higher_is_better",
    "mcid",
    "mdc",
    "intake_score",
    "last_score",
    "visits",
    "planned_visits",
    "technique_mix",
    "technique_minutes",
    "visits_to_meaningful_change",
    "payer_type",
    "age_band",
    "sex",
    "chronicity",
    "screening_decision",
    "comorbidity_count",
    "ending",
    "discharge_reason",
    "start",
    "end",
)


class ExportRefused(ValueError):
    """A bad argument: ``argument`` names it (for the command's exit 2)."""

    def __init__(self, argument: str, message: str) -> None:
        super().__init__(f"{argument}: {message}")
        self.argument = argument


@dataclass(frozen=True)
class ExportResult:
    directory: Path
    files: tuple[str, ...]
    rows: int
    suppressed: int
    groups_suppressed: int
    k: int


def safe_age_band(band: str) -> str:
    """The band as exported: any band reaching past 89 becomes "90+" (from 90) or
    "<lower>+" (a band starting below 90 whose upper end passes 89)."""
    numbers = [int(n) for n in re.findall(r"\d+", band)]
    if not numbers:
        return band or "unknown"
    low, high = numbers[0], numbers[-1]
    if low >= 90:
        return "90+"
    if high > 89:
        return f"{low}+"
    return band


def _number(value: float | None) -> str:
    if value is None:
        return ""
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def _improvement(row: dict[str, Any]) -> float | None:
    if row["intake_score"] is None or row["last_score"] is None:
        return None
    delta = float(row["last_score"]) - float(row["intake_score"])
    return delta if row["higher_is_better"] else -delta


def _responder(row: dict[str, Any], change: float | None) -> str:
    if change is None or row["mcid"] is None:
        return ""
    return "true" if change >= row["mcid"] and change >= (row["mdc"] or 0.0) else "false"


class _Pseudonyms:
    """Random tokens, one per distinct internal id, from the export's own random source."""

    def __init__(self, prefix: str, source: random.Random) -> None:
        self.prefix = prefix
        self.source = source
        self.given: dict[int, str] = {}
        self.used: set[str] = set()

    def __call__(self, key: int) -> str:
        token = self.given.get(key)
        if token is None:
            while token is None or token in self.used:
                token = f"{self.prefix}{self.source.getrandbits(48):012x}"
            self.used.add(token)
            self.given[key] = token
        return token


def _deidentified(row: dict[str, Any]) -> dict[str, str]:
    change = _improvement(row)
    return {
        "location_region": (row["location__region"] or "").upper(),
        "condition_group": row["condition_group"],
        "icd10": row["icd10"],
        "measure": row["measure"],
        "higher_is_better": "true" if row["higher_is_better"] else "false",
        "mcid": _number(row["mcid"]),
        "mdc": _number(row["mdc"]),
        "intake_score": _number(row["intake_score"]),
        "last_score": _number(row["last_score"]),
        "improvement": _number(change),
        "responder": _responder(row, change),
        "visits": str(row["visits"]),
        "planned_visits": _number(row["planned_visits"]),
        "technique_mix": row["technique_mix"],
        "technique_minutes": json.dumps(row["technique_minutes"] or {}, sort_keys=True),
        "visits_to_meaningful_change": _number(row["visits_to_meaningful_change"]),
        "payer_type": row["payer_type"],
        "age_band": safe_age_band(row["age_band"]),
        "sex": row["sex"],
        "chronicity": row["chronicity"],
        "screening_decision": row["screening_decision"],
        "comorbidity_count": str(row["comorbidity_count"]),
        "ending": row["ending"],
        "discharge_reason": row["discharge_reason"],
        "start_year": str(row["start"].year),
        "end_year": str(row["end"].year) if row["end"] is not None else "",
    }


def check_out(out: Path) -> None:
    """Refuse an output that is a file or a directory with anything in it."""
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise ExportRefused("--out", f"{out} is not an empty directory; name a new or empty one")


def export_deidentified(
    *,
    actor: User | None,
    organization: Organization,
    out: Path,
    k: int = DEFAULT_K,
    source: random.Random | None = None,
    actor_label: str = "",
) -> ExportResult:
    """Write the organization's de-identified episode table into ``out`` (new or empty).

    ``source`` draws the pseudonyms and the row order; by default a fresh
    ``secrets.SystemRandom`` (nothing kept, so no export can be linked to another or back to
    the records). Tests pass a seeded ``random.Random`` to get the same files twice.
    """
    if k < 1:
        raise ExportRefused("--k", f"k must be at least 1 (got {k})")
    check_out(out)
    source = source if source is not None else secrets.SystemRandom()
    read = (
        Episode.objects.filter(organization=organization)
        .order_by("pk")
        .values(*_READ)
        .iterator(chunk_size=5000)
    )
    kept: list[tuple[dict[str, Any], dict[str, str]]] = []
    groups: Counter[tuple[str, ...]] = Counter()
    for row in read:
        clean = _deidentified(row)
        groups[tuple(clean[q] for q in QUASI_IDENTIFIERS)] += 1
        kept.append((row, clean))
    small = {group for group, count in groups.items() if count < k}
    before = len(kept)
    kept = [
        (row, clean)
        for row, clean in kept
        if tuple(clean[q] for q in QUASI_IDENTIFIERS) not in small
    ]
    suppressed = before - len(kept)

    episode, patient = _Pseudonyms("E", source), _Pseudonyms("P", source)
    therapist, location = _Pseudonyms("T", source), _Pseudonyms("L", source)
    lines = []
    for row, clean in kept:
        lines.append(
            {
                "episode": episode(row["pk"]),
                "patient": patient(row["patient_id"]),
                "therapist": therapist(row["practitioner_id"]),
                "location": location(row["location_id"]),
                **clean,
            }
        )
    lines.sort(key=lambda line: line["episode"])  # random order: says nothing of the records

    out.mkdir(parents=True, exist_ok=True)
    with (out / EPISODES_FILE).open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=[c.name for c in COLUMNS])
        writer.writeheader()
        writer.writerows(lines)
    result = ExportResult(
        directory=out,
        files=(EPISODES_FILE, DICTIONARY_FILE),
        rows=len(lines),
        suppressed=suppressed,
        groups_suppressed=len(small),
        k=k,
    )
    (out / DICTIONARY_FILE).write_text(dictionary(result), encoding="utf-8")
    with transaction.atomic():
        record(
            actor=actor,
            action=Action.EXPORT,
            organization=organization,
            object_type="Episode",
            detail={
                "export": "deidentified episodes",
                "rules": RULES,
                "rows": result.rows,
                "suppressed": result.suppressed,
                "groups_suppressed": result.groups_suppressed,
                "k": k,
                "quasi_identifiers": list(QUASI_IDENTIFIERS),
                "files": list(result.files),
                "format": "csv",
            },
            actor_label=actor_label,
        )
    return result


def dictionary(result: ExportResult) -> str:
    """The data dictionary: what the export holds and the rules that made it."""
    lines = [
        "# De-identified episode table: data dictionary",
        "",
        f"File `{EPISODES_FILE}`: {result.rows} episodes, one per row, in random order. "
        f"Rules: `{RULES}` (HIPAA Safe Harbor, 45 CFR 164.514(b)(2); "
        'see Palpa\'s docs/outcome-analytics.md, "The de-identified export").',
        "",
        f"k-anonymity: quasi-identifiers {', '.join(QUASI_IDENTIFIERS)}; every group of fewer "
        f"than k = {result.k} episodes was suppressed: {result.suppressed} episodes in "
        f"{result.groups_suppressed} groups are not in this file.",
        "",
        "Dates: only years. Ages: bands, over 89 as 90+. Geography: the location's state only "
        "(no ZIP). Pseudonyms: drawn at random for this export, not derived from the records "
        "and not kept; they cannot be linked to another export.",
        "",
        "| column | meaning | de-identification rule |",
        "| --- | --- | --- |",
    ]
    lines += [f"| `{c.name}` | {c.meaning} | {c.rule} |" for c in COLUMNS]
    return "\n".join(lines) + "\n"
