"""CEA CAR-T dose levels planned by the core: per-kg dose × weight, 3+3 decisions from the
outcome library, and the assumptions printed as such."""

import datetime as dt

import pytest

import trialrules
from trialrules.arms import PlanError, plan

D = dt.date
TRIAL = trialrules.Engine().trial("cea-car-t")
ARMS = {a.id: a for a in TRIAL.arms}


@pytest.mark.parametrize(
    ("arm_id", "weight", "shown"),
    [("dose_level_1", 70.0, "7×10^6 cells"), ("dose_level_2", 55.5, "1.665×10^7 cells"), ("dose_level_3", 60.0, "3×10^7 cells")],
)
def test_dose_for_weight(arm_id, weight, shown):
    out = dict(plan(TRIAL, ARMS[arm_id], D(2026, 3, 2), weight_kg=weight))
    assert out["Dose per administration"].startswith(shown + " (")


def test_route_and_unstated_schedule():
    out = dict(plan(TRIAL, ARMS["dose_level_1"], D(2026, 3, 2)))
    assert out["Intervention"].endswith("intraperitoneal")
    assert out["Schedule"].startswith("not stated in the protocol")


def test_design_and_group_size_are_assumptions():
    out = dict(plan(TRIAL, ARMS["dose_level_1"], D(2026, 3, 2)))
    assert "design 3+3 (assumption" in out["Escalation"]
    assert out["Group size"].endswith("(assumption: not in the protocol text)")


def test_3plus3_next_cohort():
    out = dict(plan(TRIAL, ARMS["dose_level_3"], D(2026, 3, 2), parameters={"outcomes": "1NNN 2NNN"}))
    assert out["3+3 decision"] == "enrol the next cohort at dose level 3 (dose_level_3)"


def test_3plus3_stops_after_two_dlts():
    out = dict(plan(TRIAL, ARMS["dose_level_2"], D(2026, 3, 2), parameters={"outcomes": "1NNN 2NTT"}))
    assert out["3+3 decision"] == "stop escalating; recommended dose dose level 1 (dose_level_1)"


def test_unknown_parameter_is_an_error():
    with pytest.raises(PlanError, match="unknown plan parameter"):
        plan(TRIAL, ARMS["dose_level_1"], D(2026, 3, 2), parameters={"results": "6/0"})
