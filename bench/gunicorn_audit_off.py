"""Gunicorn config used only by bench/api_bench.py to measure what audit logging costs.

Each worker replaces the patients app's audit writer with a no-op, so the same requests
run with and without the audit entry. Production has no switch for this: auditing every
read is not optional, and this file is never loaded by ``palpa serve``.
"""

from __future__ import annotations

from typing import Any


def _no_audit(**kwargs: Any) -> None:
    return None


def post_worker_init(worker: Any) -> None:
    from palpa.patients import services

    setattr(services, "record", _no_audit)  # noqa: B010
