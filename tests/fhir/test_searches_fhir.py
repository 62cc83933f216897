"""Record searches through FHIR Bundles: what the adapter keeps must reach the verdict.

Text-only and unresolved medications are kept with their words, a provisional Condition
keeps its verificationStatus, and evidence names the resource type of the Bundle entry.
"""

from __future__ import annotations

from typing import Any

import pytest
from _support import AS_OF, engine_for, write_trial

from tests.fhir.conftest import concept, make_bundle, read, with_subject

RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
ICD = "http://hl7.org/fhir/sid/icd-10-cm"
TERM = "http://terminology.hl7.org/CodeSystem/"

VALUESETS = """
- name: bevacizumab
  title: bevacizumab
  codes: [{system: rxnorm, code: "253337", display: bevacizumab}]
- name: crc
  title: colorectal cancer
  codes: [{system: icd10cm, code: C18, prefix: true}]
"""


def screen(rules_root, rule: str, *resources: dict[str, Any], kind: str = "exclusion"):
    cid = "exc01_x" if kind == "exclusion" else "inc01_x"
    rules = write_trial(rules_root, {f"{kind}/{cid}": f"""
        id: {cid}
        text: the protocol's words
        rule: {rule}
        """}, VALUESETS)
    record = read(make_bundle(*(with_subject(r) for r in resources)))
    return engine_for(rules).screen_one(record, "mini", AS_OF).criteria[0]


BEVA = "{medication: {valueset: bevacizumab, window: {weeks: 4}, if_absent: not_met}}"


def administration(**medication: Any) -> dict[str, Any]:
    return {"resourceType": "MedicationAdministration", "id": "12", "status": "completed",
            "effectiveDateTime": "2026-01-05", **medication}


class TestMedicationsThatCannotBeCoded:
    def test_text_only_concept(self, rules_root):
        """Bevacizumab given 10 days ago as text only: unknown, the record shown with its words."""
        out = screen(rules_root, BEVA, administration(medicationCodeableConcept={"text": "Avastin 400 mg"}))

        assert "unknown" == out.result
        assert ["MedicationAdministration/12"] == [e.resource for e in out.evidence]
        assert "Avastin 400 mg" in out.reason

    def test_unresolved_reference(self, rules_root):
        out = screen(rules_root, BEVA, administration(
            medicationReference={"reference": "Medication/missing", "display": "bevacizumab-awwb"}))

        assert ("unknown", "MedicationAdministration/12") == (out.result, out.evidence[0].resource)
        assert "bevacizumab-awwb" in out.reason

    def test_coded_administration_is_met_and_named_as_it_came(self, rules_root):
        out = screen(rules_root, BEVA, administration(medicationCodeableConcept=concept("253337", RXNORM)))

        assert ("met", ["MedicationAdministration/12"]) == (out.result, [e.resource for e in out.evidence])

    def test_request_named_as_a_request(self, rules_root):
        request = {"resourceType": "MedicationRequest", "id": "r7", "status": "active", "intent": "order",
                   "authoredOn": "2026-01-02", "medicationCodeableConcept": concept("253337", RXNORM)}

        out = screen(rules_root, BEVA, request)

        assert ["MedicationRequest/r7"] == [e.resource for e in out.evidence]


class TestProvisionalConditions:
    @pytest.mark.parametrize(("status", "expected"), [
        ("provisional", "unknown"), ("differential", "unknown"), ("unconfirmed", "unknown"),
        ("confirmed", "met"), ("refuted", "not_met")])
    def test_verification_status(self, rules_root, status, expected):
        cond = {"resourceType": "Condition", "id": "c1", "code": concept("C18.7", ICD),
                "verificationStatus": {"coding": [{"system": TERM + "condition-ver-status", "code": status}]},
                "onsetDateTime": "2025-06-01"}

        out = screen(rules_root, "{condition: {valueset: crc, if_absent: not_met}}", cond, kind="inclusion")

        assert expected == out.result
