"""
ISO 8601 dates, datetimes and durations as SDTM stores them (--DTC, --ELTM).

SDTM allows partial dates ("2024-05", "2024"); we accept only complete dates
(YYYY-MM-DD) and datetimes (YYYY-MM-DDTHH:MM[:SS[.fff]]) and return None for
anything else, so a partial date counts as missing (no imputation; a trial
that needs admiral-style imputation must impute before export).
"""

from __future__ import annotations

import datetime as dt
import re

__all__ = ["days_between", "hours_between", "parse_date", "parse_datetime", "parse_duration_hours"]

_DATETIME = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?)?"
    r"(?:Z|[+-]\d{2}:?\d{2})?$"
)
_DURATION = re.compile(
    r"^(-)?P(?:(\d+(?:\.\d+)?)W)?(?:(\d+(?:\.\d+)?)D)?"
    r"(?:T(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?)?$"
)


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
