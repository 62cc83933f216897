"""
FHIR data types to the model's: CodeableConcept, Quantity, value[x], referenceRange.

Functions append ``(text, path)`` to a ``problems`` list for each problem that did
not stop reading (a list the caller reuses: no closure per resource); ``path`` is
relative to the resource (``.valueQuantity.code``).
"""

from __future__ import annotations

import math
from typing import Any

from trialrules.language.models import Coding, Quantity, ReferenceRange, Value

#: Where functions put ``(what is wrong, JSON path inside the resource)``.
Problems = list[tuple[str, str]]

UCUM = "http://unitsofmeasure.org"

# Codings repeat massively across patients (the same LOINC code and display):
# sharing the frozen instances saves memory and time. Bounded so a feed with
# millions of distinct codes cannot grow it without limit.
_CODINGS: dict[tuple[str, Any, Any], Coding] = {}
_CODINGS_MAX = 200_000


def coding(code: str, system: Any, display: Any) -> Coding:
    """A (shared) Coding; a non-string system or display is dropped."""
    system = system if isinstance(system, str) else None
    display = display if isinstance(display, str) else None
    key = (code, system, display)
    found = _CODINGS.get(key)
    if found is None:
        found = Coding(code, system, display)
        if len(_CODINGS) >= _CODINGS_MAX:
            _CODINGS.clear()
        _CODINGS[key] = found
    return found


def codings(concept: Any) -> tuple[Coding, ...]:
    """Every Coding with a code in a CodeableConcept (all of them: real feeds send
    several codes for one test, and any may be the one a value set holds)."""
    if type(concept) is not dict:
        return ()
    raw = concept.get("coding")
    if type(raw) is not list:
        return ()
    out = []
    for c in raw:
        if type(c) is dict:
            code = c.get("code")
            if type(code) is str and code:
                system, display = c.get("system"), c.get("display")
                found = _CODINGS.get((code, system, display)) if (type(display) is str or display is None) \
                    and (type(system) is str or system is None) else None  # a dict is no key
                out.append(found if found is not None else coding(code, system, display))
    return tuple(out)


def concept_text(concept: Any) -> str | None:
    """The words of a CodeableConcept: its ``text``, else the first coding's display.
    Kept beside the codes so a record no value set can judge is still shown."""
    if type(concept) is not dict:
        return None
    text = concept.get("text")
    if type(text) is str and text.strip():
        return text.strip()
    raw = concept.get("coding")
    for c in raw if type(raw) is list else ():
        display = c.get("display") if type(c) is dict else None
        if type(display) is str and display.strip():
            return display.strip()
    return None


def status_code(value: Any) -> str | None:
    """The code of a status CodeableConcept (``clinicalStatus``...); a bare string
    (as older feeds send it) is accepted too."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        raw = value.get("coding")
        if isinstance(raw, list):
            for c in raw:
                if isinstance(c, dict) and isinstance(c.get("code"), str):
                    return str(c["code"])
    return None


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return _float(value)


def _float(value: int | float) -> float:
    try:
        return float(value)
    except OverflowError:  # an integer beyond any float: infinite, a value no limit can judge
        return float("inf") if value > 0 else float("-inf")


#: Quantity.comparator values that make the amount a bound (``ad``, "sufficient to
#: achieve", is not one and is not read).
COMPARATORS = frozenset({"<", "<=", ">", ">="})


def _dimensionless(unit: str) -> bool:
    """UCUM ``1`` or a bare annotation (``{INR}``, ``{score}``): a pure number."""
    return unit == "1" or (unit.startswith("{") and unit.endswith("}") and "}" not in unit[1:-1])


_QUANTITIES: dict[tuple[float, str], Quantity] = {}
_QUANTITIES_MAX = 20_000  # values vary far more than codes: keep this one small


def _shared_quantity(value: float, unit: str) -> Quantity:
    """A Quantity, shared when the same one recurs (reference ranges, round values)."""
    key = (value, unit)
    found = _QUANTITIES.get(key)
    if found is None:
        if len(_QUANTITIES) >= _QUANTITIES_MAX:
            _QUANTITIES.clear()
        found = _QUANTITIES[key] = Quantity(value, unit)
    return found


def quantity(raw: Any, path: str, problems: Problems) -> Quantity | None:
    """A FHIR Quantity with its UCUM code as unit, and its comparator (``<0.5``: a bound).

    No UCUM code (missing, or a non-UCUM system): the value is kept with unit None
    and a warning, and the engine then reports it unusable; the human-readable
    ``unit`` text is never trusted as a unit. A value that is not a finite number (NaN,
    Infinity, 1e400 read as infinity) is an input error of the resource: warned, not kept.
    """
    if type(raw) is dict:
        # Fast path, the usual well-formed UCUM quantity (type() also refuses bool).
        value, code = raw.get("value"), raw.get("code")
        if (type(value) is int or (type(value) is float and math.isfinite(value))) and type(code) is str \
                and code and raw.get("system", UCUM) == UCUM and "comparator" not in raw:
            return _shared_quantity(_float(value), code)
    else:
        problems.append(("is not a Quantity object", path))
        return None
    value = _number(raw.get("value"))
    if value is None:
        problems.append(("Quantity has no numeric value", path + ".value"))
        return None
    if not math.isfinite(value):
        problems.append((f"Quantity value {raw.get('value')!r} is not a finite number; not used", path + ".value"))
        return None
    comparator = raw.get("comparator")
    if comparator is not None and comparator not in COMPARATORS:
        problems.append((f"Quantity has comparator {comparator!r}, which is not a bound (<, <=, >, >=); not used",
                         path + ".comparator"))
        return None
    code, system = raw.get("code"), raw.get("system")
    if system is not None and system != UCUM:
        problems.append((f"unit system {system!r} is not UCUM ({UCUM}); the value has no usable unit",
             path + ".system"))
        return Quantity(value, None, comparator)
    if not isinstance(code, str) or not code:
        shown = f" (unit text {raw['unit']!r} is not a code)" if isinstance(raw.get("unit"), str) else ""
        problems.append((f"Quantity has no UCUM unit code{shown}; the value has no usable unit", path + ".code"))
        return Quantity(value, None, comparator)
    return Quantity(value, code, comparator)


def observation_value(resource: dict[str, Any], problems: Problems) -> Value:
    """An Observation's (or component's) value[x] as the model's Value."""
    if "valueQuantity" in resource:
        raw = resource["valueQuantity"]
        q = quantity(raw, ".valueQuantity", problems)
        if q is not None and q.unit is None and q.comparator is None and isinstance(raw, dict) \
                and not any(raw.get(k) for k in ("unit", "system", "code")):
            return q.value  # a bare number, as a dimensionless result (INR) is often sent
        if q is not None and q.unit is not None and _dimensionless(q.unit):
            # a score or ratio: the number alone, as native records give it (a bound stays one)
            return q.value if q.comparator is None else Quantity(q.value, "1", q.comparator)
        return q
    if "valueCodeableConcept" in resource:
        concept = resource["valueCodeableConcept"]
        codes = codings(concept)
        text = concept.get("text") if isinstance(concept, dict) else None
        if codes:
            first = codes[0]
            if first.display is None and isinstance(text, str):
                first = Coding(first.code, first.system, text)  # keep the words for text_in
            return first
        if isinstance(text, str) and text:
            return text
        problems.append(("CodeableConcept has neither a coding nor text", ".valueCodeableConcept"))
        return None
    for key, kind in (("valueBoolean", bool), ("valueString", str), ("valueInteger", int)):
        if key in resource:
            value = resource[key]
            # bool is an int in Python: keep the FHIR types apart.
            if isinstance(value, kind) and (kind is bool or not isinstance(value, bool)):
                return value
            problems.append((f"{value!r} is not a {kind.__name__}", "." + key))
            return None
    for key in resource:
        if key.startswith("value") and key[5:6].isupper():
            problems.append((f"{key} is not read (only Quantity, CodeableConcept, boolean, string, integer)",
                 "." + key))
            return None
    return None


def reference_ranges(raw: Any, problems: Problems) -> tuple[ReferenceRange, ...]:
    """Every normal range (no ``type``, or type ``normal``) with low or high: labs send
    several, by sex and age band (CONTRACT.md section 5); the engine picks the one that
    applies to the patient."""
    if type(raw) is not list or not raw:
        return ()
    if len(raw) == 1 and type(raw[0]) is dict and raw[0].keys() <= {"low", "high"}:
        # the usual single range: shared between results, warned about every time
        low, high = raw[0].get("low"), raw[0].get("high")
        if type(low) is dict and type(high) is dict:
            key = (low.get("value"), low.get("code"), low.get("system"), "comparator" in low,
                   high.get("value"), high.get("code"), high.get("system"), "comparator" in high)
            try:
                found = _RANGES.get(key)
            except TypeError:  # an unhashable value: not the usual shape, take the long way
                found = None
            if found is not None:
                return found
            made = _reference_ranges(raw, problems)
            if len(made) == 1 and made[0].low is not None and made[0].high is not None \
                    and made[0].low.unit is not None and made[0].high.unit is not None:
                if len(_RANGES) >= _CODINGS_MAX:
                    _RANGES.clear()
                _RANGES[key] = made  # only clean ranges: a warning must be given every time
            return made
    return _reference_ranges(raw, problems)


_RANGES: dict[tuple[Any, ...], tuple[ReferenceRange, ...]] = {}


def _unitless(q: Quantity | None) -> Quantity | None:
    """A dimensionless limit (``1``, ``{INR}``) as a plain number, as observation values are read."""
    if q is not None and q.unit is not None and _dimensionless(q.unit):
        return Quantity(q.value, None, q.comparator)
    return q


def _age_limit(raw: Any, path: str, problems: Problems) -> Quantity | None:
    q = quantity(raw, path, problems)
    if q is not None and q.unit not in ("a", "mo", "wk", "d"):
        problems.append((f"age {q.unit!r} is not a UCUM age unit (a, mo, wk, d); "
                         "whom the range applies to is unknown", path))
        return Quantity(q.value, None)
    return q


def _range_limit(rr: dict[str, Any], which: str, path: str, problems: Problems) -> Quantity | None:
    """One limit of a reference range. A limit whose unit is given only as text (no UCUM
    code) is kept as an unusable limit: comparing it with the result would guess its unit."""
    if which not in rr:
        return None
    raw = rr[which]
    q = _unitless(quantity(raw, f"{path}.{which}", problems))
    if q is not None and q.unit is None and isinstance(raw, dict) and (raw.get("unit") or raw.get("system")) \
            and not raw.get("code"):
        return Quantity(math.nan, None)
    return q


def _reference_ranges(raw: list[Any], problems: Problems) -> tuple[ReferenceRange, ...]:
    out = []
    for i, rr in enumerate(raw):
        if not isinstance(rr, dict):
            continue
        kind = status_code(rr.get("type"))
        if kind not in (None, "normal"):
            continue
        path = f".referenceRange[{i}]"
        low = _range_limit(rr, "low", path, problems)
        high = _range_limit(rr, "high", path, problems)
        if low is None and high is None:
            if "low" in rr or "high" in rr:  # limits given but unreadable: still a range, unusable
                out.append(ReferenceRange(Quantity(math.nan, None) if "low" in rr else None,
                                          Quantity(math.nan, None) if "high" in rr else None))
            continue
        applies: list[Coding] = []
        for j, concept in enumerate(rr.get("appliesTo") or () if isinstance(rr.get("appliesTo"), list) else ()):
            found = codings(concept)
            if not found:  # words only: a population we cannot place the patient in
                text = concept_text(concept) or "an unnamed population"
                found = (Coding(text, None, text),)
                problems.append((f"appliesTo {text!r} has no code", f"{path}.appliesTo[{j}]"))
            applies.extend(found[:1])
        age = rr.get("age")
        age_low = age_high = None
        if isinstance(age, dict):
            age_low = _age_limit(age["low"], path + ".age.low", problems) if "low" in age else None
            age_high = _age_limit(age["high"], path + ".age.high", problems) if "high" in age else None
        out.append(ReferenceRange(low, high, tuple(applies), age_low, age_high))
    return tuple(out)
