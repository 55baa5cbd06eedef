"""Consent <- patients.Consent (treatment, privacy notice, and contact channels).

Palpa's consents are append-only: a withdrawal is a new row. Each row is a Consent: the
newest row of its kind for the patient is ``active``, older ones ``inactive``. A consent
given is ``provision.type`` permit, a withdrawal deny. scope: consent to treatment ->
``treatment``; privacy notice and contact channels -> ``patient-privacy``
(terminology.hl7.org consentscope). The form's version is the policy.
"""

from __future__ import annotations

from urllib.parse import quote

from palpa.fhir.mapping.common import (
    CONSENT_KIND,
    CONSENT_POLICY_PREFIX,
    CONSENT_SCOPE,
    JSON,
    Context,
    coding,
    compact,
    concept,
    narrative,
    ref,
    with_meta,
)
from palpa.patients.models import Consent

SCOPES: dict[str, tuple[str, str]] = {
    Consent.Kind.TREATMENT: ("treatment", "Treatment"),
    Consent.Kind.PRIVACY_NOTICE: ("patient-privacy", "Privacy Consent"),
    Consent.Kind.EMAIL: ("patient-privacy", "Privacy Consent"),
    Consent.Kind.SMS: ("patient-privacy", "Privacy Consent"),
    Consent.Kind.PHONE: ("patient-privacy", "Privacy Consent"),
}


def policy_uri(kind: str, version: str) -> str:
    return f"{CONSENT_POLICY_PREFIX}{kind}:{quote(version, safe='.-_~')}"


def to_fhir(consent: Consent, ctx: Context) -> JSON:
    patient = consent.patient
    scope, scope_display = SCOPES.get(consent.kind, ("patient-privacy", "Privacy Consent"))
    kind = consent.get_kind_display()
    superseded = bool(getattr(consent, "superseded", False))
    state = "granted" if consent.granted else "withdrawn"
    resource: JSON = {
        "resourceType": "Consent",
        "id": str(consent.public_id),
        "status": "inactive" if superseded else "active",
        "scope": concept([coding(CONSENT_SCOPE, scope, scope_display)]),
        "category": [concept([coding(CONSENT_KIND, consent.kind, kind)], kind)],
        "patient": ref("Patient", patient.public_id, patient.full_name),
        "dateTime": consent.given_on.isoformat(),
        "performer": [ref("Patient", patient.public_id, patient.full_name)],
        "organization": [
            ref("Organization", consent.organization.public_id, consent.organization.name)
        ],
        "policy": [{"uri": policy_uri(consent.kind, consent.version)}],
        "provision": {"type": "permit" if consent.granted else "deny"},
        "text": narrative(
            [f"{kind} (form version {consent.version}) {state} on {consent.given_on.isoformat()}."]
        ),
    }
    return with_meta(compact(resource), consent.updated_at)
