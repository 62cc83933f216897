"""The YAML-case runner's coverage: gaps no patient could fill are not reported."""

from __future__ import annotations

from pathlib import Path

import pytest

from trialrules import cli
from trialrules.language.converters import structure_rule
from trialrules.language.models import Criterion
from trialrules.testing import criterion_reachable, reachable

SEARCH = {"condition": {"valueset": "x", "if_absent": "not_met"}}


class TestReachable:
    @pytest.mark.parametrize(("rule", "expected"), [
        ({"const": {"result": "met"}}, {"met"}),
        ({"not": {"const": {"result": "met"}}}, {"not_met"}),
        (SEARCH, {"met", "not_met", "unknown"}),  # a record it cannot judge makes it unknown
        ({"all": [{"const": {"result": "met"}}, {"attestation": {}}]}, {"met", "not_met", "unknown"}),
        ({"any": [{"const": {"result": "met"}}, {"attestation": {}}]}, {"met"}),
        ({"if": {"condition": {"sex": "male"}, "then": {"const": {"result": "met"}}, "else": {"const": {"result": "met"}}}},
         {"met", "unknown"}),
        ({"at_least": {"n": 2, "of": [{"const": {"result": "not_met"}}, {"attestation": {}}]}}, {"not_met"}),
    ])
    def test_rule(self, rule, expected):
        """A rule can give only the results its structure allows."""
        assert frozenset(expected) == reachable(structure_rule(rule))

    def test_criterion_without_rule_is_only_unknown(self):
        """A criterion with neither rule nor sub-criteria can only be unknown."""
        assert frozenset({"unknown"}) == criterion_reachable(Criterion("c", "inclusion", "words"))


class TestCommand:
    def test_missing_pytest_is_one_line(self, monkeypatch, capsys):
        """Without pytest, `trialrules test` says how to get it in one line and exits 2."""
        import builtins

        real = builtins.__import__

        def no_pytest(name, *args, **kwargs):
            if name == "pytest":
                raise ImportError(name)
            return real(name, *args, **kwargs)

        monkeypatch.setattr(builtins, "__import__", no_pytest)

        code = cli.main(["test", "cel001"])
        err = capsys.readouterr().err

        assert (2, "trialrules test: needs pytest to run YAML cases: pip install 'trialrules[test]'\n") == (code, err)


class TestShippedCases:
    @pytest.mark.parametrize("pyproject", sorted((Path(__file__).resolve().parents[1] / "plugins").glob("*/pyproject.toml")),
                             ids=lambda p: p.parent.name)
    def test_plugin_wheel_carries_its_cases(self, pyproject):
        """Each plugin's wheel puts tests/cases beside its rules, so `trialrules test` works after a normal install."""
        import tomllib

        data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
        wheel = data["tool"]["hatch"]["build"]["targets"]["wheel"]
        (package,) = wheel["packages"]

        assert f"{package}/cases" == wheel["force-include"]["tests/cases"]

    def test_cases_found_beside_installed_rules(self, tmp_path):
        """Installed layout (<package>/rules, <package>/cases) first, then a source checkout's tests/cases."""
        from types import SimpleNamespace

        installed = tmp_path / "site" / "trialrules_x"
        (installed / "rules").mkdir(parents=True)
        (installed / "cases").mkdir()
        source = tmp_path / "src" / "trialrules_x"
        (source / "rules").mkdir(parents=True)
        (tmp_path / "src" / "tests" / "cases").mkdir(parents=True)

        assert installed / "cases" == cli._cases_dir(SimpleNamespace(rules_dir=str(installed / "rules")))
        assert tmp_path / "src" / "tests" / "cases" == cli._cases_dir(SimpleNamespace(rules_dir=str(source / "rules")))
