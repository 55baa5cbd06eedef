"""Demo referrals: every state of a referral on the demo clinic's patients.

Run after the care data: the notes were signed before these referrals existed, so each
referral's signed notes within its dates are counted here (``count_visit``), as they
would have been at signing.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from django.core.files.uploadedfile import SimpleUploadedFile

from palpa.accounts.models import Organization, User
from palpa.care.models import Diagnosis, TreatmentNote
from palpa.demo.data import clearance_letter_pdf
from palpa.patients.models import Patient
from palpa.referrals.models import Physician, Referral
from palpa.referrals.services import cancel_referral, count_visit, record_referral

LYMPHEDEMA = ("I89", "I97", "Q82")
# Diagnoses and the physician's words, by physician (in directory order).
ORDERS = [
    (
        ["M54.50", "M62.830"],
        "Medical massage",
        "2x/week x 6 weeks",
        "No deep pressure over the lumbar spine in the first week.",
    ),
    (["M54.2", "M79.12"], "Medical massage, myofascial release", "1x/week x 8 weeks", ""),
    (
        ["I89.0"],
        "Manual lymphatic drainage",
        "3x/week x 4 weeks",
        "No massage over the port; light pressure only.",
    ),
]


@dataclass(frozen=True)
class Plan:
    """One demo referral: visits left after the counted notes, days to expiry, whether
    it is cancelled and why."""

    state: str
    extra_visits: int
    expires_in: int
    cancel: str = ""


PLANS = [
    Plan("active", 6, 45),
    Plan("near exhaustion", 2, 30),  # the warning shows: 2 visits left
    Plan("expiring", 7, 5),  # the warning shows: 5 days left
    Plan("exhausted", 0, 20),
    Plan("expired", 3, -1),
    Plan("cancelled", 4, 30, "The physician withdrew the referral: the patient changed practices."),
]


def _signed_visits(org: Organization) -> dict[int, list[TreatmentNote]]:
    notes: dict[int, list[TreatmentNote]] = defaultdict(list)
    signed = TreatmentNote.objects.filter(
        organization=org, status=TreatmentNote.Status.SIGNED
    ).order_by("visit_date", "pk")
    for note in signed:
        notes[note.patient_id].append(note)
    return notes


def give_referrals(org: Organization, today: dt.date) -> list[Referral]:
    """Referrals for demo patients in every state; returns them in ``PLANS`` order, then
    one fresh referral for a patient not yet seen."""
    front_desk = User.objects.get(organization=org, role="front_desk")
    physicians = list(Physician.objects.filter(organization=org).order_by("pk"))
    notes = _signed_visits(org)
    patients = list(Patient.objects.filter(organization=org).order_by("mrn"))
    treated = [p for p in patients if len(notes.get(p.pk, [])) >= 3]
    made: list[Referral] = []
    for index, (plan, patient) in enumerate(zip(PLANS, treated, strict=False)):
        visits = notes[patient.pk]
        expires_on = today + dt.timedelta(days=plan.expires_in)
        if plan.expires_in < 0:  # lapsed: its last counted visit was its last day
            expires_on = min(expires_on, visits[-1].visit_date)
        within = [n for n in visits if n.visit_date <= expires_on]
        made.append(
            _referral(
                front_desk,
                patient,
                physicians,
                index,
                starts_on=visits[0].visit_date,
                expires_on=expires_on,
                visits_authorized=len(within) + plan.extra_visits,
            )
        )
        for note in within:
            count_visit(
                actor=front_desk,
                patient=patient,
                note_public_id=note.public_id,
                visit_on=note.visit_date,
            )
        if plan.cancel:
            cancel_referral(actor=front_desk, referral=made[-1], reason=plan.cancel)
    unseen = next((p for p in patients if p.pk not in notes), None)
    if unseen is not None:
        made.append(
            _referral(
                front_desk,
                unseen,
                physicians,
                0,
                starts_on=today,
                expires_on=today + dt.timedelta(days=60),
                visits_authorized=12,
            )
        )
    return made


def _evaluation_codes(patient: Patient) -> list[str]:
    codes = (
        Diagnosis.objects.filter(evaluation__patient=patient, evaluation__status="signed")
        .order_by("-evaluation__evaluated_on", "rank")
        .values_list("code", "evaluation_id")
    )
    first = codes.first()
    return [code for code, evaluation in codes if first and evaluation == first[1]]


def _referral(
    actor: User,
    patient: Patient,
    physicians: list[Physician],
    index: int,
    *,
    starts_on: dt.date,
    expires_on: dt.date,
    visits_authorized: int,
) -> Referral:
    diagnoses, service, frequency, precautions = ORDERS[index % len(ORDERS)]
    physician = physicians[index % len(physicians)]
    evaluated = _evaluation_codes(patient)
    if evaluated:  # the physician's diagnoses are the ones the therapist later evaluated
        lymph = any(code.startswith(LYMPHEDEMA) for code in evaluated)
        _codes, service, frequency, precautions = ORDERS[2] if lymph else ORDERS[index % 2]
        diagnoses = evaluated
        physician = physicians[2 if lymph else index % 2]
    text = (
        f"Please evaluate and treat {patient.full_name}: {service}, {frequency}. "
        f"Dx {', '.join(diagnoses)}."
    )
    return record_referral(
        actor=actor,
        patient=patient,
        physician=physician,
        diagnoses=diagnoses,
        requested_service=service,
        frequency=frequency,
        visits_authorized=max(1, visits_authorized),
        starts_on=min(starts_on, expires_on),
        expires_on=expires_on,
        precautions=precautions,
        prescription=SimpleUploadedFile(
            "prescription.pdf", clearance_letter_pdf(text), "application/pdf"
        ),
    )
