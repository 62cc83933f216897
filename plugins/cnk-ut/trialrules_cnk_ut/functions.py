"""
Derived values for CNK-UT (NCT06751134) that the rule language cannot say.

``cnk_ut_infection_test`` reads a qualitative screening test (HIV antibody,
syphilis serology) for exclusion 7, where a diagnosis code is not the only
evidence of "HIV infection" or "known syphilis infection". Results are read with
the core's one qualitative vocabulary (:mod:`trialrules.language.qualitative`):

- 1: the latest dated result on or before the as-of date reads positive (or any
  undated result does: a positive result is known whenever it was taken);
- 0: the latest dated result reads negative, or no such test is on record at all
  (then the diagnoses decide, as the rest of exclusion 7 does);
- None (unknown): the latest result is indeterminate (equivocal, borderline,
  weakly reactive ...) or not readable (free text, a number with no
  interpretation), or only undated, non-positive results exist. Equivocal is never
  read as negative.

``cnk_ut_gene_therapy_recorded`` reads exclusion 13's data branch (below).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from trialrules import Evidence
from trialrules.functions import DerivedValue, SqlValue, record_span
from trialrules.language.qualitative import NEGATIVE, POSITIVE, reading_of
from trialrules.language.statuses import MEDICATION_NOT_TAKEN

__all__ = ["gene_therapy_recorded", "gene_therapy_recorded_sql", "infection_test", "infection_test_sql"]


def _shown(value: Any) -> Any:
    if hasattr(value, "code") and hasattr(value, "system"):
        return value.display or value.code
    if hasattr(value, "value") and hasattr(value, "unit"):
        return f"{value.value} {value.unit or ''}".strip()
    return value


def infection_test(ctx: Any, args: Mapping[str, Any]) -> DerivedValue:
    """Latest qualitative screening result: 1 positive, 0 negative or no test, None otherwise."""
    tests = ctx.valueset(args["tests"])
    label = str(args.get("label") or tests.name.replace("_", " "))
    everything = [o for o in ctx.index.observations(tests) if o.date is None or o.date <= ctx.as_of]
    if not everything:
        return DerivedValue(0, reason=f"no {label} on record; the diagnoses decide")
    undated = [o for o in everything if o.date is None]
    for obs in undated:
        if reading_of(obs.value) == POSITIVE:
            ev = Evidence(obs.reference, _shown(obs.value), None, None)
            return DerivedValue(1, evidence=(ev,), reason=f"an undated {label} is positive ({_shown(obs.value)!r})")
    # the newest result(s), by the core's latest-value rule: results that cannot be told
    # apart in time (one day, two codes) must read alike, an unreadable newest is unknown
    def read(obs: Any) -> tuple[Any, str]:
        reading = reading_of(obs.value)
        if reading in (POSITIVE, NEGATIVE):
            return reading, ""
        what = "indeterminate" if reading is not None else "not readable as positive or negative"
        return None, f"{_shown(obs.value)!r} is {what}"

    found = ctx.latest(args["tests"], None, read)
    evidence = tuple(Evidence(o.reference, _shown(o.value), None, o.date) for o in found.results)
    if found.value is None:
        return DerivedValue(None, evidence=evidence, reason=f"{label}: {found.reason}; a person reads it")
    when = ", ".join(sorted({o.date.isoformat() if o.date else (o.effective or "undated") for o in found.results}))
    shown = f"{label} on {when} was " + ", ".join(repr(_shown(o.value)) for o in found.results)
    return DerivedValue(1 if found.value == POSITIVE else 0, evidence=evidence, reason=f"{shown}: {found.value}")


def gene_therapy_recorded(ctx: Any, args: Mapping[str, Any]) -> DerivedValue:
    """1 when a medication on record is in the gene-therapy set, else 0.

    Exclusion 13 always asks a person (its attestation is part of the rule), and gene-therapy
    products have no RxNorm code a published list gives us: a medication coded only in
    RxNorm cannot be recognised here. It is not read as absence silently: the reason names
    those records for the person whose attestation decides them.
    """
    gene = ctx.valueset(args["valueset"])
    unread: list[str] = []
    later: list[Evidence] = []
    for med in ctx.patient.medications:
        if (med.status or "").lower() in MEDICATION_NOT_TAKEN:
            continue
        span = record_span(med, "medication", ctx.as_of)
        if span.first_lo is not None and span.first_lo > ctx.as_of:
            continue
        ref = med.reference
        shown = next((c.display for c in med.codes if c.display), med.codes[0].code if med.codes else med.id)
        if gene.matches_any(med.codes):
            ev = Evidence(ref, shown, None, med.start or med.end)
            if span.first_hi is not None and span.first_hi > ctx.as_of:
                later.append(ev)  # a partial start: it may have begun after the as-of date
                continue
            return DerivedValue(1, evidence=(ev,), reason=f"gene therapy product on record: {shown} ({ref})")
        if not any(c.system in gene.systems() or _atc(c.system) for c in med.codes):
            unread.append(f"{shown} ({ref})")
    if later:
        return DerivedValue(None, evidence=tuple(later), reason=(
            "gene therapy product(s) on record dated only to a month or year that may fall after "
            f"{ctx.as_of.isoformat()}: " + "; ".join(f"{e.value} ({e.resource})" for e in later[:5])))
    if unread:
        listed = "; ".join(unread[:5]) + (" ..." if len(unread) > 5 else "")
        return DerivedValue(0, reason=(f"no ATC-coded gene therapy on record; {len(unread)} medication(s) coded only in "
                                       f"other systems cannot be recognised here and are left to the attestation: {listed}"))
    return DerivedValue(0, reason="no gene therapy product on record")


# --------------------------------------------------------------------------
# SQL forms (docs/plugin-guide.md, "SQL forms"): the same rows read by the same
# vocabulary; ``q`` is the population compiler's ``SqlContext``.
# --------------------------------------------------------------------------


def _read_test(value: Any) -> float | None:
    """``infection_test``'s reading as a number: 1 positive, 0 negative, None otherwise."""
    reading = reading_of(value)
    return 1.0 if reading == POSITIVE else (0.0 if reading == NEGATIVE else None)


def infection_test_sql(q: Any, args: Mapping[str, Any]) -> SqlValue:
    """``infection_test`` for every patient: 0 with no test on or before the as-of date (or
    undated), 1 when an undated one reads positive, else the newest result(s)' reading."""
    tests = q.observations(args["tests"], read=_read_test, numbers="unreadable")
    seen = q.per_patient(
        f"SELECT ord, COUNT(*) AS n, "
        f"MAX(CASE WHEN obs_date IS NULL AND readable = 'ok' AND reading = 1 THEN 1 ELSE 0 END) AS positive, "
        f"MAX(CASE WHEN obs_date IS NULL AND readable = 'defer' THEN 1 ELSE 0 END) AS unread "
        f"FROM {tests} WHERE obs_date IS NULL OR obs_date <= {q.day} GROUP BY ord")
    latest = q.latest(tests)
    by_latest = f"({seen}.n IS NOT NULL AND {seen}.positive = 0)"
    return SqlValue(
        value=f"(CASE WHEN {seen}.n IS NULL THEN 0 WHEN {seen}.positive = 1 THEN 1 ELSE {latest.value} END)",
        unknown=f"({by_latest} AND {seen}.unread = 0 AND {latest.unknown})",
        defer=f"({by_latest} AND ({seen}.unread = 1 OR {latest.defer}))",
        exact=True)


def gene_therapy_recorded_sql(q: Any, args: Mapping[str, Any]) -> SqlValue:
    """``gene_therapy_recorded`` for every patient: 1 when a medication taken (by its status)
    and surely started by the as-of date (or undated) has a code in the set; else unknown when
    such a medication may have started after it (a month or year); else 0. The start days are
    ``record_span``'s: ``begin`` its first possible day, ``begin_latest`` its last, no later than
    the ``end``."""
    gene = q.valueset(args["valueset"])
    meds = q.records("medication", args["valueset"], match=lambda rec: bool(gene.matches_any(rec.codes)))
    latest_start = 'CASE WHEN "end" IS NOT NULL AND begin_latest IS NOT NULL AND "end" < begin_latest THEN "end" ' \
                   'ELSE begin_latest END'
    taken = q.per_patient(
        f"SELECT ord, SUM(CASE WHEN ({latest_start}) > {q.day} THEN 0 ELSE 1 END) AS surely, COUNT(*) AS n "
        f"FROM {meds} "
        f"WHERE LOWER(COALESCE(status, '')) NOT IN {q.literals(MEDICATION_NOT_TAKEN)} "
        f"AND NOT (begin IS NOT NULL AND begin > {q.day}) GROUP BY ord")
    return SqlValue(f"(CASE WHEN COALESCE({taken}.surely, 0) > 0 THEN 1 ELSE 0 END)",
                    unknown=f"(COALESCE({taken}.surely, 0) = 0 AND COALESCE({taken}.n, 0) > 0)", exact=True)


def _atc(system: str | None) -> bool:
    return (system or "").rstrip("/").lower().endswith("whocc.no/atc")
