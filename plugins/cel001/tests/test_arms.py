"""CEL001 dose groups planned by the core from arms.yaml (Day 1, 20, 24, 28; bags of
5×10^8-1×10^9 cells), checked against hand-counted dates."""

import datetime as dt

import pytest

import trialrules
from trialrules.arms import plan

D = dt.date
TRIAL = trialrules.Engine().trial("cel001")
ARMS = {a.id: a for a in TRIAL.arms}


def lines(arm_id, first_dose):
    out = plan(TRIAL, ARMS[arm_id], first_dose)
    assert len({k for k, _ in out}) == len(out), "every fact is printed once"
    return dict(out)


def test_administration_days():
    out = lines("dose_group_2", D(2026, 1, 5))
    assert [out[f"Administration {n}"] for n in (1, 2, 3, 4)] == [
        "2026-01-05 (Mon, Day 1)", "2026-01-24 (Sat, Day 20)", "2026-01-28 (Wed, Day 24)", "2026-02-01 (Sun, Day 28)"]


def test_dlt_windows_end_n_days_after_their_dose():
    """14 days after Day 1 ends on Day 15; 28 days after Day 20 ends on Day 48 (as outcomes.yaml counts)."""
    out = lines("dose_group_1", D(2026, 1, 5))
    assert out["Single-dose DLT observation (14 days after administration)"] == "2026-01-05 to 2026-01-19 (Day 1–15, both included)"
    assert out["Multiple-dose DLT observation (28 days after the first of the multiple doses)"] == (
        "2026-01-24 to 2026-02-21 (Day 20–48, both included)")


def test_follow_up_from_a_29_february_last_dose():
    """Last dose (Day 28) on 2028-02-29: two years later is 2030-02-28 (clamped)."""
    out = lines("dose_group_3", D(2028, 2, 2))
    assert out["Administration 4"].startswith("2028-02-29")
    assert out["Follow-up (2 years after the last dose)"].startswith("2028-02-29 to 2030-02-28 ")


@pytest.mark.parametrize(("arm_id", "guaranteed", "at_upper"), [("dose_group_1", 1, 1), ("dose_group_2", 4, 2), ("dose_group_3", 10, 5)])
def test_bags(arm_id, guaranteed, at_upper):
    out = lines(arm_id, D(2026, 1, 5))
    assert out["Bags per dose"].startswith(f"{guaranteed} at 5×10^8 cells each")
    assert f"; {at_upper} if every bag holds 1×10^9 cells" in out["Bags per dose"]
    assert out["Bags for the course"] == f"{4 * guaranteed} (guaranteed); {4 * at_upper} at the upper bound"


@pytest.mark.parametrize(("arm_id", "size"), [("dose_group_1", "1 patient"), ("dose_group_2", "3 to 6 patients")])
def test_group_sizes(arm_id, size):
    assert lines(arm_id, D(2026, 1, 5))["Group size"] == size


def test_3plus3_is_marked_as_a_reading():
    assert "assumption" in lines("dose_group_1", D(2026, 1, 5))["Escalation"]
