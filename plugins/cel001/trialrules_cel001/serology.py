"""
Viral loads for exclusion 10 of the CEL001 trial ("active hepatitis B or active hepatitis
C"). A load is reported as a coded or text result (detected / not detected) or as a number
(HBV DNA 210,000 IU/mL): a number is judged against the observation's own reference range,
since the protocol gives no threshold. Source: ClinicalTrials.gov record of CEL001.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from trialrules import Coding, DerivedValue, Evidence, FunctionContext, Quantity, units

__all__ = ["viral_load_detectable"]

_DETECTED = frozenset({"positive", "detected", "reactive"})
_NOT_DETECTED = frozenset({"negative", "not detected", "undetectable", "non-reactive", "nonreactive"})


def viral_load_detectable(ctx: FunctionContext, args: Mapping[str, Any]) -> DerivedValue:
    """1 when the latest viral load in the window is detectable, 0 when it is not, None
    (unknown) when there is none or it cannot be judged (a number without a range, a unit
    that does not convert to the range's).

    Args (the rule's ``args``): ``concept`` (a LOINC value set, e.g. hbv_dna), ``days`` (28).
    """
    concept = str(args["concept"])
    days = int(args.get("days", 28))
    start = ctx.as_of - dt.timedelta(days=days)
    positives, negatives = ctx.valueset("positive_results"), ctx.valueset("negative_results")
    tests = [o for o in ctx.observations(concept) if o.date is not None and start <= o.date <= ctx.as_of]
    if not tests:
        return DerivedValue(None, reason=f"no {concept.replace('_', ' ')} result in the {days} days up to {ctx.as_of.isoformat()}")
    obs = tests[0]
    value, when = obs.value, obs.date.isoformat() if obs.date else "?"
    name = concept.replace("_", " ").upper()
    if isinstance(value, Quantity):
        ev = (Evidence(obs.reference, value.value, value.unit, obs.date),)
        # Viral-load ranges do not differ by sex or age: a range restricted to a population
        # is not used, and ranges that disagree leave the value unjudged.
        highs = {(r.high.value, r.high.unit) for r in obs.reference_ranges
                 if r.high is not None and not r.applies_to and r.age_low is None and r.age_high is None}
        if len(highs) != 1:
            why = "no reference range" if not highs else "reference ranges that disagree"
            return DerivedValue(None, evidence=ev, reason=f"{name} {value.value:g} {value.unit} on {when} has {why} to judge it by")
        ((high_value, high_unit),) = highs
        high = Quantity(high_value, high_unit)
        if high.unit == value.unit:
            limit = high.value
        elif high.unit and value.unit and units.is_convertible(high.unit, value.unit):
            limit = units.convert(high.value, high.unit, value.unit)
        else:
            return DerivedValue(None, evidence=ev, reason=f"{name} on {when}: the unit {value.unit!r} does not convert to its range's")
        found = value.value > limit
        word = "above" if found else "not above"
        return DerivedValue(1 if found else 0, None, ev,
                            f"{name} {value.value:g} {value.unit} on {when} is {word} the upper limit of its range ({limit:g}): "
                            + ("detectable" if found else "not detectable"))
    shown = value.display or value.code if isinstance(value, Coding) else str(value)
    ev = (Evidence(obs.reference, shown, None, obs.date),)
    text = shown.strip().casefold()
    if (isinstance(value, Coding) and positives.matches(value)) or text in _DETECTED:
        return DerivedValue(1, None, ev, f"{name} on {when} was {shown!r}: detectable")
    if (isinstance(value, Coding) and negatives.matches(value)) or text in _NOT_DETECTED:
        return DerivedValue(0, None, ev, f"{name} on {when} was {shown!r}: not detectable")
    return DerivedValue(None, evidence=ev, reason=f"{name} on {when} was {shown!r}, which cannot be read as detected or not")
