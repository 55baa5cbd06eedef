"""CDT phases: a practitioner starts phase 1 and records the switch to phase 2 (date, by
whom, why); audited; shown in the chart's Limb volumes section; the API per persona."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from palpa.accounts.models import User
from palpa.audit.models import AuditEvent
from palpa.core.tests.support import clinic_today, web_client
from palpa.lymphoedema import cdt
from palpa.lymphoedema.models import CdtCourse
from palpa.lymphoedema.tests.support import cdt_started
from palpa.patients.models import Patient


def test_a_therapist_starts_phase_1_and_switches_to_phase_2_with_the_reason(
    therapist: User, patient: Patient
) -> None:
    course = cdt_started(therapist, patient)
    assert course.phase == 1
    cdt.switch_to_phase_2(
        actor=therapist,
        patient=patient,
        on=clinic_today(),
        reason="Excess volume stable for a week; flat-knit sleeve fitted.",
    )
    stored = CdtCourse.objects.get(patient=patient)
    assert (stored.phase, stored.phase_2_started_on, stored.switched_by) == (
        2,
        clinic_today(),
        therapist,
    )
    assert stored.switch_reason.startswith("Excess volume stable")
    actions = set(
        AuditEvent.objects.filter(object_id=str(stored.public_id)).values_list("action", flat=True)
    )
    assert actions == {"create", "update"}


def test_phase_2_needs_phase_1_a_reason_and_a_date_not_before_phase_1(
    therapist: User, patient: Patient
) -> None:
    with pytest.raises(cdt.CdtRefused, match="Start phase 1"):
        cdt.switch_to_phase_2(actor=therapist, patient=patient, on=clinic_today(), reason="x")
    cdt_started(therapist, patient, days_ago=3)
    with pytest.raises(ValidationError) as caught:
        cdt.switch_to_phase_2(
            actor=therapist,
            patient=patient,
            on=clinic_today() - dt.timedelta(days=5),
            reason="  ",
        )
    assert set(caught.value.message_dict) == {"switched_on", "reason"}
    assert CdtCourse.objects.get(patient=patient).phase == 1


def test_phase_1_starts_once_and_not_in_the_future(therapist: User, patient: Patient) -> None:
    with pytest.raises(ValidationError, match="future"):
        cdt.start_phase_1(actor=therapist, patient=patient, on=clinic_today() + dt.timedelta(3))
    cdt_started(therapist, patient)
    with pytest.raises(cdt.CdtRefused, match="already started"):
        cdt_started(therapist, patient)
    assert CdtCourse.objects.count() == 1


def test_the_switch_is_recorded_once(therapist: User, patient: Patient) -> None:
    cdt_started(therapist, patient)
    cdt.switch_to_phase_2(actor=therapist, patient=patient, on=clinic_today(), reason="Stable")
    with pytest.raises(cdt.CdtRefused, match="switched to phase 2 on"):
        cdt.switch_to_phase_2(actor=therapist, patient=patient, on=clinic_today(), reason="Again")


@pytest.mark.parametrize("who", ["owner", "front_desk", "biller"])
def test_only_practitioners_start_cdt(
    request: pytest.FixtureRequest, who: str, patient: Patient
) -> None:
    user = request.getfixturevalue(who)
    with pytest.raises(PermissionDenied):
        cdt.start_phase_1(actor=user, patient=patient, on=clinic_today())


def test_an_outsider_cannot_start_another_organizations_cdt(
    outsider: User, patient: Patient
) -> None:
    with pytest.raises(PermissionDenied):
        cdt.start_phase_1(actor=outsider, patient=patient, on=clinic_today())
    assert not CdtCourse.objects.exists()


# --- the chart -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "shown", "action"),
    [
        ("owner", True, False),
        ("therapist", True, True),
        ("other_therapist", True, True),
        ("front_desk", False, False),
        ("biller", False, False),
    ],
)
def test_the_chart_shows_the_phase_and_the_switch_action_to_practitioners(
    request: pytest.FixtureRequest,
    who: str,
    shown: bool,
    action: bool,
    therapist: User,
    patient: Patient,
) -> None:
    cdt_started(therapist, patient)
    body = web_client(request, who).get(f"/patients/{patient.public_id}/").content.decode()
    assert ("Complete decongestive therapy" in body) is shown
    assert ("Phase 1, intensive" in body) is shown
    assert ("Switch to phase 2" in body) is action
    assert "Start phase 1" not in body


def test_the_chart_offers_start_phase_1_before_cdt_hascdt_started(
    request: pytest.FixtureRequest, patient: Patient
) -> None:
    body = web_client(request, "therapist").get(f"/patients/{patient.public_id}/").content.decode()
    assert "Start phase 1" in body
    assert "Not started." in body


@pytest.mark.parametrize(
    ("who", "status", "started"),
    [
        ("therapist", 302, True),
        ("other_therapist", 302, True),
        ("owner", 403, False),
        ("front_desk", 403, False),
        ("biller", 403, False),
        ("outsider", 404, False),
        ("anonymous", 302, False),
    ],
)
def test_who_may_start_phase_1_from_the_chart(
    request: pytest.FixtureRequest, who: str, status: int, started: bool, patient: Patient
) -> None:
    response = web_client(request, who).post(
        f"/patients/{patient.public_id}/cdt/phase-1/", {"on": clinic_today().isoformat()}
    )
    assert response.status_code == status
    assert CdtCourse.objects.filter(patient=patient).exists() is started


def test_switching_from_the_chart_shows_who_switched_and_why(
    request: pytest.FixtureRequest, therapist: User, patient: Patient
) -> None:
    cdt_started(therapist, patient)
    client = web_client(request, "therapist")
    client.post(
        f"/patients/{patient.public_id}/cdt/phase-2/",
        {"on": clinic_today().isoformat(), "reason": "Volume plateau; sleeve fitted"},
    )
    body = client.get(f"/patients/{patient.public_id}/").content.decode()
    assert "Phase 2, maintenance" in body
    assert "Volume plateau; sleeve fitted" in body
    assert "Switch to phase 2" not in body


def test_a_switch_without_a_reason_is_refused_on_the_chart_naming_it(
    request: pytest.FixtureRequest, therapist: User, patient: Patient
) -> None:
    cdt_started(therapist, patient)
    client = web_client(request, "therapist")
    response = client.post(
        f"/patients/{patient.public_id}/cdt/phase-2/",
        {"on": clinic_today().isoformat(), "reason": ""},
        follow=True,
    )
    assert "Say why the patient moves to maintenance." in response.content.decode()
    assert CdtCourse.objects.get(patient=patient).phase == 1
