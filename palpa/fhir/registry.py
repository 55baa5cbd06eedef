"""The resources Palpa serves, their sources, search parameters and includes.

This registry is the one description of what the FHIR server does: the views run
searches and reads from it, and the CapabilityStatement is generated from it, so the
statement lists exactly what works.

A resource type has one or more *sources* (a Palpa model each): Observation comes from
instrument administrations, ROM measurements and pain-map entries; Encounter from
treatment notes and evaluations. Every source answers every search parameter of its
type (a parameter that cannot match a source's rows excludes them).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from django.db.models import Q, QuerySet

from palpa.accounts.models import User
from palpa.accounts.permissions import Capability
from palpa.care.models import Evaluation, RomMeasurement, TreatmentNote
from palpa.fhir import queries
from palpa.fhir.mapping import (
    careplan,
    condition,
    encounter,
    goal,
    location,
    observation,
    organization,
    patient,
    practitioner,
    procedure,
    servicerequest,
)
from palpa.fhir.mapping import common as c
from palpa.fhir.params import EVERYTHING, NOTHING, parse_reference, string_q, token_q
from palpa.outcomes.models import InstrumentAdministration

# A filter: (queryset, the values of one parameter occurrence (OR), modifier) -> queryset.
Filter = Callable[[QuerySet[Any], list[str], str], QuerySet[Any]]


@dataclass(frozen=True)
class Param:
    name: str
    type: str  # token | reference | date | string
    documentation: str


@dataclass
class Source:
    key: str
    queryset: Callable[[User], QuerySet[Any]]
    to_fhir: Callable[[Any, c.Context], c.JSON]
    patient: str  # lookup from the row to its patient ("" for Patient itself)
    dates: dict[str, str] = field(default_factory=dict)  # date param -> model field
    sorts: dict[str, str] = field(default_factory=dict)  # extra _sort names -> field
    filters: dict[str, Filter] = field(default_factory=dict)
    prefetch: tuple[str, ...] = ()


@dataclass
class ResourceType:
    name: str
    capability: Capability
    compartment: bool  # in the patient compartment (a patient's token may read it)
    sources: list[Source]
    params: list[Param]
    includes: dict[str, tuple[str, str]] = field(default_factory=dict)
    default_sort: tuple[str, ...] = ("-_lastUpdated",)
    documentation: str = ""

    def param(self, name: str) -> Param | None:
        return next((p for p in self.params if p.name == name), None)

    @property
    def sort_names(self) -> list[str]:
        names = {"_lastUpdated", "_id"}
        for source in self.sources:
            names |= set(source.dates) | set(source.sorts)
        return sorted(names)


def _q(build: Callable[[list[str], str], Q]) -> Filter:
    def apply(qs: QuerySet[Any], values: list[str], modifier: str) -> QuerySet[Any]:
        return qs.filter(build(values, modifier))

    return apply


def _fixed(system: str, code: str) -> Filter:
    """A token every row of the source has (e.g. its category)."""

    def match(s: str | None, v: str) -> Q | None:
        return EVERYTHING if v == code and s in (None, system) else None

    return _q(lambda values, _m: token_q(values, match))


def _status(mapping: dict[str, Q]) -> Filter:
    return _q(lambda values, _m: token_q(values, lambda _s, v: mapping.get(v)))


def _reference(lookup: str, resource_type: str, name: str) -> Filter:
    def build(values: list[str], _m: str) -> Q:
        found = NOTHING
        for value in values:
            public_id = parse_reference(name, value, resource_type)
            if public_id is not None:
                found |= Q(**{lookup: public_id})
        return found

    return _q(build)


def _strings(*fields: str) -> Filter:
    return _q(lambda values, modifier: string_q(list(fields), values, modifier))


# --- Patient ---------------------------------------------------------------------------


def _patient_identifier(values: list[str], _m: str) -> Q:
    def match(system: str | None, code: str) -> Q | None:
        if system is None or system == "":
            return Q(mrn=code)
        if system.startswith(c.MRN_SYSTEM_PREFIX):
            org = system.removeprefix(c.MRN_SYSTEM_PREFIX)
            return Q(mrn=code, organization__public_id=org) if _is_uuid(org) else None
        return None

    return token_q(values, match)


def _is_uuid(text: str) -> bool:
    from palpa.fhir.params import parse_uuid

    return parse_uuid(text) is not None


PATIENT = ResourceType(
    name="Patient",
    capability=Capability.VIEW_DEMOGRAPHICS,
    compartment=True,
    documentation="patients.Patient (patients entered in error are not served)",
    sources=[
        Source(
            key="patient",
            queryset=queries.fhir_patients,
            to_fhir=patient.to_fhir,
            patient="",
            dates={"birthdate": "date_of_birth"},
            sorts={"family": "family_name", "given": "given_name"},
            filters={
                "identifier": _q(_patient_identifier),
                "name": _strings("given_name", "family_name", "preferred_name"),
                "family": _strings("family_name"),
                "given": _strings("given_name", "preferred_name"),
                "gender": _q(lambda values, _m: token_q(values, lambda _s, v: Q(sex=v))),
            },
        )
    ],
    params=[
        Param("identifier", "token", "MRN: [system|]value (system urn:palpa:mrn:<org id>)"),
        Param("name", "string", "Given, family or preferred name (starts with)"),
        Param("family", "string", "Family name (starts with)"),
        Param("given", "string", "Given or preferred name (starts with)"),
        Param("birthdate", "date", "Date of birth"),
        Param("gender", "token", "Administrative gender"),
    ],
    includes={"Patient:organization": ("managingOrganization", "Organization")},
    default_sort=("family", "given"),
)

# --- Practitioner, Organization, Location ----------------------------------------------


def _npi(values: list[str], _m: str) -> Q:
    return token_q(values, lambda s, v: Q(npi=v) if s in (None, c.NPI) else None)


PRACTITIONER = ResourceType(
    name="Practitioner",
    capability=Capability.VIEW_PRACTITIONERS,
    compartment=False,
    documentation="practitioners.Practitioner with its licenses",
    sources=[
        Source(
            key="practitioner",
            queryset=queries.fhir_practitioners,
            to_fhir=practitioner.to_fhir,
            patient="",
            sorts={"family": "family_name", "given": "given_name"},
            filters={
                "identifier": _q(_npi),
                "name": _strings("given_name", "family_name"),
                "family": _strings("family_name"),
                "given": _strings("given_name"),
            },
        )
    ],
    params=[
        Param("identifier", "token", "NPI (http://hl7.org/fhir/sid/us-npi|value)"),
        Param("name", "string", "Given or family name (starts with)"),
        Param("family", "string", "Family name (starts with)"),
        Param("given", "string", "Given name (starts with)"),
    ],
    default_sort=("family", "given"),
)

ORGANIZATION = ResourceType(
    name="Organization",
    capability=Capability.VIEW_DEMOGRAPHICS,
    compartment=False,
    documentation="accounts.Organization: the client's own organization only",
    sources=[
        Source(
            key="organization",
            queryset=queries.fhir_organizations,
            to_fhir=organization.to_fhir,
            patient="",
            sorts={"name": "name"},
            filters={
                "identifier": _q(
                    lambda values, _m: token_q(
                        values,
                        lambda s, v: Q(slug=v) if s in (None, c.ORGANIZATION_SYSTEM) else None,
                    )
                ),
                "name": _strings("name"),
            },
        )
    ],
    params=[
        Param("identifier", "token", "The organization's slug (urn:palpa:organization|slug)"),
        Param("name", "string", "Name (starts with)"),
    ],
    default_sort=("name",),
)

LOCATION = ResourceType(
    name="Location",
    capability=Capability.VIEW_DEMOGRAPHICS,
    compartment=False,
    documentation="accounts.Location (clinics and medical spas)",
    sources=[
        Source(
            key="location",
            queryset=queries.fhir_locations,
            to_fhir=location.to_fhir,
            patient="",
            sorts={"name": "name"},
            filters={
                "name": _strings("name"),
                "address-state": _strings("region"),
                "status": _status({"active": Q(active=True), "inactive": Q(active=False)}),
            },
        )
    ],
    params=[
        Param("name", "string", "Name (starts with)"),
        Param("address-state", "string", "State (two-letter code)"),
        Param("status", "token", "active | inactive"),
    ],
    default_sort=("name",),
)

# --- Condition -------------------------------------------------------------------------

CONDITION = ResourceType(
    name="Condition",
    capability=Capability.VIEW_CLINICAL,
    compartment=True,
    documentation="care.Diagnosis of signed evaluations (ICD-10-CM)",
    sources=[
        Source(
            key="diagnosis",
            queryset=queries.fhir_diagnoses,
            to_fhir=condition.to_fhir,
            patient="evaluation__patient",
            dates={"recorded-date": "evaluation__evaluated_on"},
            filters={
                "code": _q(
                    lambda values, _m: token_q(
                        values,
                        lambda s, v: Q(code__iexact=v) if s in (None, c.ICD10CM) else None,
                    )
                ),
                "category": _fixed(c.CONDITION_CATEGORY, "encounter-diagnosis"),
                "encounter": _reference("evaluation__public_id", "Encounter", "encounter"),
                "verification-status": _status(
                    {
                        "provisional": Q(evaluation__status=Evaluation.Status.SIGNED),
                        "entered-in-error": Q(
                            evaluation__status=Evaluation.Status.ENTERED_IN_ERROR
                        ),
                    }
                ),
            },
        )
    ],
    params=[
        Param("code", "token", "ICD-10-CM code (http://hl7.org/fhir/sid/icd-10-cm|M54.50)"),
        Param("category", "token", "encounter-diagnosis"),
        Param("encounter", "reference", "The evaluation's Encounter"),
        Param("recorded-date", "date", "Date of the evaluation"),
        Param("verification-status", "token", "provisional | entered-in-error"),
    ],
    includes={"Condition:encounter": ("encounter", "Encounter")},
    default_sort=("-recorded-date",),
)

# --- Observation -----------------------------------------------------------------------


def _admin_code(values: list[str], _m: str) -> Q:
    from palpa.outcomes.library import load_library

    def match(system: str | None, code: str) -> Q | None:
        found = NOTHING
        if system in (None, c.INSTRUMENT):
            found |= Q(instrument__iexact=code)
        if system in (None, c.LOINC):
            ids = [i for i in load_library().ids() if code in observation.verified_loinc(i)]
            if ids:
                found |= Q(instrument__in=ids)
        return found

    return token_q(values, match)


def _rom_code(values: list[str], _m: str) -> Q:
    def match(system: str | None, code: str) -> Q | None:
        if system not in (None, c.ROM_MOTION) or "." not in code:
            return None
        joint, _, motion = code.partition(".")
        return Q(joint=joint, motion=motion)

    return token_q(values, match)


_OBSERVATION_PARAMS = [
    Param(
        "code",
        "token",
        "LOINC (verified codes only), urn:palpa:instrument|ID, "
        "urn:palpa:rom-motion|joint.motion or urn:palpa:finding|pain-intensity",
    ),
    Param("category", "token", "survey (instrument scores) | exam (ROM, pain map)"),
    Param("date", "date", "Date the measurement was taken"),
    Param("status", "token", "final | entered-in-error"),
]

OBSERVATION = ResourceType(
    name="Observation",
    capability=Capability.VIEW_CLINICAL,
    compartment=True,
    documentation="outcomes.InstrumentAdministration, care.RomMeasurement, care.PainMapEntry",
    sources=[
        Source(
            key="administration",
            queryset=queries.fhir_administrations,
            to_fhir=observation.administration_to_fhir,
            patient="patient",
            dates={"date": "administered_on"},
            filters={
                "code": _q(_admin_code),
                "category": _fixed(c.OBSERVATION_CATEGORY, "survey"),
                "status": _status(
                    {
                        "final": Q(status=InstrumentAdministration.Status.FINAL),
                        "entered-in-error": Q(
                            status=InstrumentAdministration.Status.ENTERED_IN_ERROR
                        ),
                    }
                ),
            },
        ),
        Source(
            key="rom",
            queryset=queries.fhir_rom,
            to_fhir=observation.rom_to_fhir,
            patient="patient",
            dates={"date": "measured_on"},
            filters={
                "code": _q(_rom_code),
                "category": _fixed(c.OBSERVATION_CATEGORY, "exam"),
                "status": _status(
                    {
                        "final": Q(status=RomMeasurement.Status.FINAL)
                        & ~Q(evaluation__status=Evaluation.Status.ENTERED_IN_ERROR),
                        "entered-in-error": Q(status=RomMeasurement.Status.ENTERED_IN_ERROR)
                        | Q(evaluation__status=Evaluation.Status.ENTERED_IN_ERROR),
                    }
                ),
            },
        ),
        Source(
            key="pain",
            queryset=queries.fhir_pain,
            to_fhir=observation.pain_to_fhir,
            patient="evaluation__patient",
            dates={"date": "evaluation__evaluated_on"},
            filters={
                "code": _fixed(c.FINDING, "pain-intensity"),
                "category": _fixed(c.OBSERVATION_CATEGORY, "exam"),
                "status": _status(
                    {
                        "final": Q(evaluation__status=Evaluation.Status.SIGNED),
                        "entered-in-error": Q(
                            evaluation__status=Evaluation.Status.ENTERED_IN_ERROR
                        ),
                    }
                ),
            },
        ),
    ],
    params=_OBSERVATION_PARAMS,
    includes={
        "Observation:patient": ("subject", "Patient"),
        "Observation:subject": ("subject", "Patient"),
        "Observation:encounter": ("encounter", "Encounter"),
    },
    default_sort=("-date",),
)

# --- Goal, CarePlan --------------------------------------------------------------------


def _plan_status(field_prefix: str, mapping: dict[str, str]) -> Filter:
    reverse: dict[str, Q] = {}
    for palpa_status, fhir_status in mapping.items():
        reverse[fhir_status] = reverse.get(fhir_status, NOTHING) | Q(
            **{f"{field_prefix}status": palpa_status}
        )
    return _status(reverse)


GOAL = ResourceType(
    name="Goal",
    capability=Capability.VIEW_CLINICAL,
    compartment=True,
    documentation="care.Goal of signed plans of care; achievementStatus computed",
    sources=[
        Source(
            key="goal",
            queryset=queries.fhir_goals,
            to_fhir=goal.to_fhir,
            patient="plan__patient",
            dates={"target-date": "due_on", "start-date": "baseline_on"},
            filters={"lifecycle-status": _plan_status("plan__", dict(goal.LIFECYCLE))},
        )
    ],
    params=[
        Param("lifecycle-status", "token", "active | completed | cancelled | entered-in-error"),
        Param("target-date", "date", "Due date of the target"),
        Param("start-date", "date", "Date of the baseline"),
    ],
    default_sort=("target-date",),
)

CAREPLAN = ResourceType(
    name="CarePlan",
    capability=Capability.VIEW_CLINICAL,
    compartment=True,
    documentation="care.Plan (signed versions; drafts are not served)",
    sources=[
        Source(
            key="plan",
            queryset=queries.fhir_plans,
            to_fhir=careplan.to_fhir,
            patient="patient",
            dates={"date": "starts_on"},
            filters={
                "status": _plan_status("", dict(careplan.STATUS)),
                "category": _fixed(c.US_CORE_CAREPLAN_CATEGORY, "assess-plan"),
                "intent": _status({"plan": EVERYTHING}),
            },
            prefetch=("goals", "home_care"),
        )
    ],
    params=[
        Param("status", "token", "active | completed | revoked (superseded) | entered-in-error"),
        Param("category", "token", "assess-plan"),
        Param("intent", "token", "plan"),
        Param("date", "date", "Start of the plan's period"),
    ],
    includes={"CarePlan:goal": ("goal", "Goal")},
    default_sort=("-date",),
)

# --- Encounter, Procedure --------------------------------------------------------------

_FINISHED_NOTE = {
    "finished": Q(status=TreatmentNote.Status.SIGNED),
    "entered-in-error": Q(status=TreatmentNote.Status.ENTERED_IN_ERROR),
}
_FINISHED_EVALUATION = {
    "finished": Q(status=Evaluation.Status.SIGNED),
    "entered-in-error": Q(status=Evaluation.Status.ENTERED_IN_ERROR),
}

ENCOUNTER = ResourceType(
    name="Encounter",
    capability=Capability.VIEW_CLINICAL,
    compartment=True,
    documentation="care.TreatmentNote (treatment visits) and care.Evaluation (evaluations)",
    sources=[
        Source(
            key="note",
            queryset=queries.fhir_notes,
            to_fhir=encounter.note_to_fhir,
            patient="patient",
            dates={"date": "visit_date"},
            filters={
                "status": _status(_FINISHED_NOTE),
                "class": _fixed(c.ACT_CODE, "AMB"),
                "type": _fixed(c.ENCOUNTER_TYPE, "treatment-visit"),
            },
        ),
        Source(
            key="evaluation",
            queryset=queries.fhir_evaluations,
            to_fhir=encounter.evaluation_to_fhir,
            patient="patient",
            dates={"date": "evaluated_on"},
            filters={
                "status": _status(_FINISHED_EVALUATION),
                "class": _fixed(c.ACT_CODE, "AMB"),
                "type": _fixed(c.ENCOUNTER_TYPE, "evaluation"),
            },
            prefetch=("diagnoses",),
        ),
    ],
    params=[
        Param("date", "date", "Day of the visit"),
        Param("status", "token", "finished | entered-in-error"),
        Param("class", "token", "AMB"),
        Param("type", "token", "urn:palpa:encounter-type|treatment-visit or evaluation"),
    ],
    default_sort=("-date",),
)

PROCEDURE = ResourceType(
    name="Procedure",
    capability=Capability.VIEW_CLINICAL,
    compartment=True,
    documentation="care.TechniqueEntry of signed treatment notes",
    sources=[
        Source(
            key="technique",
            queryset=queries.fhir_techniques,
            to_fhir=procedure.to_fhir,
            patient="note__patient",
            dates={"date": "note__visit_date"},
            filters={
                "code": _q(
                    lambda values, _m: token_q(
                        values,
                        lambda s, v: Q(technique=v) if s in (None, c.TECHNIQUE) else None,
                    )
                ),
                "status": _status(
                    {
                        "completed": Q(note__status=TreatmentNote.Status.SIGNED),
                        "entered-in-error": Q(note__status=TreatmentNote.Status.ENTERED_IN_ERROR),
                    }
                ),
                "encounter": _reference("note__public_id", "Encounter", "encounter"),
            },
        )
    ],
    params=[
        Param("code", "token", "Technique (urn:palpa:technique|myofascial_release)"),
        Param("date", "date", "Day of the visit"),
        Param("status", "token", "completed | entered-in-error"),
        Param("encounter", "reference", "The treatment visit's Encounter"),
    ],
    includes={
        "Procedure:patient": ("subject", "Patient"),
        "Procedure:encounter": ("encounter", "Encounter"),
    },
    default_sort=("-date",),
)

# --- ServiceRequest --------------------------------------------------------------------

SERVICE_REQUEST = ResourceType(
    name="ServiceRequest",
    capability=Capability.EDIT_DEMOGRAPHICS,  # the roles that may read referrals
    compartment=True,
    documentation="referrals.Referral (the physician's prescription)",
    sources=[
        Source(
            key="referral",
            queryset=queries.fhir_referrals,
            to_fhir=servicerequest.to_fhir,
            patient="patient",
            dates={"occurrence": "starts_on", "authored": "created_at__date"},
            filters={
                "intent": _status({"order": EVERYTHING}),
                "reason-code": _q(
                    lambda values, _m: token_q(
                        values,
                        lambda s, v: (
                            Q(diagnoses__icontains=f'"{v}"') if s in (None, c.ICD10CM) else None
                        ),
                    )
                ),
            },
        )
    ],
    params=[
        Param("intent", "token", "order"),
        Param("occurrence", "date", "Start of the authorized period"),
        Param("authored", "date", "Day the referral was recorded"),
        Param("reason-code", "token", "ICD-10-CM diagnosis of the referral"),
    ],
    includes={"ServiceRequest:patient": ("subject", "Patient")},
    default_sort=("-occurrence",),
)

# Patient-compartment types get patient/subject; Goal and CarePlan get includes too.
for _type in (CONDITION, GOAL, CAREPLAN, ENCOUNTER):
    _type.includes.setdefault(f"{_type.name}:patient", ("subject", "Patient"))
    _type.includes.setdefault(f"{_type.name}:subject", ("subject", "Patient"))

_TYPES = [
    PATIENT,
    PRACTITIONER,
    ORGANIZATION,
    LOCATION,
    CONDITION,
    OBSERVATION,
    GOAL,
    CAREPLAN,
    ENCOUNTER,
    PROCEDURE,
    SERVICE_REQUEST,
]


@cache
def registry() -> dict[str, ResourceType]:
    return {t.name: t for t in _TYPES}


def resource_types() -> list[str]:
    return [t.name for t in _TYPES]


def get_type(name: str) -> ResourceType | None:
    return registry().get(name)
