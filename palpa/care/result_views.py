"""Pages of result-based care: evaluation (tapped pain map), plan of care, re-assessment,
discharge, the printable home-care handout and the outcome trend charts."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.forms import BaseForm
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from palpa.accounts.gates import Gate, requires, requires_by
from palpa.accounts.models import User
from palpa.accounts.permissions import Capability
from palpa.care import bodychart, charts, expectations, icd10, queries
from palpa.care import gates as care_gates
from palpa.care.catalog import catalog
from palpa.care.evaluations import services as evaluation_services
from palpa.care.forms import AddendumForm
from palpa.care.models import Evaluation, Goal, HomeCareItem, Plan, RomMeasurement
from palpa.care.plans import services as plan_services
from palpa.care.result_forms import (
    AnswersForm,
    ChooseInstrumentForm,
    DiagnosisForm,
    DischargeForm,
    EvaluationForm,
    GoalForm,
    HomeCareForm,
    HomeCarePictureForm,
    NewEvaluationForm,
    NewPlanForm,
    PainForm,
    PalpationForm,
    PlanEditForm,
    ReassessRomForm,
    RomForm,
    SpecialTestForm,
)
from palpa.core.dates import local_today
from palpa.core.errors import Refused
from palpa.core.forms import apply_validation_error
from palpa.core.views import staff_user
from palpa.outcomes.library import Instrument, UnknownInstrument, get_instrument
from palpa.patients.models import PatientMessage
from palpa.patients.queries import patients_for
from palpa.practitioners.models import Practitioner


def _refusal(exc: Exception) -> str:
    return " ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)


def _is_mine(user: User, practitioner_id: int) -> bool:
    return Practitioner.objects.filter(user=user, pk=practitioner_id).exists()


def _instrument(code: str) -> Instrument | None:
    if not code:
        return None
    try:
        return get_instrument(code)
    except UnknownInstrument:
        return None


# ---------------------------------------------------------------------------------------
# Evaluation


def _evaluation(request: HttpRequest, evaluation_id: str) -> Evaluation:
    user = staff_user(request)
    return get_object_or_404(queries.evaluations_for(user), public_id=evaluation_id)


@login_required
@requires(Capability.CLINICAL_AUTHOR, record=care_gates.PATIENT)
def evaluation_new(request: HttpRequest, patient_id: str) -> HttpResponse:
    user = staff_user(request)
    patient = get_object_or_404(patients_for(user), public_id=patient_id)
    form = NewEvaluationForm(
        request.POST or None,
        actor=user,
        initial={
            "location": patient.primary_location,
            "evaluated_on": local_today(patient.primary_location),
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            evaluation = evaluation_services.start_evaluation(
                actor=user, patient=patient, **form.cleaned_data
            )
        except ValidationError as exc:
            apply_validation_error(form, exc)
        else:
            return redirect("care:evaluation", evaluation_id=evaluation.public_id)
    return render(request, "care/evaluation_new.html", {"form": form, "patient": patient})


def _tapped_pain_form(request: HttpRequest) -> PainForm | None:
    region = request.GET.get("tap", "")
    if region not in catalog().regions:
        return None
    side = request.GET.get("side", "")
    return PainForm(prefix="pain", initial={"region": region, "side": side, "quality": "aching"})


def _rom_label(m: RomMeasurement) -> str:
    side = "" if m.side == "midline" else f", {m.side}"
    return f"{m.joint.replace('_', ' ')} {m.motion.replace('_', ' ')}{side}"


def _render_evaluation(
    request: HttpRequest, evaluation: Evaluation, **bound: BaseForm
) -> HttpResponse:
    user = staff_user(request)
    cat = catalog()
    pain = list(evaluation.pain_map.all())
    editable = evaluation.status == Evaluation.Status.DRAFT and _is_mine(
        user, evaluation.practitioner_id
    )
    instrument = _instrument(request.GET.get("instrument", ""))
    answers = bound.get("answers")
    if answers is None and instrument is not None:
        answers = AnswersForm(prefix="a", instrument=instrument)
    if isinstance(answers, AnswersForm):
        instrument = answers.instrument
    q = request.GET.get("q", "")
    context: dict[str, Any] = {
        "evaluation": evaluation,
        "patient": evaluation.patient,
        "editable": editable,
        "form": bound.get("form")
        or EvaluationForm(
            prefix="ev",
            initial={
                "chief_complaint": evaluation.chief_complaint,
                "onset_on": evaluation.onset_on,
                "history": evaluation.history,
                "posture": evaluation.posture,
            },
        ),
        "body": bodychart.views((p.region, p.side) for p in pain),
        "chart_width": bodychart.WIDTH,
        "chart_height": bodychart.HEIGHT,
        "pain": [(p, cat.region_label(p.region, p.side)) for p in pain],
        "pain_form": bound.get("pain") or _tapped_pain_form(request),
        "palpation": [(f, cat.region_label(f.region, f.side)) for f in evaluation.palpation.all()],
        "palpation_form": bound.get("palpation") or PalpationForm(prefix="palp"),
        "rom": [(m, _rom_label(m)) for m in evaluation.rom_measurements.all()],
        "rom_form": bound.get("rom") or RomForm(prefix="rom"),
        "tests": list(evaluation.special_tests.all()),
        "test_form": bound.get("test") or SpecialTestForm(prefix="test"),
        "diagnoses": list(evaluation.diagnoses.all()),
        "diagnosis_form": bound.get("diagnosis") or DiagnosisForm(prefix="dx"),
        "q": q,
        "hits": icd10.search(q, limit=15) if q else [],
        "baselines": [
            link.administration
            for link in evaluation.administration_links.select_related("administration")
        ],
        "choose_form": ChooseInstrumentForm(
            initial={"instrument": instrument.id if instrument else ""}
        ),
        "instrument": instrument,
        "answers_form": answers,
        "plans": list(queries.plans_for(user).filter(evaluation=evaluation)),
        "addenda": list(evaluation.addenda.select_related("signed_by")),
        "addendum_form": bound.get("addendum") or AddendumForm(prefix="addendum"),
    }
    return render(request, "care/evaluation.html", context)


@login_required
@requires(
    Capability.CLINICAL_READ, post=Capability.CLINICAL_AUTHOR, record=care_gates.EVALUATION_DRAFT
)
def evaluation_detail(request: HttpRequest, evaluation_id: str) -> HttpResponse:
    user = staff_user(request)
    evaluation = _evaluation(request, evaluation_id)
    if request.method == "POST":
        form = EvaluationForm(request.POST, prefix="ev")
        if form.is_valid():
            try:
                evaluation_services.update_evaluation(
                    actor=user, evaluation=evaluation, changes=dict(form.cleaned_data)
                )
            except ValidationError as exc:
                apply_validation_error(form, exc)
            except Refused as exc:
                messages.error(request, str(exc))
                return redirect("care:evaluation", evaluation_id=evaluation.public_id)
            else:
                messages.success(request, "Evaluation saved.")
                return redirect("care:evaluation", evaluation_id=evaluation.public_id)
        return _render_evaluation(request, evaluation, form=form)
    if request.headers.get("HX-Request") != "true":
        evaluation_services.audit_evaluation_read(actor=user, evaluation=evaluation)
    return _render_evaluation(request, evaluation)


EVALUATION_PARTS = {
    "pain": ("pain", PainForm, "Pain-map entry added.", "pain-h"),
    "palpation": ("palp", PalpationForm, "Palpation finding added.", "palpation-h"),
    "rom": ("rom", RomForm, "Range of motion recorded.", "rom-h"),
    "test": ("test", SpecialTestForm, "Special test recorded.", "tests-h"),
    "diagnosis": ("dx", DiagnosisForm, "Working diagnosis added.", "dx-h"),
}


def _add_part(user: User, evaluation: Evaluation, part: str, form: BaseForm) -> None:
    data = dict(form.cleaned_data)
    if part == "pain":
        evaluation_services.add_pain_map_entry(actor=user, evaluation=evaluation, **data)
    elif part == "palpation":
        if not data["trigger_points"] and data["trigger_point_count"] is None:
            data["trigger_point_count"] = None
        evaluation_services.add_palpation_finding(actor=user, evaluation=evaluation, **data)
    elif part == "rom":
        assert isinstance(form, RomForm)
        evaluation_services.record_rom(actor=user, evaluation=evaluation, **form.service_kwargs())
    elif part == "test":
        evaluation_services.add_special_test(actor=user, evaluation=evaluation, **data)
    else:
        evaluation_services.add_diagnosis(
            actor=user,
            evaluation=evaluation,
            code=data["code"],
            rank=1 if data["primary"] else None,
        )


@login_required
@require_POST
@requires(Capability.CLINICAL_AUTHOR, record=care_gates.EVALUATION_DRAFT)
def evaluation_add(request: HttpRequest, evaluation_id: str, part: str) -> HttpResponse:
    user = staff_user(request)
    evaluation = _evaluation(request, evaluation_id)
    if part not in EVALUATION_PARTS:
        raise Http404("No such part of an evaluation.")
    prefix, form_class, done, anchor = EVALUATION_PARTS[part]
    form = form_class(request.POST, prefix=prefix)
    if form.is_valid():
        try:
            _add_part(user, evaluation, part, form)
        except ValidationError as exc:
            apply_validation_error(form, exc)
        except Refused as exc:
            messages.error(request, str(exc))
            return redirect("care:evaluation", evaluation_id=evaluation.public_id)
        else:
            messages.success(request, done)
            url = reverse("care:evaluation", args=[evaluation.public_id])
            return redirect(f"{url}#{anchor}")
    return _render_evaluation(request, evaluation, **{part: form})


# A draft's findings by the part named in the URL: (the evaluation's rows, the message,
# the section to return to).
EVALUATION_ROWS: dict[str, tuple[str, str, str]] = {
    "pain": ("pain_map", "Pain-map entry removed.", "pain-h"),
    "palpation": ("palpation", "Palpation finding removed.", "palpation-h"),
    "rom": ("rom_measurements", "Range of motion removed.", "rom-h"),
    "test": ("special_tests", "Special test removed.", "tests-h"),
    "diagnosis": ("diagnoses", "Diagnosis removed.", "dx-h"),
}


@login_required
@require_POST
@requires(Capability.CLINICAL_AUTHOR, record=care_gates.EVALUATION_DRAFT)
def evaluation_remove(
    request: HttpRequest, evaluation_id: str, part: str, row_id: str
) -> HttpResponse:
    """Remove one finding from a draft evaluation (refused once it is signed)."""
    user = staff_user(request)
    evaluation = _evaluation(request, evaluation_id)
    if part not in EVALUATION_ROWS:
        raise Http404("No such part of an evaluation.")
    related, done, anchor = EVALUATION_ROWS[part]
    finding = get_object_or_404(getattr(evaluation, related).all(), public_id=row_id)
    try:
        evaluation_services.remove_evaluation_finding(actor=user, finding=finding)
    except (ValidationError, Refused) as exc:
        messages.error(request, f"Not removed: {_refusal(exc)}")
    else:
        messages.success(request, done)
    url = reverse("care:evaluation", args=[evaluation.public_id])
    return redirect(f"{url}#{anchor}")


@login_required
@require_POST
@requires(Capability.CLINICAL_ADDENDUM, record=care_gates.EVALUATION)
def evaluation_addendum_add(request: HttpRequest, evaluation_id: str) -> HttpResponse:
    user = staff_user(request)
    evaluation = _evaluation(request, evaluation_id)
    form = AddendumForm(request.POST, prefix="addendum")
    if form.is_valid():
        try:
            evaluation_services.add_evaluation_addendum(
                actor=user, evaluation=evaluation, text=form.cleaned_data["text"]
            )
        except ValidationError as exc:
            apply_validation_error(form, exc)
        except Refused as exc:
            messages.error(request, f"Not signed: {exc}")
            return redirect("care:evaluation", evaluation_id=evaluation.public_id)
        else:
            messages.success(request, "Addendum signed. The evaluation stays as it was signed.")
            url = reverse("care:evaluation", args=[evaluation.public_id])
            return redirect(f"{url}#addenda-h")
    return _render_evaluation(request, evaluation, addendum=form)


@login_required
@require_POST
@requires(Capability.CLINICAL_AUTHOR, record=care_gates.EVALUATION_DRAFT)
def evaluation_administration(request: HttpRequest, evaluation_id: str) -> HttpResponse:
    user = staff_user(request)
    evaluation = _evaluation(request, evaluation_id)
    instrument = _instrument(request.POST.get("instrument", ""))
    if instrument is None:
        messages.error(request, "Choose an instrument first.")
        return redirect("care:evaluation", evaluation_id=evaluation.public_id)
    form = AnswersForm(request.POST, prefix="a", instrument=instrument)
    if form.is_valid():
        answers, labels = form.answers()
        try:
            administration = evaluation_services.record_baseline_administration(
                actor=user,
                evaluation=evaluation,
                instrument=instrument.id,
                answers=answers,
                item_labels=labels,
            )
        except ValidationError as exc:
            apply_validation_error(form, exc)
        except Refused as exc:
            messages.error(request, str(exc))
            return redirect("care:evaluation", evaluation_id=evaluation.public_id)
        else:
            messages.success(
                request, f"{administration.instrument} baseline scored: {administration.score:g}."
            )
            url = reverse("care:evaluation", args=[evaluation.public_id])
            return redirect(f"{url}#baselines-h")
    return _render_evaluation(request, evaluation, answers=form)


@login_required
@requires(Capability.CLINICAL_READ)
def icd10_search(request: HttpRequest, evaluation_id: str) -> HttpResponse:
    """The htmx search box: hits of the ICD-10-CM subset, each a button that adds it."""
    evaluation = _evaluation(request, evaluation_id)
    q = request.GET.get("q", "")
    return render(
        request,
        "care/_icd10_hits.html",
        {"evaluation": evaluation, "q": q, "hits": icd10.search(q, limit=15) if q else []},
    )


@login_required
@require_POST
@requires(Capability.CLINICAL_AUTHOR, record=care_gates.EVALUATION_DRAFT)
def evaluation_sign(request: HttpRequest, evaluation_id: str) -> HttpResponse:
    user = staff_user(request)
    evaluation = _evaluation(request, evaluation_id)
    try:
        evaluation_services.sign_evaluation(actor=user, evaluation=evaluation)
        messages.success(request, "Evaluation signed. It can no longer change.")
    except (ValidationError, Refused) as exc:
        messages.error(request, f"Not signed: {_refusal(exc)}")
    return redirect("care:evaluation", evaluation_id=evaluation.public_id)


# ---------------------------------------------------------------------------------------
# Plan of care


def _plan(request: HttpRequest, plan_id: str) -> Plan:
    user = staff_user(request)
    return get_object_or_404(queries.plans_for(user), public_id=plan_id)


@login_required
@requires(Capability.CLINICAL_AUTHOR, record=care_gates.EVALUATION)
def plan_new(request: HttpRequest, evaluation_id: str) -> HttpResponse:
    user = staff_user(request)
    evaluation = _evaluation(request, evaluation_id)
    form = NewPlanForm(request.POST or None, prefix="plan")
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if v is not None or k != "starts_on"}
        try:
            plan = plan_services.create_plan(actor=user, evaluation=evaluation, **data)
        except ValidationError as exc:
            apply_validation_error(form, exc)
        except Refused as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, "Plan drafted. Add its goals, then sign it.")
            return redirect("care:plan", plan_id=plan.public_id)
    return render(request, "care/plan_new.html", {"form": form, "evaluation": evaluation})


def goal_measures(plan: Plan) -> list[tuple[str, str]]:
    """The measures a goal can name: those with a baseline in the plan's evaluation."""
    out: list[tuple[str, str]] = []
    for link in plan.evaluation.administration_links.select_related("administration"):
        a = link.administration
        if a.status != a.Status.FINAL:
            continue
        if a.instrument == "PSFS":
            for n, label in enumerate(a.item_labels or [], start=1):
                out.append((f"psfs_activity:{n}", f"PSFS activity {n}: {label}"))
        else:
            out.append((f"instrument:{a.instrument}", f"{a.instrument} (baseline {a.score:g})"))
    for m in plan.evaluation.rom_measurements.all():
        key = f"rom:{m.joint}|{m.motion}|{m.side}"
        what = f"{m.joint} {m.motion} {'' if m.side == 'midline' else m.side}".replace("_", " ")
        out.append((key, f"ROM {what.strip()} (baseline {m.degrees}°)"))
    return list(dict(out).items())


def _goal_preview(plan: Plan, data: Mapping[str, Any]) -> expectations.GoalExpectation | None:
    """The result to expect for the goal being typed (its measure and target), or None."""
    kind, _, instrument = str(data.get("goal-measure", "")).partition(":")
    if kind != Goal.Measure.INSTRUMENT or not instrument:
        return None
    target: float | None = None
    if data.get("goal-target_kind", Goal.Target.VALUE) == Goal.Target.VALUE:
        try:
            target = float(str(data.get("goal-target_value", "")).strip())
        except ValueError:
            target = None
    return expectations.for_measure(plan, instrument, target)


def _render_plan(request: HttpRequest, plan: Plan, **bound: BaseForm) -> HttpResponse:
    user = staff_user(request)
    mine = _is_mine(user, plan.practitioner_id)
    editable = plan.status == Plan.Status.DRAFT and mine
    active = plan.status == Plan.Status.ACTIVE
    progress = plan_services.plan_progress(actor=user, plan=plan)
    instrument = _instrument(request.GET.get("instrument", ""))
    answers = bound.get("reassess")
    if answers is None and instrument is not None:
        answers = AnswersForm(prefix="a", instrument=instrument)
    if isinstance(answers, AnswersForm):
        instrument = answers.instrument
    cat = catalog()
    discharge = getattr(plan, "discharge", None) if plan.status == Plan.Status.COMPLETED else None
    # The result to expect per instrument goal (and for the goal being typed), while the
    # plan is a draft its therapist may change: flags inform before signing, never block.
    expected = expectations.for_goals(plan) if editable else []
    goal_form = bound.get("goal") or GoalForm(prefix="goal", measures=goal_measures(plan))
    context: dict[str, Any] = {
        "plan": plan,
        "patient": plan.patient,
        "progress": progress,
        "editable": editable,
        "active": active,
        "can_write": _is_mine(user, plan.practitioner_id)
        or Practitioner.objects.filter(user=user, active=True).exists(),
        "techniques": [cat.techniques[t].label for t in plan.techniques if t in cat.techniques],
        "diagnoses": list(plan.diagnoses.all()),
        "home_care": list(plan.home_care.all()),
        "home_care_rows": [
            (
                h,
                bound["picture"]
                if "picture" in bound and bound["picture"].prefix == _picture_prefix(h)
                else HomeCarePictureForm(prefix=_picture_prefix(h)),
            )
            for h in plan.home_care.all()
        ],
        "goal_form": goal_form,
        "expected_by_goal": {goal.pk: e for goal, e in expected},
        "flagged_goals": [(goal, e) for goal, e in expected if e.flagged],
        "goal_preview": _goal_preview(plan, goal_form.data) if editable else None,
        "homecare_form": bound.get("homecare") or HomeCareForm(prefix="hc"),
        "choose_form": ChooseInstrumentForm(
            initial={"instrument": instrument.id if instrument else ""}
        ),
        "instrument": instrument,
        "answers_form": answers,
        "rom_form": bound.get("reassess_rom") or ReassessRomForm(prefix="rom"),
        "discharge_form": bound.get("discharge") or DischargeForm(prefix="dc"),
        "discharge": discharge,
        "versions": list(queries.plans_for(user).filter(lineage=plan.lineage).order_by("-version")),
        "plan_form": (
            bound.get("edit") or PlanEditForm(prefix="edit", initial=PlanEditForm.initial_of(plan))
        )
        if editable
        else None,
    }
    return render(request, "care/plan.html", context)


@login_required
@requires(Capability.CLINICAL_READ)
def plan_detail(request: HttpRequest, plan_id: str) -> HttpResponse:
    return _render_plan(request, _plan(request, plan_id))


@login_required
@requires(Capability.CLINICAL_AUTHOR, record=care_gates.PLAN_DRAFT_AUTHORING)
def goal_expected(request: HttpRequest, plan_id: str) -> HttpResponse:
    """The result to expect for the goal being typed on a draft plan (a part of the goal
    form that htmx replaces alone, so the typed text stays as it is)."""
    user = staff_user(request)
    plan = _plan(request, plan_id)
    if plan.status != Plan.Status.DRAFT:
        raise Http404("A goal is set on a draft plan only.")
    preview = _goal_preview(plan, request.GET)
    if preview is not None:
        plan_services.audit_plan_read(actor=user, plan=plan)
    return render(request, "care/_goal_expected_body.html", {"plan": plan, "preview": preview})


def _home_care_items(plan: Plan, *, without: int | None = None) -> list[dict[str, Any]]:
    return [
        {
            "item": str(h.public_id),
            "kind": h.kind,
            "instructions": h.instructions,
            "tool": h.tool,
            "frequency": h.frequency,
        }
        for h in plan.home_care.all()
        if h.pk != without
    ]


def _picture_prefix(item: HomeCareItem) -> str:
    """Each item's picture form has its own prefix, so field ids differ on the page."""
    return f"pic-{item.public_id.hex[:12]}"


@login_required
@require_POST
@requires_by(
    "part",
    {
        "goal": Gate(Capability.CLINICAL_AUTHOR, record=care_gates.PLAN_DRAFT),
        "homecare": Gate(Capability.CLINICAL_AUTHOR, record=care_gates.PLAN_DRAFT),
        "reassess": Gate(Capability.CLINICAL_AUTHOR, record=care_gates.PLAN),
        "reassess_rom": Gate(Capability.CLINICAL_AUTHOR, record=care_gates.PLAN),
        "discharge": Gate(Capability.CLINICAL_AUTHOR, record=care_gates.PLAN),
    },
)
def plan_add(request: HttpRequest, plan_id: str, part: str) -> HttpResponse:
    user = staff_user(request)
    plan = _plan(request, plan_id)
    url = reverse("care:plan", args=[plan.public_id])
    form: BaseForm
    if part == "goal":
        form = GoalForm(request.POST, prefix="goal", measures=goal_measures(plan))
    elif part == "homecare":
        form = HomeCareForm(request.POST, prefix="hc")
    elif part == "reassess_rom":
        form = ReassessRomForm(request.POST, prefix="rom")
    elif part == "discharge":
        form = DischargeForm(request.POST, prefix="dc")
    elif part == "reassess":
        instrument = _instrument(request.POST.get("instrument", ""))
        if instrument is None:
            messages.error(request, "Choose an instrument first.")
            return redirect(url)
        form = AnswersForm(request.POST, prefix="a", instrument=instrument)
    else:
        raise Http404("No such part of a plan.")
    if form.is_valid():
        data = dict(form.cleaned_data)
        try:
            if isinstance(form, GoalForm):
                plan_services.add_goal(actor=user, plan=plan, **form.service_kwargs())
                done, anchor = "Goal added.", "goals-h"
            elif isinstance(form, HomeCareForm):
                plan_services.update_plan(
                    actor=user, plan=plan, changes={"home_care": [*_home_care_items(plan), data]}
                )
                done, anchor = "Home-care item added.", "homecare-h"
            elif isinstance(form, ReassessRomForm):
                plan_services.record_reassessment_rom(
                    actor=user, plan=plan, **form.service_kwargs()
                )
                done, anchor = "Range of motion re-measured.", "goals-h"
            elif isinstance(form, AnswersForm):
                answers, labels = form.answers()
                a = plan_services.record_reassessment(
                    actor=user,
                    plan=plan,
                    instrument=form.instrument.id,
                    answers=answers,
                    item_labels=labels,
                )
                done, anchor = f"{a.instrument} re-assessed: {a.score:g}.", "goals-h"
            else:
                plan_services.discharge_plan(
                    actor=user,
                    plan=plan,
                    reason=data["reason"],
                    reason_detail=data["reason_detail"],
                    summary=data["summary"],
                    discharged_on=data["discharged_on"],
                )
                done, anchor = "Discharged. The plan is completed.", "discharge-h"
        except ValidationError as exc:
            apply_validation_error(form, exc)
        except Refused as exc:
            messages.error(request, str(exc))
            return redirect(url)
        else:
            messages.success(request, done)
            return redirect(f"{url}#{anchor}")
    return _render_plan(request, plan, **{part: form})


@login_required
@require_POST
@requires(Capability.CLINICAL_AUTHOR, record=care_gates.PLAN_DRAFT)
def plan_edit(request: HttpRequest, plan_id: str) -> HttpResponse:
    """Change a draft plan's course of care; nothing is saved unless every field is valid."""
    user = staff_user(request)
    plan = _plan(request, plan_id)
    form = PlanEditForm(request.POST, prefix="edit", initial=PlanEditForm.initial_of(plan))
    if form.is_valid():
        changes = form.changes(plan)
        if not changes:
            messages.info(request, "Nothing changed.")
            return redirect("care:plan", plan_id=plan.public_id)
        try:
            plan_services.update_plan(actor=user, plan=plan, changes=changes)
        except ValidationError as exc:
            apply_validation_error(form, exc)
        except Refused as exc:
            messages.error(request, f"Not saved: {exc}")
            return redirect("care:plan", plan_id=plan.public_id)
        else:
            messages.success(request, "Plan saved.")
            url = reverse("care:plan", args=[plan.public_id])
            return redirect(f"{url}#course-h")
    return _render_plan(request, plan, edit=form)


@login_required
@require_POST
@requires(Capability.CLINICAL_AUTHOR, record=care_gates.PLAN_DRAFT)
def homecare_remove(request: HttpRequest, plan_id: str, item_id: str) -> HttpResponse:
    user = staff_user(request)
    plan = _plan(request, plan_id)
    item = get_object_or_404(plan.home_care.all(), public_id=item_id)
    kept = _home_care_items(plan, without=item.pk)
    try:
        plan_services.update_plan(actor=user, plan=plan, changes={"home_care": kept})
        messages.success(request, "Home-care item removed.")
    except (ValidationError, Refused) as exc:
        messages.error(request, f"Not removed: {_refusal(exc)}")
    url = reverse("care:plan", args=[plan.public_id])
    return redirect(f"{url}#homecare-h")


@login_required
@require_POST
@requires(Capability.CLINICAL_AUTHOR, record=care_gates.PLAN_DRAFT)
def homecare_picture_attach(request: HttpRequest, plan_id: str, item_id: str) -> HttpResponse:
    """Attach a picture (with its description) to a home-care item of a draft plan."""
    user = staff_user(request)
    plan = _plan(request, plan_id)
    item = get_object_or_404(plan.home_care.all(), public_id=item_id)
    form = HomeCarePictureForm(request.POST, request.FILES, prefix=_picture_prefix(item))
    if form.is_valid():
        try:
            plan_services.add_home_care_picture(
                actor=user,
                item=item,
                picture=form.cleaned_data["picture"],
                alt=form.cleaned_data["picture_alt"],
            )
        except ValidationError as exc:
            apply_validation_error(form, exc)
        except Refused as exc:
            messages.error(request, f"Not attached: {exc}")
            return redirect("care:plan", plan_id=plan.public_id)
        else:
            messages.success(request, "Picture attached.")
            url = reverse("care:plan", args=[plan.public_id])
            return redirect(f"{url}#homecare-h")
    return _render_plan(request, plan, picture=form)


@login_required
@require_POST
@requires(Capability.CLINICAL_AUTHOR, record=care_gates.PLAN_DRAFT)
def homecare_picture_remove(request: HttpRequest, plan_id: str, item_id: str) -> HttpResponse:
    user = staff_user(request)
    plan = _plan(request, plan_id)
    item = get_object_or_404(plan.home_care.all(), public_id=item_id)
    try:
        plan_services.remove_home_care_picture(actor=user, item=item)
        messages.success(request, "Picture removed.")
    except (ValidationError, Refused) as exc:
        messages.error(request, f"Not removed: {_refusal(exc)}")
    url = reverse("care:plan", args=[plan.public_id])
    return redirect(f"{url}#homecare-h")


@login_required
@never_cache
@requires(Capability.CLINICAL_READ)
def homecare_picture(request: HttpRequest, plan_id: str, item_id: str) -> HttpResponse:
    """A home-care item's picture, for staff who may read the plan (never a public file)."""
    user = staff_user(request)
    plan = _plan(request, plan_id)
    item = get_object_or_404(plan.home_care.all(), public_id=item_id)
    try:
        content, content_type = plan_services.home_care_picture(actor=user, item=item)
    except (HomeCareItem.DoesNotExist, FileNotFoundError) as exc:
        raise Http404("This item has no picture.") from exc
    return picture_response(content, content_type)


def picture_response(content: bytes, content_type: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Disposition"] = "inline"
    return response


@login_required
@require_POST
@requires(Capability.CLINICAL_AUTHOR, record=care_gates.PLAN_DRAFT)
def goal_remove(request: HttpRequest, plan_id: str, goal_id: str) -> HttpResponse:
    user = staff_user(request)
    plan = _plan(request, plan_id)
    goal = get_object_or_404(plan.goals.all(), public_id=goal_id)
    try:
        plan_services.remove_goal(actor=user, goal=goal)
        messages.success(request, "Goal removed.")
    except (ValidationError, Refused) as exc:
        messages.error(request, _refusal(exc))
    return redirect("care:plan", plan_id=plan.public_id)


@login_required
@require_POST
@requires(Capability.CLINICAL_AUTHOR, record=care_gates.PLAN_DRAFT)
def plan_sign(request: HttpRequest, plan_id: str) -> HttpResponse:
    user = staff_user(request)
    plan = _plan(request, plan_id)
    try:
        plan_services.sign_plan(actor=user, plan=plan)
        messages.success(request, "Plan signed. It can no longer change; revise it instead.")
    except (ValidationError, Refused) as exc:
        messages.error(request, f"Not signed: {_refusal(exc)}")
    return redirect("care:plan", plan_id=plan.public_id)


@login_required
@require_POST
@requires(Capability.CLINICAL_AUTHOR, record=care_gates.PLAN)
def plan_revise(request: HttpRequest, plan_id: str) -> HttpResponse:
    user = staff_user(request)
    plan = _plan(request, plan_id)
    try:
        revision = plan_services.revise_plan(actor=user, plan=plan)
    except (ValidationError, Refused) as exc:
        messages.error(request, f"Not revised: {_refusal(exc)}")
        return redirect("care:plan", plan_id=plan.public_id)
    messages.success(request, f"Version {revision.version} drafted from version {plan.version}.")
    return redirect("care:plan", plan_id=revision.public_id)


@login_required
@require_POST
@requires(Capability.CLINICAL_WRITE)
def plan_send_home_care(request: HttpRequest, plan_id: str) -> HttpResponse:
    """Send the plan's home-care program to the patient (email; a text only says so)."""
    user = staff_user(request)
    plan = _plan(request, plan_id)
    try:
        sent = plan_services.send_home_care_program(actor=user, plan=plan)
    except ValidationError as exc:
        messages.error(request, "Not sent: " + "; ".join(exc.messages))
    else:
        refused = [m for m in sent if m.status == PatientMessage.Status.NOT_SENT]
        if refused:
            messages.error(request, f"Not sent: {refused[0].last_error}")
        else:
            messages.success(
                request,
                "The home-care program is on its way to the patient (see the chart's Messages).",
            )
    return redirect("care:plan", plan_id=plan.public_id)


@login_required
@requires(Capability.CLINICAL_READ)
def plan_handout(request: HttpRequest, plan_id: str) -> HttpResponse:
    user = staff_user(request)
    plan = _plan(request, plan_id)
    plan_services.audit_plan_read(actor=user, plan=plan)
    cat = catalog()
    items = [
        (h, cat.tools[h.tool].label if h.tool in cat.tools else h.tool)
        for h in plan.home_care.all()
    ]
    return render(request, "care/handout.html", {"plan": plan, "items": items})


@login_required
@requires(Capability.CLINICAL_READ)
def goal_chart(request: HttpRequest, goal_id: str) -> HttpResponse:
    """The goal's outcome trend as an SVG image (shown through <img>, so the chart's own
    style attributes are outside the page's CSP)."""
    user = staff_user(request)
    goal = get_object_or_404(
        Goal.objects.select_related("plan", "plan__patient").filter(
            plan__in=queries.plans_for(user)
        ),
        public_id=goal_id,
    )
    plan_services.audit_plan_read(actor=user, plan=goal.plan)
    svg = charts.render_svg(queries.goal_chart_points(goal))
    response = HttpResponse(svg, content_type="image/svg+xml")
    response["Cache-Control"] = "private, no-store"
    return response
