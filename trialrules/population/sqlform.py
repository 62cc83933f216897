"""
SQL forms of derived-value functions: what a plugin's ``sql`` form (registered beside the
Python function, ``registry.add_function(name, fn, sql=form)``) is given to write SQL with,
and how the compiler turns what it returns into a rule leaf (docs/plugin-guide.md, "SQL forms").

A form is ``form(q: SqlContext, args) -> SqlValue | None``. It never matches codes, places
results in time or converts units itself: the context's helpers do, with the per-patient
engine's own matchers, latest-value rule and unit factors, computed here once per distinct
code, value or unit (as ``compile.py`` does for measurements and searches) and joined in SQL.
Where the SQL does not reproduce the Python function exactly, the form says ``defer`` and the
Python function decides for those patients only.

All SQL is DuckDB's dialect, translated for Spark by sqlglot; write plain SQL (CASE, COALESCE,
arithmetic, ``GREATEST``/``LEAST``, ``POWER``, comparisons, aggregates).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from trialrules.engine.evaluator import CompiledTrial, assess_record
from trialrules.engine.latest import _DAY, _EARLIEST_SHIFT, _LATEST_SHIFT
from trialrules.engine.measure import snap
from trialrules.engine.patient import window_start
from trialrules.functions import SqlValue
from trialrules.language.converters import converter
from trialrules.language.models import Quantity, Window

if TYPE_CHECKING:
    from trialrules.population.compile import Compiler

__all__ = ["LatestSql", "SqlContext", "SqlValue"]

_FAR = -1e300  # stands for -infinity: an undated result's earliest instant
#: Relative margin within which a value is left to Python (the evaluator rounds to 12 digits).
_NEAR = 1e-9
#: Outside this, a double is not finite (NaN compares above everything in DuckDB and Spark).
_FINITE = 1.7e308


def _lit(value: Any) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, dt.date):
        return f"DATE '{value.isoformat()}'"
    return "'" + str(value).replace("'", "''") + "'"


class LatestSql:
    """The latest-value rule (``FunctionContext.latest``) for each patient, as SQL over one
    joined relation: use the attributes in a form's expressions."""

    def __init__(self, alias: str) -> None:
        self.alias = alias
        #: how many newest results there are (0: none in the window), ``Latest.results``
        self.n = f"COALESCE({alias}.n, 0)"
        #: the value, where ``ok``
        self.value = f"{alias}.value"
        #: the last day the newest dated result(s) may mean (NULL: none dated), ``builtins._day``
        self.last_day = f"{alias}.last_day"
        #: ``ok`` (a value), ``none`` (no result), ``unknown`` (the newest cannot be used, may be
        #: outside the window, or results at the same time differ), ``defer`` (Python decides)
        self.state = f"COALESCE({alias}.state, 'none')"
        self.ok = f"({self.state} = 'ok')"
        #: ``Latest.value`` is None
        self.unknown = f"({self.state} IN ('none', 'unknown'))"
        self.defer = f"({self.state} = 'defer')"

    def __str__(self) -> str:
        return self.alias


class SqlContext:
    """What a function's SQL form may use, for one trial at one as-of date.

    ``patient`` is the alias of the patient's row (``fact_patient``: ``ord``, ``id``,
    ``birth_date``, ``sex``); ``as_of`` the date, ``day`` its SQL literal. Relations the form
    joins per patient (:meth:`latest`, :meth:`per_patient`) are LEFT JOINed on ``ord``: a
    patient with no row there sees NULLs.
    """

    patient = "p"

    def __init__(self, compiler: Compiler, trial: CompiledTrial) -> None:
        self._compiler = compiler
        self._trial = trial
        self.as_of: dt.date = compiler.plan.as_of
        self.day = _lit(self.as_of)
        self.joins: list[str] = []

    # -- small helpers ----------------------------------------------------------

    @staticmethod
    def literal(value: Any) -> str:
        """An SQL literal: a number, text, date, boolean or NULL."""
        return _lit(value)

    def literals(self, values: Any) -> str:
        """A parenthesised SQL list for ``IN``."""
        return "(" + ", ".join(_lit(v) for v in sorted(values)) + ")"

    def age_years(self) -> str:
        """Completed years at the as-of date (``age_in_years``); NULL without a birth date."""
        d = self.as_of
        return (f"({d.year} - year(p.birth_date) - CASE WHEN month(p.birth_date) > {d.month} OR "
                f"(month(p.birth_date) = {d.month} AND day(p.birth_date) > {d.day}) THEN 1 ELSE 0 END)")

    def valueset(self, name: str) -> Any:
        """The trial's compiled value set ``name`` (``FunctionContext.valueset``), for ``match``
        and ``read`` callables."""
        return self._trial.matchers[name]

    def window_start(self, window: Window | Mapping[str, Any] | int | None) -> dt.date | None:
        """The first day of a window (a rule's ``window`` mapping, a :class:`Window` or days)."""
        return window_start(_window(window), self.as_of)

    # -- relations --------------------------------------------------------------

    def observations(self, valueset: str, *, unit: str | None = None, molar_mass: float | None = None,
                     valence: float | None = None, read: Callable[[Any], Any] | None = None,
                     numbers: str = "defer", match: Callable[[Any], bool] | None = None) -> str:
        """The usable Observations (status not entered-in-error, cancelled...) whose codes are in
        the trial's value set ``valueset``, one row each (``fact_observation``'s columns: ``ord``,
        ``seq``, ``vkind`` (``qty``/``num``/``other``), ``number``, ``unit``, ``comparator``,
        ``obs_date`` (``Observation.date``: the day as written, NULL when the source gives a time, a
        partial date or none),
        ``has_when``, ``first_day``, ``last_day`` ...), each with its reading:

        * ``reading`` (a number) and ``readable``: ``ok``, ``bad`` (cannot be read: None in Python)
          or ``defer``;
        * with ``unit``: read as ``builtins.latest_quantity`` reads (a bound, no number, no unit or
          a unit that does not convert: ``bad``; converted with ``molar_mass``/``valence``);
        * with ``read``: ``read(value) -> number | None`` is called once per distinct coded or text
          value (a Coding, a string, a boolean, None), with the per-patient engine's objects; it
          must read nothing but the value. Numbers and quantities are ``defer``, or ``bad`` with
          ``numbers="unreadable"`` (when ``read`` would return None for every number), or read by
          ``read`` too with ``numbers="read"``: once per distinct quantity (a ``Quantity`` of the
          value, unit and comparator, all it holds) or plain number (given as a float);
        * with neither: ``readable`` is ``defer``.

        ``match(codes) -> bool`` replaces the value set's own test of an Observation's codings
        (``PatientIndex.observations``): it is called once per distinct tuple of codings.
        Returns a relation name for FROM."""
        compiler, plan = self._compiler, self._compiler.plan
        matcher = self._trial.matchers[valueset]
        if numbers not in ("defer", "unreadable", "read"):
            raise ValueError(f"numbers must be 'defer', 'unreadable' or 'read', not {numbers!r}")
        if unit is not None and read is not None:
            raise ValueError("give unit or read, not both")
        key = ("obs", id(matcher), unit, molar_mass, valence, id(read), numbers, id(match))
        found = compiler.forms.get(key)
        if found is not None:
            return found[0]
        codes, new = compiler.form_key(("codes", id(matcher), id(match)), (matcher, match))
        if new:
            for codekey, coded in compiler.codekeys():
                if (compiler.code_matches(matcher, coded) if match is None else match(coded)):
                    plan.row("obs_match", codes, codekey)
        name = f"fo{len(compiler.forms)}"
        joins = f"JOIN obs_match AS m ON m.codekey = o.codekey AND m.leaf = '{codes}'"
        if unit is not None:
            factors, new = compiler.form_key(("units", unit, molar_mass, valence), None)
            if new:
                for u in compiler.value_units():
                    state, factor = compiler.unit_factor(u, unit, molar_mass, valence)
                    plan.row("unit_factor", factors, u, state, factor)
            joins += f" LEFT JOIN unit_factor AS u ON u.leaf = '{factors}' AND u.unit IS NOT DISTINCT FROM o.unit"
            plain = "ok" if unit in ("1", "") else "bad"
            product = "o.number * u.factor"
            reading = f"(CASE WHEN o.vkind = 'num' THEN o.number ELSE {product} END)"
            readable = (f"(CASE WHEN o.vkind = 'other' OR NOT o.finite THEN 'bad' "
                        f"WHEN o.vkind = 'qty' AND o.comparator IS NOT NULL THEN 'bad' "
                        f"WHEN o.vkind = 'num' THEN '{plain}' "
                        f"WHEN o.unit IS NULL OR o.unit = '' THEN 'bad' "
                        f"WHEN u.state = 'error' THEN 'bad' "
                        f"WHEN u.state = 'factor' AND {product} BETWEEN {-_FINITE!r} AND {_FINITE!r} THEN 'ok' "
                        f"ELSE 'defer' END)")
            same = "o.number", "(o.vkind || '|' || COALESCE(o.unit, ''))"
        elif read is not None:
            readings, new = compiler.form_key(("read", id(read)), read)
            if new:
                for valkey, obs in compiler.valkeys():
                    plan.row("value_reading", readings, valkey, *_reading(read, obs.value))
            joins += f" LEFT JOIN value_reading AS vr ON vr.leaf = '{readings}' AND vr.valkey = o.valkey"
            reading = "vr.reading"
            other = "bad" if numbers == "unreadable" else "defer"
            readable = f"(CASE WHEN o.vkind = 'other' THEN COALESCE(vr.state, 'defer') ELSE '{other}' END)"
            if numbers == "read":
                amounts, new = compiler.form_key(("read amounts", id(read), codes), read)
                if new:
                    for vkind, number, unit_, comparator in compiler.amounts(codes):
                        value = (Quantity(number, unit_, comparator) if vkind == "qty"  # type: ignore[arg-type]
                                 else number)
                        plan.row("amount_reading", amounts, vkind, number, unit_, comparator, *_reading(read, value))
                joins += (f" LEFT JOIN amount_reading AS ar ON ar.leaf = '{amounts}' AND ar.vkind = o.vkind "
                          f"AND ar.number = o.number AND ar.unit IS NOT DISTINCT FROM o.unit "
                          f"AND ar.comparator IS NOT DISTINCT FROM o.comparator")
                reading = "(CASE WHEN o.vkind = 'other' THEN vr.reading ELSE ar.reading END)"
                readable = ("(CASE WHEN o.vkind = 'other' THEN COALESCE(vr.state, 'defer') "
                            "ELSE COALESCE(ar.state, 'defer') END)")
            same = reading, "''"
        else:
            reading, readable, same = "CAST(NULL AS DOUBLE)", "'defer'", ("CAST(NULL AS DOUBLE)", "''")
        body = (f"SELECT o.*, {reading} AS reading, {readable} AS readable, {same[0]} AS same_num, "
                f"{same[1]} AS same_text FROM fact_observation AS o {joins} WHERE NOT o.ignored")
        compiler.forms[key] = (name, body)
        plan.ctes.append((name, body))
        return name

    def records(self, kind: str, valueset: str, *, match: Callable[[Any], bool | None] | None = None,
                label: Callable[[Any], str | None] | None = None) -> str:
        """The patient's records of ``kind`` (``condition``, ``medication``, ``procedure``,
        ``immunization``, ``allergy``) in the trial's value set ``valueset``, one row each
        (``fact_record``'s columns: ``ord``, ``pos``, ``status``, ``verification``, ``clinical``,
        ``begin``, ``end``, ``end_unknown``, ``start``: a medication's own start, NULL where the source gives none; ``first_lo``..``first_hi`` and ``last_lo``..``last_hi``, the days it may have begun on and last applied on, ``engine.spans.span_of``), with ``undecided``: the record cannot be judged
        (text only, codes of another system, an unconfirmed diagnosis: ``assess_record``'s
        ``why``). Statuses are not filtered: that is the form's to say, as its function does.

        ``match(record) -> True | False | None`` replaces the search's own judgement: it is called
        once per distinct (codes, ingredients, verificationStatus) and must read nothing else;
        None: undecided.

        ``label(record) -> str | None`` adds a column ``label``, computed the same way (once per
        distinct record, reading nothing else): what a form groups or tells records apart by (a
        drug's name, a class). Returns a relation name for FROM."""
        compiler, plan = self._compiler, self._compiler.plan
        matcher = self._trial.matchers[valueset]
        key = ("rec", kind, id(matcher), id(match), id(label))
        found = compiler.forms.get(key)
        if found is not None:
            return found[0]
        rows, _ = compiler.form_key(key, (matcher, match, label))
        for rkey, rkind, rec in compiler.recordkeys():
            if rkind != kind:
                continue
            if match is None:
                finding = assess_record(rec, kind, [matcher], [])
                if finding is None:
                    continue
                plan.row("rec_match", rows, rkey, bool(finding.why), None)
            else:
                judged = match(rec)
                if not (judged is None or judged):
                    continue
                plan.row("rec_match", rows, rkey, judged is None, None)
            if label is not None:
                plan.row("record_label", rows, rkey, label(rec))
        name = f"fr{len(compiler.forms)}"
        labelled = ("" if label is None else
                    f" LEFT JOIN record_label AS l ON l.leaf = '{rows}' AND l.key = r.key")
        body = (f"SELECT r.*, m.undecided{'' if label is None else ', l.label'}, {_span_sql(self.day)} "
                f"FROM fact_record AS r "
                f"JOIN rec_match AS m ON m.key = r.key AND m.leaf = '{rows}'{labelled} WHERE r.kind = {_lit(kind)}")
        compiler.forms[key] = (name, body)
        plan.ctes.append((name, body))
        return name

    def latest(self, observations: str, window: Window | Mapping[str, Any] | int | None = None) -> LatestSql:
        """The latest-value rule over an :meth:`observations` relation read with ``unit`` or
        ``read``, in a window ending on the as-of date, for each patient (joined): the newest
        result(s), as ``FunctionContext.latest`` chooses them (partial dates, zones, undated
        results, results at the same time that read differently)."""
        compiler, plan = self._compiler, self._compiler.plan
        start = self.window_start(window)
        key = ("latest", observations, start)
        found = compiler.forms.get(key)
        if found is None:
            name = f"fl{len(compiler.forms)}"
            body = _latest_sql(observations, start, self.as_of)
            compiler.forms[key] = (name, body)
            plan.ctes.append((name, body))
        else:
            name = found[0]
        self._join(name)
        return LatestSql(name)

    def per_patient(self, select: str) -> str:
        """Joins a relation with at most one row per patient (a column ``ord``), written over the
        relations above (``SELECT ord, COUNT(*) AS n FROM ... GROUP BY ord``); returns its alias."""
        compiler, plan = self._compiler, self._compiler.plan
        key = ("per_patient", select)
        found = compiler.forms.get(key)
        if found is None:
            name = f"fp{len(compiler.forms)}"
            compiler.forms[key] = (name, select)
            plan.ctes.append((name, select))
        else:
            name = found[0]
        self._join(name)
        return name

    def _join(self, name: str) -> None:
        if name not in self.joins:
            self.joins.append(name)


def _span_sql(day: str) -> str:
    """A record's ``first_lo``, ``first_hi``, ``last_lo``, ``last_hi`` on the as-of date
    (``engine.spans.span_of``; ``compile``'s records relation says the same)."""
    from trialrules.language.statuses import ONGOING

    status = "COALESCE(r.clinical, r.status)"
    ongoing = f"(r.begin IS NOT NULL AND ({status} IS NULL OR {status} IN ({', '.join(_lit(v) for v in sorted(ONGOING))})))"
    return (f"r.begin AS first_lo, "
            f"CASE WHEN r.\"end\" IS NOT NULL AND r.\"end\" < COALESCE(r.begin_latest, r.begin) THEN r.\"end\" "
            f"ELSE COALESCE(r.begin_latest, r.begin) END AS first_hi, "
            f"CASE WHEN r.\"end\" IS NOT NULL THEN LEAST(GREATEST(COALESCE(r.end_earliest, r.\"end\"), "
            f"COALESCE(r.begin, r.end_earliest, r.\"end\")), {day}) "
            f"WHEN r.end_unknown AND r.kind <> 'condition' AND {ongoing} THEN {day} "
            f"WHEN r.end_unknown THEN CASE WHEN r.begin IS NOT NULL THEN LEAST(r.begin, {day}) END "
            f"WHEN r.kind IN ('condition', 'medication') AND {ongoing} THEN {day} "
            f"ELSE CASE WHEN r.begin IS NOT NULL THEN LEAST(r.begin, {day}) END END AS last_lo, "
            f"CASE WHEN r.\"end\" IS NOT NULL THEN LEAST(r.\"end\", {day}) "
            f"WHEN r.end_unknown AND r.begin IS NOT NULL THEN {day} "
            f"WHEN r.kind IN ('condition', 'medication') AND {ongoing} THEN {day} "
            f"ELSE CASE WHEN r.begin IS NOT NULL THEN LEAST(COALESCE(r.begin_latest, r.begin), {day}) END "
            f"END AS last_hi")


def _window(window: Window | Mapping[str, Any] | int | None) -> Window | None:
    if window is None or isinstance(window, Window):
        return window
    if isinstance(window, int):
        return Window(days=window)
    return converter.structure(dict(window), Window)


def _reading(read: Callable[[Any], Any], value: Any) -> tuple[float | None, str]:
    try:
        found = read(value)
    except Exception:  # the Python function would meet the same: it decides
        return None, "defer"
    if found is None:
        return None, "bad"
    if isinstance(found, bool) or not isinstance(found, (int, float)) or not math.isfinite(found):
        return None, "defer"
    return float(found), "ok"


def _latest_sql(observations: str, start: dt.date | None, as_of: dt.date) -> str:
    """``PatientIndex.newest`` (``latest.placement``, ``latest.newest``) and
    ``FunctionContext.latest``'s verdict on the newest results, per patient."""
    day = _lit(as_of)
    end = (dt.datetime.combine(as_of, dt.time()) - dt.datetime(1, 1, 1)).total_seconds() + _DAY - 1e-6
    before = f"o.last_day < {_lit(start)}" if start is not None else "FALSE"
    straddles = f" OR o.first_day < {_lit(start)}" if start is not None else ""
    return f"""SELECT ord, n, last_day,
    CASE WHEN n_bad > 0 OR n_in = 0 THEN 'unknown' WHEN n_defer > 0 THEN 'defer' WHEN same THEN 'ok'
         WHEN hi_r - lo_r > {_NEAR!r} * GREATEST(ABS(hi_r), ABS(lo_r)) THEN 'unknown' ELSE 'defer' END AS state,
    CASE WHEN n_bad = 0 AND n_in > 0 AND n_defer = 0 AND same THEN hi_r END AS value
  FROM (
    SELECT ord, COUNT(*) AS n,
           SUM(CASE WHEN readable = 'bad' THEN 1 ELSE 0 END) AS n_bad,
           SUM(CASE WHEN readable = 'ok' THEN 0 WHEN readable = 'bad' THEN 0 ELSE 1 END) AS n_defer,
           SUM(CASE WHEN place = 'in' THEN 1 ELSE 0 END) AS n_in,
           MIN(reading) AS lo_r, MAX(reading) AS hi_r,
           (MIN(same_num) = MAX(same_num) AND MIN(same_text) = MAX(same_text)) AS same,
           MAX(CASE WHEN has_when THEN last_day END) AS last_day
    FROM (
      SELECT c.*,
             CASE WHEN c.zoned THEN (COALESCE(c.lz, {_FAR}) > c.hi OR COALESCE(c.lw, {_FAR}) - {_EARLIEST_SHIFT!r} > c.hi)
                  ELSE (COALESCE(c.lw, {_FAR}) > c.hi OR COALESCE(c.lz, {_FAR}) > c.hi + {_LATEST_SHIFT!r}) END AS beaten
      FROM (
        SELECT w.*,
               MAX(CASE WHEN w.zoned THEN w.lo END) OVER (PARTITION BY w.ord) AS lz,
               MAX(CASE WHEN NOT w.zoned THEN w.lo END) OVER (PARTITION BY w.ord) AS lw
        FROM (
          SELECT o.ord, o.has_when, o.last_day, o.reading, o.readable, o.same_num, o.same_text,
                 CASE WHEN NOT o.has_when THEN 'maybe'
                      WHEN o.first_day > {day} THEN 'later'
                      WHEN {before} THEN 'out'
                      WHEN o.last_day > {day}{straddles} THEN 'maybe'
                      ELSE 'in' END AS place,
                 CASE WHEN NOT o.has_when THEN {_FAR} ELSE o.lo END AS lo,
                 CASE WHEN NOT o.has_when THEN {end!r}
                      WHEN o.last_day > {day} AND NOT o.zoned THEN LEAST(o.hi, {end!r})
                      ELSE o.hi END AS hi,
                 COALESCE(o.zoned, FALSE) AS zoned
          FROM {observations} AS o
        ) AS w WHERE w.place IN ('in', 'maybe')
      ) AS c
    ) AS b WHERE NOT b.beaten
    GROUP BY ord
  ) AS g"""


def leaf_sql(form: SqlValue, derived: str, op: str, limit: float, factor: float) -> str:
    """One leaf's result (0 not met, 1 unknown, 2 met, 3 Python decides) from a derived-value
    relation ``derived`` (``x``, ``unk``, ``dfr``), as ``_compile_derived`` compares: the value
    converted to the rule's unit (``factor``), ``snap``-ped, against the ``snap``-ped limit."""
    x = f"({derived}.x * {factor!r})" if factor != 1.0 else f"{derived}.x"
    bound = snap(limit)
    tol = abs(form.tolerance * factor)
    near = f"ABS({x} - {bound!r}) <= {tol!r} + {_NEAR!r} * GREATEST(ABS({x}), ABS({bound!r}), 1e-300)"
    if form.exact and factor == 1.0:
        # an integer the function returns as it is: snap leaves it as it is
        near = f"NOT ({x} = FLOOR({x}) AND ABS({x}) < 1e12) AND {near}"
    sql_op = {"==": "=", "!=": "<>"}.get(op, op)
    return (f"CASE WHEN COALESCE({derived}.dfr, TRUE) THEN 3 WHEN {derived}.unk IS NULL THEN 3 "
            f"WHEN {derived}.unk THEN 1 "
            f"WHEN {derived}.x IS NULL OR NOT ({x} BETWEEN {-_FINITE!r} AND {_FINITE!r}) THEN 3 "
            f"WHEN {near} THEN 3 WHEN {derived}.cmp IS NOT NULL THEN {_bound_sql(derived, x, op, bound)} "
            f"WHEN {x} {sql_op} {bound!r} THEN 2 ELSE 0 END")


def _bound_sql(derived: str, x: str, op: str, limit: float) -> str:
    """A bound (``cmp``: ``<5`` is any value below 5) against ``op limit``, as ``latest.compare``
    judges it: met when every value the bound allows meets it, not met when none does, else
    unknown. Whether an interval lies within or apart from another depends only on where the
    bound lies against the limit (below, on, above), so the evaluator's own
    ``compare_intervals`` is asked once per comparator for each of the three."""
    from trialrules.engine.latest import compare_intervals
    from trialrules.language.models import MET, NOT_MET

    code = {MET: 2, NOT_MET: 0, None: 1}
    cases = []
    for cmp in ("<", "<=", ">", ">="):
        below, on, above = (code[compare_intervals(v, cmp, op, 1.0)] for v in (0.0, 1.0, 2.0))
        cases.append(f"WHEN '{cmp}' THEN (CASE WHEN {x} < {limit!r} THEN {below} WHEN {x} = {limit!r} THEN {on} "
                     f"ELSE {above} END)")
    return f"(CASE {derived}.cmp {' '.join(cases)} ELSE 3 END)"


def derived_sql(form: SqlValue, joins: list[str]) -> str:
    """The relation of a form's value for every patient: ``ord``, ``x``, ``unk``, ``dfr``, ``cmp``."""
    joined = "".join(f" LEFT JOIN {j} ON {j}.ord = p.ord" for j in joins)
    return (f"SELECT p.ord, CAST(({form.value}) AS DOUBLE) AS x, ({form.unknown}) AS unk, ({form.defer}) AS dfr, "
            f"CAST(({form.comparator}) AS VARCHAR) AS cmp "
            f"FROM fact_patient AS p{joined}")


def check_form(form: Any) -> SqlValue:
    if not isinstance(form, SqlValue):
        raise TypeError(f"an SQL form returns an SqlValue or None, not {type(form).__name__}")
    return form
