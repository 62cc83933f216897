"""Round trip: native record -> FHIR (examples/generate_fhir.py) -> adapter -> the same record.

The generator was written from the FHIR specification apart from the adapter, so
this checks the adapter against independently written FHIR. Where the FHIR
side must differ by design, the expectation says so: statuses that mean "did not
happen" are skipped, a missing status is written as the usual one, and Coding
displays may be added (codes are compared by system and code).
"""

from __future__ import annotations

import json
from pathlib import Path
from types import ModuleType
from typing import Any

import attrs
import pytest

from tests.fhir.conftest import REPO
from trialrules.inputs.fhir import BulkAdapter, record_from_bundle
from trialrules.language.converters import converter
from trialrules.language.models import Coding, PatientRecord
from trialrules.language.statuses import (
    IMMUNIZATION_NOT_DONE,
    MEDICATION_NOT_TAKEN_BY_RESOURCE,
    OBSERVATION_UNUSABLE,
    PROCEDURE_NOT_DONE,
    VERIFICATION_NOT_PRESENT,
)

DOCS_EXAMPLE = {  # docs/rule-language.md section 7, with the elided codes filled in
    "id": "p-001", "birth_date": "1970-05-01", "sex": "female",
    "observations": [
        {"id": "obs-anc", "code": {"system": "http://loinc.org", "code": "751-8"},
         "value": {"value": 1.8, "unit": "10*9/L"}, "date": "2026-01-10",
         "reference_range": {"low": {"value": 1.8, "unit": "10*9/L"}, "high": {"value": 7.7, "unit": "10*9/L"}}},
        {"id": "obs-ecog", "code": {"system": "http://loinc.org", "code": "89247-1"}, "value": 1,
         "date": "2026-01-10"},
        {"id": "obs-inr", "code": {"system": "http://loinc.org", "code": "6301-6"}, "value": 1.1,
         "date": "2026-01-10"},
        {"id": "obs-hiv", "code": {"system": "http://loinc.org", "code": "7917-8"},
         "value": {"system": "http://snomed.info/sct", "code": "260385009", "display": "Negative"},
         "date": "2026-01-10"},
        {"id": "obs-note", "code": {"system": "http://loinc.org", "code": "2106-3"}, "value": "negative",
         "date": "2026-01-09", "status": "entered-in-error"},
    ],
    "conditions": [{"id": "c1", "codes": [{"system": "http://hl7.org/fhir/sid/icd-10-cm", "code": "C34.90"}],
                    "clinical_status": "active", "verification_status": "confirmed", "onset": "2024-03-01"},
                   {"id": "c2", "codes": [{"system": "http://hl7.org/fhir/sid/icd-10-cm", "code": "B20"}],
                    "clinical_status": "active", "verification_status": "refuted", "onset": "2020-03-01"}],
    "medications": [
        {"id": f"m{i}", "codes": [{"system": "http://www.nlm.nih.gov/research/umls/rxnorm", "code": "40048"}],
         "start": "2024-04-01", "end": "2024-09-01", "status": "completed"} for i in range(5)],
    "procedures": [{"id": "pr1", "codes": [{"system": "http://snomed.info/sct", "code": "387713003"}],
                    "date": "2024-02-01", "status": "completed"}],
    "allergies": [{"id": "a1", "codes": [{"system": "http://www.nlm.nih.gov/research/umls/rxnorm", "code": "7980"}],
                   "clinical_status": "active", "verification_status": "confirmed"}],
    "immunizations": [{"id": "i1", "codes": [{"system": "http://hl7.org/fhir/sid/cvx", "code": "141"}],
                       "date": "2025-10-01", "status": "completed"}],
    "attestations": {"inc08_contraception": True, "cel001:exc15_investigator": False},
}


def native_examples() -> list[tuple[str, dict[str, Any]]]:
    found = [("docs-example", DOCS_EXAMPLE)]
    for path in sorted((REPO / "examples" / "patients").glob("*/*.json")):
        found.append((f"{path.parent.name}/{path.stem}", json.loads(path.read_text(encoding="utf-8"))))
    return found


EXAMPLES = native_examples()
_FIELDS = {f.name for f in attrs.fields(PatientRecord)}


def structure(native: dict[str, Any]) -> PatientRecord:
    return converter.structure({k: v for k, v in native.items() if k in _FIELDS}, PatientRecord)


def _codes(codes: tuple[Coding, ...]) -> list[tuple[str | None, str]]:
    return [(c.system, c.code) for c in codes]


def _value(value: Any) -> Any:
    return (value.system, value.code) if isinstance(value, Coding) else value


def expected_and_actual(native: PatientRecord, read: PatientRecord) -> tuple[dict[str, Any], dict[str, Any]]:
    """Both records in comparable form, the native one with the FHIR side's rules applied."""
    def obs(r: PatientRecord, expect: bool) -> list[Any]:
        return [(o.id, _codes(o.codes), _value(o.value), o.date, o.reference_ranges,
                 (o.status or "final") if expect else o.status)
                for o in r.observations if not (expect and o.status in OBSERVATION_UNUSABLE)]

    def conds(r: PatientRecord, expect: bool) -> list[Any]:
        return [(c.id, _codes(c.codes), c.clinical_status, c.verification_status, c.onset, c.abatement,
                 c.recorded) for c in r.conditions if not (expect and c.verification_status in VERIFICATION_NOT_PRESENT)]

    def meds(r: PatientRecord, expect: bool) -> list[Any]:
        skip = MEDICATION_NOT_TAKEN_BY_RESOURCE["MedicationStatement"] if expect else frozenset()
        return [(m.id, _codes(m.codes + m.ingredients), m.start, m.end, (m.status or "completed") if expect else m.status)
                for m in r.medications if m.status not in skip]

    def procs(r: PatientRecord, expect: bool) -> list[Any]:
        return [(p.id, _codes(p.codes), p.date, p.end, (p.status or "completed") if expect else p.status)
                for p in r.procedures if not (expect and p.status in PROCEDURE_NOT_DONE)]

    def allergies(r: PatientRecord, expect: bool) -> list[Any]:
        return [(a.id, _codes(a.codes), a.clinical_status, a.verification_status, a.date)
                for a in r.allergies if not (expect and a.verification_status in VERIFICATION_NOT_PRESENT)]

    def imms(r: PatientRecord, expect: bool) -> list[Any]:
        return [(i.id, _codes(i.codes), i.date, (i.status or "completed") if expect else i.status)
                for i in r.immunizations if not (expect and i.status in IMMUNIZATION_NOT_DONE)]

    def form(r: PatientRecord, expect: bool) -> dict[str, Any]:
        return {
            "id": r.id, "birth_date": r.birth_date, "sex": r.sex, "observations": obs(r, expect),
            "conditions": conds(r, expect), "medications": sorted(meds(r, expect)),
            "procedures": procs(r, expect), "allergies": allergies(r, expect),
            "immunizations": imms(r, expect), "attestations": r.attestations,
        }

    return form(native, True), form(read, False)


@pytest.mark.parametrize(("name", "native"), EXAMPLES, ids=[n for n, _ in EXAMPLES])
def test_bundle_round_trip(name: str, native: dict[str, Any], generator: ModuleType) -> None:
    doc = json.loads(json.dumps(generator.bundle(native)))
    read = record_from_bundle(doc, f"{name}.json")
    assert isinstance(read, PatientRecord), read
    expected, actual = expected_and_actual(structure(native), read)
    assert actual == expected
    # only undated immunizations or unitless quantities may warn, as the native record has them
    for w in read.warnings:
        assert "occurrenceString" in w or "no UCUM unit code" in w, w


def test_bundles_use_several_medication_forms(generator: ModuleType) -> None:
    doc = generator.bundle(DOCS_EXAMPLE)
    kinds = [e["resource"]["resourceType"] for e in doc["entry"]]
    assert {"MedicationStatement", "MedicationAdministration", "MedicationRequest", "Medication",
            "QuestionnaireResponse"} <= set(kinds)
    assert all(e["fullUrl"].startswith("urn:uuid:") for e in doc["entry"])
    assert any("contained" in e["resource"] for e in doc["entry"])


def test_bulk_round_trip_of_the_examples(tmp_path: Path, generator: ModuleType) -> None:
    patients = tmp_path / "patients"
    for name, native in EXAMPLES:
        trial = name.split("/")[0] if "/" in name else "docs"
        (patients / trial).mkdir(parents=True, exist_ok=True)
        (patients / trial / (name.split("/")[-1] + ".json")).write_text(json.dumps(native))
    written = generator.write_examples(patients, tmp_path / "fhir")
    assert len(written) == len(EXAMPLES)
    out = list(BulkAdapter().read(tmp_path / "fhir" / "bulk"))
    assert len(out) == len(EXAMPLES) and all(isinstance(r, PatientRecord) for r in out)
    by_id = {r.id: r for r in out if isinstance(r, PatientRecord)}
    for name, native in EXAMPLES:
        trial = name.split("/")[0] if "/" in name else "docs"
        read = by_id[f"{trial}-{native['id']}"]
        expected, actual = expected_and_actual(structure(native), read)
        prefix = f"{trial}-"
        for key in ("observations", "conditions", "medications", "procedures", "allergies", "immunizations"):
            expected[key] = sorted((prefix + item[0], *item[1:]) for item in expected[key])
            actual[key] = sorted(actual[key])
        expected["id"] = actual["id"]
        assert actual == expected


def test_generator_is_deterministic(tmp_path: Path, generator: ModuleType) -> None:
    generator.write_synthetic_bulk(3, tmp_path / "a", seed=5)
    generator.write_synthetic_bulk(3, tmp_path / "b", seed=5)
    for f in sorted((tmp_path / "a").iterdir()):
        assert f.read_bytes() == (tmp_path / "b" / f.name).read_bytes()
    assert json.dumps(generator.bundle(DOCS_EXAMPLE)) == json.dumps(generator.bundle(DOCS_EXAMPLE))
