"""CNK-UT arms: no dose, schedule or cohort size in the protocol; the planner asks for them
and never invents one."""

import datetime as dt

import pytest

import trialrules
from trialrules.arms import PlanError, plan

D = dt.date
TRIAL = trialrules.Engine().trial("cnk-ut")
ARMS = {a.id: a for a in TRIAL.arms}


@pytest.mark.parametrize("arm_id", ["escalation", "expansion"])
def test_nothing_is_invented(arm_id):
    out = dict(plan(TRIAL, ARMS[arm_id], D(2026, 3, 2), weight_kg=20.0))
    assert out["Dose"].startswith("not stated in the protocol; give --param dose=")
    assert out["Schedule"].startswith("not stated in the protocol")
    assert "(assumption: not in the protocol text)" in out["Intervention"]
    assert "Group size" not in out


def test_dose_parameter_per_kg_times_weight():
    out = dict(plan(TRIAL, ARMS["escalation"], D(2026, 3, 2), weight_kg=20.0, parameters={"dose": "2e6"}))
    assert out["Dose per kg"].startswith("2×10^6 cells/kg per administration (parameter)")
    assert out["Dose per administration"].startswith("4×10^7 cells (")


@pytest.mark.parametrize("bad", ["abc", "0", "-1", "inf"])
def test_bad_dose_parameter(bad):
    with pytest.raises(PlanError):
        plan(TRIAL, ARMS["escalation"], D(2026, 3, 2), parameters={"dose": bad})
