"""
Derived values for JK500 (NCT05519384) that the rule language cannot say.

``jk500_relapsed_refractory`` decides inclusion criterion 3 ("Patients who
failed to achieve CR after two standard-dose induction therapy or had
recurrence within six months after CR") from what the record holds:

- CR dates: Conditions coded ICD-10-CM AML ``C92.01``-style codes (fifth
  character 1, "in remission": the onset is the date of CR), and disease-status
  Observations (value set ``aml_response_assessment``, e.g. LOINC 97509-4 /
  88040-1) whose value is in ``aml_response_cr`` (CR or CRi).
- Relapse dates: AML Conditions with fifth character 2 ("in relapse"; onset),
  and disease-status Observations valued in ``aml_response_relapse``.
- Not-in-CR assessment dates: AML Conditions with fifth character 0 ("not
  having achieved remission"; recorded date, else onset) and disease-status
  Observations valued in ``aml_response_not_cr`` (PR, resistant disease ...).
- Induction courses: Procedures in ``aml_induction_course`` (one per course,
  dated by the course start).
- SNOMED CT-coded AML conditions say the same through their concept:
  ``aml_condition_in_remission`` (e.g. 91860005 "AML in remission": CR at onset),
  ``aml_condition_relapse`` (12281000132104 "Relapsing AML": relapse at onset),
  ``aml_condition_refractory`` (12291000132102 "Refractory AML": not in CR).
- A relapse recorded without a date of its own: an AML Condition whose
  clinicalStatus is ``relapse`` or ``recurrence`` (its onset is the first
  diagnosis, not the relapse). An old remission is then no evidence of "not
  relapsed": the early-relapse test and the refractory count are unknown.
- A worsened disease status (``aml_response_worsened``, SNOMED CT 271299001)
  after a CR with no relapse recorded since is a relapse on that date; before any
  CR, or after a recorded relapse, it is "not in CR".

Decision (only data dated on or before the as-of date):

- Early relapse: the most recent relapse is met when it came no later than 6
  calendar months after the start of the CR it ended (the first CR date after
  the previous relapse); later -> not met; no dated CR before it -> unknown;
  no relapse in a record that holds response data -> not met.
- Refractory: counted over the induction courses after the most recent relapse
  (all courses when there is none). With >= 2 courses: a CR between the first
  course and the third (or the as-of date) -> not met; else a not-in-CR
  assessment after the second course -> met; else unknown. With < 2 courses:
  not met when CR was reached after them, else unknown.
- Result: met if either is met, not met if both are not met, else unknown;
  unknown (None) when the record holds none of these data, or holds a disease-status
  assessment whose result none of the response sets reads (it may be a CR or a relapse). The value is 1
  (relapsed/refractory) or 0 (not), for ``op: "==", value: 1`` in the rule.
- Dates given only as a month or year (an AML Condition's onset or recordedDate, an
  induction Procedure's date): the decision is made with each at the first and at the last
  day it may mean; readings that disagree leave it unknown, naming those records
  (CONTRACT.md section 5: a partial date never decides by a guessed day).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

import attrs

from trialrules import Evidence
from trialrules.calendar_arithmetic import add_months
from trialrules.functions import DerivedValue, SqlValue, every_reading
from trialrules.language.statuses import (
    CLINICAL_RECURRED,
    OBSERVATION_UNUSABLE,
    PROCEDURE_NOT_DONE,
    VERIFICATION_NOT_PRESENT,
)

__all__ = ["relapsed_refractory", "relapsed_refractory_sql"]

_MONTHS = 6


def _matches(vs: Any, codings: Iterable[Any]) -> Any:
    for coding in codings:
        if vs.matches(coding):
            return coding
    return None


def _value_codings(value: Any) -> list[Any]:
    if value is None:
        return []
    if hasattr(value, "code") and hasattr(value, "system"):
        return [value]
    if isinstance(value, (list, tuple)):
        return [v for v in value if hasattr(v, "code")]
    return []


def _uncertain(ctx: Any) -> list[str]:
    """AML Conditions and induction Procedures dated only to a month or year (their first and
    last possible days differ): read at each end by :func:`relapsed_refractory`."""
    aml, induction = ctx.valueset("aml"), ctx.valueset("aml_induction_course")
    refs = [f"Condition/{c.id}" for c in ctx.patient.conditions
            if (c.onset_latest or c.recorded_latest) and _matches(aml, c.codes) is not None]
    refs += [f"Procedure/{p.id}" for p in ctx.patient.procedures
             if p.date_latest and _matches(induction, p.codes) is not None]
    return refs


def _collect(ctx: Any, latest: frozenset[str] = frozenset()) -> dict[str, list[tuple[dt.date, str]]]:
    """The dated events; a record named in ``latest`` is read on the last day its partial date
    may mean, every other on the first."""
    as_of: dt.date = ctx.as_of
    patient = ctx.patient
    aml = ctx.valueset("aml")
    assessment = ctx.valueset("aml_response_assessment")
    cr_vs = ctx.valueset("aml_response_cr")
    relapse_vs = ctx.valueset("aml_response_relapse")
    not_cr_vs = ctx.valueset("aml_response_not_cr")
    induction = ctx.valueset("aml_induction_course")
    in_remission = ctx.valueset("aml_condition_in_remission")
    relapsing = ctx.valueset("aml_condition_relapse")
    refractory = ctx.valueset("aml_condition_refractory")
    worsened_vs = ctx.valueset("aml_response_worsened")
    found: dict[str, list[tuple[dt.date, str]]] = {
        "cr": [], "relapse": [], "not_cr": [], "course": [], "worsened": [], "relapse_undated": [],
        "unread": []}

    for cond in patient.conditions:
        if (cond.verification_status or "").lower() in VERIFICATION_NOT_PRESENT:
            continue
        coding = _matches(aml, cond.codes)
        if coding is None:
            continue
        ref = f"Condition/{cond.id}"
        if ref in latest:
            cond = attrs.evolve(cond, onset=cond.onset_latest or cond.onset,
                                recorded=cond.recorded_latest or cond.recorded)
        first = cond.recorded or cond.onset
        if first is not None and first > as_of:
            continue  # recorded after the as-of date
        status = ""
        if "icd-10-cm" in (coding.system or "").lower() and len(coding.code) == 6:
            status = coding.code[-1]
        elif _matches(in_remission, cond.codes) is not None:
            status = "1"
        elif _matches(relapsing, cond.codes) is not None:
            status = "2"
        elif _matches(refractory, cond.codes) is not None:
            status = "0"
        if status == "1" and cond.onset is not None and cond.onset <= as_of:
            found["cr"].append((cond.onset, ref))
        elif status == "2" and cond.onset is not None and cond.onset <= as_of:
            found["relapse"].append((cond.onset, ref))
            continue
        elif status == "0":
            day = cond.recorded or cond.onset
            if day is not None and day <= as_of:
                found["not_cr"].append((day, ref))
        if (cond.clinical_status or "").lower() in CLINICAL_RECURRED:
            # Relapse known, its date not: the onset is the first diagnosis.
            found["relapse_undated"].append((first or as_of, ref))

    for obs in patient.observations:
        if (obs.status or "").lower() in OBSERVATION_UNUSABLE:
            continue
        if obs.date is None or obs.date > as_of or _matches(assessment, obs.codes) is None:
            continue
        values = _value_codings(obs.value)
        ref = f"Observation/{obs.id}"
        if _matches(cr_vs, values) is not None:
            found["cr"].append((obs.date, ref))
        elif _matches(relapse_vs, values) is not None:
            found["relapse"].append((obs.date, ref))
        elif _matches(worsened_vs, values) is not None:
            found["worsened"].append((obs.date, ref))
        elif _matches(not_cr_vs, values) is not None:
            found["not_cr"].append((obs.date, ref))
        else:  # an assessment no response set reads: it may be a CR or a relapse
            found["unread"].append((obs.date, ref))

    for proc in patient.procedures:
        if (proc.status or "").lower() in PROCEDURE_NOT_DONE:
            continue
        day = proc.date_latest or proc.date if f"Procedure/{proc.id}" in latest else proc.date
        if day is None or day > as_of or _matches(induction, proc.codes) is None:
            continue
        found["course"].append((day, f"Procedure/{proc.id}"))

    # Worse after a CR (with no relapse recorded since) is a relapse on that date; worse
    # before any CR, or after a recorded relapse, is disease not in CR.
    relapses = list(found["relapse"])
    for day, ref in found.pop("worsened"):
        crs = sorted(d for d, _ in found["cr"] if d < day)
        if crs and not any(crs[-1] < d < day for d, _ in relapses):
            found["relapse"].append((day, ref))
        else:
            found["not_cr"].append((day, ref))
    for key in found:
        found[key].sort()
    return found


def _early_relapse(found: Mapping[str, list[tuple[dt.date, str]]]) -> tuple[bool | None, str, list[tuple[dt.date, str]]]:
    relapses = found["relapse"]
    if not relapses:
        return False, "no relapse recorded", []
    last_day, last_ref = relapses[-1]
    previous = [d for d, _ in relapses if d < last_day]
    floor = previous[-1] if previous else None
    crs = [(d, r) for d, r in found["cr"] if d < last_day and (floor is None or d > floor)]
    if not crs:
        return None, f"relapse on {last_day} but no dated CR before it", [(last_day, last_ref)]
    cr_day, cr_ref = crs[0]
    limit = add_months(cr_day, _MONTHS)
    used = [(cr_day, cr_ref), (last_day, last_ref)]
    if last_day <= limit:
        return True, f"relapse on {last_day}, within 6 months of CR on {cr_day}", used
    return False, f"relapse on {last_day}, more than 6 months after CR on {cr_day}", used


def _refractory(
    found: Mapping[str, list[tuple[dt.date, str]]], as_of: dt.date
) -> tuple[bool | None, str, list[tuple[dt.date, str]]]:
    base = found["relapse"][-1][0] if found["relapse"] else None
    after = "after the last relapse " if base is not None else ""
    courses = [c for c in found["course"] if base is None or c[0] > base]
    crs = [c for c in found["cr"] if base is None or c[0] > base]
    if len(courses) < 2:
        if crs:
            return False, f"CR reached on {crs[0][0]}", [crs[0]]
        return None, f"fewer than two induction courses recorded {after}".strip(), courses
    first, second = courses[0], courses[1]
    end = courses[2][0] if len(courses) > 2 else as_of
    reached = [c for c in crs if first[0] <= c[0] <= end]
    if reached:
        return False, f"CR reached on {reached[0][0]} after induction", [first, second, reached[0]]
    not_cr = [n for n in found["not_cr"] if second[0] < n[0] <= end]
    if not_cr:
        return (
            True,
            f"no CR after two induction courses {after}(courses {first[0]} and {second[0]}; "
            f"not in CR on {not_cr[-1][0]})",
            [first, second, not_cr[-1]],
        )
    return None, f"no response assessment after the second induction course ({second[0]})", [first, second]


def _undated_relapse(found: Mapping[str, list[tuple[dt.date, str]]]) -> list[tuple[dt.date, str]]:
    """Relapses known only from a clinical status (a status of now, so after the last CR),
    unless a dated relapse after the last CR already says when."""
    if not found["relapse_undated"]:
        return []
    last_cr = found["cr"][-1][0] if found["cr"] else None
    if any(last_cr is None or d > last_cr for d, _ in found["relapse"]):
        return []
    return list(found["relapse_undated"])


def relapsed_refractory(ctx: Any, args: Mapping[str, Any]) -> DerivedValue:
    """Inclusion criterion 3 of JK500 from induction courses and response dates (module docstring)."""
    found = _collect(ctx)
    if not any(found.values()):  # (no data at all, not even unreadable assessments)
        return DerivedValue(
            value=None,
            unit=None,
            evidence=(),
            reason="the record holds no induction courses, remission or relapse dates",
        )
    if found["unread"]:
        # CONTRACT.md section 5: a record that cannot be judged is shown, never skipped.
        unread = found["unread"]
        return DerivedValue(
            value=None, unit=None,
            evidence=tuple(Evidence(resource=ref, value=None, unit=None, date=day) for day, ref in unread),
            reason="disease-status assessment(s) whose result is not a known response cannot be read: "
                   + ", ".join(f"{ref} ({day})" for day, ref in unread[:3]),
        )
    value, reason, used = _decide(found, ctx.as_of)
    uncertain = _uncertain(ctx)
    if uncertain and value is not None:
        # a partial date must not decide by a guessed day: every reading must give the same answer
        values = every_reading([(False, True)] * len(uncertain), lambda choice: _decide(_collect(
            ctx, frozenset(ref for ref, hi in zip(uncertain, choice, strict=True) if hi)), ctx.as_of)[0])
        if len(values) != 1:
            value = None
            reason = ("cannot decide: the order of remission, relapse and induction courses depends on "
                      "dates given only as a month or year (" + ", ".join(uncertain[:5]) + f"); {reason}")
            used = used + [(d, r) for d, r in sorted(
                (d, r) for events in found.values() for d, r in events if r in uncertain)]
    seen: set[str] = set()
    evidence = []
    for day, ref in sorted(used):
        if ref not in seen:
            seen.add(ref)
            evidence.append(Evidence(resource=ref, value=None, unit=None, date=day))
    return DerivedValue(value=value, unit=None, evidence=tuple(evidence), reason=reason)


def _decide(found: Mapping[str, list[tuple[dt.date, str]]], as_of: dt.date) -> tuple[int | None, str, list[tuple[dt.date, str]]]:
    """1 relapsed/refractory, 0 not, None undecided; why; the events used."""
    early, early_why, early_used = _early_relapse(found)
    refractory, refr_why, refr_used = _refractory(found, as_of)
    undated = _undated_relapse(found)
    if undated:
        # A relapse whose date is unknown: "no relapse" and "CR reached" no longer hold.
        day, ref = undated[-1]
        why = f"relapse recorded on {ref} (clinical status) without a relapse date"
        if early is False:
            early, early_why, early_used = None, why, [(day, ref)]
        if refractory is False:
            refractory, refr_why, refr_used = None, why, [(day, ref)]
    if early is True:
        value, reason, used = 1, early_why, early_used
    elif refractory is True:
        value, reason, used = 1, refr_why, refr_used
    elif early is False and refractory is False:
        value, reason, used = 0, f"not relapsed/refractory: {early_why}; {refr_why}", early_used + refr_used
    else:
        value, reason, used = None, f"cannot decide: {early_why}; {refr_why}", early_used + refr_used
    return value, reason, used


def relapsed_refractory_sql(q: Any, args: Mapping[str, Any]) -> SqlValue:
    """The SQL form (docs/plugin-guide.md, "SQL forms"; ``q``: the population compiler's
    ``SqlContext``) of the one case SQL settles exactly: a record with no AML Condition, no
    disease-status assessment and no induction course at all (whatever their status or date),
    where the function finds nothing and the value is unknown. Every other record goes to the
    Python function."""
    aml, assessment, induction = (q.valueset(n) for n in ("aml", "aml_response_assessment", "aml_induction_course"))
    conditions = q.records("condition", "aml", match=lambda rec: _matches(aml, rec.codes) is not None)
    assessments = q.observations("aml_response_assessment", match=lambda codes: _matches(assessment, codes) is not None)
    courses = q.records("procedure", "aml_induction_course", match=lambda rec: _matches(induction, rec.codes) is not None)
    held = q.per_patient(f"SELECT ord, COUNT(*) AS n FROM (SELECT ord FROM {conditions} UNION ALL "
                         f"SELECT ord FROM {assessments} UNION ALL SELECT ord FROM {courses}) AS held GROUP BY ord")
    return SqlValue("CAST(NULL AS DOUBLE)", unknown=f"({held}.n IS NULL)", defer=f"({held}.n IS NOT NULL)", exact=True)
