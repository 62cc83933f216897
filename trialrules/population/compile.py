"""
A trial's rule tree compiled to one SQL query (DuckDB's dialect; Spark's through sqlglot):
the result of every top-level criterion for every patient, in three-valued logic.

Results are small integers: 0 ``not_met``, 1 ``unknown``, 2 ``met``, and NULL where the
SQL does not decide. A node SQL does not decide is a function a plugin registers
(Python, run by the per-patient engine), or a case whose exact semantics the query does
not reproduce (a result given as a bound ``<0.5``, a value within a hair of its limit,
several reference ranges that may apply, a unit conversion that is not a plain factor):
the query says NULL for exactly those patients and criteria, and the per-patient engine
evaluates them. Kleene logic keeps a NULL only where it could change the answer
(``not_met AND NULL`` is ``not_met``). So the compiled path never changes a result: it
decides what it can prove equal and hands the rest over.

What is judged once per distinct value rather than per row: which value set a code
tuple belongs to (``Matcher``, ``assess_record``), how a coded or text result reads
(the evaluator's own judge), and each unit's conversion factor (``units.convert``).
These small tables are computed here in Python with the per-patient engine's functions
and joined in SQL.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from attrs import define, field

from trialrules.engine.evaluator import CompiledTrial, _open_list_finding, assess_record
from trialrules.engine.latest import _DAY, _EARLIEST_SHIFT, _EPOCH, _LATEST_SHIFT
from trialrules.engine.measure import make_match_judge
from trialrules.engine.patient import window_start
from trialrules.errors import UnitError
from trialrules.language import units
from trialrules.language.models import (
    MET,
    NOT_MET,
    UNKNOWN,
    AllOf,
    AnyOf,
    AtLeast,
    Attestation,
    Const,
    Criterion,
    Derived,
    If,
    Measurement,
    Not,
    RecordSearch,
    Rule,
    Sex,
)
from trialrules.language.statuses import CLINICAL_ACTIVE, NOT_HAPPENED, ONGOING
from trialrules.language.terminology import _normal_code, system_uri
from trialrules.population.facts import Facts

CODE = {NOT_MET: 0, UNKNOWN: 1, MET: 2}
RESULT = {0: NOT_MET, 1: UNKNOWN, 2: MET}
DEFER = 3  # inside the leaf table: "the per-patient engine decides"
_NULL = "CAST(NULL AS INTEGER)"
#: Values this close to their limit (relative) are left to the per-patient engine, which
#: rounds to 12 significant digits before comparing (``_measure.snap``).
_NEAR = 1e-9
_FAR = -1e300  # stands for -infinity: an undated result's earliest instant


def _lit(value: Any) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, (int, float)):
        return repr(float(value)) if isinstance(value, float) else str(value)
    if isinstance(value, dt.date):
        return f"DATE '{value.isoformat()}'"
    return "'" + str(value).replace("'", "''") + "'"


def _seconds(day: dt.date) -> float:
    return (dt.datetime.combine(day, dt.time()) - _EPOCH).total_seconds()


@define
class Plan:
    """The compiled rules of the screened trials at one as-of date: the query, the small
    tables it joins (rows computed here), and which criteria Python may have to decide."""

    as_of: dt.date
    leaves: list[str] = field(factory=list)  # leaf column name -> its default
    defaults: list[int] = field(factory=list)
    tables: dict[str, tuple[list[tuple[str, str]], list[tuple[Any, ...]]]] = field(factory=dict)
    columns: list[tuple[str, str, str]] = field(factory=list)  # (trial id, criterion id, SQL expression)
    python_nodes: set[str] = field(factory=set)  # what runs in Python always (functions)
    base: list[tuple[str, str]] = field(factory=list)  # (name, expression over p and v)
    nodes: list[tuple[str, int, str]] = field(factory=list)  # (name, height, expression over names)
    heights: dict[str, int] = field(factory=dict)
    #: each name's structure, for deciding in Python what SQL left open: ("sql",) never open;
    #: ("leaf", trial id, rule node, criterion id); (combinator, parts...)
    shape: dict[str, tuple[Any, ...]] = field(factory=dict)
    #: relations functions' SQL forms use (``sqlform.py``), in the order they depend on each other
    ctes: list[tuple[str, str]] = field(factory=list)
    #: (leaf, query of its results per patient) for the derived values with an SQL form
    derived: list[tuple[str, str]] = field(factory=list)
    #: SQL forms that failed to build (the Python function decides everywhere instead)
    form_errors: list[str] = field(factory=list)

    def row(self, table: str, *values: Any) -> None:
        self.tables[table][1].append(values)

    def value(self, expr: str, shape: tuple[Any, ...] = ("sql",)) -> str:
        """A name for an expression over the patient (``p``) and the leaf results (``v``)."""
        name = f"b{len(self.base)}"
        self.base.append((name, expr))
        self.heights[name] = 0
        self.shape[name] = shape
        return name

    def node(self, expr: str, parts: Sequence[str], shape: tuple[Any, ...]) -> str:
        """A name for an expression over other names (computed one layer above them)."""
        name = f"n{len(self.nodes)}"
        height = 1 + max((self.heights[p] for p in parts), default=0)
        self.nodes.append((name, height, expr))
        self.heights[name] = height
        self.shape[name] = shape
        return name

    def decide(self, name: str, values: Mapping[str, int | None], leaf: Callable[[tuple[Any, ...]], int]) -> int:
        """The result code of ``name`` for one patient: SQL's values where they are set,
        ``leaf`` (the per-patient engine) for the leaves SQL left open, combined as the
        evaluator combines (``_kleene``, ``_compile_if``)."""
        shape = self.shape[name]
        kind = shape[0]
        if kind in ("sql", "leaf"):
            known = values.get(name)
            if known is not None:
                return known
            return leaf(shape)
        if kind == "not":
            return 2 - self.decide(shape[1], values, leaf)
        if kind == "if":
            c = self.decide(shape[1], values, leaf)
            if c == 2:
                return self.decide(shape[2], values, leaf)
            if c == 0:
                return self.decide(shape[3], values, leaf)
            t, e = self.decide(shape[2], values, leaf), self.decide(shape[3], values, leaf)
            return t if t == e else 1
        if kind in ("all", "any"):
            # parts SQL decided first, then the open ones, stopping where the answer is settled:
            # the per-patient engine runs only the leaves that can still change it
            settle = 0 if kind == "all" else 2
            found = []
            for p in sorted(shape[-1], key=lambda p: values.get(p) is None):
                code = self.decide(p, values, leaf)
                if code == settle:
                    return code
                found.append(code)
            return min(found) if kind == "all" else max(found)
        parts = [self.decide(p, values, leaf) for p in shape[-1]]
        met, unknown = parts.count(2), parts.count(1)
        n = shape[1]
        return 2 if met >= n else (0 if met + unknown < n else 1)

    def leaf(self, default: int) -> str:
        name = f"l{len(self.leaves)}"
        self.leaves.append(name)
        self.defaults.append(default)
        return name


#: The small tables the query joins: column names and types (``i`` integer, ``f`` double,
#: ``s`` text, ``b`` boolean, ``d`` date).
_TABLES = {
    "mleaf": [("leaf", "s"), ("start_day", "d"), ("use_", "s"), ("mode", "s"), ("op", "s"), ("limit_", "f"),
              ("multiple", "f")],
    "obs_match": [("leaf", "s"), ("codekey", "i")],
    "unit_factor": [("leaf", "s"), ("unit", "s"), ("state", "s"), ("factor", "f")],
    "value_result": [("leaf", "s"), ("valkey", "i"), ("r", "i")],
    "sleaf": [("leaf", "s"), ("kind", "s"), ("need_active", "b"), ("by_diagnosis", "b"), ("windowed", "b"),
              ("min_count", "i"), ("if_absent", "i")],
    "rec_match": [("leaf", "s"), ("key", "i"), ("undecided", "b"), ("limit_day", "d")],
    "aleaf": [("leaf", "s"), ("k1", "s"), ("k2", "s")],
    "record_label": [("leaf", "s"), ("key", "i"), ("label", "s")],
    "amount_reading": [("leaf", "s"), ("vkind", "s"), ("number", "f"), ("unit", "s"), ("comparator", "s"),
                       ("reading", "f"), ("state", "s")],
    "value_reading": [("leaf", "s"), ("valkey", "i"), ("reading", "f"), ("state", "s")],
}


class Compiler:
    """Builds a :class:`Plan` from compiled trials (their value sets, matchers and functions)."""

    def __init__(self, facts: Facts, as_of: dt.date, forms: bool = True) -> None:
        self.facts = facts
        #: compile the functions' SQL forms (else they run in Python; see ``forms_on``)
        self.with_forms = forms
        self.plan = Plan(as_of)
        for name, cols in _TABLES.items():
            self.plan.tables[name] = (cols, [])
        self._codekeys: list[tuple[int, Any]] | None = None
        self._valkeys: list[tuple[int, Any]] | None = None
        self._recordkeys: list[tuple[int, str, Any]] | None = None
        self._units: list[str | None] | None = None
        self._trial: CompiledTrial | None = None
        #: what functions' SQL forms asked for, by what it is: (relation name, SQL)
        self.forms: dict[Any, tuple[str, str]] = {}
        self._form_keys: dict[Any, tuple[str, Any]] = {}

    @staticmethod
    def unit_factor(unit: str | None, target: str | None, molar: float | None,
                    valence: float | None) -> tuple[str, float | None]:
        """``_factor``, for the SQL forms' relations (``sqlform.py``)."""
        return _factor(unit, target, molar, valence)

    @staticmethod
    def code_matches(matcher: Any, codes: Any) -> bool:
        """``_matches``, for the SQL forms' relations (``sqlform.py``)."""
        return _matches(matcher, codes)

    def form_key(self, key: Any, keep: Any) -> tuple[str, bool]:
        """A name for rows of the small tables an SQL form's relation joins, and whether it is
        new (the rows are then to be written); ``keep`` holds what ``key`` names by identity."""
        found = self._form_keys.get(key)
        if found is not None:
            return found[0], False
        name = f"k{len(self._form_keys)}"
        self._form_keys[key] = (name, keep)
        return name, True

    # -- distinct keys of the export --------------------------------------------

    def codekeys(self) -> list[tuple[int, Any]]:
        if self._codekeys is None:
            self._codekeys = [(k, v) for k, v in self.facts.keys("fact_obs_codekey")]
        return self._codekeys

    def valkeys(self) -> list[tuple[int, Any]]:
        if self._valkeys is None:
            self._valkeys = [(k, v) for k, v in self.facts.keys("fact_obs_valkey")]
        return self._valkeys

    def recordkeys(self) -> list[tuple[int, str, Any]]:
        if self._recordkeys is None:
            self._recordkeys = [(k, kind, v) for k, kind, v in self.facts.keys("fact_record_key")]
        return self._recordkeys

    def amounts(self, leaf: str) -> list[tuple[str, float, str | None, str | None]]:
        """The distinct (vkind, number, unit, comparator) of the finite numbers and quantities of
        the Observations whose code keys ``obs_match`` lists under ``leaf``."""
        import pyarrow as pa
        import pyarrow.compute as pc
        import pyarrow.parquet as pq

        keys = pa.array([row[1] for row in self.plan.tables["obs_match"][1] if row[0] == leaf], pa.int64())
        table = pq.read_table(self.facts.table("fact_observation"),
                              columns=["codekey", "vkind", "number", "unit", "comparator"])
        table = table.filter(pc.and_(pc.is_in(table.column("codekey"), value_set=keys),
                                     pc.is_valid(table.column("number"))))
        rows = zip(*(table.column(n).to_pylist() for n in ("vkind", "number", "unit", "comparator")), strict=True)
        return sorted({r for r in rows if r[0] in ("qty", "num")}, key=repr)

    def value_units(self) -> list[str | None]:
        if self._units is None:
            import pyarrow.compute as pc
            import pyarrow.parquet as pq

            column = pq.read_table(self.facts.table("fact_observation"), columns=["unit"]).column("unit")
            self._units = list(pc.unique(column).to_pylist())
        return self._units

    # -- trials ---------------------------------------------------------------

    def add_trial(self, trial: CompiledTrial) -> None:
        self._trial = trial
        for criterion in trial.trial.criteria:
            self.plan.columns.append((trial.trial.id, criterion.id, self.criterion(criterion)))

    def criterion(self, c: Criterion) -> str:
        parts: list[str] = []
        if c.rule is not None:
            parts.append(self.rule(c.rule, c.id))
        parts.extend(self.criterion(child) for child in c.criteria)
        if not parts:
            return self.plan.value(str(CODE[UNKNOWN]))
        if len(parts) == 1:
            return parts[0]
        combine = c.combine or ("all" if c.kind == "inclusion" else "any")
        return self.plan.node(_all(parts) if combine == "all" else _any(parts), parts, (combine, parts))

    def rule(self, node: Rule, criterion_id: str) -> str:
        plan = self.plan
        if isinstance(node, (AllOf, AnyOf)):
            parts = [self.rule(p, criterion_id) for p in node.parts]
            combine = "all" if isinstance(node, AllOf) else "any"
            return plan.node(_all(parts) if combine == "all" else _any(parts), parts, (combine, parts))
        if isinstance(node, Not):
            inner = self.rule(node.part, criterion_id)
            return plan.node(f"(2 - {inner})", [inner], ("not", inner))
        if isinstance(node, AtLeast):
            parts = [self.rule(p, criterion_id) for p in node.of]
            return plan.node(_at_least(node.n, parts), parts, ("at_least", node.n, parts))
        if isinstance(node, If):
            c, t, e = (self.rule(n, criterion_id) for n in (node.condition, node.then, node.else_))
            return plan.node(
                f"(CASE WHEN {c} = 2 THEN {t} WHEN {c} = 0 THEN {e} WHEN {c} = 1 THEN "
                f"(CASE WHEN {t} IS NULL OR {e} IS NULL THEN {_NULL} WHEN {t} = {e} THEN {t} ELSE 1 END) "
                f"ELSE {_NULL} END)", [c, t, e], ("if", c, t, e))
        if isinstance(node, Const):
            return plan.value(str(CODE[node.result]))
        if isinstance(node, Sex):
            return plan.value(f"(CASE WHEN p.sex IS NULL OR p.sex IN ('unknown', 'other') THEN 1 "
                              f"WHEN p.sex = {_lit(node.sex)} THEN 2 ELSE 0 END)")
        assert self._trial is not None
        shape = ("leaf", self._trial.trial.id, node, criterion_id)
        if isinstance(node, Attestation):
            return self.attestation(node, criterion_id, shape)
        if isinstance(node, Derived):
            return self.derived(node, shape)
        if isinstance(node, RecordSearch):
            return self.search(node, shape)
        if isinstance(node, Measurement):
            return self.measurement(node, shape)
        raise TypeError(f"not a rule node: {node!r}")

    def column(self, leaf: str, default: int, shape: tuple[Any, ...]) -> str:
        return self.plan.value(f"NULLIF(COALESCE(v.{leaf}, {default}), {DEFER})", shape)

    # -- leaves ---------------------------------------------------------------

    def attestation(self, node: Attestation, criterion_id: str, shape: tuple[Any, ...]) -> str:
        assert self._trial is not None
        key = node.id or criterion_id
        leaf = self.plan.leaf(CODE[UNKNOWN])
        self.plan.row("aleaf", leaf, f"{self._trial.trial.id}:{key}", key)
        return self.column(leaf, CODE[UNKNOWN], shape)

    def derived(self, node: Derived, shape: tuple[Any, ...]) -> str:
        assert self._trial is not None
        spec = self._trial.functions.get(node.function)
        if self.with_forms and spec is not None and getattr(spec, "sql", None) is not None:
            found = self.sql_form(node, spec, shape)
            if found is not None:
                return found
        comp = node.comparison
        if spec is not None and _is_age_years(spec.fn) and comp.unit is None and comp.op and \
                comp.value is not None and math.isfinite(comp.value):
            # completed years at the as-of date (``age_in_years``), compared as a count
            d = self.plan.as_of
            age = (f"({d.year} - year(p.birth_date) - CASE WHEN month(p.birth_date) > {d.month} OR "
                   f"(month(p.birth_date) = {d.month} AND day(p.birth_date) > {d.day}) THEN 1 ELSE 0 END)")
            sql_op = {"==": "=", "!=": "<>"}.get(comp.op, comp.op)
            # whole years against a limit: exact in SQL (snap leaves integers as they are)
            return self.plan.value(f"(CASE WHEN p.birth_date IS NULL THEN 1 WHEN {age} {sql_op} "
                                   f"{float(comp.value)!r} THEN 2 ELSE 0 END)")
        self.plan.python_nodes.add(node.function)
        return self.plan.value(_NULL, shape)

    def sql_form(self, node: Derived, spec: Any, shape: tuple[Any, ...]) -> str | None:
        """The leaf of a function with an SQL form (``sqlform.py``), or None when the form
        declines, fails, or its unit cannot be compared by a plain factor (Python decides)."""
        from trialrules.population.sqlform import SqlContext, check_form, derived_sql, leaf_sql

        assert self._trial is not None
        comp = node.comparison
        op = comp.op or ">="  # as ``_compile_derived``
        limit = float(comp.value or 0)
        if not math.isfinite(limit):
            return None
        q = SqlContext(self, self._trial)
        try:
            form = spec.sql(q, node.args)
            if form is None:
                return None
            form = check_form(form)
        except Exception as exc:  # a plugin's form must not stop a screening: its function runs instead
            self.plan.form_errors.append(f"{node.function}: {type(exc).__name__}: {exc}")
            return None
        factor = 1.0
        if comp.unit is not None:
            if form.unit is None:
                return None
            state, found = _factor(form.unit, comp.unit, None, None)
            if state != "factor" or found is None:
                return None
            factor = found
        key = ("derived", form, tuple(q.joins))
        relation = self.forms.get(key)
        if relation is None:
            relation = self.forms[key] = (f"fd{len(self.forms)}", derived_sql(form, q.joins))
            self.plan.ctes.append(relation)
        leaf = self.plan.leaf(DEFER)
        self.plan.derived.append((leaf, f"SELECT '{leaf}' AS leaf, ord, {leaf_sql(form, relation[0], op, limit, factor)} "
                                        f"AS r FROM {relation[0]}"))
        return self.column(leaf, DEFER, shape)

    def search(self, node: RecordSearch, shape: tuple[Any, ...]) -> str:
        assert self._trial is not None
        matchers = self._trial.matchers
        include = [matchers[n] for n in node.valuesets]
        exclude = [matchers[n] for n in node.exclude]
        wider = [(n, matchers[n]) for n in node.open_list]
        as_of = self.plan.as_of
        start = window_start(node.window, as_of)
        half_lives = node.window.half_lives if node.window is not None else None
        default = CODE[node.if_absent]
        leaf = self.plan.leaf(default)
        windowed = start is not None or bool(half_lives)
        self.plan.row("sleaf", leaf, node.record, node.status == "active",
                      node.record == "condition" and node.dated_by == "diagnosis", windowed, node.min_count, default)
        for key, kind, rec in self.recordkeys():
            if kind != node.record:
                continue
            finding = assess_record(rec, kind, include, exclude)
            if finding is None:
                finding = _open_list_finding(rec, kind, wider, exclude)
            if finding is None:
                continue
            limit = start
            entry = finding.entry
            if half_lives and entry is not None and entry.half_life_hours:
                hl_start = as_of - dt.timedelta(days=half_lives * entry.half_life_hours / 24.0)
                limit = hl_start if limit is None or hl_start > limit else limit
            self.plan.row("rec_match", leaf, key, bool(finding.why), limit)
        return self.column(leaf, default, shape)

    def measurement(self, node: Measurement, shape: tuple[Any, ...]) -> str:
        assert self._trial is not None
        concept = self._trial.valuesets[node.concept]
        matcher = self._trial.matchers[node.concept]
        comp = node.comparison
        as_of = self.plan.as_of
        leaf = self.plan.leaf(CODE[UNKNOWN])
        if comp.op is None:
            mode = "match"
            judge = make_match_judge("", comp, [self._trial.matchers[n] for n in comp.result_in])
            for valkey, obs in self.valkeys():
                j = judge(obs, None)  # type: ignore[arg-type]  # a coded or text result: the patient is not read
                self.plan.row("value_result", leaf, valkey, CODE[UNKNOWN] if j.result is None else CODE[j.result])
        elif comp.uln is not None or comp.lln is not None:
            mode = "uln" if comp.uln is not None else "lln"
        else:
            mode = "num"
            for unit in self.value_units():
                state, factor = _factor(unit, comp.unit, concept.molar_mass, concept.valence)
                self.plan.row("unit_factor", leaf, unit, state, factor)
        multiple = comp.uln if comp.uln is not None else comp.lln
        self.plan.row("mleaf", leaf, window_start(node.window, as_of), node.use, mode, comp.op,
                      comp.value, multiple)
        for codekey, codes in self.codekeys():
            if _matches(matcher, codes):
                self.plan.row("obs_match", leaf, codekey)
        return self.column(leaf, CODE[UNKNOWN], shape)

    # -- the query --------------------------------------------------------------

    def sql(self) -> str:
        as_of = self.plan.as_of
        end = _seconds(as_of) + _DAY - 1e-6
        day = _lit(as_of)
        pivot = ", ".join(f"MAX(CASE WHEN leaf = '{name}' THEN r END) AS {name}" for name in self.plan.leaves) \
            or "NULL AS l_none"
        columns = ", ".join(f"{name} AS c{i}" for i, (_, _, name) in enumerate(self.plan.columns)) or "0 AS c_none"
        base = ", ".join(f"{expr} AS {name}" for name, expr in self.plan.base) or "0 AS b_none"
        top = max((h for _, h, _ in self.plan.nodes), default=0)
        names = ", ".join(name for name, _ in self.plan.base) or "0 AS b_none"
        layers = "".join(
            f",\nlayer{h} AS (SELECT *, "
            + ", ".join(f"{expr} AS {name}" for name, height, expr in self.plan.nodes if height == h)
            + f" FROM layer{h - 1})" for h in range(1, top + 1))
        forms = "".join(f",\n{name} AS ({body})" for name, body in self.plan.ctes)
        derived = "".join(f"\n  UNION ALL SELECT leaf, ord, r FROM ({body}) AS {leaf}_r"
                          for leaf, body in self.plan.derived)
        status = "COALESCE(r.clinical, r.status)"
        ongoing = f"(r.begin IS NOT NULL AND ({status} IS NULL OR {status} IN ({_list(ONGOING)})))"
        skip = " ".join(
            f"WHEN r.kind = {_lit(kind)} THEN (r.verification IN ({_list(s)}) OR r.status IN ({_list(s)}))"
            for kind, s in NOT_HAPPENED.items())
        return f"""
WITH cand AS (
  SELECT m.leaf, o.ord, o.seq, o.vkind, o.valkey, o.number, o.finite, o.unit, o.comparator,
         o.n_ranges, o.n_applicable, o.range_certain, o.high_value, o.high_unit, o.high_cmp,
         o.low_value, o.low_unit, o.low_cmp,
         p.use_, p.mode, p.op, p.limit_, p.multiple,
         CASE WHEN NOT o.has_when THEN 'maybe'
              WHEN o.first_day > {day} THEN 'later'
              WHEN p.start_day IS NOT NULL AND o.last_day < p.start_day THEN 'out'
              WHEN o.last_day > {day} OR (p.start_day IS NOT NULL AND o.first_day < p.start_day) THEN 'maybe'
              ELSE 'in' END AS place,
         CASE WHEN NOT o.has_when THEN {_FAR} ELSE o.lo END AS lo,
         CASE WHEN NOT o.has_when THEN {end!r}
              WHEN o.last_day > {day} AND NOT o.zoned THEN LEAST(o.hi, {end!r})
              ELSE o.hi END AS hi,
         COALESCE(o.zoned, FALSE) AS zoned
  FROM fact_observation AS o
  JOIN obs_match AS m ON m.codekey = o.codekey
  JOIN mleaf AS p ON p.leaf = m.leaf
  WHERE NOT o.ignored
),
inwin AS (
  SELECT c.*,
         MAX(CASE WHEN zoned THEN lo END) OVER (PARTITION BY leaf, ord) AS lz,
         MAX(CASE WHEN NOT zoned THEN lo END) OVER (PARTITION BY leaf, ord) AS lw
  FROM cand AS c WHERE place IN ('in', 'maybe')
),
judged AS (
  SELECT i.leaf, i.ord, i.place, i.use_,
         CASE WHEN i.zoned THEN (COALESCE(i.lz, {_FAR}) > i.hi OR COALESCE(i.lw, {_FAR}) - {_EARLIEST_SHIFT!r} > i.hi)
              ELSE (COALESCE(i.lw, {_FAR}) > i.hi OR COALESCE(i.lz, {_FAR}) > i.hi + {_LATEST_SHIFT!r}) END AS beaten,
         {_judge_sql()} AS j
  FROM inwin AS i
  LEFT JOIN unit_factor AS u ON u.leaf = i.leaf AND u.unit IS NOT DISTINCT FROM i.unit
  LEFT JOIN value_result AS vr ON vr.leaf = i.leaf AND vr.valkey = i.valkey
),
measured AS (
  SELECT leaf, ord,
         CASE WHEN MAX(use_) = 'latest' THEN
                CASE WHEN SUM(CASE WHEN NOT beaten AND j = 3 THEN 1 ELSE 0 END) > 0 THEN 3
                     WHEN SUM(CASE WHEN NOT beaten AND j = 1 THEN 1 ELSE 0 END) = 0
                          AND (SUM(CASE WHEN NOT beaten AND j = 2 THEN 1 ELSE 0 END) = 0
                               OR SUM(CASE WHEN NOT beaten AND j = 0 THEN 1 ELSE 0 END) = 0)
                          AND SUM(CASE WHEN NOT beaten AND place = 'in' THEN 1 ELSE 0 END) > 0
                     THEN MAX(CASE WHEN NOT beaten THEN j END)
                     ELSE 1 END
              WHEN MAX(use_) = 'any' THEN
                CASE WHEN SUM(CASE WHEN j = 2 AND place = 'in' THEN 1 ELSE 0 END) > 0 THEN 2
                     WHEN SUM(CASE WHEN j = 3 THEN 1 ELSE 0 END) > 0 THEN 3
                     WHEN SUM(CASE WHEN j = 1 OR place <> 'in' THEN 1 ELSE 0 END) > 0 THEN 1
                     ELSE 0 END
              ELSE
                CASE WHEN SUM(CASE WHEN j = 0 AND place = 'in' THEN 1 ELSE 0 END) > 0 THEN 0
                     WHEN SUM(CASE WHEN j = 3 THEN 1 ELSE 0 END) > 0 THEN 3
                     WHEN SUM(CASE WHEN j = 1 OR place <> 'in' THEN 1 ELSE 0 END) > 0 THEN 1
                     ELSE 2 END
         END AS r
  FROM judged GROUP BY leaf, ord
),
records AS (
  SELECT m.leaf, r.ord, m.undecided, m.limit_day, p.windowed, p.by_diagnosis, p.need_active, r.clinical,
         r."end", r.end_earliest, r.begin AS first_lo,
         -- engine.spans.span_of: it began by the day it ended, and ended no earlier than it began
         CASE WHEN r."end" IS NOT NULL AND r."end" < COALESCE(r.begin_latest, r.begin) THEN r."end"
              ELSE COALESCE(r.begin_latest, r.begin) END AS first_hi,
         -- the days it may last have applied on, up to the as-of date (none for an undated record:
         -- LEAST and GREATEST skip NULLs in DuckDB and Spark)
         CASE WHEN r."end" IS NOT NULL THEN LEAST(GREATEST(COALESCE(r.end_earliest, r."end"),
                                                           COALESCE(r.begin, r.end_earliest, r."end")), {day})
              WHEN r.end_unknown AND r.kind <> 'condition' AND {ongoing} THEN {day}
              WHEN r.end_unknown THEN CASE WHEN r.begin IS NOT NULL THEN LEAST(r.begin, {day}) END
              WHEN r.kind IN ('condition', 'medication') AND {ongoing} THEN {day}
              ELSE CASE WHEN r.begin IS NOT NULL THEN LEAST(r.begin, {day}) END END AS last_lo,
         CASE WHEN r."end" IS NOT NULL THEN LEAST(r."end", {day})
              WHEN r.end_unknown AND r.begin IS NOT NULL THEN {day}
              WHEN r.kind IN ('condition', 'medication') AND {ongoing} THEN {day}
              ELSE CASE WHEN r.begin IS NOT NULL THEN LEAST(COALESCE(r.begin_latest, r.begin), {day}) END
         END AS last_hi
  FROM fact_record AS r
  JOIN rec_match AS m ON m.key = r.key
  JOIN sleaf AS p ON p.leaf = m.leaf AND p.kind = r.kind
  WHERE NOT COALESCE(CASE {skip} ELSE FALSE END, FALSE)
    AND NOT (p.need_active AND r.clinical IS NOT NULL AND r.clinical NOT IN ({_list(CLINICAL_ACTIVE)}))
    AND NOT (p.need_active AND r.clinical IS NULL AND r."end" IS NOT NULL AND r."end" <= {day})
    AND NOT (p.need_active AND r.clinical IS NULL AND r.kind = 'condition' AND r.end_unknown)
    AND NOT (r.begin IS NOT NULL AND r.begin > {day})
),
placed AS (
  SELECT r.*,
         CASE WHEN by_diagnosis THEN first_lo ELSE last_lo END AS lo,
         CASE WHEN by_diagnosis THEN first_hi ELSE last_hi END AS hi
  FROM records AS r
),
kept AS (
  -- as the evaluator's record search: before the window on every day dropped; undated, or
  -- begun after the as-of date, ended by it, or before the window on some days only: uncertain
  SELECT leaf, ord,
         CASE WHEN windowed AND lo IS NULL THEN 'uncertain'
              WHEN first_hi > {day} THEN 'uncertain'
              WHEN need_active AND clinical IS NULL AND end_earliest IS NOT NULL AND end_earliest <= {day}
                THEN 'uncertain'
              WHEN windowed AND limit_day IS NOT NULL AND lo < limit_day THEN 'uncertain'
              WHEN undecided THEN 'undecided' ELSE 'found' END AS finding
  FROM placed
  WHERE NOT (windowed AND hi IS NOT NULL AND limit_day IS NOT NULL AND hi < limit_day)
),
searched AS (
  SELECT k.leaf, k.ord,
         CASE WHEN SUM(CASE WHEN finding = 'found' THEN 1 ELSE 0 END) >= MAX(p.min_count) THEN 2
              WHEN COUNT(*) >= MAX(p.min_count) AND SUM(CASE WHEN finding <> 'found' THEN 1 ELSE 0 END) > 0 THEN 1
              ELSE MAX(p.if_absent) END AS r
  FROM kept AS k JOIN sleaf AS p ON p.leaf = k.leaf
  GROUP BY k.leaf, k.ord
),
attested AS (
  SELECT l.leaf, a.ord,
         COALESCE(MAX(CASE WHEN a.key = l.k1 THEN (CASE WHEN a.answer THEN 2 ELSE 0 END) END),
                  MAX(CASE WHEN a.key = l.k2 THEN (CASE WHEN a.answer THEN 2 ELSE 0 END) END)) AS r
  FROM fact_attestation AS a
  JOIN (SELECT leaf, k1 AS key, k1, k2 FROM aleaf UNION ALL SELECT leaf, k2 AS key, k1, k2 FROM aleaf) AS l
    ON a.key = l.key
  GROUP BY l.leaf, a.ord
){forms},
leaf_result AS (
  SELECT leaf, ord, r FROM measured
  UNION ALL SELECT leaf, ord, r FROM searched
  UNION ALL SELECT leaf, ord, r FROM attested{derived}
),
leaf_pivot AS (
  SELECT ord, {pivot} FROM leaf_result GROUP BY ord
),
layer0 AS (
  SELECT p.ord, {base}
  FROM fact_patient AS p LEFT JOIN leaf_pivot AS v ON v.ord = p.ord
){layers}
SELECT ord, {columns}, {names}
FROM layer{top}
ORDER BY ord
"""


def compiles(spec: Any, engine_name: str = "duckdb") -> bool:
    """Whether a registered function runs as SQL on this engine: the built-in ``age_years``
    (compiled here), or one with an SQL form its plugin registered (``sqlform.py``) where
    :func:`forms_on` says so; every other function runs in Python, per patient."""
    return _is_age_years(spec.fn) or (forms_on(engine_name) and getattr(spec, "sql", None) is not None)


def forms_on(engine_name: str) -> bool:
    """Whether the functions' SQL forms are compiled for this engine. Not on Spark yet: with
    every form in, the five trials' query exhausted local mode's 1 GB driver heap on the
    96-patient example export (Spark's plan for it is far larger than DuckDB's), so on Spark
    the functions run in Python, as before the forms; the results are the same either way.
    Each form is still tested on Spark alone (``plugins/*/tests/test_sql_forms.py``)."""
    return engine_name != "spark"


def _is_age_years(fn: Any) -> bool:
    from trialrules.engine import builtins

    return fn is builtins.age_years


def _list(values: Iterable[str]) -> str:
    return ", ".join(_lit(v) for v in sorted(values))


def _all(parts: Sequence[str]) -> str:
    if len(parts) == 1:
        return parts[0]
    zero = " OR ".join(f"{p} = 0" for p in parts)
    null = " OR ".join(f"{p} IS NULL" for p in parts)
    one = " OR ".join(f"{p} = 1" for p in parts)
    return f"(CASE WHEN {zero} THEN 0 WHEN {null} THEN {_NULL} WHEN {one} THEN 1 ELSE 2 END)"


def _any(parts: Sequence[str]) -> str:
    if len(parts) == 1:
        return parts[0]
    two = " OR ".join(f"{p} = 2" for p in parts)
    null = " OR ".join(f"{p} IS NULL" for p in parts)
    one = " OR ".join(f"{p} = 1" for p in parts)
    return f"(CASE WHEN {two} THEN 2 WHEN {null} THEN {_NULL} WHEN {one} THEN 1 ELSE 0 END)"


def _at_least(n: int, parts: Sequence[str]) -> str:
    met = " + ".join(f"(CASE WHEN {p} = 2 THEN 1 ELSE 0 END)" for p in parts)
    open_ = " + ".join(f"(CASE WHEN {p} = 2 OR {p} = 1 OR {p} IS NULL THEN 1 ELSE 0 END)" for p in parts)
    null = " OR ".join(f"{p} IS NULL" for p in parts)
    return (f"(CASE WHEN ({met}) >= {n} THEN 2 WHEN ({open_}) < {n} THEN 0 "
            f"WHEN {null} THEN {_NULL} ELSE 1 END)")


def _judge_sql() -> str:
    """One result against its measurement (``_measure.make_numeric_judge`` /
    ``make_match_judge``): 0/2 met or not, 1 unknown (cannot be judged), 3 undecided here."""
    x = "i.number * u.factor"
    number_test = "(CASE WHEN i.op IS NULL THEN 3 ELSE {} END)"
    # a whole number, unconverted, against a whole limit (ECOG <= 1): the evaluator's 12-digit
    # rounding leaves both as they are, so the comparison is exact even at the limit
    whole = ("u.factor = 1.0 AND i.number = FLOOR(i.number) AND ABS(i.number) < 1e11 "
             "AND i.limit_ = FLOOR(i.limit_) AND ABS(i.limit_) < 1e11")
    ops = " ".join(
        f"WHEN i.op = '{op}' THEN {_compare_dyn(x, op, 'i.limit_', whole)}" for op in (">=", ">", "<=", "<", "==", "!="))
    numeric = number_test.format(f"CASE {ops} ELSE 3 END")

    def against(bound: str) -> str:
        value, unit, cmp = f"i.{bound}_value", f"i.{bound}_unit", f"i.{bound}_cmp"
        scaled = f"(i.multiple * {value})"
        tests = " ".join(
            f"WHEN i.op = '{op}' THEN {_compare_dyn('i.number', op, scaled)}" for op in (">=", ">", "<=", "<", "==", "!="))
        return (f"CASE WHEN i.n_ranges = 0 THEN 1 WHEN i.n_applicable = 0 THEN 1 "
                f"WHEN i.n_applicable > 1 OR NOT i.range_certain THEN 3 "
                f"WHEN {value} IS NULL OR {cmp} IS NOT NULL THEN 1 "
                f"WHEN i.unit IS NULL AND i.vkind = 'qty' THEN 1 "
                # a bare number and a limit without unit (INR): ``_bound_in`` takes the limit as it is
                f"WHEN i.unit IS NULL AND {unit} IS NULL AND i.vkind = 'num' THEN (CASE WHEN {value} <= 0 THEN 1 "
                f"WHEN i.comparator IS NOT NULL THEN 3 {tests} ELSE 3 END) "
                f"WHEN i.unit IS NULL OR {unit} IS NULL OR {unit} <> i.unit THEN 3 "
                f"WHEN {value} <= 0 THEN 1 "
                f"WHEN i.comparator IS NOT NULL THEN 3 "
                f"{tests} ELSE 3 END")

    return f"""(CASE
      WHEN i.mode = 'match' THEN (CASE WHEN i.vkind = 'other' THEN COALESCE(vr.r, 3) ELSE 1 END)
      WHEN i.vkind = 'other' OR NOT i.finite THEN 1
      WHEN i.mode = 'uln' THEN ({against('high')})
      WHEN i.mode = 'lln' THEN ({against('low')})
      WHEN u.state = 'error' THEN 1
      WHEN u.state IS NULL OR u.state <> 'factor' THEN 3
      WHEN i.comparator IS NOT NULL THEN 3
      ELSE {numeric} END)"""


def _compare_dyn(x: str, op: str, limit: str, exact: str = "FALSE") -> str:
    near = f"NOT ({exact}) AND ABS({x} - {limit}) <= {_NEAR!r} * GREATEST(ABS({x}), ABS({limit}), 1e-300)"
    sql_op = {"==": "=", "!=": "<>"}.get(op, op)
    return f"(CASE WHEN {near} THEN 3 WHEN {x} {sql_op} {limit} THEN 2 ELSE 0 END)"


def _factor(unit: str | None, target: str | None, molar: float | None, valence: float | None) -> tuple[str, float | None]:
    """How a value in ``unit`` converts for a limit in ``target`` (``_measure`` judge):
    ``factor`` (a plain multiplication), ``error`` (cannot be judged: unknown), or ``other``
    (not a plain factor, e.g. temperatures: the per-patient engine decides)."""
    try:
        if target is None:
            if unit is None:
                return "factor", 1.0
            if not units.is_convertible(unit, "1"):
                return "error", None
            target, molar, valence = "1", None, None
        elif unit is None:
            return "error", None
        factor = units.convert(1.0, unit, target, molar, valence)
        for x in (0.0, 7.25, 1234.5):
            y = units.convert(x, unit, target, molar, valence)
            if abs(y - x * factor) > 1e-12 * max(abs(y), 1.0):
                return "other", None
        if not math.isfinite(factor):
            return "other", None
        return "factor", factor
    except UnitError:
        return "error", None
    except Exception:  # anything surprising: the per-patient engine decides
        return "other", None


def _matches(matcher: Any, codes: Any) -> bool:
    """Whether ``PatientIndex.observations`` would find an Observation with these codes."""
    if not matcher.exact_only:
        return bool(matcher.matches_any(codes))
    for coding in codes:
        system = system_uri(coding.system)
        if (system, _normal_code(system, coding.code)) in matcher.exact:
            return True
    return False
