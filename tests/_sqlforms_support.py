"""Helpers for testing a trial plugin's SQL forms (docs/plugin-guide.md, "SQL forms") against
its Python functions, value by value, on hand-built FHIR patients.

``compare_form`` ingests an export, asks the installed trial's function for its SQL form,
runs the form's value relation on DuckDB (or Spark) and the Python function on each patient,
and returns, per patient id, what SQL said next to what Python said, so a test can assert
that SQL decided the same as Python wherever it decided, and decided where it should.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from attrs import frozen

from trialrules import Engine, read_patients
from trialrules.engine.patient import PatientIndex
from trialrules.functions import FunctionContext

AS_OF = dt.date(2026, 1, 15)
LOINC = "http://loinc.org"
SNOMED = "http://snomed.info/sct"
UCUM = "http://unitsofmeasure.org"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
ATC = "http://www.whocc.no/atc"


def day(back: int) -> str:
    """The date ``back`` days before the as-of date."""
    return (AS_OF - dt.timedelta(days=back)).isoformat()


def person(pid: str, sex: str = "female", birth: str = "1985-03-02") -> dict[str, Any]:
    return {"resourceType": "Patient", "id": pid, "gender": sex, "birthDate": birth}


def lab(pid: str, n: Any, code: str, value: Any, when: str | None, unit: str | None = None,
        comparator: str | None = None, status: str = "final", high: tuple[float, str] | None = None) -> dict[str, Any]:
    """An Observation: ``value`` a number (a Quantity in ``unit``), text, or a Coding dict."""
    r: dict[str, Any] = {"resourceType": "Observation", "id": f"{pid}-o{n}", "status": status,
                         "code": {"coding": [{"system": LOINC, "code": code}]},
                         "subject": {"reference": f"Patient/{pid}"}}
    if when is not None:
        r["effectiveDateTime"] = when
    if isinstance(value, str):
        r["valueString"] = value
    elif isinstance(value, dict):
        r["valueCodeableConcept"] = {"coding": [value]}
    else:
        q: dict[str, Any] = {"value": value}
        if unit is not None:
            q.update(unit=unit, system=UCUM, code=unit)
        if comparator is not None:
            q["comparator"] = comparator
        r["valueQuantity"] = q
    if high is not None:
        r["referenceRange"] = [{"high": {"value": high[0], "unit": high[1], "system": UCUM, "code": high[1]}}]
    return r


def drug(pid: str, n: Any, coding: dict[str, Any] | None, *, start: str | None = None, end: str | None = None,
         status: str = "completed", resource: str = "MedicationStatement", text: str | None = None,
         ingredients: list[dict[str, Any]] | None = None, when: str | None = None) -> dict[str, Any]:
    """A medication record: coded (``coding``), a product with ``ingredients`` (a contained
    Medication), or text only; dated by a period (``start``/``end``) or one ``when``."""
    r: dict[str, Any] = {"resourceType": resource, "id": f"{pid}-m{n}", "status": status,
                         "subject": {"reference": f"Patient/{pid}"}}
    if ingredients is not None:
        r["contained"] = [{"resourceType": "Medication", "id": "product",
                           "code": {"coding": [coding]} if coding else {"text": "product"},
                           "ingredient": [{"itemCodeableConcept": {"coding": [i]}} for i in ingredients]}]
        r["medicationReference"] = {"reference": "#product"}
    elif coding is not None:
        r["medicationCodeableConcept"] = {"coding": [coding]}
    else:
        r["medicationCodeableConcept"] = {"text": text or "a medication"}
    if resource == "MedicationRequest":
        if start is not None:
            r["authoredOn"] = start
        r["intent"] = "order"
    elif when is not None:
        r["effectiveDateTime"] = when
    elif start is not None or end is not None:
        r["effectivePeriod"] = {k: v for k, v in (("start", start), ("end", end)) if v is not None}
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


@frozen
class Compared:
    """One patient: the SQL form's answer (None: left to Python; else (value, unknown,
    comparator)) and the Python function's (value, comparator)."""

    sql: tuple[Any, bool, str | None] | None
    python: tuple[Any, str | None]

    @property
    def agrees(self) -> bool:
        if self.sql is None:
            return True
        value, unknown, comparator = self.sql
        if unknown:
            return self.python[0] is None
        return (self.python[0] is not None and float(self.python[0]) == value
                and self.python[1] == comparator)


def compare_form(export: Path, trial_id: str, function: str, args: Mapping[str, Any], cache: Path,
                 engine: Engine | None = None, engine_name: str = "duckdb",
                 as_of: dt.date = AS_OF) -> dict[str, Compared]:
    """Per patient id, the function's SQL form next to the function."""
    from trialrules.population.compile import Compiler
    from trialrules.population.facts import facts
    from trialrules.population.sqlform import SqlContext, check_form, derived_sql
    from trialrules.population.store import ingest
    from trialrules.population.summary import open_session

    engine = engine or Engine()
    trial = engine.compiled(trial_id)
    spec = trial.functions[function]
    store = ingest(export, engine.registry, cache)
    compiler = Compiler(facts(store), as_of)
    q = SqlContext(compiler, trial)
    assert spec.sql is not None, f"{function} has no SQL form"
    form = check_form(spec.sql(q, args))
    relations = ",\n".join(f"{name} AS ({body})" for name, body in compiler.plan.ctes)
    query = (f"WITH {relations},\nfd AS ({derived_sql(form, q.joins)})\n"
             "SELECT p.id, fd.x, fd.unk, fd.dfr, fd.cmp FROM fd JOIN fact_patient AS p ON p.ord = fd.ord")
    session = open_session(store, engine, [trial_id], compiler.plan, engine_name)
    try:
        rows = list(session.stream(query, None))
    finally:
        session.close()
    sql: dict[str, tuple[Any, bool, str | None] | None] = {}
    for pid, x, unknown, defer, comparator in rows:
        if defer is None or defer or unknown is None:
            sql[pid] = None
        elif unknown:
            sql[pid] = (None, True, None)
        elif x is None or not math.isfinite(x):
            sql[pid] = None
        else:
            sql[pid] = (x, False, comparator)
    python: dict[str, tuple[Any, str | None]] = {}
    failures: list[Any] = []
    for record in read_patients(str(export), on_error=failures.append, registry=engine.registry):
        ctx = FunctionContext(record, as_of, PatientIndex(record), trial.matchers, trial_id)
        found = spec.fn(ctx, args)
        python[record.id] = (found.value, found.comparator)
    assert not failures, failures
    assert set(sql) == set(python)
    return {pid: Compared(sql[pid], python[pid]) for pid in python}


def assert_form_matches(compared: Mapping[str, Compared]) -> None:
    """SQL decided as Python wherever it decided, and left exactly the ``-defer`` patients to
    Python (so that a form deferring everything fails too)."""
    wrong = {pid: c for pid, c in compared.items() if not c.agrees}
    assert not wrong, f"SQL decided differently from Python: {wrong}"
    deferred = sorted(pid for pid, c in compared.items() if c.sql is None)
    assert deferred == sorted(pid for pid in compared if pid.endswith("-defer")), f"left to Python: {deferred}"


def spark_available() -> str:
    """Why Spark cannot run here, or '' when it can."""
    import importlib.util
    import os
    import shutil

    if importlib.util.find_spec("pyspark") is None:
        return "PySpark is not installed (pip install 'trialrules[spark]')"
    if not os.environ.get("JAVA_HOME") and shutil.which("java") is None:
        return "Java is not installed"
    return ""


def sql_on_spark(cases: list[tuple[Path, str, str, dict[str, Any]]], cache: Path) -> list[dict[str, Any]]:
    """The SQL forms' answers per patient on Spark, for (export, trial, function, args) cases, in a
    process of its own (the JVM stays out of this one)."""
    import subprocess
    import sys

    script = f"""
import json, sys
sys.path[:0] = [{str(Path(__file__).parent)!r}]
from pathlib import Path
from _sqlforms_support import compare_form
cases = json.loads({json.dumps([[str(e), t, f, a] for e, t, f, a in cases])!r})
print(json.dumps([{{pid: c.sql for pid, c in compare_form(Path(e), t, f, a, Path({str(cache)!r}),
                                                        engine_name="spark").items()}}
                  for e, t, f, a in cases]))
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    found: list[dict[str, Any]] = json.loads(done.stdout.strip().splitlines()[-1])
    return [{pid: None if v is None else tuple(v) for pid, v in one.items()} for one in found]


def screen_csv(export: Path, engine_name: str, trial_id: str, cache: Path) -> str:
    """``trialrules screen --format csv`` of one trial (DuckDB's compiled rules, or Python)."""
    import contextlib
    import io
    import os

    from trialrules import cli

    out, err = io.StringIO(), io.StringIO()
    old = os.environ.get("TRIALRULES_CACHE")
    os.environ["TRIALRULES_CACHE"] = str(cache)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            cli.main(["screen", "--engine", engine_name, "--format", "csv", "--as-of", AS_OF.isoformat(),
                      "--trial", trial_id, str(export)])
    finally:
        if old is None:
            os.environ.pop("TRIALRULES_CACHE", None)
        else:
            os.environ["TRIALRULES_CACHE"] = old
    return out.getvalue()


def leaf_trial(root: Path, rules: Mapping[str, str], valuesets: str = "") -> Engine:
    """The installed trials and a trial ``leaves`` of one inclusion criterion per rule
    (``rules``: criterion id -> rule YAML), so a plugin's function can be compared with
    several limits and ops."""
    from _support import TrialPlugin, write_trial

    folder = write_trial(root, {f"inclusion/{cid}": f"id: {cid}\ntext: {cid}\nrule: {rule}\n"
                                for cid, rule in rules.items()}, valuesets, trial_id="leaves")
    return Engine(plugins=[TrialPlugin(folder)])


def leaf_results(export: Path, engine: Engine, trial_id: str, cache: Path) -> dict[tuple[str, str], tuple[Any, Any]]:
    """Per (patient id, criterion id): the compiled SQL's result (None: left to Python) and the
    per-patient evaluator's."""
    from trialrules.population.compile import RESULT
    from trialrules.population.store import ingest
    from trialrules.population.summary import open_session, plan_for

    store = ingest(export, engine.registry, cache)
    plan, query = plan_for(store, engine, [trial_id], AS_OF)
    assert not plan.form_errors, plan.form_errors
    criteria = [c.id for c in engine.trial(trial_id).criteria]
    session = open_session(store, engine, [trial_id], plan, "duckdb")
    try:
        session.create("verdict", query)
        columns = ", ".join(f"v.c{i}" for i in range(len(criteria)))
        rows = list(session.stream(f"SELECT p.id, {columns} FROM verdict AS v JOIN fact_patient AS p "
                                   "ON p.ord = v.ord", None))
    finally:
        session.close()
    sql = {(row[0], cid): (None if code is None else RESULT[code]) for row in rows
           for cid, code in zip(criteria, row[1:], strict=True)}
    failures: list[Any] = []
    python = {(r.patient.split("/")[-1], c.id): c.result
              for r in engine.screen(read_patients(str(export), on_error=failures.append, registry=engine.registry),
                                     [trial_id], AS_OF) for c in r.criteria}
    assert set(sql) == set(python)
    return {key: (sql[key], python[key]) for key in python}
