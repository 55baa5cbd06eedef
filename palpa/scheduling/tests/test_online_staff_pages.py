"""Staff pages of online booking, per persona: the notices, the owner's settings and
reminder wording, and calendar feeds. Another organization's owner sees nothing of ours
(404); anonymous visitors are sent to sign in."""

from __future__ import annotations

import datetime as dt

import pytest

from palpa.accounts.models import Location, User
from palpa.audit.models import AuditEvent
from palpa.core.tests.support import PERSONAS, web_client
from palpa.scheduling import online, reminders
from palpa.scheduling.models import (
    AppointmentType,
    OnlineBookingNotice,
    OnlineBookingSettings,
    ReminderPolicy,
)
from palpa.scheduling.tests.support import make_type


@pytest.fixture
def online_type(owner: User) -> AppointmentType:
    return make_type(owner, "treatment-online", "treatment", 60, online_bookable=True)


@pytest.fixture
def request_notice(
    owner: User, location: Location, online_type: AppointmentType
) -> OnlineBookingNotice:
    config = online.update_online_settings(
        actor=owner,
        location=location,
        changes={"enabled": True, "new_patients": "request"},
        appointment_types=[online_type],
    )
    return online.request_as_new_patient(
        config=config,
        person=online.NewPatient(
            "Nora", "Quinn", dt.date(1988, 7, 1), "nora@example.com", "", False
        ),
        appointment_type=online_type,
        wanted_start=None,
    )


NOTICES = {
    "owner": 200,
    "therapist": 200,
    "other_therapist": 200,
    "front_desk": 200,
    "biller": 200,
    "outsider": 200,
    "anonymous": 302,
}


@pytest.mark.parametrize("who", PERSONAS)
def test_who_sees_the_notices(
    request: pytest.FixtureRequest, who: str, request_notice: OnlineBookingNotice
) -> None:
    response = web_client(request, who).get("/online-booking/")
    assert response.status_code == NOTICES[who]
    if response.status_code == 200:
        seen = "Quinn" in response.content.decode()
        assert seen == (who != "outsider")  # another organization sees none of ours


HANDLE = {
    "owner": 302,
    "therapist": 302,
    "other_therapist": 302,
    "front_desk": 302,
    "biller": 403,
    "outsider": 404,
    "anonymous": 302,
}


@pytest.mark.parametrize("who", PERSONAS)
def test_who_marks_a_notice_handled(
    request: pytest.FixtureRequest, who: str, request_notice: OnlineBookingNotice
) -> None:
    response = web_client(request, who).post(
        f"/online-booking/notices/{request_notice.public_id}/handled"
    )
    assert response.status_code == HANDLE[who]
    request_notice.refresh_from_db()
    assert (request_notice.handled_at is not None) == (HANDLE[who] == 302 and who != "anonymous")


def test_reading_the_notices_is_audited(
    request: pytest.FixtureRequest, front_desk: User, request_notice: OnlineBookingNotice
) -> None:
    web_client(request, "front_desk").get("/online-booking/")
    assert AuditEvent.objects.filter(
        actor=front_desk, action="read", object_type="OnlineBookingNotice"
    ).exists()


OWNER_ONLY = {
    "owner": 200,
    "therapist": 403,
    "other_therapist": 403,
    "front_desk": 403,
    "biller": 403,
    "outsider": 404,
    "anonymous": 302,
}


@pytest.mark.parametrize("who", PERSONAS)
def test_only_the_owner_opens_a_locations_settings(
    request: pytest.FixtureRequest, who: str, location: Location
) -> None:
    response = web_client(request, who).get(f"/online-booking/locations/{location.public_id}/")
    assert response.status_code == OWNER_ONLY[who]


def test_the_owner_opens_online_booking_with_its_rules(
    request: pytest.FixtureRequest, location: Location, online_type: AppointmentType
) -> None:
    client = web_client(request, "owner")
    response = client.post(
        f"/online-booking/locations/{location.public_id}/",
        {
            "enabled": "on",
            "appointment_types": [str(online_type.pk)],
            "days_ahead": "45",
            "min_notice_hours": "12",
            "cancel_notice_hours": "24",
            "move_any_therapist": "on",
            "start_every_minutes": "30",
            "new_patients": "book",
            "notify_email": "",
            "welcome": "",
        },
    )
    assert response.status_code == 302
    config = OnlineBookingSettings.objects.get(location=location)
    assert (config.enabled, config.days_ahead, config.min_notice_hours) == (True, 45, 12)
    assert config.move_any_therapist
    assert config.start_every_minutes == 30
    assert list(config.appointment_types.all()) == [online_type]


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"min_notice_hours": "1"}, "greater than or equal to 2"),
        ({}, "Choose at least one appointment type before opening online booking."),
    ],
)
def test_opening_without_a_type_or_with_a_tiny_notice_names_the_problem(
    request: pytest.FixtureRequest, location: Location, changes: dict[str, str], message: str
) -> None:
    data = {
        "enabled": "on",
        "days_ahead": "45",
        "min_notice_hours": "12",
        "cancel_notice_hours": "24",
        "start_every_minutes": "15",
        "new_patients": "book",
        **changes,
    }
    response = web_client(request, "owner").post(
        f"/online-booking/locations/{location.public_id}/", data
    )
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not OnlineBookingSettings.objects.filter(location=location).exists()


@pytest.mark.parametrize("who", PERSONAS)
def test_only_the_owner_sets_the_reminder_wording(request: pytest.FixtureRequest, who: str) -> None:
    # the outsider owns another organization: they see their own (default) wording
    expected = {**OWNER_ONLY, "outsider": 200}[who]
    assert web_client(request, who).get("/online-booking/reminders/").status_code == expected


def test_the_owners_wording_is_checked_and_replaces_the_defaults(
    request: pytest.FixtureRequest, owner: User
) -> None:
    client = web_client(request, "owner")
    bad = client.post(
        "/online-booking/reminders/",
        {"channel": "sms", "lead_hours": "24", "subject": "", "body": "See you {when}"},
    )
    assert "Unknown placeholder {when}" in bad.content.decode()
    good = client.post(
        "/online-booking/reminders/",
        {
            "channel": "sms",
            "lead_hours": "24",
            "subject": "",
            "body": "{what} on {date} at {time}: {manage_link}",
        },
    )
    assert good.status_code == 302
    rows = {
        (p.channel, p.lead_minutes)
        for p in ReminderPolicy.objects.filter(organization=owner.organization)
    }
    assert rows == {("email", 2880), ("sms", 120), ("sms", 1440)}
    policies = reminders.policies_for(int(owner.organization_id or 0))
    assert [p.lead_minutes for p in policies if p.channel == "sms"] == [1440, 120]


FEEDS = {
    "owner": 200,
    "therapist": 200,
    "other_therapist": 200,
    "front_desk": 403,
    "biller": 403,
    "outsider": 200,
    "anonymous": 302,
}


@pytest.mark.parametrize("who", PERSONAS)
def test_who_opens_the_calendar_feed_page(request: pytest.FixtureRequest, who: str) -> None:
    assert web_client(request, who).get("/online-booking/calendar-feeds/").status_code == FEEDS[who]


def test_a_therapist_makes_a_feed_and_sees_its_address_once(
    request: pytest.FixtureRequest, therapist: User
) -> None:
    client = web_client(request, "therapist")
    made = client.post("/online-booking/calendar-feeds/")
    text = made.content.decode()
    assert "/feeds/calendar/" in text
    assert "no-store" in made["Cache-Control"]
    assert "/feeds/calendar/" not in client.get("/online-booking/calendar-feeds/").content.decode()


def test_an_outsider_cannot_revoke_our_feed(
    request: pytest.FixtureRequest, therapist: User
) -> None:
    from palpa.scheduling import feeds

    feed, _token = feeds.create_feed(actor=therapist)
    response = web_client(request, "outsider").post(
        f"/online-booking/calendar-feeds/{feed.public_id}/revoke"
    )
    assert response.status_code == 404
    other = web_client(request, "other_therapist").post(
        f"/online-booking/calendar-feeds/{feed.public_id}/revoke"
    )
    assert other.status_code == 404
    feed.refresh_from_db()
    assert feed.revoked_at is None


def test_the_dashboard_tells_staff_of_online_bookings_not_yet_handled(
    request: pytest.FixtureRequest, request_notice: OnlineBookingNotice
) -> None:
    text = web_client(request, "front_desk").get("/").content.decode()
    assert "1 online booking, change or request not yet handled" in text
    outsider = web_client(request, "outsider").get("/").content.decode()
    assert "Online bookings to look at" not in outsider
