"""A real course of billed care for the document and export tests: an insured patient
(referred by a physician, evaluated, planned) treated in signed notes whose charges the
biller marked ready, and a self-pay patient with a posted payment.

Notes are signed through the care services; their charges are captured by the billing
service the ``TreatmentNoteSigned`` event calls (called directly here, as it is
idempotent), and posted by the biller (``mark_charge_ready``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from palpa.accounts.models import Location, User
from palpa.billing import services as billing
from palpa.billing.models import Charge, Payer
from palpa.care.models import Plan, TreatmentNote
from palpa.core.npi import make_npi
from palpa.core.tests.support import TODAY
from palpa.patients.models import Patient
from palpa.practitioners.models import Practitioner
from palpa.practitioners.services import update_practitioner
from palpa.referrals.models import Physician
from palpa.referrals.services import add_physician, record_referral
from tests.builders import PAIN_AT_MOST_3, Technique, signed_evaluation, signed_note, signed_plan

EVALUATED = TODAY - dt.timedelta(days=21)
VISITS = (TODAY - dt.timedelta(days=14), TODAY - dt.timedelta(days=7))
THERAPIST_NPI = make_npi("164839201")
PHYSICIAN_NPI = make_npi("138274650")
MEMBER_ID = "GCH884213007"
GROUP = "GRP-4410"


@dataclass
class Billed:
    patient: Patient
    payer: Payer | None
    physician: Physician | None
    notes: list[TreatmentNote]
    charges: list[Charge]


def give_npi(owner: User, therapist: User, npi: str = THERAPIST_NPI) -> Practitioner:
    practitioner = Practitioner.objects.get(user=therapist)
    return update_practitioner(actor=owner, practitioner=practitioner, changes={"npi": npi})


def make_payer(owner: User) -> Payer:
    payer = billing.add_payer(
        actor=owner, name="Gulf Coast Health Plan", payer_code="GCHP1", modifiers=["GP"]
    )
    billing.set_fee(actor=owner, payer=payer, code="97140", unit_price="45.00")
    billing.set_fee(actor=owner, payer=payer, code="97124", unit_price="40.00")
    return payer


def set_self_pay_prices(owner: User, location: Location) -> None:
    billing.set_self_pay_price(actor=owner, location=location, code="97140", unit_price="30.00")
    billing.set_self_pay_price(actor=owner, location=location, code="97124", unit_price="25.00")


def plan_of_care(
    *, owner: User, therapist: User, patient: Patient, location: Location, diagnoses: list[str]
) -> tuple[Plan, Physician]:
    from palpa.screening.services import record_screening

    record_screening(
        actor=owner,
        patient=patient,
        facts={"as_of": (EVALUATED - dt.timedelta(days=1)).isoformat()},
    )
    physician = add_physician(
        actor=owner,
        given_name="Laura",
        family_name="Bennett",
        credentials="MD",
        npi=PHYSICIAN_NPI,
        practice="Bayshore Orthopedics",
    )
    record_referral(
        actor=owner,
        patient=patient,
        physician=physician,
        diagnoses=diagnoses,
        requested_service="Medical massage for low back pain",
        frequency="1x a week for 4 weeks",
        visits_authorized=4,
        starts_on=EVALUATED - dt.timedelta(days=4),
        expires_on=TODAY + dt.timedelta(days=60),
    )
    evaluation = signed_evaluation(
        therapist=therapist,
        patient=patient,
        location=location,
        evaluated_on=EVALUATED,
        complaint="Low back pain for 3 months, worse after driving.",
        diagnoses=diagnoses,
        baselines={"NPRS": [7]},
    )
    plan = signed_plan(
        therapist=therapist,
        evaluation=evaluation,
        per_week=1,
        weeks=4,
        techniques=["myofascial_release", "swedish"],
        goals=[PAIN_AT_MOST_3],
        due_on=EVALUATED + dt.timedelta(weeks=4),
    )
    return plan, physician


def signed_visit(
    therapist: User, patient: Patient, location: Location, plan: Plan | None, on: dt.date
) -> TreatmentNote:
    """40 timed minutes: 25 of myofascial release (97140) and 15 of Swedish massage
    (97124) make 3 units under the CMS rule: 97140 x2, 97124 x1."""
    from palpa.screening.services import confirm_no_change

    confirm_no_change(actor=therapist, patient=patient, on=on)
    return signed_note(
        therapist=therapist,
        patient=patient,
        location=location,
        plan=plan,
        on=on,
        techniques=[
            Technique("myofascial_release", "low_back", 25, "moderate"),
            Technique("swedish", "upper_back", 15, "moderate"),
        ],
        assessment="Tone reduced in the lumbar paraspinals.",
    )


def post(biller: User, note: TreatmentNote) -> Charge:
    charge = billing.capture_note_charges(note=note)
    assert charge is not None
    return billing.mark_charge_ready(actor=biller, charge=charge)


def insured_course(
    *, owner: User, therapist: User, biller: User, patient: Patient, location: Location
) -> Billed:
    give_npi(owner, therapist)
    payer = make_payer(owner)
    billing.add_coverage(
        actor=owner,
        patient=patient,
        kind="insurance",
        payer=payer,
        member_id=MEMBER_ID,
        group_number=GROUP,
        starts_on=EVALUATED - dt.timedelta(days=30),
    )
    plan, physician = plan_of_care(
        owner=owner,
        therapist=therapist,
        patient=patient,
        location=location,
        diagnoses=["M54.50", "M62.830"],
    )
    notes = [signed_visit(therapist, patient, location, plan, on) for on in VISITS]
    charges = [post(biller, note) for note in notes]
    return Billed(patient, payer, physician, notes, charges)


def self_pay_visit(
    *, owner: User, therapist: User, biller: User, patient: Patient, location: Location, on: dt.date
) -> Charge:
    """A self-pay visit (no coverage, no plan of care): 97140 x2 at 30.00 and 97124 x1 at
    25.00 make 85.00 for the patient, posted by the biller today."""
    from palpa.screening.queries import latest_screening
    from palpa.screening.services import record_screening

    if latest_screening(patient, on=on) is None:
        record_screening(
            actor=owner,
            patient=patient,
            facts={"as_of": (on - dt.timedelta(days=1)).isoformat()},
        )
    return post(biller, signed_visit(therapist, patient, location, None, on))
