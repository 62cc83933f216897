"""Screening in worker processes: the same output, in the same order, as one process."""

from __future__ import annotations

import datetime as dt
import importlib.util
from pathlib import Path

import pytest

from trialrules import Engine, cli
from trialrules.engine import parallel as _parallel

REPO = Path(__file__).resolve().parent.parent
AS_OF = "2026-01-15"


def _generator():
    spec = importlib.util.spec_from_file_location("generate_population", REPO / "examples" / "generate_population.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def export(tmp_path_factory) -> Path:
    """A hostile synthetic Bulk export with more patients than one chunk per worker."""
    out = tmp_path_factory.mktemp("bulk")
    _generator().write_population(3 * _parallel.CHUNK + 5, out, seed=11)
    return out


@pytest.mark.parametrize("fmt", ["ndjson", "json", "text", "csv"])
def test_cli_output_identical_for_any_jobs(export, fmt, capsys):
    outputs = []
    for jobs in ("1", "2", "3"):
        code = cli.main(["screen", "--quiet", "--as-of", AS_OF, "--format", fmt, "--jobs", jobs, str(export)])
        out, err = capsys.readouterr()
        outputs.append((code, out, err))
    assert outputs[0][1].strip()
    assert outputs[1] == outputs[0]
    assert outputs[2] == outputs[0]


def test_engine_screen_jobs_same_results_and_order(export):
    engine = Engine()
    records = list(cli.read_patients(str(export), on_error=lambda f: None))
    assert len(records) > 2 * _parallel.CHUNK
    one = [r.to_dict() for r in engine.screen(records, as_of=dt.date(2026, 1, 15))]
    two = list(engine.screen(records, as_of=dt.date(2026, 1, 15), jobs=2))
    assert [r.to_dict() for r in two] == one
    assert all(r.definition is engine.compiled(r.trial) for r in two)  # views still read the rules


def test_a_failing_patient_comes_back_in_its_place(export, monkeypatch):
    engine = Engine()
    records = list(cli.read_patients(str(export), on_error=lambda f: None))
    bad = records[40].id
    real = _parallel.PatientIndex

    def index(record):
        if record.id == bad:
            raise ValueError("broken on purpose")
        return real(record)

    monkeypatch.setattr(_parallel, "PatientIndex", index)  # inherited by the forked workers
    got = list(engine.screen_records(records, ["cel001"], dt.date(2026, 1, 15), jobs=2))
    assert [r.id for r, _ in got] == [r.id for r in records]
    assert isinstance(got[40][1], ValueError)
    assert all(isinstance(o, list) for i, (_, o) in enumerate(got) if i != 40)
    with pytest.raises(ValueError, match="on purpose"):
        list(engine.screen(records, ["cel001"], dt.date(2026, 1, 15), jobs=2))


def test_jobs_must_be_positive(capsys):
    assert cli.main(["screen", "--jobs", "0", "x.json"]) == 2
    assert "worker processes" in capsys.readouterr().err
