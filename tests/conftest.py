"""Fixtures of the cross-cutting suites (tests/permissions, tests/contract)."""

from __future__ import annotations

import fcntl
import json
from typing import Any

import pytest
from pytest_django import DjangoDbBlocker

from tests.permissions import clinic


@pytest.fixture(scope="session")
def walk_clinic(
    django_db_setup: None,
    django_db_blocker: DjangoDbBlocker,
    tmp_path_factory: pytest.TempPathFactory,
    worker_id: str,
) -> dict[str, Any]:
    """The permission walk's clinic, built once per test session: the first worker to
    need it builds it and leaves it in the session's shared temporary folder; the others
    wait for it there (as the demo's build, palpa/demo/tests/conftest.py)."""
    base = tmp_path_factory.getbasetemp()
    shared = base if worker_id == "master" else base.parent
    kept = shared / "walk-clinic.json"
    with (shared / "walk-clinic.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if kept.exists():
            loaded: dict[str, Any] = json.loads(kept.read_text())
            return loaded
        with django_db_blocker.unblock():
            built = clinic.snapshot()
        kept.write_text(json.dumps(built))
        return built
