"""trialrules.functions.every_reading and span_days: every combination of readings within
READINGS_BUDGET, none beyond it."""

from __future__ import annotations

import datetime as dt

from trialrules.functions import READINGS_BUDGET, every_reading, span_days


def test_span_days_is_every_day_both_ends_included():
    assert span_days(dt.date(2024, 2, 27), dt.date(2024, 3, 1)) == (
        dt.date(2024, 2, 27), dt.date(2024, 2, 28), dt.date(2024, 2, 29), dt.date(2024, 3, 1))
    assert len(span_days(dt.date(2024, 1, 1), dt.date(2024, 12, 31))) == 366
    assert span_days(dt.date(2024, 1, 2), dt.date(2024, 1, 1)) == (dt.date(2024, 1, 2),)


def test_a_result_inside_the_range_is_seen():
    """One day in the middle of a year gives another result than both ends."""
    days = span_days(dt.date(2025, 1, 1), dt.date(2025, 12, 31))
    assert every_reading([days], lambda c: c[0] == dt.date(2025, 5, 15)) == (False, True)


def test_budget_edge():
    evaluated: list[object] = []
    assert READINGS_BUDGET == 4096
    at = every_reading([range(64), range(64)], lambda c: evaluated.append(c) or 0)
    assert at == (0,) and len(evaluated) == 4096
    evaluated.clear()
    assert every_reading([range(64), range(64), range(2)], lambda c: evaluated.append(c) or 0) == ()
    assert evaluated == []  # beyond the budget nothing is read: the caller says too uncertain
    assert every_reading([range(4097)], lambda c: 0) == ()
