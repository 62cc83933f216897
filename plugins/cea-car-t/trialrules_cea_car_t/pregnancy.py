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

from collections.abc import Mapping
from typing import Any

from trialrules import Coding, Evidence, Quantity
from trialrules.functions import DerivedValue, FunctionContext, SqlValue
from trialrules.language import qualitative, units

__all__ = ["classify_latest_test", "negative_pregnancy_test", "negative_pregnancy_test_sql",
           "positive_pregnancy_test", "positive_pregnancy_test_sql"]

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
        shown: Any = value.value if value.comparator is None else f"{value.comparator}{value.value:g}"
        return Evidence(resource=obs.reference, value=shown, unit=value.unit, date=obs.date)
    if isinstance(value, Coding):
        return Evidence(resource=obs.reference, value=value.display or value.code, date=obs.date)
    return Evidence(resource=obs.reference, value=value, date=obs.date)


def _read(obs: Any) -> tuple[Any, str]:
    """One pregnancy test as "positive" / "negative", or (None, why it cannot be read)."""
    return _read_value(obs.value)


def _read_value(value: Any) -> tuple[Any, str]:
    """A test's value as :func:`_read` reads it (the SQL form reads coded and text values so)."""
    if isinstance(value, Quantity):
        if not value.unit or not units.is_convertible(value.unit, _HCG_UNIT):
            return None, f"hCG in {value.unit!r} cannot be read"
        iu_per_l = units.convert(value.value, value.unit, _HCG_UNIT)
        below = (iu_per_l < HCG_NEGATIVE_BELOW if value.comparator in (None, "<=")
                 else iu_per_l <= HCG_NEGATIVE_BELOW if value.comparator == "<" else False)
        if below:
            return "negative", ""
        if value.comparator in (None, ">", ">=") and iu_per_l >= HCG_POSITIVE_FROM:
            return "positive", ""
        return None, (f"quantitative hCG {value.comparator or ''}{iu_per_l:g} [IU]/L is between "
                      f"{HCG_NEGATIVE_BELOW:g} and {HCG_POSITIVE_FROM:g} (equivocal): a person decides")
    reading = qualitative.reading_of(value)
    if reading in ("positive", "negative"):
        return reading, ""
    return None, f"the result {value!r} is neither positive nor negative"


def classify_latest_test(ctx: FunctionContext, days: int) -> tuple[str, tuple[Evidence, ...], str]:
    """
    The newest pregnancy test (serum or urine hCG) in the ``days`` up to the as-of date
    (the latest-value rule: an older test never stands in for a newer unreadable one).

    Returns:
        ``(status, evidence, reason)`` with status ``"positive"``, ``"negative"``,
        ``"none"`` (no test in the window) or ``"unreadable"`` (an equivocal quantitative
        hCG of 5 to 25 [IU]/L, or an equivocal coded result: a person decides).
    """
    found = ctx.latest("pregnancy_test", days, _read)
    ev = tuple(_evidence(o) for o in found.results)
    if not found.results:
        return "none", (), f"no pregnancy test in the {days} days up to {ctx.as_of.isoformat()}"
    if found.value is None:
        return "unreadable", ev, f"pregnancy test: {found.reason}"
    when = ", ".join(sorted({o.date.isoformat() if o.date else (o.effective or "undated") for o in found.results}))
    return str(found.value), ev, f"pregnancy test {found.value} on {when}"


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


# --------------------------------------------------------------------------
# SQL forms (docs/plugin-guide.md, "SQL forms"): the compiled population screening's
# version of the two functions above, for every patient at once.
# --------------------------------------------------------------------------

#: How the SQL forms carry a reading: a number per reading of :func:`_read_value`.
_SQL_READING = {"positive": 1.0, "negative": 0.0}


def _sql_reading(value: Any) -> float | None:
    """A result as :func:`_read` reads it (1 positive, 0 negative, None unreadable), called
    once per distinct value (a coded or text result, a quantity) by the SQL context."""
    reading, _ = _read_value(value)
    return None if reading is None else _SQL_READING[reading]


def _latest_test_sql(q: Any, days: int, wanted: str) -> SqlValue:
    """``classify_latest_test`` for every patient: 1 where the newest test reads ``wanted``, 0
    where it reads the other way or there is no test in the window, unknown where it cannot be
    read. Each distinct result (coded, text, a quantitative hCG with its unit and comparator)
    is read once, by :func:`_read_value` itself."""
    latest = q.latest(q.observations("pregnancy_test", read=_sql_reading, numbers="read"), days)
    # state "none" (no test in the window) is the value 0 here, not unknown
    value = f"(CASE WHEN {latest.n} = 0 THEN 0 WHEN {latest.value} = {_SQL_READING[wanted]!r} THEN 1 ELSE 0 END)"
    return SqlValue(value, unknown=f"({latest.state} = 'unknown')", defer=latest.defer, exact=True)


def positive_pregnancy_test_sql(q: Any, args: Mapping[str, Any]) -> SqlValue:
    """SQL form of :func:`positive_pregnancy_test`."""
    return _latest_test_sql(q, int(args.get("window_days", 28)), "positive")


def negative_pregnancy_test_sql(q: Any, args: Mapping[str, Any]) -> SqlValue:
    """SQL form of :func:`negative_pregnancy_test`."""
    return _latest_test_sql(q, int(args.get("window_days", 7)), "negative")
