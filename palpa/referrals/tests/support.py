"""Helpers for the referral tests: a physician, a referral, and real signed notes."""

from __future__ import annotations

import datetime as dt

from django.core.files.uploadedfile import SimpleUploadedFile

from palpa.accounts.models import Location, User
from palpa.care.models import TreatmentNote
from palpa.core.npi import make_npi
from palpa.core.tests.support import TODAY, one_page_pdf
from palpa.patients.models import Patient
from palpa.referrals.models import Physician, Referral
from palpa.referrals.services import add_physician, record_referral

PDF = one_page_pdf()
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 32


def upload(content: bytes = PDF, name: str = "prescription.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, "application/pdf")


def make_physician(actor: User, npi9: str = "123456789", active: bool = True) -> Physician:
    return add_physician(
        actor=actor,
        given_name="Laura",
        family_name="Bennett",
        credentials="MD",
        npi=make_npi(npi9),
        practice="Bayshore Orthopedics",
        fax="+1 813 555 0193",
        active=active,
    )


def make_referral(
    actor: User,
    patient: Patient,
    physician: Physician,
    *,
    visits: int = 12,
    starts_on: dt.date = TODAY - dt.timedelta(days=7),
    expires_on: dt.date = TODAY + dt.timedelta(days=60),
) -> Referral:
    return record_referral(
        actor=actor,
        patient=patient,
        physician=physician,
        diagnoses=["M54.50"],
        requested_service="Medical massage",
        frequency="2x/week x 6 weeks",
        visits_authorized=visits,
        starts_on=starts_on,
        expires_on=expires_on,
        precautions="No deep pressure over the lumbar spine.",
        prescription=upload(),
    )


SCREENED_ON = TODAY - dt.timedelta(days=40)


def screen(owner: User, patient: Patient) -> None:
    """Signing a note needs a safety screening: a PROCEED one, 40 days ago."""
    from palpa.screening.services import record_screening

    record_screening(actor=owner, patient=patient, facts={"as_of": SCREENED_ON.isoformat()})


def sign_notes(
    therapist: User, patient: Patient, location: Location, days: list[dt.date]
) -> list[TreatmentNote]:
    """Real treatment notes, started, given a technique and signed through the services
    (the therapist confirms at each visit that the health history has not changed)."""
    from palpa.care.notes.services import add_technique, sign_note, start_note
    from palpa.screening.services import confirm_no_change

    signed = []
    for day in days:
        if day != SCREENED_ON:
            confirm_no_change(actor=therapist, patient=patient, on=day)
        note = start_note(
            actor=therapist,
            patient=patient,
            location=location,
            visit_date=day,
            pain_today=5,
            subjective="Low back stiff.",
            home_care_adherence="some",
        )
        add_technique(
            actor=therapist,
            note=note,
            technique="myofascial_release",
            region="low_back",
            minutes=20,
            pressure="moderate",
        )
        signed.append(sign_note(actor=therapist, note=note))
    return signed
