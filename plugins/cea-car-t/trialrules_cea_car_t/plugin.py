"""
Hook implementations for the CEA CAR-T trial (``cea-car-t``).

Protocol source: shared/protocols/cea-car-t.txt.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from trialrules import hookimpl

from trialrules_cea_car_t import arms

TRIAL_ID = "cea-car-t"


@hookimpl
def trialrules_register_trials(registry):
    """Register the rules directory (criteria, value sets, arms, outcomes)."""
    registry.add_trial(Path(__file__).parent / "rules")


@hookimpl
def trialrules_plan_arm(
    trial_id: str,
    arm_id: str,
    first_dose: dt.date,
    weight_kg: float | None,
    parameters: dict[str, str],
) -> list[tuple[str, str]] | None:
    """Per-kg dose for a weight, the recommended dose and the 3+3 decision."""
    if trial_id.lower() != TRIAL_ID:
        return None
    return arms.plan_arm(arm_id, first_dose, weight_kg, parameters)
