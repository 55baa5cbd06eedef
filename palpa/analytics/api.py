"""The outcome figures over the API (``/api/v1/outcomes/...``): the same figures as the
Outcomes pages, read from the newest "responders" snapshot (``palpa.analytics.figures``).

``/outcomes/responders`` is the organization's (owners: ``business.operations``);
``/outcomes/mine`` is the caller's own episodes only (``clinical.read``). Every read is
audited. Without a snapshot the answer says so (``computed_at`` null, no figures).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from ninja import Router, Schema

from palpa.accounts.gates import api_requires
from palpa.accounts.permissions import Capability
from palpa.analytics import figures
from palpa.core.api import ERRORS, actor
from palpa.core.schemas import Line

router = Router()


class FiltersOut(Schema):
    condition_group: str
    technique_mix: str
    location: str
    period: str


class OutcomesOut(Schema):
    computed_at: dt.datetime | None
    episodes: int  # episodes the snapshot rests on
    episodes_in_view: int
    min_cell: int
    q: float  # Benjamini-Hochberg false discovery rate
    level: float  # of every interval
    model_fitted: bool
    filters: FiltersOut
    forest_title: str
    responder_cells: list[dict[str, Any]]
    kaplan_meier: list[dict[str, Any]]
    funnel: dict[str, Any] | None
    location_funnel: dict[str, Any] | None
    tables: dict[str, list[dict[str, Any]]]
    note: str


NOTE = (
    "Technique effects are observational: a technique mix is associated with a responder "
    "rate, it is not shown to cause it. Cells with fewer than min_cell episodes carry no "
    "figures. Rows marked different are Benjamini-Hochberg discoveries at false discovery "
    "rate q."
)


def _answer(
    request: HttpRequest,
    *,
    mine: bool,
    condition_group: str,
    technique_mix: str,
    location: str,
    period: str,
) -> dict[str, Any]:
    user = actor(request)
    snapshot = figures.snapshot_for(user)
    query = {
        "condition_group": condition_group,
        "technique_mix": technique_mix,
        "location": location,
        "period": period,
    }
    chosen, errors = figures.read_filters(
        query, snapshot.data if snapshot else None, locations=not mine
    )
    if errors and snapshot is not None:
        raise ValidationError(errors)
    found = figures.figures(user, chosen, mine=mine)
    figures.audit_outcomes_read(actor=user, view="api mine" if mine else "api", found=found)
    return {
        "computed_at": found.computed_at,
        "episodes": found.episodes,
        "episodes_in_view": found.in_view,
        "min_cell": found.min_cell,
        "q": found.q,
        "level": found.level,
        "model_fitted": found.model_fitted,
        "filters": chosen.as_dict(),
        "forest_title": found.forest_title,
        "responder_cells": found.forest,
        "kaplan_meier": [{k: v for k, v in c.items() if k != "steps"} for c in found.km],
        "funnel": found.funnel,
        "location_funnel": None if mine else found.location_funnel,
        "tables": found.tables,
        "note": NOTE,
    }


@router.get(
    "/outcomes/responders",
    response={200: OutcomesOut, **ERRORS},
    summary="The organization's responder analysis (the Outcomes page's figures)",
)
@api_requires(Capability.BUSINESS_OPERATIONS)
def organization_outcomes(
    request: HttpRequest,
    condition_group: Line = "",
    technique_mix: Line = "",
    location: Line = "",
    period: Line = "",
) -> dict[str, Any]:
    return _answer(
        request,
        mine=False,
        condition_group=condition_group,
        technique_mix=technique_mix,
        location=location,
        period=period,
    )


@router.get(
    "/outcomes/mine",
    response={200: OutcomesOut, **ERRORS},
    summary="The caller's own responder analysis (My outcomes)",
)
@api_requires(Capability.CLINICAL_READ)
def my_outcomes(
    request: HttpRequest,
    condition_group: Line = "",
    technique_mix: Line = "",
    period: Line = "",
) -> dict[str, Any]:
    return _answer(
        request,
        mine=True,
        condition_group=condition_group,
        technique_mix=technique_mix,
        location="",
        period=period,
    )
