"""
Hook implementations of the CEL001 trial plugin (CEL001 injection, NK cells, in
advanced solid tumours; ClinicalTrials.gov record, last update posted 2025-12-02).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from trialrules import hookimpl
from trialrules_cel001 import arms, therapy

TRIAL_ID = "cel001"


@hookimpl
def trialrules_register_trials(registry):
    registry.add_trial(Path(__file__).parent / "rules")


@hookimpl
def trialrules_register_functions(registry):
    registry.add_function(
        "cel001_lines_of_therapy",
        therapy.lines_of_therapy,
        description="lines of systemic anticancer therapy",
    )
    registry.add_function(
        "cel001_serum_hcg_negative",
        therapy.serum_hcg_negative,
        description="serum pregnancy test negative (1) or positive (0)",
    )


@hookimpl
def trialrules_plan_arm(
    trial_id: str, arm_id: str, first_dose: dt.date, weight_kg: float | None, parameters: dict[str, str]
) -> list[tuple[str, str]] | None:
    if trial_id.lower() != TRIAL_ID or arm_id not in arms.DOSE_CELLS:
        return None
    rounding = (parameters or {}).get("vial_rounding", "guaranteed")
    return arms.plan(arm_id, first_dose, rounding)
