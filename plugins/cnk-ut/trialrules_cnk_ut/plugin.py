"""
Hook implementations for the CNK-UT trial (NCT06751134).

Registers the rule files under ``rules/``, the derived values in :mod:`trialrules_cnk_ut.functions`
and the arm planner in :mod:`trialrules_cnk_ut.arms`.
"""

from pathlib import Path

from trialrules import hookimpl
from trialrules_cnk_ut import arms, functions

TRIAL_ID = "cnk-ut"


@hookimpl
def trialrules_register_trials(registry):
    """Register the CNK-UT rules directory."""
    registry.add_trial(Path(__file__).parent / "rules")


@hookimpl
def trialrules_register_functions(registry):
    """Register the CNK-UT derived values (:mod:`trialrules_cnk_ut.functions`)."""
    registry.add_function(
        "cnk_ut_infection_test",
        functions.infection_test,
        description="latest screening test (1 = positive, 0 = negative or none on record)",
    )


@hookimpl
def trialrules_plan_arm(trial_id, arm_id, first_dose, weight_kg, parameters):
    """Plan a CNK-UT arm; return None for any other trial."""
    if str(trial_id).lower() not in (TRIAL_ID, "nct06751134"):
        return None
    return arms.plan(arm_id, first_dose, weight_kg, parameters)
