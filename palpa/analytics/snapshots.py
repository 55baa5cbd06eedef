"""Snapshots of the analysis, computed in the background worker and read by the pages.

Fitting models and aggregating episodes needs numpy, scipy and statsmodels and takes
seconds on a large organization: it runs in ``palpa db_worker`` (nightly and on demand)
or ``palpa outcomes recompute``, never in a web worker. Each kind of snapshot has a
builder registered here (``register``): a function from the organization's episode rows
to JSON-ready data. ``recompute`` runs every builder (or one) for an organization and
stores one ``OutcomeSnapshot`` per kind; ``latest`` returns the newest of a kind at the
builder's current version, or None.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone

from palpa.accounts.models import Organization
from palpa.analytics.models import Episode, OutcomeSnapshot
from palpa.analytics.queries import episode_rows
from palpa.analytics.rows import EpisodeRow

Builder = Callable[[Organization, Sequence[EpisodeRow]], dict[str, Any]]


@dataclass(frozen=True)
class Kind:
    name: str
    version: str
    build: Builder


_KINDS: dict[str, Kind] = {}


def register(name: str, version: str, build: Builder) -> None:
    """Add a kind of snapshot (from an ``AppConfig.ready()``); registering a name twice
    replaces it (a reload)."""
    _KINDS[name] = Kind(name, version, build)


def kinds() -> list[str]:
    return sorted(_KINDS)


def recompute(organization: Organization, *, only: str | None = None) -> list[OutcomeSnapshot]:
    """Compute and store the snapshots of ``organization`` (every kind, or ``only``)."""
    if only is not None and only not in _KINDS:
        raise KeyError(only)
    rows = list(episode_rows(Episode.objects.filter(organization=organization)))
    stored = []
    for kind in [_KINDS[only]] if only else [_KINDS[k] for k in kinds()]:
        started = time.perf_counter()
        data = kind.build(organization, rows)
        seconds = time.perf_counter() - started
        with transaction.atomic():
            stored.append(
                OutcomeSnapshot.objects.create(
                    organization=organization,
                    kind=kind.name,
                    version=kind.version,
                    computed_at=timezone.now(),
                    episodes=len(rows),
                    seconds=round(seconds, 3),
                    data=data,
                )
            )
            # Older snapshots of the kind are no longer read: keep the newest three.
            old = OutcomeSnapshot.objects.filter(
                organization=organization, kind=kind.name
            ).order_by("-computed_at", "-pk")[3:]
            OutcomeSnapshot.objects.filter(pk__in=[s.pk for s in old]).delete()
    return stored


def latest(organization_id: int, kind: str) -> OutcomeSnapshot | None:
    """The newest snapshot of ``kind`` at its builder's current version, or None."""
    registered = _KINDS.get(kind)
    if registered is None:
        return None
    return (
        OutcomeSnapshot.objects.filter(
            organization_id=organization_id, kind=kind, version=registered.version
        )
        .order_by("-computed_at", "-pk")
        .first()
    )
