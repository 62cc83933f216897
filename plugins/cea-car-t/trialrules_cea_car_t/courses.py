"""
How long a course of a drug class has run, for "long-term immunosuppressive therapy"
(exclusion 5 of the CEA CAR-T trial, ``cea-car-t``). Source: rules/protocol.txt.

A course is the union of the class's medication records that overlap or touch one
another; it counts when it is still taken within ``recent_days`` of the as-of date.

A record's days need not be exact (a partial date, a finished course whose end is not
given): the course is then measured twice, from each record's shortest reading (latest
start, earliest last day) and from its longest. The length only grows as records grow, so
the two are its bounds: equal, the length is known; else the shortest is a lower bound
(``>=``), and the reason gives both.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from trialrules import Evidence
from trialrules.functions import DerivedValue, FunctionContext, SqlValue, record_span
from trialrules.language.statuses import MEDICATION_NOT_TAKEN

__all__ = ["course_days", "course_days_sql"]

def course_days(ctx: FunctionContext, args: Mapping[str, Any]) -> DerivedValue:
    """Days the current course of the value set's drugs has run up to the as-of date.

    0 when no such drug is taken within ``recent_days`` (default 28); None (unknown) when a
    matching record has no start date, or a record the value set cannot judge is in the way.
    """
    matcher = ctx.valueset(str(args.get("valueset", "immunosuppressants")))
    recent = ctx.as_of - dt.timedelta(days=int(args.get("recent_days", 28)))
    shortest: list[tuple[dt.date, dt.date, Any]] = []
    longest: list[tuple[dt.date, dt.date, Any]] = []
    for med in ctx.patient.medications:
        if med.status in MEDICATION_NOT_TAKEN:
            continue
        match = matcher.assess(med.codes, med.ingredients)
        if match.entry is None:
            continue
        if med.start is None:
            return DerivedValue(None, reason=f"{_name(med)} ({_ref(med)}) has no start date")
        span = record_span(med, "medication", ctx.as_of)
        if span.first_lo is None or span.last_lo is None or span.last_hi is None or span.first_hi is None:
            return DerivedValue(None, reason=f"{_name(med)} ({_ref(med)}) has no start date")
        if span.first_lo > ctx.as_of:
            continue  # begins after the as-of date on every day it may mean
        if span.first_hi <= ctx.as_of:  # (one that may begin later is no part of the shortest reading)
            shortest.append((span.first_hi, max(span.last_lo, span.first_hi), med))
        longest.append((span.first_lo, span.last_hi, med))
    low, high = _best(shortest, recent), _best(longest, recent)
    if high is None:
        return DerivedValue(0, reason=f"no {matcher.name.replace('_', ' ')} taken since {recent.isoformat()}")
    days_high = (high[1] - high[0]).days
    days_low = (low[1] - low[0]).days if low is not None else 0
    used = high[2]
    evidence = tuple(Evidence(_ref(m), _name(m), None, m.start) for m in used)
    shown = ", ".join(sorted({_name(m) for m in used}))
    if days_low == days_high:
        return DerivedValue(days_high, None, evidence,
                            f"{shown} taken from {high[0].isoformat()} to {high[1].isoformat()} ({days_high} days)")
    # the records' dates are not exact (a partial date, an end not given): the length is a range
    return DerivedValue(days_low, None, evidence,
                        f"{shown} taken for {days_low} to {days_high} days: the records' dates are not exact "
                        f"(a partial date or an end the record does not give: "
                        f"{', '.join(sorted({_ref(m) for m in used}))})", comparator=">=")


def _best(spans: list[tuple[dt.date, dt.date, Any]], recent: dt.date) -> tuple[dt.date, dt.date, list[Any]] | None:
    """The longest run of overlapping or touching records still taken on or after ``recent``."""
    spans = sorted(spans, key=lambda s: (s[0], s[1]))
    best: tuple[dt.date, dt.date, list[Any]] | None = None
    current: tuple[dt.date, dt.date, list[Any]] | None = None
    for start, end, med in spans:
        if current is not None and start <= current[1] + dt.timedelta(days=1):
            current = (current[0], max(current[1], end), [*current[2], med])
        else:
            current = (start, end, [med])
        if current[1] >= recent and (best is None or current[1] - current[0] > best[1] - best[0]):
            best = current
    return best


def _ref(med: Any) -> str:
    return f"{med.source or 'MedicationStatement'}/{med.id}"


def _name(med: Any) -> str:
    for c in (*med.codes, *med.ingredients):
        if c.display:
            return str(c.display)
    return str((*med.codes, *med.ingredients)[0].code) if (med.codes or med.ingredients) else "a medication"


def course_days_sql(q: Any, args: Mapping[str, Any]) -> SqlValue:
    """SQL form of :func:`course_days` (docs/plugin-guide.md, "SQL forms"), for every patient.

    The value set's taken medications (the records the value set judges; text-only ones are
    skipped, as the function skips them) become spans from their first to their last day
    (the context's ``first_lo``/``last_lo``, ``engine.spans``); spans that overlap or touch are
    one course (gaps and islands: a span starts a new course when it starts more than a day
    after every earlier span ended). A patient with a record whose days are not exact (a
    partial date, an end not given: the function then measures a shortest and a longest
    reading) is left to the Python function.
    """
    day = q.day
    recent = q.literal(q.as_of - dt.timedelta(days=int(args.get("recent_days", 28))))
    meds = q.records("medication", str(args.get("valueset", "immunosuppressants")))
    taken = f"NOT m.undecided AND NOT COALESCE(m.status IN {q.literals(MEDICATION_NOT_TAKEN)}, FALSE)"
    course = q.per_patient(f"""SELECT ord,
       MAX(CASE WHEN no_start THEN 1 ELSE 0 END) = 1 AS undated,
       MAX(CASE WHEN NOT no_start AND NOT exact THEN 1 ELSE 0 END) = 1 AS inexact,
       COALESCE(MAX(CASE WHEN course_end >= {recent} THEN DATE_DIFF('day', course_start, course_end) END), 0) AS days
FROM (
  SELECT ord, no_start, exact,
         MIN(start) OVER (PARTITION BY ord, course) AS course_start,
         MAX(last_day) OVER (PARTITION BY ord, course) AS course_end
  FROM (
    SELECT ord, no_start, exact, start, last_day,
           SUM(CASE WHEN start IS NOT NULL AND (ended IS NULL OR DATE_DIFF('day', ended, start) > 1) THEN 1 ELSE 0 END)
             OVER (PARTITION BY ord ORDER BY start NULLS LAST ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS course
    FROM (
      SELECT ord, no_start, exact, start, last_day,
             MAX(last_day) OVER (PARTITION BY ord ORDER BY start NULLS LAST
                                 ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS ended
      FROM (SELECT m.ord, m.start IS NULL OR m.first_lo IS NULL OR m.last_lo IS NULL AS no_start,
                   COALESCE(m.first_lo = m.first_hi AND m.last_lo = m.last_hi, FALSE) AS exact,
                   m.first_lo AS start, GREATEST(m.last_lo, m.first_lo) AS last_day
            FROM {meds} AS m
            WHERE {taken} AND NOT COALESCE(m.first_lo > {day}, FALSE)) AS s
    ) AS e
  ) AS c
) AS g
GROUP BY ord""")
    return SqlValue(f"COALESCE({course}.days, 0)", unknown=f"COALESCE({course}.undated, FALSE)",
                    defer=f"COALESCE({course}.inexact, FALSE)", exact=True)
