"""Arbitrary JSON never crashes the adapters: they read it or report an error."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from trialrules.inputs.fhir import BulkAdapter, BundleAdapter
from trialrules.language.models import InputFailure, PatientRecord

KEYS = ["resourceType", "type", "entry", "resource", "fullUrl", "id", "subject", "patient", "reference",
        "code", "coding", "system", "value", "valueQuantity", "valueCodeableConcept", "valueBoolean",
        "valueInteger", "valueString", "effectiveDateTime", "effectivePeriod", "start", "end", "issued",
        "status", "referenceRange", "low", "high", "birthDate", "gender", "onsetAge", "onsetDateTime",
        "abatementDateTime", "verificationStatus", "clinicalStatus", "medicationReference", "contained",
        "ingredient", "itemCodeableConcept", "itemReference", "item", "linkId", "answer", "authoredOn",
        "dosageInstruction", "timing", "repeat", "boundsPeriod", "performedDateTime", "occurrenceDateTime",
        "comparator", "unit", "medicationCodeableConcept", "vaccineCode"]
VALUES = ["Bundle", "collection", "document", "Patient", "Observation", "Condition", "MedicationStatement",
          "MedicationRequest", "MedicationAdministration", "Medication", "Procedure", "Immunization",
          "AllergyIntolerance", "QuestionnaireResponse", "Patient/p", "#m", "urn:uuid:u", "p", "final",
          "refuted", "completed", "2026-01-10", "2019", "2026-02-30", "http://unitsofmeasure.org", "a", "mg"]

scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False),
                    st.sampled_from(VALUES), st.text(max_size=8))
fhirish = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(st.sampled_from(KEYS), children, max_size=6),
    ),
    max_leaves=40,
)


def bundle_around(entries: list[Any]) -> dict[str, Any]:
    return {"resourceType": "Bundle", "type": "collection",
            "entry": [{"resource": {"resourceType": "Patient", "id": "p"}}]
            + [{"resource": e} for e in entries]}


def check(out: list[Any]) -> None:
    assert out and all(isinstance(r, (PatientRecord, InputFailure)) for r in out)


@settings(max_examples=300, deadline=None)
@given(fhirish)
def test_any_document(doc: Any) -> None:
    check(list(BundleAdapter().read(Path("x.json"), doc)))


@settings(max_examples=300, deadline=None)
@given(st.lists(st.dictionaries(st.sampled_from(KEYS), fhirish, max_size=8), max_size=5))
def test_any_resources_in_a_bundle(entries: list[Any]) -> None:
    assume(not any(e.get("resourceType") == "Patient" for e in entries))  # a second Patient is an error
    out = list(BundleAdapter().read(Path("x.json"), bundle_around(entries)))
    check(out)
    assert isinstance(out[0], PatientRecord)  # malformed resources warn; the patient is still read


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.one_of(fhirish, st.text(max_size=20)), max_size=8),
       st.lists(st.dictionaries(st.sampled_from(KEYS), fhirish, max_size=8), max_size=6))
def test_any_bulk_lines(patient_lines: list[Any], other: list[Any]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        lines = [x if isinstance(x, str) else json.dumps(x) for x in patient_lines]
        (d / "Patient.ndjson").write_text("\n".join(s.replace("\n", " ") for s in lines) + "\n")
        (d / "Observation.ndjson").write_text("".join(json.dumps(x) + "\n" for x in other))
        out = list(BulkAdapter().read(d))
        assert all(isinstance(r, (PatientRecord, InputFailure)) for r in out)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=200))
def test_any_bytes(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "b.json"
        path.write_bytes(data)
        check(list(BundleAdapter().read(path)))


def test_deep_nesting_is_an_error_not_a_crash(tmp_path: Path) -> None:
    path = tmp_path / "deep.json"
    path.write_text("[" * 100_000 + "]" * 100_000)
    (out,) = BundleAdapter().read(path)
    assert isinstance(out, InputFailure)
