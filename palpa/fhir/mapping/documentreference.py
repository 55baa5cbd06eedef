"""DocumentReference <- reports.Report (a signed progress or discharge report), and the
report's PDF as a Binary.

Only signed reports are served (drafts are not): status ``current``, a corrected version
``superseded``, one withdrawn ``entered-in-error``. The attachment points to
``Binary/<report id>``, which answers with the PDF under the same token and the same
checks; its ``hash`` is the SHA-1 of the PDF in base64 (R4 Attachment.hash) and ``size``
its length in bytes.
"""

from __future__ import annotations

import base64
import hashlib

from palpa.fhir.mapping.common import (
    JSON,
    LOINC,
    REPORT_KIND,
    REPORT_LINEAGE,
    US_CORE_DOCREF_CATEGORY,
    Context,
    coding,
    compact,
    concept,
    instant,
    ref,
    with_meta,
)
from palpa.reports import render
from palpa.reports.models import Report

PROGRESS_NOTE = "11506-3"  # LOINC Progress note [V, clinical reference section F]
PDF = "application/pdf"

STATUS: dict[str, str] = {
    Report.Status.SIGNED: "current",
    Report.Status.SUPERSEDED: "superseded",
    Report.Status.ENTERED_IN_ERROR: "entered-in-error",
}


def _pdf(report: Report, ctx: Context) -> bytes:
    key = f"report-pdf:{report.pk}"
    if key not in ctx.cache:
        stored = Report.objects.filter(pk=report.pk).values_list("pdf", flat=True).first()
        ctx.cache[key] = bytes(stored or b"")
    found: bytes = ctx.cache[key]
    return found


def sha1_base64(data: bytes) -> str:
    return base64.b64encode(hashlib.sha1(data, usedforsecurity=False).digest()).decode()


def to_fhir(report: Report, ctx: Context) -> JSON:
    patient = report.patient
    practitioner = report.practitioner
    pdf = _pdf(report, ctx)
    kind = report.get_kind_display()
    signed = instant(report.signed_at) if report.signed_at else ""
    attachment: JSON = {
        "contentType": PDF,
        "url": f"{ctx.base_url}/Binary/{report.public_id}",
        "size": len(pdf),
        "hash": sha1_base64(pdf),
        "title": render.filename(report.content) if report.content else f"{kind}.pdf",
        "creation": signed,
    }
    related = [ref("ServiceRequest", report.referral.public_id)] if report.referral else []
    resource: JSON = {
        "resourceType": "DocumentReference",
        "id": str(report.public_id),
        "identifier": [{"system": REPORT_LINEAGE, "value": f"{report.lineage}.v{report.version}"}],
        "status": STATUS.get(report.status, "entered-in-error"),
        "docStatus": "amended" if report.supersedes_id else "final",
        "type": concept(
            [coding(LOINC, PROGRESS_NOTE, "Progress note"), coding(REPORT_KIND, report.kind, kind)],
            kind,
        ),
        "category": [concept([coding(US_CORE_DOCREF_CATEGORY, "clinical-note", "Clinical Note")])],
        "subject": ref("Patient", patient.public_id, patient.full_name),
        "date": signed,
        "author": [ref("Practitioner", practitioner.public_id, practitioner.display_name)],
        "authenticator": ref("Practitioner", practitioner.public_id, practitioner.display_name),
        "custodian": ref("Organization", report.organization.public_id, report.organization.name),
        "relatesTo": [
            {"code": "replaces", "target": ref("DocumentReference", report.supersedes.public_id)}
        ]
        if report.supersedes_id and report.supersedes is not None
        else [],
        "description": (
            f"{kind} v{report.version}, {report.period_start.isoformat()} to "
            f"{report.period_end.isoformat()}"
            + (f"; {report.status_reason}" if report.status_reason else "")
        ),
        "content": [{"attachment": compact(attachment)}],
        "context": compact(
            {
                "period": {
                    "start": report.period_start.isoformat(),
                    "end": report.period_end.isoformat(),
                },
                "related": related,
            }
        ),
    }
    return with_meta(compact(resource), report.updated_at)


def binary_to_fhir(report: Report, ctx: Context) -> JSON:
    pdf = _pdf(report, ctx)
    resource: JSON = {
        "resourceType": "Binary",
        "id": str(report.public_id),
        "contentType": PDF,
        "securityContext": ref("DocumentReference", report.public_id),
        "data": base64.b64encode(pdf).decode(),
    }
    return with_meta(resource, report.updated_at)
