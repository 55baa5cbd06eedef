"""One episode of care as the analysis sees it: plain values, no database.

``palpa.analytics.models.Episode`` stores these fields; the statistics
(``palpa.analytics.stats``) and the synthetic dataset (``palpa.analytics.synthetic``)
work on ``EpisodeRow`` only, so they are pure and property-tested."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field

# How an episode ended (docs/outcome-analytics.md).
GOALS_MET = "goals-met"
PLATEAU = "plateau"
REFERRED_OUT = "referred-out"
DROPPED_OUT = "dropped-out"
ONGOING = "ongoing"
ENDINGS = (GOALS_MET, PLATEAU, REFERRED_OUT, DROPPED_OUT, ONGOING)

# Time from onset to the evaluation: acute < 6 weeks, subacute 6-12, chronic > 12.
ACUTE = "acute"
SUBACUTE = "subacute"
CHRONIC = "chronic"
UNKNOWN = "unknown"
CHRONICITIES = (ACUTE, SUBACUTE, CHRONIC, UNKNOWN)


@dataclass(frozen=True)
class EpisodeRow:
    episode_id: str  # the episode's public id
    condition_group: str  # documented grouping of the ICD-10-CM code
    icd10: str
    measure: str  # the primary instrument's code, e.g. "NDI"
    higher_is_better: bool
    intake_score: float | None
    last_score: float | None
    mcid: float | None  # the instrument's thresholds, in its own units
    mdc: float | None
    visits: int
    planned_visits: int | None
    technique_mix: str  # documented label of the dominant techniques
    therapist: str  # public ids
    location: str
    payer_type: str
    age_band: str
    sex: str
    chronicity: str
    comorbidity_count: int
    screening_decision: str
    ending: str
    start: dt.date
    end: dt.date | None
    # visits until the improvement first reached MCID and MDC; None when it never did
    visits_to_meaningful_change: int | None = None
    technique_minutes: Mapping[str, int] = field(default_factory=dict)

    @property
    def improvement(self) -> float | None:
        """Change in the direction of improvement (positive is better), in the measure's units."""
        if self.intake_score is None or self.last_score is None:
            return None
        delta = self.last_score - self.intake_score
        return delta if self.higher_is_better else -delta

    @property
    def responder(self) -> bool | None:
        """Improved by at least the MCID and at least the MDC; None when unmeasured."""
        change = self.improvement
        if change is None or self.mcid is None:
            return None
        return change >= self.mcid and change >= (self.mdc or 0.0)
