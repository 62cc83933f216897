"""
Population screening: a Bulk export ingested once into Parquet, queried with
DuckDB or Spark, judged by the same evaluator as one patient (CONTRACT.md section 8).

The division of labour, and why:

* **SQL** (DuckDB, or Spark through sqlglot) does the work that grows with the
  export: it joins every Observation's codings with the value sets of the
  screened trials (exact codes and ICD-10/ATC prefixes) and streams, in patient
  order, only the Observations a trial can look at.
* **The evaluator** (``trialrules.engine.evaluator``) judges each criterion over each
  patient's selected rows: windows, units, ×ULN, ties, Kleene logic, sentences
  and evidence are that one code, so an engine's result objects cannot drift
  from ``--engine python``. Plugin functions run the same way.
* For the verdict summary (``--format csv``), the rule trees are compiled
  to SQL (``compile.py``, over the facts of ``facts.py``): SQL decides every criterion
  it can prove it decides as the evaluator does, and the evaluator decides the rest
  (plugin functions, and the rare cases the query leaves open) for the patients
  that need them (``summary.py``).

``screen_export`` yields the records in the reader's order, with its failures
at the places the reader met them, so the CLI's writers produce the same bytes.
"""

from __future__ import annotations

import datetime as dt
import pickle
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from trialrules.api import Engine
from trialrules.language.models import InputFailure, PatientRecord, evolve
from trialrules.population.backends import (
    ENGINES,
    EngineUnavailable,
    SparkBackend,
    backend,
    check_engine,
)
from trialrules.population.judged import Judged, trial_codes
from trialrules.population.store import Store, ingest

__all__ = ["ENGINES", "EngineUnavailable", "check_engine", "Store", "ingest", "population_records", "engine_note"]


def population_records(
    export: Path,
    engine: Engine,
    trial_ids: Sequence[str],
    engine_name: str,
    on_error: Callable[[InputFailure], None],
    *,
    spark_master: str | None = None,
    cache_root: Path | None = None,
    as_of: dt.date | None = None,
    summary: bool = False,
) -> Iterator[Any]:
    """Each patient of the export, holding the Observations the trials' value sets
    select in SQL, in the reader's order; ``on_error`` gets each failure in place.

    The ingest (or the cache) and the engine are ready before this returns, so their
    problems (:class:`~trialrules.errors.TrialRulesError`) come before any output."""
    store = ingest(export, engine.registry, cache_root)
    if summary and as_of is not None:
        from trialrules.population.summary import summary_records

        check_engine(engine_name)
        return summary_records(store, engine, [engine.trial(t).id for t in trial_ids], as_of, on_error,
                               engine_name, spark_master)
    sql = backend(engine_name, spark_master)
    if isinstance(sql, SparkBackend) and as_of is not None:
        return _judged(store, sql, trial_codes(engine, trial_ids), on_error, engine, trial_ids, as_of)
    return _records(store, sql, trial_codes(engine, trial_ids), on_error)


def _judged(store: Store, sql: SparkBackend, codes: list[tuple[str | None, str, bool]],
            on_error: Callable[[InputFailure], None], engine: Engine, trial_ids: Sequence[str],
            as_of: dt.date) -> Iterator[Judged]:
    ids = [engine.trial(t).id for t in trial_ids]
    try:
        failures = store.failures()
        next_failure = 0
        for ordinal, payload in sql.judged(store, codes, ids, as_of.isoformat()):
            while next_failure < len(failures) and failures[next_failure][0] < ordinal:
                on_error(failures[next_failure][1])
                next_failure += 1
            warnings, pid, outcome = pickle.loads(payload)  # noqa: S301 - our own workers
            yield Judged(pid, warnings, outcome, engine)
        for _, failure in failures[next_failure:]:
            on_error(failure)
    finally:
        sql.close()


def _records(store: Store, sql: Any, codes: list[tuple[str | None, str, bool]],
             on_error: Callable[[InputFailure], None]) -> Iterator[PatientRecord]:
    try:
        failures = store.failures()
        next_failure = 0
        rows = sql.observations(store, codes)
        row = next(rows, None)
        for ordinal, blob in store.patients():
            while next_failure < len(failures) and failures[next_failure][0] < ordinal:
                on_error(failures[next_failure][1])
                next_failure += 1
            observations = []
            while row is not None and row[0] <= ordinal:
                if row[0] == ordinal:
                    observations.append(pickle.loads(row[1]))  # noqa: S301 - our own cache
                row = next(rows, None)
            rest = pickle.loads(blob)  # noqa: S301 - our own cache
            yield evolve(rest, observations=tuple(observations))
        for _, failure in failures[next_failure:]:
            on_error(failure)
    finally:
        sql.close()


def engine_note(engine: Engine, trial_ids: Sequence[str], engine_name: str, summary: bool = False) -> str:
    """The one stderr line saying what runs where."""
    calls = sorted({name for tid in trial_ids for name in _functions(engine, tid)})
    if summary:
        from trialrules.population.compile import compiles

        functions = engine.registry.functions
        calls = [c for c in calls if c not in functions or not compiles(functions[c], engine_name)]
        text = (f"engine {engine_name}: the trials' rules run as SQL; the per-patient evaluator decides, in this "
                "process, for the patients whose verdict needs them, the rule nodes SQL leaves open")
        if calls:
            text += f" (the functions {', '.join(calls)}, which have no SQL form on this engine)"
        return text
    where = "on Spark's executors" if engine_name == "spark" else "in this process"
    text = (f"engine {engine_name}: SQL selects each patient's observations by the trials' value sets; "
            f"the per-patient evaluator judges every criterion over them, {where}")
    if calls:
        text += f" (including the functions {', '.join(calls)})"
    return text


def _functions(engine: Engine, trial_id: str) -> set[str]:
    from trialrules.language.models import AllOf, AnyOf, AtLeast, Derived, If, Not, Rule

    found: set[str] = set()

    def walk(node: Rule | None) -> None:
        if isinstance(node, Derived):
            found.add(node.function)
        elif isinstance(node, (AllOf, AnyOf)):
            for p in node.parts:
                walk(p)
        elif isinstance(node, AtLeast):
            for p in node.of:
                walk(p)
        elif isinstance(node, Not):
            walk(node.part)
        elif isinstance(node, If):
            walk(node.condition)
            walk(node.then)
            walk(node.else_)

    for top in engine.trial(trial_id).criteria:
        for c in top.walk():
            walk(c.rule)
    return found
