"""The only code that writes screenings, intake links, clearances and rule sets, and the one
place that says what a patient's screening allows on a date (``screening_status``).

Enforcement lives here too, called by the treatment-note services: ``require_can_start``,
``require_can_sign`` and ``check_technique``. Every write checks the actor's role and
organization, validates everything first, runs in one transaction and leaves one audit
entry.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import secrets
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import PurePath
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from palpa.accounts.models import User
from palpa.accounts.permissions import Capability, require
from palpa.audit.services import Action, record
from palpa.core import ratelimit
from palpa.core.dates import local_today
from palpa.core.errors import Refused
from palpa.core.uploads import checked_document
from palpa.patients import messages as ledger
from palpa.patients.models import MessageKind, Patient, PatientMessage
from palpa.referrals.models import Physician
from palpa.screening import questionnaire as q
from palpa.screening.engine import screen
from palpa.screening.facts import FactsError, parse_facts
from palpa.screening.mapping import implied_techniques, screening_regions
from palpa.screening.models import (
    DEFAULT_INTAKE_LINK_DAYS,
    DEFAULT_RESCREEN_DAYS,
    Clearance,
    IntakeLink,
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
    default_rule_set_document,
    load_rule_set,
    shipped_rule_set,
    shipped_versions,
)

BLOCKING = ("CLEARANCE", "STOP")
DEFAULT_LETTER_MAX_BYTES = 5 * 1024 * 1024
MIN_OVERRIDE_REASON = 20


class ScreeningRefused(Refused):
    """Treatment is not allowed by the patient's screening; the message says why and what
    to do."""

    code = "screening"


# --- settings and rule sets ----------------------------------------------------------


@dataclass(frozen=True)
class Policy:
    rescreen_days: int
    intake_link_days: int


def policy_for(organization_id: int) -> Policy:
    """The organization's timings, else the deployment's settings, else 90 and 7 days."""
    row = ScreeningPolicy.objects.filter(organization_id=organization_id).first()
    if row is not None:
        return Policy(row.rescreen_days, row.intake_link_days)
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


def _same_org(actor: User, *objs: Any) -> None:
    for obj in objs:
        if obj.organization_id != actor.organization_id:
            raise PermissionDenied("This record belongs to another organization.")


def _active_patient(patient: Patient) -> None:
    if patient.status != Patient.Status.ACTIVE:
        raise ValidationError(
            {"patient": f"The patient's record is {patient.get_status_display().lower()}."}
        )


# --- screening -----------------------------------------------------------------------


def _facts_document(patient: Patient, facts: Mapping[str, Any], as_of: dt.date) -> dict[str, Any]:
    doc = dict(facts)
    doc.setdefault("as_of", as_of.isoformat())
    if doc.get("date_of_birth") is None:
        doc["date_of_birth"] = patient.date_of_birth.isoformat()
    return doc


def _screen(
    patient: Patient, doc: dict[str, Any]
) -> tuple[dict[str, Any], RuleSetVersion | None, dt.date]:
    """Validate the facts (errors name ``facts.<path>``) and run the rules in force."""
    rule_set, stored = rule_set_in_force(patient.organization_id)
    try:
        facts = parse_facts(doc, regions=rule_set.regions)
    except FactsError as exc:
        raise ValidationError({f"facts.{e.path}": e.message for e in exc.errors}) from exc
    if facts.as_of > local_today(patient):
        raise ValidationError({"facts.as_of": "A screening is for today or a past visit."})
    return screen(facts, rule_set).as_json(), stored, facts.as_of


def _audit_screening(actor: User | None, screening: Screening, **extra: Any) -> None:
    record(
        actor=actor,
        action=Action.CREATE,
        organization=screening.patient.organization if actor is None else None,
        obj=screening,
        patient_id=str(screening.patient.public_id),
        detail={
            "decision": screening.decision,
            "urgency": screening.urgency,
            "rule_set_version": screening.rule_set_version,
            "source": screening.source,
            "as_of": screening.as_of.isoformat(),
            **extra,
        },
        actor_label="" if actor is not None else "patient (intake link)",
    )


def _new_screening(
    patient: Patient,
    doc: dict[str, Any],
    *,
    source: str,
    questionnaire_version: str,
    screened_by: User | None,
    intake_link: IntakeLink | None = None,
) -> Screening:
    result, stored, as_of = _screen(patient, doc)
    return Screening(
        organization_id=patient.organization_id,
        patient=patient,
        as_of=as_of,
        facts=doc,
        questionnaire_version=questionnaire_version,
        source=source,
        intake_link=intake_link,
        rule_set=stored,
        rule_set_version=result["rule_set_version"],
        decision=result["decision"],
        urgency=result["urgency"],
        result=result,
        screened_by=screened_by,
    )


def record_screening(
    *,
    actor: User,
    patient: Patient,
    facts: Mapping[str, Any],
    questionnaire_version: str = "",
) -> Screening:
    """Staff enter (or update) the health history; the rules in force judge it at once.

    ``facts`` follows the schema in docs/screening.md; ``as_of`` defaults to today and
    ``date_of_birth`` to the patient's. Errors name the field as ``facts.<path>``.
    """
    require(actor, Capability.CLINICAL_WRITE)
    _same_org(actor, patient)
    _active_patient(patient)
    doc = _facts_document(patient, facts, local_today(patient))
    screening = _new_screening(
        patient,
        doc,
        source=Screening.Source.STAFF,
        questionnaire_version=questionnaire_version,
        screened_by=actor,
    )
    with transaction.atomic():
        screening.save()
        _audit_screening(actor, screening)
    return screening


def record_blood_pressure(
    *,
    actor: User,
    patient: Patient,
    systolic: int,
    diastolic: int,
    measured_on: dt.date,
    symptoms: Sequence[str] = (),
) -> Screening:
    """At a visit: a measured blood pressure, screened at once with the rest of the health
    history in force (which the therapist confirms unchanged). The new screening is for
    today and keeps the day the whole history was taken, so a re-screen falls due as
    before. Refused without a screening in force, or when a full re-screen is due.
    Errors name ``blood_pressure.<field>``."""
    require(actor, Capability.CLINICAL_WRITE)
    _same_org(actor, patient)
    _active_patient(patient)
    today = local_today(patient)
    status = screening_status(patient, on=today)
    if status.screening is None:
        raise ScreeningRefused(
            "There is no health history to add the reading to: screen the health history "
            "(with the blood pressure) first."
        )
    if status.due:
        raise ScreeningRefused(
            f"A full re-screen is due (the last was on {status.screening.as_of.isoformat()}): "
            "re-screen the health history with the blood pressure instead."
        )
    base = status.screening
    doc = {k: v for k, v in base.facts.items() if k != "as_of"}
    reading: dict[str, Any] = {
        "systolic": systolic,
        "diastolic": diastolic,
        "measured_on": measured_on.isoformat(),
    }
    if symptoms:
        reading["symptoms"] = list(symptoms)
    doc["blood_pressure"] = reading
    doc = _facts_document(patient, doc, today)
    try:
        screening = _new_screening(
            patient,
            doc,
            source=Screening.Source.STAFF,
            questionnaire_version=base.questionnaire_version,
            screened_by=actor,
        )
    except ValidationError as exc:
        raise ValidationError(
            {k.removeprefix("facts."): v for k, v in exc.message_dict.items()}
        ) from exc
    screening.history_on = base.history_on or base.as_of
    with transaction.atomic():
        screening.save()
        _audit_screening(
            actor,
            screening,
            blood_pressure=reading,
            history_from=str(base.public_id),
        )
    return screening


def audit_screening_read(*, actor: User, patient: Patient, what: str) -> None:
    record(
        actor=actor,
        action=Action.READ,
        obj=patient,
        patient_id=str(patient.public_id),
        detail={"view": what},
    )


# --- intake links --------------------------------------------------------------------


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_intake_link(*, actor: User, patient: Patient) -> tuple[IntakeLink, str]:
    """A one-time link for the patient; returns the link and its token (shown only now).

    Earlier unused links of the patient stop working."""
    require(actor, Capability.SCREENING_SEND_INTAKE)
    _same_org(actor, patient)
    _active_patient(patient)
    token = secrets.token_urlsafe(32)
    now = timezone.now()
    days = policy_for(patient.organization_id).intake_link_days
    link = IntakeLink(
        organization_id=patient.organization_id,
        patient=patient,
        token_hash=_token_hash(token),
        expires_at=now + dt.timedelta(days=days),
        created_by=actor,
    )
    with transaction.atomic():
        IntakeLink.objects.filter(patient=patient, used_at__isnull=True, expires_at__gt=now).update(
            expires_at=now, draft={}
        )
        link.save()
        record(
            actor=actor,
            action=Action.CREATE,
            obj=link,
            patient_id=str(patient.public_id),
            detail={"expires_at": link.expires_at.isoformat()},
        )
    return link, token


def send_intake_link(
    *, actor: User, patient: Patient, resend_of: PatientMessage | None = None
) -> tuple[IntakeLink, str, list[PatientMessage]]:
    """A new intake link (as ``create_intake_link``), sent to the patient through the
    message ledger by the channels their consent allows; returns the link, its token (for
    the page that shows it to staff once) and the messages recorded."""
    with transaction.atomic():
        link, token = create_intake_link(actor=actor, patient=patient)
        url = ledger.site_url() + reverse("intake:form", args=[token])
        sent = ledger.send_message(
            actor=actor,
            patient=patient,
            kind=MessageKind.INTAKE_LINK,
            values={"expires": ledger.day_text(link.expires_at, patient)},
            link=url,
            about=f"intake_link:{link.public_id}",
            resend_of=resend_of,
        )
    return link, token, sent


def resend_intake_link(actor: User, message: PatientMessage) -> list[PatientMessage]:
    """The ledger's resend of an intake link: a fresh link (the old one stops working)."""
    _link, _token, sent = send_intake_link(actor=actor, patient=message.patient, resend_of=message)
    return sent


def find_intake_link(token: str) -> IntakeLink | None:
    """The link for a token if it can still be used (known, unused, unexpired, and the
    patient's record active)."""
    if not token or len(token) > 100:
        return None
    return (
        IntakeLink.objects.select_related("patient", "organization")
        .filter(
            token_hash=_token_hash(token),
            used_at__isnull=True,
            expires_at__gt=timezone.now(),
            patient__status=Patient.Status.ACTIVE,
        )
        .first()
    )


def submit_intake(*, token: str, facts: Mapping[str, Any], questionnaire_version: str) -> Screening:
    """The patient's answers, through their link: screened at once; the link is used up.

    Raises ``Refused`` if the link cannot be used (unknown, used or expired) and
    ``ValidationError`` for bad answers (the link stays usable)."""
    with transaction.atomic():
        link = (
            IntakeLink.objects.select_for_update()
            .filter(
                token_hash=_token_hash(token),
                used_at__isnull=True,
                expires_at__gt=timezone.now(),
            )
            .first()
        )
        if link is None:
            raise Refused("This link cannot be used.")
        patient = Patient.objects.get(pk=link.patient_id)
        _active_patient(patient)
        today = local_today(patient)  # the patient's clinic's day, not the server's
        doc = _facts_document(patient, facts, today)
        doc["as_of"] = today.isoformat()
        screening = _new_screening(
            patient,
            doc,
            source=Screening.Source.PATIENT_LINK,
            questionnaire_version=questionnaire_version,
            screened_by=None,
            intake_link=link,
        )
        link.used_at = timezone.now()
        link.draft = {}  # the answers are in the screening now
        link.save(update_fields=["used_at", "draft", "updated_at"])
        screening.save()
        _audit_screening(None, screening, intake_link=str(link.public_id))
    return screening


DRAFT_VALUES_PER_FIELD = 50
DRAFT_VALUE_LENGTH = 1000


def save_intake_draft(
    *, token: str, data: Mapping[str, Sequence[str]], step: int, from_last_time: bool = False
) -> IntakeLink:
    """Keep the patient's answers so far (one step's worth at a time) on their link, so
    they can stop and come back with the same link before it expires. ``data`` is the
    form's raw values by field name; ``step`` the step to show next. Audited as the
    patient's write.

    Raises ``Refused`` if the link cannot be used (unknown, used or expired)."""
    kept = {
        str(name)[:100]: [str(v)[:DRAFT_VALUE_LENGTH] for v in values][:DRAFT_VALUES_PER_FIELD]
        for name, values in data.items()
    }
    with transaction.atomic():
        link = (
            IntakeLink.objects.select_for_update()
            .select_related("patient")
            .filter(
                token_hash=_token_hash(token),
                used_at__isnull=True,
                expires_at__gt=timezone.now(),
                patient__status=Patient.Status.ACTIVE,
            )
            .first()
        )
        if link is None:
            raise Refused("This link cannot be used.")
        link.draft = {"data": kept, "step": int(step), "from_last_time": bool(from_last_time)}
        link.save(update_fields=["draft", "updated_at"])
        record(
            actor=None,
            action=Action.UPDATE,
            organization=link.organization,
            obj=link,
            patient_id=str(link.patient.public_id),
            detail={"answers saved": "intake step", "next step": int(step)},
            actor_label="patient (intake link)",
        )
    return link


def allow_intake_request(client_address: str, link_id: object | None = None) -> bool:
    """Count a request to an intake link; False once over the limit. A usable link
    (``link_id``) counts on its own, an unknown token against the address:
    ``PALPA_INTAKE_RATE_LIMIT`` requests (default 60: a step is two requests) per
    ``PALPA_INTAKE_RATE_WINDOW_MINUTES`` (default 15)."""
    return ratelimit.allow(
        "intake",
        ratelimit.key_for_link(client_address, link_id),
        limit=int(getattr(settings, "PALPA_INTAKE_RATE_LIMIT", 60)),
        window_minutes=int(getattr(settings, "PALPA_INTAKE_RATE_WINDOW_MINUTES", 15)),
    )


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
    return (
        Screening.objects.filter(patient=patient, status=Screening.Status.VALID, as_of__lte=on)
        .select_related("rule_set", "screened_by")
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


def screening_status(patient: Patient, *, on: dt.date | None = None) -> ScreeningStatus:
    """The single source of a patient's screening decision on a date (default: today):
    the latest valid screening on or before it, whether a re-screen is due, the
    clearances and overrides in effect and which findings they clear, the restrictions
    in force, and whether the visit's "no change" check is done."""
    day = on or local_today(patient)
    rescreen_days = policy_for(patient.organization_id).rescreen_days
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
    confirmed = (
        screening.as_of == day
        or VisitConfirmation.objects.filter(patient=patient, screening=screening, on=day).exists()
    )
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


# --- enforcement (called by the treatment-note services) -------------------------------


def require_can_start(*, patient: Patient, on: dt.date) -> None:
    """Refuse to start a treatment note when the screening stops all massage that day
    (a whole-body STOP or an emergency) and no physician has cleared it."""
    refusal = screening_status(patient, on=on).start_refusal
    if refusal:
        raise ScreeningRefused(refusal)


def require_can_sign(*, patient: Patient, on: dt.date) -> None:
    """Refuse to sign a visit's note unless the screening allows treatment that day."""
    refusal = screening_status(patient, on=on).sign_refusal
    if refusal:
        raise ScreeningRefused(refusal)


def _conflicts(
    status: ScreeningStatus,
    regions: set[str],
    implied: Mapping[str, Sequence[str]],
    field_for: Mapping[str, str],
) -> dict[str, list[str]]:
    """The one restriction check: what ``implied`` (screening technique codes by the field
    that implies them) breaks on ``regions``, by a finding not lifted, in words naming the
    screening's date, the restriction and the rule. ``field_for`` names the error's field
    for "region" (massage of any kind ruled out there) and each field of ``implied``."""
    errors: dict[str, list[str]] = {}
    if status.screening is None:
        return errors
    as_of = status.screening.as_of.isoformat()

    def refuse(field_name: str, what: str, where: str, f: FindingState) -> None:
        place = "anywhere" if where == WHOLE_BODY else f"on the {status.region_label(where)}"
        message = (
            f"The screening of {as_of} rules out {what} {place} (rule {f.rule_id}: {f.title})."
        )
        if message not in errors.setdefault(field_for[field_name], []):
            errors[field_for[field_name]].append(message)

    for f in status.findings:
        if f.lifted:
            continue
        for where, codes in f.restrictions.items():
            if where not in regions:
                continue
            if ALL_TECHNIQUES in codes:
                refuse("region", "massage of any kind", where, f)
                continue
            for field_name, implied_codes in implied.items():
                for code in implied_codes:
                    if code in codes:
                        refuse(field_name, status.technique_label(code), where, f)
    return errors


def check_technique(
    *,
    patient: Patient,
    on: dt.date,
    technique: str,
    region: str,
    side: str,
    pressure: str,
    tool: str,
) -> None:
    """Raise ``ValidationError`` naming the field (``region``, ``technique``, ``pressure``
    or ``tool``) when the entry breaks a restriction in force, with the rule behind it."""
    status = screening_status(patient, on=on)
    errors = _conflicts(
        status,
        {*screening_regions(region, side), WHOLE_BODY},
        implied_techniques(technique, pressure, tool),
        {name: name for name in ("region", "technique", "pressure", "tool")},
    )
    if errors:
        raise ValidationError(errors)


def check_planned_techniques(
    *, patient: Patient, on: dt.date, techniques: Sequence[str], field_name: str = "techniques"
) -> None:
    """A plan of care's techniques against the restrictions in force on ``on``: a plan
    names no region, so a technique is refused where a restriction applies anywhere
    (``whole_body``), with the treatment note's words. ``ValidationError`` on
    ``field_name``."""
    status = screening_status(patient, on=on)
    errors: dict[str, list[str]] = {}
    for technique in techniques:
        found = _conflicts(
            status,
            {WHOLE_BODY},
            implied_techniques(technique, "light", "none"),
            {"region": field_name, "technique": field_name},
        )
        for message in found.get(field_name, []):
            if message not in errors.setdefault(field_name, []):
                errors[field_name].append(message)
    if errors:
        raise ValidationError(errors)


# --- visits, clearances, overrides ---------------------------------------------------


def confirm_no_change(*, actor: User, patient: Patient, on: dt.date) -> VisitConfirmation:
    """At a visit: the health history is as screened (the screening stays in force)."""
    require(actor, Capability.CLINICAL_WRITE)
    _same_org(actor, patient)
    if on > local_today(patient):
        raise ValidationError({"on": "Confirm on the day of the visit, not before."})
    status = screening_status(patient, on=on)
    if status.screening is None:
        raise ScreeningRefused("There is no screening to confirm: screen the health history.")
    if status.due:
        raise ScreeningRefused(
            f"The screening of {status.screening.as_of.isoformat()} is more than "
            f"{status.rescreen_days} days old: a full re-screen is due instead."
        )
    confirmation = VisitConfirmation(
        organization_id=patient.organization_id,
        patient=patient,
        screening=status.screening,
        on=on,
        confirmed_by=actor,
    )
    with transaction.atomic():
        confirmation.save()
        record(
            actor=actor,
            action=Action.CREATE,
            obj=confirmation,
            patient_id=str(patient.public_id),
            detail={"on": on.isoformat(), "screening": str(status.screening.public_id)},
        )
    return confirmation


def _covered(
    screening: Screening, rule_ids: Sequence[str] | None, allowed: Sequence[str]
) -> dict[str, str]:
    findings = {f["rule_id"]: f for f in screening.result.get("findings", [])}
    eligible = [rid for rid, f in findings.items() if f["decision"] in allowed]
    chosen = list(rule_ids) if rule_ids else eligible
    unknown = [rid for rid in chosen if rid not in findings]
    if unknown:
        raise ValidationError(
            {"rule_ids": f"Not findings of this screening: {', '.join(unknown)}."}
        )
    not_allowed = [rid for rid in chosen if rid not in eligible]
    if not_allowed:
        raise ValidationError(
            {
                "rule_ids": "Only findings that need clearance can be cleared here "
                f"({', '.join(not_allowed)} cannot)."
            }
        )
    if not chosen:
        raise Refused("This screening has no finding that needs clearing.")
    return {rid: evidence_of(screening.facts, findings[rid]) for rid in chosen}


def _letter_checked(letter: UploadedFile[bytes] | None) -> tuple[str, str, bytes]:
    """The letter's content type, extension and bytes, or ValidationError on ``letter``."""
    if letter is None:
        raise ValidationError({"letter": "Attach the physician's letter (PDF, PNG or JPEG)."})
    limit = int(getattr(settings, "PALPA_CLEARANCE_LETTER_MAX_BYTES", DEFAULT_LETTER_MAX_BYTES))
    if letter.size is not None and letter.size > limit:
        raise ValidationError({"letter": f"The letter is larger than {limit // (1024 * 1024)} MB."})
    content = letter.read(limit + 1)
    if len(content) > limit:
        raise ValidationError({"letter": f"The letter is larger than {limit // (1024 * 1024)} MB."})
    if not content:
        raise ValidationError({"letter": "The letter is empty."})
    content_type, extension = checked_document(content, field="letter", label="The letter")
    return content_type, extension, content


def _original_name(letter: UploadedFile[bytes]) -> str:
    name = PurePath(str(letter.name or "letter")).name
    return re.sub(r"[^\w.\- ]", "_", name)[:200] or "letter"


def record_clearance(
    *,
    actor: User,
    screening: Screening,
    physician: Physician,
    cleared_on: dt.date,
    scope: str,
    letter: UploadedFile[bytes] | None,
    conditions: str = "",
    valid_until: dt.date | None = None,
    rule_ids: Sequence[str] | None = None,
) -> Clearance:
    """A physician's clearance for a screening's CLEARANCE (and STOP) findings, with the
    letter. By default it clears every such finding; ``rule_ids`` chooses some."""
    require(actor, Capability.CLINICAL_WRITE)
    _same_org(actor, screening, physician)
    errors: dict[str, list[str]] = {}
    if not physician.active:
        errors["physician"] = ["This physician is no longer active in the directory."]
    if cleared_on > local_today(screening.patient):
        errors["cleared_on"] = ["The clearance date cannot be in the future."]
    if valid_until is not None and valid_until < cleared_on:
        errors["valid_until"] = ["A clearance cannot end before it was given."]
    if not scope.strip():
        errors["scope"] = ["Say what the physician cleared (e.g. 'massage, light pressure')."]
    if errors:
        raise ValidationError(errors)
    covered = _covered(screening, rule_ids, BLOCKING)
    content_type, extension, content = _letter_checked(letter)
    assert letter is not None
    clearance = Clearance(
        organization_id=screening.organization_id,
        patient_id=screening.patient_id,
        screening=screening,
        kind=Clearance.Kind.PHYSICIAN,
        covered=covered,
        physician=physician,
        cleared_on=cleared_on,
        valid_until=valid_until,
        scope=scope.strip(),
        conditions=conditions.strip(),
        letter_name=_original_name(letter),
        letter_content_type=content_type,
        letter_size=len(content),
        letter_sha256=hashlib.sha256(content).hexdigest(),
        recorded_by=actor,
    )
    with transaction.atomic():
        clearance.letter.save(f"{uuid.uuid4().hex}.{extension}", ContentFile(content), save=False)
        clearance.save()
        record(
            actor=actor,
            action=Action.CREATE,
            obj=clearance,
            patient_id=str(screening.patient.public_id),
            detail={
                "kind": clearance.kind,
                "screening": str(screening.public_id),
                "rule_ids": sorted(covered),
                "physician": str(physician.public_id),
                "cleared_on": cleared_on.isoformat(),
                "letter_sha256": clearance.letter_sha256,
            },
        )
    return clearance


def override_clearance(
    *, actor: User, screening: Screening, reason: str, rule_ids: Sequence[str] | None = None
) -> Clearance:
    """An owner lets treatment go ahead without a physician's clearance, in writing.

    Only CLEARANCE findings can be overridden; a STOP needs a physician."""
    require(actor, Capability.SCREENING_OVERRIDE, "Only an owner may override a clearance.")
    _same_org(actor, screening)
    if len(reason.strip()) < MIN_OVERRIDE_REASON:
        raise ValidationError(
            {"reason": f"Write the reason in full (at least {MIN_OVERRIDE_REASON} characters)."}
        )
    findings = {f["rule_id"]: f for f in screening.result.get("findings", [])}
    stops = [rid for rid in rule_ids or () if findings.get(rid, {}).get("decision") == "STOP"]
    if stops:
        raise ValidationError(
            {"rule_ids": f"A STOP cannot be overridden; it needs a physician ({', '.join(stops)})."}
        )
    covered = _covered(screening, rule_ids, ("CLEARANCE",))
    clearance = Clearance(
        organization_id=screening.organization_id,
        patient_id=screening.patient_id,
        screening=screening,
        kind=Clearance.Kind.OVERRIDE,
        covered=covered,
        cleared_on=local_today(screening.patient),
        reason=reason.strip(),
        recorded_by=actor,
    )
    with transaction.atomic():
        clearance.save()
        record(
            actor=actor,
            action=Action.CREATE,
            obj=clearance,
            patient_id=str(screening.patient.public_id),
            detail={
                "kind": clearance.kind,
                "screening": str(screening.public_id),
                "rule_ids": sorted(covered),
                "reason": clearance.reason,
            },
        )
    return clearance


def audit_letter_read(*, actor: User, clearance: Clearance) -> None:
    record(
        actor=actor,
        action=Action.READ,
        obj=clearance,
        patient_id=str(clearance.screening.patient.public_id),
        detail={"letter": clearance.letter_name},
    )


# --- organization rule sets and policy -----------------------------------------------


def _require_owner(actor: User) -> None:
    require(actor, Capability.SCREENING_MANAGE_RULES)


def publish_rule_set(*, actor: User, document: Mapping[str, Any], reason: str) -> RuleSetVersion:
    """A new version of the organization's rules (the whole document); in force at once
    for new screenings, while stored screenings keep the version that produced them."""
    _require_owner(actor)
    assert actor.organization_id is not None
    errors: dict[str, list[str]] = {}
    if not reason.strip():
        errors["reason"] = ["Say why the rules change."]
    try:
        rule_set = load_rule_set(dict(document))
    except RuleSetError as exc:
        errors["document"] = list(exc.errors)
        raise ValidationError(errors) from exc
    default = default_rule_set()
    extra_regions = sorted(set(rule_set.regions) - set(default.regions))
    extra_techniques = sorted(set(rule_set.techniques) - set(default.techniques))
    if extra_regions or extra_techniques:
        errors.setdefault("document", []).append(
            "regions and techniques must be Palpa's own (treatment notes are checked against "
            f"them); unknown: {', '.join(extra_regions + extra_techniques)}"
        )
    if (
        rule_set.version in shipped_versions()
        or RuleSetVersion.objects.filter(
            organization_id=actor.organization_id, version=rule_set.version
        ).exists()
    ):
        errors.setdefault("document", []).append(
            f"version: {rule_set.version!r} is already used; every change needs a new version"
        )
    if errors:
        raise ValidationError(errors)
    stored = RuleSetVersion(
        organization_id=actor.organization_id,
        version=rule_set.version,
        name=rule_set.name,
        document=dict(document),
        reason=reason.strip(),
        created_by=actor,
    )
    with transaction.atomic():
        stored.save()
        record(
            actor=actor,
            action=Action.SETTINGS,
            obj=stored,
            detail={
                "rule_set_version": stored.version,
                "rules": len(rule_set.rules),
                "reason": stored.reason,
            },
        )
    return stored


def rule_set_document(organization_id: int) -> dict[str, Any]:
    stored = current_rule_set_version(organization_id)
    return dict(stored.document) if stored is not None else default_rule_set_document()


def set_screening_policy(
    *, actor: User, rescreen_days: int, intake_link_days: int
) -> ScreeningPolicy:
    _require_owner(actor)
    assert actor.organization_id is not None
    policy = ScreeningPolicy.objects.filter(organization_id=actor.organization_id).first()
    policy = policy or ScreeningPolicy(organization_id=actor.organization_id)
    before = {"rescreen_days": policy.rescreen_days, "intake_link_days": policy.intake_link_days}
    policy.rescreen_days = rescreen_days
    policy.intake_link_days = intake_link_days
    policy.full_clean(exclude=["organization"])
    with transaction.atomic():
        policy.save()
        record(
            actor=actor,
            action=Action.SETTINGS,
            obj=policy,
            detail={
                "from": before,
                "to": {"rescreen_days": rescreen_days, "intake_link_days": intake_link_days},
            },
        )
    return policy
