"""When a progress report is due, and the delivery status: pure rules."""

from __future__ import annotations

import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from palpa.reports.rules import delivery_status, progress_report_due

SINCE = dt.date(2026, 1, 1)


def test_a_report_is_due_after_the_visit_count() -> None:
    due = progress_report_due(
        since=SINCE,
        visits_since=10,
        today=SINCE + dt.timedelta(days=3),
        every_visits=10,
        every_days=30,
        reported=True,
    )
    assert due.due
    assert due.reason.startswith("Progress report due: 10 signed visits since the last report")


def test_a_report_is_due_after_the_day_count() -> None:
    due = progress_report_due(
        since=SINCE,
        visits_since=2,
        today=SINCE + dt.timedelta(days=30),
        every_visits=10,
        every_days=30,
        reported=False,
    )
    assert due.due
    assert "30 days since the plan of care began" in due.reason


def test_before_either_count_it_says_what_is_left() -> None:
    due = progress_report_due(
        since=SINCE,
        visits_since=4,
        today=SINCE + dt.timedelta(days=10),
        every_visits=10,
        every_days=None,
        reported=True,
    )
    assert not due.due
    assert due.reason.startswith("Next progress report after 6 more signed visits")


@given(
    visits=st.integers(0, 60),
    days=st.integers(0, 400),
    every_visits=st.none() | st.integers(1, 50),
    every_days=st.none() | st.integers(1, 365),
)
def test_one_more_visit_or_day_never_makes_a_due_report_not_due(
    visits: int, days: int, every_visits: int | None, every_days: int | None
) -> None:
    def due(v: int, d: int) -> bool:
        return progress_report_due(
            since=SINCE,
            visits_since=v,
            today=SINCE + dt.timedelta(days=d),
            every_visits=every_visits,
            every_days=every_days,
            reported=True,
        ).due

    if due(visits, days):
        assert due(visits + 1, days)
        assert due(visits, days + 1)


def test_the_delivery_status_moves_from_draft_to_opened() -> None:
    assert delivery_status("draft", sent=False, opened=False) == "draft"
    assert delivery_status("signed", sent=False, opened=False) == "signed"
    assert delivery_status("signed", sent=True, opened=False) == "sent"
    assert delivery_status("signed", sent=True, opened=True) == "opened"
    assert delivery_status("superseded", sent=False, opened=False) == "superseded"
    assert delivery_status("superseded", sent=True, opened=False) == "sent"
