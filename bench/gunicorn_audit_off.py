"""Gunicorn config used only by bench/api_bench.py to measure what audit logging costs.

Each worker replaces the patients app's audit writers with versions that write nothing
(``record`` does nothing; ``read_and_record`` runs the select alone), so the same requests
run with and without the audit entry. Production has no switch for this: auditing every
read is not optional, and this file is never loaded by ``palpa serve``.
"""

from __future__ import annotations

from typing import Any


def _no_audit(**kwargs: Any) -> None:
    return None


def _select_only(select_sql: str, params: list[Any], **kwargs: Any) -> tuple[Any, ...] | None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(select_sql, params)
        row = cursor.fetchone()
    return tuple(row) if row is not None else None


def post_worker_init(worker: Any) -> None:
    from palpa.patients import services

    setattr(services, "record", _no_audit)  # noqa: B010
    setattr(services, "read_and_record", _select_only)  # noqa: B010
