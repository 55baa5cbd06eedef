"""Care records: treatment notes (SOAP) with techniques and addenda; evaluations with
their findings, ROM measurements and working diagnoses.

A note or an evaluation is written as a draft by its practitioner, then signed: signing
checks the practitioner's license for the location on the visit date, locks the record
and stores a hash of its content. A signed record never changes; corrections to notes and
evaluations are signed addenda. Findings of a draft evaluation may be removed (the audit
log keeps what was removed); once the evaluation is signed, neither saving nor deleting
them is possible.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from palpa.core.models import TenantModel
from palpa.core.records import (
    Addendum,
    SignedRecord,
    Versioned,
    refuse_if_locked,
    signature_constraint,
)
from palpa.core.records import (
    SignedRecordChanged as SignedRecordChanged,
)

SIGNED = ("signed",)


class SignedNoteChanged(SignedRecordChanged):
    """Raised on any attempt to change a signed note's content."""


class TreatmentNote(SignedRecord):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        SIGNED = "signed", "Signed"
        ENTERED_IN_ERROR = "entered-in-error", "Entered in error"

    class Adherence(models.TextChoices):
        NOT_ASKED = "", "Not recorded"
        NONE = "none", "Not done"
        SOME = "some", "Some of the program"
        MOST = "most", "Most of the program"
        ALL = "all", "All of the program"

    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="treatment_notes"
    )
    practitioner = models.ForeignKey(
        "practitioners.Practitioner", on_delete=models.PROTECT, related_name="treatment_notes"
    )
    location = models.ForeignKey("accounts.Location", on_delete=models.PROTECT, related_name="+")
    visit_date = models.DateField()
    plan_of_care = models.ForeignKey(
        "Plan",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="treatment_notes",
        help_text="The plan of care this visit treats under (the SOAP 'plan' is text).",
    )
    appointment = models.ForeignKey(
        "scheduling.Appointment",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="The booked visit this note documents; signing marks it fulfilled.",
    )
    # S
    pain_today = models.PositiveSmallIntegerField(
        "pain today (NPRS 0-10)",
        null=True,
        blank=True,
        validators=[MaxValueValidator(10)],
    )
    subjective = models.TextField("patient report", blank=True)
    home_care_adherence = models.CharField(
        max_length=10, choices=Adherence.choices, blank=True, default=""
    )
    # O
    objective = models.TextField(blank=True)
    # A
    assessment = models.TextField("response to treatment", blank=True)
    # P
    plan = models.TextField(blank=True)

    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DRAFT)
    catalog_version = models.CharField(max_length=20, blank=True)

    Changed = SignedNoteChanged
    changed_message = "A signed note never changes; add an addendum."

    class Meta:
        ordering: ClassVar = ["-visit_date", "-created_at"]
        indexes: ClassVar = [
            models.Index(fields=["organization", "patient", "-visit_date"], name="note_pt_date"),
            models.Index(fields=["organization", "status", "practitioner"], name="note_status"),
        ]
        constraints: ClassVar = [signature_constraint("signed_note_has_signature", SIGNED)]

    def __str__(self) -> str:
        return f"Treatment note {self.visit_date} ({self.get_status_display()})"

    @property
    def total_minutes(self) -> int:
        return sum(t.minutes for t in self.techniques.all())


class TechniqueEntry(TenantModel):
    note = models.ForeignKey(TreatmentNote, on_delete=models.PROTECT, related_name="techniques")
    technique = models.CharField(max_length=40)
    region = models.CharField(max_length=40)
    side = models.CharField(max_length=10, blank=True)
    minutes = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(180)]
    )
    pressure = models.CharField(max_length=10)
    tool = models.CharField(max_length=20, default="none")
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering: ClassVar = ["position", "created_at"]

    def __str__(self) -> str:
        return f"{self.technique} {self.region} {self.side} {self.minutes} min".strip()


class NoteAddendum(Addendum):
    """A signed correction or addition to a signed note; the note itself stays as signed."""

    note = models.ForeignKey(TreatmentNote, on_delete=models.PROTECT, related_name="addenda")

    class Meta(Addendum.Meta):
        verbose_name_plural = "note addenda"


# ---------------------------------------------------------------------------------------
# Evaluation


class Evaluation(SignedRecord):
    """The initial examination: complaint, history, findings, baseline scores, diagnoses."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        SIGNED = "signed", "Signed"
        ENTERED_IN_ERROR = "entered-in-error", "Entered in error"

    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="evaluations"
    )
    practitioner = models.ForeignKey(
        "practitioners.Practitioner", on_delete=models.PROTECT, related_name="evaluations"
    )
    location = models.ForeignKey("accounts.Location", on_delete=models.PROTECT, related_name="+")
    evaluated_on = models.DateField()
    chief_complaint = models.TextField(blank=True)
    history = models.TextField("history of the complaint", blank=True)
    posture = models.TextField("posture notes", blank=True)
    onset_on = models.DateField(
        "symptoms began",
        null=True,
        blank=True,
        help_text="When the complaint began (as the patient tells it); its chronicity counts "
        "from here to the evaluation.",
    )

    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DRAFT)
    regions_version = models.CharField(max_length=20, blank=True)
    codeset_version = models.CharField(max_length=20, blank=True)

    changed_message = "A signed evaluation never changes."

    class Meta:
        ordering: ClassVar = ["-evaluated_on", "-created_at"]
        indexes: ClassVar = [
            models.Index(fields=["organization", "patient", "-evaluated_on"], name="eval_pt_date"),
        ]
        constraints: ClassVar = [
            signature_constraint("signed_evaluation_has_signature", SIGNED),
        ]

    def __str__(self) -> str:
        return f"Evaluation {self.evaluated_on} ({self.get_status_display()})"


class EvaluationAddendum(Addendum):
    """A signed correction or addition to a signed evaluation; the evaluation stays as
    signed. Written once, signed as it is written; it never changes."""

    evaluation = models.ForeignKey(Evaluation, on_delete=models.PROTECT, related_name="addenda")

    class Meta(Addendum.Meta):
        verbose_name_plural = "evaluation addenda"


def _refuse_if_evaluation_locked(evaluation_id: int | None) -> None:
    refuse_if_locked(
        Evaluation, evaluation_id, "What belongs to a signed evaluation never changes."
    )


class EvaluationPart(TenantModel):
    """A finding that belongs to one evaluation and is locked with it."""

    evaluation = models.ForeignKey(Evaluation, on_delete=models.PROTECT, related_name="+")
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        _refuse_if_evaluation_locked(self.evaluation_id)
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        _refuse_if_evaluation_locked(self.evaluation_id)
        return super().delete(*args, **kwargs)


SIDE_CHOICES = [("", "No side"), ("left", "Left"), ("right", "Right"), ("bilateral", "Both")]


class PainMapEntry(EvaluationPart):
    class Quality(models.TextChoices):
        ACHING = "aching", "Aching"
        SHARP = "sharp", "Sharp"
        DULL = "dull", "Dull"
        BURNING = "burning", "Burning"
        THROBBING = "throbbing", "Throbbing"
        SHOOTING = "shooting", "Shooting"
        TINGLING = "tingling", "Tingling"
        NUMB = "numb", "Numb"
        STIFF = "stiff", "Stiff"

    evaluation = models.ForeignKey(Evaluation, on_delete=models.PROTECT, related_name="pain_map")
    region = models.CharField(max_length=40)
    side = models.CharField(max_length=10, blank=True, choices=SIDE_CHOICES)
    intensity = models.PositiveSmallIntegerField(
        "intensity (0-10)", validators=[MaxValueValidator(10)]
    )
    quality = models.CharField(max_length=12, choices=Quality.choices)
    note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering: ClassVar = ["position", "created_at"]
        verbose_name_plural = "pain map entries"
        constraints: ClassVar = [
            models.CheckConstraint(condition=Q(intensity__lte=10), name="pain_intensity_0_10")
        ]

    def __str__(self) -> str:
        return f"{self.region} {self.side} {self.intensity}/10 {self.quality}".replace("  ", " ")


class PalpationFinding(EvaluationPart):
    class Tone(models.TextChoices):
        NORMAL = "normal", "Normal"
        HYPERTONIC = "hypertonic", "Hypertonic"
        HYPOTONIC = "hypotonic", "Hypotonic"

    evaluation = models.ForeignKey(Evaluation, on_delete=models.PROTECT, related_name="palpation")
    region = models.CharField(max_length=40)
    side = models.CharField(max_length=10, blank=True, choices=SIDE_CHOICES)
    tone = models.CharField(max_length=12, choices=Tone.choices)
    tenderness = models.PositiveSmallIntegerField(
        "tenderness (0-3)", validators=[MaxValueValidator(3)]
    )
    trigger_points = models.BooleanField(default=False)
    trigger_point_count = models.PositiveSmallIntegerField(null=True, blank=True)
    texture = models.CharField("tissue texture", max_length=300, blank=True)

    class Meta:
        ordering: ClassVar = ["position", "created_at"]
        constraints: ClassVar = [
            models.CheckConstraint(condition=Q(tenderness__lte=3), name="palpation_tenderness_0_3"),
            models.CheckConstraint(
                condition=Q(trigger_points=True) | Q(trigger_point_count__isnull=True),
                name="palpation_count_needs_trigger_points",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.region} {self.side} {self.tone}, tenderness {self.tenderness}"


class SpecialTest(EvaluationPart):
    class Result(models.TextChoices):
        POSITIVE = "positive", "Positive"
        NEGATIVE = "negative", "Negative"
        EQUIVOCAL = "equivocal", "Equivocal"

    evaluation = models.ForeignKey(
        Evaluation, on_delete=models.PROTECT, related_name="special_tests"
    )
    name = models.CharField(max_length=80)
    side = models.CharField(max_length=10, blank=True, choices=SIDE_CHOICES)
    result = models.CharField(max_length=10, choices=Result.choices)
    note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering: ClassVar = ["position", "created_at"]

    def __str__(self) -> str:
        return f"{self.name} {self.side}: {self.result}".replace("  ", " ")


class RomMeasurement(TenantModel):
    """One range-of-motion measurement, with the norm it was compared with at the time."""

    class Mode(models.TextChoices):
        ACTIVE = "active", "Active"
        PASSIVE = "passive", "Passive"

    class Tool(models.TextChoices):
        GONIOMETER = "goniometer", "Goniometer"
        INCLINOMETER = "inclinometer", "Inclinometer"
        VISUAL = "visual", "Visual estimate"

    class Status(models.TextChoices):
        FINAL = "final", "Final"
        ENTERED_IN_ERROR = "entered-in-error", "Entered in error"

    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="rom_measurements"
    )
    evaluation = models.ForeignKey(
        Evaluation,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="rom_measurements",
    )
    plan = models.ForeignKey(
        "Plan",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="rom_measurements",
        help_text="Set for a re-assessment under a plan of care.",
    )
    joint = models.CharField(max_length=40)
    motion = models.CharField(max_length=40)
    side = models.CharField(max_length=10)
    degrees = models.SmallIntegerField(validators=[MinValueValidator(-90), MaxValueValidator(360)])
    mode = models.CharField(max_length=10, choices=Mode.choices, default=Mode.ACTIVE)
    instrument = models.CharField(max_length=12, choices=Tool.choices)
    position = models.CharField("patient position", max_length=120, blank=True)
    norm_degrees = models.SmallIntegerField(null=True, blank=True)
    norm_source = models.CharField(max_length=300, blank=True)
    norm_tag = models.CharField(max_length=1, blank=True)
    norms_version = models.CharField(max_length=20, blank=True)
    measured_on = models.DateField()
    rater = models.ForeignKey(
        "practitioners.Practitioner", on_delete=models.PROTECT, related_name="+"
    )
    order = models.PositiveSmallIntegerField(default=0)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.FINAL)
    status_reason = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering: ClassVar = ["measured_on", "order", "created_at"]
        indexes: ClassVar = [
            models.Index(
                fields=["organization", "patient", "joint", "motion", "side"], name="rom_pt_motion"
            ),
        ]
        constraints: ClassVar = [
            models.CheckConstraint(
                condition=Q(evaluation__isnull=False, plan__isnull=True)
                | Q(evaluation__isnull=True, plan__isnull=False),
                name="rom_in_evaluation_or_plan",
            )
        ]

    def __str__(self) -> str:
        return f"{self.joint} {self.motion} {self.side}: {self.degrees} deg ({self.measured_on})"

    def save(self, *args: Any, **kwargs: Any) -> None:
        _refuse_if_evaluation_locked(self.evaluation_id)
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        _refuse_if_evaluation_locked(self.evaluation_id)
        _refuse_if_plan_locked(self.plan_id)
        return super().delete(*args, **kwargs)


class Diagnosis(TenantModel):
    """A working diagnosis from the ICD-10-CM subset; rank 1 is the primary."""

    evaluation = models.ForeignKey(
        Evaluation, on_delete=models.PROTECT, null=True, blank=True, related_name="diagnoses"
    )
    plan = models.ForeignKey(
        "Plan", on_delete=models.PROTECT, null=True, blank=True, related_name="diagnoses"
    )
    code = models.CharField(max_length=10)
    label = models.CharField(max_length=200)
    rank = models.PositiveSmallIntegerField()
    codeset_version = models.CharField(max_length=20)

    class Meta:
        ordering: ClassVar = ["rank", "created_at"]
        verbose_name_plural = "diagnoses"
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["evaluation", "code"], name="diagnosis_once_per_eval"),
            models.UniqueConstraint(fields=["plan", "code"], name="diagnosis_once_per_plan"),
            models.CheckConstraint(
                condition=Q(evaluation__isnull=False, plan__isnull=True)
                | Q(evaluation__isnull=True, plan__isnull=False),
                name="diagnosis_of_evaluation_or_plan",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.rank}. {self.code} {self.label}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        _refuse_if_evaluation_locked(self.evaluation_id)
        _refuse_if_plan_locked(self.plan_id)
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        _refuse_if_evaluation_locked(self.evaluation_id)
        _refuse_if_plan_locked(self.plan_id)
        return super().delete(*args, **kwargs)


class LinkedAdministration(TenantModel):
    """An instrument administration taken as part of an evaluation (a baseline) or as a
    re-assessment under a plan of care."""

    administration = models.ForeignKey(
        "outcomes.InstrumentAdministration", on_delete=models.PROTECT, related_name="+"
    )
    evaluation = models.ForeignKey(
        Evaluation,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="administration_links",
    )
    plan = models.ForeignKey(
        "Plan",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="administration_links",
    )

    class Meta:
        ordering: ClassVar = ["created_at"]
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["evaluation", "administration"], name="administration_once_per_eval"
            ),
            models.UniqueConstraint(
                fields=["plan", "administration"], name="administration_once_per_plan"
            ),
            models.CheckConstraint(
                condition=Q(evaluation__isnull=False, plan__isnull=True)
                | Q(evaluation__isnull=True, plan__isnull=False),
                name="administration_link_to_one",
            ),
        ]

    def __str__(self) -> str:
        return f"Administration link {self.pk}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        _refuse_if_evaluation_locked(self.evaluation_id)
        super().save(*args, **kwargs)


# ---------------------------------------------------------------------------------------
# Plan of care

SIGNED_PLAN_STATUSES = ("active", "superseded", "completed")


def _refuse_if_plan_locked(plan_id: int | None) -> None:
    refuse_if_locked(
        Plan,
        plan_id,
        "What belongs to a signed plan never changes; revise the plan for a new version.",
    )


class Plan(Versioned, SignedRecord):
    """A plan of care: goals, frequency x duration, techniques, precautions, home care.

    Signed plans never change: a change creates a new version (``supersedes`` the one
    before, which becomes *superseded* when the new version is signed). All versions of
    one plan share its ``lineage``.
    """

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        ACTIVE = "active", "Active (signed)"
        SUPERSEDED = "superseded", "Superseded by a newer version"
        COMPLETED = "completed", "Completed (discharged)"
        ENTERED_IN_ERROR = "entered-in-error", "Entered in error"

    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="plans_of_care"
    )
    evaluation = models.ForeignKey(Evaluation, on_delete=models.PROTECT, related_name="plans")
    practitioner = models.ForeignKey(
        "practitioners.Practitioner", on_delete=models.PROTECT, related_name="plans_of_care"
    )
    location = models.ForeignKey("accounts.Location", on_delete=models.PROTECT, related_name="+")
    supersedes = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="revisions",
        help_text="The version this one replaces once signed.",
    )
    starts_on = models.DateField()
    frequency_per_week = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(7)]
    )
    duration_weeks = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(52)]
    )
    techniques = models.JSONField(default=list, blank=True)
    precautions = models.TextField(blank=True)
    reassess_every_visits = models.PositiveSmallIntegerField(
        null=True, blank=True, default=6, validators=[MinValueValidator(1)]
    )
    reassess_every_days = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1)]
    )

    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DRAFT)
    catalog_version = models.CharField(max_length=20, blank=True)

    SIGNED = SIGNED_PLAN_STATUSES
    changed_message = "A signed plan never changes; revise it to make a new version."

    class Meta:
        ordering: ClassVar = ["-starts_on", "-version", "-created_at"]
        indexes: ClassVar = [
            models.Index(fields=["organization", "patient", "status"], name="plan_pt_status"),
        ]
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["lineage", "version"], name="plan_version_once"),
            models.UniqueConstraint(
                fields=["supersedes"],
                condition=~Q(status="entered-in-error"),
                name="one_live_revision_per_version",
            ),
            signature_constraint("signed_plan_has_signature", SIGNED_PLAN_STATUSES),
            models.CheckConstraint(
                condition=Q(frequency_per_week__gte=1, frequency_per_week__lte=7)
                & Q(duration_weeks__gte=1, duration_weeks__lte=52),
                name="plan_frequency_and_duration",
            ),
        ]

    def __str__(self) -> str:
        return f"Plan of care v{self.version} from {self.starts_on} ({self.get_status_display()})"

    @property
    def ends_on(self) -> dt.date:
        return self.starts_on + dt.timedelta(weeks=self.duration_weeks)

    @property
    def planned_visits(self) -> int:
        return self.frequency_per_week * self.duration_weeks


class PlanPart(TenantModel):
    plan = models.ForeignKey(Plan, on_delete=models.PROTECT, related_name="+")
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        _refuse_if_plan_locked(self.plan_id)
        super().save(*args, **kwargs)


class Goal(PlanPart):
    """A predetermined result: a measure, its baseline, a target and a due date."""

    class Measure(models.TextChoices):
        INSTRUMENT = "instrument", "Instrument score"
        PSFS_ACTIVITY = "psfs_activity", "PSFS activity"
        ROM = "rom", "Range of motion"

    class Target(models.TextChoices):
        VALUE = "value", "Target value"
        MEANINGFUL_CHANGE = "meaningful_change", "Change of at least the MCID (and MDC)"

    plan = models.ForeignKey(Plan, on_delete=models.PROTECT, related_name="goals")
    statement = models.TextField(help_text="The goal in the patient's words.")
    measure_kind = models.CharField(max_length=16, choices=Measure.choices)
    instrument = models.CharField(max_length=40, blank=True)
    rom_joint = models.CharField(max_length=40, blank=True)
    rom_motion = models.CharField(max_length=40, blank=True)
    rom_side = models.CharField(max_length=10, blank=True)
    psfs_index = models.PositiveSmallIntegerField(null=True, blank=True)
    psfs_activity = models.CharField(max_length=120, blank=True)
    baseline_value = models.FloatField()
    baseline_on = models.DateField()
    baseline_administration = models.ForeignKey(
        "outcomes.InstrumentAdministration",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    baseline_rom = models.ForeignKey(
        RomMeasurement, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    target_kind = models.CharField(max_length=20, choices=Target.choices)
    target_value = models.FloatField()
    target_basis = models.CharField(max_length=300, blank=True)
    due_on = models.DateField()
    is_primary = models.BooleanField(default=False)
    rom_local_mdc = models.FloatField(
        "local MDC (degrees)", null=True, blank=True, validators=[MinValueValidator(0.1)]
    )

    class Meta:
        ordering: ClassVar = ["position", "created_at"]
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["plan"], condition=Q(is_primary=True), name="one_primary_goal_per_plan"
            ),
            models.CheckConstraint(
                condition=(Q(measure_kind="rom") & ~Q(rom_joint=""))
                | (Q(measure_kind="instrument") & ~Q(instrument=""))
                | (Q(measure_kind="psfs_activity") & Q(psfs_index__isnull=False)),
                name="goal_measure_is_named",
            ),
        ]

    def __str__(self) -> str:
        return self.statement[:60]

    @property
    def measure_label(self) -> str:
        if self.measure_kind == self.Measure.ROM:
            side = "" if self.rom_side == "midline" else f" ({self.rom_side})"
            return f"{self.rom_joint.replace('_', ' ')} {self.rom_motion.replace('_', ' ')}{side}"
        if self.measure_kind == self.Measure.PSFS_ACTIVITY:
            return f"PSFS activity {self.psfs_index}: {self.psfs_activity}"
        return self.instrument


class HomeCareItem(PlanPart):
    class Kind(models.TextChoices):
        SELF_MASSAGE = "self_massage", "Self-massage"
        STRETCH = "stretch", "Stretch"
        EXERCISE = "exercise", "Exercise"
        HEAT_COLD = "heat_cold", "Heat or cold"
        POSTURE = "posture", "Posture and ergonomics"
        OTHER = "other", "Other"

    plan = models.ForeignKey(Plan, on_delete=models.PROTECT, related_name="home_care")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    instructions = models.CharField(max_length=500)
    tool = models.CharField(max_length=20, default="none")
    frequency = models.CharField(max_length=120, help_text="e.g. twice a day, 2 minutes a side")
    # One picture of the item (re-encoded without metadata, stored under MEDIA_ROOT with an
    # unguessable name, served only through views that check who asks); its SHA-256 and
    # alt text are part of the plan's signed content. A new plan version shares the file.
    picture = models.FileField(upload_to="care/home-care/", blank=True, max_length=200)
    picture_sha256 = models.CharField(max_length=64, blank=True)
    picture_alt = models.CharField("picture description", max_length=200, blank=True)
    picture_content_type = models.CharField(max_length=20, blank=True)
    picture_width = models.PositiveIntegerField(null=True, blank=True)
    picture_height = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering: ClassVar = ["position", "created_at"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.instructions[:40]}"

    @property
    def has_picture(self) -> bool:
        return bool(self.picture_sha256)


class Discharge(TenantModel):
    """The end of a plan of care: why, and how each goal ended (computed), signed.

    Written once, signed as it is written; it never changes.
    """

    class Reason(models.TextChoices):
        GOALS_MET = "goals_met", "Goals met"
        PLATEAU = "plateau", "Plateau: no further meaningful progress expected"
        REFERRED_OUT = "referred_out", "Referred out"
        PATIENT_CHOICE = "patient_choice", "Patient's choice"
        OTHER = "other", "Other"

    plan = models.OneToOneField(Plan, on_delete=models.PROTECT, related_name="discharge")
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="discharges"
    )
    practitioner = models.ForeignKey(
        "practitioners.Practitioner", on_delete=models.PROTECT, related_name="+"
    )
    discharged_on = models.DateField()
    reason = models.CharField(max_length=20, choices=Reason.choices)
    reason_detail = models.CharField(max_length=300, blank=True)
    summary = models.TextField(blank=True)
    goal_outcomes = models.JSONField(help_text="Each goal's outcome, computed at discharge.")
    signed_at = models.DateTimeField()
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    content_hash = models.CharField(max_length=64)

    class Meta:
        ordering: ClassVar = ["-discharged_on", "-created_at"]

    def __str__(self) -> str:
        return f"Discharge {self.discharged_on} ({self.get_reason_display()})"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise SignedRecordChanged("A signed discharge never changes.")
        super().save(*args, **kwargs)
