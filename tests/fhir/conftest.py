"""Helpers for the FHIR adapter tests: Bundles built in a line, and the generator."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from trialrules.inputs.fhir import BulkAdapter, BundleAdapter, record_from_bundle
from trialrules.language.models import InputFailure, PatientRecord

REPO = Path(__file__).resolve().parents[2]
LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
OBS_CODE = {"coding": [{"system": "http://loinc.org", "code": "89247-1"}]}
PATIENT = {"resourceType": "Patient", "id": "p1", "birthDate": "1970-05-01", "gender": "female"}
SUBJECT = {"reference": "Patient/p1"}


def concept(code: str, system: str = LOINC, display: str | None = None) -> dict[str, Any]:
    coding = {"system": system, "code": code}
    if display:
        coding["display"] = display
    return {"coding": [coding]}


def make_bundle(*resources: dict[str, Any], patient: dict[str, Any] | None = PATIENT,
                btype: str = "collection") -> dict[str, Any]:
    """A Bundle of the Patient (first) and the given resources, without fullUrls."""
    entries = [{"resource": r} for r in ((patient,) if patient else ()) + resources]
    return {"resourceType": "Bundle", "type": btype, "entry": entries}


def read(doc: Any, file: str = "test.json") -> PatientRecord:
    """The record a Bundle document gives; fails the test on an InputFailure."""
    out = record_from_bundle(doc, file)
    assert isinstance(out, PatientRecord), out
    return out


def fail(doc: Any, file: str = "test.json") -> str:
    """The error text a Bundle document gives; fails the test if it was read."""
    out = record_from_bundle(doc, file)
    assert isinstance(out, InputFailure), out
    assert out.input == file
    return out.error


def with_subject(resource: dict[str, Any]) -> dict[str, Any]:
    field = "patient" if resource["resourceType"] in ("AllergyIntolerance", "Immunization") else "subject"
    return {**resource, field: SUBJECT}


def write_bulk(directory: Path, files: dict[str, list[Any]]) -> Path:
    """Write ``{"Patient.ndjson": [resource or raw line, ...]}`` into ``directory``."""
    directory.mkdir(parents=True, exist_ok=True)
    for name, lines in files.items():
        text = "".join((line if isinstance(line, str) else json.dumps(line)) + "\n" for line in lines)
        (directory / name).write_text(text, encoding="utf-8")
    return directory


def load_generator() -> ModuleType:
    """examples/generate_fhir.py as a module (it is a script, not a package)."""
    spec = importlib.util.spec_from_file_location("generate_fhir", REPO / "examples" / "generate_fhir.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def generator() -> ModuleType:
    return load_generator()


@pytest.fixture()
def bundle_adapter() -> BundleAdapter:
    return BundleAdapter()


@pytest.fixture()
def bulk_adapter() -> BulkAdapter:
    return BulkAdapter()
