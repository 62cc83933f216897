"""Each resource type of CONTRACT.md section 5, its fields and its status rules."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from tests.fhir.conftest import LOINC, UCUM, concept, make_bundle, read, with_subject
from trialrules.language.models import Coding, Quantity, ReferenceRange

D = dt.date
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
ICD = "http://hl7.org/fhir/sid/icd-10-cm"
TERM = "http://terminology.hl7.org/CodeSystem/"


def one(resource: dict[str, Any], attr: str) -> Any:
    """The single item of ``attr`` the resource gives (asserts there is exactly one)."""
    items = getattr(read(make_bundle(with_subject(resource))), attr)
    assert len(items) == 1, items
    return items[0]


def none_of(resource: dict[str, Any], attr: str) -> None:
    assert getattr(read(make_bundle(with_subject(resource))), attr) == ()


def warnings_of(*resources: dict[str, Any], patient: dict[str, Any] | None = None) -> list[str]:
    subjects = [with_subject(r) for r in resources]
    doc = make_bundle(*subjects, patient=patient) if patient else make_bundle(*subjects)
    return list(read(doc).warnings)


def status_cc(system: str, code: str) -> dict[str, Any]:
    return {"coding": [{"system": TERM + system, "code": code}]}


# -- Patient ---------------------------------------------------------------------


def test_patient_fields() -> None:
    record = read(make_bundle())
    assert (record.id, record.birth_date, record.sex) == ("p1", D(1970, 5, 1), "female")
    assert record.source == "test.json"
    assert record.warnings == ()


@pytest.mark.parametrize("gender", ["female", "male", "other", "unknown"])
def test_patient_genders(gender: str) -> None:
    assert read(make_bundle(patient={"resourceType": "Patient", "id": "p1", "gender": gender})).sex == gender


def test_patient_bad_gender_and_partial_birth_date_warn() -> None:
    patient = {"resourceType": "Patient", "id": "p1", "gender": "F", "birthDate": "1970-05"}
    record = read(make_bundle(patient=patient))
    assert record.sex is None and record.birth_date is None
    assert any("gender 'F'" in w for w in record.warnings)
    assert any("birthDate '1970-05' gives only the month; age is unknown" in w
               and "(at $.entry[0].resource.birthDate)" in w for w in record.warnings)


def test_patient_birth_date_not_a_date() -> None:
    patient = {"resourceType": "Patient", "id": "p1", "birthDate": "01/05/1970"}
    record = read(make_bundle(patient=patient))
    assert record.birth_date is None
    assert record.warnings == (
        "test.json:Patient/p1: '01/05/1970' is not a FHIR date; the date is not used "
        "(at $.entry[0].resource.birthDate)",
    )


# -- Observation -----------------------------------------------------------------

OBS = {"resourceType": "Observation", "id": "o1", "status": "final", "code": concept("751-8"),
       "effectiveDateTime": "2026-01-10"}


def test_observation_quantity_and_all_codings() -> None:
    res = {**OBS, "code": {"coding": [
        {"system": LOINC, "code": "751-8", "display": "Neutrophils"},
        {"system": "http://acme.example/lab", "code": "ANC"},
        {"system": LOINC},  # no code: not a usable coding
    ]}, "valueQuantity": {"value": 1.8, "unit": "x10^9/L", "system": UCUM, "code": "10*9/L"},
        "referenceRange": [{"low": {"value": 1.8, "system": UCUM, "code": "10*9/L"},
                            "high": {"value": 7.7, "system": UCUM, "code": "10*9/L"}}]}
    obs = one(res, "observations")
    assert obs.codes == (Coding("751-8", LOINC, "Neutrophils"), Coding("ANC", "http://acme.example/lab"))
    assert obs.value == Quantity(1.8, "10*9/L")
    assert obs.date == D(2026, 1, 10)
    assert obs.reference_ranges == (ReferenceRange(Quantity(1.8, "10*9/L"), Quantity(7.7, "10*9/L")),)
    assert obs.status == "final"


def test_observation_value_types() -> None:
    cc = {"coding": [{"system": "http://snomed.info/sct", "code": "260385009"}], "text": "Negative"}
    assert one({**OBS, "valueCodeableConcept": cc}, "observations").value == Coding(
        "260385009", "http://snomed.info/sct", "Negative")
    assert one({**OBS, "valueCodeableConcept": {"text": "reactive"}}, "observations").value == "reactive"
    assert one({**OBS, "valueBoolean": False}, "observations").value is False
    assert one({**OBS, "valueString": "positive"}, "observations").value == "positive"
    integer = one({**OBS, "valueInteger": 2}, "observations").value
    assert integer == 2 and isinstance(integer, int)
    # a dimensionless UCUM unit (1, {INR}) is a plain number, as native records give it
    assert one({**OBS, "valueQuantity": {"value": 1.1, "system": UCUM, "code": "{INR}"}},
               "observations").value == 1.1
    assert one({**OBS, "valueQuantity": {"value": 3, "system": UCUM, "code": "1"}},
               "observations").value == 3.0
    assert one({**OBS}, "observations").value is None


def test_observation_value_wrong_json_types_warn() -> None:
    obs = one({**OBS, "valueInteger": True}, "observations")
    assert obs.value is None
    obs = one({**OBS, "valueRatio": {"numerator": {"value": 1}}}, "observations")
    assert obs.value is None
    assert any("valueRatio is not read" in w for w in warnings_of({**OBS, "valueRatio": {}}))


def test_quantity_without_unit_code_is_kept_without_unit_and_warned() -> None:
    res = {**OBS, "valueQuantity": {"value": 1.8, "unit": "10^9/L"}}
    obs = one(res, "observations")
    assert obs.value == Quantity(1.8, None)
    (warning,) = warnings_of(res)
    assert warning == (
        "test.json:Observation/o1: Quantity has no UCUM unit code (unit text '10^9/L' is not a code); "
        "the value has no usable unit (at $.entry[1].resource.valueQuantity.code)")


def test_quantity_non_ucum_system_and_comparator() -> None:
    res = {**OBS, "valueQuantity": {"value": 1.8, "system": "http://acme.example/units", "code": "K/uL"}}
    assert one(res, "observations").value == Quantity(1.8, None)
    assert "is not UCUM" in warnings_of(res)[0]
    res = {**OBS, "valueQuantity": {"value": 20, "comparator": "<", "system": UCUM, "code": "[IU]/mL"}}
    assert one(res, "observations").value == Quantity(20, "[IU]/mL", "<")  # a bound, judged as one
    assert warnings_of(res) == []
    res = {**OBS, "valueQuantity": {"value": 20, "comparator": "ad", "system": UCUM, "code": "[IU]/mL"}}
    assert one(res, "observations").value is None
    assert "comparator 'ad', which is not a bound" in warnings_of(res)[0]
    res = {**OBS, "valueQuantity": {"system": UCUM, "code": "g/dL"}}
    assert one(res, "observations").value is None
    # a code without a system is read as UCUM (the usual shortcut in feeds)
    assert one({**OBS, "valueQuantity": {"value": 12, "code": "g/dL"}}, "observations").value == Quantity(12, "g/dL")


@pytest.mark.parametrize("status", ["entered-in-error", "cancelled", "preliminary"])
def test_observation_statuses_skipped(status: str) -> None:
    none_of({**OBS, "status": status}, "observations")


@pytest.mark.parametrize("status", ["final", "amended", "corrected", "registered", "unknown"])
def test_observation_statuses_kept(status: str) -> None:
    assert one({**OBS, "status": status}, "observations").status == status


def test_observation_dates() -> None:
    base = {k: v for k, v in OBS.items() if k != "effectiveDateTime"}
    instant = one({**base, "effectiveInstant": "2026-01-09T10:00:00Z"}, "observations")
    assert (instant.date, instant.effective) == (D(2026, 1, 9), "2026-01-09T10:00:00Z")
    period = {"start": "2026-01-01", "end": "2026-01-03"}
    assert one({**base, "effectivePeriod": period}, "observations").date == D(2026, 1, 3)
    assert one({**base, "effectivePeriod": {"start": "2026-01-01"}}, "observations").date == D(2026, 1, 1)
    # issued never stands in for effective[x] (CONTRACT.md section 5)
    assert one({**base, "issued": "2026-01-11T10:00:00+01:00"}, "observations").date is None
    assert one(base, "observations").date is None
    # effective wins over issued
    assert one({**OBS, "issued": "2026-01-12T00:00:00Z"}, "observations").date == D(2026, 1, 10)


def test_observation_partial_date_is_kept_as_written_and_a_bad_one_is_not_used() -> None:
    res = {**OBS, "effectiveDateTime": "2026-01"}
    obs = one(res, "observations")
    assert (obs.date, obs.effective) == (None, "2026-01")
    assert "gives only the month; the result is judged only where every day it may mean agrees" in warnings_of(res)[0]
    res = {**OBS, "effectiveDateTime": "10 Jan 2026"}
    assert one(res, "observations").date is None
    (warning,) = warnings_of(res)
    assert warning == ("test.json:Observation/o1: '10 Jan 2026' is not a FHIR dateTime; the date is "
                       "not used (at $.entry[1].resource.effectiveDateTime)")
    # an unusable effective date does not fall back to issued
    assert one({**res, "issued": "2026-01-11T00:00:00Z"}, "observations").date is None


def test_reference_range_prefers_the_normal_range() -> None:
    res = {**OBS, "referenceRange": [
        {"type": status_cc("referencerange-meaning", "treatment"), "high": {"value": 99, "code": "U/L"}},
        {"type": status_cc("referencerange-meaning", "normal"), "high": {"value": 40, "code": "U/L"}},
    ]}
    assert one(res, "observations").reference_ranges == (ReferenceRange(None, Quantity(40, "U/L")),)
    assert one({**OBS, "referenceRange": [{"text": "<40"}]}, "observations").reference_ranges == ()


def test_observation_without_codes_warns() -> None:
    res = {**OBS, "code": {"text": "neutrophils"}}
    assert one(res, "observations").codes == ()
    assert "has no coded code" in warnings_of(res)[0]


# -- Condition -------------------------------------------------------------------

COND = {"resourceType": "Condition", "id": "c1", "code": concept("C34.90", ICD),
        "clinicalStatus": status_cc("condition-clinical", "active"),
        "verificationStatus": status_cc("condition-ver-status", "confirmed"),
        "onsetDateTime": "2024-03-01", "abatementDateTime": "2025-01-31T10:00:00Z",
        "recordedDate": "2024-03-05"}


def test_condition_fields() -> None:
    c = one(COND, "conditions")
    assert c.codes == (Coding("C34.90", ICD),)
    assert (c.clinical_status, c.verification_status) == ("active", "confirmed")
    assert (c.onset, c.abatement, c.recorded) == (D(2024, 3, 1), D(2025, 1, 31), D(2024, 3, 5))


@pytest.mark.parametrize("status", ["refuted", "entered-in-error"])
def test_condition_verification_skipped(status: str) -> None:
    none_of({**COND, "verificationStatus": status_cc("condition-ver-status", status)}, "conditions")


@pytest.mark.parametrize("status", ["unconfirmed", "provisional", "differential", "confirmed"])
def test_condition_verification_kept(status: str) -> None:
    cond = {**COND, "verificationStatus": status_cc("condition-ver-status", status)}
    assert one(cond, "conditions").verification_status == status


def test_condition_onset_forms() -> None:
    base = {k: v for k, v in COND.items() if not k.startswith(("onset", "abatement"))}
    age = {"value": 50, "unit": "years", "system": UCUM, "code": "a"}
    assert one({**base, "onsetAge": age}, "conditions").onset == D(2020, 5, 1)
    assert one({**base, "abatementAge": age}, "conditions").abatement == D(2021, 4, 30)
    assert one({**base, "onsetAge": {**age, "value": 6, "code": "mo"}}, "conditions").onset == D(1970, 11, 1)
    assert one({**base, "onsetPeriod": {"start": "2020-02-02", "end": "2020-03-03"}},
               "conditions").onset == D(2020, 2, 2)
    assert one({**base, "abatementPeriod": {"start": "2021-02-02", "end": "2021-03-03"}},
               "conditions").abatement == D(2021, 3, 3)
    rng = {"low": {**age, "value": 40}, "high": {**age, "value": 45}}
    c = one({**base, "onsetRange": rng, "abatementRange": rng}, "conditions")
    assert (c.onset, c.abatement) == (D(2010, 5, 1), D(2016, 4, 30))
    res = {**base, "onsetString": "childhood"}
    assert one(res, "conditions").onset is None
    assert "'childhood' is text, not a date" in warnings_of(res)[0]
    assert one({**base, "abatementBoolean": True}, "conditions").abatement is None


def test_condition_onset_age_needs_a_birth_date() -> None:
    res = {**COND, "onsetAge": {"value": 50, "system": UCUM, "code": "a"}}
    del res["onsetDateTime"]
    patient = {"resourceType": "Patient", "id": "p1"}
    record = read(make_bundle(with_subject(res), patient=patient))
    assert record.conditions[0].onset is None
    assert any("cannot be dated without a full birthDate" in w for w in record.warnings)


def test_condition_partial_dates_keep_every_day_they_may_mean() -> None:
    res = {**COND, "onsetDateTime": "2019", "abatementDateTime": "2020-02", "recordedDate": "2020"}
    c = one(res, "conditions")
    assert (c.onset, c.onset_latest) == (D(2019, 1, 1), D(2019, 12, 31))
    assert (c.abatement_earliest, c.abatement) == (D(2020, 2, 1), D(2020, 2, 29))
    assert (c.recorded, c.recorded_latest) == (D(2020, 1, 1), D(2020, 12, 31))
    warnings = warnings_of(res)
    assert "'2019' gives only the year; a window is judged only where every day it may mean agrees" \
        in " ".join(warnings)
    assert "'2020-02' gives only the month; a window is judged only" in " ".join(warnings)
    # full dates: exact, no second day
    c = one({**COND, "onsetDateTime": "2019-03-04", "abatementDateTime": "2020-02-01"}, "conditions")
    assert (c.onset_latest, c.abatement_earliest) == (None, None)


def test_condition_age_is_every_day_of_that_year_of_age() -> None:
    base = {k: v for k, v in COND.items() if not k.startswith("onset")}
    c = one({**base, "onsetAge": {"value": 50, "system": UCUM, "code": "a"}}, "conditions")
    assert (c.onset, c.onset_latest) == (D(2020, 5, 1), D(2021, 4, 30))


# -- Medications -----------------------------------------------------------------

CARBO = concept("40048", RXNORM, "carboplatin")


def med(kind: str, **fields: Any) -> dict[str, Any]:
    return {"resourceType": kind, "id": "m1", "status": "completed",
            "medicationCodeableConcept": CARBO, **fields}


def test_medication_statement() -> None:
    m = one(med("MedicationStatement", effectivePeriod={"start": "2024-04-01", "end": "2024-09-01"}),
            "medications")
    assert m.codes == (Coding("40048", RXNORM, "carboplatin"),)
    assert (m.start, m.end, m.status, m.source) == (D(2024, 4, 1), D(2024, 9, 1), "completed",
                                                    "MedicationStatement")
    # one day: taken then, and perhaps after it (the course's end is not given)
    m = one(med("MedicationStatement", effectiveDateTime="2024-04-02"), "medications")
    assert (m.start, m.start_latest, m.end, m.end_unknown) == (D(2024, 4, 2), None, None, True)
    # a month-only single date: begun on some day of the month
    m = one(med("MedicationStatement", effectiveDateTime="2024-04"), "medications")
    assert (m.start, m.start_latest, m.end, m.end_unknown) == (D(2024, 4, 1), D(2024, 4, 30), None, True)
    # a partial period: each end keeps every day it may mean
    m = one(med("MedicationStatement", effectivePeriod={"start": "2024-04", "end": "2024"}), "medications")
    assert (m.start, m.start_latest, m.end_earliest, m.end) == (D(2024, 4, 1), D(2024, 4, 30),
                                                              D(2024, 1, 1), D(2024, 12, 31))


def test_medication_administration() -> None:
    # one administration: that day only
    m = one(med("MedicationAdministration", effectiveDateTime="2025-12-01T09:00:00Z"), "medications")
    assert (m.start, m.end, m.end_unknown, m.source) == (D(2025, 12, 1), None, False, "MedicationAdministration")
    m = one(med("MedicationAdministration", effectiveDateTime="2025-12"), "medications")
    assert (m.start, m.start_latest, m.end, m.end_unknown) == (D(2025, 12, 1), D(2025, 12, 31), None, False)


def test_medication_request() -> None:
    m = one(med("MedicationRequest", status="active", authoredOn="2025-11-01"), "medications")
    assert (m.start, m.end, m.source) == (D(2025, 11, 1), None, "MedicationRequest")
    bounds = [{"timing": {"repeat": {"boundsPeriod": {"start": "2025-11-03", "end": "2025-12-01"}}}},
              {"timing": {"repeat": {"boundsPeriod": {"start": "2025-11-05", "end": "2025-12-20"}}}}]
    m = one(med("MedicationRequest", authoredOn="2025-11-01", dosageInstruction=bounds), "medications")
    assert (m.start, m.end) == (D(2025, 11, 3), D(2025, 12, 20))
    bounds.append({"timing": {"repeat": {"boundsPeriod": {"start": "2025-11-04"}}}})
    m = one(med("MedicationRequest", authoredOn="2025-11-01", dosageInstruction=bounds), "medications")
    assert m.end is None


@pytest.mark.parametrize(("kind", "status"), [
    ("MedicationStatement", "entered-in-error"), ("MedicationStatement", "not-taken"),
    ("MedicationAdministration", "entered-in-error"), ("MedicationAdministration", "not-done"),
    ("MedicationRequest", "entered-in-error"), ("MedicationRequest", "cancelled"),
    ("MedicationRequest", "draft"),
])
def test_medication_statuses_skipped(kind: str, status: str) -> None:
    none_of(med(kind, status=status), "medications")


@pytest.mark.parametrize(("kind", "status"), [
    ("MedicationStatement", "stopped"), ("MedicationStatement", "active"),
    ("MedicationStatement", "intended"), ("MedicationAdministration", "stopped"),
    ("MedicationAdministration", "in-progress"), ("MedicationRequest", "stopped"),
    ("MedicationRequest", "completed"), ("MedicationRequest", "on-hold"),
])
def test_medication_statuses_kept(kind: str, status: str) -> None:
    assert one(med(kind, status=status), "medications").status == status


def test_contained_medication_with_ingredients() -> None:
    contained = {"resourceType": "Medication", "id": "m", "code": concept("1736854", RXNORM, "product"),
                 "ingredient": [{"itemCodeableConcept": CARBO},
                                {"itemCodeableConcept": concept("1736854", RXNORM, "product")}]}
    res = {"resourceType": "MedicationStatement", "id": "m1", "status": "active",
           "contained": [contained], "medicationReference": {"reference": "#m"}}
    m = one(res, "medications")
    # the product code, then the ingredient codes apart; duplicates once
    assert m.codes == (Coding("1736854", RXNORM, "product"),)
    assert m.ingredients == (Coding("40048", RXNORM, "carboplatin"),)


@pytest.mark.parametrize("ref", ["Medication/med1", "https://ehr.example/fhir/Medication/med1",
                                 "urn:uuid:0b6e6f76-8a43-4e0a-b9c2-111111111111"])
def test_bundled_medication_reference_forms(ref: str) -> None:
    medication = {"resourceType": "Medication", "id": "med1",
                  "ingredient": [{"itemCodeableConcept": CARBO}]}
    res = with_subject({"resourceType": "MedicationAdministration", "id": "m1", "status": "completed",
                        "medicationReference": {"reference": ref}})
    doc = make_bundle(res)
    doc["entry"].append({"fullUrl": "urn:uuid:0b6e6f76-8a43-4e0a-b9c2-111111111111", "resource": medication})
    record = read(doc)
    assert record.medications[0].ingredients == (Coding("40048", RXNORM, "carboplatin"),)


def test_ingredient_item_reference_to_a_contained_medication() -> None:
    contained: list[dict[str, Any]] = [
        {"resourceType": "Medication", "id": "prod", "ingredient": [{"itemReference": {"reference": "#ing"}}]},
        {"resourceType": "Medication", "id": "ing", "code": CARBO},
    ]
    # the ingredient is contained in the MedicationStatement, referenced from the product
    res = {"resourceType": "MedicationStatement", "id": "m1", "status": "active", "contained": contained,
           "medicationReference": {"reference": "#prod"}}
    product = {**contained[0], "contained": [contained[1]]}
    res_nested = {**res, "contained": [product]}
    assert one(res, "medications").ingredients == (Coding("40048", RXNORM, "carboplatin"),)
    assert one(res_nested, "medications").ingredients == (Coding("40048", RXNORM, "carboplatin"),)


def test_unresolvable_medication_reference_warns() -> None:
    res = {"resourceType": "MedicationStatement", "id": "m1", "status": "active",
           "medicationReference": {"reference": "Medication/nowhere"}}
    assert one(res, "medications").codes == ()
    assert "neither a contained nor a bundled Medication" in warnings_of(res)[0]


# -- Procedure -------------------------------------------------------------------

PROC = {"resourceType": "Procedure", "id": "pr1", "status": "completed",
        "code": concept("387713003", "http://snomed.info/sct"), "performedDateTime": "2024-02-01"}


def test_procedure_fields() -> None:
    p = one(PROC, "procedures")
    assert (p.date, p.end, p.status) == (D(2024, 2, 1), None, "completed")
    base = {k: v for k, v in PROC.items() if k != "performedDateTime"}
    p = one({**base, "performedPeriod": {"start": "2024-02-01", "end": "2024-02-03"}}, "procedures")
    assert (p.date, p.end) == (D(2024, 2, 1), D(2024, 2, 3))
    # a month: one day of it, not a period over the whole month
    p = one({**PROC, "performedDateTime": "2024-02"}, "procedures")
    assert (p.date, p.date_latest, p.end) == (D(2024, 2, 1), D(2024, 2, 29), None)
    p = one({**base, "performedAge": {"value": 50, "system": UCUM, "code": "a"}}, "procedures")
    assert (p.date, p.date_latest) == (D(2020, 5, 1), D(2021, 4, 30))


@pytest.mark.parametrize("status", ["entered-in-error", "not-done", "preparation"])
def test_procedure_statuses_skipped(status: str) -> None:
    none_of({**PROC, "status": status}, "procedures")


@pytest.mark.parametrize("status", ["completed", "in-progress", "stopped", "on-hold", "unknown"])
def test_procedure_statuses_kept(status: str) -> None:
    assert one({**PROC, "status": status}, "procedures").status == status


# -- AllergyIntolerance ------------------------------------------------------------

ALLERGY = {"resourceType": "AllergyIntolerance", "id": "a1", "code": concept("7980", RXNORM),
           "clinicalStatus": status_cc("allergyintolerance-clinical", "active"),
           "verificationStatus": status_cc("allergyintolerance-verification", "confirmed"),
           "onsetDateTime": "2001-06-01"}


def test_allergy_fields() -> None:
    a = one(ALLERGY, "allergies")
    assert (a.codes, a.clinical_status, a.verification_status, a.date) == (
        (Coding("7980", RXNORM),), "active", "confirmed", D(2001, 6, 1))
    base = {k: v for k, v in ALLERGY.items() if k != "onsetDateTime"}
    assert one({**base, "recordedDate": "2002-01-01"}, "allergies").date == D(2002, 1, 1)


@pytest.mark.parametrize("status", ["refuted", "entered-in-error"])
def test_allergy_statuses_skipped(status: str) -> None:
    res = {**ALLERGY, "verificationStatus": status_cc("allergyintolerance-verification", status)}
    none_of(res, "allergies")


def test_allergy_subject_is_patient_field() -> None:
    res = {**ALLERGY, "subject": {"reference": "Patient/p1"}}  # wrong element: not attributed
    record = read(make_bundle(res))
    assert record.allergies == ()
    assert "has no patient reference" in record.warnings[0]


# -- Immunization ----------------------------------------------------------------

IMM = {"resourceType": "Immunization", "id": "i1", "status": "completed",
       "vaccineCode": concept("141", "http://hl7.org/fhir/sid/cvx"), "occurrenceDateTime": "2025-10-01"}


def test_immunization_fields() -> None:
    i = one(IMM, "immunizations")
    assert (i.codes[0].code, i.date, i.status) == ("141", D(2025, 10, 1), "completed")
    res = {**{k: v for k, v in IMM.items() if k != "occurrenceDateTime"}, "occurrenceString": "last fall"}
    assert one(res, "immunizations").date is None
    assert "'last fall' is text" in warnings_of(res)[0]
    res = {**IMM, "occurrenceDateTime": "2025-10"}
    assert one(res, "immunizations").date is None
    assert "gives only the month; the date is not used" in warnings_of(res)[0]


@pytest.mark.parametrize("status", ["entered-in-error", "not-done"])
def test_immunization_statuses_skipped(status: str) -> None:
    none_of({**IMM, "status": status}, "immunizations")


# -- QuestionnaireResponse ---------------------------------------------------------


def qr(status: str = "completed", authored: str | None = None, **answers: Any) -> dict[str, Any]:
    res: dict[str, Any] = {"resourceType": "QuestionnaireResponse", "id": f"q{len(answers)}{authored}",
                           "status": status, "item": [
                               {"linkId": k, "answer": [{"valueBoolean": v}]} for k, v in answers.items()]}
    if authored:
        res["authored"] = authored
    return res


def attest(*resources: dict[str, Any]) -> dict[str, bool]:
    return read(make_bundle(*(with_subject(r) for r in resources))).attestations


def test_attestations_nested_items() -> None:
    res = {"resourceType": "QuestionnaireResponse", "id": "q", "status": "amended", "item": [
        {"linkId": "group", "item": [
            {"linkId": "inc08_contraception", "answer": [{"valueBoolean": True}]},
            {"linkId": "cel001:exc15_investigator", "answer": [{"valueBoolean": False}]},
            {"linkId": "free_text", "answer": [{"valueString": "yes"}]},
            {"linkId": "parent", "answer": [{"valueBoolean": True, "item": [
                {"linkId": "child", "answer": [{"valueBoolean": False}]}]}]},
        ]}]}
    assert attest(res) == {"inc08_contraception": True, "cel001:exc15_investigator": False,
                           "parent": True, "child": False}


@pytest.mark.parametrize("status", ["in-progress", "stopped", "entered-in-error"])
def test_attestations_need_a_finished_response(status: str) -> None:
    assert attest(qr(status, inc01=True)) == {}


def test_latest_response_wins() -> None:
    later, earlier = qr(authored="2026-01-10", inc01=False), qr(authored="2026-01-01", inc01=True, inc02=True)
    assert attest(later, earlier) == {"inc01": False, "inc02": True}


def test_same_day_responses_that_disagree_decide_nothing_in_any_order() -> None:
    """Two responses authored on the same day answer inc01 differently: neither is used
    (whatever their order in the Bundle), the agreeing answer stays, and a warning names both."""
    yes = qr(authored="2026-01-10", inc01=True, inc02=True)
    no = {**qr(authored="2026-01-10", inc01=False, inc02=True), "id": "q-other"}
    for order in ((yes, no), (no, yes)):
        assert attest(*order) == {"inc02": True}
    assert any("answer 'inc01' differently on the same day" in str(w) for w in warnings_of(yes, no))


def test_a_later_response_still_decides_after_a_same_day_conflict() -> None:
    yes, no = qr(authored="2026-01-10", inc01=True), {**qr(authored="2026-01-10", inc01=False), "id": "q-other"}
    assert attest(yes, no, qr(authored="2026-01-12", inc01=True)) == {"inc01": True}
