"""Tests for the CNK-UT arm planner."""

import datetime

import pytest
from trialrules_cnk_ut import arms

DAY1 = datetime.date(2026, 3, 2)


class TestPlan:
    def test_per_kg_dose_times_weight(self):
        """A per-kg parameter and a weight give the cells per infusion."""
        rows = dict(arms.plan("escalation", DAY1, 18.0, {"dose_level": "2", "dose_per_kg": "1e6"}))

        assert "1.8e+07 cells" == rows["Cells per infusion"]
        assert "2" == rows["Dose level"]
        assert "2026-03-02" == rows["Day 1 (CNK-UT infusion)"]

    def test_no_dose_is_not_invented(self):
        """Without a dose parameter the planner says the dose is not stated."""
        rows = dict(arms.plan("expansion", DAY1, 18.0, {}))

        assert rows["Cells per infusion"].startswith("unknown")

    def test_per_kg_without_weight(self):
        """A per-kg dose without a weight leaves the cells unknown."""
        rows = dict(arms.plan("escalation", DAY1, None, {"dose_per_kg": "1e6"}))

        assert "unknown: give --weight" == rows["Cells per infusion"]

    def test_flat_dose(self):
        """A flat dose parameter is printed as given."""
        rows = dict(arms.plan("expansion", DAY1, None, {"dose": "5e7"}))

        assert "5e+07 cells (parameter, flat dose)" == rows["Cells per infusion"]

    @pytest.mark.parametrize(
        "arm, params",
        [("dose_group_9", {}), ("escalation", {"dose_per_kg": "abc"}), ("escalation", {"dose_per_kg": "-1"}),
         ("escalation", {"dose_per_kg": "1e6", "dose": "1e7"})],
    )
    def test_bad_input_raises(self, arm, params):
        """Unknown arms and unreadable parameters raise ValueError."""
        with pytest.raises(ValueError):
            arms.plan(arm, DAY1, 18.0, params)

    def test_total_dose(self):
        """total_dose multiplies and refuses non-positive input."""
        assert 2.5e7 == arms.total_dose(1e6, 25)
        with pytest.raises(ValueError):
            arms.total_dose(1e6, 0)
