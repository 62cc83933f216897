"""
How long a course of a drug class has run, for "long-term immunosuppressive therapy"
(exclusion 5 of the CEA CAR-T trial, ``cea-car-t``). Source: rules/protocol.txt.

A course is the union of the class's medication records that overlap or touch one
another; it counts when it is still taken within ``recent_days`` of the as-of date.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from trialrules import Evidence
from trialrules.functions import DerivedValue, FunctionContext, SqlValue, last_day_applies
from trialrules.language.statuses import MEDICATION_NOT_TAKEN, ONGOING

__all__ = ["course_days", "course_days_sql"]

def course_days(ctx: FunctionContext, args: Mapping[str, Any]) -> DerivedValue:
    """Days the current course of the value set's drugs has run up to the as-of date.

    0 when no such drug is taken within ``recent_days`` (default 28); None (unknown) when a
    matching record has no start date, or a record the value set cannot judge is in the way.
    """
    matcher = ctx.valueset(str(args.get("valueset", "immunosuppressants")))
    recent = ctx.as_of - dt.timedelta(days=int(args.get("recent_days", 28)))
    spans: list[tuple[dt.date, dt.date, Any]] = []
    for med in ctx.patient.medications:
        if med.status in MEDICATION_NOT_TAKEN:
            continue
        match = matcher.assess(med.codes, med.ingredients)
        if match.entry is None:
            continue
        start = med.start
        if start is None or start > ctx.as_of:
            if start is None:
                return DerivedValue(None, reason=f"{_name(med)} ({_ref(med)}) has no start date")
            continue
        end = last_day_applies(start, med.end, med.status, ctx.as_of)
        spans.append((start, end, med))
    spans.sort(key=lambda s: s[0])
    best: tuple[dt.date, dt.date, list[Any]] | None = None
    current: tuple[dt.date, dt.date, list[Any]] | None = None
    for start, end, med in spans:
        if current is not None and start <= current[1] + dt.timedelta(days=1):
            current = (current[0], max(current[1], end), [*current[2], med])
        else:
            current = (start, end, [med])
        if current[1] >= recent and (best is None or current[1] - current[0] > best[1] - best[0]):
            best = current
    if best is None:
        return DerivedValue(0, reason=f"no {matcher.name.replace('_', ' ')} taken since {recent.isoformat()}")
    days = (best[1] - best[0]).days
    evidence = tuple(Evidence(_ref(m), _name(m), None, m.start) for m in best[2])
    shown = ", ".join(sorted({_name(m) for m in best[2]}))
    return DerivedValue(days, None, evidence,
                        f"{shown} taken from {best[0].isoformat()} to {best[1].isoformat()} ({days} days)")


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
    skipped, as the function skips them) become spans from their start to
    ``last_day_applies``; spans that overlap or touch are one course (gaps and islands: a
    span starts a new course when it starts more than a day after every earlier span ended).
    A record whose end is before its start makes the function's merging depend on the
    records' order, so such patients are left to the Python function.
    """
    day = q.day
    recent = q.literal(q.as_of - dt.timedelta(days=int(args.get("recent_days", 28))))
    meds = q.records("medication", str(args.get("valueset", "immunosuppressants")))
    taken = f"NOT m.undecided AND NOT COALESCE(m.status IN {q.literals(MEDICATION_NOT_TAKEN)}, FALSE)"
    last = (f"CASE WHEN m.\"end\" IS NOT NULL THEN LEAST(m.\"end\", {day}) "
            f"WHEN m.status IS NULL OR m.status IN {q.literals(ONGOING)} THEN {day} ELSE m.start END")
    course = q.per_patient(f"""SELECT ord,
       MAX(CASE WHEN start IS NULL THEN 1 ELSE 0 END) = 1 AS undated,
       MAX(CASE WHEN last_day < start THEN 1 ELSE 0 END) = 1 AS reversed,
       COALESCE(MAX(CASE WHEN course_end >= {recent} THEN DATE_DIFF('day', course_start, course_end) END), 0) AS days
FROM (
  SELECT ord, start, last_day,
         MIN(start) OVER (PARTITION BY ord, course) AS course_start,
         MAX(last_day) OVER (PARTITION BY ord, course) AS course_end
  FROM (
    SELECT ord, start, last_day,
           SUM(CASE WHEN start IS NOT NULL AND (ended IS NULL OR DATE_DIFF('day', ended, start) > 1) THEN 1 ELSE 0 END)
             OVER (PARTITION BY ord ORDER BY start NULLS LAST ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS course
    FROM (
      SELECT ord, start, last_day,
             MAX(last_day) OVER (PARTITION BY ord ORDER BY start NULLS LAST ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS ended
      FROM (SELECT m.ord, m.start, {last} AS last_day FROM {meds} AS m
            WHERE {taken} AND (m.start IS NULL OR m.start <= {day})) AS s
    ) AS e
  ) AS c
) AS g
GROUP BY ord""")
    return SqlValue(f"COALESCE({course}.days, 0)", unknown=f"COALESCE({course}.undated, FALSE)",
                    defer=f"COALESCE({course}.reversed, FALSE)", exact=True)
