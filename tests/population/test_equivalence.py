"""Every engine writes the same result objects, field by field and in the same order
(CONTRACT.md section 8), on the examples and on a seeded, hostile synthetic population.

Engines run in this one process: the comparison is of engines, not of two Python
processes (set iteration order differs between processes, and the per-patient
engine's choice between two same-day results still depends on it; see the README).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.population.conftest import AS_OF, spark_available
from trialrules import cli

pytest.importorskip("duckdb")


def screen(capsys: pytest.CaptureFixture[str], export: Path, engine: str, fmt: str) -> tuple[int, str, str]:
    code = cli.main(["screen", "--engine", engine, "--format", fmt, "--as-of", AS_OF, str(export)])
    out, err = capsys.readouterr()
    return code, out, err


def assert_same(expected: str, actual: str, fmt: str) -> None:
    """Line by line, and for ndjson field by field, so a failure shows what differs."""
    want, got = expected.splitlines(), actual.splitlines()
    assert len(got) == len(want)
    for a, b in zip(want, got, strict=True):
        if a != b and fmt == "ndjson":
            assert json.loads(b) == json.loads(a)
        assert b == a


@pytest.mark.parametrize("fmt", ["ndjson", "csv"])
def test_duckdb_matches_python_on_examples(capsys, examples_export, fmt):
    code, expected, _ = screen(capsys, examples_export, "python", fmt)
    got_code, got, _ = screen(capsys, examples_export, "duckdb", fmt)
    assert_same(expected, got, fmt)
    assert code == got_code
    assert expected.count("\n") >= 19 * 5  # every example patient, all five trials


def test_duckdb_matches_python_on_synthetic_population(capsys, synthetic_export):
    code, expected, _ = screen(capsys, synthetic_export, "python", "ndjson")
    got_code, got, err = screen(capsys, synthetic_export, "duckdb", "ndjson")
    assert_same(expected, got, "ndjson")
    assert code == got_code
    results = [json.loads(line) for line in expected.splitlines()]
    # excluded and undecidable patients both occur (the examples hold the eligible ones), and every
    # criterion result occurs, so the comparison is not of one repeated answer
    assert {"ineligible", "needs_review"} <= {r["verdict"] for r in results}
    assert {"met", "not_met", "unknown"} <= {c["result"] for r in results for c in r["criteria"]}
    assert {r["trial"] for r in results} == {"cel001", "cnk-ut", "cea-car-t", "jk500", "nk-gd2"}
    assert "engine duckdb" in err


def test_compiled_csv_matches_python_on_synthetic_population(capsys, synthetic_export):
    """The verdict summary through the compiled rules (SQL, and the per-patient engine only for
    what SQL leaves open) is the per-patient engine's, row by row, for all five trials, and a
    bad line is reported the same way."""
    code, expected, _ = screen(capsys, synthetic_export, "python", "csv")
    got_code, got, err = screen(capsys, synthetic_export, "duckdb", "csv")
    assert_same(expected, got, "csv")
    assert code == got_code
    assert "rules run as SQL" in err and err.count("engine duckdb") == 1
    assert len(got.splitlines()) == 1 + 5 * 2000


def test_csv_matches_ndjson_verdicts(capsys, small_export):
    """The csv rows are the ndjson results' verdicts and criteria, for both engines."""
    _, ndjson, _ = screen(capsys, small_export, "python", "ndjson")
    code, csv_text, _ = screen(capsys, small_export, "duckdb", "csv")
    lines = csv_text.splitlines()
    assert lines[0] == "patient,trial,as_of,verdict,blocking,unknown"
    results = [json.loads(line) for line in ndjson.splitlines()]
    assert len(lines) - 1 == len(results)
    for row, r in zip(lines[1:], results, strict=True):
        patient, trial, as_of, verdict, blocking, unknown = row.split(",")
        assert (patient, trial, as_of, verdict) == (r["patient"], r["trial"], r["as_of"], r["verdict"])
        assert unknown.split() == [c["id"] for c in r["criteria"] if c["result"] == "unknown"]
        assert blocking.split() == [c["id"] for c in r["criteria"] if (c["kind"], c["result"]) in
                                    (("inclusion", "not_met"), ("exclusion", "met"))]
    _, python_csv, _ = screen(capsys, small_export, "python", "csv")
    assert_same(python_csv, csv_text, "csv")


def screen_in_subprocess(export: Path, engine: str, fmt: str) -> tuple[int, str, str]:
    """Spark (the JVM, PySpark's import-time patches, worker processes) stays out of the test
    process; both engines run with one hash seed, so a same-day tie is broken alike."""
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    argv = [sys.executable, "-m", "trialrules.cli", "screen", "--engine", engine, "--format", fmt, "--as-of", AS_OF, str(export)]
    done = subprocess.run(argv, capture_output=True, text=True, env=env, check=False)
    return done.returncode, done.stdout, done.stderr


@pytest.mark.skipif(bool(spark_available()), reason=spark_available() or "spark available")
@pytest.mark.parametrize("fmt", ["ndjson", "csv"])
def test_spark_matches_python(small_export, examples_export, fmt):
    for export in (examples_export, small_export):
        code, expected, _ = screen_in_subprocess(export, "python", fmt)
        got_code, got, err = screen_in_subprocess(export, "spark", fmt)
        assert_same(expected, got, fmt)
        assert code == got_code and "engine spark" in err


def test_bad_lines_are_reported_in_place(capsys, examples_export, tmp_path):
    """Unreadable lines, orphans and duplicates: the same error objects at the same places, exit 1."""
    import shutil

    export = tmp_path / "export"
    shutil.copytree(examples_export, export)
    with (export / "Observation.ndjson").open("a", encoding="utf-8") as fh:
        fh.write('{"resourceType": "Observation", "id": "orphan", "subject": {"reference": "Patient/nobody"}}\n')
        fh.write("{not json\n")
    with (export / "Patient.ndjson").open("a", encoding="utf-8") as fh:
        fh.write('{"resourceType": "Patient"}\n')
    code, expected, _ = screen(capsys, export, "python", "ndjson")
    got_code, got, err = screen(capsys, export, "duckdb", "ndjson")
    assert_same(expected, got, "ndjson")
    assert (1, 1) == (code, got_code)
    assert 3 == sum(line.startswith('{"input"') for line in got.splitlines())
    assert "Patient/nobody" in err


def test_engine_needs_a_bulk_directory(capsys, tmp_path):
    bundle = tmp_path / "one.json"
    bundle.write_text('{"resourceType": "Bundle", "type": "collection", "entry": []}')
    code = cli.main(["screen", "--engine", "duckdb", str(bundle)])
    _, err = capsys.readouterr()
    assert 2 == code and "Bulk export directory" in err
