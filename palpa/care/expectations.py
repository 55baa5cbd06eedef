"""The result to expect for a goal, shown where the therapist sets it (plan of care).

``care`` sits below the app that fits models on the organization's episodes of care
(analytics, line 8), so it names no such app: an app registers an estimator in its
``AppConfig.ready()`` (``register_estimator``). An estimator answers, for a plan and an
instrument (and the target typed so far), the change to expect after the plan's planned
visits, the probability of reaching the instrument's MCID, an interval, what it rests on,
and a flag for a target that is very unlikely or trivially likely. Flags inform; they
never block signing. Without an estimator (or for a measure it cannot judge) nothing is
shown. docs/outcome-analytics.md, "The expected result when setting a goal".
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from palpa.care.models import Goal, Plan


@dataclass(frozen=True)
class GoalExpectation:
    instrument: str
    basis: str  # "model": the clinic's episodes (shrunk towards the prior); "prior": prior only
    note: str  # one sentence on what it rests on ("Not enough episodes yet ...")
    units: str  # "points" of the instrument
    expected_change: float  # positive = improvement, in the instrument's points
    interval: tuple[float, float]  # of the expected (mean) change
    patient_range: tuple[float, float]  # where one patient's change is expected to fall
    level: float
    mcid: float
    probability_mcid: float
    intake: float
    expected_score: float  # the intake moved by the expected change, in the measure's direction
    target: float | None
    probability_target: float | None
    flag: str | None  # "very-unlikely" | "trivially-likely"
    flag_text: str
    similar_episodes: int
    episodes: int  # the organization's measured episodes on this measure
    weight_of_clinic: float  # 0 = prior only, 1 = the clinic's estimate only
    prior: str  # the prior in words
    model: str  # the model in words
    inputs: list[tuple[str, str]] = field(default_factory=list)
    coefficients: list[tuple[str, str]] = field(default_factory=list)
    computed: str = ""  # when the figures were computed, local to the plan's location

    @property
    def flagged(self) -> bool:
        return self.flag is not None

    @property
    def probability_mcid_text(self) -> str:
        return percent(self.probability_mcid)

    @property
    def probability_target_text(self) -> str:
        return "" if self.probability_target is None else percent(self.probability_target)

    @property
    def level_text(self) -> str:
        return percent(self.level)


def percent(p: float) -> str:
    """A probability in words a therapist reads at a glance ("37 %", "under 1 %")."""
    if p < 0.01:
        return "under 1 %"
    if p > 0.99:
        return "over 99 %"
    return f"{round(p * 100)} %"


# estimator(plan, instrument id, target score, or None for "a change of at least the MCID")
# -> expectation, or None
Estimator = Callable[[Plan, str, float | None], GoalExpectation | None]
_ESTIMATORS: dict[str, Estimator] = {}


def register_estimator(name: str, estimator: Estimator) -> None:
    """Add an estimator (once by name, however often ``ready()`` runs)."""
    _ESTIMATORS[name] = estimator


def for_measure(plan: Plan, instrument: str, target: float | None) -> GoalExpectation | None:
    """The first registered estimator's answer for this instrument, or None."""
    for name in sorted(_ESTIMATORS):
        found = _ESTIMATORS[name](plan, instrument, target)
        if found is not None:
            return found
    return None


def for_goal(plan: Plan, goal: Goal) -> GoalExpectation | None:
    if goal.measure_kind != Goal.Measure.INSTRUMENT or not goal.instrument:
        return None
    meaningful = goal.target_kind == Goal.Target.MEANINGFUL_CHANGE
    return for_measure(plan, goal.instrument, None if meaningful else goal.target_value)


def for_goals(plan: Plan) -> list[tuple[Goal, GoalExpectation]]:
    """Each instrument goal of the plan with its expectation (those an estimator judged)."""
    out: list[tuple[Goal, GoalExpectation]] = []
    for goal in plan.goals.all():
        found = for_goal(plan, goal)
        if found is not None:
            out.append((goal, found))
    return out
