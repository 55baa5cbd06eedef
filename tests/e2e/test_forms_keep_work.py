"""Forms never lose work (issue 20): on the evaluation and the treatment note, every part
of the page that updates in place (tapping the body chart, adding or removing a finding or
a technique, a refusal) leaves the text typed elsewhere on the page as it was, and saving
afterwards stores it. In a real browser."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import Page, expect

from conftest import PASSWORD
from palpa.accounts.models import Location, User
from palpa.care.evaluations import services as evaluation_services
from palpa.care.models import Evaluation, Plan, TreatmentNote
from palpa.care.notes import services as note_services
from palpa.care.plans import services as plan_services
from palpa.core.tests.support import clinic_today
from palpa.patients.models import Patient
from palpa.practitioners.models import Practitioner
from palpa.scheduling import services as scheduling
from palpa.scheduling.tests.support import at, make_room, make_type, weekday_hours
from palpa.screening.services import record_screening
from palpa.screening.tests.support import facts_modify
from tests.e2e.conftest import SignIn

pytestmark = pytest.mark.e2e

TYPED_EVALUATION = {
    "#id_ev-chief_complaint": "Low back pain since the move, worse on stairs.",
    "#id_ev-history": "Typed before tapping: desk work, two months, no trauma.",
    "#id_ev-posture": "Slight anterior pelvic tilt.",
}
TYPED_NOTE = {
    "#id_soap-subjective": "Typed before adding a technique: slept better, stiff mornings.",
    "#id_soap-objective": "Paraspinal tone raised at L3-L5.",
    "#id_soap-assessment": "Responding to treatment.",
    "#id_soap-plan": "Continue twice a week.",
}


def _type(page: Page, typed: dict[str, str]) -> None:
    for selector, text in typed.items():
        page.locator(selector).fill(text)


def _still_there(page: Page, typed: dict[str, str]) -> None:
    for selector, text in typed.items():
        expect(page.locator(selector)).to_have_value(text)


def _today() -> dt.date:
    return clinic_today()


@pytest.fixture
def draft_evaluation(therapist: User, patient: Patient, location: Location) -> Evaluation:
    return evaluation_services.start_evaluation(
        actor=therapist, patient=patient, location=location, evaluated_on=_today()
    )


def test_typed_history_survives_every_update_of_the_evaluation_page(
    page: Page,
    therapist: User,
    therapist_device: TOTPDevice,
    sign_in: SignIn,
    draft_evaluation: Evaluation,
) -> None:
    sign_in(page, therapist, therapist_device)
    page.goto(f"/care/evaluations/{draft_evaluation.public_id}/")
    _type(page, TYPED_EVALUATION)
    typed_palpation = {"#id_palp-texture": "Ropy, typed before the pain map."}
    page.get_by_text("Add a palpation finding").click()
    _type(page, typed_palpation)
    page.locator("#id_palp-tenderness").fill("2")
    everything = TYPED_EVALUATION | typed_palpation

    # Tap the low back: a midline region offers no side at all.
    page.get_by_role("link", name="Low back (back)").click()
    row = page.locator("#pain-add")
    expect(row).to_contain_text("Low back")
    expect(page.locator("#id_pain-side")).to_be_hidden()
    _still_there(page, everything)

    # A validation error, then another tap: the tap works (it was HTTP 405).
    row.get_by_role("button", name="Add to pain map").click()
    expect(page.locator("#id_pain-intensity_error")).to_be_visible()
    _still_there(page, everything)
    page.get_by_role("link", name="Shoulder, left (back)").click()
    expect(page.locator("#pain-add")).to_contain_text("Shoulder")
    options = page.locator("#id_pain-side option")
    expect(options).to_have_text(["Left", "Right", "Bilateral"])
    expect(page.locator("#id_pain-side")).to_have_value("left")
    page.locator("#id_pain-side").select_option("bilateral")
    page.locator("#id_pain-intensity").fill("6")
    page.locator("#id_pain-note").fill("Worse when reaching overhead")
    page.get_by_role("button", name="Add to pain map").click()
    expect(page.locator("#messages")).to_contain_text("Pain-map entry added.")
    expect(page.locator("#part-pain")).to_contain_text("Shoulder, bilateral")
    _still_there(page, everything)

    # The other parts of the page update in place too.
    page.get_by_role("button", name="Add finding").click()
    expect(page.locator("#part-palpation")).to_contain_text("Ropy, typed before the pain map.")
    _still_there(page, TYPED_EVALUATION)
    page.get_by_text("Record a special test").click()
    page.locator("#id_test-name").fill("Slump test")
    page.get_by_role("button", name="Record test").click()
    expect(page.locator("#part-tests")).to_contain_text("Slump test")
    _still_there(page, TYPED_EVALUATION)
    page.locator("#icd10-q").fill("low back pain")
    expect(page.locator("#icd10-results")).to_contain_text("M54.5")
    page.locator("#icd10-results").get_by_role("button", name="Add M54.50").click()
    expect(page.locator("#part-dx")).to_contain_text("M54.50")
    _still_there(page, TYPED_EVALUATION)
    page.get_by_role("button", name="Remove Slump test").click()
    expect(page.locator("#part-tests")).to_contain_text("None recorded.")
    _still_there(page, TYPED_EVALUATION)

    page.get_by_role("button", name="Save evaluation").click()
    expect(page.locator("#messages")).to_contain_text("Evaluation saved.")
    draft_evaluation.refresh_from_db()
    assert draft_evaluation.history == TYPED_EVALUATION["#id_ev-history"]
    assert draft_evaluation.chief_complaint == TYPED_EVALUATION["#id_ev-chief_complaint"]
    assert draft_evaluation.posture == TYPED_EVALUATION["#id_ev-posture"]
    [pain] = draft_evaluation.pain_map.all()
    assert (pain.region, pain.side, pain.intensity) == ("shoulder", "bilateral", 6)
    page.wait_for_load_state("networkidle")


def test_a_side_the_region_cannot_have_is_refused_on_the_side_field(
    page: Page,
    therapist: User,
    therapist_device: TOTPDevice,
    sign_in: SignIn,
    draft_evaluation: Evaluation,
) -> None:
    """A stale or hand-made request naming a side for the low back is refused naming the
    side, and the next tap still works."""
    sign_in(page, therapist, therapist_device)
    page.goto(f"/care/evaluations/{draft_evaluation.public_id}/?tap=low_back&side=")
    page.locator("#id_pain-side").evaluate("e => e.value = 'bilateral'")
    page.locator("#id_pain-intensity").fill("5")
    page.get_by_role("button", name="Add to pain map").click()
    expect(page.locator("#part-pain .error-summary")).to_contain_text(
        "Side: Low back has no side (it is on the midline); leave the side empty."
    )
    assert not draft_evaluation.pain_map.exists()
    page.get_by_role("link", name="Neck (back)").click()
    expect(page.locator("#pain-add")).to_contain_text("Neck")
    page.wait_for_load_state("networkidle")


@pytest.fixture
def draft_note(therapist: User, patient: Patient, location: Location) -> TreatmentNote:
    """A draft note for a patient on warfarin: the screening rules out deep pressure."""
    record_screening(actor=therapist, patient=patient, facts=facts_modify())
    return note_services.start_note(
        actor=therapist, patient=patient, location=location, visit_date=_today()
    )


def test_typed_report_survives_adding_refused_and_removed_techniques(
    page: Page,
    therapist: User,
    therapist_device: TOTPDevice,
    sign_in: SignIn,
    draft_note: TreatmentNote,
) -> None:
    sign_in(page, therapist, therapist_device)
    page.goto(f"/care/notes/{draft_note.public_id}/")
    _type(page, TYPED_NOTE)
    page.locator("#id_soap-pain_today").fill("3")

    technique = page.locator("#part-techniques")
    page.locator("#id_t-technique").select_option("myofascial_release")
    page.locator("#id_t-region").select_option("low_back")
    page.locator("#id_t-minutes").fill("25")
    page.locator("#id_t-pressure").select_option("deep")
    page.get_by_role("button", name="Add technique").click()
    # The refusal is printed once, next to the pressure, and the form keeps its values.
    error = page.locator("#id_t-pressure_error")
    expect(error).to_contain_text("rules out deep pressure anywhere")
    expect(page.get_by_text("rules out deep pressure anywhere")).to_have_count(1)
    expect(page.locator("#messages")).to_have_text("")
    expect(page.locator("#id_t-technique")).to_have_value("myofascial_release")
    expect(page.locator("#id_t-region")).to_have_value("low_back")
    expect(page.locator("#id_t-minutes")).to_have_value("25")
    _still_there(page, TYPED_NOTE)

    page.locator("#id_t-pressure").select_option("moderate")
    page.get_by_role("button", name="Add technique").click()
    expect(page.locator("#messages")).to_contain_text("Technique recorded.")
    expect(technique.get_by_role("row").filter(has_text="Myofascial release")).to_contain_text(
        "Low back"
    )
    expect(technique).not_to_contain_text("myofascial_release")
    _still_there(page, TYPED_NOTE)
    expect(page.locator("#id_soap-pain_today")).to_have_value("3")

    page.locator("#id_t-technique").select_option("swedish")
    page.locator("#id_t-region").select_option("neck")
    page.locator("#id_t-minutes").fill("10")
    page.get_by_role("button", name="Add technique").click()
    expect(page.locator("#part-techniques")).to_contain_text("35 min")
    page.get_by_role("row").filter(has_text="Neck").get_by_role("button", name="Remove").click()
    expect(page.locator("#part-techniques")).to_contain_text("25 min")
    _still_there(page, TYPED_NOTE)

    page.get_by_role("button", name="Save draft").click()
    expect(page.locator("#messages")).to_contain_text("Note saved.")
    draft_note.refresh_from_db()
    assert draft_note.subjective == TYPED_NOTE["#id_soap-subjective"]
    assert draft_note.plan == TYPED_NOTE["#id_soap-plan"]
    assert draft_note.pain_today == 3
    assert [t.technique for t in draft_note.techniques.all()] == ["myofascial_release"]
    page.wait_for_load_state("networkidle")


@pytest.fixture
def draft_plan(therapist: User, patient: Patient, location: Location) -> Plan:
    record_screening(actor=therapist, patient=patient, facts={})
    evaluation = evaluation_services.start_evaluation(
        actor=therapist,
        patient=patient,
        location=location,
        evaluated_on=_today(),
        chief_complaint="Low back pain.",
    )
    evaluation_services.add_diagnosis(actor=therapist, evaluation=evaluation, code="M54.50")
    evaluation_services.sign_evaluation(actor=therapist, evaluation=evaluation)
    return plan_services.create_plan(
        actor=therapist, evaluation=evaluation, frequency_per_week=2, duration_weeks=6
    )


def test_typed_plan_text_survives_a_refused_goal_and_an_added_home_care_item(
    page: Page,
    therapist: User,
    therapist_device: TOTPDevice,
    sign_in: SignIn,
    draft_plan: Plan,
) -> None:
    sign_in(page, therapist, therapist_device)
    page.goto(f"/care/plans/{draft_plan.public_id}/")
    page.get_by_text("Change the course of care").click()
    precautions = {"#id_edit-precautions": "No prone position beyond 20 minutes."}
    _type(page, precautions)
    page.get_by_text("Add a home-care item").click()
    home_care = {
        "#id_hc-instructions": "Ball against the wall, left glute.",
        "#id_hc-frequency": "Once a day",
    }
    _type(page, home_care)
    goal = {"#id_goal-statement": "Sit through a meeting without pain."}
    _type(page, goal)

    page.get_by_role("button", name="Add goal").click()  # no due date: refused
    expect(page.locator("#id_goal-due_on_error")).to_be_visible()
    _still_there(page, precautions | home_care | goal)

    page.get_by_role("button", name="Add item").click()
    expect(page.locator("#messages")).to_contain_text("added")
    expect(page.locator("#part-homecare")).to_contain_text("Ball against the wall, left glute.")
    _still_there(page, precautions | goal)

    page.get_by_role("button", name="Save plan").click()
    expect(page.locator("#part-course")).to_contain_text("No prone position beyond 20 minutes.")
    _still_there(page, goal)
    draft_plan.refresh_from_db()
    assert draft_plan.precautions == precautions["#id_edit-precautions"]
    assert [h.instructions for h in draft_plan.home_care.all()] == [
        home_care["#id_hc-instructions"]
    ]
    page.wait_for_load_state("networkidle")


def test_a_typed_cancel_reason_survives_looking_for_another_slot(
    page: Page,
    owner: User,
    front_desk: User,
    practitioner: Practitioner,
    location: Location,
    patient: Patient,
) -> None:
    """The appointment page: searching free slots to move to updates only that card."""
    day = dt.datetime.now(ZoneInfo(location.time_zone)).date() + dt.timedelta(days=7)
    while day.weekday() >= 4:  # a Monday to Thursday: the therapist works the next day too
        day += dt.timedelta(days=1)
    weekday_hours(owner, practitioner, location)
    make_room(location, "Room 1")
    kind = make_type(owner, "treatment-60", "treatment", 60)
    appointment = scheduling.book_appointment(
        actor=front_desk,
        patient=patient,
        practitioner=practitioner,
        location=location,
        appointment_type=kind,
        start=at(day, "10:00"),
    )
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(front_desk.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Good day")
    page.goto(f"/schedule/appointments/{appointment.public_id}/")
    reason = page.get_by_label("Reason for cancelling")
    reason.fill("Patient called: flu, typed before looking for slots")
    page.locator("#move-date").fill((day + dt.timedelta(days=1)).isoformat())
    page.get_by_role("button", name="Show free slots").click()
    expect(page.locator("#move-date")).to_have_value((day + dt.timedelta(days=1)).isoformat())
    expect(page.locator("#part-move")).to_contain_text("Move to")
    expect(reason).to_have_value("Patient called: flu, typed before looking for slots")
    page.wait_for_load_state("networkidle")
