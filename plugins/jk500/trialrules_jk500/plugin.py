"""Hook implementations of the JK500 (NCT05519384) plugin; nothing else lives here."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from trialrules import hookimpl
from trialrules_jk500 import arms, functions

_TRIAL_IDS = {"jk500", "nct05519384"}


@hookimpl
def trialrules_register_trials(registry):
    registry.add_trial(Path(__file__).parent / "rules")


@hookimpl
def trialrules_register_functions(registry):
    registry.add_function(
        "jk500_relapsed_refractory",
        functions.relapsed_refractory,
        description="relapsed/refractory AML (1 = yes, 0 = no)",
    )


@hookimpl
def trialrules_plan_arm(
    trial_id: str,
    arm_id: str,
    first_dose: dt.date,
    weight_kg: float | None,
    parameters: dict[str, str],
):
    if str(trial_id).lower() not in _TRIAL_IDS:
        return None
    return arms.plan(arm_id, first_dose, weight_kg, parameters)
