"""A self-pay visit is priced per service (the booked appointment type's price at the
location), not per CPT unit; insurance visits keep the unit rules. The codes and units
stay on the charge for the patient's own claim."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from hypothesis import given
from hypothesis import strategies as st

from palpa.accounts.models import Location, User
from palpa.audit.models import AuditEvent
from palpa.billing import capture, services
from palpa.billing.documents import superbill_content
from palpa.billing.models import Charge, Coverage, ServicePrice
from palpa.billing.queries import patient_balance
from palpa.billing.tests.support import charge_of, sign_visit, signed_plan
from palpa.patients.models import Patient
from palpa.practitioners.models import Practitioner
from palpa.scheduling import services as scheduling
from palpa.scheduling.models import Appointment, AppointmentType
from palpa.scheduling.tests.support import MONDAY, at, make_type, weekday_hours

pytestmark = pytest.mark.django_db

# 35 min of massage (97124) and 8 min of stretching (no code): 43 minutes in the room.
FORTY_THREE = (("swedish", 35), ("stretching", 8))


@pytest.fixture
def treatment_60(owner: User) -> AppointmentType:
    return make_type(owner, "treatment-60", "treatment", 60, needs_room=False)


@pytest.fixture
def booked(
    owner: User,
    front_desk: User,
    practitioner: Practitioner,
    patient: Patient,
    location: Location,
    treatment_60: AppointmentType,
) -> Appointment:
    weekday_hours(owner, practitioner, location)
    visit = scheduling.book_appointment(
        actor=front_desk,
        patient=patient,
        practitioner=practitioner,
        location=location,
        appointment_type=treatment_60,
        start=at(MONDAY, "09:00"),
    )
    return scheduling.mark_arrived(actor=front_desk, appointment=visit)


@pytest.fixture
def priced(owner: User, location: Location, treatment_60: AppointmentType) -> ServicePrice:
    return services.set_service_price(
        actor=owner, location=location, appointment_type=treatment_60, price="95.00"
    )


def test_a_self_pay_visit_costs_its_services_price_not_its_units(
    therapist: User,
    biller: User,
    patient: Patient,
    location: Location,
    booked: Appointment,
    priced: ServicePrice,
    self_pay_prices: None,
) -> None:
    charge = charge_of(sign_visit(therapist, patient, location, FORTY_THREE, appointment=booked))
    assert charge.payer is None
    assert charge.service == booked.appointment_type
    assert charge.service_price == Decimal("95.00")
    assert charge.total == Decimal("95.00")  # not 2 units x 20.00 of the per-unit list
    # the codes and units stay, for the patient's claim; the line carries the price
    assert [(ln.code, ln.minutes, ln.units, ln.amount) for ln in charge.lines.all()] == [
        ("97124", 35, 2, Decimal("95.00"))
    ]
    assert any("Stretching (8 min) has no billing code" in p for p in charge.problems)
    assert services.blocking_problems(charge) == []
    services.mark_charge_ready(actor=biller, charge=charge)
    assert patient_balance(patient) == Decimal("95.00")
    # the superbill lists the codes for the patient's claim; the amount is the service's
    content = superbill_content([charge], patient=patient)
    visit = content["visits"][0]
    assert visit["service"] == "Treatment 60 min"
    assert [(ln["code"], ln["units"], ln["unit_price"], ln["amount"]) for ln in visit["lines"]] == [
        ("97124", 2, "", "95.00")
    ]
    assert content["total"] == "95.00"


def test_an_insured_visit_keeps_the_unit_rules(
    therapist: User,
    patient: Patient,
    location: Location,
    booked: Appointment,
    priced: ServicePrice,
    insured: Coverage,
) -> None:
    plan = signed_plan(therapist, patient, location, ["M54.50"])
    charge = charge_of(
        sign_visit(therapist, patient, location, FORTY_THREE, appointment=booked, plan=plan)
    )
    assert charge.payer == insured.payer
    assert charge.service is None
    assert charge.service_price is None
    # 35 timed minutes = 2 units (CMS) at the payer's 25.00: the service price plays no part
    assert [(ln.code, ln.units, ln.unit_price, ln.amount) for ln in charge.lines.all()] == [
        ("97124", 2, Decimal("25.00"), Decimal("50.00"))
    ]
    assert charge.total == Decimal("50.00")


def test_without_a_service_price_the_charge_says_so_and_waits(
    therapist: User,
    owner: User,
    biller: User,
    patient: Patient,
    location: Location,
    booked: Appointment,
    self_pay_prices: None,
) -> None:
    charge = charge_of(sign_visit(therapist, patient, location, FORTY_THREE, appointment=booked))
    expected = (
        f"No self-pay price for Treatment 60 min at {location.name}: set it under "
        "Billing → Settings → Service prices, then recalculate."
    )
    assert charge.problems[0] == expected
    assert charge.service_price is None
    assert charge.total == 0
    with pytest.raises(services.ChargeRefused, match="No self-pay price for Treatment 60 min"):
        services.mark_charge_ready(actor=biller, charge=charge)
    assert Charge.objects.get(pk=charge.pk).status == Charge.Status.TO_REVIEW
    services.set_service_price(
        actor=owner, location=location, appointment_type=booked.appointment_type, price="80.00"
    )
    charge = services.recalculate_charge(actor=biller, charge=charge)
    assert charge.total == Decimal("80.00")
    assert expected not in charge.problems
    services.mark_charge_ready(actor=biller, charge=charge)
    assert patient_balance(patient) == Decimal("80.00")


def test_a_visit_of_several_codes_shares_the_price_by_units(
    therapist: User,
    patient: Patient,
    location: Location,
    booked: Appointment,
    owner: User,
) -> None:
    services.set_service_price(
        actor=owner, location=location, appointment_type=booked.appointment_type, price="100.00"
    )
    techniques = (("swedish", 30), ("myofascial_release", 15))  # 2 + 1 units (45 min)
    charge = charge_of(sign_visit(therapist, patient, location, techniques, appointment=booked))
    assert [(ln.code, ln.units, ln.amount) for ln in charge.lines.all()] == [
        ("97124", 2, Decimal("66.67")),
        ("97140", 1, Decimal("33.33")),
    ]
    assert charge.total == Decimal("100.00")


def test_a_visit_of_techniques_without_codes_still_costs_the_service(
    therapist: User,
    biller: User,
    patient: Patient,
    location: Location,
    booked: Appointment,
    priced: ServicePrice,
) -> None:
    charge = charge_of(
        sign_visit(therapist, patient, location, (("reflexology", 60),), appointment=booked)
    )
    assert list(charge.lines.all()) == []
    assert charge.total == Decimal("95.00")
    services.mark_charge_ready(actor=biller, charge=charge)
    assert patient_balance(patient) == Decimal("95.00")


def test_a_visit_without_a_booking_is_priced_from_the_per_unit_list(
    therapist: User, patient: Patient, location: Location, self_pay_prices: None
) -> None:
    charge = charge_of(sign_visit(therapist, patient, location, FORTY_THREE))
    assert charge.service is None
    assert charge.total == Decimal("40.00")  # 2 units of 97124 at 20.00


@given(
    units=st.lists(st.integers(min_value=0, max_value=12), min_size=0, max_size=6),
    cents=st.integers(min_value=0, max_value=10_000_00),
)
def test_the_shares_of_a_service_price_add_up_to_it(units: list[int], cents: int) -> None:
    price = Decimal(cents) / 100
    lines = tuple(
        capture.Line(f"9711{i}", True, 15 * u, u, (), (), (), Decimal(1), Decimal(u))
        for i, u in enumerate(units)
    )
    draft = capture.price_per_service(capture.Draft(lines, Decimal(0), (), ()), price)
    assert draft.total == price
    if sum(units):
        assert sum(line.amount for line in draft.lines) == price
    for line in draft.lines:
        assert line.amount >= 0
        assert line.unit_price is None
        if line.units == 0:
            assert line.amount == 0


def test_a_service_price_is_a_positive_amount_of_an_active_type(
    owner: User, location: Location, treatment_60: AppointmentType
) -> None:
    with pytest.raises(ValidationError) as refused:
        services.set_service_price(
            actor=owner, location=location, appointment_type=treatment_60, price="95.001"
        )
    assert "price" in refused.value.message_dict
    scheduling.update_appointment_type(
        actor=owner, appointment_type=treatment_60, changes={"active": False}
    )
    treatment_60.refresh_from_db()
    with pytest.raises(ValidationError) as retired:
        services.set_service_price(
            actor=owner, location=location, appointment_type=treatment_60, price="95.00"
        )
    assert "appointment_type" in retired.value.message_dict
    assert not ServicePrice.objects.exists()


def _post_price(client: Client, location: Location, kind: AppointmentType, price: str) -> object:
    return client.post(
        "/billing/settings/service_price/",
        {
            "svc-location": str(location.public_id),
            "svc-service": str(kind.public_id),
            "svc-price": price,
        },
        follow=True,
    )


def test_the_biller_sets_a_service_price_on_the_settings_page(
    client_for: Callable[[User], Client],
    biller: User,
    location: Location,
    treatment_60: AppointmentType,
) -> None:
    client = client_for(biller)
    response = _post_price(client, location, treatment_60, "95.00")
    html = response.content.decode()  # type: ignore[attr-defined]
    assert "Self-pay price of Treatment 60 min" in html
    assert "95.00 USD" in html
    found = ServicePrice.objects.get()
    assert (found.location, found.appointment_type, found.price) == (
        location,
        treatment_60,
        Decimal("95.00"),
    )
    assert AuditEvent.objects.filter(object_type="ServicePrice").exists()
    bad = _post_price(client, location, treatment_60, "ninety")
    assert "Enter an amount such as 45.00." in bad.content.decode()  # type: ignore[attr-defined]
    assert ServicePrice.objects.get().price == Decimal("95.00")


@pytest.mark.parametrize("persona", ["front_desk", "therapist"])
def test_other_roles_cannot_set_a_service_price(
    client_for: Callable[[User], Client],
    persona: str,
    request: pytest.FixtureRequest,
    location: Location,
    treatment_60: AppointmentType,
) -> None:
    client = client_for(request.getfixturevalue(persona))
    response = _post_price(client, location, treatment_60, "95.00")
    assert response.status_code == 403  # type: ignore[attr-defined]
    assert not ServicePrice.objects.exists()


def test_another_organizations_owner_cannot_price_our_services(
    client_for: Callable[[User], Client],
    outsider: User,
    location: Location,
    treatment_60: AppointmentType,
) -> None:
    client = client_for(outsider)
    response = _post_price(client, location, treatment_60, "95.00")
    assert "Select a valid choice" in response.content.decode()  # type: ignore[attr-defined]
    assert not ServicePrice.objects.exists()
    with pytest.raises(PermissionDenied):
        services.set_service_price(
            actor=outsider, location=location, appointment_type=treatment_60, price="95.00"
        )
