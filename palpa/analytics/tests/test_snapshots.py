"""Snapshots: the worker computes each registered kind from the organization's episode
rows and stores it; pages read the newest at the builder's version; only three are kept;
``palpa outcomes recompute`` does the same from the shell and names a bad argument."""

from __future__ import annotations

import io
from collections.abc import Iterator, Sequence
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from palpa.accounts.models import Organization
from palpa.analytics import snapshots
from palpa.analytics.models import OutcomeSnapshot
from palpa.analytics.rows import EpisodeRow
from palpa.analytics.tasks import recompute_snapshots_task


def _count(organization: Organization, rows: Sequence[EpisodeRow]) -> dict[str, Any]:
    return {"episodes": len(rows), "organization": organization.slug}


@pytest.fixture
def counting() -> Iterator[None]:
    saved = dict(snapshots._KINDS)
    snapshots.register("test-count", "1", _count)
    yield
    snapshots._KINDS.clear()
    snapshots._KINDS.update(saved)


def test_a_recompute_stores_one_snapshot_per_kind_and_latest_reads_it(
    counting: None, org: Organization
) -> None:
    (stored,) = snapshots.recompute(org, only="test-count")
    assert stored.data == {"episodes": 0, "organization": org.slug}
    assert stored.episodes == 0
    latest = snapshots.latest(org.pk, "test-count")
    assert latest is not None
    assert latest.pk == stored.pk


def test_a_new_builder_version_ignores_older_snapshots(counting: None, org: Organization) -> None:
    snapshots.recompute(org, only="test-count")
    snapshots.register("test-count", "2", _count)
    assert snapshots.latest(org.pk, "test-count") is None


def test_only_the_newest_three_are_kept(counting: None, org: Organization) -> None:
    for _ in range(5):
        snapshots.recompute(org, only="test-count")
    assert OutcomeSnapshot.objects.filter(organization=org).count() == 3


def test_the_worker_task_recomputes(counting: None, org: Organization) -> None:
    result = recompute_snapshots_task.call(org.pk, "test-count")
    assert set(result) == {"test-count"}
    assert OutcomeSnapshot.objects.filter(kind="test-count").exists()


def test_the_command_recomputes_and_names_a_bad_argument(counting: None, org: Organization) -> None:
    out = io.StringIO()
    call_command(
        "outcomes",
        "recompute",
        "--organization",
        org.slug,
        "--kind",
        "test-count",
        stdout=out,
    )
    assert f"{org.slug}: test-count from 0 episodes" in out.getvalue()
    with pytest.raises(CommandError, match="--organization: no organization") as refused:
        call_command("outcomes", "recompute", "--organization", "nowhere")
    assert refused.value.returncode == 2
    with pytest.raises(CommandError, match="--kind: choose one of") as refused:
        call_command("outcomes", "recompute", "--kind", "nothing")
    assert refused.value.returncode == 2
