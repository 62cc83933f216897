"""Property-based: one rule node, random patients, both engines give the same result objects,
and the rules compiled to SQL (``--format csv`` on DuckDB) the same verdict rows.

Each example is a trial with a single criterion (a measurement with a unit, a ×ULN limit,
a coded result, a record search with ICD-10-CM prefixes, sex, an attestation) and a
handful of FHIR patients whose values, units, comparators, dates (window edges, same-day
ties, times, partial dates) and codes are drawn by hypothesis. The export is read by
the per-patient engine and by the DuckDB engine, and the results must be equal.
"""

from __future__ import annotations

import datetime as dt
import json
import tempfile
from pathlib import Path
from typing import Any

import pytest
from _support import engine_for, write_trial
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from trialrules import read_patients
from trialrules.population import population_records
from trialrules.views.csvout import csv_row

pytest.importorskip("duckdb")

AS_OF = dt.date(2026, 1, 15)
LOINC = "http://loinc.org"
ICD = "http://hl7.org/fhir/sid/icd-10-cm"
SNOMED = "http://snomed.info/sct"
RULES = {
    "anc_units": 'rule: {measurement: {concept: anc, op: ">=", value: 1.5, unit: "10*9/L", window: {days: 7}}}',
    "creatinine_uln": 'rule: {measurement: {concept: creatinine, op: "<=", uln: 1.5, window: {days: 14}}}',
    "hbsag_positive": "rule: {measurement: {concept: hbsag, result_in: positive_results, window: {days: 28}}}",
    "aml_search": "rule: {condition: {valueset: aml, if_absent: not_met, window: {years: 1}}}",
    "female": "rule: {sex: female}",
    "attested": "rule: {attestation: {}}",
    "adult": 'rule: {derived: {function: age_years, op: ">=", value: 18}}',
    # Kleene logic over leaves SQL decides and leaves it may leave open
    "logic": ('rule: {if: {condition: {condition: {valueset: aml, if_absent: not_met, status: active}}, '
              'then: {not: {sex: female}}, else: {at_least: {n: 2, of: [{attestation: {}}, {sex: male}, '
              '{measurement: {concept: anc, op: ">=", value: 1.5, unit: "10*9/L", window: {days: 7}}}]}}}}'),
}
VALUESETS = """
- name: aml
  title: acute myeloid leukaemia
  codes:
    - {system: icd10cm, code: C92.0, prefix: true}
    - {system: snomed, code: "91861009"}
"""
LAB = {"anc": ("751-8", ["10*9/L", "10*3/uL", "/uL", "g/L", "[foo]", None]),
       "creatinine": ("2160-0", ["mg/dL", "umol/L", "U/L", None]),
       "hbsag": ("5196-1", [None])}


def _day(back: int) -> str:
    return (AS_OF - dt.timedelta(days=back)).isoformat()


dates = st.one_of(
    st.sampled_from([0, 1, 6, 7, 8, 13, 14, 15, 27, 28, 29, 364, 365, 366, -1]).map(_day),
    st.integers(0, 40).map(lambda b: _day(b) + "T10:00:00+02:00"),
    st.integers(0, 60).map(lambda b: _day(b)[:7]),
)


@st.composite
def observation(draw: Any, pid: str, n: int, concept: str) -> dict[str, Any]:
    code, units = LAB[concept]
    r: dict[str, Any] = {"resourceType": "Observation", "id": f"{pid}-o{n}", "status": draw(st.sampled_from(["final", "final", "preliminary", "amended"])),
                         "code": {"coding": [{"system": LOINC, "code": code}]}, "subject": {"reference": f"Patient/{pid}"},
                         "effectiveDateTime": draw(dates)}
    if concept == "hbsag":
        r["valueCodeableConcept"] = {"coding": [draw(st.sampled_from([
            {"system": SNOMED, "code": "10828004", "display": "Positive"},
            {"system": SNOMED, "code": "260385009", "display": "Negative"},
            {"system": SNOMED, "code": "42425007", "display": "Equivocal"}]))]}
        return r
    unit = draw(st.sampled_from(units))
    q: dict[str, Any] = {"value": draw(st.sampled_from([0.0, 0.5, 1.0, 1.5, 1.49, 1.51, 1.8, 2.0, 106.0, 160.0, 1500.0]))}
    if unit is not None:
        q.update(unit=unit, system="http://unitsofmeasure.org", code=unit)
    if draw(st.booleans()) and draw(st.booleans()):
        q["comparator"] = draw(st.sampled_from(["<", "<=", ">", ">="]))
    r["valueQuantity"] = q
    if concept == "creatinine" and draw(st.booleans()):
        r["referenceRange"] = [{"high": {"value": draw(st.sampled_from([1.2, 106.0])), "code": draw(st.sampled_from(["mg/dL", "umol/L"])),
                                         "system": "http://unitsofmeasure.org"}}]
    return r


@st.composite
def patient(draw: Any, n: int) -> list[dict[str, Any]]:
    pid = f"p{n:03d}"
    out: list[dict[str, Any]] = [{"resourceType": "Patient", "id": pid,
                                  "gender": draw(st.sampled_from(["female", "male", "other"])),
                                  "birthDate": draw(st.sampled_from(["1960-01-15", "2008-01-15", "2008-01-16", "1990"]))}]
    concept = draw(st.sampled_from(sorted(LAB)))
    for i in range(draw(st.integers(0, 3))):
        out.append(draw(observation(pid, i, concept)))
        if draw(st.booleans()) and draw(st.booleans()):  # the same result time again, another value
            tie = json.loads(json.dumps(out[-1]))
            tie["id"] += "-tie"
            if "valueQuantity" in tie:
                tie["valueQuantity"]["value"] = tie["valueQuantity"]["value"] * 2 + 0.1
            out.append(tie)
    for i in range(draw(st.integers(0, 2))):
        coding = draw(st.sampled_from([
            {"system": ICD, "code": "C92.00"}, {"system": ICD, "code": "C92.02"}, {"system": ICD, "code": "C92"},
            {"system": ICD, "code": "I10"}, {"system": SNOMED, "code": "91861009"}, {"system": SNOMED, "code": "38341003"}]))
        cond: dict[str, Any] = {"resourceType": "Condition", "id": f"{pid}-c{i}", "subject": {"reference": f"Patient/{pid}"},
                                "code": {"coding": [coding]}, "onsetDateTime": draw(dates)}
        status = draw(st.sampled_from([None, "confirmed", "provisional", "refuted"]))
        if status:
            cond["verificationStatus"] = {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-ver-status", "code": status}]}
        out.append(cond)
    answer = draw(st.sampled_from([None, True, False]))
    if answer is not None:
        out.append({"resourceType": "QuestionnaireResponse", "id": f"{pid}-q", "status": "completed",
                    "subject": {"reference": f"Patient/{pid}"},
                    "item": [{"linkId": "inc01_node", "answer": [{"valueBoolean": answer}]}]})
    return out


@pytest.fixture(scope="module")
def engines(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    root = tmp_path_factory.mktemp("nodes")
    return {name: engine_for(write_trial(root / name, {"inclusion/inc01_node": f"id: inc01_node\ntext: one node\n{rule}\n"},
                                         VALUESETS, trial_id=name.replace("_", "-")))
            for name, rule in RULES.items()}


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(node=st.sampled_from(sorted(RULES)), population=st.lists(st.integers(0, 10**6), min_size=1, max_size=5).flatmap(
    lambda seeds: st.tuples(*(patient(i) for i in range(len(seeds))))))
def test_single_node_same_result_on_both_engines(engines, node, population):
    engine = engines[node]
    trial = node.replace("_", "-")
    with tempfile.TemporaryDirectory() as tmp:
        export = Path(tmp) / "export"
        export.mkdir()
        by_type: dict[str, list[str]] = {}
        for resources in population:
            for r in resources:
                by_type.setdefault(r["resourceType"], []).append(json.dumps(r))
        for kind, lines in by_type.items():
            (export / f"{kind}.ndjson").write_text("\n".join(lines) + "\n", encoding="utf-8")
        failures: list[Any] = []
        screened = list(engine.screen(read_patients(str(export), on_error=failures.append, registry=engine.registry),
                                      [trial], AS_OF))
        python = [r.to_dict() for r in screened]
        duck_failures: list[Any] = []
        records = population_records(export, engine, [trial], "duckdb", duck_failures.append, cache_root=Path(tmp) / "cache")
        duckdb = [r.to_dict() for r in engine.screen(records, [trial], AS_OF)]
        # the compiled rules (SQL, the per-patient engine only where SQL leaves a node open)
        compiled_failures: list[Any] = []
        summary = population_records(export, engine, [trial], "duckdb", compiled_failures.append,
                                     cache_root=Path(tmp) / "cache", as_of=AS_OF, summary=True)
        compiled = [csv_row(r) for item in summary for r in item.results()]
    assert duckdb == python
    assert duck_failures == failures
    assert compiled == [csv_row(r) for r in screened]
    assert compiled_failures == failures
