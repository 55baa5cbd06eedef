"""The demo clinic's billing, written through the billing services.

Two insurers with fee schedules, self-pay prices at both locations and a spa package;
insured and self-pay patients whose charges are captured from the demo's signed notes
(the same service the ``TreatmentNoteSigned`` event calls, so nothing is captured twice),
reviewed and posted by the biller, a few left to review; insurer payments with their
contractual adjustments, card payments, a package in use with visits left, and
outstanding balances. Runs after ``care.treat`` (it bills the signed notes). Amounts are
invented: no real payer's fees.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal
from typing import Any

from palpa.accounts.models import Location, Organization, User
from palpa.billing import services
from palpa.billing.models import Charge, PrepaidPlan
from palpa.care.models import TreatmentNote
from palpa.core.npi import make_npi
from palpa.patients.models import Patient
from palpa.scheduling.models import AppointmentType

BILLER = "biller@harbor.example"
OWNER = "owner@harbor.example"

PAYERS: list[dict[str, Any]] = [
    {
        "name": "Gulf Coast Health Plan",
        "payer_code": "GCHP1",
        "unit_rule": "cms",
        "fees": {"97140": "32.50", "97124": "28.00", "97112": "33.00", "97110": "31.00"},
    },
    {
        "name": "Suncoast Employee Benefits",
        "payer_code": "SEB20",
        "unit_rule": "per-code",
        "fees": {"97140": "35.00", "97124": "30.00", "97112": "36.00", "97110": "34.00"},
    },
]
# The claim identifiers of the demo organization (both locations bill under it): an
# invented EIN and an organization NPI made from an invented 9-digit stem with its check
# digit (palpa.core.npi.make_npi). The EIN's prefix 97 is not among the prefixes the IRS
# assigns (IRS, "How EINs are Assigned and Valid EIN Prefixes"), so it is no one's EIN.
DEMO_EIN = "97-1234567"
DEMO_BILLING_NPI_STEM = "271828182"
SELF_PAY = {"97140": "27.50", "97124": "25.00", "97112": "27.50", "97110": "25.00"}
PACKAGE: dict[str, Any] = {
    "name": "Spa relaxation package, 5 visits",
    "visits": 5,
    "price": "275.00",
}
MEMBERSHIP: dict[str, Any] = {"name": "Monthly wellness membership", "visits": 2, "price": "110.00"}
#: Self-pay prices per service (appointment type) by its length in minutes.
SERVICE_PRICE_BY_MINUTES = {30: "55.00", 45: "80.00", 60: "100.00", 90: "140.00"}

# By the index of the treated patient (``care.treat``'s order, by MRN): insured patients
# and their payer (index into PAYERS); a spouse's plan for one of them.
INSURED = {1: 0, 2: 0, 4: 1, 8: 0, 10: 1, 14: 0, 16: 1}
THROUGH_SPOUSE = 10
PACKAGE_PATIENT = 9  # a spa patient, three visits drawn, two left
UNPAID = (5, 11)  # self-pay patients who have not paid their latest visits yet
TO_REVIEW = (2, 14)  # insured patients whose latest visit the biller has not reviewed
INSURER_SHARE = Decimal("0.80")  # of the billed amount, the rest a contractual adjustment
SETTLED_AFTER_DAYS = 14  # the insurers have paid visits older than this


def _money(value: Decimal) -> str:
    return f"{value.quantize(Decimal('0.01')):.2f}"


def _signed_notes(org: Organization) -> dict[int, list[TreatmentNote]]:
    notes: dict[int, list[TreatmentNote]] = defaultdict(list)
    for note in (
        TreatmentNote.objects.filter(organization=org, status=TreatmentNote.Status.SIGNED)
        .select_related("patient", "practitioner", "location")
        .order_by("visit_date", "pk")
    ):
        notes[note.patient_id].append(note)
    return notes


def _configure(owner: User, locations: list[Location]) -> list[Any]:

    payers = []
    for spec in PAYERS:
        payer = services.add_payer(
            actor=owner,
            name=spec["name"],
            payer_code=spec["payer_code"],
            unit_rule=spec["unit_rule"],
        )
        for code, price in spec["fees"].items():
            services.set_fee(actor=owner, payer=payer, code=code, unit_price=price)
        payers.append(payer)
    for location in locations:
        for code, price in SELF_PAY.items():
            services.set_self_pay_price(actor=owner, location=location, code=code, unit_price=price)
        services.set_billing_identifiers(
            actor=owner,
            location=location,
            tax_id=DEMO_EIN,
            tax_id_kind="ein",
            billing_npi=make_npi(DEMO_BILLING_NPI_STEM),
        )
    return payers


def bill_visits(org: Organization, today: dt.date) -> None:

    owner = User.objects.get(organization=org, email=OWNER)
    biller = User.objects.get(organization=org, email=BILLER)
    locations = list(Location.objects.filter(organization=org).order_by("pk"))
    spa = next(loc for loc in locations if loc.kind == Location.Kind.MEDICAL_SPA)
    payers = _configure(owner, locations)
    package = services.add_prepaid_plan(
        actor=owner,
        kind=PrepaidPlan.Kind.PACKAGE,
        name=PACKAGE["name"],
        visits=int(PACKAGE["visits"]),
        price=PACKAGE["price"],
        location=spa,
    )
    services.add_prepaid_plan(
        actor=owner,
        kind=PrepaidPlan.Kind.MEMBERSHIP,
        name=MEMBERSHIP["name"],
        visits=int(MEMBERSHIP["visits"]),
        price=MEMBERSHIP["price"],
        location=spa,
    )

    notes = _signed_notes(org)
    treated = [p for p in Patient.objects.filter(organization=org).order_by("mrn") if p.pk in notes]
    for i, patient in enumerate(treated):
        visits = notes[patient.pk]
        first = visits[0].visit_date
        if i in INSURED:
            spouse = i == THROUGH_SPOUSE
            subscriber = "Jamie" if spouse else patient.given_name
            services.add_coverage(
                actor=biller,
                patient=patient,
                kind="insurance",
                payer=payers[INSURED[i]],
                member_id=f"{PAYERS[INSURED[i]]['payer_code'][:3]}{880000 + i * 7919:09d}",
                group_number=f"GRP-{4400 + i}",
                subscriber_name=f"{subscriber} {patient.family_name}",
                subscriber_relationship="spouse" if spouse else "self",
                subscriber_date_of_birth=dt.date(1975, 6, 3) if spouse else None,
                starts_on=first - dt.timedelta(days=30),
            )
        else:
            services.add_coverage(
                actor=biller,
                patient=patient,
                kind="self_pay",
                starts_on=first - dt.timedelta(days=30),
            )
        if i == PACKAGE_PATIENT:
            prepaid = services.sell_prepaid(
                actor=biller, patient=patient, plan=package, starts_on=first
            )
            services.record_payment(
                actor=biller,
                patient=patient,
                amount=prepaid.price,
                method="card",
                reference=f"T-{patient.mrn}-PKG",
            )
        _post_visits(biller, patient, visits, review_last=i in TO_REVIEW)
        if i in INSURED:
            _insurer_pays(biller, patient, payers[INSURED[i]], today)
        elif i != PACKAGE_PATIENT:
            _patient_pays(biller, patient, unpaid=i in UNPAID)


def _post_visits(
    biller: User, patient: Patient, visits: list[TreatmentNote], *, review_last: bool
) -> None:

    for n, note in enumerate(visits):
        charge = services.capture_note_charges(note=note)
        if charge is None or (review_last and n == len(visits) - 1):
            continue
        try:
            services.mark_charge_ready(actor=biller, charge=charge)
        except services.ChargeRefused:
            continue  # left in the biller's queue with its problems (e.g. no NPI)


def _insurer_pays(biller: User, patient: Patient, payer: Any, today: dt.date) -> None:
    """The insurer paid its share of the visits older than two weeks; the rest of the
    billed amount is adjusted off as contractual."""

    settled = Charge.objects.filter(
        patient=patient,
        payer=payer,
        status=Charge.Status.READY,
        date_of_service__lt=today - dt.timedelta(days=SETTLED_AFTER_DAYS),
    )
    billed = sum((c.total for c in settled), Decimal(0))
    if billed <= 0:
        return
    paid = (billed * INSURER_SHARE).quantize(Decimal("0.01"))
    services.record_payment(
        actor=biller,
        patient=patient,
        amount=_money(paid),
        method="insurer",
        payer=payer,
        reference=f"ERA-{patient.mrn}",
    )
    services.post_adjustment(
        actor=biller,
        patient=patient,
        amount=f"-{_money(billed - paid)}",
        reason="contractual",
        memo=f"{payer.name}: allowed amount",
        responsibility="insurer",
        payer=payer,
    )


def _patient_pays(biller: User, patient: Patient, *, unpaid: bool) -> None:
    """A self-pay patient paid at each visit by card, except (for ``unpaid``) the latest
    two, which are their outstanding balance."""

    charges = list(
        Charge.objects.filter(
            patient=patient, status=Charge.Status.READY, prepaid__isnull=True
        ).order_by("date_of_service")
    )
    if unpaid:
        charges = charges[:-2]
    for charge in charges:
        if charge.total <= 0:
            continue
        services.record_payment(
            actor=biller,
            patient=patient,
            amount=_money(charge.total),
            method="card",
            reference=f"T-{patient.mrn}-{charge.date_of_service:%m%d}",
        )


def price_services(org: Organization) -> None:
    """Self-pay prices per service at every location (after the calendar made the
    appointment types): a visit booked as one costs its price, whatever its units."""
    owner = User.objects.get(email=OWNER)
    for location in Location.objects.filter(organization=org, active=True).order_by("pk"):
        for kind in AppointmentType.objects.filter(organization=org, active=True).order_by("pk"):
            price = SERVICE_PRICE_BY_MINUTES.get(kind.duration_minutes)
            if price is not None:
                services.set_service_price(
                    actor=owner, location=location, appointment_type=kind, price=price
                )
