"""
Arm arithmetic every trial shares: doses for a weight, administration dates from
study days, and windows counted from a dose. Trial-specific arithmetic lives in
the trial's plugin (hook ``trialrules_plan_arm``).
"""

from __future__ import annotations

import datetime as dt

from trialrules._patient import months_back
from trialrules.models import Arm, ArmWindow, Trial


def administration_dates(arm: Arm, first_dose: dt.date) -> list[dt.date] | None:
    """Dates of each administration for a ``days`` schedule (Day 1 = first dose)."""
    days = (arm.schedule or {}).get("days")
    if not days:
        return None
    return [first_dose + dt.timedelta(days=int(d) - 1) for d in days]


def window_dates(window: ArmWindow, doses: list[dt.date]) -> tuple[dt.date, dt.date] | None:
    """First and last day of a window that starts on a dose (``from: {dose: N|last}``).

    The window's day 1 is the dose day; ``days: 14`` ends on day 14.
    """
    which = window.start.get("dose")
    if which is None or not doses:
        return None
    start = doses[-1] if which == "last" else doses[int(which) - 1] if int(which) <= len(doses) else None
    if start is None:
        return None
    if window.days is not None:
        return start, start + dt.timedelta(days=window.days - 1)
    if window.weeks is not None:
        return start, start + dt.timedelta(weeks=window.weeks) - dt.timedelta(days=1)
    if window.months is not None:
        return start, months_back(start, -window.months)
    if window.years is not None:
        return start, months_back(start, -12 * window.years)
    return None


def plan_lines(trial: Trial, arm: Arm, first_dose: dt.date, weight_kg: float | None) -> list[tuple[str, str]]:
    """The generic part of a plan: dose, administration dates, windows."""
    lines: list[tuple[str, str]] = []
    if arm.dose and arm.dose.value is not None:
        if arm.dose.per == "kg":
            if weight_kg is None:
                lines.append(("dose", f"{arm.dose.value:g} {arm.dose.unit or ''}/kg (give --weight for the dose)"))
            else:
                lines.append(("dose", f"{arm.dose.value * weight_kg:.4g} {arm.dose.unit or ''} ({arm.dose.value:g}/kg × {weight_kg:g} kg)"))
        else:
            lines.append(("dose", f"{arm.dose.value:g} {arm.dose.unit or ''} per administration"))
    else:
        lines.append(("dose", "not stated in the protocol"))
    doses = administration_dates(arm, first_dose) or []
    for i, d in enumerate(doses, 1):
        lines.append((f"administration {i}", d.isoformat()))
    for w in arm.windows:
        span = window_dates(w, doses)
        if span:
            lines.append((w.title, f"{span[0].isoformat()} to {span[1].isoformat()}"))
    return lines
