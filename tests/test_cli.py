"""The trialrules command: exit codes, output formats, bad input (CONTRACT.md sections 2 and 4)."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
from _support import TrialPlugin, obs, write_trial

from trialrules import cli
from trialrules.language.schema import load_schema

RULE = 'id: inc01_anc\ntext: ANC ≥ 1.5 × 10^9/L\nrule: {measurement: {concept: anc, op: ">=", value: 1.5, unit: "10*9/L", window: {days: 7}}}\n'


@pytest.fixture
def trial_engine(rules_root, monkeypatch):
    """Make the CLI's Engine see one small trial and no installed plugins."""
    rules = write_trial(rules_root, {"inclusion/inc01_anc": RULE})
    real = cli.Engine

    def engine(**kwargs):
        return real(plugins=[TrialPlugin(rules)], load_entrypoints=False)

    monkeypatch.setattr(cli, "Engine", engine)
    return rules


def write_patient(path: Path, pid: str, anc: float) -> Path:
    path.write_text(json.dumps({"id": pid, "birth_date": "1970-01-01", "sex": "male",
                                "observations": [obs("o1", "751-8", anc, "2026-01-10", unit="10*9/L")]}))
    return path


def run(capsys, *argv):
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


class TestScreen:
    def test_json_results_validate(self, trial_engine, tmp_path, capsys):
        """Default json output is an array of result objects valid against the results schema."""
        p = write_patient(tmp_path / "a.json", "a", 2.0)

        code, out, _ = run(capsys, "screen", "--as-of", "2026-01-15", str(p))

        data = json.loads(out)
        jsonschema.validate(data, load_schema("screening-result.schema.json"))
        assert (0, "eligible", "ANC ≥ 1.5 × 10^9/L") == (code, data[0]["verdict"], data[0]["criteria"][0]["text"])

    def test_bad_input_is_reported_and_batch_goes_on(self, trial_engine, tmp_path, capsys):
        """Exit 1: the bad file is on stderr and in the output; the good one is still screened."""
        good = write_patient(tmp_path / "good.json", "g", 1.0)
        bad = tmp_path / "bad.json"
        bad.write_text('{"resourceType": "Bundle", "entry": [')

        code, out, err = run(capsys, "screen", "--as-of", "2026-01-15", str(bad), str(good))

        data = json.loads(out)
        assert 1 == code
        assert {"input", "error"} == set(data[0]) and "bad.json" in data[0]["error"]
        assert "ineligible" == data[1]["verdict"]
        assert "bad.json" in err

    def test_ndjson_and_text(self, trial_engine, tmp_path, capsys):
        p = write_patient(tmp_path / "a.json", "a", 1.2)

        code, out, _ = run(capsys, "screen", "--format", "ndjson", "--as-of", "2026-01-15", str(p))
        assert 1 == len(out.strip().splitlines()) and "ineligible" == json.loads(out)["verdict"]

        code, out, _ = run(capsys, "screen", "--format", "text", "--as-of", "2026-01-15", str(p))
        assert "INELIGIBLE" in out and "1.2 10*9/L" in out

    def test_unknown_trial_is_exit_2(self, trial_engine, tmp_path, capsys):
        p = write_patient(tmp_path / "a.json", "a", 2.0)

        code, _, err = run(capsys, "screen", "--trial", "mnii", str(p))

        assert 2 == code and "unknown trial 'mnii'" in err and "mini" in err

    def test_trial_ids_case_insensitive(self, trial_engine, tmp_path, capsys):
        p = write_patient(tmp_path / "a.json", "a", 2.0)

        code, out, _ = run(capsys, "screen", "--trial", "MINI", "--as-of", "2026-01-15", str(p))

        assert (0, "mini") == (code, json.loads(out)[0]["trial"])

    def test_unknown_option_is_exit_2(self, capsys):
        code, _, err = run(capsys, "screen", "--bogus", "x")

        assert 2 == code and "--bogus" in err

    def test_not_a_patient(self, trial_engine, tmp_path, capsys):
        p = tmp_path / "x.json"
        p.write_text('{"resourceType": "Observation"}')

        code, out, err = run(capsys, "screen", str(p))

        assert 1 == code and "not a FHIR Bundle" in err


class TestOtherCommands:
    def test_show_lists_texts(self, trial_engine, capsys):
        code, out, _ = run(capsys, "show", "mini")

        assert 0 == code and "inc01_anc" in out and "ANC ≥ 1.5" in out

    def test_list(self, trial_engine, capsys):
        code, out, _ = run(capsys, "list")

        assert 0 == code and "mini" in out and "1.0.0" in out

    def test_validate_exit_codes(self, trial_engine, rules_root, capsys):
        code, _, _ = run(capsys, "validate", str(trial_engine))
        assert 0 == code

        (trial_engine / "criteria" / "inclusion" / "inc01_anc.yaml").write_text(RULE.replace("op:", "opp:"))
        code, out, _ = run(capsys, "validate", str(trial_engine))
        assert 1 == code and "unknown key 'opp'" in out
