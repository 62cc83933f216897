"""
Derived values for CNK-UT (NCT06751134) that the rule language cannot say.

``cnk_ut_infection_test`` reads a qualitative screening test (HIV antibody,
syphilis serology) for exclusion 7, where a diagnosis code is not the only
evidence of "HIV infection" or "known syphilis infection":

- 1: the latest dated result on or before the as-of date is positive (or any
  undated result is positive: a positive result is known whenever it was taken);
- 0: the latest dated result is negative, or no such test is on record at all
  (then the diagnoses decide, as the rest of exclusion 7 does);
- None (unknown): the latest result is neither positive nor negative
  (equivocal, indeterminate, borderline, free text, a number with no
  interpretation) or only undated, non-positive results exist. Equivocal is never
  read as negative.

Positive and negative are value sets of result codes (``args.positive``,
``args.negative``) and case-insensitive words (``args.positive_text``,
``args.negative_text``) named in the rule file, so the vocabulary stays data.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from trialrules import DerivedValue, Evidence

__all__ = ["gene_therapy_recorded", "infection_test"]


def _verdict(value: Any, positive: Any, negative: Any, pos_text: set[str], neg_text: set[str]) -> str:
    """'positive', 'negative' or 'other' for one observation value."""
    if hasattr(value, "code") and hasattr(value, "system"):
        words = {(value.display or "").strip().casefold(), str(value.code).strip().casefold()}
        if positive.matches(value) or words & pos_text:
            return "positive"
        if negative.matches(value) or words & neg_text:
            return "negative"
        return "other"
    if isinstance(value, str):
        word = value.strip().casefold()
        if word in pos_text:
            return "positive"
        if word in neg_text:
            return "negative"
    return "other"


def _shown(value: Any) -> Any:
    if hasattr(value, "code") and hasattr(value, "system"):
        return value.display or value.code
    if hasattr(value, "value") and hasattr(value, "unit"):
        return f"{value.value} {value.unit or ''}".strip()
    return value


def _words(raw: Sequence[str] | None) -> set[str]:
    return {str(w).strip().casefold() for w in (raw or ())}


def infection_test(ctx: Any, args: Mapping[str, Any]) -> DerivedValue:
    """Latest qualitative screening result: 1 positive, 0 negative or no test, None otherwise."""
    tests = ctx.valueset(args["tests"])
    positive = ctx.valueset(args["positive"])
    negative = ctx.valueset(args["negative"])
    pos_text, neg_text = _words(args.get("positive_text")), _words(args.get("negative_text"))
    label = str(args.get("label") or tests.name.replace("_", " "))
    everything = [o for o in ctx.index.observations(tests) if o.date is None or o.date <= ctx.as_of]
    if not everything:
        return DerivedValue(0, reason=f"no {label} on record; the diagnoses decide")
    undated = [o for o in everything if o.date is None]
    for obs in undated:
        if _verdict(obs.value, positive, negative, pos_text, neg_text) == "positive":
            ev = Evidence(f"Observation/{obs.id}", _shown(obs.value), None, None)
            return DerivedValue(1, evidence=(ev,), reason=f"an undated {label} is positive ({_shown(obs.value)!r})")
    dated = [o for o in everything if o.date is not None]
    if not dated:
        obs = undated[0]
        ev = Evidence(f"Observation/{obs.id}", _shown(obs.value), None, None)
        return DerivedValue(None, evidence=(ev,), reason=f"the only {label} results are undated and not positive")
    latest = dated[0]  # most recent first
    ev = Evidence(f"Observation/{latest.id}", _shown(latest.value), None, latest.date)
    verdict = _verdict(latest.value, positive, negative, pos_text, neg_text)
    shown = f"{label} on {latest.date.isoformat()} was {_shown(latest.value)!r}"
    if verdict == "positive":
        return DerivedValue(1, evidence=(ev,), reason=f"{shown}: positive")
    if verdict == "negative":
        return DerivedValue(0, evidence=(ev,), reason=f"{shown}: negative")
    return DerivedValue(None, evidence=(ev,), reason=f"{shown}, neither positive nor negative: a person reads it")


def gene_therapy_recorded(ctx: Any, args: Mapping[str, Any]) -> DerivedValue:
    """1 when a medication on record is in the gene-therapy set, else 0.

    Exclusion 13 always asks a person (its attestation is part of the rule), and gene-therapy
    products have no RxNorm code a published list gives us: a medication coded only in
    RxNorm cannot be recognised here. It is not read as absence silently: the reason names
    those records for the person whose attestation decides them.
    """
    gene = ctx.valueset(args["valueset"])
    unread: list[str] = []
    for med in ctx.patient.medications:
        if (med.status or "").lower() in {"entered-in-error", "cancelled", "not-taken", "draft"}:
            continue
        start = med.start or med.end
        if start is not None and start > ctx.as_of:
            continue
        ref = med.reference
        shown = next((c.display for c in med.codes if c.display), med.codes[0].code if med.codes else med.id)
        if gene.matches_any(med.codes):
            ev = Evidence(ref, shown, None, med.start or med.end)
            return DerivedValue(1, evidence=(ev,), reason=f"gene therapy product on record: {shown} ({ref})")
        if not any(c.system in gene.systems() or _atc(c.system) for c in med.codes):
            unread.append(f"{shown} ({ref})")
    if unread:
        listed = "; ".join(unread[:5]) + (" ..." if len(unread) > 5 else "")
        return DerivedValue(0, reason=(f"no ATC-coded gene therapy on record; {len(unread)} medication(s) coded only in "
                                       f"other systems cannot be recognised here and are left to the attestation: {listed}"))
    return DerivedValue(0, reason="no gene therapy product on record")


def _atc(system: str | None) -> bool:
    return (system or "").rstrip("/").lower().endswith("whocc.no/atc")
