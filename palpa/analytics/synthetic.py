"""A synthetic organization whose truth is known: episodes with PLANTED effects, the same for
the same seed (docs/outcome-analytics.md, "A dataset whose truth is known").

Pure and vectorised with numpy (imported inside ``generate``, never by a web worker): 100,000
episodes take a few seconds. The instruments' MCID and MDC come from Palpa's instrument
library (palpa/outcomes/data/instruments.json, each with its source); everything else here
(case mix, effect sizes, visit counts) is made up and claims nothing about real patients.
The rows carry the episode table's own labels: condition groups of
palpa/analytics/data/condition_groups.json; age bands, payer types and technique mixes as
palpa/analytics/episode_rules.py gives them.

The outcome model, in MCID units of the episode's instrument:

    change = 1.0 + condition shift - 0.04 * (intake severity in % of the range - 55) / 10
             - 0.15 * comorbidities + chronicity shift + 0.05 * (planned visits - 8)
             + technique effect (planted mix in the planted condition only)
             + therapist effect (the planted therapist only)
             + age effect * (age band index: 18-29 is 0, 90+ is 7)
             + N(0, 1)

Drop-outs stop early (informative: the lower the improvement after a third of the planned
visits, the likelier); their last score, when they have one, shows the change so far.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from palpa.analytics.episode_rules import AGE_BANDS as RULE_AGE_BANDS
from palpa.analytics.episode_rules import (
    INSURANCE,
    PAYER_UNKNOWN,
    SELF_PAY,
    technique_mix,
)
from palpa.analytics.rows import (
    ACUTE,
    CHRONIC,
    DROPPED_OUT,
    GOALS_MET,
    PLATEAU,
    REFERRED_OUT,
    SUBACUTE,
    UNKNOWN,
    EpisodeRow,
)
from palpa.outcomes.library import get_instrument

# (condition group, ICD-10-CM code, instrument id in Palpa's library): each code's group as
# Palpa's grouping gives it (condition_groups.json; knee pain has no group of its own)
CONDITIONS = (
    ("neck-pain", "M54.2", "NDI"),
    ("low-back-pain", "M54.50", "ODI"),
    ("shoulder", "M25.511", "QUICKDASH"),
    ("other", "M25.561", "LEFS"),
    ("myalgia-fibromyalgia", "M79.18", "NPRS"),
)
CONDITION_SHIFT = (0.0, -0.1, -0.2, 0.1, 0.2)
CONDITION_WEIGHTS = (0.3, 0.3, 0.15, 0.1, 0.15)
# Technique ids of palpa/care/data/techniques.json; each mix's minutes in fifths of the
# episode's minutes, and its label the episode table's rule gives them
# (episode_rules.technique_mix): one technique leads three mixes, the fourth has none.
TECHNIQUES = ("myofascial_release", "trigger_point", "swedish", "manual_lymphatic_drainage")
MIX_FIFTHS: tuple[dict[str, int], ...] = (
    {"myofascial_release": 3, "trigger_point": 2},
    {"trigger_point": 3, "swedish": 2},
    {"swedish": 3, "manual_lymphatic_drainage": 2},
    {"manual_lymphatic_drainage": 2, "myofascial_release": 2, "swedish": 1},
)
TECHNIQUE_MIXES = tuple(technique_mix(fifths) for fifths in MIX_FIFTHS)
# "myofascial_release", "trigger_point", "swedish",
# "manual_lymphatic_drainage+myofascial_release"
AGE_BANDS = tuple(label for low, _, label in RULE_AGE_BANDS if low >= 18)  # 18-29 ... 90+
AGE_WEIGHTS = (0.12, 0.16, 0.18, 0.2, 0.16, 0.11, 0.05, 0.02)
SEXES = ("female", "male")
PAYERS = (INSURANCE, SELF_PAY, PAYER_UNKNOWN)
PAYER_WEIGHTS = (0.6, 0.35, 0.05)
CHRONICITY = (ACUTE, SUBACUTE, CHRONIC, UNKNOWN)
CHRONICITY_WEIGHTS = (0.25, 0.25, 0.45, 0.05)
CHRONICITY_SHIFT = (0.4, 0.1, -0.2, 0.0)
PLANNED = (6, 8, 10, 12)


@dataclass(frozen=True)
class PlantedEffects:
    """Effects in MCID units of change. ``NULL_EFFECTS`` plants none of them."""

    technique_condition: str = "neck-pain"
    technique_mix: str = "myofascial_release"
    technique_effect: float = 0.8
    therapist: str = "T01-01"  # therapist 1 at location 1
    therapist_effect: float = -0.8
    age_effect_per_band: float = -0.25  # each older band
    # Drop-out: probability rises as early improvement falls (not at random) when set;
    # otherwise every episode drops out with the base probability.
    informative_dropout: bool = True
    dropout_base: float = 0.15


NULL_EFFECTS = PlantedEffects(
    technique_effect=0.0, therapist_effect=0.0, age_effect_per_band=0.0, informative_dropout=False
)


@dataclass(frozen=True)
class Organization:
    locations: int = 4
    therapists_per_location: int = 5
    years: int = 3
    episodes: int = 5000
    first_year: int = 2023
    effects: PlantedEffects = field(default_factory=PlantedEffects)


def therapist_label(location: int, therapist: int) -> str:
    return f"T{location + 1:02d}-{therapist + 1:02d}"


def location_label(location: int) -> str:
    return f"L{location + 1:02d}"


def _thresholds() -> list[tuple[float, float | None, bool, int, int]]:
    out: list[tuple[float, float | None, bool, int, int]] = []
    for _, _, instrument_id in CONDITIONS:
        instrument = get_instrument(instrument_id)
        defaults = instrument.change_defaults
        if defaults.mcid is None:
            raise ValueError(f"{instrument_id} has no MCID in the instrument library.")
        mdc = defaults.mdc.value if defaults.mdc is not None else None
        out.append(
            (
                defaults.mcid.value,
                mdc,
                instrument.higher_is_better,
                instrument.range_min,
                instrument.range_max,
            )
        )
    return out


def generate(organization: Organization, *, seed: int) -> list[EpisodeRow]:
    """The organization's episodes, deterministic by seed."""
    import numpy as np  # worker-only: see palpa.analytics.stats

    org, fx = organization, organization.effects
    rng = np.random.default_rng(seed)
    n = org.episodes
    thresholds = _thresholds()

    condition = rng.choice(len(CONDITIONS), n, p=CONDITION_WEIGHTS)
    location = rng.integers(0, org.locations, n)
    therapist = rng.integers(0, org.therapists_per_location, n)
    age = rng.choice(len(AGE_BANDS), n, p=AGE_WEIGHTS)
    sex = rng.integers(0, 2, n)
    payer = rng.choice(len(PAYERS), n, p=PAYER_WEIGHTS)
    chronicity = rng.choice(len(CHRONICITY), n, p=CHRONICITY_WEIGHTS)
    comorbidities = np.minimum(rng.poisson(1.0, n), 6)
    planned = np.asarray(PLANNED)[rng.integers(0, len(PLANNED), n)]
    mix = rng.integers(0, len(TECHNIQUE_MIXES), n)
    severity = rng.uniform(25.0, 85.0, n)  # intake, % of the instrument's range towards worst
    day = rng.integers(0, 365 * org.years, n)

    mcid = np.asarray([t[0] for t in thresholds])[condition]
    mdc_raw = [t[1] for t in thresholds]
    better = np.asarray([t[2] for t in thresholds])[condition]
    low = np.asarray([t[3] for t in thresholds], dtype=float)[condition]
    high = np.asarray([t[4] for t in thresholds], dtype=float)[condition]

    change = (
        1.0
        + np.asarray(CONDITION_SHIFT)[condition]
        - 0.04 * (severity - 55.0) / 10.0
        - 0.15 * comorbidities
        + np.asarray(CHRONICITY_SHIFT)[chronicity]
        + 0.05 * (planned - 8)
        + fx.age_effect_per_band * age
        + rng.normal(0.0, 1.0, n)
    )
    planted_condition = [c[0] for c in CONDITIONS].index(fx.technique_condition)
    planted_mix = TECHNIQUE_MIXES.index(fx.technique_mix)
    change += fx.technique_effect * ((condition == planted_condition) & (mix == planted_mix))
    p_location = int(fx.therapist[1:3]) - 1
    p_therapist = int(fx.therapist[4:6]) - 1
    change += fx.therapist_effect * ((location == p_location) & (therapist == p_therapist))

    # Drop-out: early improvement (a third of the way) decides it when informative.
    early = change / 3.0 + rng.normal(0.0, 0.3, n)
    if fx.informative_dropout:
        logit = np.log(fx.dropout_base / (1 - fx.dropout_base)) - 1.2 * (early - 0.35)
        p_drop = 1.0 / (1.0 + np.exp(-logit))
    else:
        p_drop = np.full(n, fx.dropout_base)
    dropped = rng.uniform(size=n) < p_drop
    drop_visit = np.maximum(1, (rng.uniform(size=n) * (planned - 1)).astype(int))
    visits = np.where(dropped, drop_visit, planned)
    # A drop-out's last score is its last re-assessment, or none (half of them).
    reached = np.where(dropped, visits / planned, 1.0)
    measured_last = ~dropped | (rng.uniform(size=n) < 0.5)
    final_change = change * reached

    span = high - low
    intake_points = np.where(better, high - severity / 100 * span, low + severity / 100 * span)
    intake = np.round(intake_points)
    change_points = final_change * mcid
    last = np.clip(np.round(intake + np.where(better, change_points, -change_points)), low, high)
    improvement = np.where(better, last - intake, intake - last)
    mdc = np.asarray([m if m is not None else 0.0 for m in mdc_raw])[condition]
    needed = np.maximum(mcid, mdc)
    responder = measured_last & (improvement >= needed)
    # Linear course: the visit at which the meaningful change was first reached.
    per_visit = np.where(improvement > 0, improvement / np.maximum(visits, 1), 1.0)
    first = np.minimum(visits, np.ceil(needed / per_visit)).astype(int)
    referred = rng.uniform(size=n) < 0.05

    first_day = dt.date(org.first_year, 1, 1)
    minutes_total = visits * 50  # 50 minutes a visit: whole fifths
    rows: list[EpisodeRow] = []
    for i in range(n):
        c = int(condition[i])
        group, code, measure = CONDITIONS[c]
        loc = int(location[i])
        start = first_day + dt.timedelta(days=int(day[i]))
        v = int(visits[i])
        if dropped[i]:
            ending = DROPPED_OUT
        elif responder[i]:
            ending = GOALS_MET
        elif referred[i]:
            ending = REFERRED_OUT
        else:
            ending = PLATEAU
        m = int(mix[i])
        fifth = int(minutes_total[i]) // 5
        minutes = {t: share * fifth for t, share in MIX_FIFTHS[m].items()}
        rows.append(
            EpisodeRow(
                episode_id=f"synthetic-{seed}-{i}",
                condition_group=group,
                icd10=code,
                measure=measure,
                higher_is_better=bool(better[i]),
                intake_score=float(intake[i]),
                last_score=float(last[i]) if measured_last[i] else None,
                mcid=float(mcid[i]),
                mdc=mdc_raw[c],
                visits=v,
                planned_visits=int(planned[i]),
                technique_mix=TECHNIQUE_MIXES[m],
                therapist=therapist_label(loc, int(therapist[i])),
                location=location_label(loc),
                payer_type=PAYERS[int(payer[i])],
                age_band=AGE_BANDS[int(age[i])],
                sex=SEXES[int(sex[i])],
                chronicity=CHRONICITY[int(chronicity[i])],
                comorbidity_count=int(comorbidities[i]),
                screening_decision="proceed",
                ending=ending,
                start=start,
                end=start + dt.timedelta(days=7 * v),
                visits_to_meaningful_change=int(first[i]) if responder[i] else None,
                technique_minutes=minutes,
            )
        )
    return rows
