"""
Schedule arithmetic for the CEL001 dose groups (protocol: ClinicalTrials.gov record of
"Safety and Tolerability Evaluation of CEL001 Injection in Advanced Solid Tumors",
last update posted 2025-12-02).

Pure functions, no engine imports. Day 1 is the first administration; "Day N" is the
date first_dose + (N - 1) days. A window of N days from a dose covers N calendar days,
the dose day included (the engine's convention for ``arms.yaml`` windows, and ADaM's
end - start + 1): the single-dose DLT window is Day 1-14, the multiple-dose one Day 20-47.
"""

from __future__ import annotations

import datetime as dt
import math
from fractions import Fraction

#: Study days of the four infusions (all three dose groups).
ADMINISTRATION_DAYS: tuple[int, ...] = (1, 20, 24, 28)

#: Cells per person per infusion, by arm id.
DOSE_CELLS: dict[str, int] = {
    "dose_group_1": 500_000_000,  # 5 x 10^8
    "dose_group_2": 2_000_000_000,  # 2 x 10^9
    "dose_group_3": 5_000_000_000,  # 5 x 10^9
}

#: One 20 mL bag holds "approximately 5x10^8 ~ 1x10^9 NK cells".
BAG_CELLS_MIN = 500_000_000
BAG_CELLS_MAX = 1_000_000_000

SINGLE_DOSE_DLT_DAYS = 14
MULTIPLE_DOSE_DLT_DAYS = 28
FOLLOW_UP_YEARS = 2


def study_day(first_dose: dt.date, day: int) -> dt.date:
    """The calendar date of study day ``day`` (Day 1 = ``first_dose``; there is no Day 0)."""
    if day < 1:
        raise ValueError(f"study days start at Day 1, not Day {day}")
    return first_dose + dt.timedelta(days=day - 1)


def administration_dates(first_dose: dt.date, days: tuple[int, ...] = ADMINISTRATION_DAYS) -> list[dt.date]:
    """The infusion dates: Day 1, 20, 24 and 28."""
    return [study_day(first_dose, d) for d in days]


def dlt_single_window(first_dose: dt.date) -> tuple[dt.date, dt.date]:
    """Single-dose DLT observation: 14 days from the first infusion (Day 1 to Day 14 inclusive)."""
    return first_dose, first_dose + dt.timedelta(days=SINGLE_DOSE_DLT_DAYS - 1)


def dlt_multiple_window(first_dose: dt.date) -> tuple[dt.date, dt.date]:
    """Multiple-dose DLT observation: 28 days from the first multiple dose (Day 20 to Day 47 inclusive)."""
    start = administration_dates(first_dose)[1]
    return start, start + dt.timedelta(days=MULTIPLE_DOSE_DLT_DAYS - 1)


def add_years(day: dt.date, years: int) -> dt.date:
    """The same calendar day ``years`` later; 29 February becomes 28 February in common years."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February -> a common year
        return day.replace(year=day.year + years, day=28)


def follow_up_end(first_dose: dt.date) -> dt.date:
    """End of follow-up: 2 years after the last dose (Day 28)."""
    return add_years(administration_dates(first_dose)[-1], FOLLOW_UP_YEARS)


def bags_per_dose(dose_cells: int | float, rounding: str = "guaranteed") -> int:
    """Bags (20 mL, 5x10^8-1x10^9 cells each) to thaw for one dose.

    ``guaranteed`` (default, conservative): ceil(dose / 5x10^8), enough even if every bag
    holds only the lower bound. ``minimum``: ceil(dose / 1x10^9), enough only if every bag
    holds the upper bound; the actual count depends on the lot's certified cell count.
    """
    per_bag = {"guaranteed": BAG_CELLS_MIN, "minimum": BAG_CELLS_MAX}.get(rounding)
    if per_bag is None:
        raise ValueError(f"rounding must be 'guaranteed' or 'minimum', not {rounding!r}")
    if dose_cells <= 0:
        raise ValueError("the dose must be positive")
    return math.ceil(Fraction(dose_cells) / per_bag)


def plan(arm_id: str, first_dose: dt.date, rounding: str = "guaranteed") -> list[tuple[str, str]]:
    """The (label, value) pairs ``trialrules plan`` prints for one dose group."""
    dose = DOSE_CELLS[arm_id]
    dates = administration_dates(first_dose)
    s0, s1 = dlt_single_window(first_dose)
    m0, m1 = dlt_multiple_window(first_dose)
    out: list[tuple[str, str]] = [("Dose per infusion", f"{dose:.1e} cells (intravenous, after thawing at 37 °C)")]
    for n, (day, date) in enumerate(zip(ADMINISTRATION_DAYS, dates, strict=True), start=1):
        out.append((f"Dose {n} (Day {day})", date.isoformat()))
    out += [
        ("Single-dose DLT window (14 days, Day 1-14)", f"{s0.isoformat()} to {s1.isoformat()}"),
        ("Multiple-dose DLT window (28 days, Day 20-47)", f"{m0.isoformat()} to {m1.isoformat()}"),
        ("End of follow-up (2 years after the last dose)", follow_up_end(first_dose).isoformat()),
        (
            "Bags per dose",
            f"{bags_per_dose(dose, 'guaranteed')} (at 5e8 cells/bag, guarantees the dose); "
            f"{bags_per_dose(dose, 'minimum')} if every bag holds 1e9"
            if rounding == "guaranteed"
            else f"{bags_per_dose(dose, 'minimum')} (at 1e9 cells/bag); "
            f"{bags_per_dose(dose, 'guaranteed')} to guarantee the dose at 5e8 cells/bag",
        ),
        ("Bags for the four doses", str(4 * bags_per_dose(dose, rounding))),
    ]
    return out
