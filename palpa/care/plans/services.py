"""The only code that writes plans of care: goals, revisions, re-assessment, the home-care
program, discharge; and each goal's status (``goal_progress``), decided here once."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from palpa.accounts.models import User
from palpa.accounts.permissions import Capability, require, require_own_or
from palpa.audit.services import Action
from palpa.care import icd10, pictures, progress, queries
from palpa.care.authoring import (
    audit,
    check_fields_of,
    choice_error,
    practitioner_of,
    require_author_or_corrector,
)
from palpa.care.catalog import catalog
from palpa.care.evaluations.services import rom_entry
from palpa.care.events import PlanDischarged, PlanEnteredInError, PlanSigned
from palpa.care.models import (
    Diagnosis,
    Discharge,
    Evaluation,
    Goal,
    HomeCareItem,
    LinkedAdministration,
    Plan,
    RomMeasurement,
)
from palpa.core import records
from palpa.core.dates import local_today
from palpa.core.errors import Refused
from palpa.core.events import publish
from palpa.core.records import content_hash as content_hash
from palpa.core.tenancy import require_same_organization
from palpa.outcomes.library import UnknownInstrument, get_instrument, load_rom_norms
from palpa.outcomes.models import InstrumentAdministration
from palpa.outcomes.services import administer_instrument
from palpa.patients import messages as ledger
from palpa.patients.models import MessageKind, PatientMessage
from palpa.practitioners.models import Practitioner
from palpa.practitioners.services import require_current_license
from palpa.referrals.services import require_authorization
from palpa.screening.services import check_planned_techniques

PLAN_FIELDS = (
    "starts_on",
    "frequency_per_week",
    "duration_weeks",
    "techniques",
    "precautions",
    "reassess_every_visits",
    "reassess_every_days",
)
PLAN_LISTS = ("diagnoses", "home_care")


class PlanLocked(Refused):
    code = "plan_locked"


class PlanRefused(Refused):
    code = "plan_refused"


def _plan_errors(plan: Plan) -> dict[str, list[str]]:
    """Every rule of a plan's own fields at once."""
    errors: dict[str, list[str]] = {}
    try:
        plan.full_clean(exclude=["content_hash", "evaluation", "supersedes", "lineage"])
    except ValidationError as exc:
        errors.update({k: list(v) for k, v in exc.message_dict.items()})
    techniques = plan.techniques
    known = catalog().techniques
    if not isinstance(techniques, list) or not all(isinstance(t, str) for t in techniques):
        errors["techniques"] = ["Techniques are a list of technique ids."]
    else:
        unknown = [t for t in techniques if t not in known]
        if unknown:
            errors["techniques"] = [
                f"Not in the technique catalog: {', '.join(unknown)} (known: {', '.join(known)})."
            ]
        elif len(set(techniques)) != len(techniques):
            errors["techniques"] = ["Each technique is listed once."]
    if plan.reassess_every_visits is None and plan.reassess_every_days is None:
        errors["reassess_every_visits"] = [
            "Re-assessment needs an interval: every N visits, every N days, or both."
        ]
    if isinstance(plan.starts_on, dt.date) and plan.starts_on < plan.evaluation.evaluated_on:
        errors.setdefault("starts_on", []).append(
            "The plan starts on or after the evaluation it follows."
        )
    return errors


PICTURE_FIELDS = (
    "picture",
    "picture_sha256",
    "picture_alt",
    "picture_content_type",
    "picture_width",
    "picture_height",
)


def _home_care_items(plan: Plan, items: Any) -> tuple[list[HomeCareItem], list[str]]:
    """The items of a new home-care list; an item naming one of the plan's items (``item``:
    its public id) keeps that item's identity and picture."""
    out: list[HomeCareItem] = []
    problems: list[str] = []
    if not isinstance(items, list | tuple):
        return [], ["Home care is a list of items."]
    tools = catalog().tools
    kept = {str(h.public_id): h for h in plan.home_care.all()} if plan.pk else {}
    for number, raw in enumerate(items, start=1):
        item = dict(raw) if isinstance(raw, dict) else {}
        kind = str(item.get("kind", ""))
        instructions = str(item.get("instructions", "")).strip()
        frequency = str(item.get("frequency", "")).strip()
        tool = str(item.get("tool", "none") or "none")
        if kind not in HomeCareItem.Kind.values:
            problems.append(f"Item {number}: kind is one of {', '.join(HomeCareItem.Kind.values)}.")
        if not instructions or len(instructions) > 500:
            problems.append(f"Item {number}: write the instructions (1 to 500 characters).")
        if not frequency or len(frequency) > 120:
            problems.append(f"Item {number}: say how often (1 to 120 characters).")
        if tool not in tools:
            problems.append(f"Item {number}: tool is one of {', '.join(tools)}.")
        row = HomeCareItem(
            organization_id=plan.organization_id,
            kind=kind,
            instructions=instructions,
            frequency=frequency,
            tool=tool,
            position=number - 1,
        )
        same = kept.pop(str(item.get("item", "")), None)
        if same is not None:
            row.public_id = same.public_id
            for name in PICTURE_FIELDS:
                setattr(row, name, getattr(same, name))
        out.append(row)
    return out, problems


def _diagnoses_from(codes: Any) -> tuple[list[icd10.Diagnosis], list[str]]:
    if not isinstance(codes, list | tuple) or not codes:
        return [], ["A plan treats at least one diagnosis."]
    found: list[icd10.Diagnosis] = []
    problems: list[str] = []
    for code in codes:
        try:
            checked = icd10.validate(str(code))
        except icd10.Icd10Error as exc:
            problems.append(str(exc))
            continue
        if any(d.code == checked.code for d in found):
            problems.append(f"{checked.code} is listed twice.")
        found.append(checked)
    return found, problems


def _write_plan_lists(
    plan: Plan, diagnoses: list[icd10.Diagnosis], home: list[HomeCareItem]
) -> None:
    for rank, diagnosis in enumerate(diagnoses, start=1):
        Diagnosis.objects.create(
            organization_id=plan.organization_id,
            plan=plan,
            code=diagnosis.code,
            label=diagnosis.label,
            rank=rank,
            codeset_version=diagnosis.version,
        )
    for item in home:
        item.plan = plan
        item.save()


def create_plan(
    *,
    actor: User,
    evaluation: Evaluation,
    frequency_per_week: int,
    duration_weeks: int,
    techniques: list[str] | tuple[str, ...] = (),
    precautions: str = "",
    starts_on: dt.date | None = None,
    reassess_every_visits: int | None = 6,
    reassess_every_days: int | None = None,
    diagnoses: list[str] | None = None,
    home_care: list[dict[str, Any]] | tuple[dict[str, Any], ...] = (),
) -> Plan:
    """A draft plan of care following a signed evaluation (its diagnoses unless given)."""
    practitioner = practitioner_of(actor)
    require_same_organization(actor, evaluation)
    if evaluation.status != Evaluation.Status.SIGNED:
        raise PlanRefused("A plan of care follows a signed evaluation; sign the evaluation first.")
    plan = Plan(
        organization_id=evaluation.organization_id,
        patient=evaluation.patient,
        evaluation=evaluation,
        practitioner=practitioner,
        location=evaluation.location,
        starts_on=starts_on or evaluation.evaluated_on,
        frequency_per_week=frequency_per_week,
        duration_weeks=duration_weeks,
        techniques=list(techniques),
        precautions=precautions.strip(),
        reassess_every_visits=reassess_every_visits,
        reassess_every_days=reassess_every_days,
        catalog_version=catalog().version,
    )
    errors = _plan_errors(plan)
    codes = diagnoses if diagnoses is not None else [d.code for d in evaluation.diagnoses.all()]
    checked, problems = _diagnoses_from(codes)
    if problems:
        errors["diagnoses"] = problems
    home, home_problems = _home_care_items(plan, home_care)
    if home_problems:
        errors["home_care"] = home_problems
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        plan.save()
        _write_plan_lists(plan, checked, home)
        audit(
            actor,
            Action.CREATE,
            plan,
            evaluation=str(evaluation.public_id),
            diagnoses=[d.code for d in checked],
        )
    return plan


def _editable_plan(actor: User, plan: Plan) -> Practitioner:
    practitioner = practitioner_of(actor)
    require_same_organization(actor, plan)
    if plan.is_locked:
        raise PlanLocked(
            f"Version {plan.version} of this plan is {plan.get_status_display().lower()} and "
            "cannot change; revise it to make a new version."
        )
    require_own_or(actor, None, own=plan.practitioner_id == practitioner.pk, what="the plan")
    return practitioner


def update_plan(*, actor: User, plan: Plan, changes: dict[str, Any]) -> Plan:
    """Change a draft plan; ``diagnoses`` (codes) and ``home_care`` replace their lists."""
    _editable_plan(actor, plan)
    check_fields_of(changes, PLAN_FIELDS + PLAN_LISTS)
    stored = Plan.objects.get(pk=plan.pk)
    for name in PLAN_FIELDS:
        if name in changes:
            value = changes[name]
            setattr(stored, name, value.strip() if isinstance(value, str) else value)
    errors = _plan_errors(stored)
    checked: list[icd10.Diagnosis] | None = None
    home: list[HomeCareItem] | None = None
    if "diagnoses" in changes:
        checked, problems = _diagnoses_from(changes["diagnoses"])
        if problems:
            errors["diagnoses"] = problems
    if "home_care" in changes:
        home, problems = _home_care_items(stored, changes["home_care"])
        if problems:
            errors["home_care"] = problems
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        stored.save()
        if checked is not None:
            Diagnosis.objects.filter(plan=stored).delete()
        if home is not None:
            keeping = {i.picture.name for i in home if i.picture}
            dropped = [
                str(h.picture.name)
                for h in HomeCareItem.objects.filter(plan=stored)
                if h.picture and h.picture.name not in keeping
            ]
            HomeCareItem.objects.filter(plan=stored).delete()
            for name in dropped:
                _forget_picture_file(name)
        _write_plan_lists(stored, checked or [], home or [])
        audit(actor, Action.UPDATE, stored, changed=sorted(changes))
    for name in PLAN_FIELDS:
        setattr(plan, name, getattr(stored, name))
    return plan


# --- home-care pictures -----------------------------------------------------------------


def _forget_picture_file(name: str) -> None:
    """Delete a picture's file once the transaction commits, unless another item (another
    version of the plan) still shows it."""

    def forget() -> None:
        if not HomeCareItem.objects.filter(picture=name).exists():
            HomeCareItem().picture.storage.delete(name)

    transaction.on_commit(forget)


def add_home_care_picture(
    *, actor: User, item: HomeCareItem, picture: UploadedFile[bytes] | bytes, alt: str
) -> HomeCareItem:
    """Attach one picture (PNG, JPEG or WebP; re-encoded without its metadata) with its
    description to an item of a draft plan; it replaces the item's picture, if any."""
    plan = item.plan
    _editable_plan(actor, plan)
    errors: dict[str, list[str]] = {}
    content = picture if isinstance(picture, bytes) else picture.read(pictures.MAX_BYTES + 1)
    checked: pictures.Picture | None = None
    try:
        checked = pictures.checked_picture(content)
    except pictures.PictureError as exc:
        errors["picture"] = [str(exc)]
    try:
        alt = pictures.checked_alt(alt)
    except pictures.PictureError as exc:
        errors["picture_alt"] = [str(exc)]
    if errors or checked is None:
        raise ValidationError(errors)
    with transaction.atomic():
        stored = HomeCareItem.objects.select_for_update().get(pk=item.pk)
        replaced = stored.picture.name if stored.picture else ""
        stored.picture.save(
            f"{uuid.uuid4().hex}.{checked.extension}", ContentFile(checked.content), save=False
        )
        stored.picture_sha256 = checked.sha256
        stored.picture_alt = alt
        stored.picture_content_type = checked.content_type
        stored.picture_width = checked.width
        stored.picture_height = checked.height
        stored.save(update_fields=[*PICTURE_FIELDS, "updated_at"])
        if replaced:
            _forget_picture_file(replaced)
        audit(
            actor,
            Action.UPDATE,
            plan,
            home_care_picture={
                "item": str(item.public_id),
                "sha256": checked.sha256,
                "alt": alt,
                "size": len(checked.content),
            },
        )
    for name in PICTURE_FIELDS:
        setattr(item, name, getattr(stored, name))
    return item


def remove_home_care_picture(*, actor: User, item: HomeCareItem) -> HomeCareItem:
    """Take the picture off an item of a draft plan."""
    plan = item.plan
    _editable_plan(actor, plan)
    with transaction.atomic():
        stored = HomeCareItem.objects.select_for_update().get(pk=item.pk)
        if not stored.picture_sha256:
            raise ValidationError({"picture": "This item has no picture to remove."})
        name = stored.picture.name
        removed = {"item": str(item.public_id), "sha256": stored.picture_sha256}
        stored.picture = ""
        stored.picture_sha256 = ""
        stored.picture_alt = ""
        stored.picture_content_type = ""
        stored.picture_width = None
        stored.picture_height = None
        stored.save(update_fields=[*PICTURE_FIELDS, "updated_at"])
        if name:
            _forget_picture_file(name)
        audit(actor, Action.UPDATE, plan, removed_home_care_picture=removed)
    for field_name in PICTURE_FIELDS:
        setattr(item, field_name, getattr(stored, field_name))
    return item


def home_care_picture(*, actor: User, item: HomeCareItem) -> tuple[bytes, str]:
    """The picture's bytes and content type for a staff reader (clinical read, same
    organization); the read is audited."""
    require(actor, Capability.CLINICAL_READ)
    require_same_organization(actor, item)
    if not item.picture_sha256 or not item.picture:
        raise HomeCareItem.DoesNotExist("This item has no picture.")
    with item.picture.open("rb") as f:
        content = f.read()
    audit(actor, Action.READ, item.plan, home_care_picture=str(item.public_id))
    return content, item.picture_content_type


def _baseline_administration(plan: Plan, instrument: str) -> InstrumentAdministration | None:
    """The evaluation's baseline of that instrument; else the patient's latest score."""
    linked = (
        InstrumentAdministration.objects.filter(
            pk__in=plan.evaluation.administration_links.values("administration"),
            instrument=instrument,
            status=InstrumentAdministration.Status.FINAL,
        )
        .order_by("-administered_on", "-created_at")
        .first()
    )
    if linked is not None:
        return linked
    return (
        InstrumentAdministration.objects.filter(
            patient=plan.patient,
            instrument=instrument,
            status=InstrumentAdministration.Status.FINAL,
            administered_on__lte=local_today(plan.location),
        )
        .order_by("-administered_on", "-created_at")
        .first()
    )


def _baseline_rom(plan: Plan, joint: str, motion: str, side: str) -> RomMeasurement | None:
    measures = RomMeasurement.objects.filter(
        patient=plan.patient,
        joint=joint,
        motion=motion,
        side=side,
        status=RomMeasurement.Status.FINAL,
    ).exclude(evaluation__status=Evaluation.Status.ENTERED_IN_ERROR)
    own = measures.filter(evaluation=plan.evaluation).order_by("-order", "-created_at").first()
    return own or measures.order_by("-measured_on", "-created_at").first()


def _goal_label(goal: Goal) -> str:
    return goal.measure_label


def pure_goal(goal: Goal) -> progress.Goal:
    """The goal as the pure progress module sees it."""
    rom = goal.baseline_rom
    baseline = progress.Point(
        on=goal.baseline_on,
        value=goal.baseline_value,
        rater=str(rom.rater_id) if rom else "",
        instrument=rom.instrument if rom else "",
        position=rom.position if rom else "",
    )
    return progress.Goal(
        measure=goal.measure_kind,  # type: ignore[arg-type]
        label=_goal_label(goal),
        baseline=baseline,
        target=goal.target_value,
        target_kind=goal.target_kind,  # type: ignore[arg-type]
        due_on=goal.due_on,
        instrument="PSFS" if goal.measure_kind == Goal.Measure.PSFS_ACTIVITY else goal.instrument,
        rom_local_mdc=goal.rom_local_mdc,
    )


def goal_progress(
    goal: Goal, on: dt.date, series: list[progress.Point] | None = None
) -> progress.GoalProgress:
    """The goal's status on ``on``: the one place every page, report, API and FHIR resource
    gets it from (the rules are ``progress.goal_status``, pure). ``series`` is
    ``queries.goal_series(goal)`` when the caller has read it already."""
    points = queries.goal_series(goal) if series is None else series
    return progress.goal_status(pure_goal(goal), points, on)


def goal_statuses(
    plan: Plan, on: dt.date, series: dict[int, list[progress.Point]] | None = None
) -> list[tuple[Goal, progress.GoalProgress]]:
    """Each of the plan's goals (in order) with its status on ``on``: what the plan's
    progress, the discharge and the physician's report list. ``series`` (goal id → points)
    is filled with the measurements read, for callers that draw them."""
    found = series if series is not None else {}
    goals = list(queries.plan_goals(plan))
    found.update(queries.goal_series_for(goals))
    return [(goal, goal_progress(goal, on, found[goal.pk])) for goal in goals]


def goal_outcome(goal: Goal, result: progress.GoalProgress) -> dict[str, Any]:
    """A goal's status as data: what a discharge stores, and what the API, the reports and
    FHIR show beside the status (which threshold decided, the noise band)."""
    return {
        "goal": str(goal.public_id),
        "statement": goal.statement,
        "measure": goal.measure_label,
        "primary": goal.is_primary,
        "baseline": result.baseline,
        "baseline_on": result.baseline_on.isoformat(),
        "latest": result.latest,
        "latest_on": result.latest_on.isoformat(),
        "target": result.target,
        "target_basis": goal.target_basis,
        "due_on": result.due_on.isoformat(),
        "status": result.status,
        "status_label": result.status_label,
        "meaningful": result.meaningful,
        "decided_by": result.decided_by,
        "decided_by_label": result.decided_by_label,
        "detected": result.detected,
        "noise_band": result.noise_band,
        "noise_basis": result.noise_basis,
        "explanation": result.meaningful_explanation,
        "thresholds": [
            {"kind": t.kind, "value": t.value, "source": t.source, "met": t.met}
            for t in result.thresholds
        ],
        "reason": result.reason,
    }


def add_goal(
    *,
    actor: User,
    plan: Plan,
    statement: str,
    measure_kind: str,
    due_on: dt.date,
    target_kind: str = "value",
    target_value: float | None = None,
    instrument: str = "",
    rom_joint: str = "",
    rom_motion: str = "",
    rom_side: str = "midline",
    psfs_index: int | None = None,
    primary: bool = False,
    rom_local_mdc: float | None = None,
) -> Goal:
    """A goal on a measure whose baseline Palpa already holds (evaluation first)."""
    _editable_plan(actor, plan)
    errors: dict[str, list[str]] = {}
    if not statement.strip() or len(statement.strip()) > 500:
        errors["statement"] = ["Say the goal in plain words (1 to 500 characters)."]
    errors |= choice_error("measure_kind", measure_kind, Goal.Measure, "The measure")
    errors |= choice_error("target_kind", target_kind, Goal.Target, "The target kind")
    if errors:
        raise ValidationError(errors)
    goal = Goal(
        organization_id=plan.organization_id,
        plan=plan,
        statement=statement.strip(),
        measure_kind=measure_kind,
        target_kind=target_kind,
        due_on=due_on,
        position=plan.goals.count(),
    )
    if measure_kind == Goal.Measure.ROM:
        _goal_rom_baseline(plan, goal, rom_joint, rom_motion, rom_side, rom_local_mdc, errors)
    else:
        _goal_score_baseline(plan, goal, measure_kind, instrument, psfs_index, errors)
        if rom_local_mdc is not None:
            errors["rom_local_mdc"] = ["A local MDC in degrees is for range-of-motion goals."]
    if errors:
        raise ValidationError(errors)
    _goal_target(goal, target_value, errors)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        first = not plan.goals.exists()
        if primary and not first:
            Goal.objects.filter(plan=plan, is_primary=True).update(is_primary=False)
        goal.is_primary = primary or first
        goal.save()
        audit(
            actor,
            Action.UPDATE,
            plan,
            added_goal={
                "measure": goal.measure_label,
                "baseline": goal.baseline_value,
                "target": goal.target_value,
                "due_on": due_on.isoformat(),
                "primary": goal.is_primary,
            },
        )
    return goal


def _goal_rom_baseline(
    plan: Plan,
    goal: Goal,
    joint: str,
    motion: str,
    side: str,
    local_mdc: float | None,
    errors: dict[str, list[str]],
) -> None:
    norms = load_rom_norms()
    if not any((n.joint, n.motion, n.side) == (joint, motion, side) for n in norms.norms):
        errors["rom_joint"] = [
            f"No ROM norm for {joint or '(joint)'} {motion or '(motion)'} ({side}); use a "
            "joint, motion and side of the ROM norms."
        ]
        return
    baseline = _baseline_rom(plan, joint, motion, side)
    if baseline is None:
        errors["rom_joint"] = [
            f"No {joint} {motion} ({side}) measurement to use as the baseline: measure it in "
            "the evaluation or a re-assessment first."
        ]
        return
    if local_mdc is not None and not 0 < local_mdc <= 90:
        errors["rom_local_mdc"] = ["The local MDC is a number of degrees above 0 (up to 90)."]
    goal.rom_joint, goal.rom_motion, goal.rom_side = joint, motion, side
    goal.rom_local_mdc = local_mdc
    goal.baseline_rom = baseline
    goal.baseline_value = float(baseline.degrees)
    goal.baseline_on = baseline.measured_on


def _goal_score_baseline(
    plan: Plan,
    goal: Goal,
    measure_kind: str,
    instrument: str,
    psfs_index: int | None,
    errors: dict[str, list[str]],
) -> None:
    if measure_kind == Goal.Measure.PSFS_ACTIVITY:
        instrument = "PSFS"
        if psfs_index is None or psfs_index < 1:
            errors["psfs_index"] = ["Name the PSFS activity by its number (1 for the first)."]
            return
    try:
        definition = get_instrument(instrument)
    except UnknownInstrument as exc:
        errors["instrument"] = [str(exc)]
        return
    baseline = _baseline_administration(plan, definition.id)
    if baseline is None:
        errors["instrument"] = [
            f"No {definition.id} score to use as the baseline: record one in the evaluation "
            "or a re-assessment first."
        ]
        return
    goal.instrument = definition.id
    goal.baseline_administration = baseline
    goal.baseline_on = baseline.administered_on
    if measure_kind == Goal.Measure.PSFS_ACTIVITY:
        assert psfs_index is not None
        labels: list[str] = list(baseline.item_labels or [])
        answers: list[int | None] = list(baseline.answers or [])
        if psfs_index > len(labels) or answers[psfs_index - 1] is None:
            errors["psfs_index"] = [
                f"The baseline PSFS rates {len(labels)} activities; choose one of 1 to "
                f"{len(labels)} that was rated."
            ]
            return
        goal.psfs_index = psfs_index
        goal.psfs_activity = labels[psfs_index - 1]
        goal.baseline_value = float(answers[psfs_index - 1] or 0)
    else:
        goal.baseline_value = baseline.score


def _goal_target(goal: Goal, target_value: float | None, errors: dict[str, list[str]]) -> None:
    if goal.target_kind == Goal.Target.MEANINGFUL_CHANGE:
        if goal.measure_kind == Goal.Measure.ROM:
            errors["target_kind"] = ["Range of motion has no MCID; set a target value in degrees."]
            return
        if target_value is not None:
            errors["target_value"] = ["Leave the value empty: the MCID sets the target."]
            return
        activity = goal.measure_kind == Goal.Measure.PSFS_ACTIVITY
        instrument = "PSFS" if activity else goal.instrument
        try:
            goal.target_value, goal.target_basis = progress.meaningful_change_target(
                instrument, goal.baseline_value, activity=activity
            )
        except progress.GoalError as exc:
            errors[exc.field] = [str(exc)]
            return
    else:
        if target_value is None:
            errors["target_value"] = ["Give the target value (or choose a meaningful change)."]
            return
        goal.target_value = float(target_value)
        goal.target_basis = "target value set by the therapist"
    try:
        progress.check_target(pure_goal(goal))
    except progress.GoalError as exc:
        errors[exc.field] = [str(exc)]
    if goal.due_on < goal.plan.starts_on:
        errors.setdefault("due_on", []).append("The due date falls within the plan.")


def remove_goal(*, actor: User, goal: Goal) -> None:
    """Drafts only (say, a goal carried into a new version that no longer applies)."""
    plan = goal.plan
    _editable_plan(actor, plan)
    with transaction.atomic():
        was_primary = goal.is_primary
        removed = {"measure": goal.measure_label, "statement": goal.statement}
        Goal.objects.filter(pk=goal.pk).delete()
        if was_primary:
            successor = plan.goals.order_by("position", "created_at").first()
            if successor is not None:
                Goal.objects.filter(pk=successor.pk).update(is_primary=True)
        audit(actor, Action.UPDATE, plan, removed_draft_goal=removed)


def plan_content(plan: Plan) -> dict[str, Any]:
    """What a plan's signature covers."""
    return {
        "plan": str(plan.public_id),
        "lineage": str(plan.lineage),
        "version": plan.version,
        "supersedes": str(plan.supersedes.public_id) if plan.supersedes else None,
        "patient": str(plan.patient.public_id),
        "evaluation": str(plan.evaluation.public_id),
        "practitioner": str(plan.practitioner.public_id),
        **{
            name: (value.isoformat() if isinstance(value, dt.date) else value)
            for name in PLAN_FIELDS
            for value in [getattr(plan, name)]
        },
        "diagnoses": [[d.rank, d.code] for d in plan.diagnoses.order_by("rank", "pk")],
        "goals": [
            [
                g.measure_kind,
                g.measure_label,
                g.baseline_value,
                g.baseline_on.isoformat(),
                g.target_kind,
                g.target_value,
                g.due_on.isoformat(),
                g.is_primary,
                g.statement,
            ]
            for g in plan.goals.order_by("position", "pk")
        ],
        # a picture's SHA-256 and description only when there is one: the content of
        # plans signed before pictures existed hashes as it did
        "home_care": [
            [h.kind, h.instructions, h.tool, h.frequency]
            + ([h.picture_sha256, h.picture_alt] if h.picture_sha256 else [])
            for h in plan.home_care.order_by("position", "pk")
        ],
        "catalog_version": plan.catalog_version,
    }


def _plan_sign_checks(actor: User, plan: Plan) -> None:
    practitioner = _editable_plan(actor, plan)
    errors: dict[str, list[str]] = {}
    if not plan.goals.exists():
        errors["goals"] = ["Set at least one goal before signing."]
    if not plan.diagnoses.exists():
        errors["diagnoses"] = ["A plan treats at least one diagnosis."]
    if errors:
        raise ValidationError(errors)
    require_current_license(practitioner, location=plan.location, on=local_today(plan.location))
    # the screening's restrictions in force today, in the treatment note's words
    check_planned_techniques(
        patient=plan.patient, on=local_today(plan.location), techniques=plan.techniques
    )


def _refuse_unless_active(previous: Plan) -> None:
    if previous.status != Plan.Status.ACTIVE:
        raise PlanRefused(
            f"Version {previous.version} is {previous.get_status_display().lower()} "
            "now, so this revision can no longer replace it."
        )


def _after_plan_signed(actor: User, plan: Plan) -> None:
    """The referral's visits left and expiry (or an owner's override) cover the plan; a
    new version supersedes the active one."""
    require_authorization(
        actor=actor,
        patient=plan.patient,
        visits_planned=plan.frequency_per_week * plan.duration_weeks,
        ends_on=plan.starts_on + dt.timedelta(weeks=plan.duration_weeks, days=-1),
    )
    records.supersede(
        PLAN,
        actor=actor,
        record=plan,
        status=Plan.Status.SUPERSEDED,
        reason=f"Superseded by version {plan.version}.",
        refuse=_refuse_unless_active,
    )


def _plan_event(plan: Plan) -> dict[str, int]:
    return {
        "plan_id": plan.pk,
        "evaluation_id": plan.evaluation_id,
        "organization_id": plan.organization_id,
        "patient_id": plan.patient_id,
    }


PLAN = records.Lifecycle(
    model=Plan,
    what="plan",
    audit=audit,
    locked=PlanLocked,
    check=_plan_sign_checks,
    seal=lambda plan: content_hash(plan_content(plan)),
    signed_status=Plan.Status.ACTIVE,
    after_sign=_after_plan_signed,
    signed_event=lambda plan: PlanSigned(**_plan_event(plan)),
    after_error=lambda _actor, plan, _reason: publish(PlanEnteredInError(**_plan_event(plan))),
)


def sign_plan(*, actor: User, plan: Plan) -> Plan:
    """Sign a draft plan; a new version's signature supersedes the version before."""
    return records.sign(PLAN, actor=actor, record=plan)


def _copy_plan_lists(plan: Plan) -> Callable[[Plan], None]:
    def copy(new: Plan) -> None:
        for diagnosis in plan.diagnoses.all():
            Diagnosis.objects.create(
                organization_id=new.organization_id,
                plan=new,
                code=diagnosis.code,
                label=diagnosis.label,
                rank=diagnosis.rank,
                codeset_version=diagnosis.codeset_version,
            )
        for row in [*plan.goals.all(), *plan.home_care.all()]:
            row.pk = None
            row.public_id = uuid.uuid4()
            row._state.adding = True
            row.plan = new
            row.save()

    return copy


def revise_plan(*, actor: User, plan: Plan) -> Plan:
    """A new draft version of an active plan, carrying over everything; both are kept."""
    practitioner = practitioner_of(actor)
    require_same_organization(actor, plan)
    plan.refresh_from_db(fields=["status", "status_reason"])
    if plan.status != Plan.Status.ACTIVE:
        raise PlanRefused(
            f"Only the active version of a plan is revised; version {plan.version} is "
            f"{plan.get_status_display().lower()}."
        )
    pending = records.pending_version(plan)
    if pending is not None:
        raise PlanRefused(
            f"Version {pending.version} of this plan is already drafted; change and sign it."
        )
    return records.new_version(
        PLAN,
        actor=actor,
        record=plan,
        fields={
            "patient": plan.patient,
            "evaluation": plan.evaluation,
            "practitioner": practitioner,
            "location": plan.location,
            "catalog_version": catalog().version,
            **{name: getattr(plan, name) for name in PLAN_FIELDS},
        },
        taken=PlanRefused("A revision of this plan was drafted a moment ago; change and sign it."),
        copy=_copy_plan_lists(plan),
        detail={"revises": str(plan.public_id)},
    )


def _active_plan(actor: User, plan: Plan) -> Practitioner:
    practitioner = practitioner_of(actor)
    require_same_organization(actor, plan)
    plan.refresh_from_db(fields=["status", "status_reason"])
    if plan.status != Plan.Status.ACTIVE:
        raise PlanRefused(
            f"Re-assessments are recorded under the active plan; version {plan.version} is "
            f"{plan.get_status_display().lower()}."
        )
    return practitioner


def record_reassessment(
    *,
    actor: User,
    plan: Plan,
    instrument: str,
    answers: object,
    administered_on: dt.date | None = None,
    item_labels: list[str] | tuple[str, ...] = (),
) -> InstrumentAdministration:
    """Score an instrument again under an active plan (context: re-assessment)."""
    _active_plan(actor, plan)
    on = administered_on or local_today(plan.location)
    if on < plan.evaluation.evaluated_on:
        raise ValidationError(
            {"administered_on": "A re-assessment comes after the plan's evaluation."}
        )
    with transaction.atomic():
        administration = administer_instrument(
            actor=actor,
            patient=plan.patient,
            instrument=instrument,
            answers=answers,
            item_labels=item_labels,
            administered_on=on,
            context=InstrumentAdministration.Context.REASSESSMENT,
        )
        LinkedAdministration.objects.create(
            organization_id=plan.organization_id, administration=administration, plan=plan
        )
        audit(
            actor,
            Action.UPDATE,
            plan,
            reassessment={"instrument": administration.instrument, "score": administration.score},
        )
    return administration


def record_reassessment_rom(
    *,
    actor: User,
    plan: Plan,
    joint: str,
    motion: str,
    side: str = "midline",
    degrees: int,
    mode: str = "active",
    instrument: str,
    position: str = "",
    measured_on: dt.date | None = None,
) -> RomMeasurement:
    practitioner = _active_plan(actor, plan)
    on = measured_on or local_today(plan.location)
    entry = rom_entry(
        patient=plan.patient,
        rater=practitioner,
        joint=joint,
        motion=motion,
        side=side,
        degrees=degrees,
        mode=mode,
        instrument=instrument,
        position=position,
        measured_on=on,
    )
    if on < plan.evaluation.evaluated_on:
        raise ValidationError({"measured_on": "A re-assessment comes after the evaluation."})
    entry.plan = plan
    with transaction.atomic():
        entry.save()
        audit(
            actor,
            Action.UPDATE,
            plan,
            reassessment_rom={"joint": joint, "motion": motion, "side": side, "degrees": degrees},
        )
    return entry


def home_care_text(plan: Plan) -> str:
    """The plan's home-care program as the patient reads it in an email: one numbered
    item a line, with how often."""
    tools = catalog().tools
    lines = []
    for n, item in enumerate(plan.home_care.order_by("position", "pk"), start=1):
        tool = tools[item.tool].label if item.tool in tools and item.tool != "none" else ""
        line = f"{n}. {item.get_kind_display()}: {item.instructions}"
        if item.frequency:
            line += f" ({item.frequency})"
        if tool:
            line += f". With: {tool}"
        lines.append(line)
    return "\n".join(lines)


def _pictures_line(plan: Plan) -> str:
    """Pictures are not attached to the email: they are on the patient's page."""
    if not plan.home_care.exclude(picture_sha256="").exists():
        return ""
    return f"\n\nThe pictures are on your page: {ledger.site_url()}{reverse('portal:home_care')}"


def send_home_care_program(*, actor: User, plan: Plan) -> list[PatientMessage]:
    """Send the signed plan's home-care program to the patient through the message ledger
    (the program in the email; a text message only says it is ready: no clinical detail
    in a text)."""
    require(actor, Capability.CLINICAL_WRITE)
    require_same_organization(actor, plan)
    if plan.status != Plan.Status.ACTIVE:
        raise ValidationError(
            {"plan": "Only a signed, active plan's home-care program is sent to the patient."}
        )
    if not plan.home_care.exists():
        raise ValidationError({"plan": "This plan has no home-care program to send."})
    practitioner = plan.practitioner
    with transaction.atomic():
        return ledger.send_message(
            actor=actor,
            patient=plan.patient,
            kind=MessageKind.HOME_CARE,
            values={
                "therapist": f"{practitioner.given_name} {practitioner.family_name}",
                "program": home_care_text(plan) + _pictures_line(plan),
            },
            about=f"plan:{plan.public_id}",
        )


def audit_plan_read(*, actor: User, plan: Plan) -> None:
    audit(actor, Action.READ, plan)


@dataclass(frozen=True)
class PlanProgress:
    plan: Plan
    as_of: dt.date
    goals: list[tuple[Goal, progress.GoalProgress]]
    signed_notes: int
    non_responder: progress.NonResponder
    reassessment_due: bool
    reassessment_reason: str
    # Each goal's measurements since its baseline (by goal id), as the statuses used them:
    # the trend charts draw the same points without reading them again.
    series: dict[int, list[progress.Point]] = field(default_factory=dict)


def progress_read_detail(
    results: list[tuple[Goal, progress.GoalProgress]], alert: progress.NonResponder
) -> dict[str, Any]:
    """What the audit entry of a read of the plan's progress records beside the plan."""
    return {
        "progress": {goal.measure_label: result.status for goal, result in results},
        "non_responder": alert.alert,
    }


def plan_progress(
    *,
    actor: User,
    plan: Plan,
    today: dt.date | None = None,
    non_responder_after: int = progress.DEFAULT_NON_RESPONDER_NOTES,
    signed_visits: list[dt.date] | None = None,
    record_read: bool = True,
) -> PlanProgress:
    """Each goal's status today, the non-responder alert and whether re-assessment is due.

    ``signed_visits`` is ``queries.signed_visit_dates(plan)`` when the caller has read it
    already. The read is audited here unless ``record_read`` is False: only for a caller
    that writes the audit entry itself (the patient chart folds it into its own entry of
    the chart read, with the same details)."""
    require(actor, Capability.CLINICAL_READ)
    require_same_organization(actor, plan)
    if non_responder_after < 1:
        raise ValidationError({"after_notes": "Judge the response after at least 1 visit."})
    as_of = today or local_today(plan.location)
    series: dict[int, list[progress.Point]] = {}
    results = goal_statuses(plan, as_of, series)
    primary = next((result for goal, result in results if goal.is_primary), None)
    visits = queries.signed_visit_dates(plan) if signed_visits is None else signed_visits
    signed = len(visits)
    alert = progress.non_responder(primary, signed_notes=signed, after_notes=non_responder_after)
    measured = [result.latest_on for _, result in results]
    since = max(measured) if measured else plan.starts_on
    due, why = progress.reassessment_due(
        since=since,
        notes_since=sum(1 for on in visits if on > since),
        today=as_of,
        every_visits=plan.reassess_every_visits,
        every_days=plan.reassess_every_days,
    )
    if record_read:
        audit(actor, Action.READ, plan, **progress_read_detail(results, alert))
    return PlanProgress(
        plan=plan,
        as_of=as_of,
        goals=results,
        signed_notes=signed,
        non_responder=alert,
        reassessment_due=due,
        reassessment_reason=why,
        series=series,
    )


def mark_plan_entered_in_error(*, actor: User, plan: Plan, reason: str) -> Plan:
    """Discard a draft (say, a revision no longer wanted), or a first version made in error.

    A version that replaced another cannot be withdrawn this way: revise it instead.
    """
    require(actor, Capability.CLINICAL_READ)
    require_same_organization(actor, plan)
    require_author_or_corrector(actor, plan, what="the plan")
    records.checked_reason(reason, "Say why the plan is in error.")
    first_active = plan.status == Plan.Status.ACTIVE and plan.supersedes_id is None
    if plan.status not in (Plan.Status.DRAFT, Plan.Status.ENTERED_IN_ERROR) and not first_active:
        raise PlanRefused(
            f"Version {plan.version} is {plan.get_status_display().lower()}; only a draft, or "
            "an active first version, can be marked entered in error."
        )
    if first_active and records.pending_version(plan) is not None:
        raise PlanRefused("Mark the drafted revision of this plan entered in error first.")
    return records.enter_in_error(PLAN, actor=actor, record=plan, reason=reason)


def discharge_plan(
    *,
    actor: User,
    plan: Plan,
    reason: str,
    summary: str = "",
    reason_detail: str = "",
    discharged_on: dt.date | None = None,
) -> Discharge:
    """Close the active plan with each goal's computed outcome, signed; the plan completes."""
    practitioner = practitioner_of(actor)
    require_same_organization(actor, plan)
    plan.refresh_from_db(fields=["status", "status_reason"])
    if plan.status != Plan.Status.ACTIVE:
        hints: dict[str, str] = {
            "draft": "sign it first, or mark the draft entered in error",
            "superseded": "discharge its newest signed version",
            "completed": "it was discharged already",
        }
        hint = hints.get(plan.status, "it cannot be discharged")
        raise PlanRefused(
            f"Only an active plan is discharged; version {plan.version} is "
            f"{plan.get_status_display().lower()}: {hint}."
        )
    pending = records.pending_version(plan)
    if pending is not None:
        raise PlanRefused(
            f"Version {pending.version} of this plan is drafted: sign it and discharge that "
            "version, or mark the draft entered in error."
        )
    on = discharged_on or local_today(plan.location)
    errors: dict[str, list[str]] = {}
    if reason not in Discharge.Reason.values:
        errors["reason"] = [f"The reason is one of {', '.join(Discharge.Reason.values)}."]
    if on > local_today(plan.location) or on < plan.starts_on:
        errors["discharged_on"] = ["The discharge date is between the plan's start and today."]
    if reason in (Discharge.Reason.OTHER, Discharge.Reason.REFERRED_OUT) and not (
        reason_detail.strip()
    ):
        errors["reason_detail"] = [
            "Say the reason (for a referral: to whom and why)."
            if reason == Discharge.Reason.REFERRED_OUT
            else "Say the reason."
        ]
    if len(reason_detail) > 300:
        errors["reason_detail"] = ["At most 300 characters."]
    if errors:
        raise ValidationError(errors)
    results = goal_statuses(plan, on)
    open_goals = [goal.measure_label for goal, r in results if r.status != "achieved"]
    if reason == Discharge.Reason.GOALS_MET and open_goals:
        raise ValidationError(
            {
                "reason": (
                    f"Not every goal is achieved ({', '.join(open_goals)}); choose another reason."
                )
            }
        )
    require_current_license(practitioner, location=plan.location, on=on)
    outcomes = [goal_outcome(goal, result) for goal, result in results]
    now = timezone.now()
    discharge = Discharge(
        organization_id=plan.organization_id,
        plan=plan,
        patient=plan.patient,
        practitioner=practitioner,
        discharged_on=on,
        reason=reason,
        reason_detail=reason_detail.strip(),
        summary=summary.strip(),
        goal_outcomes=outcomes,
        signed_at=now,
        signed_by=actor,
    )
    discharge.content_hash = content_hash(
        {
            "plan": str(plan.public_id),
            "plan_hash": plan.content_hash,
            "discharged_on": on.isoformat(),
            "reason": reason,
            "reason_detail": discharge.reason_detail,
            "summary": discharge.summary,
            "goal_outcomes": outcomes,
            "by": actor.pk,
            "at": now,
        }
    )
    with transaction.atomic():
        locked = Plan.objects.select_for_update().get(pk=plan.pk)
        if locked.status != Plan.Status.ACTIVE:
            raise PlanRefused("This plan was discharged or revised a moment ago.")
        discharge.save()
        plan.status = Plan.Status.COMPLETED
        plan.status_reason = f"Discharged on {on.isoformat()}: {discharge.get_reason_display()}."
        plan.save(update_fields=["status", "status_reason", "updated_at"])
        audit(
            actor,
            Action.CREATE,
            plan,
            discharge=str(discharge.public_id),
            reason=reason,
            outcomes={o["measure"]: o["status"] for o in outcomes},
        )
        publish(PlanDischarged(**_plan_event(plan)))
    return discharge
