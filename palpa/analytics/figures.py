"""What the Outcomes pages and the outcomes API show: the figures of the newest
"responders" snapshot chosen by the filters (condition group, technique mix, location,
period). A lookup in the snapshot's JSON: nothing is fitted or aggregated here, and no
numerical library is imported (web workers run this).

The organization's figures are for owners (``business.operations``); a therapist's own
("mine") come only from the snapshot's part for that therapist, so no other therapist's
figure is ever read for them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from palpa.accounts.models import User
from palpa.analytics import responders, snapshots
from palpa.analytics.models import OutcomeSnapshot
from palpa.analytics.responders import ALL, slice_key
from palpa.audit.services import Action, record


@dataclass(frozen=True)
class Filters:
    condition_group: str = ""
    technique_mix: str = ""
    location: str = ""  # public id
    period: str = ""  # a year, or "" for every year

    def as_dict(self) -> dict[str, str]:
        return {
            "condition_group": self.condition_group,
            "technique_mix": self.technique_mix,
            "location": self.location,
            "period": self.period,
        }


FILTER_NAMES = ("condition_group", "technique_mix", "location", "period")


def read_filters(
    query: Mapping[str, str], data: Mapping[str, Any] | None, *, locations: bool = True
) -> tuple[Filters, dict[str, str]]:
    """The filters from a query string, each checked against what the snapshot holds; an
    unknown value is dropped and named in the errors."""
    errors: dict[str, str] = {}
    chosen: dict[str, str] = {}
    allowed: dict[str, list[str]] = {
        "condition_group": list((data or {}).get("condition_groups", [])),
        "technique_mix": list((data or {}).get("technique_mixes", [])),
        "location": [x["id"] for x in (data or {}).get("locations", [])] if locations else [],
        "period": list((data or {}).get("years", [])),
    }
    what = {
        "condition_group": "Condition group: choose one of the groups listed.",
        "technique_mix": "Technique mix: choose one of the mixes listed.",
        "location": "Location: choose one of the organization's locations.",
        "period": "Period: choose one of the years listed.",
    }
    for name in FILTER_NAMES:
        value = str(query.get(name, "") or "").strip()
        if not value or value == ALL:
            continue
        if value not in allowed[name]:
            errors[name] = what[name]
            continue
        chosen[name] = value
    return Filters(**chosen), errors


@dataclass
class Figures:
    """What one page (or API answer) shows."""

    computed_at: dt.datetime | None = None
    episodes: int = 0  # in the snapshot
    min_cell: int = responders.SETTINGS.min_cell
    q: float = responders.SETTINGS.q
    level: float = responders.SETTINGS.level
    filters: Filters = field(default_factory=Filters)
    choices: dict[str, Any] = field(default_factory=dict)
    in_view: int = 0  # episodes in the chosen location and period
    forest: list[dict[str, Any]] = field(default_factory=list)
    forest_title: str = ""
    km: list[dict[str, Any]] = field(default_factory=list)  # one curve per group shown
    funnel: dict[str, Any] | None = None  # therapists (owners) or one's own point (mine)
    location_funnel: dict[str, Any] | None = None
    tables: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    model_fitted: bool = False
    mine: bool = False
    practitioner: bool = True  # "mine": the user treats patients

    @property
    def computed(self) -> bool:
        return self.computed_at is not None


def snapshot_for(user: User) -> OutcomeSnapshot | None:
    if user.organization_id is None:
        return None
    return snapshots.latest(user.organization_id, responders.KIND)


def _slice(slices: Mapping[str, Any], location: str, period: str) -> dict[str, Any] | None:
    found = slices.get(slice_key(location or ALL, period or ALL))
    if found is None and location:
        found = slices.get(slice_key(ALL, period or ALL)) if len(slices) and _one(slices) else None
    if found is None and period and _one_year(slices):
        found = slices.get(slice_key(location or ALL, ALL))
    return found


def _one(slices: Mapping[str, Any]) -> bool:
    """No location slices: the organization (or therapist) has one location."""
    return not any(not k.startswith(ALL + "|") for k in slices)


def _one_year(slices: Mapping[str, Any]) -> bool:
    return not any(not k.endswith("|" + ALL) for k in slices)


def _forest(part: Mapping[str, Any], filters: Filters) -> tuple[list[dict[str, Any]], str]:
    if filters.condition_group or filters.technique_mix:
        rows = [
            c
            for c in part.get("by_condition_mix", [])
            if (not filters.condition_group or c["key"][0] == filters.condition_group)
            and (not filters.technique_mix or c["key"][1] == filters.technique_mix)
        ]
        return rows, "Responder rate by technique mix within condition group"
    return list(part.get("by_condition", [])), "Responder rate by condition group"


def _km(part: Mapping[str, Any], filters: Filters) -> list[dict[str, Any]]:
    curves = part.get("km", {})
    groups = (
        [filters.condition_group]
        if filters.condition_group
        else sorted(g for g in curves if g != ALL)
    )
    return [{"group": g, **curves[g], "steps": _steps(curves[g])} for g in groups if g in curves]


def _steps(curve: Mapping[str, Any]) -> list[tuple[int, int, int, int]]:
    """The curve's steps for its table: (visit, % reached, interval low, high)."""
    if curve.get("suppressed"):
        return []
    return [
        (round(t), round(r * 100), round(lo * 100), round(hi * 100))
        for t, r, lo, hi in zip(
            curve["times"][1:],
            curve["reached"][1:],
            curve["low"][1:],
            curve["high"][1:],
            strict=True,
        )
    ]


def figures(user: User, filters: Filters, *, mine: bool = False) -> Figures:
    """The figures for the organization's page (owners) or the user's own ("mine")."""
    snapshot = snapshot_for(user)
    found = Figures(filters=filters, mine=mine)
    if mine:
        found.practitioner = own_practitioner_id(user) is not None
    if snapshot is None:
        return found
    data: dict[str, Any] = snapshot.data
    found.computed_at = snapshot.computed_at
    found.episodes = snapshot.episodes
    found.min_cell = int(data.get("min_cell", found.min_cell))
    found.q = float(data.get("q", found.q))
    found.level = float(data.get("level", found.level))
    found.model_fitted = bool(data.get("model", {}).get("fitted"))
    conditions = data.get("condition_labels", {})
    mixes = data.get("technique_labels", {})
    found.choices = {
        "condition_groups": [(g, conditions.get(g, g)) for g in data.get("condition_groups", [])],
        "technique_mixes": [(m, mixes.get(m, m)) for m in data.get("technique_mixes", [])],
        "locations": [] if mine else data.get("locations", []),
        "years": data.get("years", []),
    }
    if mine:
        own = own_practitioner_id(user)
        part_of = data.get("mine", {}).get(own or "", {}) if own else {}
        slices = part_of.get("slices", {})
        part = _slice(slices, "", filters.period) if slices else None
        if part is None:
            return found
        found.funnel = part.get("own", {}).get(filters.condition_group or ALL)
        found.tables = {"by_year": part.get("by_year", [])}
    else:
        part = _slice(data.get("slices", {}), filters.location, filters.period)
        if part is None:
            return found
        funnels = part.get("funnel", {})
        found.funnel = funnels.get("therapist", {}).get(filters.condition_group or ALL)
        found.location_funnel = funnels.get("location", {}).get(filters.condition_group or ALL)
        found.tables = {
            "by_therapist": part.get("by_therapist", []),
            "by_location": part.get("by_location", []),
            "by_year": part.get("by_year", []),
        }
    found.in_view = int(part.get("episodes", 0))
    found.forest, found.forest_title = _forest(part, filters)
    found.km = [{**c, "label": conditions.get(c["group"], c["group"])} for c in _km(part, filters)]
    return found


def own_practitioner_id(user: User) -> str | None:
    """The public id of the user's active practitioner record, or None."""
    from palpa.practitioners.models import Practitioner

    if user.organization_id is None:
        return None
    found = (
        Practitioner.objects.filter(organization_id=user.organization_id, user=user)
        .values_list("public_id", flat=True)
        .first()
    )
    return None if found is None else str(found)


def audit_outcomes_read(*, actor: User, view: str, found: Figures) -> None:
    """Reading the outcome figures (aggregates of patients' scores): one read entry with
    the view (organization or mine; page or API), the filters and the snapshot's time."""
    record(
        actor=actor,
        action=Action.READ,
        object_type="OutcomeFigures",
        detail={
            "view": view,
            "filters": found.filters.as_dict(),
            "computed_at": found.computed_at.isoformat() if found.computed_at else "",
        },
    )
