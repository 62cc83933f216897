"""
The verdict summary (``--format csv``) from the compiled rules (``compile.py``).

SQL gives every top-level criterion's result, or NULL where it does not decide; for
exactly those patients and criteria, the per-patient engine evaluates the rule nodes SQL
left open (plugin functions, the rare cases the query does not settle) over the same
records the other engines read (the stored record and the Observations the trials'
value sets select), and ``Plan.decide`` combines them with SQL's results as the
evaluator combines. A criterion SQL decided carries its result only: the
csv row needs nothing else (full explanations go through the per-patient evaluator,
``population_records``).
"""

from __future__ import annotations

import datetime as dt
import json
import pickle
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from trialrules.api import Engine
from trialrules.engine.evaluator import CompiledTrial, Evaluation, _CompileEnv, compile_rule, verdict_of
from trialrules.engine.patient import PatientIndex
from trialrules.functions import FunctionContext
from trialrules.language.models import CriterionResult, InputFailure, evolve
from trialrules.population.backends import SELECT_OBSERVATIONS
from trialrules.population.compile import CODE, RESULT, Compiler, Plan, forms_on
from trialrules.population.facts import facts
from trialrules.population.judged import Judged, trial_codes
from trialrules.population.store import Store
from trialrules.results import ScreeningResult


def plan_for(store: Store, engine: Engine, trial_ids: Sequence[str], as_of: dt.date,
             forms: bool = True) -> tuple[Plan, str]:
    compiler = Compiler(facts(store), as_of, forms)
    for tid in trial_ids:
        compiler.add_trial(engine.compiled(tid))
    return compiler.plan, compiler.sql()


def summary_records(store: Store, engine: Engine, trial_ids: Sequence[str], as_of: dt.date,
                    on_error: Callable[[InputFailure], None], engine_name: str = "duckdb",
                    spark_master: str | None = None, stats: dict[str, int] | None = None) -> Iterator[Any]:
    """Each patient's csv results, in the reader's order, its failures in place."""
    plan, query = plan_for(store, engine, trial_ids, as_of, forms_on(engine_name))
    sql = open_session(store, engine, trial_ids, plan, engine_name, spark_master)
    try:
        sql.create("verdict", query)
        undecided = " OR ".join(f"c{i} IS NULL" for i in range(len(plan.columns))) or "FALSE"
        sql.create("need", f"SELECT ord FROM verdict WHERE {undecided}")
        trials = [engine.compiled(t) for t in trial_ids]
        spans = _spans(trials)
        names = [name for _, _, name in plan.columns]
        base_names = [name for name, _ in plan.base] or ["b_none"]
        width = len(plan.columns)
        leaves: dict[int, Any] = {}
        selected = SELECT_OBSERVATIONS.replace(
            "SEMI JOIN hit ON o.ord = hit.ord AND o.seq = hit.seq",
            "SEMI JOIN hit ON o.ord = hit.ord AND o.seq = hit.seq SEMI JOIN need ON o.ord = need.ord")
        observations = sql.stream(selected, (0, 2))
        people = sql.stream("SELECT v.*, p.id, p.warnings FROM verdict AS v JOIN fact_patient AS p "
                            "ON p.ord = v.ord ORDER BY v.ord", None)
        failures = store.failures()
        next_failure = 0
        stored = store.patients()
        obs_row = next(observations, None)
        for row in people:
            ordinal = row[0]
            while next_failure < len(failures) and failures[next_failure][0] < ordinal:
                on_error(failures[next_failure][1])
                next_failure += 1
            codes_row = row[1:1 + width]
            pid, warnings = row[-2], tuple(json.loads(row[-1]))
            values = dict(zip(base_names, row[1 + width:-2], strict=True))
            record = None
            if any(c is None for c in codes_row):
                blob = next(b for o, b in stored if o == ordinal)
                obs = []
                while obs_row is not None and obs_row[0] <= ordinal:
                    if obs_row[0] == ordinal:
                        obs.append(pickle.loads(bytes(obs_row[1])))  # noqa: S301 - our own cache
                    obs_row = next(observations, None)
                record = evolve(pickle.loads(blob), observations=tuple(obs))  # noqa: S301 - our own cache
                if stats is not None:
                    stats["python"] = stats.get("python", 0) + 1
            try:
                index: list[PatientIndex] = []  # built once per patient, when a leaf needs it
                outcome: Any = [_result(pid, trial, codes_row[a:b], names[a:b], record, as_of, plan, values, leaves,
                                        index, stats) for trial, (a, b) in zip(trials, spans, strict=True)]
            except Exception as exc:  # an evaluation bug on one patient: reported as the CLI does
                outcome = exc
            yield Judged(pid, warnings, outcome, engine)
        for _, failure in failures[next_failure:]:
            on_error(failure)
    finally:
        sql.close()


def open_session(store: Store, engine: Engine, trial_ids: Sequence[str], plan: Plan, engine_name: str = "duckdb",
                 spark_master: str | None = None) -> _Session:
    """An SQL session holding every table a plan's query reads."""
    found = facts(store)
    sql: _Session = _SparkSession(spark_master) if engine_name == "spark" else _DuckSession()
    try:
        for name in ("fact_patient", "fact_observation", "fact_record", "fact_attestation"):
            sql.view(name, found.table(name))
        for name in ("observation", "observation_code"):
            sql.view(name, store.table(name))
        for name, (columns, rows) in plan.tables.items():
            sql.table(name, columns, rows)
        codes = trial_codes(engine, trial_ids)
        sql.table("valueset_code", [("system", "s"), ("code", "s"), ("prefix", "b")], codes)
    except BaseException:
        sql.close()
        raise
    return sql


class _Session:
    """What the summary asks of an SQL engine; queries are written in DuckDB's dialect."""

    def view(self, name: str, path: Path) -> None:
        raise NotImplementedError

    def table(self, name: str, columns: list[tuple[str, str]], rows: list[tuple[Any, ...]]) -> None:
        raise NotImplementedError

    def create(self, name: str, query: str) -> None:
        raise NotImplementedError

    def stream(self, query: str, columns: tuple[int, ...] | None) -> Iterator[tuple[Any, ...]]:
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError


class _DuckSession(_Session):
    def __init__(self) -> None:
        from trialrules.population.backends import DuckDBBackend

        self.con = DuckDBBackend()._con  # the engine's settings (threads, memory limit)

    def view(self, name: str, path: Path) -> None:
        quoted = str(path).replace("'", "''")
        self.con.execute(f"CREATE OR REPLACE VIEW {name} AS SELECT * FROM read_parquet('{quoted}')")

    def table(self, name: str, columns: list[tuple[str, str]], rows: list[tuple[Any, ...]]) -> None:
        # a table, not a registered Arrow object: the streams read it on cursors
        self.con.register(f"{name}_arrow", _arrow(columns, rows))
        self.con.execute(f"CREATE TABLE {name} AS SELECT * FROM {name}_arrow")
        self.con.unregister(f"{name}_arrow")

    def create(self, name: str, query: str) -> None:
        self.con.execute(f"CREATE TABLE {name} AS {query}")

    def stream(self, query: str, columns: tuple[int, ...] | None) -> Iterator[tuple[Any, ...]]:
        return _rows(self.con.cursor().sql(query).to_arrow_reader(8192), columns)

    def close(self) -> None:
        self.con.close()


class _SparkSession(_Session):
    """The same queries on Spark, translated by sqlglot."""

    def __init__(self, master: str | None) -> None:
        from trialrules.population.backends import spark_session

        self.spark = spark_session(master)
        self.frames: list[Any] = []

    @staticmethod
    def _spark_sql(query: str) -> str:
        import sqlglot

        return sqlglot.transpile(query, read="duckdb", write="spark")[0]

    def view(self, name: str, path: Path) -> None:
        self.spark.read.parquet(str(path)).createOrReplaceTempView(name)

    def table(self, name: str, columns: list[tuple[str, str]], rows: list[tuple[Any, ...]]) -> None:
        from pyspark.sql import types as T

        kinds = {"i": T.LongType(), "f": T.DoubleType(), "s": T.StringType(), "b": T.BooleanType(),
                 "d": T.DateType()}
        schema = T.StructType([T.StructField(n, kinds[k]) for n, k in columns])
        fixed = [tuple(None if v is None else (float(v) if k == "f" else v) for v, (_, k) in zip(r, columns,
                                                                                                strict=True))
                 for r in rows]
        self.spark.createDataFrame(fixed, schema).createOrReplaceTempView(name)

    def create(self, name: str, query: str) -> None:
        frame = self.spark.sql(self._spark_sql(query)).persist()
        self.frames.append(frame)
        frame.createOrReplaceTempView(name)

    def stream(self, query: str, columns: tuple[int, ...] | None) -> Iterator[tuple[Any, ...]]:
        for row in self.spark.sql(self._spark_sql(query)).toLocalIterator():
            yield tuple(row) if columns is None else tuple(row[i] for i in columns)

    def close(self) -> None:
        for frame in self.frames:
            frame.unpersist()


def _spans(trials: Sequence[CompiledTrial]) -> list[tuple[int, int]]:
    out, start = [], 0
    for t in trials:
        out.append((start, start + len(t.criteria)))
        start += len(t.criteria)
    return out


def _result(pid: str, trial: CompiledTrial, codes: Sequence[int | None], names: Sequence[str], record: Any,
            as_of: dt.date, plan: Plan, values: dict[str, int | None], leaves: dict[int, Any],
            index: list[PatientIndex], stats: dict[str, int] | None = None) -> ScreeningResult:
    """The trial's results: SQL's, and for a criterion SQL left open, the per-patient engine's
    results of the leaves SQL left open, combined as the evaluator combines."""
    ev: Evaluation | None = None

    def leaf(shape: tuple[Any, ...]) -> int:
        nonlocal ev
        _, _, node, criterion_id = shape
        if ev is None:
            if not index:
                index.append(PatientIndex(record))
            ev = Evaluation(index[0], as_of, trial.trial.id,
                            FunctionContext(record, as_of, index[0], trial.matchers, trial.trial.id))
        run = leaves.get(id(node))
        if run is None:
            run = leaves[id(node)] = compile_rule(node, _CompileEnv(trial.valuesets, trial.matchers, trial.functions))
        ev.criterion_id = criterion_id
        if stats is not None:  # what Python decides, by function or rule kind (benchmarks/bench_sqlforms.py)
            what = getattr(node, "function", None) or type(node).__name__
            stats[what] = stats.get(what, 0) + 1
        return CODE[run(ev).result]

    results = []
    for compiled, code, name in zip(trial.criteria, codes, names, strict=True):
        c = compiled.criterion
        if code is None:
            code = plan.decide(name, values, leaf)
        results.append(CriterionResult(c.id, c.kind, c.text, RESULT[code], ""))
    return ScreeningResult(pid, trial.trial.id, as_of, verdict_of(results), tuple(results), definition=trial)


def _arrow(columns: list[tuple[str, str]], rows: list[tuple[Any, ...]]) -> Any:
    import pyarrow as pa

    types = {"i": pa.int64(), "f": pa.float64(), "s": pa.string(), "b": pa.bool_(), "d": pa.date32()}
    data = list(zip(*rows, strict=True)) if rows else [() for _ in columns]
    return pa.table({name: pa.array([None if v is None else (float(v) if kind == "f" else v) for v in col],
                                    types[kind]) for (name, kind), col in zip(columns, data, strict=True)})


def _rows(reader: Any, columns: tuple[int, ...] | None) -> Iterator[tuple[Any, ...]]:
    for batch in reader:
        picked = [batch.column(i).to_pylist() for i in (columns or range(batch.num_columns))]
        yield from zip(*picked, strict=True)
