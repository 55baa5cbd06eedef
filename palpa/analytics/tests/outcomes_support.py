"""A "responders" snapshot for the fixture clinic, from a seeded synthetic organization:
the synthetic therapist T01-01 is the ``therapist`` persona, T01-02 ``other_therapist``,
location L01 the clinic's ``location``. Four neck-pain episodes with a technique mix the
synthetic organization never gives ("reflexology") make a cell too small to show. The
figures are built once per process (pure, no database, condition groups under their
labels) and given the fixture's public ids when stored."""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import json
import re
from typing import Any

from django.utils import timezone

from palpa.accounts.models import Location, Organization, User
from palpa.analytics import responders
from palpa.analytics.conditions import condition_groups
from palpa.analytics.models import OutcomeSnapshot
from palpa.analytics.rows import EpisodeRow
from palpa.analytics.synthetic import Organization as Synthetic
from palpa.analytics.synthetic import generate, location_label, therapist_label

TESS, THEO, HOME = "T01-01", "T01-02", "L01"
RARE_MIX = "reflexology"
SETTINGS = responders.Settings(resamples=199)


def rows() -> list[EpisodeRow]:
    made = generate(
        Synthetic(locations=2, therapists_per_location=3, years=2, episodes=800), seed=3
    )
    neck = [r for r in made if r.condition_group == "neck-pain"][:4]
    rare = [
        dataclasses.replace(r, episode_id=f"rare-{i}", technique_mix=RARE_MIX)
        for i, r in enumerate(neck)
    ]
    return made + rare


@functools.cache
def _built() -> str:
    therapists = {
        therapist_label(loc, t): f"Therapist {loc + 1}-{t + 1}"
        for loc in range(2)
        for t in range(3)
    }
    therapists[TESS], therapists[THEO] = "Tess Therapist", "Theo Other"
    locations = {location_label(loc): f"Clinic {loc + 1}" for loc in range(2)}
    locations[HOME] = "Bayside Clinic"
    data = responders.build_from_rows(
        rows(),
        names=responders.Names(therapists, locations, dict(condition_groups().labels)),
        settings=SETTINGS,
    )
    return json.dumps(data)


def snapshot_data(*, therapist: str, other: str, location: str) -> dict[str, Any]:
    text = _built()
    # Labels stand alone in strings, or begin a slice's key ("L01|2024").
    for label, public_id in ((TESS, therapist), (THEO, other), (HOME, location)):
        text = re.sub(f'"{label}(?=["|])', f'"{public_id}', text)
    data: dict[str, Any] = json.loads(text)
    return data


def store_snapshot(
    organization: Organization, *, therapist: User, other: User, location: Location
) -> OutcomeSnapshot:
    data = snapshot_data(
        therapist=str(therapist.practitioner.public_id),
        other=str(other.practitioner.public_id),
        location=str(location.public_id),
    )
    return OutcomeSnapshot.objects.create(
        organization=organization,
        kind=responders.KIND,
        version=responders.VERSION,
        computed_at=timezone.now() - dt.timedelta(hours=2),
        episodes=len(rows()),
        seconds=1.0,
        data=data,
    )
