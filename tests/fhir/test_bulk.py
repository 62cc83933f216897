"""The Bulk Data adapter: grouping by patient, stable order, and nothing dropped silently."""

from __future__ import annotations

import json
import random
from pathlib import Path
from types import GeneratorType, ModuleType

from tests.fhir.conftest import OBS_CODE, write_bulk
from trialrules.inputs.fhir import BulkAdapter
from trialrules.language.models import InputFailure, PatientRecord


def patient(pid: str) -> dict[str, object]:
    return {"resourceType": "Patient", "id": pid, "birthDate": "1980-01-01", "gender": "male"}


def obs(oid: str, pid: str | None, **extra: object) -> dict[str, object]:
    res: dict[str, object] = {"resourceType": "Observation", "id": oid, "status": "final",
                              "code": OBS_CODE, "valueInteger": 1, "effectiveDateTime": "2026-01-10"}
    if pid is not None:
        res["subject"] = {"reference": f"Patient/{pid}"}
    res.update(extra)
    return res


def test_round_trip_n_patients(tmp_path: Path, generator: ModuleType, bulk_adapter: BulkAdapter) -> None:
    n = 25
    generator.write_synthetic_bulk(n, tmp_path, seed=7)
    assert bulk_adapter.sniff(tmp_path, None)
    assert bulk_adapter.count(tmp_path) == n
    out = list(bulk_adapter.read(tmp_path))
    assert len(out) == n and all(isinstance(r, PatientRecord) for r in out)
    ids = [r.id for r in out if isinstance(r, PatientRecord)]
    assert ids == sorted(ids)
    # same records as the generator's own native data (refuted conditions skipped)
    rng = random.Random(7)
    natives = {rec["id"]: rec for rec in (generator.synthetic_record(rng) for _ in range(n))}
    for r in out:
        assert isinstance(r, PatientRecord)
        native = natives[r.id]
        assert len(r.observations) == 50
        assert len(r.medications) == 10
        assert len(r.conditions) == sum(c["verification_status"] != "refuted" for c in native["conditions"])
        assert r.attestations == native["attestations"]
        assert r.warnings == ()
        assert all(m.codes or m.ingredients for m in r.medications)  # bundled Medications resolved from Medication.ndjson
    # stable: a second read gives the same thing
    assert list(bulk_adapter.read(tmp_path)) == out


def test_output_is_sorted_whatever_the_file_order(tmp_path: Path, bulk_adapter: BulkAdapter) -> None:
    ids = ["b", "a", "é", "Z", "10", "9"]
    write_bulk(tmp_path, {
        "Patient.ndjson": [patient(p) for p in ids],
        "Observation.ndjson": [obs(f"o-{p}", p) for p in reversed(ids)],
    })
    out = list(bulk_adapter.read(tmp_path))
    assert [r.id for r in out if isinstance(r, PatientRecord)] == sorted(ids)
    assert all(isinstance(r, PatientRecord) and len(r.observations) == 1 for r in out)


def test_split_files_and_resource_type_from_lines(tmp_path: Path, bulk_adapter: BulkAdapter) -> None:
    write_bulk(tmp_path, {
        "Patient.ndjson": [patient("p1")],
        "Observation.1.ndjson": [obs("o1", "p1")],
        "Observation.2.ndjson": [obs("o2", "p1")],
        "Encounter.ndjson": [{"resourceType": "Encounter", "id": "e", "subject": {"reference": "Patient/p1"}}],
        "manifest.json": [{"output": []}],
    })
    (record,) = bulk_adapter.read(tmp_path)
    assert isinstance(record, PatientRecord)
    assert [o.id for o in record.observations] == ["o1", "o2"]


def test_nothing_is_dropped_silently(tmp_path: Path, bulk_adapter: BulkAdapter) -> None:
    write_bulk(tmp_path, {
        "Patient.ndjson": [patient("p1"), "{not json", patient("p2"), "", patient("p1"),
                           {"resourceType": "Patient"}, "[1, 2]"],
        "Observation.ndjson": [
            obs("o1", "p1"),
            obs("orphan", "p9"),
            obs("nosubject", None),
            obs("group", None, subject={"reference": "Group/g1"}),
            '{"resourceType": "Observation", "id": "cut", "subj',
            obs("o2", "p2", valueQuantity={"value": 3.0, "unit": "mg"}),
        ],
    })
    out = list(bulk_adapter.read(tmp_path))
    records = [r for r in out if isinstance(r, PatientRecord)]
    errors = [r.error for r in out if isinstance(r, InputFailure)]
    assert [r.id for r in records] == ["p1", "p2"]
    pfile, ofile = tmp_path / "Patient.ndjson", tmp_path / "Observation.ndjson"
    assert f"{pfile}:2: line is not valid JSON: Expecting property name enclosed in double quotes " \
           "at line 1 column 2" in errors
    assert f"{pfile}:5:Patient/p1: duplicate Patient id (first at {pfile}:1); this line is not read" in errors
    assert f"{pfile}:6:Patient: Patient has no usable id (at $.id)" in errors
    assert f"{pfile}:7: line is not a FHIR resource (a JSON object with resourceType)" in errors
    assert f"{ofile}:2:Observation/orphan: subject Patient/p9 has no Patient resource in this export; " \
           "the resource is not read" in errors
    assert f"{ofile}:3:Observation/nosubject: has no Patient reference in subject; it cannot be " \
           "attributed to a patient (at $.subject)" in errors
    assert any(e.startswith(f"{ofile}:4:Observation/group: has 'Group/g1', not a Patient reference") for e in errors)
    assert any(e.startswith(f"{ofile}:5: line is truncated") for e in errors)
    assert len(out) == 2 + 8
    p2 = records[1]
    assert p2.warnings == (f"{ofile}:6:Observation/o2: Quantity has no UCUM unit code (unit text 'mg' is not "
                           "a code); the value has no usable unit (at $.valueQuantity.code)",)
    assert p2.source == str(pfile)
    assert bulk_adapter.count(tmp_path) == 6  # Patient lines, for the progress bar


def test_no_patient_file_makes_every_resource_an_orphan(tmp_path: Path, bulk_adapter: BulkAdapter) -> None:
    write_bulk(tmp_path, {"Observation.ndjson": [obs("o1", "p1"), obs("o2", "p1")]})
    out = list(bulk_adapter.read(tmp_path))
    assert len(out) == 2 and all(isinstance(r, InputFailure) for r in out)
    assert bulk_adapter.count(tmp_path) == 0


def test_directory_without_ndjson(tmp_path: Path, bulk_adapter: BulkAdapter) -> None:
    assert not bulk_adapter.sniff(tmp_path, None)
    (out,) = bulk_adapter.read(tmp_path)
    assert isinstance(out, InputFailure) and "holds no .ndjson files" in out.error
    (out,) = bulk_adapter.read(tmp_path / "missing")
    assert isinstance(out, InputFailure) and "cannot be read" in out.error


def test_medication_lookup_and_ordering_within_a_patient(tmp_path: Path, bulk_adapter: BulkAdapter) -> None:
    rx = "http://www.nlm.nih.gov/research/umls/rxnorm"
    write_bulk(tmp_path, {
        "Patient.ndjson": [patient("p1")],
        "Medication.ndjson": [{"resourceType": "Medication", "id": "carbo",
                               "code": {"coding": [{"system": rx, "code": "40048"}]}}],
        "MedicationRequest.ndjson": [
            {"resourceType": "MedicationRequest", "id": f"r{i}", "status": "active", "intent": "order",
             "subject": {"reference": "Patient/p1"}, "authoredOn": "2025-12-01",
             "medicationReference": {"reference": "Medication/carbo"}} for i in range(3)],
    })
    (record,) = bulk_adapter.read(tmp_path)
    assert isinstance(record, PatientRecord)
    assert [m.id for m in record.medications] == ["r0", "r1", "r2"]
    assert all((m.codes + m.ingredients)[0].code == "40048" for m in record.medications)


def test_abandoned_read_cleans_up(tmp_path: Path, bulk_adapter: BulkAdapter) -> None:
    write_bulk(tmp_path / "x", {"Patient.ndjson": [patient("a"), patient("b")]})
    it = bulk_adapter.read(tmp_path / "x")
    assert isinstance(it, GeneratorType)
    next(it)
    it.close()  # the temporary database goes with the generator
    assert json.loads((tmp_path / "x" / "Patient.ndjson").read_text().splitlines()[0])["id"] == "a"
