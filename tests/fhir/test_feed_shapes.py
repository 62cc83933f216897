"""Shapes real FHIR feeds send (issue 21), each deciding a criterion through a Bundle.
The resources follow the structure of the official HL7 R4 examples (our own files)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from _support import engine_for, write_trial

from tests.fhir.conftest import read
from trialrules.language.models import PatientRecord

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
        ("2025-12-17T16:20:00Z", None, "unknown"),   # 29 days before, no supply: may be taken since
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


def blood_pressure(systolic: float | None, diastolic: float = 80) -> dict[str, Any]:
    """In the shape of the R4 example observation-example-bloodpressure: a panel with components."""
    def component(code: str, display: str, value: float | None) -> dict[str, Any]:
        c: dict[str, Any] = {"code": {"coding": [{"system": "http://loinc.org", "code": code, "display": display}]}}
        if value is None:
            c["dataAbsentReason"] = {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/data-absent-reason",
                                                 "code": "not-performed"}]}
        else:
            c["valueQuantity"] = {"value": value, "unit": "mmHg", "system": "http://unitsofmeasure.org",
                                  "code": "mm[Hg]"}
        return c

    return {"resourceType": "Observation", "id": "blood-pressure", "status": "final",
            "category": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/observation-category",
                                      "code": "vital-signs"}]}],
            "code": {"coding": [{"system": "http://loinc.org", "code": "85354-9",
                                 "display": "Blood pressure panel with all children optional"}]},
            "subject": {"reference": "Patient/pat1"}, "effectiveDateTime": "2026-01-10",
            "component": [component("8480-6", "Systolic blood pressure", systolic),
                          component("8462-4", "Diastolic blood pressure", diastolic)]}


BP_RULE = """
id: inc01_bp
text: Systolic blood pressure < 160 mmHg.
rule: {measurement: {concept: systolic_bp, op: "<", value: 160, unit: "mm[Hg]", window: {days: 28}}}
"""


class TestComponents:
    @pytest.mark.parametrize(("systolic", "expected"), [(159, "met"), (160, "not_met"), (None, "unknown")])
    def test_blood_pressure_component_decides(self, rules_root: Path, systolic: float | None, expected: str) -> None:
        record = read(patient_bundle(blood_pressure(systolic)))
        result = screen(rules_root, record, BP_RULE, "inclusion/inc01_bp")
        assert result.result == expected
        if expected != "unknown":
            assert result.evidence[0].resource == "Observation/blood-pressure#component[0]"
            assert result.evidence[0].date == dt.date(2026, 1, 10)  # the parent's date

    def test_a_component_without_a_code_is_named(self) -> None:
        obs = blood_pressure(120)
        obs["component"].append({"valueQuantity": {"value": 1}})
        record = read(patient_bundle(obs))
        assert any("component has no coded code" in w and ".component[2].code" in w for w in record.warnings)


def performance_status(code: dict[str, str], value: int, rid: str) -> dict[str, Any]:
    """In the shape of mCODE STU4's lansky-performance-status-brian-l / karnofsky examples."""
    return {"resourceType": "Observation", "id": rid, "status": "final",
            "code": {"coding": [code]}, "subject": {"reference": "Patient/pat1"},
            "effectiveDateTime": "2026-01-12", "valueInteger": value,
            "method": {"coding": [{"system": "http://snomed.info/sct", "code": "5880005"}]}}


LANSKY = {"system": "http://ncicb.nci.nih.gov/xml/owl/EVS/Thesaurus.owl", "code": "C38144"}
KARNOFSKY = {"system": "http://loinc.org", "code": "89243-0", "display": "Karnofsky Performance Status score"}


class TestPerformanceStatusAsMcodeCodesIt:
    @pytest.mark.parametrize(("concept", "code", "value", "expected"), [
        ("lansky", LANSKY, 50, "met"), ("lansky", LANSKY, 40, "not_met"),
        ("karnofsky", KARNOFSKY, 50, "met"), ("karnofsky", KARNOFSKY, 40, "not_met"),
    ])
    def test_score_of_50_or_more(self, rules_root: Path, concept: str, code: dict[str, str], value: int,
                                 expected: str) -> None:
        rule = (f"id: inc01_ps\ntext: Lansky or Karnofsky score ≥ 50.\n"
                f"rule: {{measurement: {{concept: {concept}, op: '>=', value: 50, window: {{days: 28}}}}}}\n")
        record = read(patient_bundle(performance_status(code, value, f"{concept}-1")))
        assert screen(rules_root, record, rule, "inclusion/inc01_ps").result == expected


class TestReferencesResolveAgainstTheEntryBase:
    """In the shape of the R4 example bundle-references: relative references are relative to
    the service base of the referencing entry's fullUrl."""

    def _obs(self, oid: str, ref: str) -> dict[str, Any]:
        return {"resourceType": "Observation", "id": oid, "status": "final",
                "code": {"coding": [{"system": "http://loinc.org", "code": "89247-1"}]},
                "subject": {"reference": ref}, "effectiveDateTime": "2026-01-10", "valueInteger": 1}

    def test_same_base_other_base_no_base(self) -> None:
        doc = {"resourceType": "Bundle", "type": "collection", "entry": [
            {"fullUrl": "http://example.org/fhir/Patient/23",
             "resource": {"resourceType": "Patient", "id": "23", "birthDate": "1960-03-02", "gender": "male"}},
            {"fullUrl": "http://example.org/fhir/Observation/1", "resource": self._obs("1", "Patient/23")},
            {"fullUrl": "http://other.example/fhir/Observation/2", "resource": self._obs("2", "Patient/23")},
            {"resource": self._obs("3", "Patient/23")},
            {"fullUrl": "http://example.org/fhir/Observation/4",
             "resource": self._obs("4", "http://other.example/fhir/Patient/23")},
            {"fullUrl": "http://example.org/fhir/Observation/5",
             "resource": self._obs("5", "http://example.org/fhir/Patient/23/_history/2")},
        ]}
        record = read(doc)
        assert [o.id for o in record.observations] == ["1", "3", "5"]
        assert len(record.warnings) == 2
        assert "subject 'Patient/23' (that is 'http://other.example/fhir/Patient/23') is not this Bundle's " \
               "Patient; skipped" in record.warnings[0]
        assert "Observation/4" in record.warnings[1]


ANC_RULE = """
id: inc01_anc
text: ANC ≥ 1.5 × 10^9/L within 7 days.
rule: {measurement: {concept: anc, op: ">=", value: 1.5, unit: "10*9/L", window: {days: 7}}}
"""


def cbc_bundle(report_date: str | None) -> dict[str, Any]:
    """In the shape of the R4 complete-blood-count example: Observations without effective[x],
    dated by the DiagnosticReport whose result lists them."""
    base = "https://example.com/base/"
    obs = {"resourceType": "Observation", "id": "r2", "status": "final",
           "code": {"coding": [{"system": "http://loinc.org", "code": "751-8",
                                "display": "Neutrophils [#/volume] in Blood by Automated count"}]},
           "subject": {"reference": "Patient/pat1"},
           "valueQuantity": {"value": 2.0, "unit": "10*9/L", "system": "http://unitsofmeasure.org", "code": "10*9/L"}}
    entries = [
        {"fullUrl": base + "Patient/pat1",
         "resource": {"resourceType": "Patient", "id": "pat1", "birthDate": "1960-03-02", "gender": "female"}},
        {"fullUrl": base + "Observation/r2", "resource": obs},
    ]
    if report_date is not None:
        entries.insert(1, {"fullUrl": base + "DiagnosticReport/cbc", "resource": {
            "resourceType": "DiagnosticReport", "id": "cbc", "status": "final",
            "code": {"coding": [{"system": "http://loinc.org", "code": "58410-2"}]},
            "subject": {"reference": "Patient/pat1"}, "effectiveDateTime": report_date,
            "issued": "2026-01-11T11:45:33+11:00", "result": [{"reference": "Observation/r2"}]}})
    return {"resourceType": "Bundle", "type": "collection", "entry": entries}


class TestObservationsDatedByTheirReport:
    def test_the_report_dates_its_results(self, rules_root: Path) -> None:
        record = read(cbc_bundle("2026-01-10T11:45:33+11:00"))
        result = screen(rules_root, record, ANC_RULE, "inclusion/inc01_anc")
        assert result.result == "met"
        assert any("dated by DiagnosticReport/cbc" in w for w in record.warnings)
        # the evidence names the result and the report its date comes from; so does the reason
        (evidence,) = result.evidence
        assert (evidence.resource, evidence.dated_by, evidence.date) == (
            "Observation/r2", "DiagnosticReport/cbc", dt.date(2026, 1, 10))
        assert "on 2026-01-10 11:45+11:00 (dated by DiagnosticReport/cbc) meets" in result.reason
        from trialrules.language.converters import converter
        assert converter.unstructure(evidence)["dated_by"] == "DiagnosticReport/cbc"
        from trialrules.language.converters import evidence_to_dict
        assert evidence_to_dict(evidence)["dated_by"] == "DiagnosticReport/cbc"  # the CLI's writer

    def test_evidence_of_a_self_dated_result_has_no_dated_by_key(self, rules_root: Path) -> None:
        from trialrules.language.converters import converter

        obs = cbc_bundle(None)["entry"][1]["resource"]
        obs["effectiveDateTime"] = "2026-01-10"
        result = screen(rules_root, read(patient_bundle(obs)), ANC_RULE, "inclusion/inc01_anc")
        assert result.result == "met"
        assert set(converter.unstructure(result.evidence[0])) == {"resource", "value", "unit", "date"}

    def test_without_the_report_the_result_has_no_date(self, rules_root: Path) -> None:
        record = read(cbc_bundle(None))
        assert screen(rules_root, record, ANC_RULE, "inclusion/inc01_anc").result == "unknown"

    def test_a_report_dated_outside_the_window(self, rules_root: Path) -> None:
        record = read(cbc_bundle("2025-12-01"))
        assert screen(rules_root, record, ANC_RULE, "inclusion/inc01_anc").result == "unknown"

    def test_in_a_bulk_export_too(self, tmp_path: Path) -> None:
        from tests.fhir.conftest import write_bulk
        from trialrules.inputs.fhir import BulkAdapter

        entries = [e["resource"] for e in cbc_bundle("2026-01-10")["entry"]]
        write_bulk(tmp_path, {f"{r['resourceType']}.ndjson": [r] for r in entries})
        (record,) = BulkAdapter().read(tmp_path)
        assert isinstance(record, PatientRecord)
        assert record.observations[0].date == dt.date(2026, 1, 10)


class TestPanels:
    """In the shape of the R4 example observation-example-bmd / lipid panel: hasMember references."""

    def test_members_present_are_read_and_absent_ones_named(self, rules_root: Path) -> None:
        panel = {"resourceType": "Observation", "id": "cbc-panel", "status": "final",
                 "code": {"coding": [{"system": "http://loinc.org", "code": "58410-2"}]},
                 "subject": {"reference": "Patient/pat1"}, "effectiveDateTime": "2026-01-10",
                 "hasMember": [{"reference": "Observation/anc"}, {"reference": "Observation/plt"}]}
        anc = {"resourceType": "Observation", "id": "anc", "status": "final",
               "code": {"coding": [{"system": "http://loinc.org", "code": "751-8"}]},
               "subject": {"reference": "Patient/pat1"}, "effectiveDateTime": "2026-01-10",
               "valueQuantity": {"value": 2.0, "system": "http://unitsofmeasure.org", "code": "10*9/L"}}
        record = read(patient_bundle(panel, anc))
        assert screen(rules_root, record, ANC_RULE, "inclusion/inc01_anc").result == "met"
        (warning,) = record.warnings
        assert "Observation/cbc-panel: panel member 'Observation/plt' is not in this input" in warning
        assert warning.endswith("(at $.entry[1].resource.hasMember[1])")


class TestRecordsSetAsideForTheirSubject:
    """A Bundle's resources whose subject does not resolve to its Patient: in the shapes of the
    R4 examples that name a subject only by identifier (observation-example-… with
    ``subject.identifier``), by a contained Patient (``#pat``), or as another patient."""

    @staticmethod
    def _with_subject(subject: dict[str, Any], contained: bool = False) -> dict[str, Any]:
        r = dispense("2026-01-10T16:20:00Z")
        r["subject"] = subject
        if contained:
            r["contained"].append({"resourceType": "Patient", "id": "pat", "name": [{"family": "Duck"}]})
        return r

    SUBJECTS = {
        "identifier": ({"identifier": {"system": "urn:oid:1.2.36.146.595.217.0.1", "value": "12345"}}, False,
                       "subject is given only by identifier ('urn:oid:1.2.36.146.595.217.0.1|12345')"),
        "contained": ({"reference": "#pat"}, True, "subject '#pat' is a contained Patient"),
        "another patient": ({"reference": "Patient/pat2"}, False, "subject 'Patient/pat2' (that is 'http://ehr.example/fhir/Patient/pat2') "
                            "is not this Bundle's Patient"),
        "none": ({}, False, "has no subject reference"),
    }

    @pytest.mark.parametrize("shape", list(SUBJECTS))
    def test_a_record_that_would_decide_makes_the_criterion_unknown(self, rules_root: Path, shape: str) -> None:
        subject, contained, why = self.SUBJECTS[shape]
        record = read(patient_bundle(self._with_subject(subject, contained)))
        assert record.medications == ()
        (aside,) = record.set_aside
        assert aside.resource == "MedicationDispense/meddisp0301" and aside.reason.startswith(why)
        rules = write_trial(rules_root, {"exclusion/exc01_chemo": WASHOUT}, SETS)
        result = engine_for(rules).screen_one(record, "mini", AS_OF)
        (criterion,) = result.criteria
        # without the record the exclusion would be not_met (eligible): it may be this patient's
        assert criterion.result == "unknown"
        assert result.verdict == "needs_review"
        assert "MedicationDispense/meddisp0301 (set aside: its subject does not resolve to this patient) " \
               "would make it met" in criterion.reason
        assert criterion.reason.startswith("No record of oral chemotherapy")
        assert [e.resource for e in criterion.evidence] == ["MedicationDispense/meddisp0301"]
        data = result.to_dict()
        assert data["set_aside"] == [{"resource": "MedicationDispense/meddisp0301", "reason": aside.reason}]

    def test_a_record_that_would_not_change_the_result_leaves_it(self, rules_root: Path) -> None:
        obs = blood_pressure(120)
        obs["subject"] = {"reference": "Patient/pat2"}
        record = read(patient_bundle(obs, dispense("2026-01-10T16:20:00Z")))
        rules = write_trial(rules_root, {"exclusion/exc01_chemo": WASHOUT}, SETS)
        result = engine_for(rules).screen_one(record, "mini", AS_OF)
        assert result.criteria[0].result == "met"  # the patient's own dispense decides
        assert [s.resource for s in result.set_aside] == ["Observation/blood-pressure"]

    def test_none_set_aside_no_key_in_json(self, rules_root: Path) -> None:
        rules = write_trial(rules_root, {"exclusion/exc01_chemo": WASHOUT}, SETS)
        result = engine_for(rules).screen_one(read(patient_bundle()), "mini", AS_OF)
        assert result.criteria[0].result == "not_met"
        assert "set_aside" not in result.to_dict()

    def test_a_set_aside_measurement_newer_than_the_patients_own(self, rules_root: Path) -> None:
        """Latest-value rules: a set-aside result newer than the patient's own, judging otherwise."""
        own = blood_pressure(150)
        other = {**blood_pressure(170), "id": "bp-2", "effectiveDateTime": "2026-01-12",
                 "subject": {"identifier": {"value": "MRN-1"}}}
        record = read(patient_bundle(own, other))
        result = screen(rules_root, record, BP_RULE, "inclusion/inc01_bp")
        assert result.result == "unknown"
        assert [e.resource for e in result.evidence] == ["Observation/blood-pressure#component[0]",
                                                         "Observation/bp-2#component[0]"]
        assert "would make it not met" in result.reason

    def test_views_say_how_many_were_set_aside(self, rules_root: Path) -> None:
        from trialrules.views.html import render_html
        from trialrules.views.text import render_text

        obs = blood_pressure(120)
        obs["subject"] = {"reference": "Patient/pat2"}
        other = {**obs, "id": "bp-3", "subject": {"reference": "#p"}}
        rules = write_trial(rules_root, {"exclusion/exc01_chemo": WASHOUT}, SETS)
        result = engine_for(rules).screen_one(read(patient_bundle(obs, other)), "mini", AS_OF)
        assert "2 records were set aside" in render_text(result)
        assert "2 records were set aside" in render_html([result])

    def test_the_to_do_list_asks_a_person_whose_record_it_is(self, rules_root: Path) -> None:
        d = self._with_subject({"reference": "#pat"}, contained=True)
        rules = write_trial(rules_root, {"exclusion/exc01_chemo": WASHOUT}, SETS)
        result = engine_for(rules).screen_one(read(patient_bundle(d)), "mini", AS_OF)
        (item,) = result.todo()["person"]
        assert item.what == "check whose the set-aside record is" and item.criteria == ("exc01_chemo",)
        assert item.why.startswith("But MedicationDispense/meddisp0301 (set aside")


SURGERY_SETS = SETS + """
- name: radiotherapy
  title: radiotherapy
  codes:
    - {system: snomed, code: "1287742003", display: Radiotherapy}
- name: aml
  title: acute myeloid leukaemia
  codes:
    - {system: icd10cm, code: C92.0, prefix: true}
"""
RADIOTHERAPY = """
id: exc02_rt
text: Radiotherapy within 2 weeks before the first dose.
rule: {procedure: {valueset: radiotherapy, window: {weeks: 2}, if_absent: not_met}}
"""
AML_5Y = """
id: exc03_aml
text: AML within the last 5 years.
rule: {condition: {valueset: aml, window: {years: 5}, if_absent: not_met}}
"""
AML_ACTIVE = """
id: inc02_aml
text: Active acute myeloid leukaemia.
rule: {condition: {valueset: aml, status: active, if_absent: not_met}}
"""


def radiotherapy(period: dict[str, str], status: str) -> dict[str, Any]:
    """In the shape of the R4 example procedure-example-f201-tpf / mCODE's radiotherapy course
    summary: a course as performedPeriod, in progress while it runs."""
    return {"resourceType": "Procedure", "id": "rt-course", "status": status,
            "code": {"coding": [{"system": "http://snomed.info/sct", "code": "1287742003",
                                 "display": "Radiotherapy"}]},
            "subject": {"reference": "Patient/pat1"}, "performedPeriod": period}


def _clinical(code: str) -> dict[str, Any]:
    return {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-clinical", "code": code}]}


def aml_condition(**dates: Any) -> dict[str, Any]:
    """In the shape of the R4 example condition-example-f204-renal (abatement given) with an
    ICD-10-CM code."""
    return {"resourceType": "Condition", "id": "aml", "subject": {"reference": "Patient/pat1"},
            "code": {"coding": [{"system": "http://hl7.org/fhir/sid/icd-10-cm", "code": "C92.00",
                                 "display": "Acute myeloblastic leukemia, not having achieved remission"}]},
            "onsetDateTime": "2015-02-01", **dates}


class TestShapesThatCarryAnEnd:
    @pytest.mark.parametrize(("period", "status", "expected"), [
        ({"start": "2025-11-01"}, "in-progress", "met"),          # an open course still running
        ({"start": "2025-11-01"}, "completed", "unknown"),        # ended, on a day not given
        ({"start": "2026-01-05"}, "completed", "met"),            # began inside the window
        ({"start": "2025-11-01", "end": "2025-12-31"}, "completed", "not_met"),  # ended 15 days before
        ({"start": "2025-11-01", "end": "2026-01-01"}, "completed", "met"),      # ended 14 days before
    ])
    def test_procedure_performed_period(self, rules_root: Path, period: dict[str, str], status: str,
                                        expected: str) -> None:
        rules = write_trial(rules_root, {"exclusion/exc02_rt": RADIOTHERAPY}, SURGERY_SETS)
        result = engine_for(rules).screen_one(read(patient_bundle(radiotherapy(period, status))), "mini", AS_OF)
        assert result.criteria[0].result == expected
        if expected == "unknown":
            assert "began on 2025-11-01 and ended on a day the record does not give" in result.criteria[0].reason

    @pytest.mark.parametrize(("dates", "in_5_years", "active"), [
        ({"abatementDateTime": "2024-03-01"}, "met", "not_met"),
        ({"abatementDateTime": "2020-01-14"}, "not_met", "not_met"),
        ({"abatementString": "in remission since spring 2024"}, "unknown", "not_met"),
        ({"abatementAge": {"value": 63, "unit": "years", "system": "http://unitsofmeasure.org", "code": "a"}},
         "met", "not_met"),  # born 1960-03-02: the 64th year ends 2024-03-01
        ({}, "met", "met"),  # no abatement, no clinicalStatus: ongoing
        # over by its clinical status, no abatement at all: it ended on a day between 2015 and
        # now, so "within 5 years" is unknown (was not_met, taking the 2015 onset as its last day)
        ({"clinicalStatus": _clinical("resolved")}, "unknown", "not_met"),
        ({"clinicalStatus": _clinical("remission")}, "unknown", "not_met"),
        ({"clinicalStatus": _clinical("inactive")}, "unknown", "not_met"),
        ({"clinicalStatus": _clinical("resolved"), "abatementDateTime": "2020-01-14"}, "not_met", "not_met"),
        ({"clinicalStatus": _clinical("relapse")}, "met", "met"),
    ])
    def test_condition_abatement(self, rules_root: Path, dates: dict[str, Any], in_5_years: str,
                                 active: str) -> None:
        rules = write_trial(rules_root, {"exclusion/exc03_aml": AML_5Y, "inclusion/inc02_aml": AML_ACTIVE},
                            SURGERY_SETS)
        result = engine_for(rules).screen_one(read(patient_bundle(aml_condition(**dates))), "mini", AS_OF)
        got = {c.id: c.result for c in result.criteria}
        assert got == {"exc03_aml": in_5_years, "inc02_aml": active}

    @pytest.mark.parametrize(("duration", "expected"), [
        ({"value": 28, "unit": "days", "system": "http://unitsofmeasure.org", "code": "d"}, "not_met"),  # to 12-17
        ({"value": 29, "unit": "days", "system": "http://unitsofmeasure.org", "code": "d"}, "met"),      # to 12-18
        ({"value": 4, "unit": "weeks", "system": "http://unitsofmeasure.org", "code": "wk"}, "not_met"),
        ({"value": 2, "unit": "months", "system": "http://unitsofmeasure.org", "code": "mo"}, "met"),   # to 01-19
        ({"value": 28, "unit": "days"}, "met"),  # no UCUM code: the course has no known end (ongoing order)
    ])
    def test_medication_request_bounds_duration(self, rules_root: Path, duration: dict[str, Any],
                                                expected: str) -> None:
        """In the shape of the R4 example medicationrequest0302: a course "for N days" from authoredOn."""
        request = {"resourceType": "MedicationRequest", "id": "medrx0302", "status": "active", "intent": "order",
                   "medicationCodeableConcept": {"coding": [{"system": RXNORM, "code": "200328",
                                                             "display": "capecitabine 500 MG Oral Tablet"},
                                                            {"system": ATC, "code": "L01BC06"}]},
                   "subject": {"reference": "Patient/pat1"}, "authoredOn": "2025-11-20",
                   "dosageInstruction": [{"sequence": 1, "text": "1250 mg/m2 twice daily",
                                          "timing": {"repeat": {"boundsDuration": duration, "frequency": 2,
                                                                "period": 1, "periodUnit": "d"}}}]}
        record = read(patient_bundle(request))
        assert screen(rules_root, record, WASHOUT, "exclusion/exc01_chemo").result == expected
        if "code" not in duration:
            assert any("boundsDuration" in w and "no end" in w for w in record.warnings)

    def test_text_only_coded_result(self, rules_root: Path) -> None:
        """valueCodeableConcept with only text, as many lab feeds send a qualitative result."""
        sets = SETS + """
- name: hiv_test
  title: HIV-1/2 antibody
  codes: [{system: loinc, code: 7917-8}]
- name: positive
  codes: [{system: snomed, code: "10828004", display: Positive}]
"""
        rule = "id: exc04_hiv\ntext: Known HIV infection.\nrule: {measurement: {concept: hiv_test, result_in: positive}}\n"
        for text, expected in (("Non-reactive", "not_met"), ("REACTIVE", "met"), ("see scanned report", "unknown")):
            obs = {"resourceType": "Observation", "id": "hiv", "status": "final",
                   "code": {"coding": [{"system": "http://loinc.org", "code": "7917-8"}]},
                   "subject": {"reference": "Patient/pat1"}, "effectiveDateTime": "2026-01-10",
                   "valueCodeableConcept": {"text": text}}
            rules = write_trial(rules_root, {"exclusion/exc04_hiv": rule}, sets)
            got = engine_for(rules).screen_one(read(patient_bundle(obs)), "mini", AS_OF).criteria[0]
            assert (text, got.result) == (text, expected)

    def test_immunization_occurrence_string(self, rules_root: Path) -> None:
        """In the shape of the R4 example immunization-historical: occurrenceString only."""
        sets = SETS + "\n- name: live\n  title: live vaccine\n  codes: [{system: cvx, code: '03'}]\n"
        rule = "id: exc05_live\ntext: Live vaccine within 30 days.\nrule: {immunization: {valueset: live, window: {days: 30}, if_absent: not_met}}\n"
        imm = {"resourceType": "Immunization", "id": "historical", "status": "completed",
               "vaccineCode": {"coding": [{"system": "http://hl7.org/fhir/sid/cvx", "code": "03"}]},
               "patient": {"reference": "Patient/pat1"}, "occurrenceString": "January 2026", "primarySource": False}
        rules = write_trial(rules_root, {"exclusion/exc05_live": rule}, sets)
        record = read(patient_bundle(imm))
        got = engine_for(rules).screen_one(record, "mini", AS_OF).criteria[0]
        assert got.result == "unknown" and "cannot be placed in time" in got.reason
        assert any("occurrenceString" in w for w in record.warnings)


class TestMedicationCoursesWithoutAnEnd:
    """In the shape of the R4 examples medicationstatementexample1 / medicationadministration0302:
    a course given as effectivePeriod with a start and no end."""

    @staticmethod
    def _statement(kind: str, status: str, period: dict[str, str]) -> dict[str, Any]:
        return {"resourceType": kind, "id": "course1", "status": status,
                "medicationCodeableConcept": {"coding": [{"system": RXNORM, "code": "200328",
                                                          "display": "capecitabine 500 MG Oral Tablet"}]},
                "subject": {"reference": "Patient/pat1"}, "effectivePeriod": period}

    @pytest.mark.parametrize(("kind", "status", "period", "expected"), [
        ("MedicationStatement", "active", {"start": "2025-11-01"}, "met"),        # still taken
        ("MedicationStatement", "completed", {"start": "2025-11-01"}, "unknown"),  # ended, day not given
        ("MedicationStatement", "stopped", {"start": "2025-11-01"}, "unknown"),
        ("MedicationStatement", "unknown", {"start": "2025-11-01"}, "unknown"),
        ("MedicationStatement", "completed", {"start": "2025-11-01", "end": "2025-12-17"}, "not_met"),
        ("MedicationStatement", "completed", {"start": "2025-12-20"}, "met"),      # began inside
        ("MedicationAdministration", "in-progress", {"start": "2025-11-01"}, "met"),
        ("MedicationAdministration", "completed", {"start": "2025-11-01"}, "unknown"),
    ])
    def test_open_period(self, rules_root: Path, kind: str, status: str, period: dict[str, str],
                         expected: str) -> None:
        record = read(patient_bundle(self._statement(kind, status, period)))
        result = screen(rules_root, record, WASHOUT, "exclusion/exc01_chemo")
        assert result.result == expected
        if expected == "unknown":
            assert "began on 2025-11-01 and ended on a day the record does not give" in result.reason

    @pytest.mark.parametrize(("supply", "expected"), [
        ({"value": 4, "unit": "weeks", "system": "http://unitsofmeasure.org", "code": "wk"}, "not_met"),  # to 12-17
        ({"value": 5, "unit": "weeks", "system": "http://unitsofmeasure.org", "code": "wk"}, "met"),      # to 12-24
        ({"value": 1, "unit": "month", "system": "http://unitsofmeasure.org", "code": "mo"}, "met"),      # to 12-19
    ])
    def test_dispense_supply_in_weeks_or_months(self, rules_root: Path, supply: dict[str, Any],
                                                expected: str) -> None:
        d = dispense("2025-11-20T16:20:00Z")
        d["daysSupply"] = supply
        assert screen(rules_root, read(patient_bundle(d)), WASHOUT, "exclusion/exc01_chemo").result == expected
