"""JK500 arms planned by the core from arms.yaml, checked against hand-counted calendars.

Protocol: 10^6, 5x10^6 and 3x10^7 cells/kg per administration, three times a week,
six times; DLT "within 4 weeks after investigational drug administration"; response
up to 24 months after the first injection; 3 patients per group, SRC decides.
"""

import datetime as dt

import pytest

import trialrules
from trialrules.arms import PlanError, plan

D = dt.date
TRIAL = trialrules.Engine().trial("jk500")
ARMS = {a.id: a for a in TRIAL.arms}


def lines(arm_id, first_dose, **kw):
    out = plan(TRIAL, ARMS[arm_id], first_dose, **kw)
    labels = [k for k, _ in out]
    assert len(labels) == len(set(labels)), "every fact is printed once"
    return dict(out)


@pytest.mark.parametrize(
    ("arm_id", "weight", "shown"),
    [
        ("dose_group_1", 20.0, "2×10^7 cells"),
        ("dose_group_1", 25.3, "2.53×10^7 cells"),
        ("dose_group_2", 31.5, "1.575×10^8 cells"),
        ("dose_group_3", 8.4, "2.52×10^8 cells"),
        ("dose_group_3", 60.0, "1.8×10^9 cells"),
    ],
)
def test_dose_is_per_kg_dose_times_weight(arm_id, weight, shown):
    assert lines(arm_id, D(2026, 3, 2), weight_kg=weight)["Dose per administration"].startswith(shown + " (")


def test_course_total_is_six_administrations():
    assert lines("dose_group_2", D(2026, 3, 2), weight_kg=20.0)["Course total (6 administrations)"] == "6×10^8 cells"


@pytest.mark.parametrize("weight", [0.0, -3.0, float("nan")])
def test_impossible_weight_is_refused(weight):
    with pytest.raises(PlanError):
        plan(TRIAL, ARMS["dose_group_1"], D(2026, 3, 2), weight_kg=weight)


def test_without_weight_the_dose_is_asked_for():
    assert "--weight" in lines("dose_group_1", D(2026, 3, 2))["Dose per administration"]


def _administrations(out):
    return [v.split(" ")[0] for k, v in out.items() if k.startswith("Administration ")]


def test_monday_start_mon_wed_fri():
    out = lines("dose_group_1", D(2026, 3, 2))
    assert _administrations(out) == ["2026-03-02", "2026-03-04", "2026-03-06", "2026-03-09", "2026-03-11", "2026-03-13"]
    assert "assumption" in out["Weekday pattern"]


def test_off_pattern_start_stays_dose_one():
    """A Tuesday first dose stays dose 1; later doses follow Mon/Wed/Fri from the next pattern day."""
    out = lines("dose_group_1", D(2026, 3, 3))
    assert _administrations(out) == ["2026-03-03", "2026-03-04", "2026-03-06", "2026-03-09", "2026-03-11", "2026-03-13"]
    assert "off the Mon/Wed/Fri pattern" in out["Note"]


def test_weekdays_parameter():
    out = lines("dose_group_1", D(2026, 3, 3), parameters={"weekdays": "tue,thu,sat"})
    assert _administrations(out) == ["2026-03-03", "2026-03-05", "2026-03-07", "2026-03-10", "2026-03-12", "2026-03-14"]


@pytest.mark.parametrize("bad", ["mon,wed", "mon,wed,fri,sat", "mon,mon,fri", "mon,wed,fry"])
def test_bad_weekday_patterns_are_refused(bad):
    with pytest.raises(PlanError):
        plan(TRIAL, ARMS["dose_group_1"], D(2026, 3, 2), parameters={"weekdays": bad})


def test_dlt_window_runs_to_four_weeks_after_the_last_administration():
    """Dose 6 on Day 12 (2026-03-13): the window ends 28 days later, Day 40 (2026-04-10)."""
    out = lines("dose_group_3", D(2026, 3, 2))
    assert out["DLT observation (first administration to 4 weeks after the last)"] == (
        "2026-03-02 to 2026-04-10 (Day 1–40, both included)"
    )
    # The example: a grade-4 DLT on Day 33 (21 days after dose 6) lies inside.
    assert D(2026, 3, 2) + dt.timedelta(days=32) <= D(2026, 4, 10)


def test_follow_up_is_24_calendar_months():
    out = lines("dose_group_1", D(2026, 3, 2))
    assert out["Response and MRD follow-up (24 months after the first injection)"].startswith("2026-03-02 to 2028-03-02 ")


def test_lymphodepletion_is_listed_without_a_dose():
    out = lines("dose_group_1", D(2026, 3, 2))
    for drug in ("cyclophosphamide", "fludarabine"):
        assert out[f"Also given: {drug}"].startswith("dose not stated in the protocol")


def test_escalation_as_the_protocol_states_it():
    out = lines("dose_group_2", D(2026, 3, 2))
    assert out["Escalation"] == "dose level 2 of 3; design decided by a review committee; cohorts of 3; target 12 patients"
    assert out["Group size"] == "3 patients"


def test_no_3plus3_decision_for_a_committee_design():
    with pytest.raises(PlanError, match="not 3\\+3"):
        plan(TRIAL, ARMS["dose_group_1"], D(2026, 3, 2), parameters={"outcomes": "1NNN"})
