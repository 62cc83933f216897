"""Hostile rule files (issue 14): every one is a located problem, bounded in time and
memory; a plugin with one is disabled while the other trials keep working."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from _support import engine_for, write_trial

from trialrules import Engine, cli
from trialrules.language.validate import validate_paths

GOOD = 'id: inc01_x\ntext: words\nrule: {measurement: {concept: anc, op: ">=", value: 1.5, unit: "10*9/L"}}\n'
ALIAS_BOMB = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, "
    f"*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}]\n" for i in range(8))


def criterion(rule: str) -> str:
    return f"id: inc01_x\ntext: words\nrule: {rule}\n"


# The hostile files of issue 14: (name, bytes of the criterion file, words of the expected problem).
HOSTILE = [
    ("alias bomb", ("id: inc01_x\ntext: words\n" + ALIAS_BOMB + "rule: {sex: male}\n").encode(),
     "expands to more than"),
    ("recursive alias", b"id: inc01_x\ntext: words\nrule: &r {not: *r}\n", "recursive alias"),
    ("1000 nested not", criterion("{not: " * 1000 + "{sex: male}" + "}" * 1000).encode(), "nested too deeply"),
    ("5000-digit integer", criterion("{measurement: {concept: anc, op: '>=', value: " + "9" * 5000 + "}}").encode(),
     "more than 30 digits"),
    ("invalid UTF-8", b"id: inc01_x\ntext: caf\xe9\nrule: {sex: male}\n", "not UTF-8"),
    ("UTF-16", GOOD.encode("utf-16"), "UTF-16"),
    ("unit 10*9/0", criterion("{measurement: {concept: anc, op: '>=', value: 1.5, unit: '10*9/0'}}").encode(),
     "unit"),
    (".nan limit", criterion("{measurement: {concept: anc, op: '>=', value: .nan, unit: '10*9/L'}}").encode(),
     "not a finite number"),
    (".inf limit", criterion("{measurement: {concept: anc, op: '>=', value: .inf, unit: '10*9/L'}}").encode(),
     "not a finite number"),
    ("1e999 limit", criterion("{measurement: {concept: anc, op: '>=', value: 1.0e+999, unit: '10*9/L'}}").encode(),
     "not a finite number"),
    ("window of 1e11 days", criterion("{condition: {valueset: anc, if_absent: not_met, window: {days: 100000000000}}}").encode(),
     "longer than trialrules reads"),
    ("unknown unit", criterion("{measurement: {concept: anc, op: '>=', value: 1.5, unit: 'furlongs'}}").encode(),
     "furlongs"),
    ("unknown function", criterion("{derived: {function: no_such_fn, op: '>=', value: 1}}").encode(),
     "unknown function 'no_such_fn'"),
    ("unknown value set", criterion("{condition: {valueset: no_such_set, if_absent: not_met}}").encode(), "unknown value set 'no_such_set'"),
]


@pytest.mark.parametrize(("name", "data", "words"), HOSTILE, ids=[h[0] for h in HOSTILE])
def test_lone_criterion_file_is_a_located_problem(tmp_path: Path, name: str, data: bytes, words: str) -> None:
    path = tmp_path / "inc01_x.yaml"
    path.write_bytes(data)
    started = time.monotonic()

    found, checked = validate_paths([path], Engine(load_entrypoints=False).registry)

    assert time.monotonic() - started < 5
    assert checked == 1 and found, name
    assert words in str(found[0]), str(found[0])
    assert all(len(str(p)) < 1500 for p in found)  # echoed values are clipped


@pytest.mark.parametrize(("name", "data", "words"), HOSTILE, ids=[h[0] for h in HOSTILE])
def test_plugin_with_the_file_is_disabled_others_keep_working(rules_root: Path, name: str, data: bytes,
                                                                words: str) -> None:
    good = write_trial(rules_root / "a", {"inclusion/inc01_x": GOOD}, trial_id="good")
    bad = write_trial(rules_root / "b", {}, trial_id="bad")
    (bad / "criteria" / "inclusion" / "inc01_x.yaml").write_bytes(data)

    engine = engine_for(good, bad)

    assert [t.id for t in engine.trials] == ["good"]
    (problem,) = engine.problems
    assert words in str(problem) and problem.plugin


def test_half_life_nan_in_a_value_set(rules_root: Path) -> None:
    sets = "- name: drugs\n  codes:\n    - {system: rxnorm, code: '1', half_life_hours: .nan}\n"
    rules = write_trial(rules_root, {"inclusion/inc01_x": GOOD}, valuesets=sets)
    found, _ = validate_paths([rules], Engine(load_entrypoints=False).registry)
    assert any("not a finite number" in str(p) for p in found)


def test_symlink_out_of_the_rules_directory_is_not_read_nor_echoed(rules_root: Path) -> None:
    secret = rules_root / "credentials"
    secret.write_text("aws_secret_access_key: AKIAEXAMPLESECRET\n")
    rules = write_trial(rules_root, {"inclusion/inc01_x": GOOD})
    (rules / "criteria" / "exclusion" / "exc01_x.yaml").symlink_to(secret)

    engine = engine_for(rules)

    assert engine.trials == []
    text = str(engine.problems[0])
    assert "symbolic link to a file outside" in text and "AKIA" not in text


def test_a_lone_file_says_what_was_not_checked(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "inc01_x.yaml"
    path.write_text(GOOD)
    code = cli.main(["validate", str(path)])
    err = capsys.readouterr().err
    assert code == 0
    assert "checked alone" in err and "not checked: value sets of its own trial" in err


def test_screen_goes_on_without_a_broken_plugin(rules_root: Path, monkeypatch: pytest.MonkeyPatch,
                                                  capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    import json

    good = write_trial(rules_root / "a", {"inclusion/inc01_x": GOOD}, trial_id="good")
    bad = write_trial(rules_root / "b", {"inclusion/inc01_x": HOSTILE[0][1].decode()}, trial_id="bad")
    monkeypatch.setattr(cli, "Engine", lambda **kw: engine_for(good, bad))
    patient = tmp_path / "p.json"
    patient.write_text(json.dumps({"id": "p", "birth_date": "1970-01-01", "sex": "male"}))

    code = cli.main(["screen", "--as-of", "2026-01-15", str(patient)])
    out, err = capsys.readouterr()

    assert code == 2 and [r["trial"] for r in json.loads(out)] == ["good"]
    assert "expands to more than" in err
    assert cli.main(["list"]) == 0
    assert "good" in capsys.readouterr().out
