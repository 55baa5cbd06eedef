"""One fixture clinic with a record behind every route, for the permission walk.

Built through the services (as the product writes), at a fixed instant, once per test
session (``snapshot``: the first worker to need it builds it in a transaction it rolls
back and keeps the rows it added); each module that walks it (the permission walk, the UI
fuzz) puts the same rows back (``restore``) in a transaction rolled back after it.
Every clinical record is the work of ``therapist``, so ``other_therapist`` shows what the
table says about other practitioners' records. The personas are the root conftest's:
owner, therapist, other_therapist, front_desk, biller (one organization, Bayside) and
outsider (the owner of another organization).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import Client, TestCase, override_settings

from conftest import verified_client
from palpa.accounts.models import Room, User
from palpa.accounts.services import issue_token
from palpa.billing import services as billing
from palpa.billing.models import Charge
from palpa.care.evaluations import services as evaluation_services
from palpa.care.notes import services as note_services
from palpa.care.plans import services as plan_services
from palpa.care.tests.picture_support import ALT as PICTURE_ALT
from palpa.care.tests.picture_support import picture
from palpa.core.npi import make_npi
from palpa.core.tests.support import one_page_pdf
from palpa.demo.tests import snapshot as rows
from palpa.lymphoedema import services as limb_services
from palpa.lymphoedema.garments import services as garment_services
from palpa.outcomes import services as outcomes
from palpa.patients.models import Consent
from palpa.patients.services import add_allergy, add_guardian, create_patient, record_consent
from palpa.practitioners.models import License, Practitioner
from palpa.referrals.services import add_physician, record_referral
from palpa.reports import services as reports
from palpa.scheduling import feeds, reminders, wording
from palpa.scheduling import services as scheduling
from palpa.scheduling.models import OnlineBookingNotice
from palpa.scheduling.patient_messages import notice_message as send_notice_message
from palpa.screening import services as screening
from palpa.screening.rules import default_rule_set
from tests.builders import clinic_location, licensed_therapist, organization, staff

FAST_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
NOW = dt.datetime(2026, 3, 2, 20, 0, tzinfo=dt.UTC)  # Monday, 15:00 in Tampa
TODAY = dt.date(2026, 3, 2)
PERSONAS = ("owner", "therapist", "other_therapist", "front_desk", "biller", "outsider")
FAMILY_NAME = "Delgado-Quintero"  # our patient's name: never in an answer to the outsider


@dataclass
class Clinic:
    users: dict[str, User]
    ids: dict[str, str]  # what -> public id (or other URL value) of one of our records
    tokens: dict[str, str] = field(default_factory=dict)  # persona -> API token secret
    clients: dict[str, Client] = field(default_factory=dict)  # persona -> signed-in session
    markers: tuple[str, ...] = ()  # our data an outsider must never be shown

    def web(self, persona: str) -> Client:
        """A signed-in browser session (second factor done)."""
        return verified_client(self.users[persona])

    def api(self, persona: str) -> Client:
        """A client sending the persona's personal access token (JSON API and FHIR)."""
        return Client(headers={"Authorization": f"Bearer {self.tokens[persona]}"})


def snapshot() -> dict[str, Any]:
    """The clinic built once, as JSON-ready data: the rows it added (its transaction is
    rolled back) and what the walk needs to find them again."""
    with override_settings(PASSWORD_HASHERS=FAST_HASHERS), transaction.atomic():
        before = rows.marks()
        clinic = build()
        assert rows.changed_since(before) == []
        added = rows.rows_added_since(before)
        transaction.set_rollback(True)
    return {
        "rows": added,
        "users": {persona: user.pk for persona, user in clinic.users.items()},
        "ids": clinic.ids,
        "tokens": clinic.tokens,
        "markers": list(clinic.markers),
    }


def restore(kept: dict[str, Any]) -> Clinic:
    """The snapshot's rows put back as they were (call inside a transaction); the clinic
    without its signed-in sessions, which each module opens for itself."""
    rows.put_back(kept["rows"])
    return Clinic(
        users={persona: User.objects.get(pk=pk) for persona, pk in kept["users"].items()},
        ids=kept["ids"],
        tokens=kept["tokens"],
        markers=tuple(kept["markers"]),
    )


def _pdf(name: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, one_page_pdf(), "application/pdf")


def _at(day: dt.date, hour: int) -> dt.datetime:
    from zoneinfo import ZoneInfo

    return dt.datetime.combine(day, dt.time(hour), tzinfo=ZoneInfo("America/New_York"))


def build() -> Clinic:
    """Call inside a transaction (and with the clock at ``NOW``)."""
    with time_machine.travel(NOW, tick=False):
        return _build()


def _build() -> Clinic:
    org = organization("Bayside Medical Massage", "bayside")
    location = clinic_location(org, "Bayside Clinic")
    owner = staff(org, "owner@bayside.example", "owner", "Olive Owner")
    therapist = licensed_therapist(org, owner, "therapist@bayside.example", "Tess Therapist")
    other_therapist = licensed_therapist(org, owner, "other@bayside.example", "Theo Other")
    front_desk = staff(org, "desk@bayside.example", "front_desk", "Fran Desk")
    biller = staff(org, "biller@bayside.example", "biller", "Bill Biller")
    other_org = organization("Elsewhere Spa", "elsewhere")
    clinic_location(other_org, "Elsewhere Spa")
    outsider = staff(other_org, "owner@elsewhere.example", "owner", "Oscar Outsider")
    users = {
        "owner": owner,
        "therapist": therapist,
        "other_therapist": other_therapist,
        "front_desk": front_desk,
        "biller": biller,
        "outsider": outsider,
    }
    practitioner = Practitioner.objects.get(user=therapist)
    room = Room.objects.create(organization=org, location=location, name="Room 1")

    patient = create_patient(
        actor=front_desk,
        given_name="Rosa",
        family_name=FAMILY_NAME,
        date_of_birth=dt.date(1971, 3, 14),
        phone="+1 813 555 0101",
        email="rosa@example.com",
        primary_location=location,
    )
    consent = record_consent(
        actor=front_desk,
        patient=patient,
        kind=Consent.Kind.TREATMENT,
        version="1",
        given_on=TODAY,
        granted=True,
    )
    add_allergy(actor=therapist, patient=patient, substance="Arnica", severity="mild")
    guardian = add_guardian(
        actor=owner, patient=patient, name="Rosa Walk", relationship="mother", phone="8135550199"
    )

    # physician, referral with its prescription
    physician = add_physician(
        actor=owner,
        given_name="Helen",
        family_name="Park",
        credentials="MD",
        npi=make_npi("123456789"),
        practice="Bayside Family Medicine",
        fax="+1 813 555 0199",
        secure_email="dr.park@bayside-fm.example",
    )
    referral = record_referral(
        actor=front_desk,
        patient=patient,
        physician=physician,
        diagnoses=["M54.50"],
        requested_service="Medical massage",
        frequency="2x/week x 6 weeks",
        visits_authorized=12,
        starts_on=TODAY - dt.timedelta(days=7),
        expires_on=TODAY + dt.timedelta(days=60),
        prescription=_pdf("prescription.pdf"),
    )

    # screening: one needing a clearance (cleared, with the letter), then a PROCEED one
    onset = (TODAY - dt.timedelta(days=71)).isoformat()
    needs_clearance = screening.record_screening(
        actor=owner,
        patient=patient,
        facts={
            "as_of": (TODAY - dt.timedelta(days=10)).isoformat(),
            "medications": [{"name": "warfarin", "kind": "anticoagulant"}],
            "conditions": [
                {"code": "dvt", "status": "past", "regions": ["left_lower_limb"], "onset": onset}
            ],
        },
    )
    clearance = screening.record_clearance(
        actor=therapist,
        screening=needs_clearance,
        physician=physician,
        cleared_on=TODAY - dt.timedelta(days=9),
        scope="Massage with light pressure; avoid the left calf.",
        letter=_pdf("clearance.pdf"),
    )
    screening.record_screening(actor=owner, patient=patient, facts={"as_of": TODAY.isoformat()})
    _link, intake_token = screening.create_intake_link(actor=front_desk, patient=patient)

    # an evaluation and a plan of care, signed; a revision drafted; a second evaluation drafted
    evaluation = evaluation_services.start_evaluation(
        actor=therapist,
        patient=patient,
        location=location,
        evaluated_on=TODAY - dt.timedelta(days=3),
        chief_complaint="Low back pain for 3 months, worse after sitting.",
    )
    evaluation_services.add_diagnosis(actor=therapist, evaluation=evaluation, code="M54.50")
    evaluation_services.record_baseline_administration(
        actor=therapist, evaluation=evaluation, instrument="NPRS", answers=[6]
    )
    evaluation_services.sign_evaluation(actor=therapist, evaluation=evaluation)
    plan = plan_services.create_plan(
        actor=therapist,
        evaluation=evaluation,
        frequency_per_week=2,
        duration_weeks=6,
        techniques=["myofascial_release"],
        home_care=[
            {
                "kind": "self_massage",
                "instructions": "Ball on the left glute against a wall.",
                "tool": "massage_ball",
                "frequency": "Once a day",
            }
        ],
    )
    goal = plan_services.add_goal(
        actor=therapist,
        plan=plan,
        statement="Pain at most 3 out of 10 on a work day.",
        measure_kind="instrument",
        instrument="NPRS",
        target_value=3,
        due_on=TODAY + dt.timedelta(weeks=6),
    )
    plan_services.add_home_care_picture(
        actor=therapist, item=plan.home_care.get(), picture=picture(), alt=PICTURE_ALT
    )
    plan_services.sign_plan(actor=therapist, plan=plan)
    revision = plan_services.revise_plan(actor=therapist, plan=plan)  # its item: the picture
    draft_evaluation = evaluation_services.start_evaluation(
        actor=therapist,
        patient=patient,
        location=location,
        evaluated_on=TODAY,
        chief_complaint="Neck stiffness since last week.",
    )
    pain = evaluation_services.add_pain_map_entry(
        actor=therapist, evaluation=draft_evaluation, region="neck", intensity=4, quality="aching"
    )
    palpation = evaluation_services.add_palpation_finding(
        actor=therapist, evaluation=draft_evaluation, region="neck", tone="hypertonic", tenderness=2
    )
    rom = evaluation_services.record_rom(
        actor=therapist,
        evaluation=draft_evaluation,
        joint="cervical_spine",
        motion="rotation",
        side="left",
        degrees=60,
        instrument="goniometer",
    )
    special_test = evaluation_services.add_special_test(
        actor=therapist, evaluation=draft_evaluation, name="Spurling test", result="negative"
    )
    diagnosis = evaluation_services.add_diagnosis(
        actor=therapist, evaluation=draft_evaluation, code="M54.2"
    )

    # a signed note (its charge captured as after the commit, reviewed and posted), a draft
    billing.set_self_pay_price(actor=owner, location=location, code="97140", unit_price="30.00")
    signed_note = note_services.start_note(
        actor=therapist,
        patient=patient,
        location=location,
        visit_date=TODAY,
        plan_of_care=plan,
        pain_today=5,
        subjective="Stiff after sitting.",
    )
    note_services.add_technique(
        actor=therapist,
        note=signed_note,
        technique="myofascial_release",
        region="low_back",
        minutes=25,
        pressure="moderate",
    )
    with TestCase.captureOnCommitCallbacks(execute=True):
        note_services.sign_note(actor=therapist, note=signed_note)
    note_services.add_addendum(
        actor=therapist, note=signed_note, text="Patient called: felt better."
    )
    draft_note = note_services.start_note(
        actor=therapist, patient=patient, location=location, visit_date=TODAY, pain_today=4
    )
    technique = note_services.add_technique(
        actor=therapist,
        note=draft_note,
        technique="myofascial_release",
        region="low_back",
        minutes=20,
        pressure="moderate",
    )
    charge = billing.mark_charge_ready(actor=biller, charge=Charge.objects.get(note=signed_note))

    # lymphoedema: a signed sitting of both arms and a drafted one
    limbs: dict[str, Any] = {
        "region": "arm",
        "affected_side": "left",
        "landmark": "wrist",
        "interval_cm": 4.0,
        "left_circumferences_cm": [22.0, 24.0, 27.0, 30.0],
        "right_circumferences_cm": [21.0, 23.0, 25.0, 28.0],
    }
    limb_signed = limb_services.sign_measurement(
        actor=therapist,
        measurement=limb_services.record_measurement(
            actor=therapist,
            patient=patient,
            location=location,
            measured_on=TODAY - dt.timedelta(days=7),
            **limbs,
        ),
    )
    limb_draft = limb_services.record_measurement(
        actor=therapist, patient=patient, location=location, measured_on=TODAY, **limbs
    )
    # compression garments: a signed sleeve made from the signed sitting, and a draft
    sleeve: dict[str, Any] = {
        "limb": "arm",
        "side": "left",
        "garment_type": "arm_sleeve",
        "knit": "flat",
        "standard": "RAL-GZG",
        "compression_class": "II",
        "product": "Arm sleeve",
    }
    garment_signed = garment_services.sign_prescription(
        actor=therapist,
        prescription=garment_services.prescribe_garment(
            actor=therapist,
            patient=patient,
            location=location,
            prescribed_on=TODAY - dt.timedelta(days=7),
            measurement=limb_signed,
            **sleeve,
        ),
    )
    garment_draft = garment_services.prescribe_garment(
        actor=therapist,
        patient=patient,
        location=location,
        prescribed_on=TODAY,
        measurement=limb_signed,
        **sleeve,
    )

    # instruments: a score and a link; reports: one signed, its correction drafted
    administration = outcomes.administer_instrument(
        actor=therapist,
        patient=patient,
        instrument="NPRS",
        answers=[4],
        administered_on=TODAY,
        context="reassessment",
    )
    instrument_link, instrument_token = outcomes.create_instrument_link(
        actor=therapist, patient=patient, instruments=["NPRS"]
    )
    report = reports.start_report(actor=therapist, patient=patient, kind="progress")
    reports.update_report(
        actor=therapist,
        report=report,
        changes={"assessment": "Pain fell from 6 to 4.", "recommendation": "continue"},
    )
    signed_report = reports.sign_report(actor=therapist, report=report)
    draft_report = reports.correct_report(
        actor=therapist, report=signed_report, reason="The physician's name was misspelled."
    )

    # the schedule: a type, hours, a booked visit, a cancelled one, the waitlist, a notice
    kind = scheduling.create_appointment_type(
        actor=owner,
        code="treatment-60",
        kind="treatment",
        name="Treatment 60 min",
        duration_minutes=60,
        buffer_minutes=15,
    )
    scheduling.set_weekly_hours(
        actor=owner,
        practitioner=practitioner,
        location=location,
        rows=[scheduling.HoursRow(d, dt.time(9), dt.time(17)) for d in range(5)],
    )
    booked = scheduling.book_appointment(
        actor=front_desk,
        patient=patient,
        practitioner=practitioner,
        location=location,
        appointment_type=kind,
        start=_at(TODAY + dt.timedelta(days=1), 10),
    )
    cancelled = scheduling.book_appointment(
        actor=front_desk,
        patient=patient,
        practitioner=practitioner,
        location=location,
        appointment_type=kind,
        start=_at(TODAY + dt.timedelta(days=2), 10),
    )
    scheduling.cancel_appointment(
        actor=front_desk, appointment=cancelled, reason="The patient is travelling."
    )
    waiting = scheduling.add_to_waitlist(
        actor=front_desk, patient=patient, location=location, appointment_type=kind
    )
    notice = OnlineBookingNotice.objects.create(
        organization=org, location=location, kind=OnlineBookingNotice.Kind.BOOKED, patient=patient
    )
    policy = reminders.set_reminder_policy(
        actor=owner,
        channel="email",
        lead_minutes=24 * 60,
        subject=wording.DEFAULT_EMAIL_SUBJECT,
        body=wording.DEFAULT_EMAIL_BODY,
    )
    feed, feed_token = feeds.create_feed(actor=therapist)

    # billing: a payer with a fee, a payment, a package
    payer = billing.add_payer(actor=owner, name="Gulf Coast Health", modifiers=["GP"])
    billing.set_fee(actor=owner, payer=payer, code="97140", unit_price="30.00")
    payment = billing.record_payment(
        actor=front_desk, patient=patient, amount="20.00", method="card", reference="T-1001"
    )
    five_visits = billing.add_prepaid_plan(
        actor=owner, kind="package", name="Five visits", visits=5, price="400.00"
    )
    # a self-pay coverage and a package from next year: they change no charge of the walk,
    # and the routes that end them have a record to end
    next_year = dt.date(TODAY.year + 1, 1, 1)
    coverage = billing.add_coverage(
        actor=front_desk, patient=patient, kind="self_pay", starts_on=next_year
    )
    prepaid = billing.sell_prepaid(
        actor=front_desk, patient=patient, plan=five_visits, starts_on=next_year
    )

    # a message to the patient (the booking confirmation, as the worker records it)
    message = send_notice_message(booked, "booked")[0]

    therapists_phone = issue_token(actor=therapist, name="therapist's phone")
    clinic = Clinic(
        users=users,
        ids={
            "organization": str(org.public_id),
            "location": str(location.public_id),
            "room": str(room.public_id),
            "front_desk": str(front_desk.public_id),
            "patient": str(patient.public_id),
            "consent": str(consent.public_id),
            "practitioner": str(practitioner.public_id),
            "license": str(License.objects.filter(practitioner=practitioner).first().public_id),  # type: ignore[union-attr]
            "physician": str(physician.public_id),
            "referral": str(referral.public_id),
            "screening_needing_clearance": str(needs_clearance.public_id),
            "clearance": str(clearance.public_id),
            "intake_token": intake_token,
            "rule_set_version": default_rule_set().version,
            "evaluation": str(evaluation.public_id),
            "evaluation_draft": str(draft_evaluation.public_id),
            "pain_entry": str(pain.public_id),
            "palpation": str(palpation.public_id),
            "rom": str(rom.public_id),
            "special_test": str(special_test.public_id),
            "diagnosis": str(diagnosis.public_id),
            "plan": str(plan.public_id),
            "plan_draft": str(revision.public_id),
            "goal": str(goal.public_id),
            "goal_draft": str(revision.goals.get().public_id),
            "home_care_draft": str(revision.home_care.get().public_id),
            "note": str(signed_note.public_id),
            "note_draft": str(draft_note.public_id),
            "limb_measurement": str(limb_signed.public_id),
            "limb_measurement_draft": str(limb_draft.public_id),
            "garment": str(garment_signed.public_id),
            "garment_draft": str(garment_draft.public_id),
            "technique": str(technique.public_id),
            "administration": str(administration.public_id),
            "instrument_link": str(instrument_link.public_id),
            "instrument_token": instrument_token,
            "report": str(signed_report.public_id),
            "report_draft": str(draft_report.public_id),
            "appointment_type": str(kind.public_id),
            "appointment": str(booked.public_id),
            "appointment_cancelled": str(cancelled.public_id),
            "waitlist_entry": str(waiting.public_id),
            "notice": str(notice.public_id),
            "reminder_policy": str(policy.public_id),
            "feed": str(feed.public_id),
            "feed_token": feed_token,
            "token": str(therapists_phone.token.public_id),
            "charge": str(charge.public_id),
            "entry": str(payment.public_id),
            "payer": str(payer.public_id),
            "coverage": str(coverage.public_id),
            "prepaid": str(prepaid.public_id),
            "message": str(message.public_id),
            "guardian": str(guardian.public_id),
        },
        markers=(FAMILY_NAME, str(patient.public_id), patient.mrn),
    )
    clinic.tokens = {
        name: issue_token(actor=user, name="walk").secret for name, user in users.items()
    }
    return clinic
