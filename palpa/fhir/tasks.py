"""Background work of the FHIR boundary (Django tasks, run by ``palpa db_worker``).

Each task is defined, with its decorator, beside the work it does; this module names them
all in one place, and keeps the paths of tasks queued before they moved importable."""

from __future__ import annotations

from palpa.fhir.bulk import run_export

__all__ = ["run_export"]
