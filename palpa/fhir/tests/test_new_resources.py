"""PractitionerRole, Questionnaire, QuestionnaireResponse, DocumentReference (with its
Binary), Consent and Provenance: valid R4 (fhir.resources R4B), read with ETag and
Last-Modified, searched, audited, and never seen by another organization."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client

from palpa.accounts.models import Organization, User
from palpa.audit.models import AuditEvent
from palpa.fhir.tests.conftest import START, Course, bearer, get_token, issue_client, on
from palpa.fhir.tests.support import body, ids, link, outcome_text, resources
from palpa.patients.models import Consent, Patient
from palpa.patients.services import record_consent
from palpa.practitioners.models import Practitioner
from palpa.referrals.models import Referral
from palpa.referrals.services import add_physician, record_referral
from palpa.reports.models import Report
from palpa.reports.services import sign_report, start_report, update_report

NEW_TYPES = [
    "PractitionerRole",
    "Questionnaire",
    "QuestionnaireResponse",
    "DocumentReference",
    "Consent",
    "Provenance",
]


@dataclass
class Chart:
    course: Course
    referral: Referral
    report: Report
    consents: list[Consent]


def _referral(owner: User, patient: Patient) -> Referral:
    physician = add_physician(
        actor=owner, given_name="Grace", family_name="Hopper", credentials="MD", npi="1234567893"
    )
    return record_referral(
        actor=owner,
        patient=patient,
        physician=physician,
        diagnoses=["M54.50"],
        requested_service="Medical massage, low back",
        visits_authorized=12,
        starts_on=dt.date(2026, 5, 28),
        expires_on=dt.date(2026, 8, 31),
    )


@pytest.fixture
def chart(course: Course, owner: User, therapist: User) -> Chart:
    patient = course.patient
    with on(START - dt.timedelta(days=3)):
        referral = _referral(owner, patient)
        consents = [
            record_consent(
                actor=owner,
                patient=patient,
                kind=kind,
                version="2026.1",
                given_on=dt.date(2026, 5, 29),
                granted=True,
            )
            for kind in ("treatment", "privacy_notice", "contact_sms")
        ]
    with on(START + dt.timedelta(days=2)):
        consents.append(
            record_consent(
                actor=owner,
                patient=patient,
                kind="contact_sms",
                version="2026.1",
                given_on=dt.date(2026, 6, 3),
                granted=False,
            )
        )
    draft = start_report(actor=therapist, patient=patient, kind="progress")
    update_report(
        actor=therapist,
        report=draft,
        changes={"assessment": "Pain and function improve with treatment."},
    )
    report = sign_report(actor=therapist, report=draft)
    return Chart(course=course, referral=referral, report=report, consents=consents)


def _all(fhir: Client, resource_type: str, **params: str) -> list[dict[str, Any]]:
    return resources(body(fhir.get(f"/fhir/R4/{resource_type}", {"_count": "100", **params})))


@pytest.mark.parametrize("resource_type", NEW_TYPES)
def test_every_new_resource_reads_back_valid_with_etag_and_last_modified(
    fhir: Client, chart: Chart, resource_type: str
) -> None:
    listed = _all(fhir, resource_type)
    assert listed, f"the chart has {resource_type} resources"
    for resource in listed:
        response = fhir.get(f"/fhir/R4/{resource_type}/{resource['id']}")
        assert response.status_code == 200
        read = body(response)
        assert read == resource
        assert response["ETag"] == f'W/"{read["meta"]["versionId"]}"'
        assert response["Last-Modified"].endswith("GMT")


@pytest.mark.parametrize("resource_type", [t for t in NEW_TYPES if t != "Questionnaire"])
def test_another_organization_sees_none_of_the_new_resources(
    fhir: Client, outsider_fhir: Client, chart: Chart, resource_type: str
) -> None:
    assert body(outsider_fhir.get(f"/fhir/R4/{resource_type}"))["total"] == 0
    for resource in _all(fhir, resource_type):
        response = outsider_fhir.get(f"/fhir/R4/{resource_type}/{resource['id']}")
        assert response.status_code == 404, resource_type
    binary = outsider_fhir.get(f"/fhir/R4/Binary/{chart.report.public_id}")
    assert binary.status_code == 404


# --- PractitionerRole -------------------------------------------------------------------


def test_practitioner_role_names_the_massage_therapist_specialty_and_licensed_locations(
    fhir: Client, chart: Chart, practitioner: Practitioner, org: Organization
) -> None:
    role = body(fhir.get(f"/fhir/R4/PractitionerRole/{practitioner.public_id}"))
    assert role["specialty"] == [
        {
            "coding": [
                {
                    "system": "http://nucc.org/provider-taxonomy",
                    "code": "225700000X",
                    "display": "Massage Therapist",
                }
            ],
            "text": "Massage Therapist",
        }
    ]
    assert role["practitioner"]["reference"] == f"Practitioner/{practitioner.public_id}"
    assert role["organization"]["reference"] == f"Organization/{org.public_id}"
    location = chart.course.notes[0].location
    assert f"Location/{location.public_id}" in [x["reference"] for x in role["location"]]
    assert role["active"] is True


def test_practitioner_roles_are_searched_by_specialty_and_include_the_practitioner(
    fhir: Client, chart: Chart, practitioner: Practitioner
) -> None:
    found = body(
        fhir.get(
            "/fhir/R4/PractitionerRole",
            {
                "specialty": "http://nucc.org/provider-taxonomy|225700000X",
                "practitioner": f"Practitioner/{practitioner.public_id}",
                "_include": "PractitionerRole:practitioner",
            },
        )
    )
    assert ids(found) == [str(practitioner.public_id)]
    assert ids(found, "include") == [str(practitioner.public_id)]
    other = body(fhir.get("/fhir/R4/PractitionerRole", {"specialty": "208D00000X"}))
    assert other["total"] == 0


# --- Questionnaire and QuestionnaireResponse ---------------------------------------------


def test_there_is_a_questionnaire_per_instrument_and_licensed_ones_carry_no_text(
    fhir: Client,
) -> None:
    from palpa.outcomes.library import load_library

    listed = _all(fhir, "Questionnaire")
    assert len(listed) == len(load_library().ids())
    odi = body(fhir.get("/fhir/R4/Questionnaire/odi"))
    assert [i["linkId"] for i in odi["item"]] == [f"section-{n}" for n in range(1, 11)]
    assert all("text" not in item for item in odi["item"])
    assert [o["valueInteger"] for o in odi["item"][0]["answerOption"]] == [0, 1, 2, 3, 4, 5]
    assert odi["code"] == [
        {"system": "urn:palpa:instrument", "code": "ODI", "display": "Oswestry Disability Index"}
    ]  # no LOINC panel: the library marks none verified
    nprs = body(fhir.get("/fhir/R4/Questionnaire/nprs"))
    assert nprs["item"][0]["text"]  # Palpa's own wording is shipped


def test_questionnaires_are_searched_by_code_and_name(fhir: Client) -> None:
    by_code = body(fhir.get("/fhir/R4/Questionnaire", {"code": "urn:palpa:instrument|NDI"}))
    assert ids(by_code) == ["ndi"]
    by_name = body(fhir.get("/fhir/R4/Questionnaire", {"name": "quickdash", "_sort": "-name"}))
    assert ids(by_name) == ["quickdash-work", "quickdash-sports", "quickdash"]
    assert fhir.get("/fhir/R4/Questionnaire/unknown").status_code == 404


def test_every_questionnaire_version_may_stand_in_a_canonical_reference(fhir: Client) -> None:
    """A canonical (``url|version``) is a URI: no spaces. The PSFS's version as the library
    writes it is "Stratford 1995"; as FHIR gives it, "Stratford-1995"."""
    found = resources(body(fhir.get("/fhir/R4/Questionnaire", {"_count": "100"})))
    versions = {q["id"]: q["version"] for q in found}
    assert versions["psfs"] == "Stratford-1995"
    assert all(v and not any(ch.isspace() for ch in v) for v in versions.values()), versions


def test_a_questionnaire_response_holds_the_answers_and_the_score_derives_from_it(
    fhir: Client, chart: Chart
) -> None:
    odi = next(
        a
        for a in chart.course.evaluation.patient.instrument_administrations.all()
        if a.instrument == "ODI"
    )
    response = body(fhir.get(f"/fhir/R4/QuestionnaireResponse/{odi.public_id}"))
    assert response["status"] == "completed"
    questionnaire = body(fhir.get("/fhir/R4/Questionnaire/odi"))
    assert response["questionnaire"] == f"{questionnaire['url']}|{questionnaire['version']}"
    assert [i["answer"][0]["valueInteger"] for i in response["item"]] == odi.answers
    assert all("text" not in item for item in response["item"])
    assert response["subject"]["reference"] == f"Patient/{chart.course.patient.public_id}"
    assert response["author"]["reference"].startswith("Practitioner/")
    score = body(fhir.get(f"/fhir/R4/Observation/{odi.public_id}"))
    assert score["derivedFrom"] == [{"reference": f"QuestionnaireResponse/{odi.public_id}"}]


def test_questionnaire_responses_are_searched_by_questionnaire_and_patient(
    fhir: Client, chart: Chart
) -> None:
    patient = str(chart.course.patient.public_id)
    nprs = body(
        fhir.get("/fhir/R4/QuestionnaireResponse", {"patient": patient, "questionnaire": "nprs"})
    )
    assert nprs["total"] == 2  # baseline and re-assessment
    assert {r["questionnaire"].split("|")[0].rsplit("/", 1)[1] for r in resources(nprs)} == {"nprs"}


# --- DocumentReference and Binary ---------------------------------------------------------


def test_a_signed_report_is_a_progress_note_with_its_pdf_hash_size_and_referral(
    fhir: Client, chart: Chart
) -> None:
    report = chart.report
    doc = body(fhir.get(f"/fhir/R4/DocumentReference/{report.public_id}"))
    assert doc["status"] == "current"
    assert doc["type"]["coding"][0] == {
        "system": "http://loinc.org",
        "code": "11506-3",
        "display": "Progress note",
    }
    assert doc["category"][0]["coding"][0]["code"] == "clinical-note"
    pdf = bytes(Report.objects.values_list("pdf", flat=True).get(pk=report.pk) or b"")
    attachment = doc["content"][0]["attachment"]
    assert attachment["contentType"] == "application/pdf"
    assert attachment["size"] == len(pdf)
    assert attachment["hash"] == base64.b64encode(hashlib.sha1(pdf).digest()).decode()
    assert attachment["url"].endswith(f"/fhir/R4/Binary/{report.public_id}")
    assert doc["context"]["related"] == [
        {"reference": f"ServiceRequest/{chart.referral.public_id}"}
    ]
    assert doc["author"][0]["reference"].startswith("Practitioner/")


def test_the_binary_is_the_signed_pdf_under_the_same_token(
    fhir: Client, chart: Chart, org: Organization
) -> None:
    report = chart.report
    url = body(fhir.get(f"/fhir/R4/DocumentReference/{report.public_id}"))["content"][0][
        "attachment"
    ]["url"]
    response = fhir.get(url.split("testserver", 1)[1])
    binary = body(response)
    pdf = bytes(Report.objects.values_list("pdf", flat=True).get(pk=report.pk) or b"")
    assert base64.b64decode(binary["data"]) == pdf
    assert binary["contentType"] == "application/pdf"
    assert response["ETag"].startswith('W/"')
    entry = AuditEvent.objects.filter(object_type="Binary").order_by("-seq").first()
    assert entry is not None
    assert entry.patient_id == str(report.patient.public_id)
    searched = fhir.get("/fhir/R4/Binary")
    assert searched.status_code == 405
    patient_only = issue_client(org, "system/Patient.read", name="Demographics only")
    narrow = bearer(get_token(patient_only.client_id, patient_only.client_secret))
    assert narrow.get(f"/fhir/R4/Binary/{report.public_id}").status_code == 403


def test_drafts_are_not_documents(fhir: Client, chart: Chart, therapist: User) -> None:
    start_report(actor=therapist, patient=chart.course.patient, kind="progress")
    assert ids(body(fhir.get("/fhir/R4/DocumentReference"))) == [str(chart.report.public_id)]


def test_documents_are_searched_by_patient_type_and_date_and_include_the_patient(
    fhir: Client, chart: Chart
) -> None:
    patient = str(chart.course.patient.public_id)
    found = body(
        fhir.get(
            "/fhir/R4/DocumentReference",
            {
                "patient": patient,
                "type": "http://loinc.org|11506-3",
                "date": "2026-06-20",
                "_include": "DocumentReference:patient",
            },
        )
    )
    assert ids(found) == [str(chart.report.public_id)]
    assert ids(found, "include") == [patient]
    assert body(fhir.get("/fhir/R4/DocumentReference", {"date": "lt2026-06-20"}))["total"] == 0


# --- Consent ----------------------------------------------------------------------------------


def test_consents_carry_scope_policy_and_the_newest_of_each_kind_is_active(
    fhir: Client, chart: Chart
) -> None:
    treatment, _privacy, sms_given, sms_withdrawn = chart.consents
    read = body(fhir.get(f"/fhir/R4/Consent/{treatment.public_id}"))
    assert read["status"] == "active"
    assert read["scope"]["coding"][0]["code"] == "treatment"
    assert read["policy"] == [{"uri": "urn:palpa:consent-policy:treatment:2026.1"}]
    assert read["dateTime"] == "2026-05-29"
    assert read["provision"] == {"type": "permit"}
    old = body(fhir.get(f"/fhir/R4/Consent/{sms_given.public_id}"))
    assert old["status"] == "inactive"
    new = body(fhir.get(f"/fhir/R4/Consent/{sms_withdrawn.public_id}"))
    assert (new["status"], new["provision"]["type"]) == ("active", "deny")
    assert new["scope"]["coding"][0]["code"] == "patient-privacy"


def test_consents_are_searched_by_status_scope_and_date(fhir: Client, chart: Chart) -> None:
    active = body(fhir.get("/fhir/R4/Consent", {"status": "active", "_sort": "-date"}))
    treatment, privacy_notice, sms_given, sms_withdrawn = chart.consents
    assert ids(active)[0] == str(sms_withdrawn.public_id)  # the newest first
    newest = (treatment, privacy_notice, sms_withdrawn)
    assert set(ids(active)) == {str(c.public_id) for c in newest}
    inactive = body(fhir.get("/fhir/R4/Consent", {"status": "inactive"}))
    assert ids(inactive) == [str(sms_given.public_id)]
    privacy = body(fhir.get("/fhir/R4/Consent", {"scope": "patient-privacy"}))
    assert privacy["total"] == 3
    assert body(fhir.get("/fhir/R4/Consent", {"date": "ge2026-06-01"}))["total"] == 1


# --- Provenance --------------------------------------------------------------------------------


def test_every_signature_has_a_provenance_searchable_by_target_and_patient(
    fhir: Client, chart: Chart, practitioner: Practitioner
) -> None:
    course = chart.course
    patient = str(course.patient.public_id)
    listed = body(fhir.get("/fhir/R4/Provenance", {"patient": patient}))
    signed = {
        str(course.evaluation.public_id),
        str(course.plan.public_id),
        *(str(n.public_id) for n in course.notes),
        str(chart.report.public_id),
    }
    assert set(ids(listed)) == signed
    target = f"CarePlan/{course.plan.public_id}"
    found = body(
        fhir.get("/fhir/R4/Provenance", {"target": target, "_include": "Provenance:target"})
    )
    (provenance,) = resources(found)
    assert provenance["target"][0]["reference"] == target
    assert provenance["agent"][0]["type"]["coding"][0]["code"] == "author"
    assert provenance["agent"][0]["who"]["reference"] == f"Practitioner/{practitioner.public_id}"
    assert provenance["recorded"] == provenance["signature"][0]["when"]
    assert [f"{r['resourceType']}/{r['id']}" for r in resources(found, "include")] == [target]
    assert (
        body(fhir.get("/fhir/R4/Provenance", {"target": f"Encounter/{course.plan.public_id}"}))[
            "total"
        ]
        == 0
    )


def test_a_provenance_read_is_audited_with_its_patient(fhir: Client, chart: Chart) -> None:
    note = chart.course.notes[0]
    assert fhir.get(f"/fhir/R4/Provenance/{note.public_id}").status_code == 200
    entry = AuditEvent.objects.filter(object_type="Provenance").order_by("-seq").first()
    assert entry is not None
    assert entry.object_id == str(note.public_id)
    assert entry.patient_id == str(chart.course.patient.public_id)


# --- Roles and scopes --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("persona", "resource_type", "status"),
    [
        ("front_desk", "Consent", 200),
        ("front_desk", "PractitionerRole", 200),
        ("front_desk", "DocumentReference", 403),
        ("front_desk", "Provenance", 403),
        ("front_desk", "QuestionnaireResponse", 403),
        ("biller", "Consent", 200),
        ("biller", "DocumentReference", 403),
        ("therapist", "DocumentReference", 200),
        ("therapist", "Provenance", 200),
        ("therapist", "QuestionnaireResponse", 200),
    ],
)
def test_staff_tokens_read_what_their_role_may_see(
    api_client_for: Callable[[User], Client],
    chart: Chart,
    persona: str,
    resource_type: str,
    status: int,
    request: pytest.FixtureRequest,
) -> None:
    user = request.getfixturevalue(persona)
    assert api_client_for(user).get(f"/fhir/R4/{resource_type}").status_code == status


def test_a_patients_client_reads_its_own_documents_but_not_practitioner_roles(
    org: Organization, chart: Chart, outsider_patient: Patient
) -> None:
    patient = chart.course.patient
    issued = issue_client(org, "patient/*.read", name="Patient app", patient=patient)
    client = bearer(get_token(issued.client_id, issued.client_secret))
    assert ids(body(client.get("/fhir/R4/DocumentReference"))) == [str(chart.report.public_id)]
    assert client.get(f"/fhir/R4/Binary/{chart.report.public_id}").status_code == 200
    assert body(client.get("/fhir/R4/Consent"))["total"] == 4
    response = client.get("/fhir/R4/PractitionerRole")
    assert response.status_code == 403
    assert "PractitionerRole" in outcome_text(response)


# --- Appointment -------------------------------------------------------------------------------


@pytest.fixture
def booked(chart: Chart, owner: User, practitioner: Practitioner) -> Any:
    from palpa.scheduling.services import book_appointment, cancel_appointment
    from palpa.scheduling.tests.support import at, make_room, make_type, weekday_hours

    location = chart.course.notes[0].location
    weekday_hours(owner, practitioner, location)
    make_room(location, "Room 1")
    kind = make_type(owner, "treatment-60", "treatment", 60)
    first = book_appointment(
        actor=owner,
        patient=chart.course.patient,
        practitioner=practitioner,
        location=location,
        appointment_type=kind,
        start=at(dt.date(2026, 6, 22), "10:00"),
    )
    second = book_appointment(
        actor=owner,
        patient=chart.course.patient,
        practitioner=practitioner,
        location=location,
        appointment_type=kind,
        start=at(dt.date(2026, 6, 24), "10:00"),
    )
    cancel_appointment(actor=owner, appointment=second, reason="Patient has the flu.")
    return first, second


def test_an_appointment_reads_with_r4_status_participants_and_times(
    fhir: Client, booked: Any, practitioner: Practitioner
) -> None:
    first, second = booked
    response = fhir.get(f"/fhir/R4/Appointment/{first.public_id}")
    found = body(response)
    assert response["ETag"] == f'W/"{found["meta"]["versionId"]}"'
    assert response["Last-Modified"].endswith("GMT")
    assert found["status"] == "booked"
    assert found["start"] == "2026-06-22T14:00:00.000Z"  # 10:00 in New York (EDT)
    assert found["minutesDuration"] == 60
    actors = [p["actor"]["reference"] for p in found["participant"]]
    assert f"Patient/{first.patient.public_id}" in actors
    assert f"Practitioner/{practitioner.public_id}" in actors
    assert f"Location/{first.location.public_id}" in actors
    assert found["serviceType"][0]["coding"][0]["code"] == "treatment-60"
    cancelled = body(fhir.get(f"/fhir/R4/Appointment/{second.public_id}"))
    assert cancelled["status"] == "cancelled"
    assert cancelled["cancelationReason"] == {"text": "Patient has the flu."}


def test_appointments_are_searched_by_date_status_and_patient_with_includes(
    fhir: Client, outsider_fhir: Client, booked: Any
) -> None:
    first, second = booked
    patient = str(first.patient.public_id)
    found = body(
        fhir.get(
            "/fhir/R4/Appointment",
            {"patient": patient, "date": "ge2026-06-22", "_include": "Appointment:patient"},
        )
    )
    assert ids(found) == [str(first.public_id), str(second.public_id)]  # by start
    assert ids(found, "include") == [patient]
    latest = body(fhir.get("/fhir/R4/Appointment", {"_sort": "-date"}))
    assert ids(latest) == [str(second.public_id), str(first.public_id)]
    assert ids(body(fhir.get("/fhir/R4/Appointment", {"status": "cancelled"}))) == [
        str(second.public_id)
    ]
    assert body(fhir.get("/fhir/R4/Appointment", {"date": "2026-06-23"}))["total"] == 0
    assert body(outsider_fhir.get("/fhir/R4/Appointment"))["total"] == 0
    assert outsider_fhir.get(f"/fhir/R4/Appointment/{first.public_id}").status_code == 404
    assert fhir.get(f"/fhir/R4/Appointment/{first.public_id}").status_code == 200
    entry = AuditEvent.objects.filter(object_type="Appointment").order_by("-seq").first()
    assert entry is not None
    assert (entry.action, entry.patient_id) == (AuditEvent.Action.READ, patient)


def test_a_practitioner_with_weekly_hours_has_a_schedule_at_their_locations(
    fhir: Client, outsider_fhir: Client, booked: Any, practitioner: Practitioner
) -> None:
    first, _second = booked
    response = fhir.get(f"/fhir/R4/Schedule/{practitioner.public_id}")
    schedule = body(response)
    assert response["ETag"] == f'W/"{schedule["meta"]["versionId"]}"'
    assert [a["reference"] for a in schedule["actor"]] == [
        f"Practitioner/{practitioner.public_id}",
        f"Location/{first.location.public_id}",
    ]
    assert schedule["serviceType"][0]["coding"][0]["code"] == "treatment-60"
    assert "Mon 09:00-17:00" in schedule["comment"]
    by_location = body(
        fhir.get(
            "/fhir/R4/Schedule",
            {"actor": f"Location/{first.location.public_id}", "_include": "Schedule:actor"},
        )
    )
    assert ids(by_location) == [str(practitioner.public_id)]
    assert set(ids(by_location, "include")) == {
        str(practitioner.public_id),
        str(first.location.public_id),
    }
    assert outsider_fhir.get(f"/fhir/R4/Schedule/{practitioner.public_id}").status_code == 404
    assert body(outsider_fhir.get("/fhir/R4/Schedule"))["total"] == 0


def test_free_slots_leave_out_booked_time_and_cannot_be_read_by_id(
    fhir: Client, outsider_fhir: Client, booked: Any, practitioner: Practitioner
) -> None:
    from palpa.scheduling.tests.support import at

    first, _second = booked
    query = {
        "schedule": f"Schedule/{practitioner.public_id}",
        "service-type": "urn:palpa:appointment-type|treatment-60",
        "start": "2026-06-22",
        "_count": "100",
    }
    found = body(fhir.get("/fhir/R4/Slot", query))
    slots = resources(found)
    assert slots
    assert {s["status"] for s in slots} == {"free"}
    assert {s["schedule"]["reference"] for s in slots} == {f"Schedule/{practitioner.public_id}"}
    starts = [dt.datetime.fromisoformat(s["start"].replace("Z", "+00:00")) for s in slots]
    assert starts == sorted(starts)
    # 09:00 would run into the booked 10:00 with its 15-minute buffer: the first free
    # hour starts when the booked one's buffer ends.
    assert starts[0] == at(dt.date(2026, 6, 22), "11:15")
    for start in starts:  # none overlaps the booked hour (10:00-11:00, busy until 11:15)
        end = start + dt.timedelta(minutes=60)
        assert end <= first.start or start >= first.busy_until
    assert body(fhir.get("/fhir/R4/Slot", query))["entry"][0]["resource"]["id"] == slots[0]["id"]
    sunday = body(fhir.get("/fhir/R4/Slot", {**query, "start": "2026-06-21"}))
    assert sunday["total"] == 0
    assert fhir.get(f"/fhir/R4/Slot/{slots[0]['id']}").status_code == 405
    too_long = fhir.get("/fhir/R4/Slot", {"start": ["ge2026-06-22", "le2026-09-30"]})
    assert too_long.status_code == 400
    assert "31 days" in outcome_text(too_long)
    assert body(outsider_fhir.get("/fhir/R4/Slot", query))["total"] == 0


# --- search semantics on dates, periods and slots (issue 16) ------------------------------


def test_the_document_period_meets_each_prefix_by_the_whole_period(
    fhir: Client, chart: Chart
) -> None:
    first, last = chart.report.period_start, chart.report.period_end
    day = dt.timedelta(days=1)
    assert first < last
    expected = {
        f"lt{first}": 0,
        f"lt{first + day}": 1,
        f"le{first}": 1,
        f"le{first - day}": 0,
        f"gt{last}": 0,
        f"gt{last - day}": 1,
        f"ge{last}": 1,
        f"ge{last + day}": 0,
        f"sa{first - day}": 1,
        f"sa{first}": 0,
        f"eb{last + day}": 1,
        f"eb{last}": 0,
        f"{first}": 0,  # a longer period is not within one day
        f"{first.year}": int(first.year == last.year),
    }
    for value, total in expected.items():
        found = body(fhir.get("/fhir/R4/DocumentReference", {"period": value}))
        assert found["total"] == total, value


def test_slot_start_prefixes_compare_instants_against_the_value_range(
    fhir: Client, booked: Any, practitioner: Practitioner
) -> None:
    base = {"schedule": f"Schedule/{practitioner.public_id}", "_count": "100"}

    def starts(*values: str) -> list[dt.datetime]:
        found = resources(body(fhir.get("/fhir/R4/Slot", {**base, "start": list(values)})))
        return [dt.datetime.fromisoformat(s["start"].replace("Z", "+00:00")) for s in found]

    day = starts("2026-06-22")
    assert day
    assert {s.astimezone(dt.UTC).date() for s in day} <= {dt.date(2026, 6, 22)}
    assert starts("ge2026-06-22", "lt2026-06-23") == day
    assert starts("ge2026-06-22", "lt2026-06-22") == []  # lt: before the day starts
    assert starts("ge2026-06-22", "le2026-06-22") == day
    cut = day[len(day) // 2]
    minute = cut.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M")
    after = [s for s in day if s >= cut + dt.timedelta(minutes=1)]
    assert starts(f"gt{minute}Z", "le2026-06-22") == after
    assert starts("ge2026-06-22", f"lt{minute}Z") == [s for s in day if s < cut]


def test_an_instant_with_milliseconds_matches_that_instant_only(fhir: Client, booked: Any) -> None:
    first, _second = booked
    start = first.start.astimezone(dt.UTC)

    def stamp(when: dt.datetime) -> str:
        return when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"

    def total(value: str) -> int:
        return int(body(fhir.get("/fhir/R4/Appointment", {"date": value}))["total"])

    assert total(stamp(start)) == 1
    assert total(stamp(start - dt.timedelta(milliseconds=1))) == 0
    assert total(start.strftime("%Y-%m-%dT%H:%M:%SZ")) == 1


def test_appointments_by_any_participant_as_actor(
    fhir: Client, outsider_fhir: Client, booked: Any, practitioner: Practitioner
) -> None:
    first, second = booked
    both = {str(first.public_id), str(second.public_id)}
    patient = first.patient.public_id
    for actor in (
        f"Patient/{patient}",
        f"Practitioner/{practitioner.public_id}",
        f"Location/{first.location.public_id}",
        str(patient),  # a bare id: any participant
    ):
        found = body(fhir.get("/fhir/R4/Appointment", {"actor": actor}))
        assert set(ids(found)) == both, actor
    for actor in (f"Patient/{first.location.public_id}", f"Device/{patient}", "Patient/x"):
        assert body(fhir.get("/fhir/R4/Appointment", {"actor": actor}))["total"] == 0, actor
    refused = body(outsider_fhir.get("/fhir/R4/Appointment", {"actor": f"Patient/{patient}"}))
    assert refused["total"] == 0


def test_slots_include_their_schedule(
    fhir: Client, booked: Any, practitioner: Practitioner
) -> None:
    query = {
        "schedule": f"Schedule/{practitioner.public_id}",
        "start": "2026-06-22",
        "_include": "Slot:schedule",
    }
    found = body(fhir.get("/fhir/R4/Slot", query))
    assert resources(found)
    included = resources(found, "include")
    assert [(r["resourceType"], r["id"]) for r in included] == [
        ("Schedule", str(practitioner.public_id))
    ]
    assert "_include=Slot%3Aschedule" in (link(found, "self") or "")


def test_slot_service_type_and_questionnaire_status_token_forms(
    fhir: Client, booked: Any, practitioner: Practitioner
) -> None:
    base = {"schedule": f"Schedule/{practitioner.public_id}", "start": "2026-06-22"}
    every = body(fhir.get("/fhir/R4/Slot", base))["total"]
    assert every > 0
    system = "urn:palpa:appointment-type"
    for value, total in {f"{system}|": every, "|treatment-60": 0, f"{system}|nope": 0}.items():
        found = body(fhir.get("/fhir/R4/Slot", {**base, "service-type": value}))
        assert found["total"] == total, value
    questionnaires = body(fhir.get("/fhir/R4/Questionnaire"))["total"]
    assert questionnaires > 0
    status = "http://hl7.org/fhir/publication-status|active"
    assert body(fhir.get("/fhir/R4/Questionnaire", {"status": status}))["total"] == questionnaires
