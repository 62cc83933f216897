"""Record searches: records the value sets cannot judge, unconfirmed diagnoses, resource types.

CONTRACT.md section 5: a record that exists but cannot be judged is not an absence, a
provisional diagnosis is neither present nor absent, and evidence names the resource as it came.
"""

from __future__ import annotations

import pytest
from _support import AS_OF, engine_for, patient, write_trial

RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
ATC = "http://www.whocc.no/atc"
ICD = "http://hl7.org/fhir/sid/icd-10-cm"
SNOMED = "http://snomed.info/sct"

VALUESETS = """
- name: bevacizumab
  title: bevacizumab
  codes:
    - {system: rxnorm, code: "253337", display: bevacizumab}
    - {system: atc, code: L01FG01}
- name: crc
  title: colorectal cancer
  codes:
    - {system: icd10cm, code: C18, prefix: true}
    - {system: snomed, code: "363406005"}
"""

BEVA = "{medication: {valueset: bevacizumab, window: {weeks: 4}, if_absent: not_met}}"
CRC = "{condition: {valueset: crc, if_absent: not_met}}"


def screen(rules_root, rule: str, record, kind: str = "exclusion"):
    cid = "exc01_x" if kind == "exclusion" else "inc01_x"
    rules = write_trial(rules_root, {f"{kind}/{cid}": f"""
        id: {cid}
        text: the protocol's words
        rule: {rule}
        """}, VALUESETS)
    return engine_for(rules).screen_one(record, "mini", AS_OF).criteria[0]


def med(mid: str, codes: list[dict], start: str = "2026-01-05", text: str | None = None, source: str | None = None) -> dict:
    data = {"id": mid, "codes": codes, "start": start, "end": start, "status": "completed"}
    if text is not None:
        data["text"] = text
    if source is not None:
        data["source"] = source
    return data


BEVA_RX = {"system": RXNORM, "code": "253337", "display": "bevacizumab"}
OTHER_RX = {"system": RXNORM, "code": "51499", "display": "irinotecan"}
LOCAL = {"system": "urn:example:pharmacy", "code": "AVASTIN-400"}


class TestUnjudgeableRecords:
    def test_text_only_medication_is_unknown_with_the_record_as_evidence(self, rules_root):
        """Bevacizumab given 10 days ago as text only is not 'no record'."""
        out = screen(rules_root, BEVA, patient(medications=[med("m1", [], text="Avastin 400 mg IV")]))

        assert "unknown" == out.result
        assert ["MedicationStatement/m1"] == [e.resource for e in out.evidence]
        assert "Avastin 400 mg IV" in out.reason

    def test_codes_only_in_an_uncovered_system_are_unknown(self, rules_root):
        """A local pharmacy code is not in a system the value set covers: unknown."""
        out = screen(rules_root, BEVA, patient(medications=[med("m1", [LOCAL])]))

        assert "unknown" == out.result
        assert "urn:example:pharmacy" in out.reason

    def test_a_covered_code_that_is_not_in_the_set_is_judged(self, rules_root):
        """Irinotecan in RxNorm is judged: not bevacizumab, so the exclusion does not apply."""
        out = screen(rules_root, BEVA, patient(medications=[med("m1", [OTHER_RX])]))

        assert "not_met" == out.result

    def test_a_coded_match_decides_despite_an_unjudgeable_record(self, rules_root):
        """Another record that matches decides: met."""
        rec = patient(medications=[med("m1", [], text="Avastin"), med("m2", [BEVA_RX])])

        out = screen(rules_root, BEVA, rec)

        assert ("met", ["MedicationStatement/m2"]) == (out.result, [e.resource for e in out.evidence])

    def test_an_unjudgeable_record_outside_the_window_does_not_count(self, rules_root):
        """Text-only records are placed in time like any other: 8 weeks ago is outside 4 weeks."""
        out = screen(rules_root, BEVA, patient(medications=[med("m1", [], "2025-11-20", text="Avastin")]))

        assert "not_met" == out.result

    def test_min_count_counts_unjudgeable_records_as_possible(self, rules_root):
        """Two needed, one coded and one text-only: unknown; one coded alone: not met."""
        rule = "{medication: {valueset: bevacizumab, window: {weeks: 4}, if_absent: not_met, min_count: 2}}"

        both = screen(rules_root, rule, patient(medications=[med("m1", [BEVA_RX]), med("m2", [], text="Avastin")]))
        alone = screen(rules_root, rule, patient(medications=[med("m1", [BEVA_RX])]))

        assert ("unknown", "not_met") == (both.result, alone.result)


class TestUnconfirmedDiagnoses:
    @pytest.mark.parametrize("status", ["provisional", "differential", "unconfirmed"])
    def test_unconfirmed_is_neither_present_nor_absent(self, rules_root, status):
        """'Pathologically confirmed colorectal cancer' is not met from a provisional diagnosis."""
        cond = {"id": "c1", "codes": [{"system": ICD, "code": "C18.7"}], "verification_status": status,
                "onset": "2025-06-01"}

        inc = screen(rules_root, CRC, patient(conditions=[cond]), kind="inclusion")

        assert "unknown" == inc.result
        assert ["Condition/c1"] == [e.resource for e in inc.evidence]
        assert status in inc.reason

    @pytest.mark.parametrize(("status", "expected"), [("confirmed", "met"), (None, "met"), ("refuted", "not_met")])
    def test_confirmed_or_refuted(self, rules_root, status, expected):
        cond = {"id": "c1", "codes": [{"system": ICD, "code": "C18.7"}], "verification_status": status}

        assert expected == screen(rules_root, CRC, patient(conditions=[cond]), kind="inclusion").result

    def test_a_confirmed_diagnosis_decides_beside_a_provisional_one(self, rules_root):
        conds = [{"id": "c1", "codes": [{"system": ICD, "code": "C18.7"}], "verification_status": "provisional"},
                 {"id": "c2", "codes": [{"system": SNOMED, "code": "363406005"}], "verification_status": "confirmed"}]

        out = screen(rules_root, CRC, patient(conditions=conds), kind="inclusion")

        assert ("met", ["Condition/c2"]) == (out.result, [e.resource for e in out.evidence])


class TestResourceTypes:
    @pytest.mark.parametrize("source", ["MedicationAdministration", "MedicationRequest", "MedicationStatement",
                                        "MedicationDispense"])
    def test_evidence_names_the_resource_type_it_came_as(self, rules_root, source):
        out = screen(rules_root, BEVA, patient(medications=[med("12", [BEVA_RX], source=source)]))

        assert [f"{source}/12"] == [e.resource for e in out.evidence]

    def test_native_records_without_a_source_are_statements(self, rules_root):
        out = screen(rules_root, BEVA, patient(medications=[med("12", [BEVA_RX])]))

        assert ["MedicationStatement/12"] == [e.resource for e in out.evidence]
