"""ServiceRequest <- referrals.Referral: the physician's prescription for massage therapy.

The referring physician is not one of the organization's practitioners, so it travels as
a contained Practitioner (with its NPI) referenced by ``requester``.
"""

from __future__ import annotations

from palpa.core.icd10 import Icd10Error, validate
from palpa.fhir.mapping.common import (
    ICD10CM,
    JSON,
    NPI,
    Context,
    coding,
    compact,
    concept,
    ref,
    with_meta,
)
from palpa.referrals import countdown
from palpa.referrals.models import Referral

# The countdown's status -> ServiceRequest.status.
STATUS = {
    countdown.ACTIVE: "active",
    countdown.EXHAUSTED: "completed",
    countdown.EXPIRED: "completed",
    countdown.CANCELLED: "revoked",
}


def referral_status(referral: Referral, ctx: Context) -> str:
    used = int(getattr(referral, "visits_used", 0))
    state = countdown.compute(
        visits_authorized=referral.visits_authorized,
        visits_used=used,
        starts_on=referral.starts_on,
        expires_on=referral.expires_on,
        cancelled=referral.status == Referral.Status.CANCELLED,
        today=ctx.today,
        warn_visits=0,
        warn_days=0,
    )
    return STATUS[state.status]


def _diagnosis(code: str) -> JSON:
    try:
        label = validate(code).label
    except Icd10Error:  # a code no longer in the subset keeps its code, without a label
        label = ""
    return concept([coding(ICD10CM, code, label)], label)


def to_fhir(referral: Referral, ctx: Context) -> JSON:
    patient = referral.patient
    physician = referral.physician
    name: JSON = {"family": physician.family_name, "given": [physician.given_name]}
    if physician.credentials:
        name["suffix"] = [physician.credentials]
    requester = compact(
        {
            "resourceType": "Practitioner",
            "id": "requester",
            "identifier": [{"system": NPI, "value": physician.npi}] if physician.npi else [],
            "name": [name],
            "telecom": [
                t
                for t in (
                    {"system": "phone", "value": physician.phone} if physician.phone else None,
                    {"system": "fax", "value": physician.fax} if physician.fax else None,
                )
                if t
            ],
        }
    )
    notes = []
    if referral.frequency:
        notes.append({"text": f"Frequency: {referral.frequency}"})
    if referral.precautions:
        notes.append({"text": f"Precautions: {referral.precautions}"})
    if referral.cancelled_reason:
        notes.append({"text": f"Cancelled: {referral.cancelled_reason}"})
    resource: JSON = {
        "resourceType": "ServiceRequest",
        "id": str(referral.public_id),
        "contained": [requester],
        # The identifiers the sending system gave it (the referral transaction).
        "identifier": [
            {"system": link.system, "value": link.value}
            for link in sorted(referral.fhir_identifiers.all(), key=lambda i: i.pk)
        ],
        "status": referral_status(referral, ctx),
        "intent": "order",
        "code": {"text": referral.requested_service},
        "quantityQuantity": {"value": referral.visits_authorized, "unit": "visits"},
        "subject": ref("Patient", patient.public_id, patient.full_name),
        "occurrencePeriod": {
            "start": referral.starts_on.isoformat(),
            "end": referral.expires_on.isoformat(),
        },
        "authoredOn": referral.created_at.date().isoformat(),
        "requester": {"reference": "#requester", "display": str(physician)},
        "reasonCode": [_diagnosis(code) for code in referral.diagnoses],
        "note": notes,
    }
    return with_meta(compact(resource), referral.updated_at, physician.updated_at)
