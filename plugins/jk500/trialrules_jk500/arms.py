"""
Dose and schedule arithmetic for JK500 (NCT05519384) that arms.yaml cannot express.

Protocol (registry record, arm description): "They were divided into three dose
groups: 10^6, 5x10^6 and 3x10^7 JK500 cells injection /kg/ time, three times a
week, a total of 6 times." DLT: "adverse events or laboratory abnormalities that
occur within 4 weeks after investigational drug administration" (time frame 28
days). Response: "up to 24 months after the first injection".

Readings (also in arms.yaml notes):

- "/kg/ time" is the dose per kilogram body weight per administration, so one
  administration is ``per-kg dose x weight`` cells; no rounding is applied (the
  protocol states none); the course total is six times that.
- "three times a week" gives no weekdays; the pattern is a parameter
  (``weekdays``, default Mon/Wed/Fri, exactly three distinct days).
- If the first dose falls on a day outside the pattern, it stays where it is
  (it is the date given as the first administration) and every later dose goes
  on the next pattern day after the previous dose; the plan says so.
- The DLT window is counted from the first administration and ends 28 days
  after it (first dose + 28 days, Day 29), as the outcome library counts "within
  28 days" (``trialrules.outcomes.safety.dlt_subjects``: 0 <= AE start - first
  dose <= 28 days).
- The response follow-up ends 24 calendar months after the first injection.

The 3+3 decision itself is not computed here: it is
``trialrules.outcomes.escalation.three_plus_three`` (the outcome library's).
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Mapping, Sequence

from trialrules import TrialRulesError

__all__ = [
    "PlanError",
    "ADMINISTRATIONS",
    "DEFAULT_WEEKDAYS",
    "DLT_DAYS",
    "DOSE_PER_KG",
    "FOLLOW_UP_MONTHS",
    "PER_WEEK",
    "add_months",
    "administration_dates",
    "dlt_window",
    "dose_cells",
    "format_cells",
    "parse_weekdays",
    "plan",
]

#: Cells per kg body weight per administration, by arm id (arms.yaml).
DOSE_PER_KG: dict[str, float] = {
    "dose_group_1": 1.0e6,
    "dose_group_2": 5.0e6,
    "dose_group_3": 3.0e7,
}
ADMINISTRATIONS = 6
PER_WEEK = 3
DEFAULT_WEEKDAYS: tuple[str, ...] = ("mon", "wed", "fri")
DLT_DAYS = 28
FOLLOW_UP_MONTHS = 24

_DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class PlanError(TrialRulesError, ValueError):
    """A bad plan input (weekday pattern, parameter, weight); the CLI prints it and exits 2."""


def dose_cells(arm_id: str, weight_kg: float) -> float:
    """
    Cells in one administration for a patient's weight.

    Args:
        arm_id: ``dose_group_1``, ``dose_group_2`` or ``dose_group_3``.
        weight_kg: body weight in kg (> 0).

    Returns:
        per-kg dose x weight, unrounded.

    Raises:
        KeyError: unknown arm id.
        ValueError: weight not a positive number.
    """
    if arm_id not in DOSE_PER_KG:
        raise KeyError(f"unknown jk500 arm {arm_id!r}; expected one of {sorted(DOSE_PER_KG)}")
    if weight_kg is None or not weight_kg > 0:
        raise PlanError(f"weight must be a positive number of kg, got {weight_kg!r}")
    return DOSE_PER_KG[arm_id] * float(weight_kg)


def parse_weekdays(text: str | Sequence[str] | None) -> tuple[int, ...]:
    """
    Weekday numbers (Monday = 0) of a pattern like ``"mon,wed,fri"``.

    The protocol gives three administrations a week, so the pattern must name
    exactly three distinct days.

    Raises:
        ValueError: unknown day name, repeated day, or not three days.
    """
    if text is None:
        names: Sequence[str] = DEFAULT_WEEKDAYS
    elif isinstance(text, str):
        names = [part.strip() for part in text.replace(";", ",").replace("/", ",").split(",")]
    else:
        names = list(text)
    days: list[int] = []
    for name in names:
        key = name.strip().lower()[:3]
        if key not in _DAY_NAMES:
            raise PlanError(f"unknown weekday {name!r}; use mon, tue, wed, thu, fri, sat, sun")
        day = _DAY_NAMES.index(key)
        if day in days:
            raise PlanError(f"weekday {name!r} is given twice")
        days.append(day)
    if len(days) != PER_WEEK:
        raise PlanError(
            f"the protocol gives {PER_WEEK} administrations a week: name exactly "
            f"{PER_WEEK} weekdays, got {len(days)}"
        )
    return tuple(sorted(days))


def administration_dates(
    first_dose: dt.date,
    weekdays: str | Sequence[str] | None = None,
    doses: int = ADMINISTRATIONS,
) -> list[dt.date]:
    """
    Dates of the administrations, three a week on a weekday pattern.

    Dose 1 is on ``first_dose`` even when that day is not in the pattern; each
    later dose is on the next pattern day after the previous dose.

    Args:
        first_dose: date of administration 1.
        weekdays: the pattern (default Mon/Wed/Fri).
        doses: number of administrations (protocol: 6).
    """
    pattern = parse_weekdays(weekdays)
    if doses < 1:
        raise PlanError(f"doses must be at least 1, got {doses}")
    dates = [first_dose]
    day = first_dose
    while len(dates) < doses:
        day += dt.timedelta(days=1)
        if day.weekday() in pattern:
            dates.append(day)
    return dates


def dlt_window(first_dose: dt.date) -> tuple[dt.date, dt.date]:
    """The DLT observation period: the first dose to 28 days after it, inclusive."""
    return first_dose, first_dose + dt.timedelta(days=DLT_DAYS)


def add_months(day: dt.date, months: int) -> dt.date:
    """Calendar months later; the day is clamped to the month's last day (Jan 31 + 1 = Feb 28/29)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def format_cells(cells: float) -> str:
    """``2.53e7`` as ``2.53×10^7``, three significant figures."""
    mantissa, exponent = f"{cells:.2e}".split("e")
    mantissa = mantissa.rstrip("0").rstrip(".")
    return f"{mantissa}×10^{int(exponent)}"


def plan(
    arm_id: str,
    first_dose: dt.date,
    weight_kg: float | None,
    parameters: Mapping[str, str] | None = None,
) -> list[tuple[str, str]]:
    """
    The plan ``trialrules plan jk500`` prints: dose, administration dates, windows.

    Parameters: ``weekdays`` (default ``mon,wed,fri``).

    Raises:
        KeyError: unknown arm id.
        ValueError: unknown parameter or bad weekday pattern / weight.
    """
    parameters = dict(parameters or {})
    unknown = sorted(set(parameters) - {"weekdays"})
    if unknown:
        raise PlanError(f"unknown jk500 plan parameter(s) {unknown}; known: weekdays")
    if arm_id not in DOSE_PER_KG:
        raise KeyError(f"unknown jk500 arm {arm_id!r}; expected one of {sorted(DOSE_PER_KG)}")
    weekdays = parameters.get("weekdays")
    pattern = parse_weekdays(weekdays)
    per_kg = DOSE_PER_KG[arm_id]
    out: list[tuple[str, str]] = [("Dose per kg", f"{format_cells(per_kg)} cells/kg per administration")]
    if weight_kg is None:
        out.append(("Dose per administration", "give --weight KG to compute it"))
    else:
        cells = dose_cells(arm_id, weight_kg)
        out.append(
            (
                "Dose per administration",
                f"{format_cells(cells)} cells ({format_cells(per_kg)} cells/kg × {weight_kg:g} kg; "
                f"exact {cells:.6g})",
            )
        )
        out.append(("Course total (6 administrations)", f"{format_cells(cells * ADMINISTRATIONS)} cells"))
    pattern_text = "/".join(_DAY_NAMES[d].capitalize() for d in pattern)
    out.append(("Weekday pattern", f"{pattern_text} (three times a week; --param weekdays=... to change)"))
    if first_dose.weekday() not in pattern:
        out.append(
            (
                "Note",
                f"first dose {first_dose.isoformat()} is a {_DAY_NAMES[first_dose.weekday()].capitalize()}, "
                f"not on the {pattern_text} pattern: it is kept as dose 1 and later doses follow "
                "the pattern from the next pattern day",
            )
        )
    for n, day in enumerate(administration_dates(first_dose, pattern_text.split("/")), start=1):
        study_day = (day - first_dose).days + 1
        out.append((f"Administration {n}", f"{day.isoformat()} ({day.strftime('%a')}, Day {study_day})"))
    start, end = dlt_window(first_dose)
    out.append(
        (
            "DLT window",
            f"{start.isoformat()} to {end.isoformat()} (first administration + {DLT_DAYS} days, "
            "as the outcome library counts DLTs)",
        )
    )
    out.append(
        (
            "Response follow-up end",
            f"{add_months(first_dose, FOLLOW_UP_MONTHS).isoformat()} (24 months after the first injection)",
        )
    )
    out.append(
        (
            "Escalation",
            "3+3, 3 patients per dose group; the decision comes from "
            "trialrules.outcomes.escalation.three_plus_three; the Safety Review Committee "
            "reviews before the next group opens (attestation)",
        )
    )
    return out
