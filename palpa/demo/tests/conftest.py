"""The demo clinic, built once per test worker and put back for each module that reads it.

``palpa demo`` builds the clinic through every app's services, which takes tens of
seconds. The first module of the session that asks for it builds it at ``DEMO_NOW`` inside
a transaction, keeps the rows it added (``snapshot.py``) and what it printed, and rolls the
transaction back; with pytest-xdist the other workers wait for that one build and read it
from the session's shared temporary folder. Each module then puts the same rows back
inside a transaction of its own, rolled back at the module's end (its tests run in
savepoints within it), and reads the clinic with the clock standing at ``DEMO_NOW``.
"""

from __future__ import annotations

import dataclasses
import fcntl
import io
import json
from collections.abc import Iterator

import pytest
import time_machine
from django.core.management import call_command
from django.db import transaction
from pytest_django import DjangoDbBlocker

from palpa.accounts.models import Organization
from palpa.demo.data import DEMO_SLUG
from palpa.demo.tests import snapshot
from palpa.demo.tests.support import DEMO_NOW, Built


def _build() -> Built:
    out = io.StringIO()
    with time_machine.travel(DEMO_NOW, tick=False), transaction.atomic():
        before = snapshot.marks()
        call_command("demo", stdout=out)
        assert snapshot.changed_since(before) == []
        rows = snapshot.rows_added_since(before)
        transaction.set_rollback(True)
    return Built(printed=out.getvalue(), rows=rows)


@pytest.fixture(scope="session")
def demo_built(
    django_db_setup: None,
    django_db_blocker: DjangoDbBlocker,
    tmp_path_factory: pytest.TempPathFactory,
    worker_id: str,
) -> Built:
    """The demo, built once per test session: the first worker to need it builds it and
    leaves it in the session's shared temporary folder; the others wait for it there."""
    base = tmp_path_factory.getbasetemp()
    shared = base if worker_id == "master" else base.parent
    kept = shared / "demo-clinic.json"
    with (shared / "demo-clinic.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if kept.exists():
            return Built(**json.loads(kept.read_text()))
        with django_db_blocker.unblock():
            built = _build()
        kept.write_text(json.dumps(dataclasses.asdict(built)))
        return built


@pytest.fixture(scope="module")
def demo_clinic(demo_built: Built, django_db_blocker: DjangoDbBlocker) -> Iterator[Built]:
    """The demo's rows in the database for this module, rolled back after it."""
    with django_db_blocker.unblock(), transaction.atomic():
        snapshot.put_back(demo_built.rows)
        yield demo_built
        transaction.set_rollback(True)


@pytest.fixture
def demo(demo_clinic: Built, db: None) -> Iterator[Organization]:
    """The demo clinic's organization, the clock standing at ``DEMO_NOW``."""
    with time_machine.travel(DEMO_NOW, tick=False):
        yield Organization.objects.get(slug=DEMO_SLUG)
