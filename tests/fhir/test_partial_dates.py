"""Partial dates and courses dated by one day on records with a period (CONTRACT.md section 5):
a window is judged only where every day the record's dates may mean agrees; otherwise the
criterion is unknown, with the record as evidence and a reason saying why.

Each case sits on one side of a window's edge: inside for every day (decides), straddling it
(unknown), outside for every day (decides). The resources are in the R4 examples' shapes.
As of 2026-01-15: a 4-week window starts 2025-12-18, a 1-year window 2025-01-15, 6 months 2025-07-15.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from _support import engine_for, write_trial

from tests.fhir.conftest import read
from tests.fhir.test_feed_shapes import patient_bundle
from trialrules.inputs.native import structure_record
from trialrules.language.models import PatientRecord

AS_OF = dt.date(2026, 1, 15)
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
SNOMED = "http://snomed.info/sct"
ICD10 = "http://hl7.org/fhir/sid/icd-10-cm"
CPT = "http://www.ama-assn.org/go/cpt"
SETS = """
- name: oral_chemo
  title: oral chemotherapy
  codes:
    - {system: rxnorm, code: "194000", display: capecitabine}
- name: aml
  title: acute myeloid leukaemia
  codes:
    - {system: snomed, code: "91861009", display: Acute myeloid leukemia}
    - {system: icd10cm, code: C92.0, prefix: true}
- name: transfusion
  title: red cell transfusion
  codes:
    - {system: cpt, code: "36430", display: "Transfusion, blood or blood components"}
"""
CHEMO_4W = "rule: {medication: {valueset: oral_chemo, window: {weeks: 4}, if_absent: not_met}}"
AML_1Y = "rule: {condition: {valueset: aml, window: {years: 1}, if_absent: not_met}}"
AML_DX_6M = "rule: {condition: {valueset: aml, window: {months: 6}, dated_by: diagnosis, if_absent: not_met}}"
AML_EVER = "rule: {condition: {valueset: aml, if_absent: not_met}}"
TRANSFUSION_4W = "rule: {procedure: {valueset: transfusion, window: {weeks: 4}, if_absent: not_met}}"


def judge(tmp: Path, record: PatientRecord, rule: str) -> Any:
    criterion = f"id: exc01_x\ntext: The protocol's words.\n{rule}\n"
    rules = write_trial(tmp, {"exclusion/exc01_x": criterion}, SETS)
    return engine_for(rules).screen_one(record, "mini", AS_OF).criteria[0]


def condition(**dates: Any) -> dict[str, Any]:
    """In the shape of the R4 example condition-example2 (a coded, confirmed diagnosis)."""
    return {
        "resourceType": "Condition", "id": "aml1",
        "clinicalStatus": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-clinical",
                                       "code": dates.pop("clinical", "resolved")}]},
        "verificationStatus": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-ver-status",
                                           "code": "confirmed"}]},
        "code": {"coding": [{"system": SNOMED, "code": "91861009", "display": "Acute myeloid leukemia"},
                            {"system": ICD10, "code": "C92.00"}]},
        "subject": {"reference": "Patient/pat1"},
        **dates,
    }


def capecitabine(kind: str, status: str = "completed", **dates: Any) -> dict[str, Any]:
    """A medication resource with an RxNorm product and its ingredient, as feeds send them."""
    return {
        "resourceType": kind, "id": "cape1", "status": status,
        "medicationCodeableConcept": {"coding": [
            {"system": RXNORM, "code": "194000", "display": "capecitabine"}]},
        "subject": {"reference": "Patient/pat1"},
        **dates,
    }


def transfusion(**dates: Any) -> dict[str, Any]:
    return {"resourceType": "Procedure", "id": "tx1", "status": "completed",
            "code": {"coding": [{"system": CPT, "code": "36430"}]},
            "subject": {"reference": "Patient/pat1"}, **dates}


def result_of(tmp: Path, resource: dict[str, Any], rule: str) -> Any:
    return judge(tmp, read(patient_bundle(resource)), rule)


# -- conditions: abatement --------------------------------------------------------


@pytest.mark.parametrize(("abatement", "expected"), [
    ("2025-06", "met"),      # every day of June 2025 is inside the year up to 2026-01-15
    ("2025", "unknown"),     # 2025-01-01..2025-01-14 fall before the window, the rest inside
    ("2024", "not_met"),     # every day before the window
    ("2024-12", "not_met"),
    ("2025-01", "unknown"),  # the window starts on 2025-01-15
])
def test_partial_abatement_against_a_window(rules_root: Path, abatement: str, expected: str) -> None:
    result = result_of(rules_root, condition(onsetDateTime="2019-03-02", abatementDateTime=abatement), AML_1Y)
    assert result.result == expected
    if expected == "unknown":
        assert [e.resource for e in result.evidence] == ["Condition/aml1"]
        assert "may fall before the window" in result.reason
        assert "2025-01-01.." in result.reason


def test_abatement_period_end_partial(rules_root: Path) -> None:
    result = result_of(rules_root, condition(onsetDateTime="2019-03-02",
                                             abatementPeriod={"start": "2024-11", "end": "2025"}), AML_1Y)
    assert result.result == "unknown"


def test_a_partial_abatement_ends_no_earlier_than_the_onset(rules_root: Path) -> None:
    # abated on some day of 2025, but not before its onset 2025-06-15: inside the year on every day
    result = result_of(rules_root, condition(onsetDateTime="2025-06-15", abatementDateTime="2025"), AML_1Y)
    assert result.result == "met"


def test_a_partial_onset_begins_no_later_than_the_abatement(rules_root: Path) -> None:
    # began in 2026, but ended by 2026-01-10: it began before the as-of date on every day
    result = result_of(rules_root, condition(onsetDateTime="2026", abatementDateTime="2026-01-10"), AML_EVER)
    assert result.result == "met"


# -- conditions: onset ------------------------------------------------------------


@pytest.mark.parametrize(("onset", "expected"), [
    ("2025-09", "met"),      # diagnosed within 6 months on every day of September 2025
    ("2025-07", "unknown"),  # July 2025 straddles 2025-07-15
    ("2025", "unknown"),
    ("2025-06", "not_met"),  # every day more than 6 months ago
    ("2024", "not_met"),
])
def test_partial_onset_against_a_diagnosis_window(rules_root: Path, onset: str, expected: str) -> None:
    result = result_of(rules_root, condition(onsetDateTime=onset, clinical="active"), AML_DX_6M)
    assert result.result == expected
    if expected == "unknown":
        assert "Condition/aml1" in [e.resource for e in result.evidence]
        assert "was diagnosed on a day in" in result.reason


@pytest.mark.parametrize(("onset", "expected"), [
    ("2026", "unknown"),     # may have begun after the as-of date
    ("2026-01", "unknown"),
    ("2025-12", "met"),
    ("2026-02", "not_met"),  # begins after the as-of date on every day it may mean
])
def test_partial_onset_around_the_as_of_date(rules_root: Path, onset: str, expected: str) -> None:
    result = result_of(rules_root, condition(onsetDateTime=onset, clinical="active"), AML_EVER)
    assert result.result == expected
    if expected == "unknown":
        assert "may have begun after 2026-01-15" in result.reason


def test_onset_age_is_a_year_of_age(rules_root: Path) -> None:
    # born 1960-03-02: aged 65 from 2025-03-02 to 2026-03-01, which straddles the as-of date
    result = result_of(rules_root, condition(onsetAge={"value": 65, "system": "http://unitsofmeasure.org",
                                                       "code": "a"}, clinical="active"), AML_EVER)
    assert result.result == "unknown"


# -- medications: partial periods -------------------------------------------------


@pytest.mark.parametrize(("end", "expected"), [
    ("2026-01", "met"),      # every day of January 2026 is inside 4 weeks
    ("2025-12", "unknown"),  # 2025-12-01..17 before the window, 18..31 inside
    ("2025-11", "not_met"),
])
def test_partial_medication_end(rules_root: Path, end: str, expected: str) -> None:
    resource = capecitabine("MedicationStatement", effectivePeriod={"start": "2025-10-01", "end": end})
    assert result_of(rules_root, resource, CHEMO_4W).result == expected


@pytest.mark.parametrize(("start", "expected"), [
    ("2025-12", "met"),
    ("2026-01", "unknown"),  # may have begun after the as-of date (no end given, still active)
    ("2026-02", "not_met"),
])
def test_partial_medication_start_of_an_active_course(rules_root: Path, start: str, expected: str) -> None:
    resource = capecitabine("MedicationStatement", status="active", effectivePeriod={"start": start})
    assert result_of(rules_root, resource, CHEMO_4W).result == expected


# -- procedures: a partial single date is one day of that month, not the whole month ----


@pytest.mark.parametrize(("performed", "expected"), [
    ("2025-12-20", "met"),
    ("2025-12", "unknown"),   # old reading: the whole month, so "met"
    ("2025-11", "not_met"),
    ("2026-01", "unknown"),   # may be after the as-of date
    ("2025", "unknown"),
])
def test_partial_procedure_date(rules_root: Path, performed: str, expected: str) -> None:
    result = result_of(rules_root, transfusion(performedDateTime=performed), TRANSFUSION_4W)
    assert result.result == expected
    if expected == "unknown":
        assert [e.resource for e in result.evidence] == ["Procedure/tx1"]


def test_partial_procedure_period_end(rules_root: Path) -> None:
    result = result_of(rules_root, transfusion(performedPeriod={"start": "2025-11-01", "end": "2025-12"}),
                       TRANSFUSION_4W)
    assert result.result == "unknown"


# -- courses dated by one day -----------------------------------------------------


@pytest.mark.parametrize(("resource", "expected"), [
    # MedicationStatement.effective[x] "when the medication is/was/will be taken": a dateTime says it
    # was being taken then; a finished course may have gone on after it
    (capecitabine("MedicationStatement", effectiveDateTime="2025-11-01"), "unknown"),
    (capecitabine("MedicationStatement", status="stopped", effectiveDateTime="2025-11-01"), "unknown"),
    (capecitabine("MedicationStatement", status="active", effectiveDateTime="2025-11-01"), "met"),
    (capecitabine("MedicationStatement", effectiveDateTime="2025-12-20"), "met"),
    (capecitabine("MedicationStatement", effectiveDateTime="2026-02-01"), "not_met"),
    # MedicationRequest.authoredOn: when the order was written; the course follows it
    (capecitabine("MedicationRequest", authoredOn="2025-11-01"), "unknown"),
    (capecitabine("MedicationRequest", status="active", authoredOn="2025-11-01"), "met"),
    (capecitabine("MedicationRequest", authoredOn="2025-11-01", dosageInstruction=[{"timing": {"repeat": {
        "boundsDuration": {"value": 14, "unit": "days", "system": "http://unitsofmeasure.org", "code": "d"}}}}]),
     "not_met"),  # a 14-day course ends 2025-11-14
    (capecitabine("MedicationRequest", authoredOn="2025-12", dosageInstruction=[{"timing": {"repeat": {
        "boundsDuration": {"value": 14, "unit": "days", "system": "http://unitsofmeasure.org", "code": "d"}}}}]),
     "unknown"),  # written on some day of December: ends 2025-12-14..2026-01-13
    # MedicationDispense: the supply's days when given, else an end not given
    (capecitabine("MedicationDispense", whenHandedOver="2025-11-01"), "unknown"),
    (capecitabine("MedicationDispense", whenHandedOver="2025-11-01",
                  daysSupply={"value": 30, "unit": "Day", "system": "http://unitsofmeasure.org", "code": "d"}),
     "not_met"),
    # MedicationAdministration: one administration, that day only
    (capecitabine("MedicationAdministration", effectiveDateTime="2025-11-01T09:00:00Z"), "not_met"),
    (capecitabine("MedicationAdministration", effectiveDateTime="2025-12-18T09:00:00Z"), "met"),
    (capecitabine("MedicationAdministration", effectiveDateTime="2025-12"), "unknown"),
])
def test_courses_dated_by_one_day(rules_root: Path, resource: dict[str, Any], expected: str) -> None:
    result = result_of(rules_root, resource, CHEMO_4W)
    assert result.result == expected
    if expected == "unknown":
        assert [e.resource for e in result.evidence] == [f"{resource['resourceType']}/cape1"]


def test_a_finished_course_dated_by_one_day_says_why(rules_root: Path) -> None:
    result = result_of(rules_root, capecitabine("MedicationStatement", effectiveDateTime="2025-11-01"), CHEMO_4W)
    assert "began on 2025-11-01 and ended on a day the record does not give" in result.reason


# -- native records carry the same ranges -----------------------------------------


def native(**record: Any) -> PatientRecord:
    built = structure_record({"id": "n1", "birth_date": "1960-03-02", "sex": "female", **record}, "n1.json")
    assert isinstance(built, PatientRecord), built
    return built


AML = [{"system": SNOMED, "code": "91861009"}]
CAPE = [{"system": RXNORM, "code": "194000"}]


@pytest.mark.parametrize(("abatement", "earliest", "expected"), [
    ("2025-12-31", "2025-01-01", "unknown"),
    ("2025-12-31", "2025-06-01", "met"),
    ("2025-12-31", None, "met"),
])
def test_native_condition_ranges(rules_root: Path, abatement: str, earliest: str | None, expected: str) -> None:
    cond = {"id": "c1", "codes": AML, "onset": "2019-03-02", "abatement": abatement,
            "clinical_status": "resolved", "abatement_earliest": earliest}
    assert judge(rules_root, native(conditions=[cond]), AML_1Y).result == expected


@pytest.mark.parametrize(("med", "expected"), [
    ({"start": "2025-11-01", "end": "2025-11-01", "status": "completed"}, "not_met"),
    ({"start": "2025-11-01", "status": "completed", "end_unknown": True}, "unknown"),
    ({"start": "2025-12-01", "start_latest": "2025-12-31", "status": "completed"}, "unknown"),
    ({"start": "2025-10-01", "end": "2025-12-31", "end_earliest": "2025-12-01", "status": "completed"}, "unknown"),
])
def test_native_medication_ranges(rules_root: Path, med: dict[str, Any], expected: str) -> None:
    record = native(medications=[{"id": "m1", "codes": CAPE, **med}])
    assert judge(rules_root, record, CHEMO_4W).result == expected


def test_native_procedure_range(rules_root: Path) -> None:
    proc = {"id": "p1", "codes": [{"system": CPT, "code": "36430"}], "date": "2025-12-01",
            "date_latest": "2025-12-31", "status": "completed"}
    assert judge(rules_root, native(procedures=[proc]), TRANSFUSION_4W).result == "unknown"
