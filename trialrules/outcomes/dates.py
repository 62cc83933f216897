"""
ISO 8601 dates, datetimes and durations as SDTM stores them (--DTC, --ELTM).

SDTM dates may be partial ("2024-05", "2024", "2024---15" with the month
missing). :func:`parse_dtc` reads every form into a :class:`DTC`, and
:func:`impute` turns a partial one into a date the way pharmaverse admiral
``impute_dtc_dt`` does (``highest_imputation = "M"``):

- ``"first"`` (start and event dates): a missing day is the 1st of the month,
  a missing month is January;
- ``"last"`` (end dates): a missing day is the last day of the month, a missing
  month is December;
- ``min_date`` (admiral ``min_dates``): when the partial date's range contains
  it, a "first" imputation is moved up to it — so a partial death date is never
  before the last date the subject was known alive, and a partial AE start in
  the month of the first dose is the first-dose date;
- a missing year cannot be imputed: the value is unusable.

The flag of an imputed date is admiral's ``--DTF``: ``"D"`` (day imputed) or
``"M"`` (month and day imputed). :func:`parse_datetime` / :func:`parse_date`
keep their strict meaning (complete values only) for callers that need it.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from typing import Literal

import attrs

__all__ = [
    "DTC",
    "days_between",
    "hours_between",
    "impute",
    "parse_date",
    "parse_datetime",
    "parse_dtc",
    "parse_duration_hours",
]

_DATETIME = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?)?"
    r"(?:Z|[+-]\d{2}:?\d{2})?$"
)
#: Every SDTM form: YYYY, YYYY-MM, YYYY-MM-DD, YYYY---DD, with an optional
#: time of HH, HH:MM, HH:MM:SS(.f) (a time may follow a partial date too).
_PARTIAL = re.compile(
    r"^(\d{4})(?:-(\d{2}|-)(?:-(\d{2}))?)?(?:[T ](\d{2})(?::(\d{2})(?::(\d{2})(?:\.(\d+))?)?)?)?"
    r"(?:Z|[+-]\d{2}:?\d{2})?$"
)
_DURATION = re.compile(
    r"^(-)?P(?:(\d+(?:\.\d+)?)W)?(?:(\d+(?:\.\d+)?)D)?"
    r"(?:T(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?)?$"
)


@attrs.frozen
class DTC:
    """
    One --DTC value as read.

    Attributes:
        text: The value as stored.
        year, month, day: The date parts present (None = missing).
        time: Time of day when given (a date alone is midnight).
    """

    text: str
    year: int
    month: int | None
    day: int | None
    time: dt.time | None = None

    @property
    def complete(self) -> bool:
        """Year, month and day present."""
        return self.month is not None and self.day is not None

    def first_date(self) -> dt.date:
        """Earliest date the value can mean."""
        month = self.month or 1
        return dt.date(self.year, month, self.day or 1)

    def last_date(self) -> dt.date:
        """Latest date the value can mean."""
        month = self.month or 12
        day = self.day or calendar.monthrange(self.year, month)[1]
        return dt.date(self.year, month, min(day, calendar.monthrange(self.year, month)[1]))


def parse_dtc(text: str | None) -> DTC | None | Literal[False]:
    """
    Read an SDTM ISO 8601 date/datetime, complete or partial.

    Args:
        text: The --DTC value.

    Returns:
        The :class:`DTC`; None when empty; False when the text is not an ISO 8601
        date (e.g. ``03/01/2025``, ``2025-02-30``) and so cannot be used.
    """
    if text is None or not text.strip():
        return None
    m = _PARTIAL.match(text.strip())
    if m is None:
        return False
    y, mo, d, hh, mi, ss, frac = m.groups()
    month = None if mo in (None, "-") else int(mo)
    day = int(d) if d else None
    if month is None and mo is None and d:
        return False
    try:
        if month is not None and not 1 <= month <= 12:
            return False
        if day is not None:
            dt.date(int(y), month or 1, day)
            if month is None and day > 31:
                return False
        time = None
        if hh is not None:
            micro = int((frac or "0")[:6].ljust(6, "0"))
            time = dt.time(int(hh), int(mi or 0), int(ss or 0), micro)
    except ValueError:
        return False
    if int(y) < 1:
        return False
    return DTC(text.strip(), int(y), month, day, time)


def impute(
    value: DTC,
    rule: Literal["first", "last"] = "first",
    min_date: dt.date | None = None,
) -> tuple[dt.datetime, str]:
    """
    The date a (partial) value stands for, admiral-style, and its flag.

    Args:
        value: A parsed --DTC.
        rule: ``"first"`` (start/event dates) or ``"last"`` (end dates).
        min_date: admiral ``min_dates``: a "first" imputation is moved up to
            this date when the partial range contains it.

    Returns:
        (datetime, flag): flag "" for a complete date, "D" when the day was
        imputed, "M" when month and day were.
    """
    if value.complete:
        assert value.month is not None and value.day is not None
        day = dt.date(value.year, value.month, value.day)
        flag = ""
    else:
        flag = "M" if value.month is None else "D"
        day = value.first_date() if rule == "first" else value.last_date()
        if rule == "first" and min_date is not None and value.first_date() <= min_date <= value.last_date():
            day = min_date
    return dt.datetime.combine(day, value.time or dt.time()), flag


def parse_datetime(text: str | None) -> dt.datetime | None:
    """
    Parse a complete ISO 8601 date or datetime; a date means midnight.

    The time-zone suffix, if any, is ignored: SDTM dates of one study share
    the site's local time.

    Args:
        text: e.g. ``"2025-03-01"`` or ``"2025-03-01T08:30"``.

    Returns:
        A naive datetime, or None for empty, partial or invalid text.
    """
    if text is None:
        return None
    m = _DATETIME.match(text.strip())
    if m is None:
        return None
    y, mo, d, hh, mm, ss, frac = m.groups()
    try:
        micro = int((frac or "0")[:6].ljust(6, "0"))
        return dt.datetime(int(y), int(mo), int(d), int(hh or 0), int(mm or 0), int(ss or 0), micro)
    except ValueError:
        return None


def parse_date(text: str | None) -> dt.date | None:
    """
    Parse the date part of a complete ISO 8601 date/datetime.

    Args:
        text: --DTC value.

    Returns:
        The date, or None.
    """
    value = parse_datetime(text)
    return value.date() if value else None


def parse_duration_hours(text: str | None) -> float | None:
    """
    Parse an ISO 8601 duration (``PT2H``, ``P1D``, ``P1DT12H``, ``-PT30M``) to hours.

    Used for PCELTM (planned elapsed time from the reference dose).

    Args:
        text: Duration text.

    Returns:
        Hours as float, or None when empty or invalid.
    """
    if not text:
        return None
    m = _DURATION.match(text.strip().upper())
    if m is None or text.strip().upper() in ("P", "PT", "-P", "-PT"):
        return None
    sign, w, d, h, mi, s = m.groups()
    hours = (
        float(w or 0) * 168.0
        + float(d or 0) * 24.0
        + float(h or 0)
        + float(mi or 0) / 60.0
        + float(s or 0) / 3600.0
    )
    return -hours if sign else hours


def days_between(start: dt.date, end: dt.date, add_one: bool = True) -> int:
    """
    Duration in days; ADaM convention end − start + 1 by default.

    admiral ``derive_vars_duration(add_one = TRUE)``.

    Args:
        start: Start date.
        end: End date.
        add_one: Add one day (ADaM) or not.

    Returns:
        Whole days.
    """
    return (end - start).days + (1 if add_one else 0)


def hours_between(start: dt.datetime, end: dt.datetime) -> float:
    """
    Elapsed hours from start to end.

    Args:
        start: Reference datetime (e.g. first dose).
        end: Later datetime.

    Returns:
        Hours (negative if end is before start).
    """
    return (end - start).total_seconds() / 3600.0
