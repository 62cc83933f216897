"""
Arm planning for the CNK-UT trial (NCT06751134).

The protocol listing states "dose escalation/dose expansion" but gives no dose levels,
no dose unit, no schedule and no cohort sizes. The rule files therefore carry the arm
structure with ``dose.value: null``; the dose of a cohort is a plan parameter given by
the user (``--param dose_level=N --param dose_per_kg=CELLS`` or ``--param dose=CELLS``).
Nothing here invents a dose.
"""

from __future__ import annotations

import datetime
import math

from trialrules import TrialRulesError

ARMS = ("escalation", "expansion")

_NOT_STATED = "not stated in the protocol"


class PlanParameterError(TrialRulesError, ValueError):
    """An unknown arm or an unreadable plan parameter (the command line exits 2 with one line)."""


def _number(parameters: dict[str, str], key: str) -> float | None:
    """Read a positive finite number parameter, or None when absent."""
    raw = parameters.get(key)
    if raw is None or str(raw).strip() == "":
        return None
    try:
        value = float(raw)
    except ValueError:
        raise PlanParameterError(f"cnk-ut plan: parameter {key}={raw!r} is not a number") from None
    if not math.isfinite(value) or value <= 0:
        raise PlanParameterError(f"cnk-ut plan: parameter {key}={raw!r} must be a positive number")
    return value


def total_dose(dose_per_kg: float, weight_kg: float) -> float:
    """
    Cells for one infusion from a per-kilogram dose and the body weight.

    Args:
        dose_per_kg: cells per kg body weight (> 0).
        weight_kg: body weight in kg (> 0).

    Returns:
        The number of cells, ``dose_per_kg * weight_kg``.
    """
    if dose_per_kg <= 0 or weight_kg <= 0:
        raise ValueError("dose_per_kg and weight_kg must be positive")
    return dose_per_kg * weight_kg


def plan(
    arm_id: str,
    first_dose: datetime.date,
    weight_kg: float | None,
    parameters: dict[str, str] | None,
) -> list[tuple[str, str]]:
    """
    Plan one CNK-UT arm.

    Args:
        arm_id: ``escalation`` or ``expansion``.
        first_dose: date of the (first) CNK-UT infusion, study day 1.
        weight_kg: body weight in kg, or None.
        parameters: ``dose_level`` (escalation cohort label), ``dose_per_kg``
            (cells/kg) or ``dose`` (cells per infusion, flat).

    Returns:
        (label, value) pairs for the command line to print.

    Raises:
        PlanParameterError: unknown arm or unreadable parameter (a ValueError).
    """
    arm = str(arm_id).lower()
    if arm not in ARMS:
        raise PlanParameterError(f"cnk-ut has no arm {arm_id!r}; arms: {', '.join(ARMS)}")
    parameters = dict(parameters or {})
    rows: list[tuple[str, str]] = []
    if arm == "escalation":
        level = parameters.get("dose_level")
        rows.append(("Dose level", str(level) if level else f"parameter dose_level ({_NOT_STATED})"))
    else:
        rows.append(("Dose", "the dose chosen from escalation (recommended dose; " + _NOT_STATED + ")"))
    rows.append(("Day 1 (CNK-UT infusion)", first_dose.isoformat()))
    rows.append(("Infusion schedule", f"number and spacing of infusions {_NOT_STATED}"))
    per_kg = _number(parameters, "dose_per_kg")
    flat = _number(parameters, "dose")
    if per_kg is not None and flat is not None:
        raise PlanParameterError("cnk-ut plan: give either dose_per_kg or dose, not both")
    if per_kg is not None:
        rows.append(("Dose per kg", f"{per_kg:.3g} cells/kg (parameter)"))
        if weight_kg is None:
            rows.append(("Cells per infusion", "unknown: give --weight"))
        else:
            rows.append(("Body weight", f"{weight_kg:g} kg"))
            rows.append(("Cells per infusion", f"{total_dose(per_kg, weight_kg):.3g} cells"))
    elif flat is not None:
        rows.append(("Cells per infusion", f"{flat:.3g} cells (parameter, flat dose)"))
    else:
        rows.append(("Cells per infusion", f"unknown: dose {_NOT_STATED}; give --param dose_per_kg=... or dose=..."))
    return rows
