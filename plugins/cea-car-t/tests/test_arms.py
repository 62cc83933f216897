"""Dose arithmetic and the recommended dose of the CEA CAR-T trial (arms.py)."""

from __future__ import annotations

import datetime as dt

import pytest
from trialrules_cea_car_t import arms, plugin


class TestDoseForWeight:
    @pytest.mark.parametrize(
        ("arm_id", "weight", "cells"),
        [
            ("dose_level_1", 70.0, 7.0e6),
            ("dose_level_2", 70.0, 2.1e7),
            ("dose_level_3", 70.0, 3.5e7),
            ("dose_level_1", 52.4, 5.24e6),
            ("dose_level_3", 100.0, 5.0e7),
        ],
    )
    def test_cells_are_per_kg_dose_times_weight(self, arm_id, weight, cells):
        """The dose is the per-kg dose times body weight, unrounded."""

        assert cells == pytest.approx(arms.dose_for_weight(arms.DOSE_LEVELS[arm_id], weight), rel=1e-12)

    @pytest.mark.parametrize("weight", [0, -5, float("nan"), float("inf"), None])
    def test_rejects_impossible_weights(self, weight):
        """A weight that is not a positive finite number is an error, not a dose."""

        with pytest.raises(ValueError):
            arms.dose_for_weight(1.0e5, weight)

    def test_dose_levels_match_the_protocol(self):
        """1, 3 and 5 x 10^5 CAR+ cells/kg, in escalation order."""

        assert [1.0e5, 3.0e5, 5.0e5] == [arms.DOSE_LEVELS[a] for a in arms.DOSE_ORDER]


class TestRecommendedDose:
    @pytest.mark.parametrize(
        ("results", "expected"),
        [
            ([(3, 0), (3, 0), (6, 1)], 3),  # top level 1/6: recommended
            ([(3, 0), (6, 1), (3, 2)], 2),  # level 3 too toxic, level 2 1/6
            ([(3, 0), (6, 0), (6, 2)], 2),  # level 3 2/6
            ([(6, 1), (6, 2)], 1),
            ([(6, 2)], None),  # no acceptable level
            ([(3, 0), (3, 0), (3, 0)], None),  # nobody has 6 yet
            ([(3, 1)], None),
            ([(6, 0), (3, 0), (0, 0)], 1),  # level 2 not yet expanded to 6
            ([(6, 1), (6, 1), (6, 1)], 3),
            ([], None),
        ],
    )
    def test_highest_level_with_at_most_one_of_six(self, results, expected):
        """The highest dose level at which at most 1 of (at least) 6 had a DLT."""

        assert expected == arms.recommended_dose_level(results)

    @pytest.mark.parametrize("bad", [[(3, 4)], [(-1, 0)], [(3, -1)]])
    def test_rejects_impossible_counts(self, bad):
        """More DLTs than patients, or negative counts, are errors."""

        with pytest.raises(ValueError):
            arms.recommended_dose_level(bad)

    def test_parse_results(self):
        """``n/DLTs`` per level, comma-separated."""

        assert [(6, 0), (6, 1), (3, 2)] == arms.parse_results("6/0, 6/1,3/2")

    @pytest.mark.parametrize("text", ["6-0", "6/", "a/b", ""])
    def test_parse_results_rejects_garbage(self, text):
        """Anything but n/DLTs pairs is an error."""

        with pytest.raises(ValueError):
            arms.parse_results(text)


class TestFormat:
    @pytest.mark.parametrize(
        ("cells", "text"),
        [(2.1e7, "2.1 × 10^7"), (1.0e5, "1 × 10^5"), (5.24e6, "5.24 × 10^6"), (9.999e6, "1 × 10^7"), (0, "0")],
    )
    def test_format_cells(self, cells, text):
        """Three significant digits in scientific notation."""

        assert text == arms.format_cells(cells)


class TestPlanHook:
    def test_other_trials_are_not_ours(self):
        """The hook answers None for another trial."""

        assert None is plugin.trialrules_plan_arm(
            trial_id="cel001", arm_id="dose_level_1", first_dose=dt.date(2026, 3, 2), weight_kg=70.0, parameters={}
        )

    def test_plan_with_weight(self):
        """The plan shows the route and the cells for the patient's weight."""

        rows = dict(
            plugin.trialrules_plan_arm(
                trial_id="cea-car-t", arm_id="dose_level_2", first_dose=dt.date(2026, 3, 2), weight_kg=70.0,
                parameters={},
            )
        )

        assert "intraperitoneal infusion" == rows["Route"]
        assert rows["Dose"].startswith("2.1 × 10^7 CAR+ cells")

    def test_plan_without_weight_asks_for_it(self):
        """Without a weight no dose is invented."""

        rows = dict(arms.plan_arm("dose_level_1", dt.date(2026, 3, 2), None, {}))

        assert "--weight" in rows["Dose"]

    def test_plan_recommended_dose_and_decision(self):
        """``results`` gives the recommended dose, ``outcomes`` the library's 3+3 decision."""

        rows = dict(
            arms.plan_arm("dose_level_3", dt.date(2026, 3, 2), 60.0, {"results": "6/0,6/1,3/2", "outcomes": "1NNN 2NNN"})
        )

        assert rows["Recommended dose (highest level with ≤ 1 of 6 DLT)"].startswith("dose level 2 ")
        assert rows["3+3 decision"].startswith("enrol the next cohort at dose level 3")

    def test_plan_decision_stops_after_two_dlts(self):
        """Two DLTs in three at level 2 stop escalation at level 1 (library rule)."""

        rows = dict(arms.plan_arm("dose_level_2", dt.date(2026, 3, 2), None, {"outcomes": "1NNN 2NTT"}))

        assert rows["3+3 decision"].startswith("stop escalating; recommended dose level 1")

    def test_unknown_arm(self):
        """An arm id the trial does not have is an error."""

        with pytest.raises(ValueError):
            arms.plan_arm("dose_level_9", dt.date(2026, 3, 2), 70.0, {})
