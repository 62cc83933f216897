"""Which files of a Bulk directory are read: compressed, split, any case, the manifest,
and every other file named (issue 14)."""

from __future__ import annotations

import bz2
import gzip
import json
from pathlib import Path

from tests.fhir.conftest import OBS_CODE, write_bulk
from trialrules.inputs.fhir import BulkAdapter
from trialrules.language.models import InputFailure, PatientRecord


def patient(pid: str) -> dict[str, object]:
    return {"resourceType": "Patient", "id": pid, "birthDate": "1980-01-01", "gender": "male"}


def obs(oid: str, pid: str) -> dict[str, object]:
    return {"resourceType": "Observation", "id": oid, "status": "final", "code": OBS_CODE,
            "valueInteger": 1, "effectiveDateTime": "2026-01-10", "subject": {"reference": f"Patient/{pid}"}}


def condition(cid: str, pid: str) -> dict[str, object]:
    return {"resourceType": "Condition", "id": cid, "subject": {"reference": f"Patient/{pid}"},
            "code": {"coding": [{"system": "http://snomed.info/sct", "code": "41040004"}]},
            "clinicalStatus": {"coding": [{"code": "active"}]}}


def ndjson(resources: list[dict[str, object]]) -> bytes:
    return "".join(json.dumps(r) + "\n" for r in resources).encode()


def split(out: list[PatientRecord | InputFailure]) -> tuple[list[PatientRecord], list[str]]:
    return ([r for r in out if isinstance(r, PatientRecord)], [r.error for r in out if isinstance(r, InputFailure)])


def test_gzip_and_bzip2_give_the_same_records_as_plain(tmp_path: Path, bulk_adapter: BulkAdapter) -> None:
    patients = ndjson([patient("p1"), patient("p2")])
    observations = ndjson([obs("o1", "p1"), obs("o2", "p2"), obs("o3", "p1")])
    conditions = ndjson([condition("c1", "p2")])
    plain, packed = tmp_path / "plain", tmp_path / "packed"
    plain.mkdir()
    packed.mkdir()
    (plain / "Patient.ndjson").write_bytes(patients)
    (plain / "Observation.ndjson").write_bytes(observations)
    (plain / "Condition.ndjson").write_bytes(conditions)
    (packed / "Patient.ndjson.gz").write_bytes(gzip.compress(patients))
    (packed / "Observation.ndjson.bz2").write_bytes(bz2.compress(observations))
    (packed / "Condition.NDJSON.GZ").write_bytes(gzip.compress(conditions))

    expected = list(bulk_adapter.read(plain))
    got = list(bulk_adapter.read(packed))

    def strip(r: PatientRecord | InputFailure) -> object:
        assert isinstance(r, PatientRecord)
        return (r.id, [(o.id, o.value) for o in r.observations], [c.id for c in r.conditions])

    assert [strip(r) for r in got] == [strip(r) for r in expected]
    assert [len(r.conditions) for r in got if isinstance(r, PatientRecord)] == [0, 1]
    assert bulk_adapter.count(packed) is None  # not decompressed twice for a progress bar


def test_damaged_gzip_keeps_earlier_lines_and_names_the_file(tmp_path: Path, bulk_adapter: BulkAdapter) -> None:
    write_bulk(tmp_path, {"Patient.ndjson": [patient("p1"), patient("p2")]})
    whole = gzip.compress(ndjson([obs(f"o{i}", "p1") for i in range(200)]))
    (tmp_path / "Observation.ndjson.gz").write_bytes(whole[: len(whole) // 2])

    records, errors = split(list(bulk_adapter.read(tmp_path)))

    assert [r.id for r in records] == ["p1", "p2"]
    (error,) = errors
    assert error.startswith(f"{tmp_path / 'Observation.ndjson.gz'}: gzip file cannot be read after line ")
    assert "the rest of this file is not read" in error


def test_upper_case_extension_and_split_files(tmp_path: Path, bulk_adapter: BulkAdapter) -> None:
    write_bulk(tmp_path, {"Patient.NDJSON": [patient("p1")], "Observation.1.ndjson": [obs("o1", "p1")],
                          "Observation.2.Ndjson": [obs("o2", "p1")]})
    (record,) = bulk_adapter.read(tmp_path)
    assert isinstance(record, PatientRecord) and [o.id for o in record.observations] == ["o1", "o2"]


def test_manifest_names_files_without_the_usual_extension(tmp_path: Path, bulk_adapter: BulkAdapter) -> None:
    (tmp_path / "manifest.json").write_text(json.dumps({
        "transactionTime": "2026-01-15T00:00:00Z", "request": "https://ehr.example/fhir/$export",
        "requiresAccessToken": True,
        "output": [{"type": "Patient", "url": "https://ehr.example/files/f1"},
                   {"type": "Observation", "url": "https://ehr.example/files/f2?token=x"},
                   {"type": "Condition", "url": "https://ehr.example/files/f3"}],
        "error": []}))
    (tmp_path / "f1").write_bytes(ndjson([patient("p1")]))
    (tmp_path / "f2").write_bytes(gzip.compress(ndjson([obs("o1", "p1")])))

    records, errors = split(list(bulk_adapter.read(tmp_path)))

    assert [len(r.observations) for r in records] == [1]
    assert errors == [f"{tmp_path / 'manifest.json'}: lists 'f3', which is not in the directory; "
                      "that part of the export is missing"]


def test_every_other_file_is_named(tmp_path: Path, bulk_adapter: BulkAdapter) -> None:
    write_bulk(tmp_path, {"Patient.ndjson": [patient("p1")]})
    (tmp_path / "Condition.json").write_text(json.dumps(condition("c1", "p1")))
    (tmp_path / "notes.txt").write_text("x")
    (tmp_path / "sub").mkdir()

    records, errors = split(list(bulk_adapter.read(tmp_path)))

    assert len(records) == 1
    assert [e.split(": ", 1)[0] for e in errors] == [str(tmp_path / n) for n in ("Condition.json", "notes.txt", "sub")]
    assert all(": not read: " in e for e in errors)


def test_a_bom_on_the_first_line_is_accepted(tmp_path: Path, bulk_adapter: BulkAdapter) -> None:
    (tmp_path / "Patient.ndjson").write_bytes(b"\xef\xbb\xbf" + ndjson([patient("p1")]))
    (record,) = bulk_adapter.read(tmp_path)
    assert isinstance(record, PatientRecord)


def test_an_overlong_line_is_an_error_in_bounded_memory(tmp_path: Path, bulk_adapter: BulkAdapter,
                                                          monkeypatch: object) -> None:
    import trialrules.inputs.fhir.bulk as bulk

    monkeypatch.setattr(bulk, "MAX_LINE_BYTES", 256)  # type: ignore[attr-defined]
    long_obs = obs("o" * 400, "p1")
    write_bulk(tmp_path, {"Patient.ndjson": [patient("p1")], "Observation.ndjson": [long_obs, obs("o2", "p1")]})

    records, errors = split(list(bulk_adapter.read(tmp_path)))

    assert [o.id for o in records[0].observations] == ["o2"]
    assert errors == [f"{tmp_path / 'Observation.ndjson'}:1: line is longer than 256 bytes; not read"]
