"""Tests of the nk-gd2 arm planner (pure functions, no engine needed)."""

import datetime as dt

import pytest
from trialrules_nk_gd2 import arms

FIRST = dt.date(2026, 2, 2)


class TestPlan:
    def test_other_arm_is_not_ours(self):
        """An unknown arm id gives None."""

        assert arms.plan("dose_group_1", FIRST, None, {}) is None

    def test_no_parameters_says_not_stated(self):
        """Without parameters every dose and the schedule are reported as not stated."""

        out = dict(arms.plan(arms.ARM_ID, FIRST, None, {}))

        assert "2026-02-02" == out["First dose (Day 1)"]
        assert out["Autologous NK cells: dose per administration"].startswith("not stated in the protocol")
        assert out["GD2 monoclonal antibody: product"].startswith("not named in the protocol")
        assert out["Schedule: study days"].startswith("not stated in the protocol")

    def test_days_become_dates(self):
        """Study days are turned into dates, Day 1 being the first dose."""

        out = dict(arms.plan(arms.ARM_ID, FIRST, None, {"days": "15, 1,8"}))

        assert "1, 8, 15" == out["Schedule: study days"]
        assert "2026-02-02" == out["Day 1"]
        assert "2026-02-09" == out["Day 8"]
        assert "2026-02-16" == out["Day 15"]

    def test_per_kg_dose_uses_weight(self):
        """A per-kg NK-cell dose is multiplied by the weight."""

        out = dict(arms.plan(arms.ARM_ID, FIRST, 20.0, {"nk_dose_per_kg": "1e7"}))

        assert "2e+08 cells (20 kg)" == out["Autologous NK cells: dose for this weight"]

    def test_bad_days_are_reported(self):
        """Unreadable study days are reported, not raised."""

        out = dict(arms.plan(arms.ARM_ID, FIRST, None, {"days": "1,x"}))

        assert out["Schedule: study days"].startswith("cannot read --param days")

    def test_unknown_parameters_are_listed(self):
        """Parameters the planner does not know are listed as ignored."""

        out = dict(arms.plan(arms.ARM_ID, FIRST, None, {"colour": "blue"}))

        assert out["Ignored parameters"].startswith("colour")


class TestHelpers:
    def test_parse_days_rejects_day_zero(self):
        """Day 0 is before the first dose."""

        with pytest.raises(ValueError):
            arms.parse_days("0,1")

    def test_day_to_date(self):
        """Day 1 is the first dose; Day 29 is four weeks later."""

        assert dt.date(2026, 3, 2) == arms.day_to_date(FIRST, 29)
