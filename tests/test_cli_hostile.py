"""Hostile input through the command (issue 14): no traceback, no silent drop, a batch
never aborts, output stays strict JSON, a signal leaves nothing behind."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from _support import TrialPlugin, write_trial

from trialrules import cli
from trialrules.inputs.fhir import BundleAdapter

RULE = ('id: inc01_anc\ntext: ANC ≥ 1.5 × 10^9/L\n'
        'rule: {measurement: {concept: anc, op: ">=", value: 1.5, unit: "10*9/L", window: {days: 7}}}\n')
LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"


@pytest.fixture
def trial_engine(rules_root: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    rules = write_trial(rules_root, {"inclusion/inc01_anc": RULE})
    real = cli.Engine
    monkeypatch.setattr(cli, "Engine", lambda **kw: real(plugins=[TrialPlugin(rules)], load_entrypoints=False))
    return rules


def strict(text: str) -> Any:
    """Parse as strict JSON: NaN/Infinity are not JSON."""
    def refuse(name: str) -> None:
        raise ValueError(f"non-standard JSON constant {name}")
    return json.loads(text, parse_constant=refuse)


def bundle(pid: str = "p1", value: Any = 2.0, **observation: Any) -> dict[str, Any]:
    obs = {"resourceType": "Observation", "id": "o1", "status": "final",
           "subject": {"reference": f"Patient/{pid}"}, "effectiveDateTime": "2026-01-10",
           "code": {"coding": [{"system": LOINC, "code": "751-8"}]},
           "valueQuantity": {"value": value, "system": UCUM, "code": "10*9/L"}, **observation}
    return {"resourceType": "Bundle", "type": "collection", "entry": [
        {"resource": {"resourceType": "Patient", "id": pid, "birthDate": "1970-01-01", "gender": "male"}},
        {"resource": obs}]}


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_hostile_batch_goes_on_and_stays_strict_json(trial_engine: Path, tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    files = {
        "good.json": json.dumps(bundle()),
        "surrogate.json": json.dumps(bundle(pid="p\ud800")),  # a lone surrogate, escaped in the file
        "bigint.json": json.dumps(bundle()).replace('"value": 2.0', '"value": ' + "9" * 401),
        "hugeint.json": json.dumps(bundle()).replace('"value": 2.0', '"value": ' + "9" * 5000),
        "deep.json": "[" * 100_000 + "]" * 100_000,
        "truncated.json": json.dumps(bundle())[:50],
        "notutf8.json": '{"resourceType": "Bundle", "id": "caf\xe9"}',
    }
    paths = []
    for name, text in files.items():
        paths.append(tmp_path / name)
        paths[-1].write_bytes(text.encode("latin-1") if name == "notutf8.json" else text.encode())
    bom = tmp_path / "bom.json"
    bom.write_bytes(b"\xef\xbb\xbf" + json.dumps(bundle(pid="bom")).encode())

    code, out, err = run(capsys, "screen", "--as-of", "2026-01-15", *map(str, paths), str(bom))

    items = strict(out)
    assert code == 1 and len(items) == len(paths) + 1  # one item per input: nothing dropped
    results = {i["patient"]: i for i in items if "patient" in i}
    errors = {Path(i["input"]).name: i["error"] for i in items if "error" in i}
    assert set(results) == {"p1", "p\ufffd", "bom"}  # the surrogate is written as U+FFFD
    assert results["bom"]["verdict"] == "eligible"
    assert set(errors) == {"deep.json", "truncated.json", "notutf8.json"}
    assert "nested too deeply" in errors["deep.json"]
    assert "Traceback" not in err
    # 401 and 5000 digits: an infinite value the rule cannot judge, never an overflow
    big = [i for i in items if i.get("patient") == "p1"]
    assert len(big) == 3 and {b["verdict"] for b in big[1:]} == {"needs_review"}


def test_an_internal_error_is_one_line_and_the_batch_goes_on(trial_engine: Path, tmp_path: Path,
                                                              capsys: pytest.CaptureFixture[str],
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    real_read = BundleAdapter.read

    def read(self: BundleAdapter, path: Path, document: Any = None) -> Any:
        if path.name == "boom.json":
            raise RuntimeError("a bug")
        return real_read(self, path, document)

    monkeypatch.setattr(BundleAdapter, "read", read)
    boom, good = tmp_path / "boom.json", tmp_path / "good.json"
    boom.write_text(json.dumps(bundle()))
    good.write_text(json.dumps(bundle(pid="g")))

    code, out, err = run(capsys, "screen", "--as-of", "2026-01-15", str(boom), str(good))

    first, second = strict(out)
    assert code == 1 and second["patient"] == "g"
    assert first["input"] == str(boom)
    assert first["error"].startswith(f"{boom}: internal error (RuntimeError: a bug)")
    assert "please report it" in first["error"] and "Traceback" not in err


def test_an_evaluation_error_names_the_patient(trial_engine: Path, tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str],
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    from trialrules.engine.evaluator import CompiledTrial

    real = CompiledTrial.evaluate

    def evaluate(self: CompiledTrial, record: Any, *args: Any) -> Any:
        if record.id == "bad":
            raise OverflowError("date value out of range")
        return real(self, record, *args)

    monkeypatch.setattr(CompiledTrial, "evaluate", evaluate)
    path = tmp_path / "two.json"
    path.write_text(json.dumps([{"id": "bad", "birth_date": "1970-01-01", "sex": "male"},
                                {"id": "ok", "birth_date": "1970-01-01", "sex": "male"}]))

    code, out, _ = run(capsys, "screen", "--as-of", "2026-01-15", "--format", "ndjson", str(path))

    lines = [strict(x) for x in out.splitlines()]
    assert code == 1 and lines[1]["patient"] == "ok"
    assert lines[0]["error"].startswith(f"{path}:Patient/bad: internal error (OverflowError")


def test_as_of_outside_the_calendar_is_a_usage_error(trial_engine: Path, tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "b.json"
    path.write_text(json.dumps(bundle()))
    code, out, err = run(capsys, "screen", "--as-of", "0001-01-01", str(path))
    assert code == 2 and out == "" and len(err.strip().splitlines()) == 1
    assert "outside the dates trialrules screens on" in err


def test_a_huge_value_is_clipped_in_warnings(trial_engine: Path, tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "b.json"
    path.write_text(json.dumps(bundle(subject={"reference": "Patient/" + "x" * 2_000_000})))
    code, out, err = run(capsys, "screen", "--as-of", "2026-01-15", str(path))
    assert code == 0 and strict(out)
    assert 0 < len(err) < 5_000


@pytest.fixture(scope="module")
def export(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A Bulk export large enough to be interrupted while it is screened."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "examples"))
    try:
        from generate_fhir import write_synthetic_bulk
    finally:
        sys.path.pop(0)
    out = tmp_path_factory.mktemp("export") / "bulk"
    write_synthetic_bulk(300, out, seed=3)
    return out


@pytest.mark.parametrize(("sig", "fmt"), [(signal.SIGTERM, "json"), (signal.SIGINT, "ndjson"),
                                          (signal.SIGHUP, "json")])
def test_a_signal_ends_the_run_well_formed_and_leaves_nothing(tmp_path: Path, export: Path, sig: int,
                                                                fmt: str) -> None:
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    env = {**os.environ, "TMPDIR": str(tmp)}
    out_path = tmp_path / "out"
    with out_path.open("wb") as out_file:
        proc = subprocess.Popen(
            [sys.executable, "-m", "trialrules.cli", "screen", "--as-of", "2026-01-15", "--trial", "cel001",
             "--format", fmt, str(export)],
            stdout=out_file, stderr=subprocess.PIPE, env=env)
        deadline = time.monotonic() + 60
        # Wait until the run has begun its grouping and written a first result.
        while not (list(tmp.iterdir()) and out_path.stat().st_size > 100) and time.monotonic() < deadline:
            time.sleep(0.01)
        proc.send_signal(sig)
        _, err = proc.communicate(timeout=60)
    out = out_path.read_text()

    assert proc.returncode == 128 + sig, err
    assert b"Traceback" not in err and b"interrupted" in err
    assert list(tmp.iterdir()) == []
    if fmt == "json":
        assert isinstance(strict(out), list)
    else:
        assert all(strict(line) for line in out.splitlines())
