"""
Hook implementations for the nk-gd2 trial.

Registers the rule files under ``rules/`` and the arm planner in
:mod:`trialrules_nk_gd2.arms`.
"""

from pathlib import Path

from trialrules import hookimpl
from trialrules_nk_gd2 import arms


@hookimpl
def trialrules_register_trials(registry):
    """Register the nk-gd2 rules directory."""
    registry.add_trial(Path(__file__).parent / "rules")


@hookimpl
def trialrules_plan_arm(trial_id, arm_id, first_dose, weight_kg, parameters):
    """Plan the nk-gd2 arm; return None for any other trial."""
    if str(trial_id).lower() != arms.TRIAL_ID:
        return None
    return arms.plan(arm_id, first_dose, weight_kg, parameters)
