"""Per-kg dose arithmetic and schedule dates of JK500 (trialrules_jk500.arms)."""

import datetime as dt

import pytest
from trialrules_jk500 import arms

D = dt.date


class TestDose:
    @pytest.mark.parametrize(
        ("arm_id", "weight", "expected"),
        [
            ("dose_group_1", 20.0, 2.0e7),
            ("dose_group_1", 25.3, 2.53e7),
            ("dose_group_2", 20.0, 1.0e8),
            ("dose_group_2", 31.5, 1.575e8),
            ("dose_group_3", 20.0, 6.0e8),
            ("dose_group_3", 8.4, 2.52e8),
            ("dose_group_3", 60.0, 1.8e9),
        ],
    )
    def test_cells_are_per_kg_dose_times_weight(self, arm_id, weight, expected):
        """One administration is the per-kg dose times the body weight, unrounded."""

        assert expected == pytest.approx(arms.dose_cells(arm_id, weight), rel=1e-12)

    def test_per_kg_doses_are_the_protocols(self):
        """10^6, 5x10^6 and 3x10^7 cells/kg per administration."""

        assert {"dose_group_1": 1e6, "dose_group_2": 5e6, "dose_group_3": 3e7} == arms.DOSE_PER_KG

    @pytest.mark.parametrize("weight", [0, -3.0, None])
    def test_weight_must_be_positive(self, weight):
        """A zero, negative or missing weight is refused, never dosed."""

        with pytest.raises(ValueError):
            arms.dose_cells("dose_group_1", weight)

    def test_unknown_arm(self):
        """Only the three dose groups have a dose."""

        with pytest.raises(KeyError):
            arms.dose_cells("dose_group_4", 20.0)

    def test_format_cells(self):
        """Doses print as mantissa×10^exponent with three significant figures."""

        assert "2.53×10^7" == arms.format_cells(2.53e7)
        assert "1×10^6" == arms.format_cells(1e6)
        assert "1.58×10^8" == arms.format_cells(1.575e8 + 1)


class TestSchedule:
    def test_monday_start_gives_two_weeks_of_mon_wed_fri(self):
        """Six doses three times a week on Mon/Wed/Fri from a Monday."""

        expected = [D(2026, 3, 2), D(2026, 3, 4), D(2026, 3, 6), D(2026, 3, 9), D(2026, 3, 11), D(2026, 3, 13)]

        assert expected == arms.administration_dates(D(2026, 3, 2))

    def test_wednesday_start(self):
        """Starting mid-pattern continues the pattern across the weekend."""

        expected = [D(2026, 3, 4), D(2026, 3, 6), D(2026, 3, 9), D(2026, 3, 11), D(2026, 3, 13), D(2026, 3, 16)]

        assert expected == arms.administration_dates(D(2026, 3, 4))

    def test_other_pattern(self):
        """The weekday pattern is a parameter."""

        expected = [D(2026, 3, 3), D(2026, 3, 5), D(2026, 3, 7), D(2026, 3, 10), D(2026, 3, 12), D(2026, 3, 14)]

        assert expected == arms.administration_dates(D(2026, 3, 3), "tue,thu,sat")

    def test_off_pattern_start_keeps_dose_one_then_follows_pattern(self):
        """A Tuesday start on Mon/Wed/Fri: dose 1 stays on Tuesday, then Wed, Fri, Mon ..."""

        expected = [D(2026, 3, 3), D(2026, 3, 4), D(2026, 3, 6), D(2026, 3, 9), D(2026, 3, 11), D(2026, 3, 13)]

        assert expected == arms.administration_dates(D(2026, 3, 3))

    def test_schedule_crosses_month_and_year(self):
        """Dates roll over month and year ends."""

        dates = arms.administration_dates(D(2025, 12, 29))

        assert [D(2025, 12, 29), D(2025, 12, 31), D(2026, 1, 2), D(2026, 1, 5), D(2026, 1, 7), D(2026, 1, 9)] == dates

    @pytest.mark.parametrize("pattern", ["mon,wed", "mon,wed,fri,sun", "mon,mon,fri", "mon,wed,fry"])
    def test_pattern_must_be_three_distinct_days(self, pattern):
        """Three administrations a week need exactly three named weekdays."""

        with pytest.raises(ValueError):
            arms.parse_weekdays(pattern)

    def test_dlt_window_is_first_dose_plus_28_days(self):
        """The DLT window runs from the first dose to 28 days after it (the outcome library's count)."""

        assert (D(2026, 3, 2), D(2026, 3, 30)) == arms.dlt_window(D(2026, 3, 2))

    def test_follow_up_is_24_calendar_months(self):
        """Response follow-up ends 24 months after the first injection (clamped month end)."""

        assert D(2028, 3, 2) == arms.add_months(D(2026, 3, 2), 24)
        assert D(2026, 2, 28) == arms.add_months(D(2025, 8, 31), 6)
        assert D(2028, 2, 29) == arms.add_months(D(2027, 8, 31), 6)


class TestPlan:
    def test_plan_lists_dose_dates_and_windows(self):
        """The plan hook output names the dose for the weight, six dates and the DLT window."""

        out = dict(arms.plan("dose_group_2", D(2026, 3, 2), 20.0, {}))

        assert out["Dose per administration"].startswith("1×10^8 cells")
        assert "2026-03-13" in out["Administration 6"]
        assert out["DLT window"].startswith("2026-03-02 to 2026-03-30")
        assert "Note" not in out

    def test_plan_without_weight(self):
        """Without a weight the per-kg dose is shown and the patient dose is asked for."""

        out = dict(arms.plan("dose_group_1", D(2026, 3, 2), None, {}))

        assert "--weight" in out["Dose per administration"]

    def test_plan_notes_off_pattern_start(self):
        """An off-pattern first dose is said, not silently moved."""

        out = dict(arms.plan("dose_group_1", D(2026, 3, 3), 20.0, {}))

        assert "not on the Mon/Wed/Fri pattern" in out["Note"]
        assert out["Administration 1"].startswith("2026-03-03")

    def test_plan_rejects_unknown_parameter(self):
        """Unknown --param keys are an error, not ignored."""

        with pytest.raises(ValueError):
            arms.plan("dose_group_1", D(2026, 3, 2), 20.0, {"dose": "7"})

    def test_hook_answers_only_for_jk500(self):
        """The plan hook returns None for other trials and accepts the NCT alias."""

        from trialrules_jk500 import plugin

        assert plugin.trialrules_plan_arm(trial_id="cel001", arm_id="x", first_dose=D(2026, 3, 2), weight_kg=None, parameters={}) is None
        assert plugin.trialrules_plan_arm(trial_id="NCT05519384", arm_id="dose_group_3", first_dose=D(2026, 3, 2), weight_kg=10.0, parameters={})


class TestEscalation:
    """The 3+3 decisions come from the outcome library; the plugin only orders the groups."""

    @pytest.mark.parametrize(
        ("outcomes", "recommended", "go_on"),
        [
            ("1NNN", 2, True),  # 0/3 at group 1: escalate to 5x10^6/kg
            ("1NNT", 1, True),  # 1/3: expand group 1 to 6
            ("1NNT 1NNN", 2, True),  # 1/6: escalate
            ("1NTT", None, False),  # 2/3 at the lowest group: stop, no dose
            ("1NNN 2NNN 3NNN", 3, False),  # 0/3 at the top group (3x10^7/kg): stop at 3
            ("1NNN 2NNN 3NTT", 2, False),  # 2/3 at group 3: recommend group 2
        ],
    )
    def test_three_plus_three_over_the_three_groups(self, outcomes, recommended, go_on):
        """Decisions for three dose groups, from trialrules.outcomes.escalation."""

        escalation = pytest.importorskip("trialrules.outcomes.escalation")

        decision = escalation.three_plus_three(outcomes, num_doses=len(arms.DOSE_PER_KG))

        assert (recommended, go_on) == (decision.recommended_dose, decision.continue_trial)
