"""The only code that writes screenings, intake links, clearances and rule sets (what a
patient's screening allows on a date, ``screening_status``, is read in ``queries``).

Enforcement lives here too, called by the treatment-note services: ``require_can_start``,
``require_can_sign`` and ``check_technique``. Every write checks the actor's role and
organization, validates everything first, runs in one transaction and leaves one audit
entry.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
import uuid
from collections.abc import Mapping, Sequence
from pathlib import PurePath
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from palpa.accounts.backends import forget_read_with_account
from palpa.accounts.models import User
from palpa.accounts.permissions import Capability, require
from palpa.audit.services import Action, record
from palpa.core import ratelimit
from palpa.core.dates import local_today
from palpa.core.errors import Refused
from palpa.core.tenancy import require_same_organization
from palpa.core.uploads import checked_document
from palpa.patients import messages as ledger
from palpa.patients.models import MessageKind, Patient, PatientMessage
from palpa.referrals.models import Physician
from palpa.screening.engine import screen
from palpa.screening.facts import FactsError, parse_facts
from palpa.screening.mapping import implied_techniques, screening_regions
from palpa.screening.models import (
    Clearance,
    IntakeLink,
    RuleSetVersion,
    Screening,
    ScreeningPolicy,
    VisitConfirmation,
)

# Re-exported for billing and scheduling, which still import these reads from here (they
# live in ``queries``; switch those imports, then drop these lines).
from palpa.screening.queries import (
    BLOCKING,
    POLICY_READ,
    FindingState,
    ScreeningStatus,
    current_rule_set_version,
    evidence_of,
    policy_for,
    rule_set_in_force,
    screening_status,
)
from palpa.screening.rules import (
    ALL_TECHNIQUES,
    WHOLE_BODY,
    RuleSetError,
    default_rule_set,
    default_rule_set_document,
    load_rule_set,
    shipped_versions,
)

DEFAULT_LETTER_MAX_BYTES = 5 * 1024 * 1024
MIN_OVERRIDE_REASON = 20


class ScreeningRefused(Refused):
    """Treatment is not allowed by the patient's screening; the message says why and what
    to do."""

    code = "screening"


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
    require_same_organization(actor, patient)
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
    require_same_organization(actor, patient)
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
    require_same_organization(actor, patient)
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


def reissue_intake_link(
    *,
    actor_label: str,
    patient: Patient,
    public_id: uuid.UUID | str,
    detail: Mapping[str, str] | None = None,
) -> tuple[IntakeLink, str]:
    """The patient, signed in to their portal (no staff account: ``actor_label`` names who
    acts), opens an intake link the clinic sent them: a fresh one-time link replaces it and
    the old one stops working at once. The new link keeps the old one's expiry (the clinic's
    request does not last longer), the answers saved on it so far, and the member who sent
    it; a re-screen starts from the previous answers as every link does. Returns the link
    and its token. Raises ``IntakeLink.DoesNotExist`` unless ``public_id`` names an unused,
    unexpired link of this patient."""
    _active_patient(patient)
    now = timezone.now()
    with transaction.atomic():
        old = (
            IntakeLink.objects.select_for_update()
            .filter(
                organization_id=patient.organization_id,
                patient=patient,
                public_id=public_id,
                used_at__isnull=True,
                expires_at__gt=now,
            )
            .first()
        )
        if old is None:
            raise IntakeLink.DoesNotExist
        token = secrets.token_urlsafe(32)
        link = IntakeLink(
            organization_id=patient.organization_id,
            patient=patient,
            token_hash=_token_hash(token),
            expires_at=old.expires_at,
            created_by_id=old.created_by_id,
            draft=old.draft,
        )
        IntakeLink.objects.filter(patient=patient, used_at__isnull=True, expires_at__gt=now).update(
            expires_at=now, draft={}
        )
        link.save()
        record(
            actor=None,
            action=Action.CREATE,
            organization=patient.organization,
            obj=link,
            patient_id=str(patient.public_id),
            detail={
                "opened from": "portal",
                "replaced": str(old.public_id),
                "expires_at": link.expires_at.isoformat(),
                **(detail or {}),
            },
            actor_label=actor_label,
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
    require_same_organization(actor, patient)
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
    require_same_organization(actor, screening, physician)
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
    require_same_organization(actor, screening)
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
    forget_read_with_account(actor, POLICY_READ)
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
