"""The episode table's rules, pure (no database): age band, chronicity, technique mix,
payer type, comorbidity count, ending, and visits to the first meaningful change.

docs/outcome-analytics.md ("The episode table") states each rule; the tests hold them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from palpa.analytics import rows

# --- the patient at the evaluation --------------------------------------------------------

# Age bands (years at the evaluation). Ages over 89 are one band, as HIPAA Safe Harbor
# requires of ages in de-identified data (45 CFR 164.514(b)(2)(i)(C)).
AGE_BANDS: tuple[tuple[int, int | None, str], ...] = (
    (0, 17, "0-17"),
    (18, 29, "18-29"),
    (30, 39, "30-39"),
    (40, 49, "40-49"),
    (50, 59, "50-59"),
    (60, 69, "60-69"),
    (70, 79, "70-79"),
    (80, 89, "80-89"),
    (90, None, "90+"),
)


def age_on(born: dt.date, on: dt.date) -> int:
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def age_band(born: dt.date, on: dt.date) -> str:
    age = max(0, age_on(born, on))
    for low, high, label in AGE_BANDS:
        if age >= low and (high is None or age <= high):
            return label
    raise AssertionError("the bands cover every age")  # pragma: no cover


ACUTE_BEFORE_DAYS = 6 * 7  # under 6 weeks from onset: acute
CHRONIC_AFTER_DAYS = 12 * 7  # over 12 weeks: chronic; in between: subacute


def chronicity(onset: dt.date | None, evaluated_on: dt.date) -> str:
    """Time from the complaint's onset to the evaluation: acute under 6 weeks, chronic over
    12 weeks, subacute from 6 to 12 weeks inclusive; unknown without an onset."""
    if onset is None:
        return rows.UNKNOWN
    days = (evaluated_on - onset).days
    if days < ACUTE_BEFORE_DAYS:
        return rows.ACUTE
    if days > CHRONIC_AFTER_DAYS:
        return rows.CHRONIC
    return rows.SUBACUTE


INSURANCE = "insurance"
SELF_PAY = "self-pay"
PAYER_UNKNOWN = "unknown"


def payer_type(coverage_kind: str | None) -> str:
    """From billing's coverage in effect on the evaluation day: ``insurance`` or
    ``self-pay``; ``unknown`` when no coverage was recorded."""
    return {"insurance": INSURANCE, "self_pay": SELF_PAY}.get(coverage_kind or "", PAYER_UNKNOWN)


COUNTED_CANCER = ("active", "under_treatment")


def comorbidity_count(facts: Mapping[str, Any] | None) -> int:
    """From the intake health history (the screening's facts): the distinct conditions
    recorded as current (a past or suspected condition does not count), plus one for a
    cancer that is active or under treatment. No screening: 0."""
    if not facts:
        return 0
    current = {
        str(c.get("code"))
        for c in facts.get("conditions") or ()
        if isinstance(c, Mapping) and c.get("status", "current") == "current"
    }
    cancer = any(
        isinstance(c, Mapping) and c.get("status") in COUNTED_CANCER
        for c in facts.get("cancer") or ()
    )
    return len(current) + (1 if cancer else 0)


# --- the care given -------------------------------------------------------------------------

DOMINANT_SHARE = 0.5  # a technique with at least half the minutes names the mix alone
NO_TECHNIQUE = "none"


def technique_mix(minutes: Mapping[str, int]) -> str:
    """A label for the techniques of an episode's signed notes: the technique with at least
    half of all minutes alone (``myofascial_release``); otherwise the two with the most
    minutes, in alphabetical order, joined by ``+`` (``effleurage+trigger_point``); ties
    are broken by the technique's name. ``none`` when no minutes were recorded."""
    given = sorted(((m, t) for t, m in minutes.items() if m > 0), key=lambda x: (-x[0], x[1]))
    total = sum(m for m, _ in given)
    if total == 0:
        return NO_TECHNIQUE
    top_minutes, top = given[0]
    if top_minutes >= DOMINANT_SHARE * total or len(given) == 1:
        return top
    return "+".join(sorted((top, given[1][1])))


def improvement(intake: float, later: float, *, higher_is_better: bool) -> float:
    delta = later - intake
    return delta if higher_is_better else -delta


def visits_to_meaningful_change(
    scores: Sequence[tuple[dt.date, float]],
    visit_dates: Sequence[dt.date],
    *,
    higher_is_better: bool,
    mcid: float | None,
    mdc: float | None,
) -> int | None:
    """The number of signed visits on or before the first score (after the intake, the
    first of ``scores``) whose improvement reached both the MCID and the MDC; None when no
    score did, or the measure has no MCID."""
    if mcid is None or len(scores) < 2:
        return None
    intake = scores[0][1]
    for on, value in scores[1:]:
        change = improvement(intake, value, higher_is_better=higher_is_better)
        if change >= mcid and change >= (mdc or 0.0):
            return sum(1 for visit in visit_dates if visit <= on)
    return None


# --- how it ended ---------------------------------------------------------------------------

# The discharge's reason (care.Discharge.Reason) to the episode's ending. A patient who
# chose to stop, and a discharge for another reason, ended the course short of its plan
# without its goals met: both count as dropped out (discharge_reason keeps the reason).
DISCHARGE_ENDINGS = {
    "goals_met": rows.GOALS_MET,
    "plateau": rows.PLATEAU,
    "referred_out": rows.REFERRED_OUT,
    "patient_choice": rows.DROPPED_OUT,
    "other": rows.DROPPED_OUT,
}


def ending(
    *,
    discharge_reason: str | None,
    last_contact_on: dt.date,
    booked_ahead: bool,
    today: dt.date,
    dropout_days: int,
) -> str:
    """A discharged episode ends as its discharge says. Without a discharge, it is dropped
    out when its last contact (last signed visit, or the evaluation) is more than
    ``dropout_days`` before the clinic's today and no visit is booked ahead; else ongoing."""
    if discharge_reason:
        return DISCHARGE_ENDINGS.get(discharge_reason, rows.DROPPED_OUT)
    if not booked_ahead and (today - last_contact_on).days > dropout_days:
        return rows.DROPPED_OUT
    return rows.ONGOING
