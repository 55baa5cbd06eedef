"""One-time intake links: only a hash is stored; they expire, work once, are rate-limited."""

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
from palpa.core.tests.support import clinic_today
from palpa.patients.models import Patient
from palpa.screening import services
from palpa.screening.models import IntakeLink, Screening
from palpa.screening.tests.support import facts_clearance


def test_a_link_stores_only_the_hash_of_its_token(front_desk: User, patient: Patient) -> None:
    link, token = services.create_intake_link(actor=front_desk, patient=patient)
    assert len(token) >= 40
    stored = IntakeLink.objects.get(pk=link.pk)
    assert stored.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in str(IntakeLink.objects.filter(pk=link.pk).values().get())
    assert services.find_intake_link(token) == link
    assert services.find_intake_link(token[:-1] + ("A" if token[-1] != "A" else "B")) is None
    assert services.find_intake_link("") is None
    expiry = stored.expires_at - timezone.now()
    assert dt.timedelta(days=6, hours=23) < expiry <= dt.timedelta(days=7)
    entry = AuditEvent.objects.get(object_type="IntakeLink")
    assert token not in str(entry.detail)


def test_a_link_expires_after_the_organizations_number_of_days(
    owner: User, front_desk: User, patient: Patient
) -> None:
    services.set_screening_policy(actor=owner, rescreen_days=90, intake_link_days=2)
    _link, token = services.create_intake_link(actor=front_desk, patient=patient)
    with time_machine.travel(timezone.now() + dt.timedelta(days=2, minutes=1)):
        assert services.find_intake_link(token) is None
        with pytest.raises(Refused):
            services.submit_intake(token=token, facts={}, questionnaire_version="palpa-intake-1")
    assert services.find_intake_link(token) is not None


def test_the_patients_answers_are_screened_and_the_link_is_used_up(
    front_desk: User, patient: Patient
) -> None:
    link, token = services.create_intake_link(actor=front_desk, patient=patient)
    screening = services.submit_intake(
        token=token,
        facts=facts_clearance(clinic_today()),
        questionnaire_version="palpa-intake-1",
    )
    assert screening.decision == "CLEARANCE"
    assert screening.source == Screening.Source.PATIENT_LINK
    assert screening.screened_by is None
    assert screening.intake_link == link
    assert screening.questionnaire_version == "palpa-intake-1"
    assert services.find_intake_link(token) is None
    with pytest.raises(Refused):
        services.submit_intake(token=token, facts={}, questionnaire_version="palpa-intake-1")
    assert Screening.objects.count() == 1
    entry = AuditEvent.objects.get(object_type="Screening")
    assert entry.actor is None
    assert entry.actor_label == "patient (intake link)"
    assert entry.organization_id == patient.organization_id
    assert verify_chain(patient.organization_id).ok


def test_bad_answers_leave_the_link_usable(front_desk: User, patient: Patient) -> None:
    _link, token = services.create_intake_link(actor=front_desk, patient=patient)
    with pytest.raises(ValidationError):
        services.submit_intake(
            token=token,
            facts={"conditions": [{"code": "dvt"}]},  # a clot needs a place
            questionnaire_version="palpa-intake-1",
        )
    assert services.find_intake_link(token) is not None


def test_a_new_link_ends_the_patients_earlier_unused_one(
    front_desk: User, patient: Patient
) -> None:
    _old, old_token = services.create_intake_link(actor=front_desk, patient=patient)
    _new, new_token = services.create_intake_link(actor=front_desk, patient=patient)
    assert services.find_intake_link(old_token) is None
    assert services.find_intake_link(new_token) is not None


def test_billers_and_outsiders_cannot_make_links(
    biller: User, outsider: User, patient: Patient
) -> None:
    for actor in (biller, outsider):
        with pytest.raises(PermissionDenied):
            services.create_intake_link(actor=actor, patient=patient)


def test_requests_are_limited_per_client_address_and_window(db: None, settings: Any) -> None:
    settings.PALPA_INTAKE_RATE_LIMIT = 3
    settings.PALPA_INTAKE_RATE_WINDOW_MINUTES = 15
    start = dt.datetime(2026, 3, 2, 20, 0, tzinfo=dt.UTC)
    with time_machine.travel(start, tick=False):
        assert [services.allow_intake_request("203.0.113.9") for _ in range(4)] == [
            True,
            True,
            True,
            False,
        ]
        assert services.allow_intake_request("198.51.100.7")  # another address
    with time_machine.travel(start + dt.timedelta(minutes=14), tick=False):
        assert not services.allow_intake_request("203.0.113.9")
    with time_machine.travel(start + dt.timedelta(minutes=15), tick=False):
        assert services.allow_intake_request("203.0.113.9")  # a new window
    with time_machine.travel(start + dt.timedelta(days=2), tick=False):
        services.allow_intake_request("203.0.113.9")
        assert (
            RateWindow.objects.filter(scope="intake").count() == 1
        )  # old windows are cleared away


def test_a_link_stops_working_when_the_patients_record_is_closed(
    owner: User, front_desk: User, patient: Patient
) -> None:
    from palpa.patients.services import set_patient_status

    _link, token = services.create_intake_link(actor=front_desk, patient=patient)
    set_patient_status(actor=owner, patient=patient, status="inactive", reason="Moved away.")
    assert services.find_intake_link(token) is None
