"""Provenance <- the signature of a signed record: an evaluation (its Encounter), a plan
of care (its CarePlan), a treatment note (its Encounter) or a report (its
DocumentReference).

The Provenance has the signed record's id. recorded: when it was signed; agent: the
practitioner, type ``author``, on behalf of the organization; signature: an author's
signature (ASTM E1762) by the practitioner at that time. Palpa signs records by an
authenticated action and keeps the SHA-256 of the signed content (in the record's
audit entry), not a cryptographic signature, so ``signature.data`` is not sent.
"""

from __future__ import annotations

from typing import Any

from palpa.fhir.mapping.common import (
    JSON,
    PROVENANCE_PARTICIPANT,
    SIGNATURE_TYPE,
    Context,
    coding,
    compact,
    concept,
    instant,
    ref,
    with_meta,
)

AUTHOR_SIGNATURE = "1.2.840.10065.1.12.1.1"


def _provenance(record: Any, target: JSON, ctx: Context) -> JSON:
    practitioner = record.practitioner
    organization = record.organization
    who = ref("Practitioner", practitioner.public_id, practitioner.display_name)
    signed = instant(record.signed_at)
    resource: JSON = {
        "resourceType": "Provenance",
        "id": str(record.public_id),
        "target": [target],
        "recorded": signed,
        "agent": [
            {
                "type": concept([coding(PROVENANCE_PARTICIPANT, "author", "Author")]),
                "who": who,
                "onBehalfOf": ref("Organization", organization.public_id, organization.name),
            }
        ],
        "signature": [
            {
                "type": [coding(SIGNATURE_TYPE, AUTHOR_SIGNATURE, "Author's Signature")],
                "when": signed,
                "who": who,
            }
        ],
    }
    return with_meta(compact(resource), record.updated_at)


def evaluation_to_fhir(evaluation: Any, ctx: Context) -> JSON:
    return _provenance(evaluation, ref("Encounter", evaluation.public_id, "Evaluation"), ctx)


def note_to_fhir(note: Any, ctx: Context) -> JSON:
    return _provenance(note, ref("Encounter", note.public_id, "Treatment visit"), ctx)


def plan_to_fhir(plan: Any, ctx: Context) -> JSON:
    return _provenance(plan, ref("CarePlan", plan.public_id, f"Plan of care v{plan.version}"), ctx)


def report_to_fhir(report: Any, ctx: Context) -> JSON:
    return _provenance(
        report,
        ref("DocumentReference", report.public_id, report.get_kind_display()),
        ctx,
    )
