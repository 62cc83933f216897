"""The core arm planner (trialrules/arms.py) and the meaning checks of arms.yaml."""

from __future__ import annotations

import datetime as dt
import textwrap
from pathlib import Path

import pytest
from _support import write_trial

from trialrules import Engine, hookimpl
from trialrules.arms import PlanError, anchor_date, plan, plugin_lines
from trialrules.errors import RuleFileError
from trialrules.language.loader import load_trial
from trialrules.language.models import Arm, CycleSchedule, Dose, DoseAnchor, Schedule, Trial

D = dt.date
GOOD = 'id: inc01_x\ntext: words\nrule: {attestation: {}}\n'
ARMS = """\
arms:
  - id: low
    title: Low
    dose: {value: 1.5, unit: "mg", per: m2}
    schedule: {weekly: {per_week: 2, doses: 4, weekdays: [tue, fri]}}
    windows:
      - {id: dlt, title: DLT, from: {dose: 1}, until: {dose: last, days: 21}}
  - id: high
    title: High
    dose: {value: 3, unit: "mg", per: m2}
    schedule: {cycles: {length_days: 21, count: 2, days: [1, 8]}}
escalation: {design: "3+3", cohort_size: 3, dose_order: [low, high]}
"""


def rules_with_arms(root: Path, arms_text: str) -> Path:
    rules = write_trial(root, {"inclusion/inc01_x": GOOD})
    (rules / "arms.yaml").write_text(textwrap.dedent(arms_text), encoding="utf-8")
    return rules


def problems(root: Path, arms_text: str) -> list[str]:
    with pytest.raises(RuleFileError) as info:
        load_trial(rules_with_arms(root, arms_text))
    return [str(p) for p in info.value.errors]


class TestArmsFileMeaning:
    def test_clean(self, tmp_path):
        trial = load_trial(rules_with_arms(tmp_path, ARMS))
        assert [a.id for a in trial.arms] == ["low", "high"]
        assert trial.escalation is not None and trial.escalation.dose_order == ("low", "high")

    @pytest.mark.parametrize(
        ("typo", "where"),
        [
            ("{weekly: {per_wek: 2, doses: 4", ":5:"),
            ("from: {dos: 1}", ":7:"),
            ("dose_order: [low, hihg]", ":12:"),
            ("dose_ordr: [low, high]", ":12:"),
        ],
    )
    def test_typos_fail_with_file_line_column(self, tmp_path, typo, where):
        original = {
            "{weekly: {per_wek: 2, doses: 4": "{weekly: {per_week: 2, doses: 4",
            "from: {dos: 1}": "from: {dose: 1}",
            "dose_order: [low, hihg]": "dose_order: [low, high]",
            "dose_ordr: [low, high]": "dose_order: [low, high]",
        }[typo]
        found = problems(tmp_path, ARMS.replace(original, typo))
        assert found and all("arms.yaml" in p for p in found)
        assert any(where in p for p in found), found

    def test_unknown_arm_in_dose_order_suggests(self, tmp_path):
        (found,) = problems(tmp_path, ARMS.replace("[low, high]", "[low, hihg]"))
        assert found.endswith("$.escalation.dose_order[1]: unknown arm 'hihg'; did you mean 'high'?")

    def test_window_after_the_last_scheduled_dose(self, tmp_path):
        (found,) = problems(tmp_path, ARMS.replace("until: {dose: last, days: 21}", "until: {dose: 5, days: 21}"))
        assert "dose 5, but the schedule gives 4 administrations" in found

    def test_weekdays_must_match_per_week(self, tmp_path):
        (found,) = problems(tmp_path, ARMS.replace("weekdays: [tue, fri]", "weekdays: [tue]"))
        assert "1 weekdays for 2 administrations a week" in found

    @pytest.mark.parametrize("unit", ["mgg", "10*9/0"])
    def test_impossible_dose_unit(self, tmp_path, unit):
        found = problems(tmp_path, ARMS.replace('unit: "mg", per: m2}\n    schedule: {weekly', f'unit: "{unit}", per: m2}}\n    schedule: {{weekly'))
        assert any("$.arms[0].dose.unit" in p for p in found)

    @pytest.mark.parametrize("bad", ["days: 100000", "days: -1"])
    def test_absurd_window_lengths(self, tmp_path, bad):
        assert problems(tmp_path, ARMS.replace("days: 21", bad))


class TestPlanner:
    @pytest.fixture
    def trial(self, tmp_path) -> Trial:
        return load_trial(rules_with_arms(tmp_path, ARMS))

    def test_dose_per_m2_uses_mosteller_bsa(self, trial):
        # 170 cm, 70 kg: sqrt(170 * 70 / 3600) = 1.81812... m²; 1.5 mg/m² -> 2.727 mg
        out = dict(plan(trial, trial.arms[0], D(2026, 3, 3), weight_kg=70, height_cm=170))
        assert out["Dose per administration"].startswith("2.727 mg (1.5 mg/m² × BSA 1.818 m², Mosteller)")
        assert out["Course total (4 administrations)"] == "10.91 mg"

    def test_dose_per_m2_needs_height(self, trial):
        out = dict(plan(trial, trial.arms[0], D(2026, 3, 3), weight_kg=70))
        assert "--height" in out["Dose per administration"]

    def test_weekly_window_to_last_dose_plus_21_days(self, trial):
        out = dict(plan(trial, trial.arms[0], D(2026, 3, 3)))  # a Tuesday
        assert [out[f"Administration {n}"][:10] for n in (1, 2, 3, 4)] == ["2026-03-03", "2026-03-06", "2026-03-10", "2026-03-13"]
        assert out["DLT"] == "2026-03-03 to 2026-04-03 (Day 1–32, both included)"

    def test_cycles(self, trial):
        out = dict(plan(trial, trial.arms[1], D(2026, 3, 2)))
        assert [out[f"Administration {n}"][:10] for n in (1, 2, 3, 4)] == ["2026-03-02", "2026-03-09", "2026-03-23", "2026-03-30"]

    def test_escalation_line(self, trial):
        out = dict(plan(trial, trial.arms[1], D(2026, 3, 2)))
        assert out["Escalation"] == "dose level 2 of 2; design 3+3; cohorts of 3"

    def test_stated_dose_cannot_be_overridden(self, trial):
        with pytest.raises(PlanError):
            plan(trial, trial.arms[0], D(2026, 3, 2), parameters={"dose": "9"})

    def test_days_parameter_refused_where_a_schedule_is_stated(self, trial):
        with pytest.raises(PlanError):
            plan(trial, trial.arms[0], D(2026, 3, 2), parameters={"days": "1,2"})


@pytest.mark.parametrize(
    ("anchor", "expected"),
    [
        (DoseAnchor(dose=1, months=1), D(2026, 2, 28)),  # 31 January + 1 month, clamped
        (DoseAnchor(dose=1, months=13), D(2027, 2, 28)),
        (DoseAnchor(dose=1, years=4), D(2030, 1, 31)),
        (DoseAnchor(dose="last", weeks=4), D(2026, 3, 7)),
        (DoseAnchor(dose=2, days=0), D(2026, 2, 7)),
    ],
)
def test_anchor_dates(anchor, expected):
    doses = [D(2026, 1, 31), D(2026, 2, 7)]
    assert anchor_date(anchor, doses, doses[0]) == expected


def test_anchor_past_the_schedule_is_unknown_not_guessed():
    assert anchor_date(DoseAnchor(dose="last"), None, D(2026, 1, 1)) is None
    assert anchor_date(DoseAnchor(dose=3), [D(2026, 1, 1)], D(2026, 1, 1)) is None


def test_cycle_schedule_counts():
    arm = Arm(id="a", title="A", dose=Dose(1, "mg"), schedule=Schedule(cycles=CycleSchedule(28, 3, (1, 15))))
    trial = Trial(id="t", version="1.0.0", title="T", criteria=(), arms=(arm,))
    out = dict(plan(trial, arm, D(2026, 1, 1)))
    assert out["Administration 6"].startswith("2026-03-12 ")  # cycle 3 starts Day 57 (2026-02-26); its Day 15 is Day 71


class _Extra:
    def __init__(self, text: str) -> None:
        self.text = text

    @hookimpl
    def trialrules_plan_arm(self, trial, arm, first_dose, weight_kg, parameters):
        return [("Extra", f"{self.text} {trial.id} {arm.id}")]


class _TrialWithExtra(_Extra):
    def __init__(self, rules: Path) -> None:
        super().__init__("mine")
        self.rules = rules

    @hookimpl
    def trialrules_register_trials(self, registry):
        registry.add_trial(self.rules)


def test_plan_hook_only_runs_for_the_plugin_that_provides_the_trial(tmp_path):
    rules = rules_with_arms(tmp_path, ARMS)
    engine = Engine(plugins=[_Extra("other"), _TrialWithExtra(rules)], load_entrypoints=False)
    trial = engine.trial("mini")
    out = plugin_lines(engine.plugin_manager, trial, trial.arms[0], D(2026, 1, 5), None, {})
    assert out == [("Extra", "mine mini low")]
