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

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from django.db.models import DateTimeField, F, OuterRef, Q, QuerySet, Subquery
from django.db.models.expressions import Combinable
from django.db.models.functions import Coalesce, Greatest

from palpa.accounts.models import User
from palpa.accounts.permissions import Capability
from palpa.billing.models import Charge
from palpa.billing.services import code_map
from palpa.care.models import Evaluation, Goal, Plan, RomMeasurement, TreatmentNote
from palpa.fhir import queries
from palpa.fhir.mapping import (
    appointment,
    careplan,
    condition,
    consent,
    documentreference,
    encounter,
    goal,
    location,
    observation,
    organization,
    patient,
    practitioner,
    practitionerrole,
    procedure,
    provenance,
    questionnaire,
    schedule,
    servicerequest,
    slot,
)
from palpa.fhir.mapping import common as c
from palpa.fhir.params import (
    EVERYTHING,
    NOTHING,
    EndCondition,
    parse_reference,
    parse_token,
    parse_uuid,
    string_q,
    token_q,
)
from palpa.outcomes.library import load_library
from palpa.outcomes.models import InstrumentAdministration
from palpa.practitioners.models import License
from palpa.reports.models import Report
from palpa.scheduling.models import Appointment, AppointmentType, WorkingHours

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
    instants: tuple[str, ...] = ()  # date params whose field is a time stamp, not a date
    # date params on a period of whole days -> (first day field, last day field); such a
    # param is also in ``dates`` (the field it sorts by).
    # (the last day: a field, or a function giving the condition on it; see ``period_q``)
    periods: dict[str, tuple[str, str | EndCondition]] = field(default_factory=dict)
    # meta.lastUpdated as a database expression, when the resource is built from more
    # rows than its own (today -> the newest updated_at of them all); None: the row's
    # own updated_at. _lastUpdated, its _sort and bulk _since use the same value.
    last_updated: Callable[[dt.date], Combinable] | None = None


LAST_UPDATED = "fhir_last_updated"


def newest_of(*children: QuerySet[Any]) -> Combinable:
    """The newest of the row's updated_at and its children's (each a queryset already
    limited to the row's children with OuterRef), NULLs (no child) left out."""
    stamps = [
        Coalesce(
            Subquery(child.order_by("-updated_at").values("updated_at")[:1]),
            F("updated_at"),
            output_field=DateTimeField(),
        )
        for child in children
    ]
    return Greatest(F("updated_at"), *stamps, output_field=DateTimeField())


def with_last_updated(source: Source, qs: QuerySet[Any], today: dt.date) -> QuerySet[Any]:
    """The rows annotated with meta.lastUpdated as emitted (``LAST_UPDATED``)."""
    if source.last_updated is None:
        return qs
    found: QuerySet[Any] = qs.annotate(**{LAST_UPDATED: source.last_updated(today)})
    return found


def last_updated_field(source: Source) -> str:
    """The field (or annotation, see ``with_last_updated``) holding meta.lastUpdated."""
    return LAST_UPDATED if source.last_updated is not None else "updated_at"


def _with_parent(parent: str) -> Callable[[dt.date], Combinable]:
    """The row and the record it belongs to (``parent``, a foreign key), as the mapping
    stamps it."""

    def newest(_today: dt.date) -> Combinable:
        return Greatest(
            F("updated_at"),
            Coalesce(F(f"{parent}__updated_at"), F("updated_at")),
            output_field=DateTimeField(),
        )

    return newest


def _licensed_last_updated(*, rejected_too: bool) -> Callable[[dt.date], Combinable]:
    """A practitioner and their licenses (Practitioner leaves out rejected ones)."""

    def newest(_today: dt.date) -> Combinable:
        licenses = License.objects.filter(practitioner=OuterRef("pk"))
        if not rejected_too:
            licenses = licenses.exclude(verification_status=License.Verification.REJECTED)
        return newest_of(licenses)

    return newest


def _plan_last_updated(_today: dt.date) -> Combinable:
    # careplan.to_fhir: the plan and every goal of it.
    return newest_of(Goal.objects.filter(plan=OuterRef("pk")))


def _schedule_last_updated(today: dt.date) -> Combinable:
    # schedule.to_fhir: the practitioner, working hours not ended by today, and the
    # active appointment types they may perform (none named: everyone may).
    hours = WorkingHours.objects.filter(practitioner=OuterRef("pk")).filter(
        Q(valid_until__isnull=True) | Q(valid_until__gte=today)
    )
    kinds = AppointmentType.objects.filter(
        organization_id=OuterRef("organization_id"), active=True
    ).filter(Q(practitioners__isnull=True) | Q(practitioners=OuterRef("pk")))
    return newest_of(hours, kinds)


# A filter of a type served from definitions rather than rows (Questionnaire):
# (resource, the values of one parameter occurrence (OR), modifier) -> matches.
StaticFilter = Callable[[c.JSON, list[str], str], bool]


@dataclass
class ResourceType:
    name: str
    capability: Capability
    compartment: bool  # in the patient compartment (a patient's token may read it)
    sources: list[Source]
    params: list[Param]
    # _include name -> (element, target type; several types separated by "|").
    includes: dict[str, tuple[str, str]] = field(default_factory=dict)
    default_sort: tuple[str, ...] = ("-_lastUpdated",)
    documentation: str = ""
    interactions: tuple[str, ...] = ("read", "search-type")
    # Definitions computed without rows (Questionnaire): every resource of the type.
    static: Callable[[c.Context], list[c.JSON]] | None = None
    static_filters: dict[str, StaticFilter] = field(default_factory=dict)
    static_sorts: tuple[str, ...] = ()
    # Resources computed for the actor from the search's criteria (Slot); the criteria
    # other than _id and _lastUpdated are the function's to apply.
    computed: Callable[[User, list[Any], c.Context], list[c.JSON]] | None = None
    # For resources without subject or patient (Provenance, Binary, Appointment): the
    # patient's public id, for the audit entry.
    audit_patient: Callable[[c.JSON], str] | None = None

    def param(self, name: str) -> Param | None:
        return next((p for p in self.params if p.name == name), None)

    @property
    def sort_names(self) -> list[str]:
        names = {"_lastUpdated", "_id", *self.static_sorts}
        for source in self.sources:
            names |= set(source.dates) | set(source.sorts)
        return sorted(names)

    @property
    def searchable(self) -> bool:
        return "search-type" in self.interactions


def _q(build: Callable[[list[str], str], Q]) -> Filter:
    def apply(qs: QuerySet[Any], values: list[str], modifier: str) -> QuerySet[Any]:
        return qs.filter(build(values, modifier))

    return apply


Match = Callable[[str | None, str], Q | None]


def _coded(system: str, lookup: Callable[[str], Q | None], *, any_code: Q = EVERYTHING) -> Match:
    """The token forms of a coding in ``system`` (FHIR's rules): ``code`` (any system),
    ``system|code``, ``system|`` (any code of the system: ``any_code``); ``|code`` (no
    system) and other systems match nothing, since every coding here has its system."""

    def match(s: str | None, v: str) -> Q | None:
        if s not in (None, system):
            return None
        if v == "":
            return any_code if s == system else None
        return lookup(v)

    return match


def _either(*matches: Match) -> Match:
    """An element carrying codings of several systems: any of them may match."""

    def match(s: str | None, v: str) -> Q | None:
        found = [q for q in (m(s, v) for m in matches) if q is not None]
        if not found:
            return None
        combined = found[0]
        for q in found[1:]:
            combined |= q
        return combined

    return match


def _tokens(match: Match) -> Filter:
    return _q(lambda values, _m: token_q(values, match))


def _fixed(system: str, code: str) -> Filter:
    """A token every row of the source has (e.g. its category)."""
    return _tokens(_coded(system, lambda v: EVERYTHING if v == code else None))


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
        if system is None:
            return Q(mrn=code) if code else None
        if system.startswith(c.MRN_SYSTEM_PREFIX):
            org = system.removeprefix(c.MRN_SYSTEM_PREFIX)
            if not _is_uuid(org):
                return None
            return Q(organization__public_id=org) & (Q(mrn=code) if code else EVERYTHING)
        return None  # ``|code``: every MRN has its system

    return token_q(values, match)


def _is_uuid(text: str) -> bool:
    return parse_uuid(text) is not None


PATIENT = ResourceType(
    name="Patient",
    capability=Capability.PATIENTS_READ,
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
    return token_q(values, _coded(c.NPI, lambda v: Q(npi=v), any_code=~Q(npi="")))


PRACTITIONER = ResourceType(
    name="Practitioner",
    capability=Capability.PRACTITIONERS_READ,
    compartment=False,
    documentation="practitioners.Practitioner with its licenses",
    sources=[
        Source(
            key="practitioner",
            queryset=queries.fhir_practitioners,
            to_fhir=practitioner.to_fhir,
            last_updated=_licensed_last_updated(rejected_too=False),
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
    capability=Capability.STAFF,
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
                "identifier": _tokens(_coded(c.ORGANIZATION_SYSTEM, lambda v: Q(slug=v))),
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
    capability=Capability.STAFF,
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
    capability=Capability.CLINICAL_READ,
    compartment=True,
    documentation="care.Diagnosis of signed evaluations (ICD-10-CM)",
    sources=[
        Source(
            key="diagnosis",
            queryset=queries.fhir_diagnoses,
            to_fhir=condition.to_fhir,
            last_updated=_with_parent("evaluation"),
            patient="evaluation__patient",
            dates={"recorded-date": "evaluation__evaluated_on"},
            filters={
                "code": _tokens(_coded(c.ICD10CM, lambda v: Q(code__iexact=v))),
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
    def loinc(code: str) -> Q:
        ids = [i for i in load_library().ids() if code in observation.verified_loinc(i)]
        return Q(instrument__in=ids)

    any_loinc = Q(instrument__in=[i for i in load_library().ids() if observation.verified_loinc(i)])
    match = _either(
        _coded(c.INSTRUMENT, lambda v: Q(instrument__iexact=v)),
        _coded(c.LOINC, loinc, any_code=any_loinc),
    )
    return token_q(values, match)


def _rom_code(values: list[str], _m: str) -> Q:
    def lookup(code: str) -> Q | None:
        if "." not in code:
            return None
        joint, _, motion = code.partition(".")
        return Q(joint=joint, motion=motion)

    return token_q(values, _coded(c.ROM_MOTION, lookup))


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
    capability=Capability.CLINICAL_READ,
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
            last_updated=_with_parent("evaluation"),
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


def _plan_last_day(lookup: str, day: dt.date) -> Q:
    """A plan's period ends on ``Plan.ends_on`` (its start plus its weeks, 1 to 52): the
    condition on that day, written on the stored start for each possible length."""
    found = NOTHING
    for weeks in range(1, 53):
        shifted = day - dt.timedelta(weeks=weeks)
        found |= Q(duration_weeks=weeks, **{f"starts_on__{lookup}": shifted})
    return found


GOAL = ResourceType(
    name="Goal",
    capability=Capability.CLINICAL_READ,
    compartment=True,
    documentation="care.Goal of signed plans of care; achievementStatus computed",
    sources=[
        Source(
            key="goal",
            queryset=queries.fhir_goals,
            to_fhir=goal.to_fhir,
            last_updated=_with_parent("plan"),
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
    capability=Capability.CLINICAL_READ,
    compartment=True,
    documentation="care.Plan (signed versions; drafts are not served)",
    sources=[
        Source(
            key="plan",
            queryset=queries.fhir_plans,
            to_fhir=careplan.to_fhir,
            patient="patient",
            dates={"date": "starts_on"},
            periods={"date": ("starts_on", _plan_last_day)},
            filters={
                "status": _plan_status("", dict(careplan.STATUS)),
                "category": _fixed(c.US_CORE_CAREPLAN_CATEGORY, "assess-plan"),
                "intent": _status({"plan": EVERYTHING}),
            },
            prefetch=("goals", "home_care"),
            last_updated=_plan_last_updated,
        )
    ],
    params=[
        Param("status", "token", "active | completed | revoked (superseded) | entered-in-error"),
        Param("category", "token", "assess-plan"),
        Param("intent", "token", "plan"),
        Param("date", "date", "The plan's period (first to last day)"),
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
    capability=Capability.CLINICAL_READ,
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


def _procedure_code(qs: QuerySet[Any], values: list[str], _m: str) -> QuerySet[Any]:
    """Palpa's technique code, or the CPT code the technique is billed under. The CPT code
    is decided per row (the visit's charge, else the organization's map: see
    ``procedure.cpt_code``), so those rows are found by computing it."""
    found = token_q(values, _coded(c.TECHNIQUE, lambda v: Q(technique=v)))
    wanted: set[str] = set()
    any_cpt = False
    for raw in values:
        system, code = parse_token(raw)
        if system not in (None, procedure.CPT) or (code == "" and system is None):
            continue
        if code == "":
            any_cpt = True
        else:
            wanted.add(code)
    if any_cpt or wanted:
        ctx = c.Context(base_url="")
        # Candidates: rows on a charged visit, or whose technique the organization maps
        # to a wanted code; the code each one is shown with decides.
        candidates = Q(note__charge__isnull=False) & ~Q(note__charge__status=Charge.Status.VOID)
        for org in set(qs.values_list("organization_id", flat=True)):
            mapped = [
                t for t, code in code_map(org).items() if code and (any_cpt or code in wanted)
            ]
            candidates |= Q(organization_id=org, technique__in=mapped)
        billed = [
            entry.pk
            for entry in qs.filter(candidates)
            if (billed_as := procedure.cpt_code(entry, ctx)) and (any_cpt or billed_as in wanted)
        ]
        found |= Q(pk__in=billed)
    return qs.filter(found)


PROCEDURE = ResourceType(
    name="Procedure",
    capability=Capability.CLINICAL_READ,
    compartment=True,
    documentation="care.TechniqueEntry of signed treatment notes",
    sources=[
        Source(
            key="technique",
            queryset=queries.fhir_techniques,
            to_fhir=procedure.to_fhir,
            last_updated=_with_parent("note"),
            patient="note__patient",
            dates={"date": "note__visit_date"},
            filters={
                "code": _procedure_code,
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
    capability=Capability.REFERRALS_READ,
    compartment=True,
    documentation="referrals.Referral (the physician's prescription)",
    sources=[
        Source(
            key="referral",
            queryset=queries.fhir_referrals,
            to_fhir=servicerequest.to_fhir,
            last_updated=_with_parent("physician"),
            prefetch=("fhir_identifiers",),
            patient="patient",
            dates={"occurrence": "starts_on", "authored": "created_at__date"},
            periods={"occurrence": ("starts_on", "expires_on")},
            filters={
                "intent": _status({"order": EVERYTHING}),
                "reason-code": _tokens(
                    _coded(
                        c.ICD10CM,
                        lambda v: Q(diagnoses__icontains=f'"{v}"'),
                        any_code=Q(diagnoses__icontains='"'),  # a list with a code in it
                    )
                ),
            },
        )
    ],
    params=[
        Param("intent", "token", "order"),
        Param("occurrence", "date", "The authorized period (first to last day)"),
        Param("authored", "date", "Day the referral was recorded"),
        Param("reason-code", "token", "ICD-10-CM diagnosis of the referral"),
    ],
    # requester is a contained Practitioner (the physician): :requester adds nothing
    # beyond the resource itself, but is accepted since clients ask for it.
    includes={
        "ServiceRequest:patient": ("subject", "Patient"),
        "ServiceRequest:requester": ("requester", "Practitioner"),
    },
    default_sort=("-occurrence",),
)

# --- PractitionerRole ------------------------------------------------------------------


def _specialty(values: list[str], _m: str) -> Q:
    return token_q(
        values,
        _coded(c.NUCC, lambda v: EVERYTHING if v == practitionerrole.MASSAGE_THERAPIST else None),
    )


PRACTITIONER_ROLE = ResourceType(
    name="PractitionerRole",
    capability=Capability.PRACTITIONERS_READ,
    compartment=False,
    documentation="practitioners.Practitioner: one role per practitioner (NUCC 225700000X)",
    sources=[
        Source(
            key="practitioner-role",
            queryset=queries.fhir_practitioner_roles,
            to_fhir=practitionerrole.to_fhir,
            last_updated=_licensed_last_updated(rejected_too=True),
            patient="",
            sorts={"family": "family_name", "given": "given_name"},
            filters={
                "practitioner": _reference("public_id", "Practitioner", "practitioner"),
                "specialty": _q(_specialty),
                "active": _status({"true": Q(active=True), "false": Q(active=False)}),
            },
        )
    ],
    params=[
        Param("practitioner", "reference", "The Practitioner"),
        Param("specialty", "token", "http://nucc.org/provider-taxonomy|225700000X"),
        Param("active", "token", "true | false"),
    ],
    includes={
        "PractitionerRole:practitioner": ("practitioner", "Practitioner"),
        "PractitionerRole:organization": ("organization", "Organization"),
        "PractitionerRole:location": ("location", "Location"),
    },
    default_sort=("family", "given"),
)

# --- Questionnaire, QuestionnaireResponse ----------------------------------------------


def _codes_of(resource: c.JSON) -> list[tuple[str, str]]:
    return [(str(x.get("system", "")), str(x.get("code", ""))) for x in resource.get("code", [])]


def _static_token(values: list[str], pairs: list[tuple[str, str]]) -> bool:
    for raw in values:
        system, code = parse_token(raw)
        for have_system, have_code in pairs:
            if system is not None and system != have_system:
                continue  # ``|code`` too: every coding here has its system
            if code == "" and system is not None:
                return True  # ``system|``: any code of the system
            if code != "" and code.casefold() == have_code.casefold():
                return True
    return False


def _static_string(element: str) -> StaticFilter:
    def match(resource: c.JSON, values: list[str], modifier: str) -> bool:
        text = str(resource.get(element, "")).casefold()
        for value in values:
            wanted = value.casefold()
            if modifier == "exact" and str(resource.get(element, "")) == value:
                return True
            if modifier == "contains" and wanted in text:
                return True
            if modifier == "" and text.startswith(wanted):
                return True
        return False

    return match


QUESTIONNAIRE = ResourceType(
    name="Questionnaire",
    capability=Capability.STAFF,
    compartment=False,
    documentation="the outcome instrument library (one per instrument; skeletons where the "
    "text is licensed)",
    sources=[],
    params=[
        Param("code", "token", "urn:palpa:instrument|ID (or a verified LOINC panel code)"),
        Param("name", "string", "Computable name (starts with)"),
        Param("title", "string", "Title (starts with)"),
        Param("status", "token", "active"),
        Param("url", "uri", "The canonical URL"),
    ],
    default_sort=("name",),
    static=questionnaire.all_questionnaires,
    static_filters={
        "code": lambda r, values, _m: _static_token(values, _codes_of(r)),
        "name": _static_string("name"),
        "title": _static_string("title"),
        "status": lambda r, values, _m: any(parse_token(v)[1] == r.get("status") for v in values),
        "url": lambda r, values, _m: any(v.split("|")[0] == r.get("url") for v in values),
    },
    static_sorts=("name", "title"),
)


def _questionnaire_ref(values: list[str], _m: str) -> Q:
    found = NOTHING
    for value in values:
        key = value.split("|")[0].rstrip("/").rsplit("/", 1)[-1]
        instrument = questionnaire.instrument_for(key)
        if instrument is None:  # an instrument id is accepted too
            ids = [i for i in load_library().ids() if i.casefold() == key.casefold()]
            found |= Q(instrument__in=ids)
        else:
            found |= Q(instrument=instrument.id)
    return found


QUESTIONNAIRE_RESPONSE = ResourceType(
    name="QuestionnaireResponse",
    capability=Capability.CLINICAL_READ,
    compartment=True,
    documentation="outcomes.InstrumentAdministration (the answers behind an instrument score)",
    sources=[
        Source(
            key="administration-answers",
            queryset=queries.fhir_administrations,
            to_fhir=questionnaire.response_to_fhir,
            patient="patient",
            dates={"authored": "created_at"},
            instants=("authored",),
            filters={
                "questionnaire": _q(_questionnaire_ref),
                "status": _status(
                    {
                        "completed": Q(status=InstrumentAdministration.Status.FINAL),
                        "entered-in-error": Q(
                            status=InstrumentAdministration.Status.ENTERED_IN_ERROR
                        ),
                    }
                ),
            },
        )
    ],
    params=[
        Param("questionnaire", "reference", "The Questionnaire (its id, URL or instrument id)"),
        Param("authored", "date", "Day the answers were recorded"),
        Param("status", "token", "completed | entered-in-error"),
    ],
    includes={
        "QuestionnaireResponse:patient": ("subject", "Patient"),
        "QuestionnaireResponse:subject": ("subject", "Patient"),
        "QuestionnaireResponse:author": ("author", "Practitioner|Patient"),
    },
    default_sort=("-authored",),
)

# --- DocumentReference, Binary ---------------------------------------------------------


def _report_patient(resource: c.JSON) -> str:
    public_id = parse_uuid(str(resource.get("id", "")))
    found = (
        Report.objects.filter(public_id=public_id)
        .values_list("patient__public_id", flat=True)
        .first()
        if public_id is not None
        else None
    )
    return str(found) if found else ""


def _docref_type(values: list[str], _m: str) -> Q:
    match = _either(
        _coded(c.LOINC, lambda v: EVERYTHING if v == documentreference.PROGRESS_NOTE else None),
        _coded(c.REPORT_KIND, lambda v: Q(kind=v) if v in ("progress", "discharge") else None),
    )
    return token_q(values, match)


DOCUMENT_REFERENCE = ResourceType(
    name="DocumentReference",
    capability=Capability.CLINICAL_READ,
    compartment=True,
    documentation="reports.Report (signed progress and discharge reports, as PDF)",
    sources=[
        Source(
            key="report",
            queryset=queries.fhir_reports,
            to_fhir=documentreference.to_fhir,
            patient="patient",
            dates={"date": "signed_at", "period": "period_end"},
            periods={"period": ("period_start", "period_end")},
            instants=("date",),
            filters={
                "type": _q(_docref_type),
                "category": _fixed(c.US_CORE_DOCREF_CATEGORY, "clinical-note"),
                "status": _status(
                    {fhir: Q(status=palpa) for palpa, fhir in documentreference.STATUS.items()}
                ),
                "related": _reference("referral__public_id", "ServiceRequest", "related"),
            },
        )
    ],
    params=[
        Param(
            "type",
            "token",
            "http://loinc.org|11506-3, or urn:palpa:report-kind|progress or discharge",
        ),
        Param("category", "token", "clinical-note"),
        Param("date", "date", "Day the report was signed"),
        Param("period", "date", "The period the report covers (first to last day)"),
        Param("status", "token", "current | superseded | entered-in-error"),
        Param("related", "reference", "The referral (ServiceRequest) the report answers"),
    ],
    includes={
        "DocumentReference:patient": ("subject", "Patient"),
        "DocumentReference:subject": ("subject", "Patient"),
        "DocumentReference:author": ("author", "Practitioner"),
        "DocumentReference:related": ("context.related", "ServiceRequest"),
    },
    default_sort=("-date",),
)

BINARY = ResourceType(
    name="Binary",
    capability=Capability.CLINICAL_READ,
    compartment=True,
    documentation="the PDF of a signed report (read only; the DocumentReference points here)",
    sources=[
        Source(
            key="report-pdf",
            queryset=queries.fhir_reports,
            to_fhir=documentreference.binary_to_fhir,
            patient="patient",
        )
    ],
    params=[],
    interactions=("read",),
    audit_patient=_report_patient,
)

# --- Consent ---------------------------------------------------------------------------

CONSENT = ResourceType(
    name="Consent",
    capability=Capability.PATIENTS_READ,
    compartment=True,
    documentation="patients.Consent (treatment, privacy notice, contact channels)",
    sources=[
        Source(
            key="consent",
            queryset=queries.fhir_consents,
            to_fhir=consent.to_fhir,
            patient="patient",
            dates={"date": "given_on"},
            filters={
                "status": _status({"active": Q(superseded=False), "inactive": Q(superseded=True)}),
                "scope": _tokens(
                    _coded(
                        c.CONSENT_SCOPE,
                        lambda v: Q(
                            kind__in=[k for k, (code, _) in consent.SCOPES.items() if code == v]
                        ),
                    )
                ),
                "category": _tokens(_coded(c.CONSENT_KIND, lambda v: Q(kind=v))),
            },
        )
    ],
    params=[
        Param("status", "token", "active (the newest of its kind) | inactive"),
        Param("scope", "token", "treatment | patient-privacy"),
        Param(
            "category",
            "token",
            "urn:palpa:consent-kind|treatment, privacy_notice, contact_email, contact_sms "
            "or contact_phone",
        ),
        Param("date", "date", "Day the consent was given or withdrawn"),
    ],
    includes={"Consent:patient": ("patient", "Patient")},
    default_sort=("-date",),
)

# --- Provenance ------------------------------------------------------------------------


def _target(resource_type: str) -> Filter:
    """``target``: a reference matches the source whose records are that type."""

    def build(values: list[str], _m: str) -> Q:
        found = NOTHING
        for value in values:
            parts = value.rstrip("/").split("/")
            if len(parts) >= 2 and parts[-2] != resource_type:
                continue
            public_id = parse_uuid(parts[-1])
            if public_id is not None:
                found |= Q(public_id=public_id)
        return found

    return _q(build)


def _signed_patient(resource: c.JSON) -> str:
    public_id = parse_uuid(str(resource.get("id", "")))
    if public_id is None:
        return ""
    for model in (Evaluation, TreatmentNote, Plan):
        found = (
            model.objects.filter(public_id=public_id)
            .values_list("patient__public_id", flat=True)
            .first()
        )
        if found:
            return str(found)
    return _report_patient(resource)


def _provenance_source(
    key: str,
    queryset: Callable[[User], QuerySet[Any]],
    to_fhir: Callable[[Any, c.Context], c.JSON],
    target: str,
) -> Source:
    return Source(
        key=key,
        queryset=queryset,
        to_fhir=to_fhir,
        patient="patient",
        dates={"recorded": "signed_at"},
        instants=("recorded",),
        filters={
            "target": _target(target),
            "agent": _reference("practitioner__public_id", "Practitioner", "agent"),
        },
    )


PROVENANCE = ResourceType(
    name="Provenance",
    capability=Capability.CLINICAL_READ,
    compartment=True,
    documentation="the signatures of signed evaluations and treatment notes (Encounter), "
    "plans of care (CarePlan) and reports (DocumentReference)",
    sources=[
        _provenance_source(
            "evaluation-signature",
            queries.fhir_signed_evaluations,
            provenance.evaluation_to_fhir,
            "Encounter",
        ),
        _provenance_source(
            "note-signature", queries.fhir_signed_notes, provenance.note_to_fhir, "Encounter"
        ),
        _provenance_source(
            "plan-signature", queries.fhir_signed_plans, provenance.plan_to_fhir, "CarePlan"
        ),
        _provenance_source(
            "report-signature", queries.fhir_reports, provenance.report_to_fhir, "DocumentReference"
        ),
    ],
    params=[
        Param("target", "reference", "The signed Encounter, CarePlan or DocumentReference"),
        Param("agent", "reference", "The signing Practitioner"),
        Param("recorded", "date", "Day of the signature"),
    ],
    includes={
        "Provenance:target": ("target", "Encounter|CarePlan|DocumentReference"),
        "Provenance:agent": ("agent.who", "Practitioner"),
    },
    default_sort=("-recorded",),
    audit_patient=_signed_patient,
)

# --- Appointment -----------------------------------------------------------------------


def _appointment_patient(resource: c.JSON) -> str:
    for participant in resource.get("participant", []):
        reference = str(participant.get("actor", {}).get("reference", ""))
        if reference.startswith("Patient/"):
            return reference.split("/", 1)[1]
    return ""


def _appointment_status(values: list[str], _m: str) -> Q:
    known = set(Appointment.Status.values)
    return token_q(values, lambda _s, v: Q(status=v) if v in known else None)


_APPOINTMENT_ACTORS = {
    "Patient": "patient__public_id",
    "Practitioner": "practitioner__public_id",
    "Location": "location__public_id",
}


def _appointment_actor(values: list[str], _m: str) -> Q:
    """``Type/id`` of a participant (a bare id: any of them); other types match nothing."""
    found = NOTHING
    for value in values:
        parts = value.rstrip("/").split("/")
        kind = parts[-2] if len(parts) >= 2 else ""
        public_id = parse_uuid(parts[-1])
        if public_id is None:
            continue
        for name, lookup in _APPOINTMENT_ACTORS.items():
            if kind in ("", name):
                found |= Q(**{lookup: public_id})
    return found


APPOINTMENT = ResourceType(
    name="Appointment",
    capability=Capability.SCHEDULE_READ,
    compartment=True,
    documentation="scheduling.Appointment (R4 AppointmentStatus codes)",
    sources=[
        Source(
            key="appointment",
            queryset=queries.fhir_appointments,
            to_fhir=appointment.to_fhir,
            patient="patient",
            dates={"date": "start"},
            instants=("date",),
            filters={
                "status": _q(_appointment_status),
                "practitioner": _reference(
                    "practitioner__public_id", "Practitioner", "practitioner"
                ),
                "actor": _q(_appointment_actor),
                "location": _reference("location__public_id", "Location", "location"),
                "service-type": _tokens(
                    _coded(
                        c.APPOINTMENT_TYPE,
                        lambda v: Q(appointment_type__code=v),
                        any_code=Q(appointment_type__isnull=False),
                    )
                ),
            },
        )
    ],
    params=[
        Param("date", "date", "Start of the appointment"),
        Param(
            "status",
            "token",
            "booked | arrived | fulfilled | cancelled | noshow | entered-in-error",
        ),
        Param("practitioner", "reference", "The Practitioner"),
        Param("actor", "reference", "A participant: the Patient, Practitioner or Location"),
        Param("location", "reference", "The Location"),
        Param("service-type", "token", "urn:palpa:appointment-type|code"),
    ],
    includes={
        "Appointment:patient": ("participant.actor", "Patient"),
        "Appointment:practitioner": ("participant.actor", "Practitioner"),
        "Appointment:location": ("participant.actor", "Location"),
    },
    default_sort=("date",),
    audit_patient=_appointment_patient,
)

# --- Schedule --------------------------------------------------------------------------


def _schedule_actor(values: list[str], _m: str) -> Q:
    found = NOTHING
    for value in values:
        parts = value.rstrip("/").split("/")
        kind = parts[-2] if len(parts) >= 2 else ""
        public_id = parse_uuid(parts[-1])
        if public_id is None:
            continue
        if kind in ("", "Practitioner"):
            found |= Q(public_id=public_id)
        if kind in ("", "Location"):
            found |= Q(working_hours__location__public_id=public_id)
    return found


SCHEDULE = ResourceType(
    name="Schedule",
    capability=Capability.SCHEDULE_READ,
    compartment=False,
    documentation="scheduling.WorkingHours: one Schedule per practitioner with weekly hours",
    sources=[
        Source(
            key="schedule",
            queryset=queries.fhir_schedules,
            to_fhir=schedule.to_fhir,
            patient="",
            sorts={"family": "family_name", "given": "given_name"},
            filters={
                "actor": _q(_schedule_actor),
                "active": _status({"true": Q(active=True), "false": Q(active=False)}),
            },
            last_updated=_schedule_last_updated,
        )
    ],
    params=[
        Param("actor", "reference", "The Practitioner, or a Location where they work"),
        Param("active", "token", "true | false"),
    ],
    includes={"Schedule:actor": ("actor", "Practitioner|Location")},
    default_sort=("family", "given"),
)

SLOT = ResourceType(
    name="Slot",
    capability=Capability.SCHEDULE_READ,
    compartment=False,
    documentation="free time computed by the scheduling slot finder (search only; "
    "default window: today and 6 days, at most 31 days)",
    sources=[],
    params=[
        Param("schedule", "reference", "Schedule/<practitioner id>"),
        Param("service-type", "token", "urn:palpa:appointment-type|code"),
        Param("start", "date", "Start of the slot (eq, ge, gt, le, lt)"),
        Param("status", "token", "free (only free slots are listed)"),
    ],
    includes={"Slot:schedule": ("schedule", "Schedule")},
    interactions=("search-type",),
    default_sort=("start",),
    static_sorts=("start",),
    computed=slot.compute,
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
    PRACTITIONER_ROLE,
    QUESTIONNAIRE,
    QUESTIONNAIRE_RESPONSE,
    DOCUMENT_REFERENCE,
    BINARY,
    CONSENT,
    PROVENANCE,
    APPOINTMENT,
    SCHEDULE,
    SLOT,
]


@cache
def registry() -> dict[str, ResourceType]:
    return {t.name: t for t in _TYPES}


def resource_types() -> list[str]:
    return [t.name for t in _TYPES]


def get_type(name: str) -> ResourceType | None:
    return registry().get(name)
