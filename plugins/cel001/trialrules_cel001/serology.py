"""
Viral loads for exclusion 10 of the CEL001 trial ("active hepatitis B or active hepatitis
C"). A load is reported as a coded or text result (detected / not detected) or as a number
(HBV DNA 210,000 IU/mL): a number is judged against the observation's own reference range,
since the protocol gives no threshold. Source: ClinicalTrials.gov record of CEL001.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from trialrules import Coding, DerivedValue, Evidence, FunctionContext, Quantity, qualitative, units

__all__ = ["viral_load_detectable"]

def _reading(obs: Any, name: str) -> tuple[Any, str]:
    """One viral load as (1 detectable / 0 not, sentence), or (None, why it cannot be read)."""
    value = obs.value
    when = obs.date.isoformat() if obs.date else (obs.effective or "?")
    if isinstance(value, Quantity):
        # Viral-load ranges do not differ by sex or age: a range restricted to a population
        # is not used, and ranges that disagree leave the value unjudged.
        highs = {(r.high.value, r.high.unit) for r in obs.reference_ranges
                 if r.high is not None and not r.applies_to and r.age_low is None and r.age_high is None}
        shown = f"{value.comparator or ''}{value.value:g} {value.unit}"
        if len(highs) != 1:
            why = "no reference range" if not highs else "reference ranges that disagree"
            return None, f"{name} {shown} on {when} has {why} to judge it by"
        ((high_value, high_unit),) = highs
        if high_unit == value.unit:
            limit = high_value
        elif high_unit and value.unit and units.is_convertible(high_unit, value.unit):
            limit = units.convert(high_value, high_unit, value.unit)
        else:
            return None, f"{name} on {when}: the unit {value.unit!r} does not convert to its range's"
        above = FunctionContext.compare(value.value, value.comparator, ">", limit)
        if above is None:
            return None, f"{name} {shown} on {when} is a bound that does not settle the upper limit ({limit:g})"
        word = "above" if above == "met" else "not above"
        return (1 if above == "met" else 0), (
            f"{name} {shown} on {when} is {word} the upper limit of its range ({limit:g}): "
            + ("detectable" if above == "met" else "not detectable"))
    shown = value.display or value.code if isinstance(value, Coding) else str(value)
    reading = qualitative.reading_of(value)
    if reading == "positive":
        return 1, f"{name} on {when} was {shown!r}: detectable"
    if reading == "negative":
        return 0, f"{name} on {when} was {shown!r}: not detectable"
    return None, f"{name} on {when} was {shown!r}, which cannot be read as detected or not"


def viral_load_detectable(ctx: FunctionContext, args: Mapping[str, Any]) -> DerivedValue:
    """1 when the newest viral load in the window is detectable, 0 when it is not, None
    (unknown) when there is none or it cannot be judged (a number without a range, a unit
    that does not convert to the range's, a bound that does not settle it, results at the
    same time that disagree). An older load never stands in for a newer one.

    Args (the rule's ``args``): ``concept`` (a LOINC value set, e.g. hbv_dna), ``days`` (28).
    """
    concept = str(args["concept"])
    days = int(args.get("days", 28))
    name = concept.replace("_", " ").upper()
    sentences: dict[str, str] = {}

    def read(obs: Any) -> tuple[Any, str]:
        verdict, text = _reading(obs, name)
        if verdict is None:
            return None, text
        sentences[obs.reference] = text
        return verdict, ""

    found = ctx.latest(concept, days, read)
    evidence = tuple(_evidence(o) for o in found.results)
    if not found.results:
        return DerivedValue(None, reason=f"no {concept.replace('_', ' ')} result in the {days} days up to {ctx.as_of.isoformat()}")
    if found.value is None:
        return DerivedValue(None, evidence=evidence, reason=found.reason)
    return DerivedValue(found.value, None, evidence, "; ".join(sentences[o.reference] for o in found.results))


def _evidence(obs: Any) -> Evidence:
    value = obs.value
    if isinstance(value, Quantity):
        return Evidence(obs.reference, value.value if value.comparator is None else f"{value.comparator}{value.value:g}",
                        value.unit, obs.date)
    return Evidence(obs.reference, value.display or value.code if isinstance(value, Coding) else value, None, obs.date)
