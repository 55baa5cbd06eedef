"""book_appointment and its rules: rooms, buffers, hours, license, screening, referral."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from palpa.accounts.models import Location, Room, User
from palpa.audit.models import AuditEvent
from palpa.core.errors import Refused
from palpa.patients.models import Patient
from palpa.practitioners.models import Practitioner
from palpa.practitioners.services import LicenseError
from palpa.referrals.models import ReferralOverride
from palpa.referrals.services import ReferralRefused
from palpa.referrals.tests.support import make_physician, make_referral
from palpa.scheduling import services
from palpa.scheduling.models import Appointment, AppointmentType
from palpa.scheduling.tests.support import NEXT_MONDAY, at, make_room, make_type
from palpa.screening.services import record_screening
from palpa.screening.tests.support import facts_stop_neck

pytestmark = pytest.mark.usefixtures("hours")
REASON = "The physician authorized more visits by phone; the letter follows."


@pytest.fixture
def book(
    front_desk: User, patient: Patient, practitioner: Practitioner, location: Location
) -> services_book:
    return services_book(front_desk, patient, practitioner, location)


class services_book:
    """book(type, "10:00", day=..., **overrides) as the front desk, unless actor= is given."""

    def __init__(
        self, actor: User, patient: Patient, practitioner: Practitioner, location: Location
    ) -> None:
        self.defaults = {
            "actor": actor,
            "patient": patient,
            "practitioner": practitioner,
            "location": location,
        }

    def __call__(
        self, kind: AppointmentType, hhmm: str, day: dt.date = NEXT_MONDAY, **kw: object
    ) -> Appointment:
        args = {**self.defaults, "appointment_type": kind, "start": at(day, hhmm), **kw}
        return services.book_appointment(**args)  # type: ignore[arg-type]


def test_front_desk_books_an_appointment_in_a_free_room(
    book: services_book, front_desk: User, patient: Patient, treatment: AppointmentType, room: Room
) -> None:
    a = book(treatment, "10:00")
    assert (a.status, a.source, a.booked_by, a.room) == ("booked", "staff", front_desk, room)
    assert a.end == at(NEXT_MONDAY, "11:00")
    assert a.busy_until == at(NEXT_MONDAY, "11:15")
    entry = AuditEvent.objects.get(object_type="Appointment", action="create")
    assert entry.patient_id == str(patient.public_id)
    assert entry.detail["start"] == a.start.isoformat()


def test_the_practitioner_cannot_be_double_booked_buffers_included(
    book: services_book, treatment: AppointmentType, treatment_30: AppointmentType
) -> None:
    book(treatment, "10:00")
    for taken in ("10:00", "10:30", "11:00", "09:45"):
        with pytest.raises(services.SlotTaken) as refused:
            book(treatment_30, taken)
        assert refused.value.code == "slot_taken"
    assert book(treatment_30, "11:15").start == at(NEXT_MONDAY, "11:15")  # after the buffer
    assert book(treatment_30, "09:00").end == at(NEXT_MONDAY, "09:30")  # ends as the 10:00 starts
    assert Appointment.objects.count() == 3


def test_a_cancelled_appointment_frees_its_slot(
    book: services_book, front_desk: User, treatment: AppointmentType
) -> None:
    first = book(treatment, "10:00")
    services.cancel_appointment(actor=front_desk, appointment=first, reason="Patient is ill")
    assert book(treatment, "10:00").status == "booked"


def test_a_room_is_never_double_booked_and_another_free_room_is_chosen(
    book: services_book,
    front_desk: User,
    patient: Patient,
    other_practitioner: Practitioner,
    location: Location,
    treatment: AppointmentType,
    room: Room,
    other_hours: None,
) -> None:
    book(treatment, "10:00", room=room)
    with pytest.raises(services.SlotTaken, match="room Room 1"):
        book(treatment, "10:00", practitioner=other_practitioner, room=room)
    with pytest.raises(services.SlotTaken, match="No suitable room"):
        book(treatment, "10:00", practitioner=other_practitioner)
    room_2 = make_room(location, "Room 2")
    assert book(treatment, "10:00", practitioner=other_practitioner).room == room_2


def test_a_type_needing_equipment_gets_a_room_that_has_it(
    book: services_book, owner: User, location: Location, room: Room
) -> None:
    hydro = make_type(owner, "hydro", "spa", 60, required_features=["hydrotherapy_tub"])
    with pytest.raises(ValidationError) as missing:
        book(hydro, "10:00")
    assert "No room at Bayside Clinic has hydrotherapy_tub" in str(missing.value.message_dict)
    with pytest.raises(ValidationError) as wrong_room:
        book(hydro, "10:00", room=room)
    assert set(wrong_room.value.message_dict) == {"room"}
    tub = make_room(location, "Tub room", ["hydrotherapy_tub"])
    assert book(hydro, "10:00").room == tub


def test_only_the_named_practitioners_may_perform_a_type(
    book: services_book, owner: User, other_practitioner: Practitioner
) -> None:
    mld = make_type(owner, "mld-60", "treatment", 60, practitioners=[other_practitioner])
    with pytest.raises(ValidationError) as refused:
        book(mld, "10:00")
    assert set(refused.value.message_dict) == {"practitioner"}


def test_outside_working_hours_is_refused_unless_staff_give_a_reason(
    book: services_book, treatment: AppointmentType
) -> None:
    with pytest.raises(services.OutsideHours, match="outside working hours") as refused:
        book(treatment, "16:30")  # would end at 17:30
    assert refused.value.code == "outside_hours"
    with pytest.raises(services.OutsideHours):
        book(treatment, "10:00", day=NEXT_MONDAY + dt.timedelta(days=5))  # Saturday
    with pytest.raises(ValidationError) as short:
        book(treatment, "16:30", outside_hours_reason="late")
    assert set(short.value.message_dict) == {"outside_hours_reason"}
    late = book(treatment, "16:30", outside_hours_reason="Only time the patient can come")
    assert late.outside_hours_reason == "Only time the patient can come"
    entry = AuditEvent.objects.get(object_type="Appointment", object_id=str(late.public_id))
    assert entry.detail["outside_hours_reason"] == late.outside_hours_reason


def test_time_off_and_extra_hours_change_when_the_practitioner_works(
    book: services_book,
    owner: User,
    practitioner: Practitioner,
    location: Location,
    treatment: AppointmentType,
) -> None:
    services.add_availability_exception(
        actor=owner,
        practitioner=practitioner,
        starts_at=at(NEXT_MONDAY, "12:00"),
        ends_at=at(NEXT_MONDAY, "17:00"),
        reason="Dentist",
    )
    with pytest.raises(services.OutsideHours):
        book(treatment, "13:00")
    assert book(treatment, "10:00").status == "booked"
    saturday = NEXT_MONDAY + dt.timedelta(days=5)
    services.add_availability_exception(
        actor=owner,
        practitioner=practitioner,
        location=location,
        kind="extra_hours",
        starts_at=at(saturday, "09:00"),
        ends_at=at(saturday, "13:00"),
    )
    assert book(treatment, "10:00", day=saturday).status == "booked"


def test_a_practitioner_without_a_license_in_the_locations_state_is_refused(
    book: services_book, location: Location, treatment: AppointmentType
) -> None:
    georgia = Location.objects.create(
        organization=location.organization,
        name="Savannah Clinic",
        address_line1="2 Bay St",
        city="Savannah",
        region="GA",
        postal_code="31401",
    )
    with pytest.raises(LicenseError) as refused:
        book(treatment, "10:00", location=georgia, outside_hours_reason="Covering in Savannah")
    assert refused.value.code == "license"
    assert not Appointment.objects.exists()


def test_a_stop_screen_allows_only_an_evaluation_and_the_flag_is_stored(
    book: services_book,
    therapist: User,
    patient: Patient,
    evaluation: AppointmentType,
    treatment: AppointmentType,
) -> None:
    record_screening(actor=therapist, patient=patient, facts=facts_stop_neck())
    with pytest.raises(services.ScreeningStop, match="STOP") as refused:
        book(treatment, "10:00")
    assert refused.value.code == "screening_stop"
    booked = book(evaluation, "10:00")
    assert booked.screening_decision == "STOP"
    codes = [f.code for f in services.screening_flags(patient)]
    assert codes == ["screening_stop"]


def test_booking_beyond_the_referral_needs_an_owners_override(
    book: services_book,
    owner: User,
    front_desk: User,
    patient: Patient,
    treatment: AppointmentType,
) -> None:
    make_referral(front_desk, patient, make_physician(owner), visits=2)
    book(treatment, "10:00")
    book(treatment, "10:00", day=NEXT_MONDAY + dt.timedelta(days=1))
    with pytest.raises(ReferralRefused, match="3 visits are planned"):
        book(treatment, "10:00", day=NEXT_MONDAY + dt.timedelta(days=2))
    with pytest.raises(PermissionDenied):
        book(treatment, "10:00", day=NEXT_MONDAY + dt.timedelta(days=2), override_reason=REASON)
    third = book(
        treatment,
        "10:00",
        day=NEXT_MONDAY + dt.timedelta(days=2),
        actor=owner,
        override_reason=REASON,
    )
    assert third.referral_override == ReferralOverride.objects.get()
    assert Appointment.objects.count() == 3


def test_spa_services_do_not_count_against_the_referral(
    book: services_book,
    owner: User,
    front_desk: User,
    patient: Patient,
    treatment: AppointmentType,
    spa: AppointmentType,
) -> None:
    make_referral(front_desk, patient, make_physician(owner), visits=1)
    book(treatment, "10:00")
    assert book(spa, "12:00").status == "booked"


def test_roles_and_organizations_are_checked(
    book: services_book,
    biller: User,
    outsider: User,
    outsider_patient: Patient,
    treatment: AppointmentType,
) -> None:
    with pytest.raises(PermissionDenied):
        book(treatment, "10:00", actor=biller)
    with pytest.raises(PermissionDenied):
        book(treatment, "10:00", actor=outsider)
    with pytest.raises(PermissionDenied):
        book(treatment, "10:00", patient=outsider_patient)
    assert not Appointment.objects.exists()


def test_a_naive_time_is_422_naming_start(
    front_desk: User,
    patient: Patient,
    practitioner: Practitioner,
    location: Location,
    treatment: AppointmentType,
) -> None:
    with pytest.raises(ValidationError) as refused:
        services.book_appointment(
            actor=front_desk,
            patient=patient,
            practitioner=practitioner,
            location=location,
            appointment_type=treatment,
            start=dt.datetime(2026, 3, 9, 10, 0),
        )
    assert set(refused.value.message_dict) == {"start"}


def test_every_refusal_is_a_refused_for_the_api() -> None:
    for kind in (
        services.SlotTaken,
        services.OutsideHours,
        services.ScreeningStop,
        services.NotAllowedNow,
    ):
        assert issubclass(kind, Refused)
