"""The ViewDefinitions (SQL-on-FHIR v2) compiled to DuckDB SQL, and the tables the ingest
writes with them: the FHIRPath subset on hand-written resources, then every view's
rows checked against what the per-patient reader made of the same export."""

from __future__ import annotations

import bz2
import gzip
import json
from pathlib import Path
from typing import Any

import pytest

from trialrules.inputs.fhir.references import type_and_id

duckdb = pytest.importorskip("duckdb")
pytest.importorskip("pyarrow")

from trialrules.population import viewdef  # noqa: E402
from trialrules.population.viewtables import views  # noqa: E402


def rows(view: dict[str, Any], resources: list[Any]) -> list[dict[str, Any]]:
    con = duckdb.connect()
    viewdef.install_macros(con)
    con.execute("CREATE TABLE src (json JSON)")
    for r in resources:
        con.execute("INSERT INTO src VALUES (?)", [r if isinstance(r, str) else json.dumps(r)])
    rel = con.sql(viewdef.view_sql(view, "src"))
    names = rel.columns
    return [dict(zip(names, row, strict=True)) for row in rel.fetchall()]


def view(resource: str, *selects: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"resourceType": "ViewDefinition", "name": "t", "resource": resource, "select": list(selects), **extra}


def col(name: str, path: str, type: str = "string", **kw: Any) -> dict[str, Any]:
    return {"name": name, "path": path, "type": type, **kw}


OBS = {
    "resourceType": "Observation", "id": "o1", "status": "final",
    "subject": {"reference": "Patient/p1"},
    "code": {"coding": [{"system": "http://loinc.org", "code": "718-7"},
                        {"system": "http://snomed.info/sct", "code": "271026005", "display": "Hb"}], "text": "Hb"},
    "effectivePeriod": {"start": "2025-03", "end": "2025-03-04"},
    "valueQuantity": {"value": 12.5, "comparator": "<", "unit": "g/dL", "system": "http://unitsofmeasure.org",
                      "code": "g/dL"},
    "component": [
        {"code": {"coding": [{"system": "http://loinc.org", "code": "8480-6"}]}, "valueQuantity": {"value": 120}},
        {"code": {"text": "uncoded"}, "valueString": "x"},
    ],
}


def test_columns_typed_as_the_view_says():
    v = view("Observation", {"column": [
        col("id", "getResourceKey()", "id"), col("patient", "subject.getReferenceKey(Patient)", "id"),
        col("start", "effective.ofType(Period).start", "dateTime"),
        col("when", "effective.ofType(dateTime) | effective.ofType(Period).end", "dateTime"),
        col("value", "value.ofType(Quantity).value", "decimal"),
        col("comparator", "value.ofType(Quantity).comparator", "code"),
        col("first_code", "code.coding.first().code", "code"),
        col("codes", "code.coding.code", "code", collection=True),
        col("loinc", "code.coding.where(system = 'http://loinc.org').code.first()", "code"),
        col("has_components", "component.exists()", "boolean"),
        col("no_members", "hasMember.empty()", "boolean"),
        col("texts", "code.coding.display.join(', ')", "string"),
    ]})
    (row,) = rows(v, [OBS])
    assert row == {
        "id": "o1", "patient": "p1", "start": "2025-03", "when": "2025-03-04", "value": 12.5, "comparator": "<",
        "first_code": "718-7", "codes": ["718-7", "271026005"], "loinc": "718-7", "has_components": True,
        "no_members": True, "texts": "Hb",
    }


def test_values_of_the_wrong_json_type_are_null_not_converted():
    v = view("Observation", {"column": [col("value", "value.ofType(Quantity).value", "decimal"),
                                        col("status", "status", "code"),
                                        col("n", "value.ofType(integer)", "integer")]})
    got = rows(v, [{"resourceType": "Observation", "status": 3, "valueQuantity": {"value": "12.5"}},
                   {"resourceType": "Observation", "status": "final", "valueInteger": 2.5},
                   {"resourceType": "Observation", "valueInteger": 7}])
    assert got == [{"value": None, "status": None, "n": None}, {"value": None, "status": "final", "n": None},
                   {"value": None, "status": None, "n": 7}]


def test_for_each_and_for_each_or_null_and_row_index():
    each = view("Observation", {"column": [col("id", "id", "id")]},
                {"forEach": "component", "column": [col("i", "%rowIndex", "integer"),
                                                     col("code", "code.coding.code.first()", "code")]})
    assert rows(each, [OBS, {**OBS, "id": "o2", "component": []}]) == [
        {"id": "o1", "i": 0, "code": "8480-6"}, {"id": "o1", "i": 1, "code": None}]
    or_null = {**each, "select": [each["select"][0], {**each["select"][1], "forEachOrNull": "component"}]}
    del or_null["select"][1]["forEach"]
    assert rows(or_null, [OBS, {**OBS, "id": "o2", "component": []}])[-1] == {"id": "o2", "i": None, "code": None}
    nested = view("Observation", {"column": [col("id", "id", "id")]}, {"forEach": "component", "select": [
        {"forEach": "code.coding", "column": [col("code", "code", "code")]}]})
    assert rows(nested, [OBS]) == [{"id": "o1", "code": "8480-6"}]


def test_view_where_constants_and_resource_type_filter():
    v = view("MedicationStatement", {"column": [col("id", "id", "id")]},
             {"forEach": "contained.ofType(Medication)", "column": [col("med", "id", "id"),
                                                                     col("rx", "code.coding.where(system = %rx).code.first()", "code")]},
             where=[{"path": "status = 'active' or status = 'completed'"}],
             constant=[{"name": "rx", "valueUri": "http://www.nlm.nih.gov/research/umls/rxnorm"}])
    ms = {"resourceType": "MedicationStatement", "id": "m1", "status": "active", "contained": [
        {"resourceType": "Organization", "id": "org"},
        {"resourceType": "Medication", "id": "med", "code": {"coding": [
            {"system": "http://www.nlm.nih.gov/research/umls/rxnorm", "code": "40048"}]}}]}
    got = rows(v, [ms, {**ms, "id": "m2", "status": "entered-in-error"}, {**OBS}])
    assert got == [{"id": "m1", "med": "med", "rx": "40048"}]


@pytest.mark.parametrize("ref", [
    "Patient/p1", "https://x.example/fhir/Patient/p1", "Patient/p1/_history/3", "Patient/p1?x=1", "Patient//p1",
    "https://x.example/fhir/Patient/p1/_history/2", "urn:uuid:0b7d", "#p1", "p1", "patient/p1", "Group/g1",
    "Patient/", "/Patient/p1/", "Patient/_history/2", "a/b/_history/2", "Élan/p1",
])
def test_reference_key_reads_references_as_the_reader_does(ref):
    found = type_and_id(ref)
    want_any = found[1] if found else None
    want_patient = found[1] if found and found[0] == "Patient" else None
    v = view("Observation", {"column": [col("any", "subject.getReferenceKey()", "id"),
                                        col("patient", "subject.getReferenceKey(Patient)", "id")]})
    assert rows(v, [{"resourceType": "Observation", "subject": {"reference": ref}}]) == [
        {"any": want_any, "patient": want_patient}]


@pytest.mark.parametrize("bad, why", [
    ({"name": "c", "path": "code.coding.code", "type": "code"}, "several values"),
    ({"name": "c", "path": "code.descendants()", "type": "code"}, "not supported"),
    ({"name": "c", "path": "code.coding[0]", "type": "code"}, "cannot read"),
    ({"name": "c", "path": "status", "type": "Quantity"}, "not supported"),
    ({"name": "C", "path": "status", "type": "code"}, "snake_case"),
])
def test_what_the_compiler_does_not_understand_is_an_error(bad, why):
    with pytest.raises(viewdef.ViewError, match=why):
        viewdef.view_sql(view("Observation", {"column": [bad]}), "src")


def test_every_view_in_the_package_compiles_and_names_its_patient():
    found = views()
    assert {"fhir_patient", "fhir_observation", "fhir_observation_coding", "fhir_observation_component",
            "fhir_observation_reference_range", "fhir_condition", "fhir_medication_statement",
            "fhir_medication_request", "fhir_medication_administration", "fhir_medication_dispense",
            "fhir_procedure", "fhir_immunization", "fhir_allergy_intolerance", "fhir_diagnostic_report",
            "fhir_questionnaire_response_answer"} <= set(found)
    for name, v in found.items():
        viewdef.view_sql(v, "src")
        names = [c.name for c in viewdef.columns(v)]
        assert ("id" if v["resource"] in ("Patient", "Medication") else "patient") in names, name


# -- the ingest: view tables against the reader ---------------------------------

def write_lines(path: Path, lines: list[Any]) -> None:
    text = "".join((line if isinstance(line, str) else json.dumps(line)) + "\n" for line in lines).encode()
    if path.suffix == ".gz":
        path.write_bytes(gzip.compress(text))
    elif path.suffix == ".bz2":
        path.write_bytes(bz2.compress(text))
    else:
        path.write_bytes(text)


def patient(pid: str, **kw: Any) -> dict[str, Any]:
    return {"resourceType": "Patient", "id": pid, "birthDate": "1960-05-01", "gender": "female", **kw}


def obs(oid: str, ref: str, **kw: Any) -> dict[str, Any]:
    return {**OBS, "id": oid, "subject": {"reference": ref}, **kw}


@pytest.fixture
def hostile_export(tmp_path: Path) -> Path:
    out = tmp_path / "export"
    out.mkdir()
    write_lines(out / "Patient.ndjson", [patient("p2"), "{not json", "", patient("p1"),
                                         patient("p1", gender="male"), "[1, 2]"])
    write_lines(out / "Observation.1.ndjson.gz", [obs("a1", "Patient/p1"), obs("orphan", "Patient/p9"),
                                                  obs("urn", "urn:uuid:1234"), '{"resourceType": "Observ'])
    write_lines(out / "Observation.2.ndjson.bz2", [obs("a2", "https://x.example/fhir/Patient/p2/_history/3",
                                                       status="entered-in-error")])
    write_lines(out / "Condition.ndjson", [{"resourceType": "Condition", "id": "c1", "subject": {"reference": "Patient/p2"},
                                            "code": {"coding": [{"system": "http://hl7.org/fhir/sid/icd-10-cm",
                                                                 "code": "C18.9"}]},
                                            "onsetPeriod": {"start": "2020-01"}}])
    (out / "manifest.json").write_text(json.dumps({"output": [
        {"type": t, "url": f"https://x.example/bulk/{n}"} for t, n in (
            ("Patient", "Patient.ndjson"), ("Observation", "Observation.1.ndjson.gz"),
            ("Observation", "Observation.2.ndjson.bz2"), ("Condition", "Condition.ndjson"))]}))
    return out


def table(store: Any, name: str) -> list[dict[str, Any]]:
    import pyarrow.parquet as pq

    return pq.read_table(store.table(name)).to_pylist()


def test_view_tables_hold_exactly_what_the_reader_accepted(hostile_export):
    from trialrules import Engine
    from trialrules.population.store import ingest

    store = ingest(hostile_export, Engine().registry)
    readers = {r["id"]: r["ord"] for r in table(store, "patient")}
    assert sorted(readers) == ["p1", "p2"]
    got = [(r["ord"], r["id"], r["gender"]) for r in table(store, "fhir_patient")]
    assert got == sorted([(readers["p1"], "p1", "female"), (readers["p2"], "p2", "female")])  # p1's first line
    assert [(r["ord"], r["id"], r["patient"]) for r in table(store, "fhir_observation")] == sorted(
        [(readers["p1"], "a1", "p1"), (readers["p2"], "a2", "p2")])
    comps = [(r["id"], r["component_index"], r["value_quantity_value"], r["value_string"])
             for r in table(store, "fhir_observation_component") if r["id"] == "a1"]
    assert comps == [("a1", 0, 120.0, None), ("a1", 1, None, "x")]
    assert [(r["id"], r["onset_start"]) for r in table(store, "fhir_condition")] == [("c1", "2020-01")]
    assert [(r["system"], r["code"]) for r in table(store, "fhir_condition_coding")] == [
        ("http://hl7.org/fhir/sid/icd-10-cm", "C18.9")]
    errors = " | ".join(r["error"] for r in table(store, "failure"))
    for what in ("Patient.ndjson:2", "duplicate Patient id", "Patient/p9", "urn:uuid:1234"):
        assert what in errors  # each row left out of the views is an error line of the reader


def _reader_records(store: Any) -> list[Any]:
    import pickle

    import pyarrow.parquet as pq

    out = []
    obs_rows = pq.read_table(store.table("observation"), columns=["ord", "observation"]).to_pylist()
    by_ord: dict[int, list[Any]] = {}
    for r in obs_rows:
        by_ord.setdefault(r["ord"], []).append(pickle.loads(r["observation"]))  # noqa: S301 - our cache
    for r in pq.read_table(store.table("patient"), columns=["ord", "record"]).to_pylist():
        out.append((r["ord"], pickle.loads(r["record"]), by_ord.get(r["ord"], [])))  # noqa: S301 - our cache
    return out


@pytest.mark.parametrize("which", ["examples_export", "synthetic_export"])
def test_views_agree_with_the_reader_record_by_record(request, which):
    """Every Observation, Condition, medication and coding the reader kept is a view row of
    the same patient, and every view row the reader did not keep has a status it skips."""
    from trialrules import Engine
    from trialrules.language.statuses import OBSERVATION_UNUSABLE as OBSERVATION_SKIP
    from trialrules.language.statuses import VERIFICATION_NOT_PRESENT as VERIFICATION_SKIP
    from trialrules.language.terminology import system_uri
    from trialrules.population.store import ingest

    store = ingest(request.getfixturevalue(which), Engine().registry)
    records = _reader_records(store)
    assert len(records) == len(table(store, "fhir_patient"))

    def by_patient(name: str, key: Any) -> dict[int, set[Any]]:
        out: dict[int, set[Any]] = {}
        for r in table(store, name):
            out.setdefault(r["ord"], set()).add(key(r))
        return out

    view_obs = by_patient("fhir_observation", lambda r: (r["id"], r["status"]))
    view_codes = by_patient("fhir_observation_coding", lambda r: (r["id"], system_uri(r["system"]), r["code"]))
    view_conditions = by_patient("fhir_condition", lambda r: (r["id"], r["verification_status"]))
    view_meds = by_patient("fhir_medication_statement", lambda r: r["id"])
    for name in ("fhir_medication_request", "fhir_medication_administration", "fhir_medication_dispense"):
        for ordinal, ids in by_patient(name, lambda r: r["id"]).items():
            view_meds.setdefault(ordinal, set()).update(ids)
    checked = 0
    for ordinal, record, observations in records:
        reader_obs = {o.id for o in observations if "#component[" not in o.id}
        kept = {i for i, status in view_obs.get(ordinal, ()) if status not in OBSERVATION_SKIP}
        assert reader_obs == kept, record.id
        reader_codes = {(o.id, system_uri(c.system), c.code) for o in observations if o.id in reader_obs
                        for c in o.codes}
        assert reader_codes <= view_codes.get(ordinal, set()), record.id
        conditions = {i for i, v in view_conditions.get(ordinal, ()) if v not in VERIFICATION_SKIP}
        assert {c.id for c in record.conditions} == conditions, record.id
        assert {m.id for m in record.medications} <= view_meds.get(ordinal, set()), record.id
        checked += len(reader_obs)
    assert checked > 200
