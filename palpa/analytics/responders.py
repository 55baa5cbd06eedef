"""The "responders" snapshot: everything the Outcomes pages and the outcomes API show,
computed in the background worker (docs/outcome-analytics.md, "The Outcomes page").

The builder aggregates the organization's episodes once into plain JSON, so that a page
(or an API call) choosing a condition group, technique mix, location or period only looks
figures up. numpy, scipy and statsmodels are used through ``palpa.analytics.stats`` and
imported inside functions only: the web workers import this module (to register it) and
must not load them.

Shape of the data (every figure rounded; ids are public ids)::

    {"min_cell", "q", "level", "resamples", "seed",
     "condition_groups": [...], "technique_mixes": [...], "years": [...],
     "locations": [{"id", "name"}], "therapists": [{"id", "name"}],
     "model": {"fitted", "episodes"},
     "slices": {"<location id or *>|<year or *>": SLICE},
     "mine": {"<therapist id>": {"slices": {...}}}}

A SLICE holds the responder tables (``by_condition``, ``by_condition_mix``, and on the
organization's pages ``by_therapist``, ``by_location``, ``by_year``), the Kaplan-Meier
curves (``km``, per condition group and ``*``) and the funnels (``funnel``: therapist and
location, per condition group and ``*``). A therapist's own slices ("mine") hold only
their own episodes' figures and their own observed-minus-expected point.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from palpa.analytics.rows import EpisodeRow

if TYPE_CHECKING:
    from palpa.accounts.models import Organization
    from palpa.analytics.stats import CaseMixModel, Cell, FunnelPoint, SurvivalCurve

KIND = "responders"
VERSION = "1"
ALL = "*"


@dataclass(frozen=True)
class Settings:
    min_cell: int = 10  # cells with fewer episodes are shown without figures
    q: float = 0.05  # false discovery rate of Benjamini-Hochberg
    level: float = 0.95  # of every interval
    seed: int = 15  # of the bootstrap (the same snapshot from the same episodes)
    resamples: int = 1999


SETTINGS = Settings()


def slice_key(location: str, period: str) -> str:
    return f"{location}|{period}"


def _r(value: float | None, digits: int = 4) -> float | None:
    return None if value is None else round(float(value), digits)


# --- one responder table ------------------------------------------------------------------


def _cell(cell: Cell, label: str, rest_rate: float | None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "key": [str(k) for k in cell.key],
        "label": label,
        "n": cell.n,
        "suppressed": cell.suppressed,
    }
    if cell.suppressed:
        return out
    rate = cell.rate
    median = cell.median_improvement_mcid
    out.update(
        measured=cell.measured,
        responders=cell.responders,
        rate=None if rate is None else [_r(rate.estimate), _r(rate.low), _r(rate.high)],
        median=None if median is None else [_r(median.estimate), _r(median.low), _r(median.high)],
        dropout=_r(cell.dropout_rate),
        p=_r(cell.p_value, 6),
        q=_r(cell.q_value, 6),
        different=bool(cell.different),
        direction=(
            None
            if rate is None or rest_rate is None
            else ("higher" if rate.estimate > rest_rate else "lower")
        ),
    )
    return out


def table(
    rows: Sequence[EpisodeRow],
    by: tuple[str, ...],
    label: Callable[[tuple[str, ...]], str],
    settings: Settings,
    seed: int,
) -> list[dict[str, Any]]:
    from palpa.analytics.stats import responder_table

    if not rows:
        return []
    cells = responder_table(
        rows,
        by=by,
        min_cell=settings.min_cell,
        seed=seed,
        level=settings.level,
        q=settings.q,
        resamples=settings.resamples,
    )
    measured = sum(c.measured or 0 for c in cells)
    responders = sum(c.responders or 0 for c in cells)
    # Suppressed cells carry no counts; their measured episodes come from the rows.
    hidden = {tuple(str(k) for k in c.key) for c in cells if c.suppressed}
    if hidden:
        for row in rows:
            if row.responder is None:
                continue
            key = tuple(str(_value(row, name)) for name in by)
            if key in hidden:
                measured += 1
                responders += int(row.responder)
    out = []
    for c in cells:
        rest: float | None = None
        if not c.suppressed and c.measured is not None and measured - c.measured > 0:
            rest = (responders - (c.responders or 0)) / (measured - c.measured)
        out.append(_cell(c, label(tuple(str(k) for k in c.key)), rest))
    return out


def _value(row: EpisodeRow, name: str) -> object:
    return row.start.year if name == "year" else getattr(row, name)


def mix_within_condition(
    rows: Sequence[EpisodeRow], settings: Settings, seed: int, names: Names | None = None
) -> list[dict[str, Any]]:
    """Technique mixes within each condition group, each compared with the other mixes of
    the same condition group (not with other conditions' episodes), then Benjamini-Hochberg
    over every shown cell of the table together."""
    from palpa.analytics.stats import benjamini_hochberg

    by_group: dict[str, list[EpisodeRow]] = {}
    for row in rows:
        by_group.setdefault(row.condition_group, []).append(row)
    out: list[dict[str, Any]] = []
    for i, group in enumerate(sorted(by_group)):
        out.extend(
            table(
                by_group[group],
                ("condition_group", "technique_mix"),
                lambda key: f"{_condition(names, key[0])} · {Names.mix(key[1])}",
                settings,
                seed + 1000 * i,
            )
        )
    tested = [c for c in out if c.get("p") is not None]
    verdict = benjamini_hochberg([float(c["p"]) for c in tested], settings.q)
    for c, adjusted, found in zip(tested, verdict.adjusted, verdict.discoveries, strict=True):
        c["q"] = _r(adjusted, 6)
        c["different"] = bool(found)
    return out


def _condition(names: Names | None, key: str) -> str:
    return names.condition(key) if names is not None else key


# --- Kaplan-Meier -------------------------------------------------------------------------


def _curve(curve: SurvivalCurve, n: int) -> dict[str, Any]:
    return {
        "n": n,
        "suppressed": False,
        "times": [_r(t, 2) for t in curve.times],
        "reached": [_r(1 - s) for s in curve.survival],
        # the interval of the share reached is the survival interval turned over
        "low": [_r(1 - h) for h in curve.high],
        "high": [_r(1 - lo) for lo in curve.low],
        "at_risk": list(curve.at_risk),
        "events": curve.events,
        "censored": curve.censored,
    }


def _km(rows: Sequence[EpisodeRow], settings: Settings) -> dict[str, Any]:
    from palpa.analytics.stats import visits_to_meaningful_change

    out: dict[str, Any] = {}
    groups: dict[str, list[EpisodeRow]] = {ALL: []}
    for row in rows:
        if row.mcid is None:
            continue
        groups[ALL].append(row)
        groups.setdefault(row.condition_group, []).append(row)
    for group, members in groups.items():
        if len(members) < settings.min_cell:
            out[group] = {"n": len(members), "suppressed": True}
            continue
        out[group] = _curve(visits_to_meaningful_change(members, settings.level), len(members))
    return out


# --- the funnel ---------------------------------------------------------------------------


def _funnel_curve(expected_rate: float, largest: int, settings: Settings) -> list[list[float]]:
    """Control limits around the overall expected rate over a range of n, as differences
    from it (for drawing): [n, low 99.8, low 95, high 95, high 99.8]. The same binomial
    quantiles as ``stats.funnel_limits``, for every n in one call."""
    import numpy as np  # worker-only (module doc)
    from scipy.stats import binom  # worker-only (module doc)

    top = max(largest, settings.min_cell + 1)
    sizes = np.unique(np.append(np.geomspace(settings.min_cell, top, 40).round().astype(int), top))
    p = min(1.0, max(0.0, expected_rate))
    columns = [sizes]
    for quantile in (0.001, 0.025, 0.975, 0.999):
        columns.append(binom.ppf(quantile, sizes, p) / sizes - p)
    return [
        [int(row[0]), *(_r(float(v)) or 0.0 for v in row[1:])]
        for row in np.column_stack(columns).tolist()
    ]


def _point(point: FunnelPoint, label: str) -> dict[str, Any]:
    return {
        "key": point.group,
        "label": label,
        "n": point.n,
        "suppressed": False,
        "observed": point.observed,
        "expected": _r(point.expected, 2),
        "observed_rate": _r(point.observed_rate),
        "expected_rate": _r(point.expected_rate),
        "o_minus_e": _r(point.o_minus_e),
        "limits_95": [_r(point.limits_95[0]), _r(point.limits_95[1])],
        "limits_998": [_r(point.limits_998[0]), _r(point.limits_998[1])],
        "outside_95": point.outside_95,
        "outside_998": point.outside_998,
        "change_o_minus_e": _r(point.change_o_minus_e, 3),
        "p": _r(point.p_value, 6),
    }


def funnel(
    rows: Sequence[EpisodeRow],
    models: tuple[CaseMixModel, CaseMixModel | None] | None,
    by: Callable[[EpisodeRow], str],
    label: Callable[[str], str],
    settings: Settings,
    *,
    curve: bool = True,
) -> dict[str, Any] | None:
    """Observed minus expected per group, suppressed below ``min_cell`` measured episodes,
    Benjamini-Hochberg over the shown groups."""
    from palpa.analytics.stats import benjamini_hochberg, observed_minus_expected

    if models is None or not rows:
        return None
    responder_model, change_model = models
    points = observed_minus_expected(rows, responder_model, by=by, change_model=change_model)
    shown = [p for p in points if p.n >= settings.min_cell]
    verdict = benjamini_hochberg([p.p_value for p in shown], settings.q)
    groups: list[dict[str, Any]] = []
    found = dict(
        zip(
            (p.group for p in shown),
            zip(verdict.adjusted, verdict.discoveries, strict=True),
            strict=True,
        )
    )
    for p in points:
        if p.n < settings.min_cell:
            groups.append({"key": p.group, "label": label(p.group), "n": p.n, "suppressed": True})
            continue
        one = _point(p, label(p.group))
        adjusted, discovery = found[p.group]
        one["q"] = _r(adjusted, 6)
        one["different"] = bool(discovery)
        groups.append(one)
    n = sum(p.n for p in points)
    overall = sum(p.expected for p in points) / n if n else 0.0
    largest = max((p.n for p in points), default=settings.min_cell)
    return {
        "expected_rate": _r(overall),
        "curve": _funnel_curve(overall, largest, settings) if n and curve else [],
        "groups": groups,
    }


# --- slices -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Names:
    therapists: dict[str, str]
    locations: dict[str, str]
    conditions: dict[str, str] = field(default_factory=dict)  # group id -> label

    def condition(self, key: str) -> str:
        return self.conditions.get(key, key)

    @staticmethod
    def mix(key: str) -> str:
        """A technique mix as people read it: "myofascial release + swedish"."""
        return " + ".join(part.replace("_", " ") for part in key.split("+"))

    def therapist(self, key: str) -> str:
        return self.therapists.get(key, "Former therapist")

    def location(self, key: str) -> str:
        return self.locations.get(key, "Former location")


def fits(rows: Sequence[EpisodeRow]) -> tuple[CaseMixModel, CaseMixModel | None] | None:
    from palpa.analytics.stats import NotEnoughEpisodes, fit_case_mix_model

    try:
        responder_model = fit_case_mix_model(rows, "responder")
    except (NotEnoughEpisodes, ValueError, ArithmeticError):
        return None
    try:
        change_model: CaseMixModel | None = fit_case_mix_model(rows, "change")
    except (NotEnoughEpisodes, ValueError, ArithmeticError):
        change_model = None
    return responder_model, change_model


def _slice(
    rows: Sequence[EpisodeRow],
    *,
    names: Names,
    models: tuple[CaseMixModel, CaseMixModel | None] | None,
    settings: Settings,
    seed: int,
    whole_location: bool,
    whole_period: bool,
) -> dict[str, Any]:
    conditions = sorted({r.condition_group for r in rows})
    out: dict[str, Any] = {
        "episodes": len(rows),
        "by_condition": table(
            rows, ("condition_group",), lambda k: names.condition(k[0]), settings, seed
        ),
        "by_condition_mix": mix_within_condition(rows, settings, seed + 100, names),
        "by_therapist": table(
            rows, ("therapist",), lambda k: names.therapist(k[0]), settings, seed + 200
        ),
        "km": _km(rows, settings),
    }
    if whole_location:
        out["by_location"] = table(
            rows, ("location",), lambda k: names.location(k[0]), settings, seed + 300
        )
    if whole_period:
        out["by_year"] = table(rows, ("year",), lambda k: k[0], settings, seed + 400)
    funnels: dict[str, dict[str, Any]] = {"therapist": {}, "location": {}}
    for group in [ALL, *conditions]:
        members = [r for r in rows if group == ALL or r.condition_group == group]
        funnels["therapist"][group] = funnel(
            members, models, lambda r: r.therapist, names.therapist, settings
        )
        if whole_location:
            funnels["location"][group] = funnel(
                members, models, lambda r: r.location, names.location, settings
            )
    out["funnel"] = funnels
    return out


def _mine_slice(
    rows: Sequence[EpisodeRow],
    *,
    names: Names,
    models: tuple[CaseMixModel, CaseMixModel | None] | None,
    settings: Settings,
    seed: int,
    whole_period: bool,
) -> dict[str, Any]:
    """One therapist's own figures: no other therapist's episodes take part in any of
    them (the expected rate comes from the organization's case-mix model)."""
    out: dict[str, Any] = {
        "episodes": len(rows),
        "by_condition": table(
            rows, ("condition_group",), lambda k: names.condition(k[0]), settings, seed
        ),
        "by_condition_mix": mix_within_condition(rows, settings, seed + 100, names),
        "km": _km(rows, settings),
    }
    if whole_period:
        out["by_year"] = table(rows, ("year",), lambda k: k[0], settings, seed + 400)
    own: dict[str, Any] = {}
    for group in [ALL, *sorted({r.condition_group for r in rows})]:
        members = [r for r in rows if group == ALL or r.condition_group == group]
        own[group] = funnel(
            members, models, lambda r: "you", lambda k: "You", settings, curve=False
        )
    out["own"] = own
    return out


def _slices(
    rows: Sequence[EpisodeRow],
    make: Callable[[Sequence[EpisodeRow], int, bool, bool], Any],
    *,
    by_location: bool = True,
) -> dict[str, Any]:
    """Every (location, year) combination with episodes, and their wholes. With one
    location (or ``by_location`` off) the whole stands for it: the page reads ``*``."""
    locations = sorted({r.location for r in rows})
    if len(locations) < 2 or not by_location:
        locations = []
    years = sorted({str(r.start.year) for r in rows})
    if len(years) < 2:
        years = []
    out: dict[str, Any] = {}
    seed = 0
    for location in [ALL, *locations]:
        for period in [ALL, *years]:
            members = [
                r
                for r in rows
                if (location == ALL or r.location == location)
                and (period == ALL or str(r.start.year) == period)
            ]
            if not members and (location, period) != (ALL, ALL):
                continue
            seed += 10_000
            out[slice_key(location, period)] = make(members, seed, location == ALL, period == ALL)
    return out


def build_from_rows(
    rows: Sequence[EpisodeRow], *, names: Names, settings: Settings = SETTINGS
) -> dict[str, Any]:
    """The snapshot's data from episode rows (pure: the database is not read)."""
    rows = sorted(rows, key=lambda r: (r.start, r.episode_id))
    models = fits(rows)
    base = settings.seed
    data: dict[str, Any] = {
        "min_cell": settings.min_cell,
        "q": settings.q,
        "level": settings.level,
        "resamples": settings.resamples,
        "seed": settings.seed,
        "condition_groups": sorted({r.condition_group for r in rows}),
        "condition_labels": {
            g: names.condition(g) for g in sorted({r.condition_group for r in rows})
        },
        "technique_mixes": sorted({r.technique_mix for r in rows}),
        "technique_labels": {m: Names.mix(m) for m in sorted({r.technique_mix for r in rows})},
        "years": sorted({str(r.start.year) for r in rows}),
        "locations": sorted(
            ({"id": k, "name": names.location(k)} for k in {r.location for r in rows}),
            key=lambda x: (x["name"], x["id"]),
        ),
        "therapists": sorted(
            ({"id": k, "name": names.therapist(k)} for k in {r.therapist for r in rows}),
            key=lambda x: (x["name"], x["id"]),
        ),
        "model": {"fitted": models is not None, "episodes": models[0].n if models else 0},
        "slices": _slices(
            rows,
            lambda members, seed, whole_location, whole_period: _slice(
                members,
                names=names,
                models=models,
                settings=settings,
                seed=base + seed,
                whole_location=whole_location,
                whole_period=whole_period,
            ),
        ),
    }
    mine: dict[str, Any] = {}
    for therapist in sorted({r.therapist for r in rows}):
        own_rows = [r for r in rows if r.therapist == therapist]
        mine[therapist] = {
            "episodes": len(own_rows),
            "slices": _slices(
                own_rows,
                lambda members, seed, _whole_location, whole_period: _mine_slice(
                    members,
                    names=names,
                    models=models,
                    settings=settings,
                    seed=base + seed,
                    whole_period=whole_period,
                ),
                by_location=False,
            ),
        }
    data["mine"] = mine
    return data


def build(organization: Organization, rows: Sequence[EpisodeRow]) -> dict[str, Any]:
    """The registered builder: names from the organization's records, figures from rows."""
    from palpa.accounts.models import Location
    from palpa.analytics.conditions import condition_groups
    from palpa.practitioners.models import Practitioner

    therapists = {
        str(p.public_id): p.display_name
        for p in Practitioner.objects.filter(organization=organization)
    }
    locations = {
        str(place.public_id): place.name
        for place in Location.objects.filter(organization=organization)
    }
    labels = dict(condition_groups().labels)
    return build_from_rows(rows, names=Names(therapists, locations, labels))
