"""nk-gd2: one arm of three components, none with a dose or schedule in the protocol."""

import datetime as dt

import pytest

import trialrules
from trialrules.arms import PlanError, plan

D = dt.date
TRIAL = trialrules.Engine().trial("nk-gd2")
ARM = TRIAL.arms[0]


def test_components_are_listed_without_doses():
    out = dict(plan(TRIAL, ARM, D(2026, 3, 2)))
    for name in ("Autologous NK cells", "GD2 monoclonal antibody", "Standard chemotherapy"):
        assert out[f"Also given: {name}"].startswith("dose not stated in the protocol")
    assert out["Group size"] == "15 patients"


def test_days_parameter_turns_study_days_into_dates():
    out = dict(plan(TRIAL, ARM, D(2026, 3, 2), parameters={"days": "15,1,8"}))
    assert [out[f"Administration {n}"] for n in (1, 2, 3)] == [
        "2026-03-02 (Mon, Day 1)", "2026-03-09 (Mon, Day 8)", "2026-03-16 (Mon, Day 15)"]


@pytest.mark.parametrize("bad", ["0", "x", "", "1,-2"])
def test_bad_days_are_refused(bad):
    with pytest.raises(PlanError):
        plan(TRIAL, ARM, D(2026, 3, 2), parameters={"days": bad})
