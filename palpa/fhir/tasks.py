"""Background work of the FHIR boundary (Django tasks, run by ``palpa db_worker``)."""

from __future__ import annotations

from django.tasks import task


@task()
def run_export(job_id: int, base_url: str) -> str:
    """Write a bulk $export's NDJSON files (see palpa.fhir.bulk)."""
    from palpa.fhir.bulk import run

    return run(job_id, base_url)
