"""The demo clinic's courses of care, written through the care services.

Each treated patient is screened, evaluated (signed), given a signed plan of care with
goals, treated in signed notes linked to the plan, and re-assessed on the plan's schedule
along the patient's trajectory in ``data.TRAJECTORIES``. Dates are relative to today.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile

from palpa.accounts.models import Location, Organization, User
from palpa.care.evaluations import services as evaluation_services
from palpa.care.models import Evaluation, Plan
from palpa.care.notes import services as note_services
from palpa.care.plans import services as plan_services
from palpa.demo import data
from palpa.outcomes.models import InstrumentAdministration
from palpa.patients.models import Patient
from palpa.practitioners.models import Practitioner
from palpa.referrals.models import Physician
from palpa.screening.models import Screening
from palpa.screening.queries import screening_status
from palpa.screening.services import confirm_no_change, record_clearance, record_screening

ROTA = [
    "therapist@harbor.example",
    "jordan@harbor.example",
    "sofia@harbor.example",
    "daniel@harbor.example",
]
# Daniel Brooks's license has lapsed, so he cannot sign a plan today: Maya Chen evaluates,
# plans and re-assesses his patients; he gave the treatments before the lapse.
LEAD = "therapist@harbor.example"
TREATED = 18
ADHERENCE = ["some", "most", "all", "most"]


def dated(facts: dict[str, Any], as_of: dt.date) -> dict[str, Any]:
    """The facts with whole numbers in date fields turned into dates that many days
    before ``as_of``."""

    def convert(value: Any, key: str = "") -> Any:
        if isinstance(value, dict):
            return {k: convert(v, k) for k, v in value.items()}
        if isinstance(value, list):
            return [convert(v) for v in value]
        dates = ("onset", "date", "diagnosed", "treatment_ended", "measured_on")
        if key in dates and isinstance(value, int):
            return (as_of - dt.timedelta(days=value)).isoformat()
        return value

    converted: dict[str, Any] = convert(facts)
    return converted


def _spread(total: int, items: int, top: int) -> list[int]:
    """``items`` answers from 0 to ``top`` adding up to ``total``, as even as possible."""
    if not 0 <= total <= items * top:
        raise ValueError(f"{total} cannot be spread over {items} items of at most {top}")
    base, extra = divmod(total, items)
    return [base + (1 if n < extra else 0) for n in range(items)]


def answers_for(instrument: str, score: float) -> list[int]:
    """Answers that score (as near as the instrument allows) ``score``."""
    if instrument == "ODI":  # sum / 50 x 100
        return _spread(round(score / 2), 10, 5)
    if instrument == "NDI":  # raw sum 0-50
        return _spread(round(score), 10, 5)
    if instrument == "LEFS":  # sum 0-80, 4 = no difficulty
        return _spread(round(score), 20, 4)
    if instrument == "RMDQ":  # statements endorsed
        yes = round(score)
        return [1] * yes + [0] * (24 - yes)
    if instrument == "QUICKDASH":  # ((sum / 11) - 1) x 25, answers 1-5
        return [a + 1 for a in _spread(round(score * 11 / 25), 11, 4)]
    if instrument == "NPRS":
        return [round(score)]
    raise ValueError(f"no demo answers for {instrument}")


def _visit_dates(last_visit: dt.date, visits: int) -> list[dt.date]:
    """Roughly two visits a week, ending on ``last_visit`` or the day before."""
    return [last_visit - dt.timedelta(days=3 * (visits - 1 - v) + (v % 2)) for v in range(visits)]


def _precautions(patient: Patient, on: dt.date) -> str:
    """What the screening in force asks the plan to respect, in words."""
    status = screening_status(patient, on=on)
    parts = list(status.restriction_lines)
    if status.restrictions:
        parts.insert(0, f"Screening of {on.isoformat()}: {status.effective_decision}.")
    for clearance in status.clearances:
        parts.append(
            f"Cleared by {clearance.physician} on {clearance.cleared_on.isoformat()}: "
            f"{clearance.scope}. {clearance.conditions}".strip()
        )
    return " ".join(parts)


def treat(org: Organization, today: dt.date) -> None:
    """Screen, evaluate, plan, treat and re-assess the first 18 patients; discharge one."""
    staff = {
        p.user.email: p.user
        for p in Practitioner.objects.filter(organization=org).select_related("user")
        if p.user is not None
    }
    physician = Physician.objects.filter(organization=org).order_by("pk")[0]
    patients = list(Patient.objects.filter(organization=org).order_by("mrn")[:TREATED])
    for i, patient in enumerate(patients):
        email = ROTA[i % len(ROTA)]
        lapsed = email.startswith("daniel")
        course = data.NOTE_COURSES[i % len(data.NOTE_COURSES)]
        Course(
            index=i,
            patient=patient,
            course=course,
            trajectory=data.TRAJECTORIES[i],
            treating=staff[email],
            evaluator=staff[LEAD if lapsed else email],
            # Daniel's visits all fall before his license lapsed (17 days before today).
            last_visit=today - dt.timedelta(days=20 if lapsed else 2),
            physician=physician,
        ).run()


class Course:
    """One patient's course of care, from the screening to the latest visit."""

    def __init__(
        self,
        *,
        index: int,
        patient: Patient,
        course: dict[str, Any],
        trajectory: data.Trajectory,
        treating: User,
        evaluator: User,
        last_visit: dt.date,
        physician: Physician,
    ) -> None:
        self.index = index
        self.patient = patient
        self.course = course
        self.trajectory = trajectory
        self.treating = treating
        self.evaluator = evaluator
        self.physician = physician
        self.visits = trajectory.visits
        self.dates = _visit_dates(last_visit, self.visits)
        self.evaluated_on = self.dates[0] - dt.timedelta(days=3)
        self.instrument = trajectory.instrument or str(course["instrument"])
        location = patient.primary_location
        assert location is not None
        self.location: Location = location
        self.baseline = 0.0

    def run(self) -> None:
        self._screen()
        evaluation = self._evaluate()
        plan = self._plan(evaluation)
        every = self.trajectory.every
        for v, visit in enumerate(self.dates):
            measured = None
            if (v + 1) % every == 0:
                measured = self._reassess(plan, (v + 1) // every, visit)
            note = self._note(plan, v, visit, measured)
            if self.index == 0 and v == self.visits - 1:
                continue  # Maya's latest note for the first patient is still a draft
            note_services.sign_note(actor=self.treating, note=note)
            if v == 0 and self.index % 5 == 1 and self.treating.email == self.evaluator.email:
                note_services.add_addendum(
                    actor=self.treating,
                    note=note,
                    text="Correction: the patient also reported morning stiffness.",
                )
        if self.trajectory.discharge:
            plan_services.discharge_plan(
                actor=self.evaluator,
                plan=plan,
                reason="goals_met",
                summary=self.trajectory.discharge,
                discharged_on=self.dates[-1],
            )

    def _screen(self) -> None:
        cleared = data.CLEARED_WITH_NOTES.get(self.index)
        facts = cleared["facts"] if cleared else data.SCREENING_BY_COURSE[self.index % 4]
        on = self.evaluated_on
        screening: Screening = record_screening(
            actor=self.evaluator,
            patient=self.patient,
            facts={"as_of": on.isoformat(), **dated(facts, on)},
        )
        if cleared:
            letter = data.clearance_letter_pdf(
                f"I clear {self.patient.full_name} for massage: {cleared['scope']}."
            )
            record_clearance(
                actor=self.evaluator,
                screening=screening,
                physician=self.physician,
                cleared_on=on,
                scope=cleared["scope"],
                conditions=cleared["conditions"],
                letter=SimpleUploadedFile("clearance.pdf", letter, "application/pdf"),
            )

    def _evaluate(self) -> Evaluation:
        actor, course, t = self.evaluator, self.course, self.trajectory
        evaluation = evaluation_services.start_evaluation(
            actor=actor,
            patient=self.patient,
            location=self.location,
            evaluated_on=self.evaluated_on,
            onset_on=(
                self.evaluated_on - dt.timedelta(weeks=course["onset_weeks"])
                if course["onset_weeks"]
                else None
            ),
            chief_complaint=course["chief_complaint"],
            history=course["history"],
            posture=course["posture"],
        )
        for region, side, offset, quality, note in course["pain_map"]:
            evaluation_services.add_pain_map_entry(
                actor=actor,
                evaluation=evaluation,
                region=region,
                side=side,
                intensity=min(10, max(0, t.pain[0] + offset)),
                quality=quality,
                note=note,
            )
        for region, side, tone, tenderness, found, count, texture in course["palpation"]:
            evaluation_services.add_palpation_finding(
                actor=actor,
                evaluation=evaluation,
                region=region,
                side=side,
                tone=tone,
                tenderness=tenderness,
                trigger_points=found,
                trigger_point_count=count,
                texture=texture,
            )
        if t.rom:
            measured = [(*course["rom"][0], t.rom[0]), course["rom_other"]]
            for joint, motion, side, tool, position, degrees in measured:
                evaluation_services.record_rom(
                    actor=actor,
                    evaluation=evaluation,
                    joint=joint,
                    motion=motion,
                    side=side,
                    degrees=degrees,
                    instrument=tool,
                    position=position,
                )
        for name, side, result, note in course["special_tests"]:
            evaluation_services.add_special_test(
                actor=actor, evaluation=evaluation, name=name, side=side, result=result, note=note
            )
        for code in course["diagnoses"]:
            evaluation_services.add_diagnosis(actor=actor, evaluation=evaluation, code=code)
        self.baseline = evaluation_services.record_baseline_administration(
            actor=actor,
            evaluation=evaluation,
            instrument=self.instrument,
            answers=answers_for(self.instrument, t.primary[0]),
        ).score
        evaluation_services.record_baseline_administration(
            actor=actor, evaluation=evaluation, instrument="NPRS", answers=[t.pain[0]]
        )
        if t.psfs:
            evaluation_services.record_baseline_administration(
                actor=actor,
                evaluation=evaluation,
                instrument="PSFS",
                answers=list(t.psfs[0]),
                item_labels=course["psfs"],
            )
        return evaluation_services.sign_evaluation(actor=actor, evaluation=evaluation)

    def _plan(self, evaluation: Evaluation) -> Plan:
        actor, course, t = self.evaluator, self.course, self.trajectory
        techniques = list(dict.fromkeys(entry[0] for entry in course["techniques"]))
        plan = plan_services.create_plan(
            actor=actor,
            evaluation=evaluation,
            frequency_per_week=2,
            duration_weeks=t.weeks,
            techniques=techniques,
            precautions=_precautions(self.patient, self.evaluated_on),
            reassess_every_visits=t.every,
            home_care=course["home_care"],
        )
        due = plan.starts_on + dt.timedelta(weeks=t.weeks)
        goals = course["goals"]
        plan_services.add_goal(
            actor=actor,
            plan=plan,
            statement=goals["instrument"]
            if t.target is None
            else f"Reach a {self.instrument} score of {t.target:g} or better.",
            measure_kind="instrument",
            instrument=self.instrument,
            target_kind="meaningful_change" if t.target is None else "value",
            target_value=t.target,
            due_on=due,
            primary=True,
        )
        if t.rom_target is not None:
            joint, motion, side, _tool, _position = course["rom"][0]
            plan_services.add_goal(
                actor=actor,
                plan=plan,
                statement=goals["rom"],
                measure_kind="rom",
                rom_joint=joint,
                rom_motion=motion,
                rom_side=side,
                target_value=t.rom_target,
                due_on=due,
            )
        if t.psfs_target is not None:
            plan_services.add_goal(
                actor=actor,
                plan=plan,
                statement=goals["psfs"],
                measure_kind="psfs_activity",
                psfs_index=1,
                target_value=t.psfs_target,
                due_on=due,
            )
        return plan_services.sign_plan(actor=actor, plan=plan)

    def _reassess(self, plan: Plan, step: int, on: dt.date) -> InstrumentAdministration:
        """The re-assessment of the plan's schedule: the measures of its goals again."""
        actor, course, t = self.evaluator, self.course, self.trajectory
        administration = plan_services.record_reassessment(
            actor=actor,
            plan=plan,
            instrument=self.instrument,
            answers=answers_for(self.instrument, t.primary[step]),
            administered_on=on,
        )
        if t.rom:
            joint, motion, side, tool, position = course["rom"][0]
            plan_services.record_reassessment_rom(
                actor=actor,
                plan=plan,
                joint=joint,
                motion=motion,
                side=side,
                degrees=t.rom[step],
                instrument=tool,
                position=position,
                measured_on=on,
            )
        if t.psfs:
            plan_services.record_reassessment(
                actor=actor,
                plan=plan,
                instrument="PSFS",
                answers=list(t.psfs[step]),
                item_labels=course["psfs"],
                administered_on=on,
            )
        return administration

    def _pain(self, v: int) -> int:
        first, last = self.trajectory.pain
        if self.visits == 1:
            return first
        return round(first + (last - first) * v / (self.visits - 1))

    def _assessment(self, v: int, measured: InstrumentAdministration | None) -> str:
        story = self.trajectory.story
        last = v == self.visits - 1
        if story == "non-responder" and measured is not None:
            return (
                "No meaningful change since the evaluation despite good attendance; "
                "re-evaluate and consider referring back to the physician."
            )
        if story == "mid-course, at risk" and measured is not None:
            return (
                "Disability worse than at the evaluation after lifting at work; review the "
                "plan and the home program at the next visit."
            )
        if story == "plateau" and v >= 2 * self.trajectory.every - 1:
            return "Early gains have levelled off; function unchanged since the last re-assessment."
        if story.startswith("discharged") and last:
            return "Goals met; discharged to the home program."
        if v == 0:
            return "Tolerated treatment well; tissue softer afterwards."
        return "Tolerated treatment well; less guarding than at the last visit."

    def _note(
        self, plan: Plan, v: int, visit: dt.date, measured: InstrumentAdministration | None
    ) -> Any:
        course = self.course
        confirm_no_change(actor=self.treating, patient=self.patient, on=visit)
        pain = self._pain(v)
        objective = (
            "Hypertonicity and tenderness reduced compared with last visit."
            if v
            else "Marked hypertonicity; tender points reproduce the usual pain."
        )
        if measured is not None:
            objective += (
                f" Re-assessed today: {measured.instrument} {measured.score:g} "
                f"(evaluation: {self.baseline:g})."
            )
        note = note_services.start_note(
            actor=self.treating,
            patient=self.patient,
            location=self.location,
            visit_date=visit,
            plan_of_care=plan,
            pain_today=pain,
            subjective=f"Visit {v + 1} for {course['complaint']}; pain {pain}/10.",
            home_care_adherence=ADHERENCE[v % 4],
            objective=objective,
            assessment=self._assessment(v, measured),
            plan=str(course["home"]),
        )
        for technique, region, side, minutes, pressure, tool in course["techniques"]:
            note_services.add_technique(
                actor=self.treating,
                note=note,
                technique=technique,
                region=region,
                side=side,
                minutes=minutes,
                pressure=pressure,
                tool=tool,
            )
        return note
