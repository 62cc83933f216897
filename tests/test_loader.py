"""Loading and validating rule files: schema errors with positions, meaning, broken plugins."""

from __future__ import annotations

from pathlib import Path

import pytest
from _support import TrialPlugin, engine_for, write_trial
from hypothesis import given, settings
from hypothesis import strategies as st

from trialrules import Engine, hookimpl
from trialrules.language.safe_yaml import YAMLProblem, load_with_positions
from trialrules.language.validate import validate_paths

GOOD = 'id: inc01_x\ntext: words\nrule: {measurement: {concept: anc, op: ">=", value: 1.5, unit: "10*9/L"}}\n'


def problems_for(rules_root: Path, text: str, name: str = "inc01_x") -> list[str]:
    rules = write_trial(rules_root, {f"inclusion/{name}": text})
    engine = Engine(load_entrypoints=False)
    found, _ = validate_paths([rules], engine.registry)
    return [str(p) for p in found]


class TestValidate:
    def test_clean(self, rules_root):
        assert [] == problems_for(rules_root, GOOD)

    def test_misspelt_key(self, rules_root):
        """A misspelt key is named with file:line:column, its path and a suggestion."""
        text = 'id: inc01_x\ntext: words\nrule:\n  mesurement: {concept: anc, op: ">=", value: 1.5}\n'

        (problem,) = problems_for(rules_root, text)

        assert problem.endswith("inc01_x.yaml:4:3: $.rule.mesurement: unknown key 'mesurement'; did you mean 'measurement'?")

    def test_wrong_type(self, rules_root):
        text = 'id: inc01_x\ntext: words\nrule: {measurement: {concept: anc, op: ">=", value: "1.5"}}\n'

        (problem,) = problems_for(rules_root, text)

        assert "inc01_x.yaml:3:" in problem and "$.rule.measurement.value" in problem and "'1.5' is not of type 'number'" in problem

    def test_unknown_unit(self, rules_root):
        text = 'id: inc01_x\ntext: words\nrule:\n  measurement: {concept: anc, op: ">=", value: 1.5, unit: "x10E9/L"}\n'

        (problem,) = problems_for(rules_root, text)

        assert "inc01_x.yaml:4:" in problem and "$.rule.measurement.unit" in problem and "'x10E9' is not a UCUM unit" in problem

    def test_unconvertible_unit(self, rules_root):
        text = 'id: inc01_x\ntext: words\nrule: {measurement: {concept: anc, op: ">=", value: 1.5, unit: "g/L"}}\n'

        (problem,) = problems_for(rules_root, text)

        assert "cannot be converted" in problem

    def test_duplicate_id(self, rules_root):
        text = ("id: inc01_x\ntext: words\ncriteria:\n  - id: inc01_1\n    text: a\n    rule: {sex: male}\n"
                "  - id: inc01_1\n    text: b\n    rule: {sex: female}\n")

        (problem,) = problems_for(rules_root, text)

        assert "inc01_x.yaml:7:9: $.criteria[1].id: duplicate criterion id 'inc01_1'" in problem

    def test_unknown_names(self, rules_root):
        text = ('id: inc01_x\ntext: words\nrule:\n  all:\n    - {measurement: {concept: ancc, op: ">=", value: 1}}\n'
                '    - {derived: {function: age_yers, op: ">=", value: 18}}\n    - {attestation: {id: nowhere}}\n')

        found = problems_for(rules_root, text)

        assert any("unknown value set 'ancc'; did you mean 'anc'?" in p for p in found)
        assert any("unknown function 'age_yers'; did you mean 'age_years'?" in p for p in found)
        assert any("unknown criterion 'nowhere'" in p for p in found)

    def test_duplicate_yaml_key(self, rules_root):
        (problem,) = problems_for(rules_root, "id: inc01_x\ntext: a\ntext: b\nrule: {sex: male}\n")

        assert ":3:1: $: not valid YAML: duplicate key 'text'" in problem

    def test_no_code_runs(self, rules_root):
        """Python tags are refused by the safe loader."""
        found = problems_for(rules_root, "id: inc01_x\ntext: !!python/object/apply:os.system ['true']\nrule: {sex: male}\n")

        assert found and "not valid YAML" in found[0]


class TestBrokenPlugins:
    def test_invalid_rules_do_not_take_others_down(self, rules_root):
        good = write_trial(rules_root / "a", {"inclusion/inc01_x": GOOD}, trial_id="good")
        bad = write_trial(rules_root / "b", {"inclusion/inc01_x": "id: inc01_x\ntext: t\nrule: {bogus: 1}\n"}, trial_id="bad")

        engine = engine_for(good, bad)

        assert ["good"] == [t.id for t in engine.trials]
        assert "bogus" in str(engine.problems[0])

    def test_duplicate_trial_id(self, rules_root):
        one = write_trial(rules_root / "a", {"inclusion/inc01_x": GOOD}, trial_id="same")
        two = write_trial(rules_root / "b", {"inclusion/inc01_x": GOOD}, trial_id="same")

        engine = engine_for(one, two)

        assert 1 == len(engine.trials)
        assert "already provided" in str(engine.problems[0])

    def test_hook_that_raises(self, rules_root):
        class Broken:
            @hookimpl
            def trialrules_register_trials(self, registry):
                raise RuntimeError("boom")

        good = write_trial(rules_root, {"inclusion/inc01_x": GOOD})
        engine = Engine(plugins=[TrialPlugin(good), Broken()], load_entrypoints=False)

        assert ["mini"] == [t.id for t in engine.trials]
        assert "RuntimeError: boom" in str(engine.problems[0])


class TestYAML:
    @settings(max_examples=200)
    @given(st.text())
    def test_loader_never_crashes(self, text):
        """Arbitrary text either loads or raises YAMLProblem with a position."""
        try:
            load_with_positions(text)
        except YAMLProblem as exc:
            assert exc.line >= 1

    def test_dates_stay_strings(self):
        assert {"as_of": "2026-01-15"} == load_with_positions("as_of: 2026-01-15\n")[0]


def test_schemas_ship_with_the_package():
    """The wheel carries schemas/ (as trialrules/schemas when installed)."""
    from trialrules.language.schema import SCHEMA_FILES, _schema_dir

    assert all((_schema_dir() / name).is_file() for name in SCHEMA_FILES)


@pytest.mark.parametrize("name", ["trial-rules", "patient-record", "screening-result", "test-case"])
def test_schemas_are_valid_2020_12(name):
    import jsonschema

    from trialrules.language.schema import load_schema

    jsonschema.Draft202012Validator.check_schema(load_schema(f"{name}.schema.json"))
