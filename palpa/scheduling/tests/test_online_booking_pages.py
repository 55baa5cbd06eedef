"""The public online booking pages: a patient on file proves who they are with a code or
link, a new patient books or sends a request, and staff are told. Tokens and codes are
one-time, expiring, bound to their location and rate-limited; the pages give nothing
away about who is on file.

The clock stands at Monday 2 March 2026, 15:00 in Tampa.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from typing import Any

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import ValidationError
from django.test import Client

from palpa.accounts.models import Location, User
from palpa.audit.models import AuditEvent
from palpa.core.tests.support import web_client
from palpa.patients.models import Consent, Patient
from palpa.practitioners.models import Practitioner
from palpa.referrals.services import cancel_referral
from palpa.referrals.tests.support import make_physician, make_referral
from palpa.scheduling import online, services, sms
from palpa.scheduling.models import (
    Appointment,
    AppointmentType,
    OnlineBookingNotice,
    OnlineBookingSettings,
)
from palpa.scheduling.tests.support import NEW_YORK, at, make_type

TUESDAY_NEXT = dt.date(2026, 3, 10)


@pytest.fixture(autouse=True)
def _messages(settings: Any) -> Iterator[None]:
    settings.PALPA_SMS_BACKEND = "palpa.scheduling.sms.MemoryBackend"
    settings.PALPA_SITE_URL = "https://palpa.example"
    sms.outbox.clear()
    yield
    sms.outbox.clear()


@pytest.fixture
def online_type(owner: User) -> AppointmentType:
    return make_type(owner, "treatment-online", "treatment", 60, online_bookable=True)


def open_page(
    owner: User, location: Location, kind: AppointmentType, **changes: Any
) -> OnlineBookingSettings:
    values: dict[str, Any] = {
        "enabled": True,
        "days_ahead": 30,
        "min_notice_hours": 24,
        "cancel_notice_hours": 24,
        "new_patients": "book",
        "notify_email": "frontdesk@bayside.example",
        "welcome": "",
    }
    values.update(changes)
    return online.update_online_settings(
        actor=owner, location=location, changes=values, appointment_types=[kind]
    )


@pytest.fixture
def config(
    owner: User, location: Location, online_type: AppointmentType, hours: None
) -> OnlineBookingSettings:
    return open_page(owner, location, online_type)


def start_url(config: OnlineBookingSettings) -> str:
    return f"/book/{config.location.public_id}/"


def choose(
    client: Client,
    config: OnlineBookingSettings,
    kind: AppointmentType,
    practitioner: Practitioner,
    start: dt.datetime,
) -> Any:
    query = {
        "type": str(kind.public_id),
        "practitioner": str(practitioner.public_id),
        "start": start.isoformat(),
    }
    return client.get(start_url(config) + "details/", query)


TOKENS = re.compile(r'(csrfmiddlewaretoken" value="|X-CSRFToken": ")[^"]+"')


def without_tokens(content: bytes) -> str:
    return TOKENS.sub("", content.decode())


def code_from_mail() -> str:
    match = re.search(r"is (\d{6})", str(mail.outbox[-1].body))
    assert match
    return match.group(1)


# --- choosing a time -------------------------------------------------------------------


def test_the_page_lists_the_offered_types_and_free_times_in_local_time(
    config: OnlineBookingSettings, online_type: AppointmentType
) -> None:
    page = Client().get(start_url(config))
    assert page.status_code == 200
    assert "no-store" in page["Cache-Control"]
    assert "Treatment 60 min" in page.content.decode()
    slots = Client().get(start_url(config), {"type": str(online_type.public_id)})
    text = slots.content.decode()
    # 24 hours' notice: the first free time is Tuesday 3 March 4:00 PM (Mon 3 PM + 24 h,
    # on the 15-minute grid within 9-17 hours, 60 minutes + 15 buffer)
    assert "Tuesday, March 3" in text
    assert "9:00 AM" in text
    assert "Monday, March 2" not in text
    assert "Tess Therapist" in text


def test_a_closed_unknown_or_inactive_location_shows_the_same_not_available_page(
    owner: User, location: Location, config: OnlineBookingSettings, online_type: AppointmentType
) -> None:
    open_page(owner, location, online_type, enabled=False)
    closed = Client().get(start_url(config))
    unknown = Client().get("/book/00000000-0000-4000-8000-000000000000/")
    assert closed.status_code == unknown.status_code == 404
    assert without_tokens(closed.content) == without_tokens(unknown.content)


def test_times_beyond_the_horizon_are_not_offered(
    owner: User, location: Location, online_type: AppointmentType, hours: None
) -> None:
    config = open_page(owner, location, online_type, days_ahead=3)
    page = Client().get(
        start_url(config), {"type": str(online_type.public_id), "day": "2026-03-20"}
    )
    text = page.content.decode()
    assert "March 20" not in text
    assert "Thursday, March 5" in text  # clamped to the last bookable week


# --- a patient on file ------------------------------------------------------------------


def test_a_patient_on_file_books_with_a_code_and_staff_are_told(
    django_capture_on_commit_callbacks: Any,
    config: OnlineBookingSettings,
    online_type: AppointmentType,
    practitioner: Practitioner,
    patient: Patient,
) -> None:
    client = Client()
    start = at(TUESDAY_NEXT, "10:00")
    assert choose(client, config, online_type, practitioner, start).status_code == 200
    sent = client.post(
        start_url(config) + "details/",
        {"action": "returning", "r-contact": "ROSA@example.com", "r-date_of_birth": "1971-03-14"},
    )
    assert sent.status_code == 302
    assert mail.outbox[-1].to == ["rosa@example.com"]
    code = code_from_mail()
    verified = client.post(start_url(config) + "verify/", {"code": code})
    assert verified.status_code == 302
    page = client.get(start_url(config) + "details/")
    assert "Booking for Rosa" in page.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        booked = client.post(start_url(config) + "details/", {"action": "book"})
    assert booked.status_code == 200
    assert "You are booked" in booked.content.decode()
    assert "r***@example.com" in booked.content.decode()
    appointment = Appointment.objects.get(patient=patient)
    assert appointment.source == "online"
    assert appointment.start == start
    notice = OnlineBookingNotice.objects.get(appointment=appointment)
    assert notice.kind == "booked"
    staff_mail = [m for m in mail.outbox if m.to == ["frontdesk@bayside.example"]]
    assert len(staff_mail) == 1
    assert "Booked online at Bayside Clinic" in str(staff_mail[0].subject)
    assert "Rosa" not in str(staff_mail[0].body)  # no patient details by email
    assert AuditEvent.objects.filter(actor_label=online.PATIENT_LABEL, action="login").exists()


def test_the_answer_is_the_same_whether_or_not_the_patient_is_on_file(
    config: OnlineBookingSettings,
    online_type: AppointmentType,
    practitioner: Practitioner,
    patient: Patient,
) -> None:
    pages = []
    for contact in ("rosa@example.com", "nobody@example.com"):
        client = Client()
        choose(client, config, online_type, practitioner, at(TUESDAY_NEXT, "10:00"))
        client.post(
            start_url(config) + "details/",
            {"action": "returning", "r-contact": contact, "r-date_of_birth": "1971-03-14"},
        )
        pages.append(without_tokens(client.get(start_url(config) + "verify/").content))
    assert pages[0] == pages[1]
    assert len(mail.outbox) == 1  # only the patient on file got a code


def test_a_code_by_text_message_when_the_patient_gives_the_phone_on_file(
    config: OnlineBookingSettings,
    online_type: AppointmentType,
    practitioner: Practitioner,
    patient: Patient,
) -> None:
    client = Client()
    choose(client, config, online_type, practitioner, at(TUESDAY_NEXT, "10:00"))
    client.post(
        start_url(config) + "details/",
        {"action": "returning", "r-contact": "(813) 555-0101", "r-date_of_birth": "1971-03-14"},
    )
    assert [m.to for m in sms.outbox] == ["+18135550101"]
    assert "your booking code is" in sms.outbox[0].body


def _ask_code(
    client: Client, config: OnlineBookingSettings, kind: AppointmentType, practitioner: Practitioner
) -> str:
    choose(client, config, kind, practitioner, at(TUESDAY_NEXT, "10:00"))
    client.post(
        start_url(config) + "details/",
        {"action": "returning", "r-contact": "rosa@example.com", "r-date_of_birth": "1971-03-14"},
    )
    return code_from_mail()


def test_five_wrong_codes_lock_the_code(
    config: OnlineBookingSettings,
    online_type: AppointmentType,
    practitioner: Practitioner,
    patient: Patient,
) -> None:
    client = Client()
    code = _ask_code(client, config, online_type, practitioner)
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(online.CODE_ATTEMPTS):
        page = client.post(start_url(config) + "verify/", {"code": wrong})
        assert "That code did not work" in page.content.decode()
    page = client.post(start_url(config) + "verify/", {"code": code})
    assert page.status_code == 200  # not verified, even with the right code
    assert "Booking for" not in client.get(start_url(config) + "details/").content.decode()


def test_an_expired_code_does_not_work(
    config: OnlineBookingSettings,
    online_type: AppointmentType,
    practitioner: Practitioner,
    patient: Patient,
) -> None:
    client = Client()
    code = _ask_code(client, config, online_type, practitioner)
    with time_machine.travel(dt.datetime(2026, 3, 2, 20, 16, tzinfo=dt.UTC), tick=False):
        page = client.post(start_url(config) + "verify/", {"code": code})
    assert "That code did not work" in page.content.decode()


def test_the_link_in_the_message_works_once(
    config: OnlineBookingSettings,
    online_type: AppointmentType,
    practitioner: Practitioner,
    patient: Patient,
) -> None:
    client = Client()
    _ask_code(client, config, online_type, practitioner)
    link = re.search(r"https://palpa\.example(/book/code/[^\s]+/)", str(mail.outbox[-1].body))
    assert link
    first = client.get(link.group(1))
    assert first.status_code == 302
    again = Client().get(link.group(1))
    assert again.status_code == 404


def test_a_code_made_at_one_location_does_not_open_another(
    owner: User,
    config: OnlineBookingSettings,
    online_type: AppointmentType,
    practitioner: Practitioner,
    patient: Patient,
) -> None:
    other = Location.objects.create(
        organization=config.location.organization,
        name="Bayside North",
        address_line1="9 North Rd",
        city="Tampa",
        region="FL",
        postal_code="33603",
    )
    other_config = open_page(owner, other, online_type)
    client = Client()
    code = _ask_code(client, config, online_type, practitioner)
    assert (
        online.verify_code(
            challenge=client.session["palpa_online_booking"]["challenge"], code=code, location=other
        )
        is None
    )
    assert client.post(
        f"/book/{other_config.location.public_id}/verify/", {"code": code}
    ).status_code in (200, 302)
    assert "Booking for" not in client.get(f"/book/{other.public_id}/details/").content.decode()


def test_too_many_requests_from_one_visitor_are_slowed_down(
    settings: Any, config: OnlineBookingSettings
) -> None:
    settings.PALPA_ONLINE_BOOKING_RATE_LIMIT = 3
    client = Client()
    codes = [client.get(start_url(config)).status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    assert "Please wait" in client.get(start_url(config)).content.decode()


def test_patients_behind_one_address_do_not_slow_each_other_down(
    settings: Any, config: OnlineBookingSettings
) -> None:
    """A waiting-room tablet or the clinic's Wi-Fi: one address, many patients."""
    settings.PALPA_ONLINE_BOOKING_RATE_LIMIT = 3
    patients = [Client() for _ in range(12)]
    codes = [c.get(start_url(config)).status_code for c in patients for _ in range(3)]
    assert codes == [200] * 36


def test_a_client_that_drops_its_cookie_meets_the_address_ceiling(
    settings: Any, config: OnlineBookingSettings
) -> None:
    settings.PALPA_ONLINE_BOOKING_ADDRESS_LIMIT = 5
    codes = [Client().get(start_url(config)).status_code for _ in range(6)]
    assert codes == [200] * 5 + [429]


def test_codes_asked_for_one_contact_are_limited_whoever_asks(
    settings: Any,
    config: OnlineBookingSettings,
    online_type: AppointmentType,
    practitioner: Practitioner,
    patient: Patient,
) -> None:
    settings.PALPA_ONLINE_BOOKING_CODE_LIMIT = 2
    answers = []
    for contact in ("rosa@example.com", "ROSA@example.com ", "rosa@example.com"):
        client = Client()  # a new visitor each time
        choose(client, config, online_type, practitioner, at(TUESDAY_NEXT, "10:00"))
        answer = client.post(
            start_url(config) + "details/",
            {"action": "returning", "r-contact": contact, "r-date_of_birth": "1971-03-14"},
        )
        answers.append(answer.status_code)
    assert answers == [302, 302, 429]
    assert len(mail.outbox) == 2


def test_at_most_three_codes_an_hour_reach_one_patient(
    settings: Any,
    config: OnlineBookingSettings,
    online_type: AppointmentType,
    practitioner: Practitioner,
    patient: Patient,
) -> None:
    settings.PALPA_ONLINE_BOOKING_CODE_LIMIT = 100
    for _ in range(5):
        client = Client()
        choose(client, config, online_type, practitioner, at(TUESDAY_NEXT, "10:00"))
        client.post(
            start_url(config) + "details/",
            {
                "action": "returning",
                "r-contact": "rosa@example.com",
                "r-date_of_birth": "1971-03-14",
            },
        )
    assert len(mail.outbox) == online.CODES_PER_HOUR


# --- new patients ----------------------------------------------------------------------

NEW = {
    "action": "new",
    "n-given_name": "Nora",
    "n-family_name": "Quinn",
    "n-date_of_birth": "1988-07-01",
    "n-phone": "813 555 0177",
    "n-email": "nora@example.com",
    "n-texts_allowed": "on",
    "n-privacy": "on",
}


def test_a_new_patient_books_and_is_registered_with_the_consents_given(
    config: OnlineBookingSettings, online_type: AppointmentType, practitioner: Practitioner
) -> None:
    client = Client()
    choose(client, config, online_type, practitioner, at(TUESDAY_NEXT, "11:00"))
    page = client.post(start_url(config) + "details/", NEW)
    assert "You are booked" in page.content.decode()
    patient = Patient.objects.get(family_name="Quinn")
    assert patient.primary_location == config.location
    assert set(Consent.objects.filter(patient=patient).values_list("kind", flat=True)) == {
        "privacy_notice",
        "contact_email",
        "contact_sms",
    }
    assert Appointment.objects.get(patient=patient).start == at(TUESDAY_NEXT, "11:00")


def test_a_new_patient_must_tick_the_privacy_notice_and_give_a_way_to_reach_them(
    config: OnlineBookingSettings, online_type: AppointmentType, practitioner: Practitioner
) -> None:
    client = Client()
    choose(client, config, online_type, practitioner, at(TUESDAY_NEXT, "11:00"))
    data = {**NEW, "n-privacy": "", "n-phone": "", "n-email": "", "n-texts_allowed": ""}
    page = client.post(start_url(config) + "details/", data)
    text = page.content.decode()
    assert "Please tick this box to continue." in text
    assert "Give an email or a mobile phone" in text
    assert not Patient.objects.filter(family_name="Quinn").exists()


def test_a_phone_number_that_is_not_one_is_named_and_nothing_is_saved(
    config: OnlineBookingSettings, online_type: AppointmentType, practitioner: Practitioner
) -> None:
    client = Client()
    choose(client, config, online_type, practitioner, at(TUESDAY_NEXT, "11:00"))
    page = client.post(start_url(config) + "details/", {**NEW, "n-phone": "call me maybe"})
    assert "Enter a phone number of 7 to 15 digits" in page.content.decode()
    assert not Patient.objects.filter(family_name="Quinn").exists()
    assert not Appointment.objects.exists()


def test_request_only_mode_books_nothing_and_asks_staff(
    owner: User,
    location: Location,
    online_type: AppointmentType,
    practitioner: Practitioner,
    hours: None,
) -> None:
    config = open_page(owner, location, online_type, new_patients="request")
    client = Client()
    choose(client, config, online_type, practitioner, at(TUESDAY_NEXT, "11:00"))
    page = client.post(start_url(config) + "details/", NEW)
    assert "Request sent: not booked yet" in page.content.decode()
    assert not Patient.objects.filter(family_name="Quinn").exists()
    assert not Appointment.objects.exists()
    notice = OnlineBookingNotice.objects.get()
    assert (notice.kind, notice.family_name, notice.wanted_start) == (
        "requested",
        "Quinn",
        at(TUESDAY_NEXT, "11:00"),
    )


def test_when_new_patients_are_not_taken_online_the_form_is_absent_and_refused(
    owner: User,
    location: Location,
    online_type: AppointmentType,
    practitioner: Practitioner,
    hours: None,
) -> None:
    config = open_page(owner, location, online_type, new_patients="closed")
    client = Client()
    page = choose(client, config, online_type, practitioner, at(TUESDAY_NEXT, "11:00"))
    assert "Book as a new patient" not in page.content.decode()
    client.post(start_url(config) + "details/", NEW)
    assert not Patient.objects.filter(family_name="Quinn").exists()


def test_a_time_taken_meanwhile_asks_to_choose_again(
    front_desk: User,
    config: OnlineBookingSettings,
    online_type: AppointmentType,
    practitioner: Practitioner,
    patient: Patient,
) -> None:
    from palpa.scheduling import services

    client = Client()
    choose(client, config, online_type, practitioner, at(TUESDAY_NEXT, "11:00"))
    services.book_appointment(
        actor=front_desk,
        patient=patient,
        practitioner=practitioner,
        location=config.location,
        appointment_type=online_type,
        start=at(TUESDAY_NEXT, "11:00"),
    )
    page = client.post(start_url(config) + "details/", NEW)
    assert page.status_code == 409
    assert "no longer free" in page.content.decode()
    assert not Patient.objects.filter(family_name="Quinn").exists()


def test_neither_the_code_nor_the_links_token_is_stored(
    config: OnlineBookingSettings,
    online_type: AppointmentType,
    practitioner: Practitioner,
    patient: Patient,
) -> None:
    from palpa.scheduling.models import BookingAccessCode

    client = Client()
    code = _ask_code(client, config, online_type, practitioner)
    token = re.search(r"/book/code/([^/\s]+)/", str(mail.outbox[-1].body))
    assert token
    row = BookingAccessCode.objects.get()
    stored = f"{row.token_hash} {row.code_hash}"
    assert code not in stored
    assert token.group(1) not in stored
    assert row.expires_at == dt.datetime(2026, 3, 2, 20, 15, tzinfo=dt.UTC)
    assert AuditEvent.objects.filter(
        action="create", object_id=str(row.public_id), patient_id=str(patient.public_id)
    ).exists()


# --- patients with a referral ------------------------------------------------------------


def _verified_client(
    config: OnlineBookingSettings, kind: AppointmentType, practitioner: Practitioner
) -> Client:
    client = Client()
    code = _ask_code(client, config, kind, practitioner)
    assert client.post(start_url(config) + "verify/", {"code": code}).status_code == 302
    return client


def test_a_referral_patient_books_within_the_visits_left(
    owner: User,
    front_desk: User,
    config: OnlineBookingSettings,
    online_type: AppointmentType,
    practitioner: Practitioner,
    patient: Patient,
) -> None:
    make_referral(front_desk, patient, make_physician(owner), visits=8)
    client = _verified_client(config, online_type, practitioner)
    booked = client.post(start_url(config) + "details/", {"action": "book"})
    assert booked.status_code == 200
    assert "You are booked" in booked.content.decode()
    assert Appointment.objects.filter(patient=patient, status="booked").count() == 1


def test_a_visit_beyond_the_referral_becomes_a_request_that_staff_see(
    request: pytest.FixtureRequest,
    owner: User,
    front_desk: User,
    config: OnlineBookingSettings,
    online_type: AppointmentType,
    practitioner: Practitioner,
    patient: Patient,
) -> None:
    make_referral(front_desk, patient, make_physician(owner), visits=1)
    services.book_appointment(
        actor=front_desk,
        patient=patient,
        practitioner=practitioner,
        location=config.location,
        appointment_type=online_type,
        start=at(dt.date(2026, 3, 5), "10:00"),
    )
    client = _verified_client(config, online_type, practitioner)
    page = client.post(start_url(config) + "details/", {"action": "book"})
    text = page.content.decode()
    assert page.status_code == 200
    assert "Request sent: not booked yet" in text
    assert "the clinic needs to check your referral" in text
    for staff_only in ("Bennett", "of 1", "owner", "override", "visits are planned"):
        assert staff_only not in text
    assert Appointment.objects.filter(patient=patient).count() == 1  # nothing booked
    notice = OnlineBookingNotice.objects.get(kind="referral")
    assert notice.patient == patient
    assert notice.wanted_start == at(TUESDAY_NEXT, "10:00")
    assert "the referral from Laura Bennett, MD has" in notice.message
    assert AuditEvent.objects.filter(
        actor_label=online.PATIENT_LABEL, object_id=str(notice.public_id)
    ).exists()
    listed = web_client(request, "front_desk").get("/online-booking/").content.decode()
    assert "Request to book: the referral does not cover it" in listed
    assert "Bennett" in listed  # the reason is for staff


def test_another_physicians_cancelled_referral_is_never_shown_to_the_patient(
    owner: User,
    front_desk: User,
    config: OnlineBookingSettings,
    online_type: AppointmentType,
    practitioner: Practitioner,
    patient: Patient,
) -> None:
    referral = make_referral(front_desk, patient, make_physician(owner), visits=8)
    cancel_referral(actor=front_desk, referral=referral, reason="Sent for another patient.")
    client = _verified_client(config, online_type, practitioner)
    page = client.post(start_url(config) + "details/", {"action": "book"})
    text = page.content.decode()
    assert "Request sent: not booked yet" in text
    for staff_only in ("Bennett", "cancelled", "visits used", "No referral is in effect"):
        assert staff_only not in text
    assert not Appointment.objects.filter(patient=patient).exists()


@pytest.mark.parametrize(("every", "minutes"), [(15, {0, 15, 30, 45}), (30, {0, 30}), (60, {0})])
def test_patients_are_offered_start_times_on_the_owners_grid(
    owner: User,
    location: Location,
    online_type: AppointmentType,
    hours: None,
    every: int,
    minutes: set[int],
) -> None:
    """The therapist works 09:00-17:00 next week; a 60-minute type starts every 15, 30 or
    60 minutes of the working day, as the owner chose, in the clinic's own time."""
    config = open_page(owner, location, online_type, start_every_minutes=every)
    next_monday = dt.date(2026, 3, 9)
    slots = online.offered_slots(config, online_type, next_monday, days=1)
    local = [s.start.astimezone(NEW_YORK) for s in slots]
    assert {t.minute for t in local} == minutes
    assert local[0].time() == dt.time(9, 0)
    assert local[-1].time() == dt.time(16, 0)
    assert len(set(local)) == 7 * 60 // every + 1


def test_the_start_time_grid_is_one_of_the_offered_choices(
    owner: User, location: Location, online_type: AppointmentType
) -> None:
    with pytest.raises(ValidationError) as refused:
        open_page(owner, location, online_type, start_every_minutes=20)
    assert "start_every_minutes" in refused.value.message_dict
