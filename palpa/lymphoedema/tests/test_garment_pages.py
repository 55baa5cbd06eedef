"""The garment pages per persona: the prescription form (typed text survives a refusal,
errors name the field, nothing half saved), the prescription's page (record fitting,
print the order form, entered in error), the chart's garments, the owner's interval,
and the dashboard's replacement reminder; outsiders 404; reads and writes audited."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from pypdf import PdfReader

from palpa.accounts.models import Location, User
from palpa.audit.models import AuditEvent
from palpa.core.tests.support import assert_answer, clinic_today, matrix, web_client
from palpa.lymphoedema.garments.services import prescribe_garment
from palpa.lymphoedema.models import GarmentFitting, GarmentPrescription, GarmentSettings
from palpa.lymphoedema.tests.garments_support import fitted_sleeve, signed_sleeve, sleeve
from palpa.lymphoedema.tests.support import signed
from palpa.patients.models import Patient

READ = {
    "owner": 200,
    "therapist": 200,
    "other_therapist": 200,
    "front_desk": 403,
    "biller": 403,
    "outsider": 404,
    "anonymous": 302,
}
SAVE = {**READ, "owner": 403, "therapist": 302, "other_therapist": 302}
FIT = {**READ, "owner": 403, "therapist": 302, "other_therapist": 302}
IN_ERROR = {**READ, "owner": 302, "therapist": 302, "other_therapist": 403}
SETTINGS = {**READ, "therapist": 403, "other_therapist": 403, "outsider": 200}


def _new(patient: Patient) -> str:
    return f"/patients/{patient.public_id}/garments/new/"


def _form(location: Location, action: str = "save", **over: str) -> dict[str, str]:
    return {
        "action": action,
        "prescribed_on": "2026-03-02",
        "location": str(location.public_id),
        "limb": "arm",
        "side": "left",
        "garment_type": "arm_sleeve",
        "knit": "flat",
        "compression": "RAL-GZG:II",
        "measurement": "",
        "landmark": "wrist",
        "interval_cm": "4",
        "left_circumferences_cm": "17.5 21 24,5 26 28.5",
        "right_circumferences_cm": "",
        "product": "Juzo Expert arm sleeve, beige",
        "quantity": "2",
        "notes": "",
        **over,
    }


@pytest.mark.parametrize(("who", "status"), matrix(READ))
def test_who_may_open_the_prescription_form(
    request: pytest.FixtureRequest, who: str, status: int, patient: Patient
) -> None:
    assert_answer(web_client(request, who).get(_new(patient)), who, status)


@pytest.mark.parametrize(("who", "status"), matrix(SAVE))
def test_who_may_save_a_draft_prescription(
    request: pytest.FixtureRequest, who: str, status: int, patient: Patient, location: Location
) -> None:
    response = web_client(request, who).post(_new(patient), _form(location))
    assert_answer(response, who, status)
    saved = GarmentPrescription.objects.count()
    assert saved == (1 if status == 302 and who != "anonymous" else 0)
    if saved:
        p = GarmentPrescription.objects.get()
        assert p.left_circumferences_cm == [17.5, 21.0, 24.5, 26.0, 28.5]
        assert AuditEvent.objects.filter(action="create", object_id=str(p.public_id)).exists()


def test_save_and_sign_signs_and_opens_the_prescription(
    request: pytest.FixtureRequest, patient: Patient, location: Location
) -> None:
    client = web_client(request, "therapist")
    response = client.post(_new(patient), _form(location, action="sign"))
    p = GarmentPrescription.objects.get()
    assert p.status == "signed"
    assert response["Location"] == f"/garments/{p.public_id}/"
    page = client.get(response["Location"]).content.decode()
    assert "RAL-GZG class II (23-32 mmHg)" in page
    assert "Print order form" in page
    assert "Record fitting" in page
    assert "Entered in error" in page
    assert "Wrist + 16 cm" in page


def test_a_refused_form_keeps_the_typed_text_names_the_field_and_saves_nothing(
    request: pytest.FixtureRequest, patient: Patient, location: Location
) -> None:
    response = web_client(request, "therapist").post(
        _new(patient),
        _form(
            location,
            action="sign",
            garment_type="stocking_knee",
            left_circumferences_cm="17.5 abc 24",
            product="Mediven Harmony, caramel",
        ),
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "Nothing was saved" in page
    assert "Left circumferences (cm): Point 2 (&#x27;abc&#x27;) is not a number in cm." in page
    assert 'value="17.5 abc 24"' in page
    assert "Mediven Harmony, caramel" in page
    assert GarmentPrescription.objects.count() == 0
    # The service's refusal names its field too.
    response = web_client(request, "therapist").post(
        _new(patient), _form(location, action="sign", garment_type="stocking_knee")
    )
    assert "Garment: A stocking, knee-high is not worn on the arm." in response.content.decode()
    assert GarmentPrescription.objects.count() == 0


def test_signing_without_measurements_saves_nothing(
    request: pytest.FixtureRequest, patient: Patient, location: Location
) -> None:
    response = web_client(request, "therapist").post(
        _new(patient), _form(location, action="sign", left_circumferences_cm="")
    )
    assert response.status_code == 200
    assert "Left circumferences (cm): Choose a signed limb measurement" in (
        response.content.decode()
    )
    assert GarmentPrescription.objects.count() == 0


def test_a_signed_measurement_of_the_patient_may_be_chosen(
    request: pytest.FixtureRequest, therapist: User, patient: Patient, location: Location
) -> None:
    m = signed(therapist, patient, location)
    client = web_client(request, "therapist")
    assert "Signed measurement of Mar 2, 2026: arms, left affected" in (
        client.get(_new(patient)).content.decode()
    )
    client.post(
        _new(patient),
        _form(
            location,
            action="sign",
            measurement=str(m.public_id),
            landmark="",
            interval_cm="",
            left_circumferences_cm="",
        ),
    )
    p = GarmentPrescription.objects.get()
    assert (p.status, p.measurement_id) == ("signed", m.pk)


@pytest.mark.parametrize(("who", "status"), matrix(READ))
def test_who_may_open_a_signed_prescription(
    request: pytest.FixtureRequest,
    who: str,
    status: int,
    therapist: User,
    patient: Patient,
    location: Location,
) -> None:
    p = signed_sleeve(therapist, patient, location)
    response = web_client(request, who).get(f"/garments/{p.public_id}/")
    assert_answer(response, who, status)
    if status == 200:
        assert AuditEvent.objects.filter(action="read", object_id=str(p.public_id)).exists()


def test_another_therapist_sees_a_draft_read_only_and_cannot_save_it(
    request: pytest.FixtureRequest, therapist: User, patient: Patient, location: Location
) -> None:
    draft = prescribe_garment(actor=therapist, patient=patient, location=location, **sleeve())
    client = web_client(request, "other_therapist")
    page = client.get(f"/garments/{draft.public_id}/").content.decode()
    assert "Save as draft" not in page
    assert "Draft" in page
    assert client.post(f"/garments/{draft.public_id}/", _form(location)).status_code == 403


@pytest.mark.parametrize(("who", "status"), matrix(FIT))
def test_who_may_record_the_fitting(
    request: pytest.FixtureRequest,
    who: str,
    status: int,
    therapist: User,
    patient: Patient,
    location: Location,
) -> None:
    p = signed_sleeve(therapist, patient, location, days_ago=3)
    response = web_client(request, who).post(
        f"/garments/{p.public_id}/fitting/", {"fitted_on": "2026-03-01"}
    )
    assert_answer(response, who, status)
    fitted = GarmentFitting.objects.filter(prescription=p).first()
    if status == 302 and who != "anonymous":
        assert fitted is not None
        assert fitted.replacement_due_on == dt.date(2026, 9, 1)
    else:
        assert fitted is None


@pytest.mark.parametrize(("who", "status"), matrix(IN_ERROR))
def test_who_may_mark_a_prescription_in_error(
    request: pytest.FixtureRequest,
    who: str,
    status: int,
    therapist: User,
    patient: Patient,
    location: Location,
) -> None:
    p = signed_sleeve(therapist, patient, location)
    response = web_client(request, who).post(
        f"/garments/{p.public_id}/entered-in-error/", {"reason": "the wrong arm"}
    )
    assert_answer(response, who, status)
    p.refresh_from_db()
    marked = status == 302 and who != "anonymous"
    assert p.status == ("entered-in-error" if marked else "signed")


@pytest.mark.parametrize(("who", "status"), matrix(READ))
def test_the_order_form_is_a_pdf_with_the_class_and_its_standard(
    request: pytest.FixtureRequest,
    who: str,
    status: int,
    therapist: User,
    patient: Patient,
    location: Location,
) -> None:
    p = fitted_sleeve(therapist, patient, location, fitted_days_ago=2)
    response = web_client(request, who).get(f"/garments/{p.public_id}/order-form.pdf")
    assert_answer(response, who, status)
    if status != 200:
        assert not AuditEvent.objects.filter(action="export").exists()
        return
    assert response["Content-Type"] == "application/pdf"
    assert response["Cache-Control"] == "no-store"
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    for expected in (
        "Compression garment order",
        "RAL-GZG class II",
        "23-32 mmHg",
        "Rosa Delgado",
        "Mar 14, 1971",
        "Tess Therapist",
        "Juzo Expert arm sleeve",
        "Wrist + 16 cm",
        "28.5",
        "Signature of the prescriber",
        "Bayside",
    ):
        assert expected in text, expected
    assert "#" in text  # the license number
    assert AuditEvent.objects.filter(action="export", object_id=str(p.public_id)).exists()


def test_the_chart_lists_garments_with_their_replacement_due_and_the_link_to_prescribe(
    request: pytest.FixtureRequest, therapist: User, patient: Patient, location: Location
) -> None:
    fitted_sleeve(therapist, patient, location, fitted_days_ago=170)
    page = web_client(request, "therapist").get(f"/patients/{patient.public_id}/").content
    text = page.decode()
    assert "Prescribe a garment" in text
    assert "Arm sleeve, left arm" in text
    assert "Replacement due Aug 13, 2026" not in text  # fitted Sep 13, 2025: due Mar 13, 2026
    assert "Replacement due Mar 13, 2026" in text
    owner_page = web_client(request, "owner").get(f"/patients/{patient.public_id}/").content
    assert b"Arm sleeve, left arm" in owner_page
    assert b"Prescribe a garment" not in owner_page
    desk = web_client(request, "front_desk").get(f"/patients/{patient.public_id}/").content
    assert b"Compression garments" not in desk


def test_the_dashboard_reminds_the_clinic_of_garments_due_within_thirty_days(
    request: pytest.FixtureRequest, therapist: User, patient: Patient, location: Location
) -> None:
    fitted_sleeve(therapist, patient, location, fitted_days_ago=200)  # overdue
    fitted_sleeve(therapist, patient, location, fitted_days_ago=10, garment_type="glove")
    for who in ("owner", "therapist", "other_therapist"):
        text = web_client(request, who).get("/").content.decode()
        assert "Compression garments due for replacement" in text, who
        assert "Rosa Delgado: arm sleeve, left" in text
        assert "overdue since" in text
        assert "glove" not in text.split("Compression garments due for replacement")[1][:400]
    for who in ("front_desk", "biller"):
        text = web_client(request, who).get("/").content.decode()
        assert "Compression garments due" not in text, who
    assert AuditEvent.objects.filter(
        action="read", detail__view="dashboard: garments due for replacement"
    ).exists()


def test_the_reminder_counts_days_in_the_clinics_zone(
    request: pytest.FixtureRequest, therapist: User, patient: Patient, location: Location
) -> None:
    p = fitted_sleeve(therapist, patient, location, fitted_days_ago=0)
    due = p.fitting.replacement_due_on
    assert due == dt.date(2026, 9, 2)
    assert clinic_today() == dt.date(2026, 3, 2)


@pytest.mark.parametrize(("who", "status"), matrix(SETTINGS))
def test_who_may_open_the_garment_settings(
    request: pytest.FixtureRequest, who: str, status: int
) -> None:
    assert_answer(web_client(request, who).get("/settings/garments/"), who, status)


def test_the_owner_sets_the_replacement_interval_and_a_bad_one_is_named(
    request: pytest.FixtureRequest,
) -> None:
    client = web_client(request, "owner")
    response = client.post("/settings/garments/", {"replacement_interval_months": "30"})
    assert "Replacement interval (months): Give a whole number of months from 1 to 24." in (
        response.content.decode()
    )
    assert GarmentSettings.objects.count() == 0
    assert (
        client.post("/settings/garments/", {"replacement_interval_months": "4"}).status_code == 302
    )
    assert GarmentSettings.objects.get().replacement_interval_months == 4
