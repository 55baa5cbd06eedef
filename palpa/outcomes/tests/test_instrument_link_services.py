"""Instrument links: only a hash is stored; they expire, work once, can be revoked and are
rate-limited; licensed instruments without text are refused; answers are scored and stored
like the clinic's, all or nothing."""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from palpa.accounts.models import User
from palpa.audit.models import AuditEvent
from palpa.audit.services import verify_chain
from palpa.core.errors import Refused
from palpa.core.models import RateWindow
from palpa.core.tests.support import NOW, frozen_clock
from palpa.outcomes import services
from palpa.outcomes.models import (
    InstrumentAdministration,
    InstrumentLink,
)
from palpa.outcomes.services import NewActivity
from palpa.patients.models import Patient

_clock = pytest.fixture(autouse=True)(frozen_clock)


def make(actor: User, patient: Patient, *instruments: str) -> tuple[InstrumentLink, str]:
    return services.create_instrument_link(
        actor=actor, patient=patient, instruments=list(instruments or ("NPRS",))
    )


def test_a_link_stores_only_the_hash_of_its_token(therapist: User, patient: Patient) -> None:
    link, token = make(therapist, patient, "NPRS", "GROC")
    assert len(token) >= 40
    stored = InstrumentLink.objects.get(pk=link.pk)
    assert stored.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in str(InstrumentLink.objects.filter(pk=link.pk).values().get())
    assert stored.instruments == ["NPRS", "GROC"]
    assert services.find_instrument_link(token) == link
    assert services.find_instrument_link(token[:-1] + ("A" if token[-1] != "A" else "B")) is None
    assert services.find_instrument_link("") is None
    entry = AuditEvent.objects.get(object_type="InstrumentLink", action="create")
    assert entry.actor == therapist
    assert entry.detail["instruments"] == ["NPRS", "GROC"]
    assert token not in str(entry.detail)


def test_a_link_works_for_seven_days_by_default(therapist: User, patient: Patient) -> None:
    link, token = make(therapist, patient)
    assert link.expires_at == NOW + dt.timedelta(days=7)
    with time_machine.travel(NOW + dt.timedelta(days=6, hours=23), tick=False):
        assert services.find_instrument_link(token) is not None
    with time_machine.travel(NOW + dt.timedelta(days=7), tick=False):
        assert services.find_instrument_link(token) is None
        assert link.state == InstrumentLink.State.EXPIRED
        with pytest.raises(Refused):
            services.submit_instrument_link(token=token, answers={"NPRS": [3]})
    assert not InstrumentAdministration.objects.exists()


def test_the_deployment_may_set_another_lifetime(
    therapist: User, patient: Patient, settings: Any
) -> None:
    settings.PALPA_INSTRUMENT_LINK_DAYS = 2
    link, _token = make(therapist, patient)
    assert link.expires_at == NOW + dt.timedelta(days=2)


def test_licensed_instruments_without_text_are_refused_by_name(
    therapist: User, patient: Patient
) -> None:
    with pytest.raises(ValidationError) as caught:
        make(therapist, patient, "NPRS", "ODI", "quickdash")
    [odi, quickdash] = caught.value.message_dict["instruments"]
    assert odi.startswith("ODI (Oswestry Disability Index) cannot be sent by link")
    assert "license does not let Palpa show the item text" in odi
    assert quickdash.startswith("QUICKDASH (QuickDASH")
    assert not InstrumentLink.objects.exists()
    assert {i.id for i in services.linkable_instruments()} == {"NPRS", "PSFS", "GROC"}


def test_no_unknown_or_repeated_or_missing_instruments(therapist: User, patient: Patient) -> None:
    with pytest.raises(ValidationError) as caught:
        make(therapist, patient, "NPRS", "nprs", "XYZ")
    problems = caught.value.message_dict["instruments"]
    assert problems[0] == "NPRS is chosen twice; choose each instrument once."
    assert problems[1].startswith("Unknown instrument 'XYZ'")
    with pytest.raises(ValidationError) as caught:
        services.create_instrument_link(actor=therapist, patient=patient, instruments=[])
    assert caught.value.message_dict["instruments"] == [
        "Choose at least one instrument for the patient to fill."
    ]
    with pytest.raises(ValidationError) as caught:
        services.create_instrument_link(
            actor=therapist, patient=patient, instruments=["NPRS"], context="sometime"
        )
    assert "context" in caught.value.message_dict


def test_only_therapists_and_owners_of_the_organization_make_links(
    owner: User, front_desk: User, biller: User, outsider: User, patient: Patient
) -> None:
    make(owner, patient)
    for actor in (front_desk, biller, outsider):
        with pytest.raises(PermissionDenied):
            make(actor, patient)
    assert InstrumentLink.objects.count() == 1


def test_the_patients_answers_are_scored_stored_and_the_link_is_used_up(
    therapist: User, patient: Patient
) -> None:
    link, token = make(therapist, patient, "NPRS", "PSFS", "GROC")
    stored = services.submit_instrument_link(
        token=token,
        answers={"NPRS": [4], "GROC": [3]},
        psfs_added=[
            NewActivity("Carry groceries", 5),
            NewActivity("", None),
            NewActivity("Sleep through the night", 8),
        ],
    )
    by_id = {a.instrument: a for a in stored}
    assert set(by_id) == {"NPRS", "PSFS", "GROC"}
    assert by_id["NPRS"].score == 4
    assert by_id["GROC"].score == 3
    psfs = by_id["PSFS"]
    assert psfs.item_labels == ["Carry groceries", "Sleep through the night"]
    assert psfs.answers == [5, 8]
    assert psfs.score == 6.5
    for administration in stored:
        assert administration.source == InstrumentAdministration.Source.PATIENT_LINK
        assert administration.instrument_link == link
        assert administration.entered_by == therapist
        assert administration.context == "reassessment"
        assert administration.administered_on == NOW.date()
        assert administration.library_version
    link.refresh_from_db()
    assert link.state == InstrumentLink.State.USED
    assert services.find_instrument_link(token) is None
    with pytest.raises(Refused):
        services.submit_instrument_link(token=token, answers={"NPRS": [1], "GROC": [1]})
    assert InstrumentAdministration.objects.count() == 3
    entries = AuditEvent.objects.filter(object_type="InstrumentAdministration", action="create")
    assert entries.count() == 3
    for entry in entries:
        assert entry.actor is None
        assert entry.actor_label == "patient (instrument link)"
        assert entry.organization_id == patient.organization_id
        assert entry.patient_id == str(patient.public_id)
        assert entry.detail["source"] == "patient_link"
    assert verify_chain(patient.organization_id).ok


def test_bad_answers_name_the_item_and_rule_and_save_nothing(
    therapist: User, patient: Patient
) -> None:
    _link, token = make(therapist, patient, "NPRS", "PSFS", "GROC")
    with pytest.raises(ValidationError) as caught:
        services.submit_instrument_link(
            token=token,
            answers={"NPRS": [11], "GROC": [None]},
            psfs_added=[NewActivity("Garden", 6), NewActivity("Walk the dog", None)],
        )
    errors = caught.value.message_dict
    assert errors["NPRS-1"] == [
        "Numeric Pain Rating Scale: Rating 1 answer 11 is out of range 0 to 10. Rule: each "
        "rating is answered with a whole number from 0 to 10, or null when unanswered."
    ]
    assert errors["GROC-1"] == [
        "Global Rating of Change: Rating 1 is unanswered. Rule: The one rating must be answered."
    ]
    assert errors["PSFS-2"] == ["Activity 2: rate 'Walk the dog' from 0 to 10, or clear its name."]
    assert not InstrumentAdministration.objects.exists()
    assert services.find_instrument_link(token) is not None  # still usable


def test_a_psfs_needs_one_rated_activity(therapist: User, patient: Patient) -> None:
    _link, token = make(therapist, patient, "PSFS")
    with pytest.raises(ValidationError) as caught:
        services.submit_instrument_link(
            token=token, answers={}, psfs_added=[NewActivity("", 4), NewActivity("", None)]
        )
    assert caught.value.message_dict == {
        "PSFS-name-1": ["Activity 1: name the activity you rated (1 to 120 characters)."]
    }
    with pytest.raises(ValidationError) as caught:
        services.submit_instrument_link(token=token, answers={}, psfs_added=[])
    assert caught.value.message_dict["PSFS"][0].startswith(
        "Patient-Specific Functional Scale: name at least one activity"
    )


def test_the_psfs_asks_again_for_the_activities_on_file(therapist: User, patient: Patient) -> None:
    services.administer_instrument(
        actor=therapist,
        patient=patient,
        instrument="PSFS",
        answers=[3, 2],
        item_labels=["Check blind spot driving", "Read in bed"],
        administered_on=NOW.date() - dt.timedelta(days=14),
        context="baseline",
    )
    link, token = make(therapist, patient, "PSFS")
    assert link.psfs_activities == ["Check blind spot driving", "Read in bed"]
    with pytest.raises(ValidationError) as caught:
        services.submit_instrument_link(
            token=token,
            answers={"PSFS": [5, None]},
            psfs_added=[NewActivity("read in bed", 4)],
        )
    assert caught.value.message_dict["PSFS-name-3"] == [
        "Activity 3: 'read in bed' is already listed; name each activity once."
    ]
    [psfs] = services.submit_instrument_link(
        token=token, answers={"PSFS": [5, None]}, psfs_added=[NewActivity("Garden", 7)]
    )
    assert psfs.item_labels == ["Check blind spot driving", "Read in bed", "Garden"]
    assert psfs.answers == [5, None, 7]
    assert psfs.score == 6


def test_a_new_link_replaces_the_patients_unused_one(therapist: User, patient: Patient) -> None:
    old, old_token = make(therapist, patient)
    _new, new_token = make(therapist, patient, "GROC")
    assert services.find_instrument_link(old_token) is None
    assert services.find_instrument_link(new_token) is not None
    old.refresh_from_db()
    assert old.state == InstrumentLink.State.REVOKED
    assert old.revoke_reason == "Replaced by a newer link."


def test_staff_revoke_an_unused_link_only(
    therapist: User, other_therapist: User, front_desk: User, patient: Patient
) -> None:
    link, token = make(therapist, patient)
    with pytest.raises(PermissionDenied):
        services.revoke_instrument_link(actor=front_desk, link=link)
    revoked = services.revoke_instrument_link(
        actor=other_therapist, link=link, reason="Sent to the wrong number."
    )
    assert revoked.state == InstrumentLink.State.REVOKED
    assert revoked.revoked_by == other_therapist
    assert services.find_instrument_link(token) is None
    with pytest.raises(Refused, match="revoked"):
        services.revoke_instrument_link(actor=therapist, link=link)
    with pytest.raises(Refused):
        services.submit_instrument_link(token=token, answers={"NPRS": [2]})
    entry = AuditEvent.objects.get(object_type="InstrumentLink", action="update")
    assert entry.detail == {
        "from": "pending",
        "to": "revoked",
        "reason": "Sent to the wrong number.",
    }
    _used, used_token = make(therapist, patient)
    services.submit_instrument_link(token=used_token, answers={"NPRS": [2]})
    with pytest.raises(Refused, match="filled in"):
        services.revoke_instrument_link(actor=therapist, link=_used)


def test_a_link_stops_working_when_the_patients_record_is_closed(
    owner: User, therapist: User, patient: Patient
) -> None:
    from palpa.patients.services import set_patient_status

    _link, token = make(therapist, patient)
    set_patient_status(actor=owner, patient=patient, status="inactive", reason="Moved away.")
    assert services.find_instrument_link(token) is None
    with pytest.raises(Refused):
        services.submit_instrument_link(token=token, answers={"NPRS": [2]})


def test_requests_are_limited_per_client_address_and_window(db: None, settings: Any) -> None:
    settings.PALPA_INSTRUMENT_LINK_RATE_LIMIT = 3
    settings.PALPA_INSTRUMENT_LINK_RATE_WINDOW_MINUTES = 15
    allow = services.allow_instrument_link_request
    assert [allow("203.0.113.9") for _ in range(4)] == [True, True, True, False]
    assert allow("198.51.100.7")  # another address
    with time_machine.travel(NOW + dt.timedelta(minutes=14), tick=False):
        assert not allow("203.0.113.9")
    with time_machine.travel(NOW + dt.timedelta(minutes=15), tick=False):
        assert allow("203.0.113.9")  # a new window
    with time_machine.travel(NOW + dt.timedelta(days=2), tick=False):
        allow("203.0.113.9")
        assert (
            RateWindow.objects.filter(scope="instrument_link").count() == 1
        )  # old windows are cleared away


def test_the_link_lists_its_state_over_time(therapist: User, patient: Patient) -> None:
    link, _token = make(therapist, patient)
    assert link.state == InstrumentLink.State.PENDING
    assert link.state_at(timezone.now() + dt.timedelta(days=8)) == InstrumentLink.State.EXPIRED
