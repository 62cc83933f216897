"""Shapes real FHIR feeds send (issue 21), each deciding a criterion through a Bundle.
The resources follow the structure of the official HL7 R4 examples (our own files)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from _support import engine_for, write_trial

from tests.fhir.conftest import read
from trialrules.models import PatientRecord

AS_OF = dt.date(2026, 1, 15)
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
ATC = "http://www.whocc.no/atc"
SETS = """
- name: oral_chemo
  title: oral chemotherapy
  codes:
    - {system: rxnorm, code: "194000", display: capecitabine}
    - {system: atc, code: L01, prefix: true}
"""
WASHOUT = """
id: exc01_chemo
text: Oral chemotherapy within 4 weeks before the first dose.
rule: {medication: {valueset: oral_chemo, window: {weeks: 4}, if_absent: not_met}}
"""


def patient_bundle(*resources: dict[str, Any]) -> dict[str, Any]:
    """A collection Bundle with fullUrls, as servers send it."""
    entries = [{"fullUrl": "http://ehr.example/fhir/Patient/pat1",
                "resource": {"resourceType": "Patient", "id": "pat1", "birthDate": "1960-03-02", "gender": "female"}}]
    for r in resources:
        entries.append({"fullUrl": f"http://ehr.example/fhir/{r['resourceType']}/{r['id']}", "resource": r})
    return {"resourceType": "Bundle", "type": "collection", "entry": entries}


def dispense(handed_over: str | None, days_supply: int | None = None, status: str = "completed",
             prepared: str | None = None) -> dict[str, Any]:
    """In the shape of the R4 example medicationdispense0301: a contained Medication."""
    r: dict[str, Any] = {
        "resourceType": "MedicationDispense", "id": "meddisp0301",
        "contained": [{"resourceType": "Medication", "id": "med0315", "code": {"coding": [
            {"system": RXNORM, "code": "200328", "display": "capecitabine 500 MG Oral Tablet"},
            {"system": ATC, "code": "L01BC06", "display": "capecitabine"}]}}],
        "status": status,
        "medicationReference": {"reference": "#med0315"},
        "subject": {"reference": "Patient/pat1", "display": "Donald Duck"},
        "quantity": {"value": 56, "system": "http://terminology.hl7.org/CodeSystem/v3-orderableDrugForm", "code": "TAB"},
    }
    if days_supply is not None:
        r["daysSupply"] = {"value": days_supply, "unit": "Day", "system": "http://unitsofmeasure.org", "code": "d"}
    if prepared:
        r["whenPrepared"] = prepared
    if handed_over:
        r["whenHandedOver"] = handed_over
    return r


def screen(tmp: Path, record: PatientRecord, criterion: str, name: str) -> Any:
    rules = write_trial(tmp, {name: criterion}, SETS)
    return engine_for(rules).screen_one(record, "mini", AS_OF).criteria[0]


class TestMedicationDispense:
    @pytest.mark.parametrize(("handed_over", "days", "expected"), [
        ("2025-12-18T16:20:00Z", None, "met"),       # handed over 28 days before: inside 4 weeks
        ("2025-12-17T16:20:00Z", None, "not_met"),   # 29 days before
        ("2025-11-20T16:20:00Z", 28, "not_met"),     # supply ends 2025-12-17
        ("2025-11-20T16:20:00Z", 29, "met"),         # supply ends 2025-12-18
    ])
    def test_handed_over_and_days_supply(self, rules_root: Path, handed_over: str, days: int | None,
                                         expected: str) -> None:
        record = read(patient_bundle(dispense(handed_over, days)))
        result = screen(rules_root, record, WASHOUT, "exclusion/exc01_chemo")
        assert result.result == expected
        if expected == "met":
            assert result.evidence[0].resource == "MedicationDispense/meddisp0301"

    def test_when_prepared_when_not_handed_over(self, rules_root: Path) -> None:
        record = read(patient_bundle(dispense(None, prepared="2026-01-02T10:20:00Z", status="in-progress")))
        assert screen(rules_root, record, WASHOUT, "exclusion/exc01_chemo").result == "met"

    @pytest.mark.parametrize("status", ["declined", "cancelled", "entered-in-error"])
    def test_a_dispense_that_never_reached_the_patient(self, rules_root: Path, status: str) -> None:
        record = read(patient_bundle(dispense("2026-01-10T16:20:00Z", status=status)))
        assert screen(rules_root, record, WASHOUT, "exclusion/exc01_chemo").result == "not_met"
