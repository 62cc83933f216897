"""
Dose arithmetic for the CEA CAR-T trial (``cea-car-t``).

The protocol tests three dose levels of CEA-targeted CAR-T cells by
intraperitoneal infusion, "1 × 10⁵, 3 × 10⁵, and 5 × 10⁵ CAR⁺ cells/kg", in a
dose escalation from which "the recommended dose will then be derived".
Source: shared/protocols/cea-car-t.txt (Overview, Description).

Everything here is a small pure function; the 3+3 decisions themselves come
from :mod:`trialrules.outcomes.escalation` and are not re-implemented.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence

from trialrules.outcomes.escalation import (
    highest_dose_at_most_one_of_six,
    parse_outcomes,
    three_plus_three,
)

__all__ = [
    "DOSE_LEVELS",
    "DOSE_ORDER",
    "dose_for_weight",
    "format_cells",
    "parse_results",
    "plan_arm",
    "recommended_dose_level",
]

#: CAR+ cells per kg body weight, per arm id (arms.yaml).
DOSE_LEVELS: dict[str, float] = {
    "dose_level_1": 1.0e5,
    "dose_level_2": 3.0e5,
    "dose_level_3": 5.0e5,
}
#: Escalation order: index 0 is dose level 1.
DOSE_ORDER: tuple[str, ...] = ("dose_level_1", "dose_level_2", "dose_level_3")


def dose_for_weight(cells_per_kg: float, weight_kg: float) -> float:
    """
    Cells for one infusion: the per-kg dose times the body weight.

    Args:
        cells_per_kg: CAR+ cells per kg (e.g. 3e5).
        weight_kg: body weight in kg, > 0.

    Returns:
        CAR+ cells (not rounded).

    Raises:
        ValueError: on a weight or dose that is not a positive finite number.
    """
    for name, value in (("weight_kg", weight_kg), ("cells_per_kg", cells_per_kg)):
        if value is None or isinstance(value, bool) or not math.isfinite(value) or value <= 0:
            raise ValueError(f"{name} must be a positive number, got {value!r}")
    return cells_per_kg * weight_kg


def recommended_dose_level(results: Sequence[tuple[int, int]]) -> int | None:
    """
    The recommended dose: the highest dose level at which ≤ 1 of 6 had a DLT.

    Args:
        results: per dose level, in escalation order, ``(n treated, n with a
            DLT)``; index 0 is dose level 1. Levels not reached are ``(0, 0)``
            or simply left off.

    Returns:
        The 1-based dose level, or None while no level has at least six
        patients with at most one DLT.

    Raises:
        ValueError: on negative counts or more DLTs than patients.
    """
    patients: list[tuple[int, bool]] = []
    for level, (n, dlts) in enumerate(results, start=1):
        if n < 0 or dlts < 0 or dlts > n:
            raise ValueError(f"dose level {level}: need 0 <= DLTs <= n, got n={n}, DLTs={dlts}")
        patients.extend([(level, True)] * dlts + [(level, False)] * (n - dlts))
    if not results:
        return None
    return highest_dose_at_most_one_of_six(patients, num_doses=len(results))


def parse_results(text: str) -> list[tuple[int, int]]:
    """
    Parse ``"6/0,6/1,3/2"`` (n/DLTs per dose level, in order) into pairs.

    Raises:
        ValueError: on anything else.
    """
    pairs: list[tuple[int, int]] = []
    for part in text.split(","):
        part = part.strip()
        n_text, sep, dlt_text = part.partition("/")
        if not sep or not n_text.strip().isdigit() or not dlt_text.strip().isdigit():
            raise ValueError(f"cannot read {part!r}: expected n/DLTs per level, e.g. 6/1")
        pairs.append((int(n_text), int(dlt_text)))
    return pairs


def format_cells(cells: float) -> str:
    """``21000000.0`` -> ``"2.1 × 10^7"`` (three significant digits)."""
    if cells == 0:
        return "0"
    exponent = math.floor(math.log10(abs(cells)))
    mantissa = f"{cells / 10**exponent:.3g}"
    if mantissa == "10":
        exponent, mantissa = exponent + 1, "1"
    return f"{mantissa} × 10^{exponent}"


def _level_label(level: int) -> str:
    arm_id = DOSE_ORDER[level - 1]
    return f"dose level {level} ({arm_id}): {format_cells(DOSE_LEVELS[arm_id])} CAR+ cells/kg"


def plan_arm(
    arm_id: str,
    first_dose: dt.date,
    weight_kg: float | None,
    parameters: Mapping[str, str],
) -> list[tuple[str, str]]:
    """
    The plan ``trialrules plan cea-car-t`` prints for one arm.

    Parameters (``--param``): ``results=6/0,6/1,3/2`` (n/DLTs per dose level)
    for the recommended dose; ``outcomes="1NNN 2NNT"`` (escalation notation)
    for the 3+3 decision on the cohorts so far.

    Raises:
        ValueError: on an unknown arm id or unreadable parameters.
    """
    if arm_id not in DOSE_LEVELS:
        raise ValueError(f"unknown arm {arm_id!r} for cea-car-t; arms: {', '.join(DOSE_ORDER)}")
    per_kg = DOSE_LEVELS[arm_id]
    level = DOSE_ORDER.index(arm_id) + 1
    rows: list[tuple[str, str]] = [
        ("Arm", _level_label(level)),
        ("Route", "intraperitoneal infusion"),
        ("Infusion", f"{first_dose.isoformat()} (the protocol states no schedule beyond the dose)"),
    ]
    if weight_kg is None:
        rows.append(("Dose", "give --weight KG to compute the cells for this patient"))
    else:
        cells = dose_for_weight(per_kg, weight_kg)
        rows.append(("Body weight", f"{weight_kg:g} kg"))
        rows.append(
            (
                "Dose",
                f"{format_cells(cells)} CAR+ cells ({format_cells(per_kg)} cells/kg × {weight_kg:g} kg)",
            )
        )
    if "results" in parameters:
        recommended = recommended_dose_level(parse_results(parameters["results"]))
        rows.append(
            (
                "Recommended dose (highest level with ≤ 1 of 6 DLT)",
                _level_label(recommended) if recommended else "none yet (no level with ≥ 6 patients and ≤ 1 DLT)",
            )
        )
    if "outcomes" in parameters:
        patients = parse_outcomes(parameters["outcomes"])
        decision = three_plus_three(patients, num_doses=len(DOSE_ORDER))
        if decision.recommended_dose is None:
            text = "stop: no dose level is acceptable"
        elif decision.continue_trial:
            text = f"enrol the next cohort at {_level_label(decision.recommended_dose)}"
        else:
            text = f"stop escalating; recommended {_level_label(decision.recommended_dose)}"
        rows.append(("3+3 decision", text))
    return rows
