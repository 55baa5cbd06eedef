"""Charge capture: signing a note creates its charge once; a note in error voids it."""

from __future__ import annotations

from decimal import Decimal
from io import StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import IntegrityError, transaction

from palpa.accounts.models import Location, User
from palpa.audit.models import AuditEvent
from palpa.billing import services
from palpa.billing.models import Charge, ChargeLine, Coverage, LedgerEntry, Payer
from palpa.billing.queries import patient_balance
from palpa.billing.tests.support import charge_of, run_on_commit, sign_visit, signed_plan
from palpa.care.events import TreatmentNoteSigned
from palpa.care.notes.services import mark_note_entered_in_error
from palpa.core import events
from palpa.patients.models import Patient

CMS_EXAMPLE = (("therapeutic_exercise", 33), ("myofascial_release", 7))


def _lines(charge: Charge) -> list[tuple[str, int, int, list[str], list[int], Decimal]]:
    return [
        (ln.code, ln.minutes, ln.units, ln.modifiers, ln.diagnosis_pointers, ln.amount)
        for ln in charge.lines.all()
    ]


def test_signing_a_note_captures_its_charge_by_the_cms_rule(
    therapist: User, owner: User, patient: Patient, location: Location, insured: Coverage
) -> None:
    plan = signed_plan(therapist, patient, location, ["M54.50", "M62.830"])
    note = sign_visit(therapist, patient, location, CMS_EXAMPLE, plan=plan)
    charge = charge_of(note)
    assert charge.status == Charge.Status.TO_REVIEW
    assert charge.payer == insured.payer
    assert charge.coverage == insured
    assert charge.unit_rule == "cms"
    assert charge.diagnoses == ["M54.50", "M62.830"]
    assert charge.rendering_npi == "1234567893"
    assert charge.place_of_service == "11"
    assert charge.date_of_service == note.visit_date
    # CMS example: 33 min 97110 + 7 min 97140 = 40 min = 3 units -> 2 x 97110 + 1 x 97140
    assert _lines(charge) == [
        ("97110", 33, 2, ["GP"], [1, 2], Decimal("62.00")),
        ("97140", 7, 1, ["GP"], [1, 2], Decimal("30.00")),
    ]
    assert charge.total == Decimal("92.00")
    assert charge.problems == []
    entry = AuditEvent.objects.get(object_type="Charge", action="create")
    assert entry.patient_id == str(patient.public_id)
    assert entry.detail["total"] == "92.00"
    assert not LedgerEntry.objects.exists()  # posted only when a biller marks it ready


def test_a_per_code_payer_counts_each_code_on_its_own(
    therapist: User,
    owner: User,
    patient: Patient,
    location: Location,
    payer: Payer,
    insured: Coverage,
) -> None:
    services.update_payer(actor=owner, payer=payer, changes={"unit_rule": "per-code"})
    note = sign_visit(therapist, patient, location, CMS_EXAMPLE)
    charge = charge_of(note)
    assert charge.unit_rule == "per-code"
    assert [(ln.code, ln.units) for ln in charge.lines.all()] == [("97110", 2), ("97140", 0)]
    assert charge.total == Decimal("62.00")
    assert "97140: 7 min earn no unit under the per-code rule." in charge.problems


def test_minutes_of_techniques_with_one_code_are_summed(
    therapist: User, patient: Patient, location: Location, insured: Coverage
) -> None:
    note = sign_visit(therapist, patient, location, (("swedish", 10), ("deep_tissue", 14)))
    (line,) = charge_of(note).lines.all()
    assert (line.code, line.minutes, line.units) == ("97124", 24, 2)
    assert line.techniques == ["swedish", "deep_tissue"]


def test_a_note_is_never_charged_twice(
    therapist: User, patient: Patient, location: Location, insured: Coverage
) -> None:
    note = sign_visit(therapist, patient, location)
    first = charge_of(note)
    assert services.capture_note_charges(note=note) == first
    services.on_note_signed(
        TreatmentNoteSigned(
            note_id=note.pk, organization_id=note.organization_id, patient_id=patient.pk
        )
    )
    assert Charge.objects.filter(note=note).count() == 1
    with pytest.raises(IntegrityError), transaction.atomic():
        Charge.objects.create(
            organization_id=note.organization_id,
            note=note,
            patient=patient,
            rendering_provider=note.practitioner,
            location=location,
            place_of_service="11",
            date_of_service=note.visit_date,
            unit_rule="cms",
        )


def test_a_technique_without_a_code_is_not_billed_until_the_organization_maps_it(
    therapist: User,
    owner: User,
    biller: User,
    patient: Patient,
    location: Location,
    insured: Coverage,
) -> None:
    note = sign_visit(therapist, patient, location, (("reflexology", 20), ("swedish", 25)))
    charge = charge_of(note)
    assert [ln.code for ln in charge.lines.all()] == ["97124"]
    assert "Reflexology (20 min) has no billing code: not billed." in charge.problems
    services.map_technique(actor=owner, technique="reflexology", code="97124")
    charge = services.recalculate_charge(actor=biller, charge=charge)
    (line,) = charge.lines.all()
    assert (line.code, line.minutes, line.units) == ("97124", 45, 3)
    assert not any("Reflexology" in p for p in charge.problems)


def test_the_place_of_service_is_a_setting_of_the_location(
    therapist: User, owner: User, patient: Patient, location: Location, insured: Coverage
) -> None:
    with pytest.raises(ValidationError, match="Use a listed code"):
        services.set_place_of_service(actor=owner, location=location, code="99")
    services.set_place_of_service(actor=owner, location=location, code="12")
    assert charge_of(sign_visit(therapist, patient, location)).place_of_service == "12"


def test_self_pay_visits_are_priced_from_the_locations_list(
    therapist: User, biller: User, patient: Patient, location: Location, self_pay_prices: None
) -> None:
    note = sign_visit(therapist, patient, location, (("swedish", 60),))
    charge = charge_of(note)
    assert charge.payer is None
    assert charge.coverage is None
    assert _lines(charge) == [("97124", 60, 4, [], [], Decimal("80.00"))]
    assert "No diagnosis to point to" in charge.problems[0]
    services.mark_charge_ready(actor=biller, charge=charge)  # self-pay needs no diagnosis
    assert patient_balance(patient) == Decimal("80.00")


def test_a_charge_without_a_price_waits_for_the_fee_schedule(
    therapist: User,
    owner: User,
    biller: User,
    patient: Patient,
    location: Location,
    insured: Coverage,
) -> None:
    other = services.add_payer(actor=owner, name="No Fees Mutual")
    Coverage.objects.filter(pk=insured.pk).update(payer=other)
    plan = signed_plan(therapist, patient, location, ["M54.50"])
    charge = charge_of(sign_visit(therapist, patient, location, (("swedish", 30),), plan=plan))
    assert charge.total == 0
    with pytest.raises(services.ChargeRefused, match="No price for 97124"):
        services.mark_charge_ready(actor=biller, charge=charge)
    services.set_fee(actor=owner, payer=other, code="97124", unit_price="27.10")
    charge = services.recalculate_charge(actor=biller, charge=charge)
    services.mark_charge_ready(actor=biller, charge=charge)
    entry = LedgerEntry.objects.get()
    assert (entry.kind, entry.amount, entry.responsibility) == (
        "charge",
        Decimal("54.20"),
        "insurer",
    )
    assert patient_balance(patient) == 0  # the insurer's part, not the patient's


def test_insurers_need_the_rendering_npi(
    therapist: User,
    owner: User,
    biller: User,
    patient: Patient,
    location: Location,
    payer: Payer,
) -> None:
    from palpa.billing.tests.support import insure

    insure(owner, patient, payer)
    charge = charge_of(sign_visit(therapist, patient, location))
    assert any("has no NPI" in p for p in charge.problems)
    with pytest.raises(services.ChargeRefused, match="no NPI"):
        services.mark_charge_ready(actor=biller, charge=charge)


def test_a_note_entered_in_error_voids_its_charge_by_reversing_entries(
    therapist: User, biller: User, patient: Patient, location: Location, insured: Coverage
) -> None:
    plan = signed_plan(therapist, patient, location, ["M54.2"])
    note = sign_visit(therapist, patient, location, plan=plan)
    charge = services.mark_charge_ready(actor=biller, charge=charge_of(note))
    posted = LedgerEntry.objects.get()
    with run_on_commit():  # type: ignore[attr-defined]
        mark_note_entered_in_error(actor=therapist, note=note, reason="Wrong patient.")
    charge.refresh_from_db()
    assert charge.status == Charge.Status.VOID
    reversal = LedgerEntry.objects.get(reverses=posted)
    assert reversal.amount == -posted.amount
    assert reversal.reason == "note_in_error"
    assert reversal.posted_by == therapist
    assert LedgerEntry.objects.count() == 2  # the charge stays, reversed
    assert sum(e.amount for e in LedgerEntry.objects.all()) == 0
    assert ChargeLine.objects.filter(charge=charge).count() == 2  # kept as captured


def test_a_charge_still_to_review_is_voided_without_ledger_entries(
    therapist: User, biller: User, patient: Patient, location: Location, insured: Coverage
) -> None:
    note = sign_visit(therapist, patient, location)
    with run_on_commit():  # type: ignore[attr-defined]
        mark_note_entered_in_error(actor=therapist, note=note, reason="Duplicate note.")
    assert charge_of(note).status == Charge.Status.VOID
    assert not LedgerEntry.objects.exists()


def test_missed_captures_are_caught_up(
    therapist: User, patient: Patient, location: Location, insured: Coverage
) -> None:
    events.unsubscribe(TreatmentNoteSigned, services.on_note_signed)
    try:
        note = sign_visit(therapist, patient, location)
    finally:
        events.subscribe(TreatmentNoteSigned, services.on_note_signed)
    assert not Charge.objects.exists()
    out = StringIO()
    call_command("capture_charges", "--organization", "bayside", stdout=out)
    assert "1 charge(s) captured." in out.getvalue()
    assert charge_of(note).status == Charge.Status.TO_REVIEW
    assert services.capture_missing() == []
