"""SQL forms of derived-value functions (``population/sqlform.py``) against the functions.

Each test writes hand-built FHIR patients, one per branch of the function (units, windows at
their edges, ties, bounds, unreadable and missing inputs, values at the limit), screens them
with a one-criterion trial calling the function, and compares, patient by patient, the leaf
the compiled SQL gives with the per-patient evaluator's result. A patient whose id ends in
``-defer`` must be left to Python (NULL); every other must be decided by SQL, and equal.
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest
from _support import TrialPlugin, write_trial

from trialrules import Engine, read_patients
from trialrules.population import ingest
from trialrules.population.compile import RESULT
from trialrules.population.summary import open_session, plan_for

from .conftest import spark_available

pytest.importorskip("duckdb")

AS_OF = dt.date(2026, 1, 15)
LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"


def day(back: int) -> str:
    return (AS_OF - dt.timedelta(days=back)).isoformat()


def person(pid: str, sex: str | None = "male", birth: str | None = "1965-06-01") -> dict[str, Any]:
    out: dict[str, Any] = {"resourceType": "Patient", "id": pid}
    if sex:
        out["gender"] = sex
    if birth:
        out["birthDate"] = birth
    return out


def lab(pid: str, n: Any, code: str, value: Any, when: str | None, unit: str | None = None,
        extra: dict[str, Any] | None = None) -> dict[str, Any]:
    r: dict[str, Any] = {"resourceType": "Observation", "id": f"{pid}-o{n}", "status": "final",
                         "code": {"coding": [{"system": LOINC, "code": code}]}, "subject": {"reference": f"Patient/{pid}"}}
    if when is not None:
        r["effectiveDateTime"] = when
    if isinstance(value, str):
        r["valueString"] = value
    elif isinstance(value, dict):
        r["valueCodeableConcept"] = value
    elif unit is None:
        r["valueQuantity"] = {"value": value}
    else:
        r["valueQuantity"] = {"value": value, "unit": unit, "system": UCUM, "code": unit}
    if extra:
        r["valueQuantity"].update(extra)
    return r


def write_export(folder: Path, patients: Iterable[list[dict[str, Any]]]) -> Path:
    folder.mkdir(parents=True)
    by_type: dict[str, list[str]] = {}
    for resources in patients:
        for r in resources:
            by_type.setdefault(r["resourceType"], []).append(json.dumps(r))
    for kind, lines in by_type.items():
        (folder / f"{kind}.ndjson").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return folder


def sql_leaves(export: Path, engine: Engine, trial: str, cache: Path, engine_name: str = "duckdb",
               criterion: str | None = None) -> dict[str, Any]:
    """Each patient's criterion (the first) as the compiled SQL gives it (None: left to Python)."""
    store = ingest(export, engine.registry, cache)
    plan, query = plan_for(store, engine, [trial], AS_OF)
    assert not plan.form_errors
    column = next(i for i, (_, cid, _) in enumerate(plan.columns) if criterion in (None, cid))
    sql = open_session(store, engine, [trial], plan, engine_name)
    try:
        sql.create("verdict", query)
        rows = sql.stream(f"SELECT p.id, v.c{column} FROM verdict AS v JOIN fact_patient AS p ON p.ord = v.ord", None)
        return {pid: (None if c is None else RESULT[c]) for pid, c in rows}
    finally:
        sql.close()


def python_leaves(export: Path, engine: Engine, trial: str, criterion: str | None = None) -> dict[str, Any]:
    failures: list[Any] = []
    out = {r.patient.split("/")[-1]: next(c.result for c in r.criteria if criterion in (None, c.id))
           for r in engine.screen(read_patients(str(export), on_error=failures.append, registry=engine.registry),
                                  [trial], AS_OF)}
    return out


def check(tmp_path: Path, rule: str, patients: list[list[dict[str, Any]]], valuesets: str = "",
          plugins: tuple[Any, ...] = ()) -> dict[str, Any]:
    trial = "forms"
    rules = write_trial(tmp_path / "rules", {"inclusion/inc01_node": f"id: inc01_node\ntext: a node\n{rule}\n"},
                        valuesets, trial_id=trial)
    engine = Engine(plugins=[TrialPlugin(rules), *plugins], load_entrypoints=False)
    return compare(tmp_path, engine, trial, None, patients)


def compare(tmp_path: Path, engine: Engine, trial: str, criterion: str | None,
            patients: list[list[dict[str, Any]]]) -> dict[str, Any]:
    export = write_export(tmp_path / "export", patients)
    sql = sql_leaves(export, engine, trial, tmp_path / "cache", criterion=criterion)
    python = python_leaves(export, engine, trial, criterion)
    assert set(sql) == set(python)
    wrong = {pid: (sql[pid], python[pid]) for pid in sql if sql[pid] is not None and sql[pid] != python[pid]}
    assert not wrong, f"SQL decided differently from Python: {wrong}"
    deferred = sorted(pid for pid in sql if sql[pid] is None)
    assert deferred == sorted(pid for pid in sql if pid.endswith("-defer")), f"left to Python: {deferred}"
    return python


# -- Cockcroft-Gault -------------------------------------------------------------

CREAT, WEIGHT = "2160-0", "29463-7"


def cg(pid: str, scr: list[tuple[Any, ...]], weight: list[tuple[Any, ...]], **who: Any) -> list[dict[str, Any]]:
    out = [person(pid, **who)]
    out += [lab(pid, f"s{i}", CREAT, *s) for i, s in enumerate(scr)]
    out += [lab(pid, f"w{i}", WEIGHT, *w) for i, w in enumerate(weight)]
    return out


CG_PATIENTS = [
    cg("met-male", [(1.0, day(1), "mg/dL")], [(70, day(3), "kg")]),                       # 77.78
    cg("met-female", [(1.0, day(1), "mg/dL")], [(70, day(3), "kg")], sex="female"),       # 66.11
    # 55 mL/min for a man, 46.75 for a woman: the sex factor decides
    cg("near-male", [(1.0, day(1), "mg/dL")], [(49.5, day(3), "kg")]),
    cg("near-female", [(1.0, day(1), "mg/dL")], [(49.5, day(3), "kg")], sex="female"),
    cg("notmet-female", [(1.6, day(1), "mg/dL")], [(70, day(3), "kg")], sex="female"),    # 41.3
    cg("umol", [(88.4, day(0), "umol/L")], [(70, day(3), "kg")]),
    cg("pounds", [(1.0, day(1), "mg/dL")], [(154, day(3), "[lb_av]")]),
    cg("edge-window-in", [(1.0, day(14), "mg/dL")], [(70, day(14), "kg")]),
    cg("edge-window-out", [(1.0, day(15), "mg/dL")], [(70, day(3), "kg")]),
    cg("no-creatinine", [], [(70, day(3), "kg")]),
    cg("no-weight", [(1.0, day(1), "mg/dL")], []),
    cg("bound", [(0.5, day(1), "mg/dL", {"comparator": "<"})], [(70, day(3), "kg")]),
    cg("newest-bound-older-fine", [(0.5, day(1), "mg/dL", {"comparator": "<"}), (1.0, day(5), "mg/dL")],
       [(70, day(3), "kg")]),
    cg("text", [("1.0 mg/dL", day(1))], [(70, day(3), "kg")]),
    cg("no-unit", [(1.0, day(1))], [(70, day(3), "kg")]),
    cg("wrong-unit", [(1.0, day(1), "mg/dL")], [(70, day(3), "g/L")]),
    cg("zero", [(0.0, day(1), "mg/dL")], [(70, day(3), "kg")]),
    cg("tie-same", [(1.0, day(1), "mg/dL"), (1.0, day(1), "mg/dL")], [(70, day(3), "kg")]),
    cg("tie-differ", [(1.0, day(1), "mg/dL"), (1.4, day(1), "mg/dL")], [(70, day(3), "kg")]),
    cg("tie-units-differ", [(1.0, day(1), "mg/dL"), (120.0, day(1), "umol/L")], [(70, day(3), "kg")]),
    cg("times", [(1.0, day(1) + "T08:00:00Z", "mg/dL"), (2.5, day(1) + "T10:00:00+02:00", "mg/dL")],
       [(70, day(3), "kg")]),
    cg("zoned-vs-wall", [(1.0, day(1) + "T08:00:00Z", "mg/dL"), (2.5, day(1) + "T09:00:00", "mg/dL")],
       [(70, day(3), "kg")]),
    cg("month", [(1.0, AS_OF.isoformat()[:7], "mg/dL")], [(70, day(3), "kg")]),
    cg("undated", [(1.0, None, "mg/dL")], [(70, day(3), "kg")]),
    cg("future", [(1.0, "2026-02-01", "mg/dL"), (1.0, day(2), "mg/dL")], [(70, day(3), "kg")]),
    cg("sex-other", [(1.0, day(1), "mg/dL")], [(70, day(3), "kg")], sex="other"),
    cg("sex-missing", [(1.0, day(1), "mg/dL")], [(70, day(3), "kg")], sex=None),
    cg("birth-year-only", [(1.0, day(1), "mg/dL")], [(70, day(3), "kg")], birth="1965"),
    cg("old", [(1.0, day(1), "mg/dL")], [(70, day(3), "kg")], birth="1926-01-16"),  # 99: 41/72*70 = 39.9
    # exactly 50 mL/min: (140 - 68) x 50 / (72 x 1.0); within the function's rounding of the limit
    cg("limit-defer", [(1.0, day(1), "mg/dL")], [(50, day(3), "kg")], birth="1958-01-15"),
    # a day younger: 67 years, 50.69 mL/min, decided
    cg("birthday", [(1.0, day(1), "mg/dL")], [(50, day(3), "kg")], birth="1958-01-16"),
]


def test_cockcroft_gault_sql_equals_python(tmp_path):
    rule = 'rule: {derived: {function: cockcroft_gault, args: {window: {days: 14}}, op: ">=", value: 50, unit: mL/min}}'
    python = check(tmp_path, rule, CG_PATIENTS)
    assert {python["met-male"], python["no-creatinine"], python["notmet-female"]} == {"met", "unknown", "not_met"}
    assert (python["near-male"], python["near-female"]) == ("met", "not_met")


def test_cockcroft_gault_other_ops_and_units(tmp_path):
    # a limit in another unit (L/h: a plain factor) and an open weight window
    rule = ('rule: {derived: {function: cockcroft_gault, args: {window: {days: 14}, weight_window: false}, '
            'op: "<", value: 3.6, unit: L/h}}')
    check(tmp_path, rule, [p for p in CG_PATIENTS if not p[0]["id"].endswith("-defer")]
          + [cg("old-weight", [(1.0, day(1), "mg/dL")], [(70, day(300), "kg")])])


# -- QTcF ------------------------------------------------------------------------

QTCF, QT, HR = "8636-3", "8634-8", "8867-4"


def ecg(pid: str, *results: tuple[Any, ...], **who: Any) -> list[dict[str, Any]]:
    return [person(pid, **who)] + [lab(pid, i, *r) for i, r in enumerate(results)]


QTCF_PATIENTS = [
    ecg("reported-met", (QTCF, 460, day(1), "ms")),
    ecg("reported-notmet", (QTCF, 440, day(1), "ms")),
    ecg("reported-seconds", (QTCF, 0.46, day(1), "s")),
    ecg("reported-bound", (QTCF, 450, day(1), "ms", {"comparator": ">"})),
    ecg("reported-limit-defer", (QTCF, 450, day(1), "ms")),
    ecg("reported-out-of-window", (QTCF, 460, day(29), "ms")),
    ecg("computed-met", (QT, 400, day(2), "ms"), (HR, 90, day(2), "/min")),          # 457.9
    ecg("computed-notmet", (QT, 400, day(2), "ms"), (HR, 60, day(2), "/min")),       # 400
    ecg("computed-beats", (QT, 400, day(2), "ms"), (HR, 90, day(2), "{beats}/min")),
    ecg("hr-other-day", (QT, 400, day(2), "ms"), (HR, 90, day(3), "/min")),
    ecg("hr-missing", (QT, 400, day(2), "ms")),
    ecg("hr-zero", (QT, 400, day(2), "ms"), (HR, 0, day(2), "/min")),
    ecg("hr-text", (QT, 400, day(2), "ms"), (HR, "ninety", day(2))),
    ecg("qt-bound", (QT, 400, day(2), "ms", {"comparator": "<"}), (HR, 90, day(2), "/min")),
    ecg("reported-newer", (QTCF, 440, day(1), "ms"), (QT, 400, day(2), "ms"), (HR, 90, day(2), "/min")),
    ecg("reported-older", (QTCF, 440, day(3), "ms"), (QT, 400, day(2), "ms"), (HR, 90, day(2), "/min")),
    ecg("reported-same-day", (QTCF, 440, day(2), "ms"), (QT, 400, day(2), "ms"), (HR, 90, day(2), "/min")),
    ecg("reported-tie-differ", (QTCF, 440, day(2), "ms"), (QTCF, 470, day(2), "ms")),
    ecg("reported-month-vs-qt", (QTCF, 470, AS_OF.isoformat()[:7], "ms"), (QT, 400, day(2), "ms"),
        (HR, 60, day(2), "/min")),
    ecg("qt-time-hr-date", (QT, 400, day(2) + "T09:30:00Z", "ms"), (HR, 90, day(2), "/min")),
    ecg("nothing"),
]


def test_qtcf_sql_equals_python(tmp_path):
    rule = 'rule: {derived: {function: qtcf, args: {window: {days: 28}}, op: ">", value: 450, unit: ms}}'
    python = check(tmp_path, rule, QTCF_PATIENTS)
    assert python["computed-met"] == "met" and python["computed-notmet"] == "not_met"
    assert python["hr-other-day"] == "unknown"


@pytest.mark.skipif(bool(spark_available()), reason=spark_available() or "spark available")
def test_forms_translate_and_run_on_spark(tmp_path):
    """The same SQL through sqlglot on Spark (a process of its own: the JVM stays out of this one)."""
    export = write_export(tmp_path / "export", CG_PATIENTS[:6] + QTCF_PATIENTS[:8])
    rules = tmp_path / "rules"
    write_trial(rules, {"inclusion/inc01_node": "id: inc01_node\ntext: a node\nrule: {all: ["
                        "{derived: {function: cockcroft_gault, args: {window: {days: 14}}, op: '>=', value: 50, unit: mL/min}}, "
                        "{derived: {function: qtcf, args: {window: {days: 28}}, op: '>', value: 450, unit: ms}}]}\n"},
                trial_id="forms")
    script = f"""
import json, sys
sys.path[:0] = {[str(Path(__file__).parents[1]), str(Path(__file__).parents[2])]!r}
from pathlib import Path
from _support import engine_for
from tests.population.test_sqlforms import sql_leaves
engine = engine_for(Path({str(rules / 'forms' / 'rules')!r}))
print(json.dumps({{e: sql_leaves(Path({str(export)!r}), engine, "forms", Path({str(tmp_path / 'cache')!r}), e)
                  for e in ("duckdb", "spark")}}))
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    found = json.loads(done.stdout.strip().splitlines()[-1])
    assert found["spark"] == found["duckdb"]
    assert any(v is not None for v in found["spark"].values())


# -- CNK-UT: infection test, gene therapy on record ----------------------------------

SNOMED = "http://snomed.info/sct"
POS = {"coding": [{"system": SNOMED, "code": "10828004", "display": "Positive"}]}
NEG = {"coding": [{"system": SNOMED, "code": "260385009", "display": "Negative"}]}
NEG_V3 = {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation", "code": "NEG"}]}
EQUIVOCAL = {"coding": [{"system": SNOMED, "code": "42425007", "display": "Equivocal"}]}
HIV = "7917-8"


def serology(pid: str, *results: tuple[Any, ...]) -> list[dict[str, Any]]:
    out = [person(pid)]
    for i, (value, when, *status) in enumerate(results):
        r = lab(pid, i, HIV, value, when, "1" if isinstance(value, float) else None)
        if status:
            r["status"] = status[0]
        out.append(r)
    return out


INFECTION_PATIENTS = [
    serology("none"),
    serology("positive", (POS, day(0))),
    serology("negative-after-positive", (NEG, day(1)), (POS, day(30))),
    serology("positive-after-negative", (POS, day(1)), (NEG, day(30))),
    serology("equivocal", (EQUIVOCAL, day(1)), (NEG, day(30))),
    serology("text-negative", ("Negative", day(1))),
    serology("text-unreadable", ("see scanned report", day(1))),
    serology("number", (1.2, day(1))),
    serology("undated-positive", (POS, None), (NEG, day(1))),
    serology("undated-negative", (NEG, None)),
    # a time of day, a partial date (``Observation.date`` is then None) and no date at all
    serology("time-positive", (POS, day(3) + "T10:00:00Z"), (NEG, day(1))),
    serology("time-negative", (NEG, day(3) + "T10:00:00Z"), (POS, day(10))),
    serology("future-positive", (POS, "2026-02-01")),
    serology("future-time-positive", (POS, "2026-02-01T10:00:00Z")),
    serology("tie-differ", (POS, day(2)), (NEG, day(2))),
    serology("tie-alike", (NEG, day(2)), (NEG_V3, day(2))),
    serology("entered-in-error", (POS, day(2), "entered-in-error")),
    serology("month", (NEG, AS_OF.isoformat()[:7])),
]


def _cnk_ut() -> Any:
    return pytest.importorskip("trialrules_cnk_ut.plugin")


def test_cnk_ut_infection_test_sql_equals_python(tmp_path):
    rule = 'rule: {derived: {function: cnk_ut_infection_test, args: {tests: hiv_screening_tests}, op: "==", value: 1}}'
    python = check(tmp_path, rule, INFECTION_PATIENTS, plugins=(_cnk_ut(),))
    assert (python["none"], python["positive"], python["equivocal"]) == ("not_met", "met", "unknown")
    assert (python["time-positive"], python["undated-negative"], python["undated-positive"]) == ("not_met", "unknown", "met")


GENE_SET = """
- name: gene_therapy
  title: Gene therapy products
  codes:
    - {system: atc, code: L01XL, prefix: true}
    - {system: atc, code: M09AX09}
"""
ATC = "http://www.whocc.no/atc"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"


def medicated(pid: str, *meds: tuple[Any, ...]) -> list[dict[str, Any]]:
    out = [person(pid)]
    for i, (system, code, status, when) in enumerate(meds):
        r: dict[str, Any] = {"resourceType": "MedicationStatement", "id": f"{pid}-m{i}", "status": status,
                             "subject": {"reference": f"Patient/{pid}"},
                             "medicationCodeableConcept": {"coding": [{"system": system, "code": code}]}}
        if isinstance(when, dict):
            r["effectivePeriod"] = when
        elif when is not None:
            r["effectiveDateTime"] = when
        out.append(r)
    return out


GENE_PATIENTS = [
    medicated("none"),
    medicated("car-t", (ATC, "L01XL03", "completed", day(100))),
    medicated("onasemnogene", (ATC, "M09AX09", "completed", day(1000))),
    medicated("not-taken", (ATC, "L01XL03", "not-taken", day(100))),
    medicated("entered-in-error", (ATC, "L01XL03", "entered-in-error", day(100))),
    medicated("future", (ATC, "L01XL03", "intended", "2026-03-01")),
    medicated("undated", (ATC, "L01XL03", "active", None)),
    medicated("end-only", (ATC, "L01XL03", "completed", {"end": day(20)})),
    medicated("end-only-future", (ATC, "L01XL03", "completed", {"end": "2026-02-20"})),
    medicated("period-started", (ATC, "L01XL03", "active", {"start": day(20), "end": "2026-02-20"})),
    medicated("month-this", (ATC, "L01XL03", "completed", AS_OF.isoformat()[:7])),
    medicated("month-before", (ATC, "L01XL03", "completed", "2025-12")),
    medicated("year-this", (ATC, "L01XL03", "active", "2026")),
    medicated("month-this-and-sure", (ATC, "L01XL03", "completed", AS_OF.isoformat()[:7]),
              (ATC, "L01XL04", "completed", day(40))),
    medicated("month-ended-early", (ATC, "L01XL03", "completed", {"start": "2026-01", "end": day(10)})),
    medicated("rxnorm-only", (RXNORM, "1999579", "completed", day(100))),
    medicated("other-atc", (ATC, "L01XC07", "completed", day(100))),
    medicated("mixed", (RXNORM, "1999579", "completed", day(100)), (ATC, "L01XL03", "not-taken", day(50)),
              (ATC, "L01XL04", "completed", day(10))),
]


def test_cnk_ut_gene_therapy_sql_equals_python(tmp_path):
    rule = 'rule: {derived: {function: cnk_ut_gene_therapy_recorded, args: {valueset: gene_therapy}, op: "==", value: 1}}'
    python = check(tmp_path, rule, GENE_PATIENTS, GENE_SET, plugins=(_cnk_ut(),))
    assert (python["none"], python["car-t"], python["not-taken"], python["end-only"]) == ("not_met", "met", "not_met", "met")


# -- JK500: relapsed/refractory (SQL settles only a record with none of its data) -------------

ICD = "http://hl7.org/fhir/sid/icd-10-cm"
LOCAL = "urn:trialrules:local"


def aml_record(pid: str, *resources: dict[str, Any]) -> list[dict[str, Any]]:
    out = [person(pid)]
    for i, r in enumerate(resources):
        out.append({**r, "id": f"{pid}-r{i}", "subject": {"reference": f"Patient/{pid}"}})
    return out


def condition(system: str, code: str, onset: str, **extra: Any) -> dict[str, Any]:
    return {"resourceType": "Condition", "code": {"coding": [{"system": system, "code": code}]},
            "onsetDateTime": onset, **extra}


JK500_PATIENTS = [
    aml_record("nothing"),
    aml_record("hypertension", condition(ICD, "I10", day(400))),
    aml_record("aml-defer", condition(ICD, "C92.00", day(400))),
    aml_record("aml-snomed-defer", condition(SNOMED, "91861009", day(400))),
    # the reader keeps no refuted diagnosis: nothing left for the function
    aml_record("aml-refuted", condition(ICD, "C92.02", day(40), verificationStatus={"coding": [
        {"system": "http://terminology.hl7.org/CodeSystem/condition-ver-status", "code": "refuted"}]})),
    aml_record("aml-future-defer", condition(ICD, "C92.01", "2026-06-01")),
    aml_record("course-defer", {"resourceType": "Procedure", "status": "completed", "performedDateTime": day(90),
                                "code": {"coding": [{"system": LOCAL, "code": "aml-induction-course"}]}}),
    aml_record("assessment-defer", {**lab("x", 0, "97509-4", NEG, day(30)), "resourceType": "Observation"}),
    aml_record("assessment-in-error", {**lab("x", 0, "97509-4", POS, day(30)), "status": "entered-in-error"}),
    aml_record("other-lab", lab("x", 0, HIV, POS, day(30))),
]


def test_jk500_relapsed_refractory_sql_equals_python(tmp_path):
    plugin = pytest.importorskip("trialrules_jk500.plugin")
    engine = Engine(plugins=[plugin], load_entrypoints=False)
    python = compare(tmp_path, engine, "jk500", "inc03_relapsed_refractory", JK500_PATIENTS)
    assert python["nothing"] == "unknown"


# -- Measurements SQL decides at their limit: whole numbers, bare numbers against a range ---------

ECOG, INR = "89247-1", "6301-6"


def with_range(r: dict[str, Any], high: float, unit: str | None = None) -> dict[str, Any]:
    bound: dict[str, Any] = {"value": high}
    if unit:
        bound.update(unit=unit, system=UCUM, code=unit)
    return {**r, "referenceRange": [{"high": bound}]}


def test_whole_numbers_at_a_whole_limit_are_decided(tmp_path):
    rule = 'rule: {measurement: {concept: ecog, op: "<=", value: 1, window: {days: 28}}}'
    patients = [[person(pid), lab(pid, 0, ECOG, value, day(2), unit)] for pid, value, unit in (
        ("zero", 0, None), ("one", 1, None), ("two", 2, None), ("one-float", 1.0, None),
        ("one-score", 1, "{score}"), ("near-defer", 1.0000000001, None), ("minus", -1, None))]
    python = check(tmp_path, rule, patients)
    assert (python["one"], python["two"], python["one-score"]) == ("met", "not_met", "met")


def test_bare_numbers_against_a_range_without_unit(tmp_path):
    rule = 'rule: {measurement: {concept: inr, op: "<=", uln: 1.5, window: {days: 14}}}'
    patients = [[person(pid), r] for pid, r in (
        ("low", with_range(lab("low", 0, INR, 1.05, day(1)), 1.2)),
        ("high", with_range(lab("high", 0, INR, 2.0, day(1)), 1.2)),
        ("at-limit-defer", with_range(lab("at-limit-defer", 0, INR, 1.8, day(1)), 1.2)),
        ("zero-limit", with_range(lab("zero-limit", 0, INR, 1.0, day(1)), 0.0)),
        ("range-in-percent-defer", with_range(lab("range-in-percent-defer", 0, INR, 1.0, day(1)), 1.2, "%")),
        ("quantity-without-unit", with_range({**lab("quantity-without-unit", 0, INR, 1.0, day(1)),
                                              "valueQuantity": {"value": 1.0, "unit": "INR"}}, 1.2)),
        ("no-range", lab("no-range", 0, INR, 1.0, day(1))),
    )]
    python = check(tmp_path, rule, patients)
    assert (python["low"], python["high"], python["no-range"]) == ("met", "not_met", "unknown")


def test_a_window_the_function_cannot_read_is_left_to_python():
    from trialrules.engine.builtins import cockcroft_gault_sql, qtcf_sql

    for form in (cockcroft_gault_sql, qtcf_sql):
        assert form(None, {"window": 7}) is None  # the Python function raises: unknown, with its reason
        assert form(None, {"window": {"fortnights": 1}}) is None
