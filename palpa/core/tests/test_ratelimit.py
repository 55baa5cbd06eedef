"""The one rate limit of the public link pages: per scope, per address, per window."""

from __future__ import annotations

import datetime as dt

import time_machine

from palpa.core import ratelimit
from palpa.core.models import RateWindow

START = dt.datetime(2026, 11, 29, 14, 0, tzinfo=dt.UTC)


def test_each_scope_and_address_has_its_own_count(db: None) -> None:
    with time_machine.travel(START, tick=False):
        allowed = [
            ratelimit.allow("intake", "203.0.113.9", limit=2, window_minutes=15) for _ in range(3)
        ]
        assert allowed == [True, True, False]
        assert ratelimit.allow("report_link", "203.0.113.9", limit=2, window_minutes=15)
        assert ratelimit.allow("intake", "198.51.100.7", limit=2, window_minutes=15)
    assert RateWindow.objects.get(scope="intake", client_address="203.0.113.9").count == 3


def test_a_new_window_starts_counting_again_and_day_old_windows_are_cleared(db: None) -> None:
    with time_machine.travel(START, tick=False):
        assert ratelimit.allow("intake", "203.0.113.9", limit=1, window_minutes=15)
        assert not ratelimit.allow("intake", "203.0.113.9", limit=1, window_minutes=15)
    with time_machine.travel(START + dt.timedelta(minutes=15), tick=False):
        assert ratelimit.allow("intake", "203.0.113.9", limit=1, window_minutes=15)
    with time_machine.travel(START + dt.timedelta(days=2), tick=False):
        assert ratelimit.allow("intake", "203.0.113.9", limit=1, window_minutes=15)
    assert RateWindow.objects.count() == 1
