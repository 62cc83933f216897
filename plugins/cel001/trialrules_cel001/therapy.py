"""
Derived values for the CEL001 rules that the rule language cannot express.

Trial: CEL001 injection in advanced solid tumours (ClinicalTrials.gov record, last
update posted 2025-12-02). ``cel001_lines_of_therapy`` reads the medication history
for the footnote "standard treatment failure" of inclusion criterion 3;
``cel001_serum_hcg_negative`` reads a serum pregnancy test reported either as a coded
or text result or as a number (inclusion criterion 8).
"""

from __future__ import annotations

import datetime as dt
import functools
import itertools
import math
from collections.abc import Callable, Mapping
from typing import Any

from trialrules import Coding, Evidence, Quantity
from trialrules.functions import (
    READINGS_BUDGET,
    DerivedValue,
    FunctionContext,
    Span,
    SqlValue,
    record_span,
    span_days,
)
from trialrules.language import qualitative, units
from trialrules.language.statuses import MEDICATION_NOT_TAKEN

#: Drugs started within this many days of a line's first drug belong to that line.
REGIMEN_DAYS = 28
#: A gap longer than this without any systemic therapy starts a new line.
GAP_DAYS = 120

def _drug_key(med: Any, matcher: Any) -> str:
    # The drug itself, not its class: the name of the first specific (not class-prefix)
    # value-set entry any of its codings matches, so one ingredient coded in RxNorm, in
    # ATC or as a product is one drug; else the record's own first name or code.
    codings = (*med.codes, *med.ingredients)
    for c in codings:
        entry = matcher.entry_for(c)
        if entry is not None and not entry.prefix and entry.display:
            return str(entry.display).strip().lower()
    first = codings[0]
    return str(first.display or f"{first.system}|{first.code}").strip().lower()


def _is_antibody(key: str, med: Any) -> bool:
    """A monoclonal antibody: INN stem -mab, or ATC L01F (monoclonal antibodies and conjugates)."""
    names = [key, *((c.display or "").lower() for c in (*med.codes, *med.ingredients))]
    if any(n.split(" ")[0].split("-")[0].endswith("mab") for n in names if n):
        return True
    return any((c.system or "").rstrip("/").endswith("whocc.no/atc") and c.code.upper().startswith("L01F")
               for c in med.codes)


def _label(med: Any) -> str:
    for c in (*med.codes, *med.ingredients):
        if c.display:
            return str(c.display)
    return str((*med.codes, *med.ingredients)[0].code)


def lines_of_therapy(ctx: FunctionContext, args: Mapping[str, Any]) -> DerivedValue:
    """Distinct lines of systemic anticancer therapy started on or before the as-of date.

    A line is the set of drugs started within 28 days of its first drug. A later drug
    that is not part of the current regimen starts a new line, unless it is a monoclonal
    antibody added while the regimen still runs; any drug started after more than 120
    days without systemic therapy starts a new line. Drugs are told apart by the value-set
    entry they match, named where it has a name (RxNorm, ATC and products of one
    ingredient are one drug).

    A record whose days are not exact (a partial date, a finished course whose end is not
    given) is read on every day it may have begun and every last day that can change the
    count (:func:`_every_count`); the count is given only when every reading gives the same
    count, else it is unknown and the reason names the records (also beyond
    ``READINGS_BUDGET`` readings: too uncertain).
    """
    matcher = ctx.valueset(str(args.get("valueset", "systemic_anticancer_therapy")))
    records: list[tuple[Span, str, Any]] = []
    undated = 0
    unread: list[Any] = []
    for med in ctx.patient.medications:
        if med.status in MEDICATION_NOT_TAKEN:
            continue
        match = matcher.assess(med.codes, med.ingredients)
        if match.entry is None:
            if match.cannot_judge and (med.start or med.end or ctx.as_of) <= ctx.as_of:
                unread.append(med)  # text only, or codes the set cannot judge: may be a line
            continue
        span = record_span(med, "medication", ctx.as_of)
        if span.first_lo is None or span.first_hi is None or span.last_lo is None or span.last_hi is None:
            undated += 1
            continue
        if span.first_lo > ctx.as_of:
            continue
        records.append((span, _drug_key(med, matcher), med))
    # the first reading of every record: each on the first day it may have begun and ended
    dated = [(sp.first_lo, max(sp.first_lo, sp.last_lo), key, med) for sp, key, med in records
             if sp.first_lo is not None and sp.last_lo is not None]
    if not dated:
        why = "no dated systemic anticancer therapy in the medication history"
        if undated:
            why += f" ({undated} record(s) without dates)"
        return DerivedValue(None, reason=why + "; the history may be incomplete")
    counts = _every_count(records, ctx.as_of)
    if counts is None or len(counts) != 1:
        uncertain = sorted({med.reference for sp, _, med in records
                            if sp.first_lo != sp.first_hi or sp.last_lo != sp.last_hi})
        shown = (f"{min(counts)} to {max(counts)} line(s)" if counts else
                 f"more than {READINGS_BUDGET:,} readings: too uncertain to count the lines")
        return DerivedValue(None, reason=f"{shown} of systemic therapy, by the days records whose dates are not exact "
                                         f"may mean (a partial date or an end the record does not give: "
                                         f"{', '.join(uncertain[:5])})")
    lines = _lines(dated)
    described = "; ".join(
        f"line {n} from {line[0][0].isoformat()}: " + ", ".join(sorted({_label(i[3]) for i in line}))
        for n, line in enumerate(lines, start=1)
    )
    evidence = tuple(
        Evidence(i[3].reference, _label(i[3]), None, i[0]) for line in lines for i in line
    )
    reason = f"{len(lines)} line(s) of systemic therapy ({described})"
    if undated:
        reason += f"; {undated} undated record(s) not counted"
    if unread:
        reason += "; at least that many: medication(s) that cannot be judged as systemic therapy: " + ", ".join(
            f"{m.text or m.id} ({m.reference})" for m in sorted(unread, key=lambda m: m.reference)[:3])
        evidence += tuple(Evidence(m.reference, m.text, None, m.start or m.end)
                          for m in sorted(unread, key=lambda m: m.reference))
    # undated or unjudgeable records may add lines: the count is then a lower bound
    return DerivedValue(len(lines), None, evidence, reason, comparator=">=" if undated or unread else None)


def _every_count(records: list[tuple[Span, str, Any]], as_of: dt.date) -> set[int] | None:
    """The line counts of every reading of the records' dates, or None beyond
    :data:`READINGS_BUDGET` readings.

    Every day a record may have begun on is read (a start after the as-of date leaves the
    record out). Its last day is read only where :func:`_lines` could tell it apart: there a
    last day ``e`` is used only through ``max(start, e)``, the running maximum of last days and
    the two tests ``(start - last_end).days > GAP_DAYS`` (``last_end < start - GAP_DAYS``) and
    ``last_end >= start`` against the starts read; so the count depends on ``e`` only through
    which of the days ``start`` and ``start - GAP_DAYS`` (over every start read) it falls
    before. The first day of its range and each such day inside the range stand for the
    whole range: the count over them is the count over every day."""
    start_ways: list[tuple[dt.date | None, ...]] = []
    for span, _, _ in records:
        assert span.first_lo is not None and span.first_hi is not None
        days: tuple[dt.date | None, ...] = span_days(span.first_lo, min(span.first_hi, as_of))
        start_ways.append(days + (None,) if span.first_hi > as_of else days)
    counts: set[int] = set()
    read = 0
    gap = dt.timedelta(days=GAP_DAYS)
    for starts in itertools.product(*start_ways):
        cuts = sorted({d for s in starts if s is not None for d in (s, s - gap)})
        present = [(s, rec) for s, rec in zip(starts, records, strict=True) if s is not None]
        end_ways = []
        for _, (span, _, _) in present:
            lo, hi = span.last_lo, span.last_hi
            assert lo is not None and hi is not None
            end_ways.append((lo, *(c for c in cuts if lo < c <= hi)))
        combos = math.prod(len(w) for w in end_ways)
        read += combos
        if read > READINGS_BUDGET:
            return None
        for ends in itertools.product(*end_ways):
            counts.add(len(_lines([(s, max(s, e), key, med)
                                   for (s, (_, key, med)), e in zip(present, ends, strict=True)])))
    return counts


def _lines(dated: list[tuple[dt.date, dt.date, str, Any]]) -> list[list[tuple[dt.date, dt.date, str, Any]]]:
    """The lines of therapy of dated records (start, last day, drug, record)."""
    dated = sorted(dated, key=lambda t: (t[0], t[2]))
    groups: dict[dt.date, list[tuple[dt.date, dt.date, str, Any]]] = {}
    for item in dated:
        groups.setdefault(item[0], []).append(item)
    lines: list[list[tuple[dt.date, dt.date, str, Any]]] = []
    regimen: set[str] = set()
    line_start = last_end = dt.date.min
    for start, items in groups.items():  # drugs started the same day belong together
        keys = {i[2] for i in items}
        # An antibody added to a regimen that is still running (bevacizumab joining FOLFOX
        # in cycle 3) is the same line, not a second one.
        add_on = bool(lines) and last_end >= start and all(_is_antibody(i[2], i[3]) for i in items)
        new_line = (
            not lines
            or (start - last_end).days > GAP_DAYS
            or (start > line_start + dt.timedelta(days=REGIMEN_DAYS) and not keys <= regimen and not add_on)
        )
        if new_line:
            lines.append([])
            regimen = set()
            line_start = start
        lines[-1].extend(items)
        regimen |= keys
        last_end = max(last_end, *(i[1] for i in items))
    return lines


@functools.cache
def _drug_labels(matcher: Any) -> tuple[Callable[[Any], str | None], Callable[[Any], str | None]]:
    """The SQL form's per-record labels for one value set: the drug (``_drug_key``) and
    whether it is a monoclonal antibody ("1") or not ("0"); None for a record without codes
    (one the value set cannot judge: the function names no drug for it). One pair per value
    set, so the context computes each once per distinct record."""
    def drug(med: Any) -> str | None:
        return _drug_key(med, matcher) if (med.codes or med.ingredients) else None

    def antibody(med: Any) -> str | None:
        key = drug(med)
        return None if key is None else "1" if _is_antibody(key, med) else "0"

    return drug, antibody


def lines_of_therapy_sql(q: Any, args: Mapping[str, Any]) -> SqlValue:
    """SQL form of :func:`lines_of_therapy` (docs/plugin-guide.md, "SQL forms"), for every patient.

    The drugs started on one day are one step; steps are walked in date order by a recursive
    query carrying the current line's first day and the count. The regimen the function keeps
    as a set is not carried: a step's drugs are all in the regimen exactly when each of them
    had been started before, on or after the line's first day, so each step carries the
    earliest of its drugs' previous start days (``seen``; 0001-01-01 for a drug never started
    before), and "not in the regimen" is ``seen < line start``. The gap before a step and the
    antibody add-on need only the steps before it (window functions).
    Records are read by the days the context gives (``first_lo``, ``last_lo``: ``engine.spans``).
    The count is a lower bound (the function's ``>=``) when an undated record or one the
    value set cannot judge is in the history. A patient with a dated record whose days are
    not exact (a partial date, an end not given: the function then counts every reading) is
    left to the Python function.
    """
    valueset = str(args.get("valueset", "systemic_anticancer_therapy"))
    drug, antibody = _drug_labels(q.valueset(valueset))
    day = q.day
    drugs = q.records("medication", valueset, label=drug)
    antibodies = q.records("medication", valueset, label=antibody)
    taken = f"NOT COALESCE(d.status IN {q.literals(MEDICATION_NOT_TAKEN)}, FALSE)"
    never = q.literal(dt.date.min)
    t = f"{drugs}_lot"  # names of this query's own relations
    new_line = (f"(DATE_DIFF('day', s.ended, s.start) > {GAP_DAYS} "
                f"OR (DATE_DIFF('day', w.line_start, s.start) > {REGIMEN_DAYS} AND s.seen < w.line_start "
                f"AND NOT (s.ended >= s.start AND s.all_antibodies)))")
    lines = q.per_patient(f"""WITH RECURSIVE
{t}_given AS (
  SELECT d.ord, d.first_lo AS start, GREATEST(d.first_lo, d.last_lo) AS last_day, d.label AS drug,
         a.label = '1' AS antibody
  FROM {drugs} AS d JOIN {antibodies} AS a ON a.ord = d.ord AND a.pos = d.pos
  WHERE {taken} AND NOT d.undecided AND d.first_lo IS NOT NULL AND d.last_lo IS NOT NULL AND d.first_lo <= {day}
),
{t}_steps AS (
  SELECT s.ord, s.start, s.all_antibodies, f.seen,
         ROW_NUMBER() OVER (PARTITION BY s.ord ORDER BY s.start) AS i,
         MAX(s.step_end) OVER (PARTITION BY s.ord ORDER BY s.start
                               ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS ended
  FROM (SELECT ord, start, MAX(last_day) AS step_end,
               MIN(CASE WHEN antibody THEN 1 ELSE 0 END) = 1 AS all_antibodies
        FROM {t}_given GROUP BY ord, start) AS s
  JOIN (SELECT ord, start, MIN(before) AS seen
        FROM (SELECT ord, start, COALESCE(LAG(start) OVER (PARTITION BY ord, drug ORDER BY start), {never}) AS before
              FROM (SELECT DISTINCT ord, start, drug FROM {t}_given) AS u) AS b
        GROUP BY ord, start) AS f
    ON f.ord = s.ord AND f.start = s.start
),
{t}_walk AS (
  SELECT ord, i, start AS line_start, 1 AS n FROM {t}_steps WHERE i = 1
  UNION ALL
  SELECT w.ord, s.i, CASE WHEN {new_line} THEN s.start ELSE w.line_start END,
         w.n + CASE WHEN {new_line} THEN 1 ELSE 0 END
  FROM {t}_walk AS w JOIN {t}_steps AS s ON s.ord = w.ord AND s.i = w.i + 1
)
SELECT ord, MAX(n) AS n FROM {t}_walk GROUP BY ord""")
    flags = q.per_patient(f"""SELECT d.ord,
       MAX(CASE WHEN NOT d.undecided AND d.first_lo IS NOT NULL AND d.last_lo IS NOT NULL AND d.first_lo <= {day}
                THEN 1 ELSE 0 END) = 1 AS dated,
       MAX(CASE WHEN NOT d.undecided AND d.first_lo IS NOT NULL AND d.last_lo IS NOT NULL AND d.first_lo <= {day}
                     AND NOT COALESCE(d.first_lo = d.first_hi AND d.last_lo = d.last_hi, FALSE)
                THEN 1 ELSE 0 END) = 1 AS inexact,
       MAX(CASE WHEN (NOT d.undecided AND (d.first_lo IS NULL OR d.last_lo IS NULL))
                     OR (d.undecided AND COALESCE(COALESCE(d.start, d."end") <= {day}, TRUE))
                THEN 1 ELSE 0 END) = 1 AS bound
FROM {drugs} AS d WHERE {taken}
GROUP BY d.ord""")
    # no dated line: the function's value is None; with undated or unjudgeable records beside
    # the dated ones, the count is a lower bound (">=")
    dated = f"COALESCE({flags}.dated, FALSE)"
    return SqlValue(f"{lines}.n", unknown=f"NOT {dated}", defer=f"({dated} AND {flags}.inexact)", exact=True,
                    comparator=f"(CASE WHEN {flags}.bound THEN '>=' END)")


#: hCG results are compared in this unit; the core converts every UCUM form of it
#: (m[IU]/mL, [iU]/L, u[IU]/mL, ...).
_HCG_UNIT = "[IU]/L"


def _hcg_reading(obs: Any, cutoff: float) -> tuple[Any, str]:
    """One serum hCG as (1 negative / 0 positive, shown), or (None, why it cannot be read)."""
    return _hcg_value_reading(obs.value, cutoff)


def _hcg_value_reading(value: Any, cutoff: float) -> tuple[Any, str]:
    """A serum hCG's value as :func:`_hcg_reading` reads it."""
    if isinstance(value, Quantity):
        if not value.unit or not units.is_convertible(value.unit, _HCG_UNIT):
            return None, f"hCG in {value.unit!r} cannot be read"
        iu_l = units.convert(value.value, value.unit, _HCG_UNIT)
        bound = value.comparator
        # a bound (<5) decides only where every value it allows is on one side of the cut-off
        below = iu_l < cutoff if bound is None else (iu_l <= cutoff if bound == "<" else
                                                        iu_l < cutoff if bound == "<=" else False)
        above = iu_l >= cutoff if bound in (None, ">=", ">") else False
        if not below and not above:
            return None, f"hCG {bound}{iu_l:g} IU/L does not settle the cut-off {cutoff:g} IU/L"
        return (1 if below else 0), ""
    reading = qualitative.reading_of(value)
    if reading == "negative":
        return 1, ""
    if reading == "positive":
        return 0, ""
    return None, f"the result {value.display or value.code if isinstance(value, Coding) else value!r} " \
                 "is neither positive nor negative"


@functools.cache
def _hcg_reader(cutoff: float) -> Callable[[Any], float | None]:
    """:func:`_hcg_value_reading` at one cut-off, as the SQL context calls it (once per distinct
    value: a coded or text result, a quantity with its unit and comparator)."""
    def read(value: Any) -> float | None:
        found, _ = _hcg_value_reading(value, cutoff)
        return None if found is None else float(found)

    return read


def serum_hcg_negative_sql(q: Any, args: Mapping[str, Any]) -> SqlValue:
    """SQL form of :func:`serum_hcg_negative`: the newest serum hCG in the window (the context's
    latest-value rule), each distinct result read by the function's own reading."""
    read = _hcg_reader(float(args.get("cutoff", 5)))
    latest = q.latest(q.observations(str(args.get("concept", "hcg_serum")), read=read, numbers="read"),
                      int(args.get("days", 7)))
    return SqlValue(latest.value, unknown=latest.unknown, defer=latest.defer, exact=True)


def serum_hcg_negative(ctx: FunctionContext, args: Mapping[str, Any]) -> DerivedValue:
    """1 when the newest serum hCG in the window is negative, 0 when positive.

    Coded or text results are read by the core vocabulary (trialrules.language.qualitative); a
    quantity is negative below ``cutoff`` IU/L (default 5). When the newest result is
    neither, the value is unknown: an older result never stands in (CONTRACT.md section 5).
    """
    concept = str(args.get("concept", "hcg_serum"))
    days = int(args.get("days", 7))
    cutoff = float(args.get("cutoff", 5))
    found = ctx.latest(concept, days, lambda obs: _hcg_reading(obs, cutoff))
    evidence = tuple(Evidence(o.reference, _shown(o.value), None, o.date) for o in found.results)
    if found.value is None:
        return DerivedValue(None, None, evidence, f"serum hCG: {found.reason}")
    word = "negative" if found.value else "positive"
    shown = "; ".join(f"{_shown(o.value)} on {o.date.isoformat() if o.date else o.effective}" for o in found.results)
    return DerivedValue(found.value, None, evidence, f"serum hCG {shown} is {word} (cut-off {cutoff:g} IU/L)")


def _shown(value: Any) -> str:
    if isinstance(value, Quantity):
        return f"{value.comparator or ''}{value.value:g} {value.unit or ''}".strip()
    if isinstance(value, Coding):
        return value.display or value.code
    return str(value)
