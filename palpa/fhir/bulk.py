"""Bulk Data Access (FHIR Bulk Data IG v2): ``$export`` kick-off, status, files, cleanup.

- Kick-off (``GET /fhir/R4/$export`` or ``/Patient/$export``) checks the request, stores
  an :class:`ExportJob` and enqueues :func:`run_export` (a Django task, defined here;
  ``palpa db_worker`` runs it). It answers 202 with ``Content-Location``: the status URL.
- The task writes NDJSON files (one resource a line, at most ``PART_SIZE`` resources a
  file) into the database (:class:`ExportFile`), so they survive restarts and every app
  server can hand them out.
- The status URL answers 202 with ``X-Progress`` while the job runs, then 200 with the
  manifest; ``DELETE`` cancels the job and deletes its files.
- Files are downloaded with the kick-off client's own token (``requiresAccessToken``).
- ``expire_exports`` (and ``palpa fhir_export_cleanup``) deletes the files of jobs whose
  ``PALPA_FHIR_EXPORT_HOURS`` have passed.

Only the kick-off client (and so its organization) ever sees a job or its files; any
other client gets 404. Kick-off, completion, each download and each deletion are audit
entries.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.tasks import task
from django.utils import timezone

from palpa.audit.context import RequestContext, reset_context, set_context
from palpa.audit.services import Action, record
from palpa.fhir.auth import Principal, client_actor
from palpa.fhir.errors import FhirError
from palpa.fhir.mapping.common import JSON, Context
from palpa.fhir.models import ExportFile, ExportJob, FhirClient
from palpa.fhir.params import parse_date, split_values
from palpa.fhir.registry import (
    ResourceType,
    Source,
    get_type,
    last_updated_field,
    registry,
    with_last_updated,
)
from palpa.fhir.scopes import allows

logger = logging.getLogger(__name__)

PART_SIZE = 20_000  # resources per NDJSON file
CHUNK = 2_000  # rows read per query while exporting
NDJSON_FORMATS = ("application/fhir+ndjson", "application/ndjson", "ndjson")
KICK_OFF_PARAMS = ("_type", "_since", "_outputFormat", "_format")
RUNNING = (ExportJob.Status.QUEUED, ExportJob.Status.RUNNING)


# --- kick-off ---------------------------------------------------------------------------


def _prefers_async(prefer: str) -> bool:
    parts = prefer.replace(";", ",").split(",")
    return any(part.strip().lower() == "respond-async" for part in parts)


def check_headers(prefer: str, accept: str) -> None:
    if not _prefers_async(prefer):
        raise FhirError(400, "A bulk export runs asynchronously: send Prefer: respond-async.")
    kinds = {part.split(";")[0].strip().lower() for part in accept.split(",")}
    if "application/fhir+json" not in kinds:
        raise FhirError(
            400, "Send Accept: application/fhir+json (the format of errors at kick-off)."
        )


def export_types(level: str) -> list[ResourceType]:
    """The types an export of this level may hold (patient level: the compartment).

    Types that are read only (Binary) or computed per request (Slot) are not exported."""
    types = [
        t
        for t in registry().values()
        if "search-type" in t.interactions and getattr(t, "computed", None) is None
    ]
    if level == ExportJob.Level.PATIENT:
        types = [t for t in types if t.compartment]
    return types


@dataclass
class KickOff:
    types: list[str]
    since: dt.datetime | None


def parse_kick_off(principal: Principal, level: str, items: list[tuple[str, str]]) -> KickOff:
    if principal.client is None or principal.context != "system":
        raise FhirError(403, "Bulk export is for system clients (client credentials) only.")
    served = [t.name for t in export_types(level)]
    wanted: list[str] = []
    since: dt.datetime | None = None
    for key, raw in items:
        if key not in KICK_OFF_PARAMS:
            raise FhirError(
                400,
                f"$export does not support the parameter {key!r} "
                f"(supported: {', '.join(KICK_OFF_PARAMS[:3])}).",
                expression=key,
            )
        if key == "_type":
            for name in split_values(raw):
                if name not in served:
                    raise FhirError(
                        400,
                        f"_type={name!r}: this export holds {', '.join(served)}.",
                        expression="_type",
                    )
                if name not in wanted:
                    wanted.append(name)
        elif key == "_since":
            if "T" not in raw:
                raise FhirError(400, f"_since={raw!r}: give an instant (YYYY-MM-DDThh:mm:ssZ).")
            since = parse_date("_since", raw).start
        elif key == "_outputFormat" and raw not in NDJSON_FORMATS:
            raise FhirError(
                400,
                f"_outputFormat={raw!r}: only {NDJSON_FORMATS[0]} is offered.",
                expression="_outputFormat",
            )
    types = wanted or served
    refused = [t for t in types if not allows(principal.scopes, "system", t, "read")]
    if refused:
        raise FhirError(
            403,
            f"The token's scopes ({principal.scope_text}) do not allow reading "
            f"{', '.join(refused)}: a bulk export needs system/*.read (or name readable "
            "types in _type).",
        )
    return KickOff(types=types, since=since)


def start_export(
    *, principal: Principal, level: str, kick_off: KickOff, request_url: str, base_url: str
) -> ExportJob:
    client = principal.client
    assert client is not None  # parse_kick_off refuses every other principal
    with transaction.atomic():
        job = ExportJob.objects.create(
            organization_id=client.organization_id,
            client=client,
            level=level,
            types=kick_off.types,
            since=kick_off.since,
            request_url=request_url[:2000],
            transaction_time=timezone.now(),
            progress="Queued",
        )
        _audit(principal.actor, job, "kick-off", {"types": job.types}, principal.label)
    run_export.enqueue(job.pk, base_url)
    return job


# --- the work (run by the task) ---------------------------------------------------------


def _rows(source: Source, job: ExportJob, actor: Any, today: dt.date) -> Iterator[Any]:
    qs: QuerySet[Any] = source.queryset(actor)
    if job.since is not None:  # by meta.lastUpdated as emitted (children's changes too)
        qs = with_last_updated(source, qs, today)
        qs = qs.filter(**{f"{last_updated_field(source)}__gte": job.since})
    if source.prefetch:
        qs = qs.prefetch_related(*source.prefetch)
    return qs.order_by("pk").iterator(chunk_size=CHUNK)


def _still_wanted(job: ExportJob) -> bool:
    status = ExportJob.objects.filter(pk=job.pk).values_list("status", flat=True).first()
    return status == ExportJob.Status.RUNNING


class _Cancelled(Exception):
    pass


def _write_type(job: ExportJob, rtype: ResourceType, actor: Any, ctx: Context) -> int:
    part, written = 0, 0
    lines: list[str] = []

    def flush() -> None:
        nonlocal part, lines
        if not lines:
            return
        if not _still_wanted(job):
            raise _Cancelled
        part += 1
        ExportFile.objects.create(
            organization_id=job.organization_id,
            job=job,
            resource_type=rtype.name,
            part=part,
            count=len(lines),
            content="".join(lines).encode(),
        )
        lines = []

    def add(resource: JSON) -> None:
        nonlocal written
        lines.append(json.dumps(resource, separators=(",", ":"), ensure_ascii=False) + "\n")
        written += 1
        if len(lines) >= PART_SIZE:
            flush()

    static = getattr(rtype, "static", None)
    if static is not None:  # definitions (Questionnaire): the same for every client
        for resource in static(ctx):
            add(resource)
    for source in rtype.sources:
        for row in _rows(source, job, actor, ctx.today):
            add(source.to_fhir(row, ctx))
    flush()
    return written


@task()
def run_export(job_id: int, base_url: str) -> str:
    """Export the job's types; returns the job's final status (a Django task, run by
    ``palpa db_worker``)."""
    token = set_context(RequestContext(request_id=f"export-{job_id}", via="fhir"))
    try:
        return _run(job_id, base_url)
    finally:
        reset_context(token)


def _run(job_id: int, base_url: str) -> str:
    claimed = ExportJob.objects.filter(pk=job_id, status=ExportJob.Status.QUEUED).update(
        status=ExportJob.Status.RUNNING, progress="Starting"
    )
    if not claimed:
        return "skipped"
    job = ExportJob.objects.select_related("client__organization", "client__application").get(
        pk=job_id
    )
    actor = client_actor(job.client)
    ctx = Context(base_url=base_url)
    counts: dict[str, int] = {}
    try:
        for number, name in enumerate(job.types, start=1):
            rtype = get_type(name)
            if rtype is None:
                continue
            ExportJob.objects.filter(pk=job.pk, status=ExportJob.Status.RUNNING).update(
                progress=f"Exporting {name} ({number} of {len(job.types)} types)"
            )
            counts[name] = _write_type(job, rtype, actor, ctx)
    except _Cancelled:
        ExportFile.objects.filter(job=job).delete()
        return ExportJob.Status.CANCELLED
    except Exception as exc:
        logger.exception("FHIR export %s failed", job.public_id)
        ExportFile.objects.filter(job=job).delete()
        _finish(job, ExportJob.Status.FAILED, errors=[f"The export failed: {type(exc).__name__}."])
        _audit(actor, job, "failed", {}, _label(job.client))
        return ExportJob.Status.FAILED
    if not _finish(job, ExportJob.Status.COMPLETED):
        ExportFile.objects.filter(job=job).delete()
        return ExportJob.Status.CANCELLED
    _audit(actor, job, "completed", {"counts": counts}, _label(job.client))
    return ExportJob.Status.COMPLETED


def _finish(job: ExportJob, status: str, errors: list[str] | None = None) -> bool:
    now = timezone.now()
    return bool(
        ExportJob.objects.filter(pk=job.pk, status=ExportJob.Status.RUNNING).update(
            status=status,
            progress="Done" if status == ExportJob.Status.COMPLETED else "Failed",
            finished_at=now,
            expires_at=now + dt.timedelta(hours=settings.PALPA_FHIR_EXPORT_HOURS),
            errors=errors or [],
            updated_at=now,
        )
    )


# --- status, manifest, files, deletion --------------------------------------------------


def job_for(principal: Principal, public_id: Any) -> ExportJob:
    """The principal's own job (404 for anyone else's, and once cancelled or expired)."""
    client = principal.client
    job = (
        ExportJob.objects.filter(
            public_id=public_id,
            client_id=client.pk if client is not None else None,
            organization_id=client.organization_id if client is not None else 0,
        )
        .exclude(status__in=(ExportJob.Status.CANCELLED, ExportJob.Status.EXPIRED))
        .first()
    )
    if job is None or client is None:
        raise FhirError(404, f"No export {public_id} of this client is known (or it expired).")
    return job


def manifest(job: ExportJob, base_url: str) -> JSON:
    outputs: list[JSON] = []
    errors: list[JSON] = []
    for file in job.files.order_by("resource_type", "part").only(
        "public_id", "resource_type", "count"
    ):
        item = {
            "type": file.resource_type,
            "url": f"{base_url}/bulk/file/{file.public_id}",
            "count": file.count,
        }
        (errors if file.resource_type == "OperationOutcome" else outputs).append(item)
    return {
        "transactionTime": job.transaction_time.isoformat().replace("+00:00", "Z"),
        "request": job.request_url,
        "requiresAccessToken": True,
        "output": outputs,
        "error": errors,
    }


def file_for(principal: Principal, public_id: Any) -> ExportFile:
    client = principal.client
    found = (
        ExportFile.objects.select_related("job")
        .filter(
            public_id=public_id,
            job__client_id=client.pk if client is not None else None,
            organization_id=client.organization_id if client is not None else 0,
            job__status=ExportJob.Status.COMPLETED,
            job__expires_at__gt=timezone.now(),
        )
        .first()
    )
    if found is None or client is None:
        raise FhirError(404, f"No export file {public_id} of this client is known (or it expired).")
    return found


def audit_download(principal: Principal, file: ExportFile) -> None:
    _audit(
        principal.actor,
        file.job,
        "download",
        {"file": str(file.public_id), "type": file.resource_type, "count": file.count},
        principal.label,
    )


def cancel(principal: Principal, job: ExportJob) -> None:
    with transaction.atomic():
        ExportJob.objects.filter(pk=job.pk).update(
            status=ExportJob.Status.CANCELLED, progress="Cancelled", updated_at=timezone.now()
        )
        ExportFile.objects.filter(job=job).delete()
        _audit(principal.actor, job, "delete", {"was": job.status}, principal.label)


def expire_exports(now: dt.datetime | None = None) -> int:
    """Delete the files of every export past its expiry; returns how many jobs expired."""
    now = now or timezone.now()
    due = list(
        ExportJob.objects.filter(
            status__in=(ExportJob.Status.COMPLETED, ExportJob.Status.FAILED),
            expires_at__lte=now,
        ).select_related("client__application", "organization")
    )
    for job in due:
        with transaction.atomic():
            deleted, _ = ExportFile.objects.filter(job=job).delete()
            job.status = ExportJob.Status.EXPIRED
            job.progress = "Expired"
            job.save(update_fields=["status", "progress", "updated_at"])
            record(
                actor=None,
                action=Action.DELETE,
                organization=job.organization,
                object_type="ExportJob",
                object_id=str(job.public_id),
                detail={
                    "via": "fhir",
                    "operation": "$export",
                    "event": "expired",
                    "files": deleted,
                },
                actor_label="system",
            )
    return len(due)


def _label(client: FhirClient) -> str:
    return f"FHIR client {client.name} ({client.application.client_id})"


def _audit(actor: Any, job: ExportJob, event: str, extra: dict[str, Any], label: str) -> None:
    record(
        actor=actor,
        action=Action.EXPORT,
        organization=job.organization if job.organization_id else None,
        object_type="ExportJob",
        object_id=str(job.public_id),
        detail={
            "via": "fhir",
            "operation": "$export",
            "event": event,
            "level": job.level,
            "client": job.client.application.client_id,
            "since": job.since.isoformat() if job.since else "",
            **extra,
        },
        actor_label=label,
    )
