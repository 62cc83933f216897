"""The YAML-case runner's coverage: gaps no patient could fill are not reported."""

from __future__ import annotations

import pytest

from trialrules import cli
from trialrules.converters import structure_rule
from trialrules.models import Criterion
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
