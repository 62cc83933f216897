"""
Hook implementations for the CEA CAR-T trial (``cea-car-t``).

Protocol source: shared/protocols/cea-car-t.txt.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from trialrules import hookimpl
from trialrules_cea_car_t import arms, pregnancy

TRIAL_ID = "cea-car-t"


@hookimpl
def trialrules_register_trials(registry):
    """Register the rules directory (criteria, value sets, arms, outcomes)."""
    registry.add_trial(Path(__file__).parent / "rules")


@hookimpl
def trialrules_register_functions(registry):
    """Functions the rule language cannot express (see pregnancy.py)."""
    registry.add_function(
        "cea_car_t_positive_pregnancy_test",
        pregnancy.positive_pregnancy_test,
        description="positive pregnancy test (1) or not (0; also when no test is on record)",
    )
    registry.add_function(
        "cea_car_t_negative_pregnancy_test",
        pregnancy.negative_pregnancy_test,
        description="negative pregnancy test (1) or not (0; also when no test is on record)",
    )


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
