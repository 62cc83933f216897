"""
Viral loads for exclusion 10 of the CEL001 trial ("active hepatitis B or active hepatitis
C"). A load is reported as a coded or text result (detected / not detected) or as a number
(HBV DNA 210,000 IU/mL): a number is judged against the observation's own reference range,
since the protocol gives no threshold. Source: ClinicalTrials.gov record of CEL001.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from typing import Any

from trialrules import Coding, Evidence, Quantity
from trialrules.functions import DerivedValue, FunctionContext, SqlValue
from trialrules.language import units

__all__ = ["viral_load_detectable", "viral_load_detectable_sql"]

_DETECTED = frozenset({"positive", "detected", "reactive"})
_NOT_DETECTED = frozenset({"negative", "not detected", "undetectable", "non-reactive", "nonreactive"})


def _reader(ctx: FunctionContext) -> Any:
    positives, negatives = ctx.valueset("positive_results"), ctx.valueset("negative_results")

    def read(obs: Any) -> tuple[Any, str]:
        """1 detectable, 0 not, or (None, why) when the result cannot be judged."""
        value = obs.value
        if isinstance(value, Quantity):
            # Viral-load ranges do not differ by sex or age: a range restricted to a
            # population is not used, and ranges that disagree leave the value unjudged.
            highs = {(r.high.value, r.high.unit) for r in obs.reference_ranges
                     if r.high is not None and not r.applies_to and r.age_low is None and r.age_high is None}
            if len(highs) != 1:
                return None, f"{value.value:g} {value.unit} has {'no reference range' if not highs else 'ranges that disagree'}"
            ((limit, limit_unit),) = highs
            if limit_unit != value.unit:
                if not (limit_unit and value.unit and units.is_convertible(limit_unit, value.unit)):
                    return None, f"the unit {value.unit!r} does not convert to its range's"
                limit = units.convert(limit, limit_unit, value.unit)
            if value.comparator in ("<", "<="):  # a bound: decides only when the bound is within range
                return (0, "") if value.value <= limit else (None, f"{value.comparator}{value.value:g} may be on either side of {limit:g}")
            if value.comparator in (">", ">="):
                if value.value > limit or (value.comparator == ">" and value.value == limit):
                    return 1, ""
                return None, f"{value.comparator}{value.value:g} may be on either side of {limit:g}"
            return (1 if value.value > limit else 0), ""
        return _read_coded(value, positives, negatives)

    return read


def _read_coded(value: Any, positives: Any, negatives: Any) -> tuple[Any, str]:
    """A coded or text viral load: 1 detected, 0 not, or (None, why)."""
    shown = (value.display or value.code) if isinstance(value, Coding) else str(value)
    text = shown.strip().casefold()
    if (isinstance(value, Coding) and positives.matches(value)) or text in _DETECTED:
        return 1, ""
    if (isinstance(value, Coding) and negatives.matches(value)) or text in _NOT_DETECTED:
        return 0, ""
    return None, f"{shown!r} cannot be read as detected or not"


@functools.cache
def _coded_reader(positives: Any, negatives: Any) -> Callable[[Any], float | None]:
    """:func:`_read_coded` as the SQL context calls it (one function per pair of value sets, so
    that each distinct value is read once)."""
    def read(value: Any) -> float | None:
        found, _ = _read_coded(value, positives, negatives)
        return None if found is None else float(found)

    return read


def viral_load_detectable(ctx: FunctionContext, args: Mapping[str, Any]) -> DerivedValue:
    """1 when the latest viral load in the window is detectable, 0 when it is not, None
    (unknown) when there is none or it cannot be judged (a number without a range, a unit
    that does not convert to the range's, same-day results that disagree).

    Args (the rule's ``args``): ``concept`` (a LOINC value set, e.g. hbv_dna), ``days`` (28).
    """
    concept = str(args["concept"])
    found = ctx.latest(concept, int(args.get("days", 28)), _reader(ctx))
    evidence = tuple(_evidence(o) for o in found.results)
    if found.value is None:
        return DerivedValue(None, evidence=evidence, reason=found.reason)
    when = ", ".join(sorted({o.date.isoformat() for o in found.results if o.date}))
    word = "detectable" if found.value else "not detectable"
    return DerivedValue(found.value, None, evidence, f"{concept.replace('_', ' ')} on {when}: {word}")


def viral_load_detectable_sql(q: Any, args: Mapping[str, Any]) -> SqlValue:
    """SQL form of :func:`viral_load_detectable` (docs/plugin-guide.md, "SQL forms"): the newest
    result in the window by the context's latest-value rule, a coded or text result read as
    the function reads it. A number is judged against the observation's own reference ranges,
    which the fact tables do not keep as the function reads them: where the newest results
    hold a number, the Python function decides."""
    read = _coded_reader(q.valueset("positive_results"), q.valueset("negative_results"))
    latest = q.latest(q.observations(str(args["concept"]), read=read), int(args.get("days", 28)))
    return SqlValue(latest.value, unknown=latest.unknown, defer=latest.defer, exact=True)


def _evidence(obs: Any) -> Evidence:
    value = obs.value
    if isinstance(value, Quantity):
        return Evidence(obs.reference, value.value, value.unit, obs.date)
    if isinstance(value, Coding):
        return Evidence(obs.reference, value.display or value.code, None, obs.date)
    return Evidence(obs.reference, value, None, obs.date)
