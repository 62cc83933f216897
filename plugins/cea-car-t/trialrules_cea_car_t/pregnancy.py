"""
Derived values for the CEA CAR-T trial (``cea-car-t``) that the rule language cannot say.

Exclusion 10 ("Pregnant or lactating women.") needs "a positive pregnancy test is on
record", where *no test* must read as "not positive" (so that a person's answer on
lactation decides); inclusion 10 needs "a negative test within 7 days", where no test
must read as "not negative" (so that a person's answer decides). A ``measurement`` node
leaves a missing test unknown whatever the person says, hence these two functions.
Source: rules/protocol.txt, Exclusion Criteria.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from trialrules import Coding, DerivedValue, Evidence, FunctionContext, Quantity, units

__all__ = ["classify_latest_test", "negative_pregnancy_test", "positive_pregnancy_test"]

_POSITIVE_TEXT = frozenset({"positive", "detected", "reactive"})
_NEGATIVE_TEXT = frozenset({"negative", "not detected", "non-reactive", "nonreactive"})
#: hCG results are compared in this unit; the core converts every UCUM form of it
#: (m[IU]/mL, [iU]/L, u[IU]/mL, ...).
_HCG_UNIT = "[IU]/L"
#: Below this hCG (in [IU]/L) a quantitative test is read as negative, at or above
#: HCG_POSITIVE_FROM as positive; in between it is equivocal and a person decides
#: (the usual laboratory reading: < 5 mIU/mL negative, >= 25 mIU/mL positive).
HCG_NEGATIVE_BELOW = 5.0
HCG_POSITIVE_FROM = 25.0


def _evidence(obs: Any) -> Evidence:
    value = obs.value
    if isinstance(value, Quantity):
        return Evidence(resource=f"Observation/{obs.id}", value=value.value, unit=value.unit, date=obs.date)
    if isinstance(value, Coding):
        return Evidence(resource=f"Observation/{obs.id}", value=value.display or value.code, date=obs.date)
    return Evidence(resource=f"Observation/{obs.id}", value=value, date=obs.date)


def classify_latest_test(ctx: FunctionContext, days: int) -> tuple[str, tuple[Evidence, ...], str]:
    """
    The latest pregnancy test (serum or urine hCG) in the ``days`` up to the as-of date.

    Returns:
        ``(status, evidence, reason)`` with status ``"positive"``, ``"negative"``,
        ``"none"`` (no test in the window) or ``"unreadable"`` (e.g. an equivocal
        quantitative hCG of 5 to 25 [IU]/L: a person decides).
    """
    start = ctx.as_of - dt.timedelta(days=days)
    positives = ctx.valueset("positive_results")
    negatives = ctx.valueset("negative_results")
    tests = [
        o
        for o in ctx.observations("pregnancy_test")
        if o.date is not None and start <= o.date <= ctx.as_of and o.value is not None
    ]
    if not tests:
        return "none", (), f"no pregnancy test in the {days} days up to {ctx.as_of.isoformat()}"
    latest = tests[0]
    value = latest.value
    ev = (_evidence(latest),)
    when = latest.date.isoformat() if latest.date else "undated"
    text = None
    if isinstance(value, Coding):
        if positives.matches(value):
            return "positive", ev, f"pregnancy test positive on {when}"
        if negatives.matches(value):
            return "negative", ev, f"pregnancy test negative on {when}"
        text = (value.display or "").strip().lower()
    elif isinstance(value, str):
        text = value.strip().lower()
    elif isinstance(value, Quantity) and value.unit and units.is_convertible(value.unit, _HCG_UNIT):
        iu_per_l = units.convert(value.value, value.unit, _HCG_UNIT)
        if iu_per_l < HCG_NEGATIVE_BELOW:
            return "negative", ev, f"hCG {iu_per_l:g} [IU]/L on {when}, below {HCG_NEGATIVE_BELOW:g} (negative)"
        if iu_per_l >= HCG_POSITIVE_FROM:
            return "positive", ev, f"hCG {iu_per_l:g} [IU]/L on {when}, at or above {HCG_POSITIVE_FROM:g} (positive)"
        return "unreadable", ev, f"quantitative hCG {iu_per_l:g} [IU]/L on {when} is equivocal; a person decides"
    if text in _POSITIVE_TEXT:
        return "positive", ev, f"pregnancy test positive on {when}"
    if text in _NEGATIVE_TEXT:
        return "negative", ev, f"pregnancy test negative on {when}"
    return "unreadable", ev, f"pregnancy test result on {when} cannot be read"


def positive_pregnancy_test(ctx: FunctionContext, args: Mapping[str, Any]) -> DerivedValue:
    """
    1 when the latest pregnancy test in the window is positive; 0 when it is negative or
    there is none; None (unknown) when it cannot be read.

    Args (the rule's ``args``): ``window_days``, default 28.
    """
    status, ev, reason = classify_latest_test(ctx, int(args.get("window_days", 28)))
    if status == "unreadable":
        return DerivedValue(value=None, evidence=ev, reason=reason)
    return DerivedValue(value=1 if status == "positive" else 0, evidence=ev, reason=reason)


def negative_pregnancy_test(ctx: FunctionContext, args: Mapping[str, Any]) -> DerivedValue:
    """
    1 when the latest pregnancy test in the window is negative; 0 when it is positive or
    there is none; None (unknown) when it cannot be read.

    Args (the rule's ``args``): ``window_days``, default 7.
    """
    status, ev, reason = classify_latest_test(ctx, int(args.get("window_days", 7)))
    if status == "unreadable":
        return DerivedValue(value=None, evidence=ev, reason=reason)
    return DerivedValue(value=1 if status == "negative" else 0, evidence=ev, reason=reason)
