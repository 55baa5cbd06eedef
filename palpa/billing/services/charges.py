"""Charge capture: a signed treatment note becomes a charge (units, codes, prices,
prepaid draws); a charge is recalculated, made ready (posted to the ledger) or voided
(``billing:charges``, ``billing:charge_*``)."""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from palpa.accounts.models import Location, User
from palpa.accounts.permissions import Capability, require
from palpa.audit.services import Action
from palpa.billing import capture
from palpa.billing.codes import load_codes
from palpa.billing.models import (
    Charge,
    ChargeLine,
    CodeMapping,
    Coverage,
    FeeScheduleEntry,
    LedgerEntry,
    LocationBilling,
    PatientPrepaid,
    PrepaidPlan,
    SelfPayPrice,
    ServicePrice,
    UnitRule,
)
from palpa.billing.money import DEFAULT_CURRENCY
from palpa.billing.queries import coverage_on
from palpa.billing.services._common import (
    ChargeRefused,
    Kind,
    Resp,
    _audit,
    _check_currency,
    _entry_detail,
    _lock_patient,
    _post,
)
from palpa.care.events import TreatmentNoteEnteredInError, TreatmentNoteSigned
from palpa.care.models import Plan, TreatmentNote
from palpa.core.tenancy import require_same_organization
from palpa.patients.models import Patient

logger = logging.getLogger(__name__)


def code_map(organization_id: int) -> dict[str, str | None]:
    """technique -> code for an organization: its own map over the code book's defaults."""
    book = load_codes()
    found: dict[str, str | None] = {t: entry.code for t, entry in book.techniques.items()}
    for technique, code in CodeMapping.objects.filter(organization_id=organization_id).values_list(
        "technique", "code"
    ):
        found[technique] = code or None
    return found


def _diagnoses(note: TreatmentNote) -> list[str]:
    """The ICD-10-CM codes of the visit's plan of care, primary first: the note's plan,
    else the patient's plan of care in effect on the visit date."""
    plan = note.plan_of_care
    if plan is None:
        plan = (
            Plan.objects.filter(
                patient_id=note.patient_id,
                status__in=[Plan.Status.ACTIVE, Plan.Status.COMPLETED, Plan.Status.SUPERSEDED],
                starts_on__lte=note.visit_date,
            )
            .order_by("-starts_on", "-version")
            .first()
        )
    if plan is None:
        return []
    codes = [d.code for d in plan.diagnoses.order_by("rank")]
    return codes[: capture.claim_form().max_diagnoses]


def _draw_from(patient: Patient, location: Location, on: dt.date) -> PatientPrepaid | None:
    """The package or membership this self-pay visit is drawn from (oldest first)."""
    candidates = (
        PatientPrepaid.objects.filter(
            patient=patient,
            status__in=[PatientPrepaid.Status.ACTIVE, PatientPrepaid.Status.ENDED],
            starts_on__lte=on,
        )
        .filter(Q(ends_on__isnull=True) | Q(ends_on__gte=on))
        .filter(Q(plan__location__isnull=True) | Q(plan__location=location))
        .order_by("starts_on", "pk")
    )
    for prepaid in candidates:
        if visits_left(prepaid, on) > 0:
            return prepaid
    return None


def visits_left(prepaid: PatientPrepaid, on: dt.date) -> int:
    """Visits left: of a package in all, of a membership in the month of ``on``."""
    draws = Charge.objects.filter(prepaid=prepaid).exclude(status=Charge.Status.VOID)
    if prepaid.kind == PrepaidPlan.Kind.MEMBERSHIP:
        draws = draws.filter(date_of_service__year=on.year, date_of_service__month=on.month)
    return max(prepaid.visits - draws.count(), 0)


def no_service_price(service: str, location: str) -> str:
    return (
        f"No self-pay price for {service} at {location}: set it under Billing → Settings → "
        "Service prices, then recalculate."
    )


def _compute(note: TreatmentNote) -> dict[str, Any]:
    """Everything a charge for ``note`` holds, from today's configuration."""
    coverage = coverage_on(note.patient, note.visit_date)
    payer = coverage.payer if coverage and coverage.kind == Coverage.Kind.INSURANCE else None
    if payer is not None:
        rule = payer.unit_rule
        prices = dict(
            FeeScheduleEntry.objects.filter(payer=payer).values_list("code", "unit_price")
        )
        currency = payer.currency
        modifiers = list(payer.modifiers)
        pointers = payer.diagnosis_pointers
    else:
        rule = UnitRule.CMS
        own = SelfPayPrice.objects.filter(location=note.location)
        prices = dict(own.values_list("code", "unit_price"))
        currency = own.values_list("currency", flat=True).first() or DEFAULT_CURRENCY
        modifiers = []
        pointers = capture.claim_form().max_pointers
    diagnoses = _diagnoses(note)
    techniques = [(t.technique, t.minutes) for t in note.techniques.all()]
    book = load_codes()
    draft = capture.build_charge(
        techniques,
        code_for=code_map(note.organization_id),
        timed_codes=book.timed_codes(),
        rule=rule,  # type: ignore[arg-type]
        prices=prices,
        modifiers=modifiers,
        diagnoses=len(diagnoses),
        max_pointers=pointers,
    )
    service, service_price = None, None
    if payer is None and note.appointment_id is not None:
        service = note.appointment.appointment_type  # type: ignore[union-attr]
        found = ServicePrice.objects.filter(
            location=note.location, appointment_type=service
        ).first()
        if found is not None:
            service_price, currency = found.price, found.currency
            draft = capture.price_per_service(draft, found.price)
        else:
            draft = capture.price_per_service(draft, Decimal(0))
            draft = capture.Draft(
                draft.lines,
                draft.total,
                (no_service_price(service.name, note.location.name), *draft.problems),
                draft.notes,
            )
    problems = list(draft.problems)
    npi = note.practitioner.npi
    if payer is not None and not npi:
        problems.append(f"{note.practitioner} has no NPI: insurers need the rendering NPI.")
    prepaid = (
        None if payer is not None else _draw_from(note.patient, note.location, note.visit_date)
    )
    if prepaid is not None and prepaid.plan.minutes_per_visit:
        minutes = sum(m for _, m in techniques)
        if minutes > prepaid.plan.minutes_per_visit:
            problems.append(
                f"The visit lasted {minutes} min; {prepaid.plan} covers "
                f"{prepaid.plan.minutes_per_visit} min a visit."
            )
    setting = LocationBilling.objects.filter(location=note.location).first()
    return {
        "header": {
            "coverage": coverage,
            "payer": payer,
            "unit_rule": rule,
            "service": service,
            "service_price": service_price,
            "diagnoses": diagnoses,
            "prepaid": prepaid,
            "rendering_provider": note.practitioner,
            "rendering_npi": npi,
            "location": note.location,
            "place_of_service": (
                setting.place_of_service
                if setting
                else capture.claim_form().default_place_of_service
            ),
            "date_of_service": note.visit_date,
            "total": draft.total,
            "currency": currency,
            "problems": problems,
            "codes_version": book.version,
        },
        "lines": draft.lines,
    }


def _write_lines(charge: Charge, lines: Iterable[capture.Line]) -> None:
    for position, line in enumerate(lines):
        ChargeLine.objects.create(
            organization_id=charge.organization_id,
            charge=charge,
            position=position,
            code=line.code,
            timed=line.timed,
            minutes=line.minutes,
            units=line.units,
            modifiers=list(line.modifiers),
            diagnosis_pointers=list(line.pointers),
            techniques=list(line.techniques),
            unit_price=line.unit_price,
            amount=line.amount,
        )


def _lines_detail(charge: Charge) -> list[dict[str, Any]]:
    return [
        {
            "code": line.code,
            "units": line.units,
            "minutes": line.minutes,
            "amount": str(line.amount),
        }
        for line in charge.lines.all()
    ]


def capture_note_charges(*, note: TreatmentNote, actor: User | None = None) -> Charge | None:
    """Create the charge of a signed note; the existing one if it was captured already.

    The note's signer is the actor of record unless one is given. Notes that are not
    signed are not charged (None)."""
    existing = Charge.objects.filter(note=note).first()
    if existing is not None:
        return existing
    if note.status != TreatmentNote.Status.SIGNED:
        return None
    who = actor or note.signed_by
    computed = _compute(note)
    charge = Charge(
        organization_id=note.organization_id, note=note, patient=note.patient, **computed["header"]
    )
    try:
        with transaction.atomic():
            charge.save()
            _write_lines(charge, computed["lines"])
            _audit(
                who,
                Action.CREATE,
                charge,
                note.patient,
                organization_id=note.organization_id,
                note=str(note.public_id),
                lines=_lines_detail(charge),
                total=str(charge.total),
                problems=charge.problems,
            )
    except IntegrityError:  # captured a moment ago by another worker: never twice
        found = Charge.objects.filter(note=note).first()
        if found is None:
            raise
        return found
    return charge


def on_note_signed(event: TreatmentNoteSigned) -> None:
    """Subscribed in BillingConfig.ready(); runs after the signing commits. A failure is
    logged and never undoes the signature: ``palpa capture_charges`` catches up."""
    try:
        note = TreatmentNote.objects.select_related("patient", "practitioner", "location").get(
            pk=event.note_id
        )
        capture_note_charges(note=note)
    except Exception:
        logger.exception("Charge capture failed for treatment note %s", event.note_id)


def on_note_entered_in_error(event: TreatmentNoteEnteredInError) -> None:
    try:
        charge = Charge.objects.filter(note_id=event.note_id).first()
        if charge is None or charge.status == Charge.Status.VOID:
            return
        actor = User.objects.get(pk=event.actor_id)
        _void(actor, charge, "The treatment note was entered in error.", in_error=True)
    except Exception:
        logger.exception("Voiding the charge of treatment note %s failed", event.note_id)


def capture_missing(*, organization_id: int | None = None) -> list[Charge]:
    """Capture every signed note that has no charge yet (after a failed capture)."""
    notes = TreatmentNote.objects.filter(
        status=TreatmentNote.Status.SIGNED, charge__isnull=True
    ).select_related("patient", "practitioner", "location", "signed_by")
    if organization_id is not None:
        notes = notes.filter(organization_id=organization_id)
    found = [capture_note_charges(note=note) for note in notes]
    return [c for c in found if c is not None]


def recalculate_charge(*, actor: User, charge: Charge) -> Charge:
    """Rebuild a charge still to review from today's configuration (a fee added, a
    coverage recorded late, a code re-mapped)."""
    require(actor, Capability.BILLING_REVIEW_CHARGES)
    require_same_organization(actor, charge)
    with transaction.atomic():
        locked = Charge.objects.select_for_update().get(pk=charge.pk)
        if locked.status != Charge.Status.TO_REVIEW:
            raise ChargeRefused(
                f"This charge is {locked.get_status_display().lower()}; only charges to "
                "review are recalculated."
            )
        before = _lines_detail(locked)
        computed = _compute(locked.note)
        for name, value in computed["header"].items():
            setattr(locked, name, value)
        locked.save()
        ChargeLine.objects.filter(charge=locked).delete()  # not yet posted: a draft
        _write_lines(locked, computed["lines"])
        _audit(
            actor,
            Action.UPDATE,
            locked,
            locked.patient,
            recalculated=True,
            before=before,
            after=_lines_detail(locked),
            total=str(locked.total),
        )
    return locked


def blocking_problems(charge: Charge) -> list[str]:
    """What stops a charge from being marked ready."""
    problems: list[str] = []
    lines = list(charge.lines.all())
    if charge.service_id is not None:
        if charge.service_price is None:
            problems.append(
                no_service_price(charge.service.name, charge.location.name)  # type: ignore[union-attr]
            )
    else:
        problems.extend(f"No price for {line.code}." for line in lines if line.unit_price is None)
    if charge.payer_id is not None:
        if not charge.rendering_npi:
            problems.append("The rendering provider has no NPI.")
        if not charge.diagnoses:
            problems.append("No diagnosis: link the note to a plan of care.")
        coverage = charge.coverage
        if coverage is not None and coverage.status == Coverage.Status.ENTERED_IN_ERROR:
            problems.append("The coverage was entered in error; recalculate.")
        elif (
            coverage is not None and coverage.ends_on and coverage.ends_on < charge.date_of_service
        ):
            problems.append("The coverage ended before this visit; recalculate.")
    return problems


def mark_charge_ready(*, actor: User, charge: Charge) -> Charge:
    """The biller has reviewed the charge: post it to the ledger (and, for a visit drawn
    from a package or membership, the matching prepaid credit)."""
    require(actor, Capability.BILLING_REVIEW_CHARGES)
    require_same_organization(actor, charge)
    with transaction.atomic():
        locked = Charge.objects.select_for_update().get(pk=charge.pk)
        if locked.status != Charge.Status.TO_REVIEW:
            raise ChargeRefused(f"This charge is {locked.get_status_display().lower()} already.")
        problems = blocking_problems(locked)
        if problems:
            raise ChargeRefused("Not ready: " + " ".join(problems))
        _lock_patient(locked.patient)
        batch = uuid.uuid4()
        posted: list[LedgerEntry] = []
        if locked.total > 0:
            _check_currency(locked.patient, locked.currency)
            posted.append(
                _post(
                    actor=actor,
                    patient=locked.patient,
                    kind=Kind.CHARGE,
                    amount=locked.total,
                    batch=batch,
                    responsibility=Resp.INSURER if locked.payer_id else Resp.PATIENT,
                    currency=locked.currency,
                    charge=locked,
                    payer=locked.payer,
                    memo=f"Visit {locked.date_of_service.isoformat()}",
                )
            )
            if locked.prepaid is not None:
                posted.append(
                    _post(
                        actor=actor,
                        patient=locked.patient,
                        kind=Kind.PREPAID_CREDIT,
                        amount=-locked.total,
                        batch=batch,
                        currency=locked.currency,
                        charge=locked,
                        prepaid=locked.prepaid,
                        memo=f"Drawn from {locked.prepaid.plan}",
                    )
                )
        locked.status = Charge.Status.READY
        locked.reviewed_by = actor
        locked.reviewed_at = timezone.now()
        locked.save(update_fields=["status", "reviewed_by", "reviewed_at", "updated_at"])
        _audit(
            actor,
            Action.UPDATE,
            locked,
            locked.patient,
            ready=True,
            posted=[_entry_detail(e) for e in posted],
        )
    return locked


def _void(actor: User, charge: Charge, reason: str, *, in_error: bool = False) -> Charge:
    with transaction.atomic():
        locked = Charge.objects.select_for_update().get(pk=charge.pk)
        if locked.status == Charge.Status.VOID:
            return locked
        _lock_patient(locked.patient)
        batch = uuid.uuid4()
        reversed_: list[LedgerEntry] = []
        for entry in LedgerEntry.objects.filter(charge=locked, reversed_by__isnull=True).exclude(
            kind=Kind.REVERSAL
        ):
            reversed_.append(
                _post(
                    actor=actor,
                    patient=locked.patient,
                    kind=Kind.REVERSAL,
                    amount=-entry.amount,
                    batch=batch,
                    responsibility=entry.responsibility,
                    currency=entry.currency,
                    charge=locked,
                    payer=entry.payer,
                    prepaid=entry.prepaid,
                    reverses=entry,
                    reason=(
                        LedgerEntry.Reason.NOTE_IN_ERROR
                        if in_error
                        else LedgerEntry.Reason.CORRECTION
                    ),
                    memo=reason[:300],
                )
            )
        previous = locked.status
        locked.status = Charge.Status.VOID
        locked.status_reason = reason[:300]
        locked.save(update_fields=["status", "status_reason", "updated_at"])
        _audit(
            actor,
            Action.DELETE,
            locked,
            locked.patient,
            voided=True,
            was=previous,
            reason=reason,
            reversed=[_entry_detail(e) for e in reversed_],
        )
    return locked


def void_charge(*, actor: User, charge: Charge, reason: str) -> Charge:
    """Void a charge (kept, with the reason); what was posted is reversed."""
    require(actor, Capability.BILLING_REVIEW_CHARGES)
    require_same_organization(actor, charge)
    if not reason.strip():
        raise ValidationError({"reason": "Say why the charge is void."})
    return _void(actor, charge, reason.strip())
