"""The only code that writes evaluations: pain map, palpation, special tests, ROM,
diagnoses, baseline scores, signing, addenda, entered in error."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from palpa.accounts.models import Location, User
from palpa.accounts.permissions import Capability, require, require_own_or
from palpa.audit.services import Action
from palpa.care import icd10
from palpa.care.authoring import (
    audit,
    check_fields_of,
    choice_error,
    license_today,
    not_after_tomorrow,
    practitioner_of,
    require_author_or_corrector,
)
from palpa.care.catalog import catalog, check_region
from palpa.care.events import EvaluationEnteredInError, EvaluationSigned
from palpa.care.models import (
    Diagnosis,
    Evaluation,
    EvaluationAddendum,
    Goal,
    LinkedAdministration,
    PainMapEntry,
    PalpationFinding,
    RomMeasurement,
    SpecialTest,
)
from palpa.core import records
from palpa.core.errors import Refused
from palpa.core.events import publish
from palpa.core.records import content_hash as content_hash
from palpa.core.tenancy import require_same_organization
from palpa.outcomes.library import load_rom_norms
from palpa.outcomes.models import InstrumentAdministration
from palpa.outcomes.services import administer_instrument
from palpa.patients.models import Patient
from palpa.practitioners.models import Practitioner
from palpa.practitioners.services import require_current_license

EVALUATION_FIELDS = ("chief_complaint", "history", "posture")
ROM_SIDES = ("left", "right", "midline")


class EvaluationLocked(Refused):
    code = "evaluation_locked"


def start_evaluation(
    *,
    actor: User,
    patient: Patient,
    location: Location,
    evaluated_on: dt.date,
    onset_on: dt.date | None = None,
    **fields: Any,
) -> Evaluation:
    """A draft evaluation; ``onset_on`` is when the complaint began, if the patient knows."""
    practitioner = practitioner_of(actor)
    require_same_organization(actor, patient, location)
    check_fields_of(fields, EVALUATION_FIELDS)
    errors = not_after_tomorrow(evaluated_on, "evaluated_on", "An evaluation")
    errors.update(_onset_errors(onset_on, evaluated_on))
    if patient.status != Patient.Status.ACTIVE:
        errors["patient"] = [f"The patient's record is {patient.get_status_display().lower()}."]
    if errors:
        raise ValidationError(errors)
    evaluation = Evaluation(
        organization_id=patient.organization_id,
        patient=patient,
        practitioner=practitioner,
        location=location,
        evaluated_on=evaluated_on,
        onset_on=onset_on,
        regions_version=catalog().regions_version,
        codeset_version=icd10.code_set().version,
        **{name: str(value).strip() for name, value in fields.items()},
    )
    evaluation.full_clean(exclude=["content_hash"])
    with transaction.atomic():
        evaluation.save()
        audit(actor, Action.CREATE, evaluation, evaluated_on=evaluated_on.isoformat())
    return evaluation


def _onset_errors(onset_on: dt.date | None, evaluated_on: dt.date) -> dict[str, list[str]]:
    if onset_on is not None and onset_on > evaluated_on:
        return {"onset_on": ["The symptoms began on or before the evaluation."]}
    return {}


def _editable_evaluation(actor: User, evaluation: Evaluation) -> Practitioner:
    practitioner = practitioner_of(actor)
    require_same_organization(actor, evaluation)
    if evaluation.is_locked:
        raise EvaluationLocked(
            f"This evaluation is {evaluation.get_status_display().lower()} and cannot change."
        )
    own = evaluation.practitioner_id == practitioner.pk
    require_own_or(actor, None, own=own, what="the evaluation")
    return practitioner


def update_evaluation(
    *, actor: User, evaluation: Evaluation, changes: dict[str, Any]
) -> Evaluation:
    _editable_evaluation(actor, evaluation)
    changes = dict(changes)
    onset_given = "onset_on" in changes
    onset_on = changes.pop("onset_on", None)
    check_fields_of(changes, EVALUATION_FIELDS)
    if onset_given:
        if onset_on is not None and not isinstance(onset_on, dt.date):
            raise ValidationError({"onset_on": ["A date (YYYY-MM-DD), or empty."]})
        errors = _onset_errors(onset_on, evaluation.evaluated_on)
        if errors:
            raise ValidationError(errors)
        evaluation.onset_on = onset_on
        changes["onset_on"] = onset_on
    for name, value in changes.items():
        if name != "onset_on":
            setattr(evaluation, name, str(value).strip())
    evaluation.full_clean(exclude=["content_hash"])
    with transaction.atomic():
        evaluation.save()
        audit(actor, Action.UPDATE, evaluation, changed=sorted(changes))
    return evaluation


def _region_errors(region: str, side: str) -> dict[str, list[str]]:
    problems = check_region(region, side)
    if not problems:
        return {}
    return {"side" if region in catalog().regions else "region": problems}


def add_pain_map_entry(
    *,
    actor: User,
    evaluation: Evaluation,
    region: str,
    side: str = "",
    intensity: int,
    quality: str,
    note: str = "",
) -> PainMapEntry:
    _editable_evaluation(actor, evaluation)
    errors = _region_errors(region, side)
    if not 0 <= intensity <= 10:
        errors["intensity"] = ["Intensity is a whole number from 0 (no pain) to 10."]
    errors |= choice_error("quality", quality, PainMapEntry.Quality, "Quality")
    if errors:
        raise ValidationError(errors)
    entry = PainMapEntry(
        organization_id=evaluation.organization_id,
        evaluation=evaluation,
        region=region,
        side=side,
        intensity=intensity,
        quality=quality,
        note=note.strip()[:300],
        position=evaluation.pain_map.count(),
    )
    with transaction.atomic():
        entry.save()
        audit(
            actor,
            Action.UPDATE,
            evaluation,
            added_pain={"region": region, "side": side, "intensity": intensity, "quality": quality},
        )
    return entry


def add_palpation_finding(
    *,
    actor: User,
    evaluation: Evaluation,
    region: str,
    side: str = "",
    tone: str,
    tenderness: int,
    trigger_points: bool = False,
    trigger_point_count: int | None = None,
    texture: str = "",
) -> PalpationFinding:
    _editable_evaluation(actor, evaluation)
    errors = _region_errors(region, side)
    errors |= choice_error("tone", tone, PalpationFinding.Tone, "Tone")
    if not 0 <= tenderness <= 3:
        errors["tenderness"] = ["Tenderness is graded 0 (none) to 3."]
    if trigger_point_count is not None:
        if not trigger_points:
            errors["trigger_point_count"] = ["A count is given only when trigger points are found."]
        elif not 1 <= trigger_point_count <= 50:
            errors["trigger_point_count"] = ["The count of trigger points is between 1 and 50."]
    if len(texture) > 300:
        errors["texture"] = ["Tissue texture is at most 300 characters."]
    if errors:
        raise ValidationError(errors)
    finding = PalpationFinding(
        organization_id=evaluation.organization_id,
        evaluation=evaluation,
        region=region,
        side=side,
        tone=tone,
        tenderness=tenderness,
        trigger_points=trigger_points,
        trigger_point_count=trigger_point_count,
        texture=texture.strip(),
        position=evaluation.palpation.count(),
    )
    with transaction.atomic():
        finding.save()
        audit(
            actor,
            Action.UPDATE,
            evaluation,
            added_palpation={"region": region, "side": side, "tone": tone},
        )
    return finding


def add_special_test(
    *,
    actor: User,
    evaluation: Evaluation,
    name: str,
    side: str = "",
    result: str,
    note: str = "",
) -> SpecialTest:
    _editable_evaluation(actor, evaluation)
    errors: dict[str, list[str]] = {}
    if not name.strip() or len(name.strip()) > 80:
        errors["name"] = ["Name the test (1 to 80 characters)."]
    if side not in ("", "left", "right", "bilateral"):
        errors["side"] = ["Side is left, right, bilateral, or empty."]
    errors |= choice_error("result", result, SpecialTest.Result, "The result")
    if errors:
        raise ValidationError(errors)
    test = SpecialTest(
        organization_id=evaluation.organization_id,
        evaluation=evaluation,
        name=name.strip(),
        side=side,
        result=result,
        note=note.strip()[:300],
        position=evaluation.special_tests.count(),
    )
    with transaction.atomic():
        test.save()
        audit(actor, Action.UPDATE, evaluation, added_test={"name": test.name, "result": result})
    return test


def rom_entry(
    *,
    patient: Patient,
    rater: Practitioner,
    joint: str,
    motion: str,
    side: str,
    degrees: int,
    mode: str,
    instrument: str,
    position: str,
    measured_on: dt.date,
) -> RomMeasurement:
    """Validate one ROM measurement and attach the norm in force (not saved)."""
    norms = load_rom_norms()
    errors: dict[str, list[str]] = {}
    known = {(n.joint, n.motion) for n in norms.norms}
    if (joint, motion) not in known:
        joints = sorted({n.joint for n in norms.norms})
        if joint not in joints:
            errors["joint"] = [f"Joint is one of {', '.join(joints)}."]
        else:
            motions = sorted(
                n.motion for n in norms.norms if n.joint == joint and n.side != "right"
            )
            errors["motion"] = [f"For the {joint}, motion is one of {', '.join(motions)}."]
    else:
        sides = [n.side for n in norms.norms if (n.joint, n.motion) == (joint, motion)]
        if side not in sides:
            errors["side"] = [f"{joint} {motion} is measured on side {' or '.join(sides)}."]
    if not -90 <= degrees <= 360:
        errors["degrees"] = ["Degrees are between -90 and 360."]
    errors |= choice_error("mode", mode, RomMeasurement.Mode, "Mode")
    errors |= choice_error("instrument", instrument, RomMeasurement.Tool, "The instrument")
    if len(position) > 120:
        errors["position"] = ["The position is at most 120 characters."]
    errors |= not_after_tomorrow(measured_on, "measured_on", "A measurement")
    if errors:
        raise ValidationError(errors)
    norm = norms.norm(joint, motion, side)
    return RomMeasurement(
        organization_id=patient.organization_id,
        patient=patient,
        joint=joint,
        motion=motion,
        side=side,
        degrees=degrees,
        mode=mode,
        instrument=instrument,
        position=position.strip(),
        norm_degrees=norm.degrees,
        norm_source=norm.source.citation[:300],
        norm_tag=norm.tag,
        norms_version=norms.version,
        measured_on=measured_on,
        rater=rater,
    )


def record_rom(
    *,
    actor: User,
    evaluation: Evaluation,
    joint: str,
    motion: str,
    side: str = "midline",
    degrees: int,
    mode: str = "active",
    instrument: str,
    position: str = "",
) -> RomMeasurement:
    """A ROM measurement of the evaluation, with the norm (and its source) at the time."""
    practitioner = _editable_evaluation(actor, evaluation)
    entry = rom_entry(
        patient=evaluation.patient,
        rater=practitioner,
        joint=joint,
        motion=motion,
        side=side,
        degrees=degrees,
        mode=mode,
        instrument=instrument,
        position=position,
        measured_on=evaluation.evaluated_on,
    )
    entry.evaluation = evaluation
    entry.order = evaluation.rom_measurements.count()
    with transaction.atomic():
        entry.save()
        audit(
            actor,
            Action.UPDATE,
            evaluation,
            added_rom={"joint": joint, "motion": motion, "side": side, "degrees": degrees},
        )
    return entry


def _checked_code(code: str) -> icd10.Diagnosis:
    try:
        return icd10.validate(code)
    except icd10.Icd10Error as exc:
        raise ValidationError({"code": [ValidationError(str(exc), code=exc.rule)]}) from None


def add_diagnosis(
    *, actor: User, evaluation: Evaluation, code: str, rank: int | None = None
) -> Diagnosis:
    """A working diagnosis from the subset; ``rank`` 1 makes it the primary (default: last)."""
    _editable_evaluation(actor, evaluation)
    checked = _checked_code(code)
    existing = list(evaluation.diagnoses.order_by("rank", "created_at"))
    if any(d.code == checked.code for d in existing):
        raise ValidationError({"code": f"{checked.code} is already a working diagnosis."})
    last = len(existing) + 1
    if rank is not None and not 1 <= rank <= last:
        raise ValidationError({"rank": f"Rank is between 1 (primary) and {last}."})
    place = rank or last
    with transaction.atomic():
        for index, other in enumerate(existing, start=1):
            new_rank = index if index < place else index + 1
            if other.rank != new_rank:
                Diagnosis.objects.filter(pk=other.pk).update(rank=new_rank)
        diagnosis = Diagnosis.objects.create(
            organization_id=evaluation.organization_id,
            evaluation=evaluation,
            code=checked.code,
            label=checked.label,
            rank=place,
            codeset_version=checked.version,
        )
        audit(
            actor, Action.UPDATE, evaluation, added_diagnosis={"code": checked.code, "rank": place}
        )
    return diagnosis


def record_baseline_administration(
    *,
    actor: User,
    evaluation: Evaluation,
    instrument: str,
    answers: object,
    item_labels: list[str] | tuple[str, ...] = (),
) -> InstrumentAdministration:
    """Score an instrument on the evaluation's date and keep it as one of its baselines."""
    _editable_evaluation(actor, evaluation)
    with transaction.atomic():
        administration = administer_instrument(
            actor=actor,
            patient=evaluation.patient,
            instrument=instrument,
            answers=answers,
            item_labels=item_labels,
            administered_on=evaluation.evaluated_on,
            context=InstrumentAdministration.Context.BASELINE,
        )
        LinkedAdministration.objects.create(
            organization_id=evaluation.organization_id,
            administration=administration,
            evaluation=evaluation,
        )
        audit(
            actor,
            Action.UPDATE,
            evaluation,
            added_baseline={"instrument": administration.instrument, "score": administration.score},
        )
    return administration


def link_baseline_administration(
    *, actor: User, evaluation: Evaluation, administration: InstrumentAdministration
) -> LinkedAdministration:
    """Keep an administration already recorded for the patient as a baseline."""
    _editable_evaluation(actor, evaluation)
    require_same_organization(actor, administration)
    if administration.patient_id != evaluation.patient_id:
        raise ValidationError({"administration": "This administration is another patient's."})
    if not administration.counts:
        raise ValidationError({"administration": "This administration was entered in error."})
    if evaluation.administration_links.filter(administration=administration).exists():
        raise ValidationError({"administration": "It is already a baseline of this evaluation."})
    with transaction.atomic():
        link = LinkedAdministration.objects.create(
            organization_id=evaluation.organization_id,
            administration=administration,
            evaluation=evaluation,
        )
        audit(
            actor,
            Action.UPDATE,
            evaluation,
            linked_baseline=str(administration.public_id),
        )
    return link


def evaluation_content(evaluation: Evaluation) -> dict[str, Any]:
    """What an evaluation's signature covers."""
    return {
        "evaluation": str(evaluation.public_id),
        "patient": str(evaluation.patient.public_id),
        "practitioner": str(evaluation.practitioner.public_id),
        "location": str(evaluation.location.public_id),
        "evaluated_on": evaluation.evaluated_on.isoformat(),
        **{name: getattr(evaluation, name) for name in EVALUATION_FIELDS},
        # Only when recorded, so evaluations signed before the field existed keep their hash.
        **({"onset_on": evaluation.onset_on.isoformat()} if evaluation.onset_on else {}),
        "pain_map": [
            [p.region, p.side, p.intensity, p.quality, p.note]
            for p in evaluation.pain_map.order_by("position", "pk")
        ],
        "palpation": [
            [
                f.region,
                f.side,
                f.tone,
                f.tenderness,
                f.trigger_points,
                f.trigger_point_count,
                f.texture,
            ]
            for f in evaluation.palpation.order_by("position", "pk")
        ],
        "rom": [
            [
                r.joint,
                r.motion,
                r.side,
                r.degrees,
                r.mode,
                r.instrument,
                r.position,
                r.norm_degrees,
                r.norms_version,
            ]
            for r in evaluation.rom_measurements.order_by("order", "pk")
        ],
        "special_tests": [
            [t.name, t.side, t.result, t.note]
            for t in evaluation.special_tests.order_by("position", "pk")
        ],
        "diagnoses": [[d.rank, d.code] for d in evaluation.diagnoses.order_by("rank", "pk")],
        "baselines": [
            [
                str(link.administration.public_id),
                link.administration.instrument,
                link.administration.score,
            ]
            for link in evaluation.administration_links.select_related("administration")
        ],
        "regions_version": evaluation.regions_version,
        "codeset_version": evaluation.codeset_version,
    }


def _evaluation_sign_checks(actor: User, evaluation: Evaluation) -> None:
    practitioner = _editable_evaluation(actor, evaluation)
    errors: dict[str, list[str]] = {}
    if not evaluation.chief_complaint.strip():
        errors["chief_complaint"] = ["Record the chief complaint before signing."]
    if not evaluation.diagnoses.exists():
        errors["diagnoses"] = ["Record at least one working diagnosis before signing."]
    if errors:
        raise ValidationError(errors)
    require_current_license(practitioner, location=evaluation.location, on=evaluation.evaluated_on)


EVALUATION = records.Lifecycle(
    model=Evaluation,
    what="evaluation",
    audit=audit,
    locked=EvaluationLocked,
    check=_evaluation_sign_checks,
    seal=lambda evaluation: content_hash(evaluation_content(evaluation)),
    signed_event=lambda evaluation: EvaluationSigned(
        evaluation_id=evaluation.pk,
        organization_id=evaluation.organization_id,
        patient_id=evaluation.patient_id,
    ),
    after_error=lambda _actor, evaluation, _reason: publish(
        EvaluationEnteredInError(
            evaluation_id=evaluation.pk,
            organization_id=evaluation.organization_id,
            patient_id=evaluation.patient_id,
        )
    ),
    addendum=EvaluationAddendum,
)


def sign_evaluation(*, actor: User, evaluation: Evaluation) -> Evaluation:
    """Lock the evaluation under the practitioner's signature, if their license allows it."""
    return records.sign(EVALUATION, actor=actor, record=evaluation)


def mark_evaluation_entered_in_error(
    *, actor: User, evaluation: Evaluation, reason: str
) -> Evaluation:
    require(actor, Capability.CLINICAL_READ)
    require_same_organization(actor, evaluation)
    require_author_or_corrector(actor, evaluation, what="the evaluation")
    return records.enter_in_error(EVALUATION, actor=actor, record=evaluation, reason=reason)


class EvaluationAddendumRefused(Refused):
    code = "addendum_refused"


def add_evaluation_addendum(
    *, actor: User, evaluation: Evaluation, text: str
) -> EvaluationAddendum:
    """A signed correction or addition to a signed evaluation, which stays as signed.

    The same rules as a note's addendum: any active practitioner of the organization
    (``clinical.addendum``) with a current license for the evaluation's location today.
    """
    practitioner = practitioner_of(actor, Capability.CLINICAL_ADDENDUM)
    require_same_organization(actor, evaluation)
    if evaluation.status != Evaluation.Status.SIGNED:
        raise EvaluationAddendumRefused(
            f"This evaluation is {evaluation.get_status_display().lower()}: addenda are "
            "added to signed evaluations"
            + ("; edit the draft itself instead." if not evaluation.is_locked else ".")
        )
    addendum = records.add_addendum(
        EVALUATION,
        actor=actor,
        record=evaluation,
        text=text,
        check_signer=license_today(practitioner, evaluation),
    )
    assert isinstance(addendum, EvaluationAddendum)
    return addendum


class FindingInUse(Refused):
    code = "finding_in_use"


def _remove_from_draft_evaluation(
    actor: User, evaluation: Evaluation, row: Any, what: str, removed: dict[str, Any]
) -> None:
    """Delete one finding of a draft evaluation; the audit entry keeps what was removed."""
    _editable_evaluation(actor, evaluation)
    with transaction.atomic():
        locked = Evaluation.objects.select_for_update().get(pk=evaluation.pk)
        if locked.status != Evaluation.Status.DRAFT:
            raise EvaluationLocked(
                f"This evaluation is {locked.get_status_display().lower()} and cannot change."
            )
        row.delete()
        audit(actor, Action.UPDATE, evaluation, **{f"removed_draft_{what}": removed})


def remove_pain_map_entry(*, actor: User, entry: PainMapEntry) -> None:
    """Drafts only (a region tapped by mistake); refused once the evaluation is signed."""
    removed = {
        "region": entry.region,
        "side": entry.side,
        "intensity": entry.intensity,
        "quality": entry.quality,
        "note": entry.note,
    }
    _remove_from_draft_evaluation(actor, entry.evaluation, entry, "pain", removed)


def remove_palpation_finding(*, actor: User, finding: PalpationFinding) -> None:
    removed = {
        "region": finding.region,
        "side": finding.side,
        "tone": finding.tone,
        "tenderness": finding.tenderness,
        "trigger_points": finding.trigger_points,
        "trigger_point_count": finding.trigger_point_count,
        "texture": finding.texture,
    }
    _remove_from_draft_evaluation(actor, finding.evaluation, finding, "palpation", removed)


def remove_special_test(*, actor: User, test: SpecialTest) -> None:
    removed = {"name": test.name, "side": test.side, "result": test.result, "note": test.note}
    _remove_from_draft_evaluation(actor, test.evaluation, test, "test", removed)


def remove_rom_measurement(*, actor: User, measurement: RomMeasurement) -> None:
    """Drafts only; refused while a goal uses the measurement as its baseline."""
    evaluation = measurement.evaluation
    if evaluation is None:
        raise Refused("A re-assessment's measurement is kept; it is not removed.")
    _editable_evaluation(actor, evaluation)
    if Goal.objects.filter(baseline_rom=measurement).exists():
        raise FindingInUse(
            "This measurement is the baseline of a goal; remove that goal from its draft "
            "plan first."
        )
    removed = {
        "joint": measurement.joint,
        "motion": measurement.motion,
        "side": measurement.side,
        "degrees": measurement.degrees,
        "mode": measurement.mode,
        "instrument": measurement.instrument,
    }
    _remove_from_draft_evaluation(actor, evaluation, measurement, "rom", removed)


def remove_diagnosis(*, actor: User, diagnosis: Diagnosis) -> None:
    """Drafts only; the diagnoses after it move up (removing the primary promotes the next)."""
    evaluation = diagnosis.evaluation
    if evaluation is None:
        raise Refused("A plan's diagnoses are changed by editing the draft plan.")
    removed = {"code": diagnosis.code, "rank": diagnosis.rank}
    with transaction.atomic():
        _remove_from_draft_evaluation(actor, evaluation, diagnosis, "diagnosis", removed)
        rest = Diagnosis.objects.filter(evaluation=evaluation).order_by("rank", "created_at")
        for rank, other in enumerate(rest, start=1):
            if other.rank != rank:
                Diagnosis.objects.filter(pk=other.pk).update(rank=rank)


Finding = PainMapEntry | PalpationFinding | RomMeasurement | SpecialTest | Diagnosis


def remove_evaluation_finding(*, actor: User, finding: Finding) -> None:
    """Remove any one finding of a draft evaluation (the verb for its kind)."""
    if isinstance(finding, PainMapEntry):
        remove_pain_map_entry(actor=actor, entry=finding)
    elif isinstance(finding, PalpationFinding):
        remove_palpation_finding(actor=actor, finding=finding)
    elif isinstance(finding, RomMeasurement):
        remove_rom_measurement(actor=actor, measurement=finding)
    elif isinstance(finding, SpecialTest):
        remove_special_test(actor=actor, test=finding)
    else:
        remove_diagnosis(actor=actor, diagnosis=finding)


def audit_evaluation_read(*, actor: User, evaluation: Evaluation) -> None:
    audit(actor, Action.READ, evaluation)
