"""
Judging results against a measurement's comparison, and the verdict of the newest ones.

A judge takes one observation (and the patient, for reference ranges by sex and age) and
says met / not met with a sentence, or why the result cannot be judged. :func:`latest_outcome`
and :func:`each_outcome` turn the judgements of the results :mod:`trialrules.engine.latest` chose
into the criterion's outcome and its sentence; a second engine can reuse them as they are.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any

from trialrules.engine.kleene import Outcome, all_of, any_of
from trialrules.engine.latest import Candidate, applicable_ranges, compare, shown_bound, when_of
from trialrules.errors import UnitError
from trialrules.language import units
from trialrules.language.models import (
    MET,
    NOT_MET,
    UNKNOWN,
    Coding,
    Comparison,
    Evidence,
    Observation,
    PatientRecord,
    Quantity,
    Result,
)
from trialrules.language.qualitative import INDETERMINATE, NEGATIVE, POSITIVE, reading_of
from trialrules.language.terminology import Matcher

_SYMBOL = {">": ">", ">=": "≥", "<": "<", "<=": "≤", "==": "=", "!=": "≠"}


def snap(x: float | int | Decimal) -> float:
    """12 significant digits, so that decimal limits compare exactly as written:
    1.5 × 1.1 is 1.6500000000000001 in binary floating point, and must equal 1.65."""
    return units._snap(float(x))


def fmt(x: Any) -> str:
    if isinstance(x, (float, Decimal)):
        return f"{float(x):.6g}"
    return str(x)


class Judgement:
    """How one result fares: ``result`` with its sentence, or None with the ``problem``."""

    __slots__ = ("result", "sentence", "problem")

    def __init__(self, result: Result | None, sentence: str = "", problem: str = "") -> None:
        self.result = result
        self.sentence = sentence
        self.problem = problem


Judge = Callable[[Observation, PatientRecord], Judgement]


def when_text(obs: Observation) -> str:
    """The result's date as a coordinator reads it (``2026-01-10``, ``2026-01-10 08:00Z``,
    ``2025-06`` for a partial date)."""
    w = when_of(obs)
    if w is not None:
        text = w.text
    else:
        text = f"an unknown date ({obs.effective!r})" if obs.effective else "no date"
    return f"{text} (dated by {obs.dated_by})" if obs.dated_by else text


def evidence_of(obs: Observation) -> Evidence:
    """The result as evidence: its resource, value (a bound as ``<0.5``), unit and day."""
    raw = obs.value
    unit = None
    if isinstance(raw, Quantity):
        value: Any = raw.value if raw.comparator is None else f"{raw.comparator}{fmt(raw.value)}"
        unit = raw.unit
    elif isinstance(raw, Coding):
        value = raw.display or raw.code
    else:
        value = raw
    if isinstance(value, float) and not math.isfinite(value):
        value = str(value)  # never a bare NaN in JSON
    w = when_of(obs)
    day = obs.date if obs.date is not None else (w.first_day if w is not None and not w.partial else None)
    return Evidence(obs.reference, value, unit, day, obs.dated_by)


def _number(value: Any) -> tuple[float | None, str | None, str | None]:
    """(number, unit, comparator) of a numeric result, or (None, None, None)."""
    if isinstance(value, Quantity):
        return value.value, value.unit, value.comparator
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None, None, None
    return float(value), None, None


def make_numeric_judge(title: str, comp: Comparison, molar_mass: float | None, valence: float | None = None) -> Judge:
    """A judge for ``op value unit`` or ``op n×ULN``/``×LLN``."""
    op = comp.op or ">="
    symbol = _SYMBOL[op]
    target_unit = comp.unit
    multiple = comp.uln if comp.uln is not None else comp.lln
    limit_name = "ULN" if comp.uln is not None else "LLN"
    side = "upper" if comp.uln is not None else "lower"

    def against_range(obs: Observation, patient: PatientRecord, number: float, unit: str | None,
                      comparator: str | None, date: str) -> Judgement:
        assert multiple is not None
        ranges = applicable_ranges(obs.reference_ranges, patient.birth_date, patient.sex, when_of(obs))
        if not obs.reference_ranges:
            return Judgement(None, problem=f"{title} on {date} has no reference range, so ×{limit_name} cannot be judged")
        if not ranges:
            return Judgement(None, problem=f"{title} on {date}: none of its reference ranges applies to this "
                                           f"patient's sex and age, so ×{limit_name} cannot be judged")
        results: list[Result | None] = []
        sentence = ""
        problem = ""
        for rr, _certain in ranges:
            bound = rr.high if comp.uln is not None else rr.low
            if bound is None or bound.comparator is not None or not math.isfinite(bound.value):
                results.append(None)
                problem = problem or f"{title} on {date} has a reference range without a usable {side} limit"
                continue
            try:
                bound_value = _bound_in(bound, unit, obs, molar_mass, valence)
            except UnitError as exc:
                results.append(None)
                problem = problem or f"{title} on {date}: {exc}"
                continue
            if bound_value is None:
                results.append(None)
                problem = problem or f"{title} on {date}: the value and its reference range are not in comparable units"
                continue
            if bound_value <= 0:
                results.append(None)
                problem = problem or (f"{title} on {date} has a reference limit of {fmt(bound_value)}, "
                                      f"which cannot scale a ×{limit_name} limit")
                continue
            result = compare(snap(number), comparator, op, snap(multiple * bound_value))
            results.append(result)
            if not sentence:
                ratio = f"{shown_bound(comparator)}{fmt(number / bound_value)}"
                verb = {MET: "which meets", NOT_MET: "which does not meet", None: "which cannot settle"}[result]
                sentence = " ".join((
                    f"{title} {shown_bound(comparator)}{fmt(number)} {unit or ''} on {date} is {ratio}×{limit_name} "
                    f"({limit_name} {fmt(bound_value)} {unit or ''}), {verb} {symbol} {fmt(multiple)}×{limit_name}"
                ).split())
        settled = set(results)
        if len(settled) == 1 and None not in settled and any(c for _, c in ranges):
            return Judgement(results[0], sentence)
        if None in settled and problem:
            return Judgement(None, problem=problem if len(ranges) == 1 else
                             f"{problem}; {len(ranges)} reference ranges may apply to this patient")
        if None in settled:
            return Judgement(None, problem=sentence + " (a bound, not a value)")
        if len(settled) > 1:
            return Judgement(None, problem=f"{title} on {date}: {len(ranges)} reference ranges apply to this "
                                           f"patient and judge it differently")
        return Judgement(None, problem=f"{title} on {date}: whether its reference range applies to this patient "
                                       "(sex, age) is not known")

    def judge(obs: Observation, patient: PatientRecord) -> Judgement:
        number, unit, comparator = _number(obs.value)
        date = when_text(obs)
        if number is None:
            return Judgement(None, problem=f"{title} on {date} has no numeric value")
        if not math.isfinite(number):
            return Judgement(None, problem=f"{title} on {date} is not a finite number")
        if multiple is not None:
            return against_range(obs, patient, number, unit, comparator, date)
        if target_unit is not None:
            if unit is None:
                return Judgement(None, problem=f"{title} on {date} has no unit, so it cannot be compared with {target_unit}")
            try:
                converted = units.convert(number, unit, target_unit, molar_mass, valence)
            except UnitError as exc:
                return Judgement(None, problem=f"{title} on {date}: {exc}")
            shown = f"{shown_bound(comparator)}{fmt(number)} {unit}"
            if unit != target_unit:
                shown += f" (= {shown_bound(comparator)}{fmt(converted)} {target_unit})"
            limit_text = f"{symbol} {fmt(comp.value)} {target_unit}"
        else:
            if unit is not None and not units.is_convertible(unit, "1"):
                return Judgement(None, problem=f"{title} on {date} is in {unit!r}, but the limit has no unit")
            converted = number if unit is None else units.convert(number, unit, "1")
            shown = f"{shown_bound(comparator)}{fmt(number)}"
            limit_text = f"{symbol} {fmt(comp.value)}"
        result = compare(snap(converted), comparator, op, snap(comp.value or 0))
        if result is None:
            return Judgement(None, problem=f"{title} {shown} on {date} is a bound that cannot settle {limit_text}")
        verb = "meets" if result == MET else "does not meet"
        return Judgement(result, f"{title} {shown} on {date} {verb} {limit_text}")

    return judge


def _bound_in(bound: Quantity, unit: str | None, obs: Observation, molar: float | None,
              valence: float | None) -> float | None:
    """A reference limit in the result's unit (None: no comparable units)."""
    if unit is None and isinstance(obs.value, Quantity):
        return None  # a Quantity without a unit code: its unit was given only as text, or not at all
    if bound.unit == unit:
        return bound.value
    # A bare number is dimensionless (a value in {INR} or 1 arrives so); a Quantity
    # without a unit code has no unit at all.
    value_unit = "1" if unit is None and not isinstance(obs.value, Quantity) else unit
    if bound.unit is None or value_unit is None:
        return None
    return units.convert(bound.value, bound.unit, value_unit, molar, valence)


def make_match_judge(title: str, comp: Comparison, result_sets: Sequence[Matcher]) -> Judge:
    """A judge for a coded, text or yes/no result.

    The comparison's own codes and words say which reading it looks for (positive or
    negative, by :mod:`trialrules.language.qualitative`). A result read as that is met, as the
    opposite not met; an indeterminate result (equivocal, borderline ...) and any result the
    vocabulary does not read are unknown, unless the rule names it.
    """
    texts = {t.strip().casefold() for t in comp.text_in}
    wanted = {reading_of(t) for t in comp.text_in} | {
        reading_of(Coding(key[1], key[0])) for m in result_sets for key in m.exact}
    wanted &= {POSITIVE, NEGATIVE}
    polarity = next(iter(wanted)) if len(wanted) == 1 else None

    def judge(obs: Observation, patient: PatientRecord) -> Judgement:
        value = obs.value
        date = when_text(obs)
        if comp.equals is not None and isinstance(value, bool):
            ok = value is comp.equals
            word = "is" if ok else "is not"
            return Judgement(MET if ok else NOT_MET,
                             f"{title} on {date} was {'yes' if value else 'no'!r}, which {word} a matching result")
        if isinstance(value, Coding):
            shown = value.display or value.code
            named = any(m.matches(value) for m in result_sets) or bool(
                texts & {(value.display or "").strip().casefold(), value.code.casefold()})
        elif isinstance(value, str):
            shown = value
            named = value.strip().casefold() in texts
        else:
            return Judgement(None, problem=f"{title} on {date} has no coded or text result")
        reading = reading_of(value)
        if reading == INDETERMINATE:
            return Judgement(None, problem=f"{title} on {date} was {shown!r}, which is neither positive nor negative")
        if polarity is not None and reading is not None:
            ok = reading == polarity
        elif named:
            ok = True
        elif polarity is None and isinstance(value, Coding) and any(
                m.assess((value,)).entry is None and not m.assess((value,)).cannot_judge for m in result_sets):
            ok = False  # a code the rule's own value sets judge, and not one of theirs
        else:
            return Judgement(None, problem=f"{title} on {date} was {shown!r}, which cannot be read as "
                                           f"{polarity or 'a matching result'}")
        word = "is" if ok else "is not"
        return Judgement(MET if ok else NOT_MET, f"{title} on {date} was {shown!r}, which {word} a matching result")

    return judge


# --------------------------------------------------------------------------
# Outcomes over the chosen results
# --------------------------------------------------------------------------


def latest_outcome(title: str, where: str, newest: Sequence[Candidate], judged: Sequence[Judgement]) -> Outcome:
    """The verdict of the newest result(s) in a window (:func:`trialrules.engine.latest.newest`).

    Met or not met only when every newest result is surely in the window and they all judge
    alike; otherwise unknown, naming each of them.
    """
    if not newest:
        return Outcome(UNKNOWN, (f"no {title} result {where}",))
    if len(newest) == 1 and judged[0].result is not None and newest[0].certain:
        return Outcome(judged[0].result, (judged[0].sentence,), (evidence_of(newest[0].obs),))
    evidence = tuple(evidence_of(c.obs) for c in newest)
    results = {j.result for j in judged}
    if len(results) == 1 and None not in results and any(c.certain for c in newest):
        (result,) = results
        sentences = tuple(dict.fromkeys(j.sentence for j in judged))
        if len(newest) > 1:
            sentences = (f"{len(newest)} {title} results at the same time agree: " + "; ".join(sentences),)
        return Outcome(result, sentences, evidence)  # type: ignore[arg-type]
    parts = []
    for c, j in zip(newest, judged, strict=True):
        if j.result is None:
            parts.append(j.problem)
        elif not c.certain:
            dated = "has no date" if c.when is None else f"is dated only {c.when.text}"
            parts.append(f"{j.sentence}, but it {dated} and may fall outside the window")
        else:
            parts.append(j.sentence)
    if len(newest) == 1:
        reason = f"the newest {title} result {where} cannot decide: {parts[0]}"
    else:
        reason = (f"the newest {title} results {where} cannot be told apart in time and do not agree: "
                  + "; ".join(parts))
    return Outcome(UNKNOWN, (reason,), evidence)


def each_outcome(title: str, where: str, use: str, candidates: Sequence[Candidate],
                 judged: Sequence[Judgement]) -> Outcome:
    """``use: any`` (some result meets) or ``all`` (every result meets) over the window.
    A result that cannot be judged, or may fall outside the window, counts as unknown."""
    if not candidates:
        return Outcome(UNKNOWN, (f"no {title} result {where}",))
    parts = []
    for c, j in zip(candidates, judged, strict=True):
        ev = (evidence_of(c.obs),)
        if j.result is None:
            parts.append(Outcome(UNKNOWN, (j.problem,), ev))
        elif not c.certain:
            parts.append(Outcome(UNKNOWN, (f"{j.sentence}, but it may fall outside the window",), ev))
        else:
            parts.append(Outcome(j.result, (j.sentence,), ev))
    return any_of(parts) if use == "any" else all_of(parts)
