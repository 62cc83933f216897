"""``--format csv`` (CONTRACT.md section 2): one row per patient and trial, every engine."""

from __future__ import annotations

import csv
import io
import json

from test_cli import run, trial_engine, write_patient  # noqa: F401 - trial_engine is a fixture


def rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


def test_header_then_one_row_per_patient_and_trial(trial_engine, tmp_path, capsys):  # noqa: F811
    ok = write_patient(tmp_path / "ok.json", "ok", 2.0)
    low = write_patient(tmp_path / "low.json", "low", 1.0)

    code, out, _ = run(capsys, "screen", "--format", "csv", "--as-of", "2026-01-15", str(ok), str(low))

    assert 0 == code
    assert [["patient", "trial", "as_of", "verdict", "blocking", "unknown"],
            ["ok", "mini", "2026-01-15", "eligible", "", ""],
            ["low", "mini", "2026-01-15", "ineligible", "inc01_anc", ""]] == rows(out)


def test_unknown_criteria_are_the_to_do_list(trial_engine, tmp_path, capsys):  # noqa: F811
    p = tmp_path / "nolab.json"
    p.write_text(json.dumps({"id": "n", "birth_date": "1970-01-01", "sex": "male"}))

    _, out, _ = run(capsys, "screen", "--format", "csv", "--as-of", "2026-01-15", str(p))

    assert ["n", "mini", "2026-01-15", "needs_review", "", "inc01_anc"] == rows(out)[1]


def test_unreadable_input_has_no_row_but_exit_1(trial_engine, tmp_path, capsys):  # noqa: F811
    bad = tmp_path / "bad.json"
    bad.write_text("{")

    code, out, err = run(capsys, "screen", "--format", "csv", str(bad))

    assert (1, [["patient", "trial", "as_of", "verdict", "blocking", "unknown"]]) == (code, rows(out))
    assert "bad.json" in err
