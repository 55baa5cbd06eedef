"""The pure countdown rule: status, what is left and the warning, for any numbers."""

from __future__ import annotations

import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from palpa.referrals.countdown import Countdown, compute

START = dt.date(2026, 1, 1)


def _at(used: int, today: dt.date, *, authorized: int = 12, expires_in: int = 60) -> Countdown:
    return compute(
        visits_authorized=authorized,
        visits_used=used,
        starts_on=START,
        expires_on=START + dt.timedelta(days=expires_in),
        cancelled=False,
        today=today,
        warn_visits=2,
        warn_days=7,
    )


@given(
    authorized=st.integers(1, 60),
    used=st.integers(0, 80),
    day=st.integers(0, 120),
    expires_in=st.integers(0, 90),
    cancelled=st.booleans(),
    warn_visits=st.integers(0, 10),
    warn_days=st.integers(0, 30),
)
def test_the_countdown_holds_for_any_referral(
    authorized: int,
    used: int,
    day: int,
    expires_in: int,
    cancelled: bool,
    warn_visits: int,
    warn_days: int,
) -> None:
    today = START + dt.timedelta(days=day)
    expires_on = START + dt.timedelta(days=expires_in)
    state = compute(
        visits_authorized=authorized,
        visits_used=used,
        starts_on=START,
        expires_on=expires_on,
        cancelled=cancelled,
        today=today,
        warn_visits=warn_visits,
        warn_days=warn_days,
    )
    assert state.visits_left == max(0, authorized - used)
    assert state.visits_left + state.visits_used - state.visits_over == authorized
    assert 0 <= state.days_left <= expires_in
    if cancelled:
        assert (state.status, state.warning) == ("cancelled", None)
    elif used >= authorized:
        assert state.status == "exhausted"
    elif today > expires_on:
        assert state.status == "expired"
    else:
        assert state.status == "active"
        near = state.visits_left <= warn_visits or state.days_left <= warn_days
        assert (state.warning is not None) == near
    if state.status in ("exhausted", "expired"):
        assert state.warning is not None
        assert state.warning.endswith("a new referral is needed.")


def test_one_visit_and_one_day_are_said_in_the_singular() -> None:
    state = _at(11, START + dt.timedelta(days=59))
    assert state.warning == (
        "Referral running out: 1 visit left of 12; 1 day left (expires 2026-03-02)."
    )


def test_three_visits_and_eight_days_left_do_not_warn() -> None:
    assert _at(9, START + dt.timedelta(days=52)).warning is None
