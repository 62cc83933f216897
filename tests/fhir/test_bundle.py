"""The Bundle adapter: Bundle types, references, sniffing, and every kind of bad input."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.fhir.conftest import OBS_CODE, PATIENT, fail, make_bundle, read
from trialrules.inputs.fhir import BundleAdapter
from trialrules.language.models import InputFailure, PatientRecord

OBS = {"resourceType": "Observation", "id": "o1", "status": "final", "code": OBS_CODE,
       "valueInteger": 1, "effectiveDateTime": "2026-01-10"}


@pytest.mark.parametrize("btype", ["collection", "searchset", "transaction", "batch", "document"])
def test_bundle_types(btype: str) -> None:
    res = {**OBS, "subject": {"reference": "Patient/p1"}}
    doc = make_bundle(res, btype=btype)
    if btype == "document":
        doc["entry"].insert(0, {"resource": {"resourceType": "Composition", "id": "comp",
                                             "subject": {"reference": "Patient/p1"}}})
    record = read(doc)
    assert record.id == "p1" and len(record.observations) == 1
    assert record.warnings == ()


def test_transaction_with_urn_uuid_and_no_ids() -> None:
    patient = {k: v for k, v in PATIENT.items() if k != "id"}
    obs = {k: v for k, v in OBS.items() if k != "id"}
    doc = {"resourceType": "Bundle", "type": "transaction", "entry": [
        {"fullUrl": "urn:uuid:aaaaaaaa-0000-4000-8000-000000000001", "resource": patient,
         "request": {"method": "POST", "url": "Patient"}},
        {"fullUrl": "urn:uuid:aaaaaaaa-0000-4000-8000-000000000002",
         "resource": {**obs, "subject": {"reference": "urn:uuid:aaaaaaaa-0000-4000-8000-000000000001"}},
         "request": {"method": "POST", "url": "Observation"}},
        {"request": {"method": "DELETE", "url": "Observation/old"}},
    ]}
    record = read(doc)
    assert record.id == "aaaaaaaa-0000-4000-8000-000000000001"
    assert record.observations[0].id == "aaaaaaaa-0000-4000-8000-000000000002"
    assert record.warnings == ()


@pytest.mark.parametrize("ref", [
    "Patient/p1", "https://ehr.example/fhir/Patient/p1", "Patient/p1/_history/3",
    "https://ehr.example/fhir/Patient/p1/_history/3", "urn:uuid:11111111-2222-4333-8444-555555555555",
])
def test_subject_reference_forms(ref: str) -> None:
    doc = make_bundle({**OBS, "subject": {"reference": ref}})
    doc["entry"][0]["fullUrl"] = "urn:uuid:11111111-2222-4333-8444-555555555555"
    assert len(read(doc).observations) == 1


def test_searchset_with_absolute_full_urls_and_outcome() -> None:
    doc = {"resourceType": "Bundle", "type": "searchset", "entry": [
        {"fullUrl": "https://ehr.example/fhir/Patient/p1", "resource": PATIENT, "search": {"mode": "include"}},
        {"fullUrl": "https://ehr.example/fhir/Observation/o1", "search": {"mode": "match"},
         "resource": {**OBS, "subject": {"reference": "https://ehr.example/fhir/Patient/p1"}}},
        {"resource": {"resourceType": "OperationOutcome", "issue": []}, "search": {"mode": "outcome"}},
    ]}
    assert len(read(doc).observations) == 1


def test_resource_without_subject_is_skipped_with_a_warning() -> None:
    record = read(make_bundle(OBS))
    assert record.observations == ()
    assert record.warnings == (
        "test.json:Observation/o1: has no subject reference, so it cannot be attributed to a "
        "patient; skipped (at $.entry[1].resource.subject)",)


def test_resource_of_another_patient_is_skipped_with_a_warning() -> None:
    record = read(make_bundle({**OBS, "subject": {"reference": "Patient/p2"}}))
    assert record.observations == ()
    assert "subject 'Patient/p2' is not this Bundle's Patient; skipped" in record.warnings[0]


def test_other_resource_types_are_ignored() -> None:
    doc = make_bundle({"resourceType": "Encounter", "id": "e1", "subject": {"reference": "Patient/p1"}},
                      {"resourceType": "Practitioner", "id": "dr"})
    assert read(doc).warnings == ()


# -- bad input ----------------------------------------------------------------------


def test_no_patient() -> None:
    assert fail(make_bundle(OBS, patient=None)) == (
        "test.json: Bundle has no Patient resource (one patient per Bundle) (at $.entry)")


def test_two_patients() -> None:
    doc = make_bundle({**PATIENT, "id": "p2"})
    assert fail(doc) == ("test.json: Bundle has 2 Patient resources (entry[0], entry[1]); a Bundle must "
                         "hold exactly one patient (at $.entry)")


@pytest.mark.parametrize(("doc", "text"), [
    ({"resourceType": "Patient", "id": "p1"}, "is not a FHIR Bundle: the document has resourceType 'Patient'"),
    ({"id": "p1", "birth_date": "1970-01-01"}, "is not a FHIR Bundle: the document has no resourceType"),
    ([1, 2], "is not a FHIR Bundle (a JSON list, not an object)"),
    ("Bundle", "is not a FHIR Bundle (a JSON str, not an object)"),
    ({"resourceType": "Bundle", "type": "history", "entry": []}, "Bundle type 'history' is not read"),
    ({"resourceType": "Bundle", "type": "collection", "entry": {}}, "Bundle entry is not a list"),
])
def test_not_a_bundle(doc: Any, text: str) -> None:
    assert text in fail(doc)


def test_bundle_without_type_is_read_with_a_warning() -> None:
    doc = make_bundle()
    del doc["type"]
    assert "Bundle has no type; read as a collection" in read(doc).warnings[0]


def test_entry_without_resource_warns() -> None:
    doc = make_bundle()
    doc["entry"].append({"fullUrl": "urn:uuid:x"})
    assert "entry has no resource; skipped (at $.entry[1])" in read(doc).warnings[0]


# -- files ----------------------------------------------------------------------------


def test_read_file(tmp_path: Path, bundle_adapter: BundleAdapter) -> None:
    path = tmp_path / "b.json"
    path.write_text(json.dumps(make_bundle({**OBS, "subject": {"reference": "Patient/p1"}})))
    (record,) = bundle_adapter.read(path)
    assert isinstance(record, PatientRecord) and record.source == str(path)
    # the CLI passes the document it already parsed
    (again,) = bundle_adapter.read(path, json.loads(path.read_text()))
    assert again == record


@pytest.mark.parametrize(("text", "error"), [
    ("", "is empty, not JSON"),
    ("this is not json", "is not valid JSON: Expecting value at line 1 column 1"),
    ('{"resourceType": "Bundle", "type": "collection", "entry": [{"resource": {"resourceType":',
     "is truncated: the JSON ends at line 1 column"),
    ('{"resourceType": "Bundle",\n "entry": [}\n', "is not valid JSON: Expecting value at line 2 column 12"),
])
def test_unreadable_files(tmp_path: Path, bundle_adapter: BundleAdapter, text: str, error: str) -> None:
    path = tmp_path / "bad.json"
    path.write_text(text)
    (out,) = bundle_adapter.read(path)
    assert isinstance(out, InputFailure)
    assert out.input == str(path) and out.error.startswith(f"{path}: {error}")


def test_not_utf8(tmp_path: Path, bundle_adapter: BundleAdapter) -> None:
    path = tmp_path / "latin1.json"
    path.write_bytes(b'{"resourceType": "Bundle", "id": "caf\xe9"}')
    (out,) = bundle_adapter.read(path)
    assert isinstance(out, InputFailure) and "not UTF-8" in out.error


def test_missing_file(tmp_path: Path, bundle_adapter: BundleAdapter) -> None:
    (out,) = bundle_adapter.read(tmp_path / "nowhere.json")
    assert isinstance(out, InputFailure) and "cannot be read" in out.error


def test_sniff(tmp_path: Path, bundle_adapter: BundleAdapter) -> None:
    truncated = tmp_path / "t.json"
    truncated.write_text('{"resourceType": "Bundle", "entry": [')
    assert bundle_adapter.sniff(truncated, None)
    assert bundle_adapter.sniff(tmp_path / "x.json", {"resourceType": "Bundle"})
    assert bundle_adapter.sniff(tmp_path / "x.json", {"resourceType": "Patient"})
    assert not bundle_adapter.sniff(tmp_path / "x.json", {"id": "p1", "observations": []})
    assert not bundle_adapter.sniff(tmp_path / "x.json", [1])
    assert not bundle_adapter.sniff(tmp_path, None)
    other = tmp_path / "o.json"
    other.write_text("{oops")
    assert not bundle_adapter.sniff(other, None)
