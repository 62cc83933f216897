"""
Calendar arithmetic, in one place: months added to a date, and ages in completed
years and months.

Two conventions, on purpose, because the protocols and the FHIR specification ask
for different things at a month's end:

- a date N calendar months after (or before) another keeps its day of the month,
  clipped to the last day of a shorter month: 2026-01-31 + 1 month = 2026-02-28,
  2024-02-29 + 12 months = 2025-02-28. Look-back windows ("within 6 months"), arm
  windows, outcome windows and FHIR age-bounded reference ranges use it;
- an age in completed years or months grows on the day the day of the month is
  reached, else on the first of the next month: born 2024-02-29, one year old on
  2025-03-01, and born on the 31st, one month older on the 1st after a 30-day month.
  Age criteria use it.
"""

from __future__ import annotations

import calendar
import datetime as dt

__all__ = ["add_months", "age_in_completed_months", "age_in_years"]


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day of the month ``months`` calendar months later (earlier when negative),
    clipped to the month's end: Jan 31 + 1 = Feb 28/29."""
    index = day.year * 12 + day.month - 1 + months
    year, month0 = divmod(index, 12)
    month = month0 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def age_in_years(birth: dt.date, on: dt.date) -> int:
    """Completed years. Someone born on 29 February turns a year older on 1 March
    in common years (the day after 28 February), as ``date`` arithmetic gives."""
    years = on.year - birth.year
    if (on.month, on.day) < (birth.month, birth.day):
        years -= 1
    return years


def age_in_completed_months(birth: dt.date, on: dt.date) -> int:
    """Completed calendar months (the same rule as :func:`age_in_years`, by month)."""
    months = (on.year - birth.year) * 12 + on.month - birth.month
    if on.day < birth.day:
        months -= 1
    return months
