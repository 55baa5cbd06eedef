"""Screening records as the actor may see them, and the one place that says what a
patient's screening allows on a date (``screening_status``), with the organization's
screening policy and rule set in force.

Who sees what is the permission table's: ``clinical.read`` screenings, their facts and
clearances; ``screening.read_decision`` only the decision flag; other organizations nothing.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.db.models import Exists, OuterRef, QuerySet

from palpa.accounts.backends import NOT_READ, read_with_account
from palpa.accounts.models import User
from palpa.accounts.permissions import Capability, has_capability, tenant_id
from palpa.audit.services import Action, record
from palpa.core.dates import local_today
from palpa.patients.models import Patient
from palpa.screening import questionnaire as q
from palpa.screening.models import (
    DEFAULT_INTAKE_LINK_DAYS,
    DEFAULT_RESCREEN_DAYS,
    Clearance,
    RuleSetVersion,
    Screening,
    ScreeningPolicy,
    VisitConfirmation,
)
from palpa.screening.rules import (
    ALL_TECHNIQUES,
    WHOLE_BODY,
    Rule,
    RuleSet,
    RuleSetError,
    default_rule_set,
    load_rule_set,
    shipped_rule_set,
)


def screenings_for(actor: User) -> QuerySet[Screening]:
    if not has_capability(actor, Capability.CLINICAL_READ):
        return Screening.objects.none()
    return Screening.objects.filter(organization_id=tenant_id(actor)).select_related(
        "patient", "screened_by", "rule_set"
    )


def patient_screenings(actor: User, patient: Patient) -> QuerySet[Screening]:
    return screenings_for(actor).filter(patient=patient)


def clearances_for(actor: User) -> QuerySet[Clearance]:
    if not has_capability(actor, Capability.CLINICAL_READ):
        return Clearance.objects.none()
    return Clearance.objects.filter(organization_id=tenant_id(actor)).select_related(
        "screening__patient", "physician", "recorded_by"
    )


def rule_sets_for(actor: User) -> QuerySet[RuleSetVersion]:
    if not has_capability(actor, Capability.SCREENING_MANAGE_RULES):
        return RuleSetVersion.objects.none()
    return RuleSetVersion.objects.filter(organization_id=tenant_id(actor)).select_related(
        "created_by"
    )


def may_see_flag(actor: User) -> bool:
    """Whether the actor sees the screening decision (PROCEED … STOP) wherever it shows:
    the chart's banner, the schedule, appointments. The flag says nothing about why."""
    return has_capability(actor, Capability.SCREENING_READ_DECISION)


def may_send_intake(actor: User) -> bool:
    return has_capability(actor, Capability.SCREENING_SEND_INTAKE)


def may_see_details(actor: User) -> bool:
    return has_capability(actor, Capability.CLINICAL_READ)


def may_edit(actor: User) -> bool:
    return has_capability(actor, Capability.CLINICAL_WRITE)


BLOCKING = ("CLEARANCE", "STOP")


# --- settings and rule sets ----------------------------------------------------------


@dataclass(frozen=True)
class Policy:
    rescreen_days: int
    intake_link_days: int


POLICY_READ = "screening_policy_row"
POLICY_FIELDS = ("rescreen_days", "intake_link_days")


def policy_for(organization_id: int, *, actor: Any = None) -> Policy:
    """The organization's timings, else the deployment's settings, else 90 and 7 days.
    With ``actor`` (this request's account) the row read with the account is used."""
    row = read_with_account(actor, POLICY_READ, organization_id)
    if row is NOT_READ:
        rows = ScreeningPolicy.objects.filter(organization_id=organization_id)
        row = rows.values(*POLICY_FIELDS).first()
    if row is not None:
        return Policy(row["rescreen_days"], row["intake_link_days"])
    return Policy(
        int(getattr(settings, "PALPA_RESCREEN_DAYS", DEFAULT_RESCREEN_DAYS)),
        int(getattr(settings, "PALPA_INTAKE_LINK_DAYS", DEFAULT_INTAKE_LINK_DAYS)),
    )


def current_rule_set_version(organization_id: int) -> RuleSetVersion | None:
    """The organization's own rule set in force (the newest version), or None for Palpa's."""
    return RuleSetVersion.objects.filter(organization_id=organization_id).first()


@lru_cache(maxsize=64)
def _loaded(document: str) -> RuleSet:
    return load_rule_set(json.loads(document))


def _stored_rule_set(stored: RuleSetVersion) -> RuleSet:
    """A stored version, validated once per process (keyed by its content)."""
    return _loaded(json.dumps(stored.document, sort_keys=True))


def rule_set_in_force(organization_id: int) -> tuple[RuleSet, RuleSetVersion | None]:
    stored = current_rule_set_version(organization_id)
    if stored is None:
        return default_rule_set(), None
    return _stored_rule_set(stored), stored


def default_rules_missing(organization_id: int) -> list[Rule]:
    """The rules of Palpa's current shipped set that the organization's own rule set in
    force lacks (matched by id). Empty while the organization uses Palpa's rules.

    An organization's rule set is a copy it edits; when Palpa's rules gain a safety rule
    (palpa-default-2 added stroke signs, a measured blood pressure and unexplained limb
    swelling; palpa-default-3 symptoms at a reading, an earlier crisis-range reading and
    the limb at risk after node removal), a copy made earlier does not have it until the
    owner publishes a version that does. The owner is told on the rules page and the dashboard."""
    rule_set, stored = rule_set_in_force(organization_id)
    if stored is None:
        return []
    have = {rule.id for rule in rule_set.rules}
    return [rule for rule in default_rule_set().rules if rule.id not in have]


def rule_set_of(screening: Screening) -> RuleSet:
    """The rule set that produced a screening (for its region and technique words)."""
    if screening.rule_set is not None:
        return _stored_rule_set(screening.rule_set)
    return shipped_rule_set(screening.rule_set_version) or default_rule_set()


# --- the status on a date ------------------------------------------------------------

_PATH_PART = re.compile(r"[^.\[\]]+|\[\d+\]")


def _resolve(doc: Any, path: str) -> Any:
    if path == "age":
        return {"date_of_birth": doc.get("date_of_birth")} if isinstance(doc, dict) else None
    value = doc
    for part in _PATH_PART.findall(path):
        if part.startswith("["):
            index = int(part[1:-1])
            value = value[index] if isinstance(value, list) and index < len(value) else None
        else:
            value = value.get(part) if isinstance(value, dict) else None
    return value


def evidence_of(facts: Mapping[str, Any], finding: Mapping[str, Any]) -> str:
    """The facts that made a finding's rule fire, as one canonical string (for comparing
    a clearance's findings with a later screening's)."""
    values = sorted(
        json.dumps(_resolve(facts, path), sort_keys=True, default=str)
        for path in finding.get("matched_facts", [])
    )
    return json.dumps(values)


@dataclass(frozen=True)
class FindingState:
    finding: Mapping[str, Any]
    cleared_by: Clearance | None = None

    @property
    def rule_id(self) -> str:
        return str(self.finding["rule_id"])

    @property
    def title(self) -> str:
        return str(self.finding["title"])

    @property
    def decision(self) -> str:
        return str(self.finding["decision"])

    @property
    def urgency(self) -> str:
        return str(self.finding["urgency"])

    @property
    def blocking(self) -> bool:
        return self.decision in BLOCKING

    @property
    def open(self) -> bool:
        """Blocks treatment: a CLEARANCE or STOP finding nobody has cleared."""
        return self.blocking and self.cleared_by is None

    @property
    def lifted(self) -> bool:
        """A STOP a physician has cleared: its restrictions no longer apply. (A cleared
        CLEARANCE finding keeps its restrictions: they are what was cleared.)"""
        return self.decision == "STOP" and self.cleared_by is not None

    @property
    def restrictions(self) -> Mapping[str, Sequence[str]]:
        restrictions: Mapping[str, Sequence[str]] = self.finding.get("restrictions", {})
        return restrictions

    @property
    def whole_body_stop(self) -> bool:
        return self.decision == "STOP" and ALL_TECHNIQUES in self.restrictions.get(WHOLE_BODY, ())


INSTRUCTIONS = {
    "emergency": (
        "Emergency: do not treat. The patient needs emergency care now: call 911 (or the "
        "local emergency number) for signs of a stroke or a hypertensive emergency, or if "
        "they cannot get to an emergency department safely; otherwise send them to one at "
        "once (same-day referral)."
    ),
    "urgent": "Urgent: the patient must see a doctor before any more massage. Do not treat.",
    "referral": (
        "Refer the patient to their physician and record the physician's clearance, with the "
        "letter, when it comes."
    ),
    "none": "Do not give what is restricted today; reschedule if nothing else can be done.",
}
CLEARANCE_INSTRUCTION = (
    "Ask the patient's physician for a clearance and record it with the letter "
    "(or an owner may override with a written reason)."
)


@dataclass(frozen=True)
class ScreeningStatus:
    """What a patient's screening allows on one date. Built only by ``screening_status``."""

    patient: Patient
    on: dt.date
    screening: Screening | None
    rescreen_days: int
    confirmed_for_visit: bool = False
    findings: tuple[FindingState, ...] = ()
    clearances: tuple[Clearance, ...] = ()
    labels: Mapping[str, Mapping[str, str]] = field(default_factory=dict)

    @property
    def decision(self) -> str | None:
        return self.screening.decision if self.screening is not None else None

    @property
    def urgency(self) -> str | None:
        return self.screening.urgency if self.screening is not None else None

    @property
    def due_on(self) -> dt.date | None:
        """A full re-screen falls due ``rescreen_days`` after the whole health history was
        last taken (a visit's blood pressure reading does not move it)."""
        if self.screening is None:
            return None
        taken = self.screening.history_on or self.screening.as_of
        return taken + dt.timedelta(days=self.rescreen_days)

    @property
    def due(self) -> bool:
        """A full screening is needed: none yet, or the last is ``rescreen_days`` old."""
        return self.due_on is None or self.on >= self.due_on

    @property
    def open_findings(self) -> tuple[FindingState, ...]:
        return tuple(f for f in self.findings if f.open)

    @property
    def cleared(self) -> bool:
        """Every CLEARANCE and STOP finding has been cleared (trivially so without any)."""
        return not self.open_findings

    @property
    def effective_decision(self) -> str | None:
        """The decision once clearances are counted: the worst finding still open, else
        MODIFY if restrictions remain, else PROCEED."""
        if self.screening is None:
            return None
        open_ = self.open_findings
        if any(f.decision == "STOP" for f in open_):
            return "STOP"
        if open_:
            return "CLEARANCE"
        if self.screening.decision == "PROCEED":
            return "PROCEED"
        return "MODIFY" if self.restrictions else "PROCEED"

    @property
    def emergency(self) -> bool:
        return any(f.urgency == "emergency" for f in self.open_findings)

    @property
    def restrictions(self) -> dict[str, list[str]]:
        """Restrictions in force, per region (a cleared STOP's restrictions are lifted)."""
        merged: dict[str, set[str]] = {}
        for f in self.findings:
            if f.lifted:
                continue
            for region, techniques in f.restrictions.items():
                merged.setdefault(region, set()).update(techniques)
        regions = list(self.labels.get("regions", {}))
        techniques = list(self.labels.get("techniques", {}))

        def place(order: list[str], code: str) -> tuple[int, str]:
            return (order.index(code), "") if code in order else (len(order), code)

        out: dict[str, list[str]] = {}
        for region in sorted(merged, key=lambda r: place(regions, r)):
            codes = merged[region]
            out[region] = (
                [ALL_TECHNIQUES]
                if ALL_TECHNIQUES in codes
                else sorted(codes, key=lambda t: place(techniques, t))
            )
        return out

    def region_label(self, code: str) -> str:
        return self.labels.get("regions", {}).get(code, code.replace("_", " "))

    def technique_label(self, code: str) -> str:
        return self.labels.get("techniques", {}).get(code, code.replace("_", " "))

    @property
    def restriction_lines(self) -> list[str]:
        """Plain sentences for the restrictions in force, one per region."""
        lines = []
        for region, codes in self.restrictions.items():
            where = "anywhere" if region == WHOLE_BODY else f"on the {self.region_label(region)}"
            if codes == [ALL_TECHNIQUES]:
                what = "no massage of any kind"
            else:
                what = "no " + ", ".join(self.technique_label(c) for c in codes)
            lines.append(f"{what[0].upper()}{what[1:]} {where}.")
        return lines

    @property
    def action(self) -> str:
        """What must happen next, in one word (for the front desk's flag)."""
        stops = [f for f in self.open_findings if f.decision == "STOP"]
        if self.screening is None:
            return "screen"
        if self.due:
            return "rescreen"
        if self.emergency:
            return "emergency"
        if stops:
            return "stop"
        if self.open_findings:
            return "clearance"
        if not self.confirmed_for_visit:
            return "confirm_at_visit"
        return "none"

    @property
    def treatment_allowed(self) -> bool:
        """Treatment may go ahead (after the therapist's "no change" check at the visit)."""
        return self.action in ("none", "confirm_at_visit")

    @property
    def instruction(self) -> str:
        """What to do now, in words, for the worst open finding."""
        open_ = self.open_findings
        if not open_:
            return ""
        stops = [f for f in open_ if f.decision == "STOP"]
        if stops:
            worst = max(stops, key=lambda f: _URGENCY_ORDER.index(f.urgency))
            return INSTRUCTIONS[worst.urgency]
        return CLEARANCE_INSTRUCTION

    def _titles(self, findings: Iterable[FindingState]) -> str:
        return "; ".join(f"{f.title} (rule {f.rule_id})" for f in findings)

    @property
    def start_refusal(self) -> str:
        """Why a treatment note may not even be started today ("" when it may)."""
        if self.screening is None:
            return ""
        stopping = [f for f in self.open_findings if f.whole_body_stop or f.urgency == "emergency"]
        if not stopping:
            return ""
        return (
            f"The screening of {self.screening.as_of.isoformat()} says STOP: no massage "
            f"today. {self._titles(stopping)}. {self.instruction}"
        )

    @property
    def sign_refusal(self) -> str:
        """Why a treatment note for this visit may not be signed ("" when it may)."""
        if self.screening is None:
            return (
                "A safety screening is needed before this note can be signed: no screening "
                "of the patient's health history is on file. Screen the intake (or send the "
                "patient an intake link) first."
            )
        as_of = self.screening.as_of.isoformat()
        if self.due:
            return (
                f"A re-screen is due: the last full screening was on {as_of} and one is "
                f"needed every {self.rescreen_days} days. Re-screen the health history "
                "before signing."
            )
        stops = [f for f in self.open_findings if f.decision == "STOP"]
        if stops:
            return (
                f"The screening of {as_of} says STOP: {self._titles(stops)}. "
                f"{self.instruction} The note can be signed only once a physician's "
                "clearance is recorded or a re-screen no longer finds it."
            )
        clearance = [f for f in self.open_findings if f.decision == "CLEARANCE"]
        if clearance:
            return (
                f"The screening of {as_of} needs a physician's clearance: "
                f"{self._titles(clearance)}. {CLEARANCE_INSTRUCTION}"
            )
        if not self.confirmed_for_visit:
            return (
                f"Confirm for this visit ({self.on.isoformat()}) that the health history has "
                f"not changed since the screening of {as_of}, or re-screen it."
            )
        return ""


_URGENCY_ORDER = ["none", "referral", "urgent", "emergency"]


def _labels(screening: Screening) -> dict[str, dict[str, str]]:
    try:
        rule_set = rule_set_of(screening)
    except (RuleSetError, RuleSetVersion.DoesNotExist):  # pragma: no cover - stored sets are valid
        rule_set = default_rule_set()
    return {"regions": dict(rule_set.regions), "techniques": dict(rule_set.techniques)}


def previous_answers(patient: Patient, *, actor: User | None = None) -> dict[str, Any]:
    """The questionnaire's answers from the patient's latest valid screening, for a
    re-screen to confirm or change (empty when there is none). Showing them is a read of
    the health history, audited (``actor`` None: the patient through the intake link)."""
    latest = latest_screening(patient, on=local_today(patient))
    if latest is None:
        return {}
    record(
        actor=actor,
        action=Action.READ,
        organization=patient.organization if actor is None else None,
        obj=latest,
        patient_id=str(patient.public_id),
        detail={"view": "previous answers for a re-screen"},
        actor_label="" if actor is not None else "patient (intake link)",
    )
    return q.answers_from_facts(latest.facts)


def latest_screening(patient: Patient, *, on: dt.date) -> Screening | None:
    """The patient's latest valid screening on or before ``on``, with
    ``confirmed_on_day``: whether its "no change" check was confirmed on ``on`` (read in
    the same statement)."""
    confirmed = VisitConfirmation.objects.filter(patient=patient, screening=OuterRef("pk"), on=on)
    return (
        Screening.objects.filter(patient=patient, status=Screening.Status.VALID, as_of__lte=on)
        .select_related("rule_set", "screened_by")
        .annotate(confirmed_on_day=Exists(confirmed))
        .first()
    )


def clearances_in_effect(patient: Patient, *, on: dt.date) -> list[Clearance]:
    return [
        c
        for c in Clearance.objects.filter(
            patient=patient, status=Clearance.Status.VALID, cleared_on__lte=on
        ).select_related("physician", "recorded_by", "screening")
        if c.valid_until is None or c.valid_until >= on
    ]


def screening_status(
    patient: Patient, *, on: dt.date | None = None, actor: Any = None
) -> ScreeningStatus:
    """The single source of a patient's screening decision on a date (default: today):
    the latest valid screening on or before it, whether a re-screen is due, the
    clearances and overrides in effect and which findings they clear, the restrictions
    in force, and whether the visit's "no change" check is done. ``actor``, this
    request's account, only spares the policy's read (``policy_for``)."""
    day = on or local_today(patient)
    rescreen_days = policy_for(patient.organization_id, actor=actor).rescreen_days
    screening = latest_screening(patient, on=day)
    if screening is None:
        return ScreeningStatus(patient=patient, on=day, screening=None, rescreen_days=rescreen_days)
    clearances = clearances_in_effect(patient, on=day)
    states = []
    used: list[Clearance] = []
    for finding in screening.result.get("findings", []):
        cleared_by = None
        if finding["decision"] in BLOCKING:
            evidence = evidence_of(screening.facts, finding)
            for clearance in clearances:
                if clearance.covered.get(finding["rule_id"]) != evidence:
                    continue
                if clearance.kind == Clearance.Kind.OVERRIDE and finding["decision"] == "STOP":
                    continue
                cleared_by = clearance
                if clearance not in used:
                    used.append(clearance)
                break
        states.append(FindingState(finding, cleared_by))
    confirmed = screening.as_of == day or bool(getattr(screening, "confirmed_on_day", False))
    return ScreeningStatus(
        patient=patient,
        on=day,
        screening=screening,
        rescreen_days=rescreen_days,
        confirmed_for_visit=confirmed,
        findings=tuple(states),
        clearances=tuple(used),
        labels=_labels(screening),
    )
