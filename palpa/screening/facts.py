"""Intake facts for safety screening: the typed schema, parsing and validation.

Pure (no database, no I/O). ``parse_facts`` turns a JSON document into ``Facts`` or raises
``FactsError`` listing every bad field by its path (``surgeries[0].date: ...``). Unknown
fields are errors too, so a misspelt red flag can never be silently ignored.

The schema is described once, in field metadata (``_spec``): the parser, the rule-set
loader (which checks that every fact a rule names exists and has the right kind) and the
engine's plain-language labels all read it. docs/screening.md documents it field by field.

Body-region codes are not fixed here: they come from the rule set (``regions`` in
``data/rules.json``) and are passed to ``parse_facts``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, cast

Kind = Literal[
    "bool", "int", "date", "code", "codes", "region", "regions", "text", "object", "list"
]


@dataclass(frozen=True)
class Spec:
    """What one field holds. ``item`` is the dataclass of an ``object`` or ``list`` field."""

    kind: Kind
    label: str
    codes: tuple[str, ...] = ()
    item: type | None = None
    required: bool = False
    minimum: int | None = None
    maximum: int | None = None


def _m(kind: Kind, label: str, **kw: Any) -> dict[str, Spec]:
    """Field metadata: the field's ``Spec``."""
    return {"spec": Spec(kind, label, **kw)}


def spec_of(f: dataclasses.Field[Any]) -> Spec:
    return cast(Spec, f.metadata["spec"])


# --- coded values --------------------------------------------------------------------

STATUSES = ("current", "past", "suspected")


@dataclass(frozen=True)
class ConditionCode:
    label: str
    qualifiers: tuple[str, ...] = ()
    needs_regions: bool = False
    may_be_suspected: bool = False
    infection: bool = False


_ARTHRITIS_QUALIFIERS = ("flare", "systemically_unwell")
_SKIN_QUALIFIERS = ("contagious", "widespread")

CONDITION_CODES: dict[str, ConditionCode] = {
    "arrhythmia": ConditionCode("an irregular heart rhythm"),
    "bleeding_disorder": ConditionCode("a bleeding disorder"),
    "carotid_sinus_hypersensitivity": ConditionCode("carotid sinus hypersensitivity"),
    "cellulitis": ConditionCode(
        "cellulitis (a skin infection)", needs_regions=True, infection=True
    ),
    "diabetic_neuropathy": ConditionCode("diabetic nerve damage", ("ulcers",)),
    "dvt": ConditionCode(
        "a blood clot in a deep vein (DVT)", needs_regions=True, may_be_suspected=True
    ),
    "fever": ConditionCode("a fever"),
    "fracture": ConditionCode("a broken bone", needs_regions=True, may_be_suspected=True),
    "heart_failure": ConditionCode("heart failure", ("decompensated",)),
    "hypertension": ConditionCode(
        "high blood pressure", ("uncontrolled", "crisis", "crisis_symptoms")
    ),
    "hyperthyroidism": ConditionCode("an overactive thyroid"),
    "immunosuppression": ConditionCode("a weakened immune system"),
    "inflammatory_arthritis": ConditionCode("inflammatory arthritis", _ARTHRITIS_QUALIFIERS),
    "kidney_failure": ConditionCode("kidney failure", ("acute",)),
    "local_infection": ConditionCode("a local infection", needs_regions=True, infection=True),
    "lupus": ConditionCode("lupus", _ARTHRITIS_QUALIFIERS),
    "lymphedema": ConditionCode("lymphoedema (lymph swelling)", needs_regions=True),
    "oedema_of_unknown_cause": ConditionCode("swelling without a known cause", needs_regions=True),
    "open_wound": ConditionCode("an open wound", _SKIN_QUALIFIERS, needs_regions=True),
    "osteoporosis": ConditionCode("osteoporosis (thin bones)", ("prior_fragility_fracture",)),
    "other": ConditionCode("another condition"),
    "rash": ConditionCode("a rash", _SKIN_QUALIFIERS, needs_regions=True),
    "rheumatoid_arthritis": ConditionCode("rheumatoid arthritis", _ARTHRITIS_QUALIFIERS),
    "superficial_thrombophlebitis": ConditionCode(
        "an inflamed vein near the skin (superficial thrombophlebitis)", needs_regions=True
    ),
    "systemic_infection": ConditionCode("an infection that affects the whole body"),
    "thrombophilia": ConditionCode("a clotting disorder (thrombophilia)"),
    "undiagnosed_lesion": ConditionCode(
        "a skin change not yet seen by a doctor", _SKIN_QUALIFIERS, needs_regions=True
    ),
    "varicose_veins": ConditionCode("varicose veins", needs_regions=True),
}

ALL_QUALIFIERS = tuple(sorted({q for c in CONDITION_CODES.values() for q in c.qualifiers}))
ANTIBIOTICS = ("none", "started", "improving")
MEDICATION_KINDS = ("anticoagulant", "antiplatelet", "corticosteroid", "immunosuppressant", "other")
CANCER_STATUSES = ("active", "under_treatment", "remission", "past")
DEVICE_KINDS = ("port", "av_fistula", "pacemaker", "neurostimulator", "pump", "other")
PREGNANCY_COMPLICATIONS = ("bleeding", "pre_eclampsia", "placental_problem", "other")
BP_SYMPTOMS = (
    "chest_pain",
    "shortness_of_breath",
    "neurological_signs",
    "vision_change",
    "severe_headache",
)
# Plausible measured blood pressure (mmHg): outside these a reading is a typing error.
SYSTOLIC_RANGE = (50, 300)
DIASTOLIC_RANGE = (20, 200)

CODE_LABELS: dict[str, str] = {
    **{code: c.label for code, c in CONDITION_CODES.items()},
    "anticoagulant": "a blood thinner (anticoagulant)",
    "antiplatelet": "an antiplatelet medicine",
    "corticosteroid": "a steroid medicine",
    "immunosuppressant": "a medicine that weakens the immune system",
    "port": "an implanted port",
    "av_fistula": "a dialysis fistula",
    "pacemaker": "a pacemaker",
    "neurostimulator": "a nerve stimulator",
    "pump": "an implanted pump",
    "bleeding": "bleeding",
    "pre_eclampsia": "pre-eclampsia",
    "placental_problem": "a problem with the placenta",
    "active": "active",
    "under_treatment": "under treatment",
    "remission": "in remission",
    "past": "in the past",
    "decompensated": "not under control (decompensated)",
    "prior_fragility_fracture": "a previous fracture from a minor fall",
    "ulcers": "foot ulcers",
    "uncontrolled": "not under control",
    "crisis": "in the crisis range",
    "crisis_symptoms": "with symptoms of a blood-pressure crisis",
    "flare": "flaring",
    "systemically_unwell": "feeling unwell in the whole body",
    "contagious": "contagious",
    "widespread": "widespread",
    "acute": "sudden (acute)",
    "chest_pain": "chest pain",
    "shortness_of_breath": "shortness of breath",
    "neurological_signs": "new confusion, weakness, numbness or trouble speaking",
    "vision_change": "a change in vision",
    "severe_headache": "a severe headache",
}


# --- the schema ----------------------------------------------------------------------


@dataclass(frozen=True)
class Condition:
    code: str = field(metadata=_m("code", "condition", codes=tuple(CONDITION_CODES), required=True))
    status: str = field(default="current", metadata=_m("code", "status", codes=STATUSES))
    regions: tuple[str, ...] = field(default=(), metadata=_m("regions", "body regions affected"))
    onset: dt.date | None = field(
        default=None, metadata=_m("date", "date it started or was diagnosed")
    )
    qualifiers: tuple[str, ...] = field(
        default=(), metadata=_m("codes", "details", codes=ALL_QUALIFIERS)
    )
    antibiotics: str | None = field(
        default=None, metadata=_m("code", "antibiotic treatment", codes=ANTIBIOTICS)
    )
    antibiotics_started: dt.date | None = field(
        default=None, metadata=_m("date", "date antibiotics started")
    )
    note: str = field(default="", metadata=_m("text", "note"))

    def __post_init__(self) -> None:
        # An infection whose treatment is not given is untreated (docs/screening.md: missing
        # means none), so that the untreated-infection referral and the MLD stop apply; a
        # start date without a status is "started" (on antibiotics, not yet improving).
        spec = CONDITION_CODES.get(self.code)
        if spec is not None and spec.infection and self.antibiotics is None:
            given = "started" if self.antibiotics_started is not None else "none"
            object.__setattr__(self, "antibiotics", given)

    def check(self, path: str) -> list[FieldError]:
        spec = CONDITION_CODES.get(self.code)
        if spec is None:
            return []
        errors = []
        bad = [q for q in self.qualifiers if q not in spec.qualifiers]
        if bad:
            allowed = ", ".join(spec.qualifiers) or "none"
            errors.append(
                FieldError(
                    f"{path}.qualifiers",
                    f"{', '.join(bad)} does not apply to {self.code} (allowed: {allowed})",
                )
            )
        if self.status == "suspected" and not spec.may_be_suspected:
            errors.append(
                FieldError(f"{path}.status", "'suspected' applies only to dvt and fracture")
            )
        if self.code == "dvt" and self.status == "past" and self.onset is None:
            # The DVT precautions last 6 months from the clot: without its date a past
            # clot could be last month's, and no rule could tell (issue 18 review).
            errors.append(
                FieldError(
                    f"{path}.onset",
                    "required for a past dvt (the 6-month precautions count from it)",
                )
            )
        if spec.needs_regions and not self.regions:
            errors.append(FieldError(f"{path}.regions", f"{self.code} needs at least one region"))
        if not spec.infection and (self.antibiotics is not None or self.antibiotics_started):
            errors.append(
                FieldError(f"{path}.antibiotics", "applies only to cellulitis and local_infection")
            )
        if self.antibiotics in ("started", "improving") and self.antibiotics_started is None:
            errors.append(
                FieldError(f"{path}.antibiotics_started", "required when antibiotics are taken")
            )
        if self.antibiotics == "none" and self.antibiotics_started is not None:
            errors.append(
                FieldError(f"{path}.antibiotics_started", "given but antibiotics is none")
            )
        return errors

    def describe(self, regions: Mapping[str, str]) -> str:
        text = CODE_LABELS[self.code]
        if self.code == "other" and self.note:
            text = self.note
        if self.status == "suspected":
            text = f"possible {text}"
        if self.qualifiers:
            text += " (" + ", ".join(CODE_LABELS[q] for q in self.qualifiers) + ")"
        return text + _where(self.regions, regions)


@dataclass(frozen=True)
class Medication:
    name: str = field(metadata=_m("text", "medicine name", required=True))
    kind: str = field(
        metadata=_m("code", "kind of medicine", codes=MEDICATION_KINDS, required=True)
    )

    def describe(self, regions: Mapping[str, str]) -> str:
        if self.kind == "other":
            return self.name
        return f"{self.name}, {CODE_LABELS[self.kind]}"


@dataclass(frozen=True)
class Bleeding:
    inr_unstable: bool = field(
        default=False, metadata=_m("bool", "INR reported as unstable by the prescriber")
    )
    platelets_low: bool = field(
        default=False, metadata=_m("bool", "platelet count reported as low by a physician")
    )


@dataclass(frozen=True)
class Surgery:
    region: str = field(metadata=_m("region", "where", required=True))
    date: dt.date = field(metadata=_m("date", "date of surgery", required=True))
    procedure: str = field(default="", metadata=_m("text", "procedure"))

    def describe(self, regions: Mapping[str, str]) -> str:
        what = self.procedure or "surgery"
        return f"{what} on the {regions[self.region]} on {self.date.isoformat()}"


@dataclass(frozen=True)
class Cancer:
    status: str = field(metadata=_m("code", "status", codes=CANCER_STATUSES, required=True))
    site: str = field(default="", metadata=_m("text", "where the cancer started"))
    diagnosed: dt.date | None = field(default=None, metadata=_m("date", "date diagnosed"))
    treatment_ended: dt.date | None = field(
        default=None, metadata=_m("date", "date treatment ended")
    )
    metastatic: bool = field(default=False, metadata=_m("bool", "cancer has spread"))
    tumour_regions: tuple[str, ...] = field(default=(), metadata=_m("regions", "tumour sites"))
    bone_metastases: tuple[str, ...] = field(
        default=(), metadata=_m("regions", "bone metastasis sites")
    )
    radiation_fields: tuple[str, ...] = field(
        default=(), metadata=_m("regions", "radiation treatment areas")
    )

    def describe(self, regions: Mapping[str, str]) -> str:
        name = f"{self.site} cancer" if self.site else "cancer"
        text = f"{name} ({CODE_LABELS[self.status]})"
        if self.metastatic or self.bone_metastases:
            text += ", which has spread"
        return text


@dataclass(frozen=True)
class LymphNodeRemoval:
    region: str = field(metadata=_m("region", "limb at risk of lymphoedema", required=True))
    date: dt.date | None = field(default=None, metadata=_m("date", "date of removal"))

    def describe(self, regions: Mapping[str, str]) -> str:
        return f"lymph nodes removed, {regions[self.region]} at risk of swelling"


@dataclass(frozen=True)
class Device:
    kind: str = field(metadata=_m("code", "kind of device", codes=DEVICE_KINDS, required=True))
    region: str = field(metadata=_m("region", "where", required=True))
    note: str = field(default="", metadata=_m("text", "note"))

    def describe(self, regions: Mapping[str, str]) -> str:
        what = self.note if self.kind == "other" and self.note else CODE_LABELS[self.kind]
        return f"{what} in the {regions[self.region]}"


@dataclass(frozen=True)
class Pregnancy:
    weeks: int | None = field(
        default=None, metadata=_m("int", "weeks pregnant", minimum=0, maximum=45)
    )
    complications: tuple[str, ...] = field(
        default=(), metadata=_m("codes", "pregnancy complications", codes=PREGNANCY_COMPLICATIONS)
    )


@dataclass(frozen=True)
class BloodPressure:
    """A blood pressure measured by the clinic (or reported with its date). Only a reading
    measured on the day of the screening (``measured_on == as_of``) is today's reading."""

    systolic: int = field(
        metadata=_m(
            "int",
            "systolic (mmHg)",
            required=True,
            minimum=SYSTOLIC_RANGE[0],
            maximum=SYSTOLIC_RANGE[1],
        )
    )
    diastolic: int = field(
        metadata=_m(
            "int",
            "diastolic (mmHg)",
            required=True,
            minimum=DIASTOLIC_RANGE[0],
            maximum=DIASTOLIC_RANGE[1],
        )
    )
    measured_on: dt.date = field(metadata=_m("date", "date measured", required=True))
    symptoms: tuple[str, ...] = field(
        default=(),
        metadata=_m("codes", "symptoms at the time of the reading", codes=BP_SYMPTOMS),
    )

    def check(self, path: str) -> list[FieldError]:
        if self.diastolic >= self.systolic:
            return [
                FieldError(
                    f"{path}.diastolic",
                    f"must be lower than the systolic ({self.diastolic} is not below "
                    f"{self.systolic})",
                )
            ]
        return []


@dataclass(frozen=True)
class LowBackFlags:
    # cauda equina
    bladder_dysfunction: bool = field(
        default=False, metadata=_m("bool", "new bladder problems (retention, leaking, urgency)")
    )
    bowel_incontinence: bool = field(default=False, metadata=_m("bool", "loss of bowel control"))
    saddle_numbness: bool = field(
        default=False, metadata=_m("bool", "numbness in the saddle or back-passage area")
    )
    leg_weakness: bool = field(
        default=False, metadata=_m("bool", "severe or worsening leg weakness")
    )
    gait_disturbance: bool = field(default=False, metadata=_m("bool", "new trouble walking"))
    bilateral_sciatica: bool = field(default=False, metadata=_m("bool", "sciatica in both legs"))
    # cancer
    first_episode: bool = field(
        default=False, metadata=_m("bool", "this back pain is new (a first episode)")
    )
    unexplained_weight_loss: bool = field(
        default=False, metadata=_m("bool", "weight loss without a known reason")
    )
    night_pain: bool = field(
        default=False, metadata=_m("bool", "pain at night not eased by changing position")
    )
    failure_to_improve: bool = field(
        default=False, metadata=_m("bool", "no improvement after about a month of care")
    )
    pain_at_several_sites: bool = field(
        default=False, metadata=_m("bool", "pain in several places")
    )
    # infection
    fever_or_chills: bool = field(
        default=False, metadata=_m("bool", "fever, chills or shivering fits")
    )
    iv_drug_use: bool = field(default=False, metadata=_m("bool", "injecting drugs"))
    recent_bacterial_infection: bool = field(
        default=False, metadata=_m("bool", "a recent bacterial infection")
    )
    penetrating_wound: bool = field(default=False, metadata=_m("bool", "a penetrating wound"))
    # fracture
    major_trauma: bool = field(default=False, metadata=_m("bool", "a major injury"))
    minor_trauma: bool = field(default=False, metadata=_m("bool", "a minor fall, injury or strain"))
    structural_deformity: bool = field(
        default=False, metadata=_m("bool", "a change in the shape of the spine")
    )
    central_pain_eased_lying: bool = field(
        default=False,
        metadata=_m("bool", "severe pain in the middle of the back, eased by lying down"),
    )


@dataclass(frozen=True)
class NeckFlags:
    trauma: bool = field(default=False, metadata=_m("bool", "a recent injury to the neck or head"))
    # myelopathy
    gait_balance_loss: bool = field(
        default=False, metadata=_m("bool", "loss of balance or trouble walking")
    )
    hand_clumsiness: bool = field(default=False, metadata=_m("bool", "clumsy hands"))
    bilateral_limb_symptoms: bool = field(
        default=False, metadata=_m("bool", "symptoms in both arms or both legs")
    )
    bowel_bladder_change: bool = field(
        default=False, metadata=_m("bool", "a change in bladder or bowel control")
    )
    # vascular
    dizziness: bool = field(default=False, metadata=_m("bool", "dizziness"))
    double_vision: bool = field(default=False, metadata=_m("bool", "double vision"))
    speech_difficulty: bool = field(default=False, metadata=_m("bool", "trouble speaking"))
    swallowing_difficulty: bool = field(default=False, metadata=_m("bool", "trouble swallowing"))
    drop_attacks: bool = field(
        default=False, metadata=_m("bool", "sudden falls without warning (drop attacks)")
    )
    nystagmus: bool = field(default=False, metadata=_m("bool", "jerking eye movements (nystagmus)"))
    nausea: bool = field(default=False, metadata=_m("bool", "nausea"))
    numbness: bool = field(default=False, metadata=_m("bool", "numbness"))
    new_severe_headache: bool = field(default=False, metadata=_m("bool", "a new, severe headache"))
    # signs of stroke, TIA or cervical artery dissection (with speech_difficulty,
    # double_vision and drop_attacks above): an emergency wherever the pain is
    one_sided_weakness: bool = field(
        default=False,
        metadata=_m(
            "bool", "new numbness or weakness of the face, or of an arm or leg on one side"
        ),
    )
    loss_of_coordination: bool = field(
        default=False, metadata=_m("bool", "new loss of coordination")
    )
    sudden_severe_headache: bool = field(
        default=False, metadata=_m("bool", "a sudden, very severe headache (the worst ever)")
    )
    # infection and cancer
    fever_or_chills: bool = field(
        default=False, metadata=_m("bool", "fever, chills or shivering fits")
    )
    unexplained_weight_loss: bool = field(
        default=False, metadata=_m("bool", "weight loss without a known reason")
    )
    night_pain: bool = field(
        default=False, metadata=_m("bool", "pain at night not eased by changing position")
    )


@dataclass(frozen=True)
class RedFlags:
    low_back: LowBackFlags | None = field(
        default=None, metadata=_m("object", "low back pain", item=LowBackFlags)
    )
    neck: NeckFlags | None = field(default=None, metadata=_m("object", "neck pain", item=NeckFlags))


@dataclass(frozen=True)
class Facts:
    as_of: dt.date = field(metadata=_m("date", "date of screening", required=True))
    date_of_birth: dt.date | None = field(default=None, metadata=_m("date", "date of birth"))
    conditions: tuple[Condition, ...] = field(
        default=(), metadata=_m("list", "conditions", item=Condition)
    )
    medications: tuple[Medication, ...] = field(
        default=(), metadata=_m("list", "current medications", item=Medication)
    )
    bleeding: Bleeding | None = field(
        default=None, metadata=_m("object", "bleeding risk reported by a physician", item=Bleeding)
    )
    surgeries: tuple[Surgery, ...] = field(
        default=(), metadata=_m("list", "surgeries", item=Surgery)
    )
    cancer: tuple[Cancer, ...] = field(
        default=(), metadata=_m("list", "cancer history", item=Cancer)
    )
    lymph_node_removal: tuple[LymphNodeRemoval, ...] = field(
        default=(), metadata=_m("list", "lymph node removal", item=LymphNodeRemoval)
    )
    devices: tuple[Device, ...] = field(
        default=(), metadata=_m("list", "implanted devices and ports", item=Device)
    )
    pregnancy: Pregnancy | None = field(
        default=None, metadata=_m("object", "pregnancy", item=Pregnancy)
    )
    blood_pressure: BloodPressure | None = field(
        default=None, metadata=_m("object", "blood pressure", item=BloodPressure)
    )
    red_flags: RedFlags | None = field(
        default=None, metadata=_m("object", "red-flag questions", item=RedFlags)
    )

    @property
    def age(self) -> int | None:
        """Whole years at ``as_of``; None without a date of birth."""
        born = self.date_of_birth
        if born is None:
            return None
        before_birthday = (self.as_of.month, self.as_of.day) < (born.month, born.day)
        return self.as_of.year - born.year - int(before_birthday)


# Facts computed from others, usable in rule conditions like stored ones.
DERIVED: dict[str, Spec] = {"age": Spec("int", "age")}

_DESCRIBED = (Condition, Medication, Surgery, Cancer, LymphNodeRemoval, Device)


def describe_item(item: object, regions: Mapping[str, str]) -> str:
    """Plain words for one list entry (a condition, a medicine, a surgery...)."""
    if isinstance(item, _DESCRIBED):
        return item.describe(regions)
    return type(item).__name__.lower()


def _where(codes: Sequence[str], regions: Mapping[str, str]) -> str:
    if not codes:
        return ""
    return " on the " + join_words([regions[c] for c in codes])


def join_words(words: Sequence[str], last: str = "and") -> str:
    if len(words) <= 1:
        return "".join(words)
    return ", ".join(words[:-1]) + f" {last} " + words[-1]


# --- schema look-up (for the rule-set loader) -----------------------------------------


def field_spec(path: str, root: type = Facts) -> Spec | None:
    """The spec of a dotted path below ``root`` (not crossing lists), or None if unknown."""
    parts = path.split(".")
    cls: type | None = root
    spec: Spec | None = None
    for i, part in enumerate(parts):
        if cls is None:
            return None
        if i == 0 and root is Facts and part in DERIVED and len(parts) == 1:
            return DERIVED[part]
        found = {f.name: f for f in dataclasses.fields(cls)}.get(part)
        if found is None:
            return None
        spec = spec_of(found)
        cls = spec.item if spec.kind == "object" else None
        if spec.kind == "list" and i != len(parts) - 1:
            return None
    return spec


# --- parsing -------------------------------------------------------------------------


@dataclass(frozen=True)
class FieldError:
    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


class FactsError(ValueError):
    def __init__(self, errors: Sequence[FieldError]) -> None:
        self.errors = list(errors)
        super().__init__("\n".join(str(e) for e in self.errors))


_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class _Parser:
    def __init__(self, regions: Collection[str]) -> None:
        self.regions = set(regions)
        self.errors: list[FieldError] = []
        self.dates: list[tuple[str, dt.date]] = []

    def fail(self, path: str, message: str) -> None:
        self.errors.append(FieldError(path, message))

    def obj(self, cls: type, raw: object, path: str) -> Any:
        if not isinstance(raw, dict):
            self.fail(path or "(top level)", "expected an object")
            return None
        known = {f.name: f for f in dataclasses.fields(cls)}
        for key in raw:
            if key not in known:
                self.fail(_join(path, str(key)), "unknown fact")
        values: dict[str, Any] = {}
        before = len(self.errors)
        for name, f in known.items():
            spec = spec_of(f)
            sub = _join(path, name)
            if name not in raw or raw[name] is None:
                if spec.required:
                    self.fail(sub, "required")
                continue
            values[name] = self.value(spec, raw[name], sub)
        if len(self.errors) > before:
            return None
        instance = cls(**values)
        check: Callable[[str], list[FieldError]] | None = getattr(instance, "check", None)
        if check is not None:
            self.errors.extend(check(path))
        return instance

    def value(self, spec: Spec, raw: object, path: str) -> Any:
        kind = spec.kind
        if kind == "bool":
            if not isinstance(raw, bool):
                self.fail(path, f"expected true or false, got {raw!r}")
            return raw
        if kind == "int":
            if not isinstance(raw, int) or isinstance(raw, bool):
                self.fail(path, f"expected a whole number, got {raw!r}")
                return None
            if (spec.minimum is not None and raw < spec.minimum) or (
                spec.maximum is not None and raw > spec.maximum
            ):
                self.fail(path, f"expected {spec.minimum} to {spec.maximum}, got {raw}")
            return raw
        if kind == "text":
            if not isinstance(raw, str):
                self.fail(path, f"expected text, got {raw!r}")
            return raw
        if kind == "date":
            return self.date(raw, path)
        if kind in ("code", "region"):
            return self.code(spec, raw, path)
        if kind in ("codes", "regions", "list"):
            if not isinstance(raw, list):
                self.fail(path, "expected a list")
                return ()
            if kind == "list":
                assert spec.item is not None
                return tuple(self.obj(spec.item, x, f"{path}[{i}]") for i, x in enumerate(raw))
            items = tuple(self.code(spec, x, f"{path}[{i}]") for i, x in enumerate(raw))
            if len(set(items)) != len(items):
                self.fail(path, "lists a value twice")
            return items
        assert kind == "object"
        assert spec.item is not None
        return self.obj(spec.item, raw, path)

    def date(self, raw: object, path: str) -> dt.date | None:
        if isinstance(raw, str) and _DATE.match(raw):
            try:
                day = dt.date.fromisoformat(raw)
            except ValueError:
                pass
            else:
                self.dates.append((path, day))
                return day
        self.fail(path, f"expected an ISO date (YYYY-MM-DD), got {raw!r}")
        return None

    def code(self, spec: Spec, raw: object, path: str) -> str:
        allowed = self.regions if spec.kind in ("region", "regions") else set(spec.codes)
        if not isinstance(raw, str) or raw not in allowed:
            what = "region" if spec.kind in ("region", "regions") else "value"
            listed = "" if what == "region" else f" (one of: {', '.join(spec.codes)})"
            self.fail(path, f"unknown {what} {raw!r}{listed}")
            return str(raw)
        return raw


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def parse_facts(raw: object, *, regions: Collection[str]) -> Facts:
    """Validate a JSON-shaped document and return typed facts, or raise ``FactsError``.

    ``regions`` are the body-region codes of the rule set in use. Every date other than
    ``as_of`` must be on or before ``as_of``.
    """
    parser = _Parser(regions)
    facts = parser.obj(Facts, raw, "")
    as_of = next((day for path, day in parser.dates if path == "as_of"), None)
    if as_of is not None:
        for path, day in parser.dates:
            if path != "as_of" and day > as_of:
                parser.fail(path, f"{day.isoformat()} is after as_of ({as_of.isoformat()})")
    if parser.errors:
        raise FactsError(sorted(set(parser.errors), key=lambda e: e.path))
    return cast(Facts, facts)
