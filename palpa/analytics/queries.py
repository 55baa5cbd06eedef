"""Reading the episode table: limited to what the actor may see, and as ``EpisodeRow``.

Episodes are clinical content (scores, diagnoses), so reading them needs
``clinical.read``. An owner (``business.operations``: the practice's figures per therapist)
sees every episode of the organization; a therapist sees the episodes they treat (the
plan's practitioner, or the evaluating one before a plan). No one sees another
organization's episodes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from typing import Any
from uuid import UUID

from django.db.models import QuerySet

from palpa.accounts.models import User
from palpa.accounts.permissions import Capability, has_capability, require, tenant_id
from palpa.analytics.models import Episode
from palpa.analytics.rows import EpisodeRow

# filter name -> the lookup it becomes (values by public id where the row has one)
FILTERS: dict[str, str] = {
    "condition_group": "condition_group",
    "measure": "measure",
    "technique_mix": "technique_mix",
    "ending": "ending",
    "practitioner": "practitioner__public_id",
    "location": "location__public_id",
    "started_from": "start__gte",
    "started_to": "start__lte",
}


def sees_every_episode(actor: User) -> bool:
    return has_capability(actor, Capability.BUSINESS_OPERATIONS)


def episodes_for(actor: User, **filters: str | UUID | dt.date | None) -> QuerySet[Episode]:
    """The episodes the actor may see, narrowed by ``filters`` (None or "" is no filter;
    an unknown filter name is an error, not silently ignored)."""
    require(actor, Capability.CLINICAL_READ)
    unknown = sorted(set(filters) - set(FILTERS))
    if unknown:
        raise ValueError(f"Unknown episode filters: {', '.join(unknown)}")
    episodes = Episode.objects.filter(organization_id=tenant_id(actor))
    if not sees_every_episode(actor):
        episodes = episodes.filter(practitioner__user=actor)
    lookups: dict[str, Any] = {
        FILTERS[name]: value for name, value in filters.items() if value not in (None, "")
    }
    return episodes.filter(**lookups).select_related("practitioner", "location")


def episode_row(episode: Episode) -> EpisodeRow:
    return EpisodeRow(
        episode_id=str(episode.public_id),
        condition_group=episode.condition_group,
        icd10=episode.icd10,
        measure=episode.measure,
        higher_is_better=episode.higher_is_better,
        intake_score=episode.intake_score,
        last_score=episode.last_score,
        mcid=episode.mcid,
        mdc=episode.mdc,
        visits=episode.visits,
        planned_visits=episode.planned_visits,
        technique_mix=episode.technique_mix,
        therapist=str(episode.practitioner.public_id),
        location=str(episode.location.public_id),
        payer_type=episode.payer_type,
        age_band=episode.age_band,
        sex=episode.sex,
        chronicity=episode.chronicity,
        comorbidity_count=episode.comorbidity_count,
        screening_decision=episode.screening_decision,
        ending=episode.ending,
        start=episode.start,
        end=episode.end,
        visits_to_meaningful_change=episode.visits_to_meaningful_change,
        technique_minutes=dict(episode.technique_minutes),
    )


# The columns ``episode_rows`` reads, in EpisodeRow's order (the two ids by relation).
ROW_COLUMNS = (
    "public_id",
    "condition_group",
    "icd10",
    "measure",
    "higher_is_better",
    "intake_score",
    "last_score",
    "mcid",
    "mdc",
    "visits",
    "planned_visits",
    "technique_mix",
    "practitioner__public_id",
    "location__public_id",
    "payer_type",
    "age_band",
    "sex",
    "chronicity",
    "comorbidity_count",
    "screening_decision",
    "ending",
    "start",
    "end",
    "visits_to_meaningful_change",
    "technique_minutes",
)


def episode_rows(episodes: QuerySet[Episode] | Iterable[Episode]) -> Iterator[EpisodeRow]:
    """Each episode as the statistics see it. A queryset is read as plain values in
    chunks (no model instances: a recompute reads every episode of the organization), its
    therapist's and location's ids joined in the same statement."""
    if not isinstance(episodes, QuerySet):
        for episode in episodes:
            yield episode_row(episode)
        return
    for v in episodes.order_by("pk").values_list(*ROW_COLUMNS).iterator(chunk_size=5000):
        yield EpisodeRow(
            episode_id=str(v[0]),
            condition_group=v[1],
            icd10=v[2],
            measure=v[3],
            higher_is_better=v[4],
            intake_score=v[5],
            last_score=v[6],
            mcid=v[7],
            mdc=v[8],
            visits=v[9],
            planned_visits=v[10],
            technique_mix=v[11],
            therapist=str(v[12]),
            location=str(v[13]),
            payer_type=v[14],
            age_band=v[15],
            sex=v[16],
            chronicity=v[17],
            comorbidity_count=v[18],
            screening_decision=v[19],
            ending=v[20],
            start=v[21],
            end=v[22],
            visits_to_meaningful_change=v[23],
            technique_minutes=dict(v[24] or {}),
        )
