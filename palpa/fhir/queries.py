"""What a FHIR principal may read, as querysets already limited to the actor's
organization and role. Built on the other apps' scoping functions where they exist;
the rows they do not cover (diagnoses, findings, techniques, goals) are scoped here the
same way: the capability first, then the actor's organization only.

Only records that are final are served: signed evaluations, notes and plans (and those
since marked entered in error, which FHIR shows with that status). Drafts are not.
"""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Q, QuerySet

from palpa.accounts.models import Location, Organization, User
from palpa.accounts.permissions import Capability, has_capability, tenant_id
from palpa.care import queries as care_queries
from palpa.care.models import (
    Diagnosis,
    Evaluation,
    Goal,
    PainMapEntry,
    Plan,
    RomMeasurement,
    TechniqueEntry,
    TreatmentNote,
)
from palpa.outcomes.models import InstrumentAdministration
from palpa.patients.models import Consent, Patient
from palpa.patients.queries import patients_for
from palpa.practitioners.models import Practitioner
from palpa.practitioners.queries import practitioners_for
from palpa.referrals.models import Referral
from palpa.referrals.queries import referrals_for
from palpa.reports.models import Report
from palpa.reports.queries import reports_for
from palpa.scheduling.models import Appointment, WorkingHours
from palpa.scheduling.queries import appointments_for

FINAL_EVALUATION = (Evaluation.Status.SIGNED, Evaluation.Status.ENTERED_IN_ERROR)
FINAL_NOTE = (TreatmentNote.Status.SIGNED, TreatmentNote.Status.ENTERED_IN_ERROR)


def fhir_patients(actor: User) -> QuerySet[Patient]:
    return (
        patients_for(actor)
        .exclude(status=Patient.Status.ENTERED_IN_ERROR)
        .select_related("organization", "primary_location")
    )


def fhir_practitioners(actor: User) -> QuerySet[Practitioner]:
    return practitioners_for(actor)


def fhir_organizations(actor: User) -> QuerySet[Organization]:
    if not has_capability(actor, Capability.STAFF):
        return Organization.objects.none()
    return Organization.objects.filter(pk=tenant_id(actor))


def fhir_locations(actor: User) -> QuerySet[Location]:
    if not has_capability(actor, Capability.STAFF):
        return Location.objects.none()
    return Location.objects.filter(organization_id=tenant_id(actor)).select_related("organization")


def _clinical(actor: User) -> int | None:
    if not has_capability(actor, Capability.CLINICAL_READ):
        return None
    return tenant_id(actor)


def fhir_diagnoses(actor: User) -> QuerySet[Diagnosis]:
    """Diagnoses of final evaluations (the evaluation's encounter diagnoses)."""
    org = _clinical(actor)
    if org is None:
        return Diagnosis.objects.none()
    evaluations = care_queries.evaluations_for(actor).filter(status__in=FINAL_EVALUATION)
    return Diagnosis.objects.filter(organization_id=org, evaluation__in=evaluations).select_related(
        "evaluation__patient", "evaluation__practitioner"
    )


def fhir_administrations(actor: User) -> QuerySet[InstrumentAdministration]:
    return care_queries.administrations_for(actor)


def fhir_rom(actor: User) -> QuerySet[RomMeasurement]:
    """ROM of final evaluations, and re-assessments under signed plans."""
    org = _clinical(actor)
    if org is None:
        return RomMeasurement.objects.none()
    return (
        RomMeasurement.objects.filter(organization_id=org)
        .filter(
            Q(evaluation__status__in=FINAL_EVALUATION)
            | (Q(plan__isnull=False) & ~Q(plan__status=Plan.Status.DRAFT))
        )
        .select_related("patient", "evaluation", "plan", "rater")
    )


def fhir_pain(actor: User) -> QuerySet[PainMapEntry]:
    org = _clinical(actor)
    if org is None:
        return PainMapEntry.objects.none()
    return PainMapEntry.objects.filter(
        organization_id=org, evaluation__status__in=FINAL_EVALUATION
    ).select_related("evaluation__patient", "evaluation__practitioner")


def fhir_plans(actor: User) -> QuerySet[Plan]:
    return care_queries.plans_for(actor).exclude(status=Plan.Status.DRAFT)


def fhir_goals(actor: User) -> QuerySet[Goal]:
    org = _clinical(actor)
    if org is None:
        return Goal.objects.none()
    return (
        Goal.objects.filter(organization_id=org)
        .exclude(plan__status=Plan.Status.DRAFT)
        .select_related(
            "plan__patient",
            "plan__practitioner",
            "plan__evaluation",
            "plan__discharge",
            "baseline_rom",
        )
    )


def fhir_notes(actor: User) -> QuerySet[TreatmentNote]:
    return care_queries.notes_for(actor).filter(status__in=FINAL_NOTE).select_related("appointment")


def fhir_evaluations(actor: User) -> QuerySet[Evaluation]:
    return care_queries.evaluations_for(actor).filter(status__in=FINAL_EVALUATION)


def fhir_techniques(actor: User) -> QuerySet[TechniqueEntry]:
    org = _clinical(actor)
    if org is None:
        return TechniqueEntry.objects.none()
    return (
        TechniqueEntry.objects.filter(organization_id=org, note__status__in=FINAL_NOTE)
        .select_related(
            "note__patient", "note__practitioner", "note__location", "note__plan_of_care"
        )
        .prefetch_related("note__charge__lines")
    )  # the CPT code each technique was billed under


def fhir_referrals(actor: User) -> QuerySet[Referral]:
    """Referrals, read by the roles that may see them (owners, therapists, front desk)."""
    return referrals_for(actor)


def fhir_practitioner_roles(actor: User) -> QuerySet[Practitioner]:
    """A PractitionerRole per practitioner the actor may see."""
    return practitioners_for(actor).select_related("organization").prefetch_related("licenses")


def fhir_consents(actor: User) -> QuerySet[Consent]:
    """Consents of patients the actor may see, each annotated ``superseded`` when a newer
    row of the same kind exists for the patient."""
    if not has_capability(actor, Capability.PATIENTS_READ):
        return Consent.objects.none()
    newer = Consent.objects.filter(patient=OuterRef("patient"), kind=OuterRef("kind")).filter(
        Q(given_on__gt=OuterRef("given_on"))
        | Q(given_on=OuterRef("given_on"), created_at__gt=OuterRef("created_at"))
        | Q(given_on=OuterRef("given_on"), created_at=OuterRef("created_at"), pk__gt=OuterRef("pk"))
    )
    return (
        Consent.objects.filter(
            organization_id=tenant_id(actor),
            patient__in=patients_for(actor).exclude(status=Patient.Status.ENTERED_IN_ERROR),
        )
        .select_related("patient", "organization")
        .annotate(superseded=Exists(newer))
    )


SIGNED_REPORT = (
    Report.Status.SIGNED,
    Report.Status.SUPERSEDED,
    Report.Status.ENTERED_IN_ERROR,
)


def fhir_reports(actor: User) -> QuerySet[Report]:
    """Signed reports (and corrected or withdrawn ones that were signed); no drafts."""
    return reports_for(actor).filter(status__in=SIGNED_REPORT, signed_at__isnull=False)


def fhir_signed_evaluations(actor: User) -> QuerySet[Evaluation]:
    return (
        fhir_evaluations(actor)
        .filter(signed_at__isnull=False)
        .select_related("practitioner", "organization", "patient")
    )


def fhir_signed_notes(actor: User) -> QuerySet[TreatmentNote]:
    return (
        fhir_notes(actor)
        .filter(signed_at__isnull=False)
        .select_related("practitioner", "organization", "patient")
    )


def fhir_signed_plans(actor: User) -> QuerySet[Plan]:
    return (
        fhir_plans(actor)
        .filter(signed_at__isnull=False)
        .select_related("practitioner", "organization", "patient")
    )


def fhir_appointments(actor: User) -> QuerySet[Appointment]:
    """Appointments of the actor's organization (every staff role sees the schedule)."""
    return appointments_for(actor).exclude(patient__status=Patient.Status.ENTERED_IN_ERROR)


def fhir_schedules(actor: User) -> QuerySet[Practitioner]:
    """Practitioners with weekly working hours: one Schedule each (all staff see the
    schedule)."""
    if not has_capability(actor, Capability.SCHEDULE_READ):
        return Practitioner.objects.none()
    hours = WorkingHours.objects.filter(practitioner=OuterRef("pk"))
    return practitioners_for(actor).filter(Exists(hours)).select_related("organization")
