"""Schedule arithmetic of the CEL001 dose groups (trialrules_cel001.arms)."""

import datetime as dt

import pytest
from trialrules_cel001 import arms

D = dt.date


class TestSchedule:
    def test_administration_dates(self):
        """The four infusions fall on Day 1, 20, 24 and 28."""
        assert [D(2026, 2, 2), D(2026, 2, 21), D(2026, 2, 25), D(2026, 3, 1)] == arms.administration_dates(D(2026, 2, 2))

    def test_no_day_zero(self):
        """Study days start at Day 1."""
        with pytest.raises(ValueError):
            arms.study_day(D(2026, 1, 1), 0)

    def test_schedule_across_a_leap_day(self):
        """Day 28 from 2028-02-10 is 2028-03-08 (29 February counted)."""
        assert D(2028, 3, 8) == arms.administration_dates(D(2028, 2, 10))[-1]

    def test_dlt_single_window(self):
        """Single-dose DLT window: 14 days, Day 1 to Day 14 inclusive."""
        assert (D(2026, 2, 2), D(2026, 2, 15)) == arms.dlt_single_window(D(2026, 2, 2))

    def test_dlt_multiple_window(self):
        """Multiple-dose DLT window: 28 days from Day 20, i.e. Day 20 to Day 47."""
        start, end = arms.dlt_multiple_window(D(2026, 2, 2))
        assert (D(2026, 2, 21), D(2026, 3, 20)) == (start, end)
        assert 27 == (end - start).days

    def test_follow_up_end(self):
        """Follow-up ends 2 years after Day 28."""
        assert D(2028, 3, 1) == arms.follow_up_end(D(2026, 2, 2))

    def test_follow_up_from_a_leap_day(self):
        """A last dose on 29 February ends follow-up on 28 February two years later."""
        first = D(2028, 2, 29) - dt.timedelta(days=27)
        assert D(2028, 2, 29) == arms.administration_dates(first)[-1]
        assert D(2030, 2, 28) == arms.follow_up_end(first)


class TestBags:
    @pytest.mark.parametrize(
        ("arm", "guaranteed", "minimum"),
        [("dose_group_1", 1, 1), ("dose_group_2", 4, 2), ("dose_group_3", 10, 5)],
    )
    def test_bags_per_dose(self, arm, guaranteed, minimum):
        """ceil(dose / 5e8) guarantees the dose; ceil(dose / 1e9) is the minimum."""
        dose = arms.DOSE_CELLS[arm]

        assert guaranteed == arms.bags_per_dose(dose)
        assert minimum == arms.bags_per_dose(dose, "minimum")

    def test_bags_round_up(self):
        """A dose just above a whole number of bags needs one more bag."""
        assert 2 == arms.bags_per_dose(500_000_001)
        assert 1 == arms.bags_per_dose(500_000_000)

    def test_bad_rounding(self):
        """An unknown rounding rule is refused."""
        with pytest.raises(ValueError):
            arms.bags_per_dose(1e9, "nearest")


class TestPlan:
    def test_plan_lists_dates_windows_and_bags(self):
        """The plan names the four doses, both DLT windows, follow-up and the bags."""
        out = dict(arms.plan("dose_group_2", D(2026, 2, 2)))

        assert "2026-02-21" == out["Dose 2 (Day 20)"]
        assert "2026-02-21 to 2026-03-20" == out["Multiple-dose DLT window (28 days, Day 20-47)"]
        assert "2028-03-01" == out["End of follow-up (2 years after the last dose)"]
        assert out["Bags per dose"].startswith("4 ")
        assert "16" == out["Bags for the four doses"]

    def test_hook_ignores_other_trials(self):
        """The plan hook answers for cel001 only."""
        from trialrules_cel001.plugin import trialrules_plan_arm

        assert None is trialrules_plan_arm(trial_id="jk500", arm_id="dose_group_1", first_dose=D(2026, 1, 1), weight_kg=None, parameters={})
        assert trialrules_plan_arm(trial_id="CEL001", arm_id="dose_group_1", first_dose=D(2026, 1, 1), weight_kg=None, parameters={})
