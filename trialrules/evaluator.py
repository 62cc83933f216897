"""
Compile a trial's rules once into closures, then evaluate patients with them.

Compilation resolves every value-set name, function and unit up front, so a
patient's evaluation does no look-ups by name and never re-walks the parsed
tree. The compiled form is one backend; the rule tree (``models.Rule``) stays
the single source a second backend (say SQL over a columnar store) would
compile from instead.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from typing import Any

from attrs import frozen

from trialrules import units
from trialrules._kleene import Outcome, all_of, any_of, at_least, negate
from trialrules._patient import (
    DerivedValue,
    FunctionContext,
    PatientIndex,
    age_in_years,
    describe_window,
    window_start,
)
from trialrules.errors import UnitError
from trialrules.models import (
    MET,
    NOT_MET,
    UNKNOWN,
    AllOf,
    AnyOf,
    AtLeast,
    Attestation,
    Coding,
    Comparison,
    Const,
    Criterion,
    CriterionResult,
    Derived,
    Evidence,
    If,
    Measurement,
    Not,
    Observation,
    PatientRecord,
    Quantity,
    RecordSearch,
    Result,
    Rule,
    ScreeningResult,
    Sex,
    Trial,
    ValueSet,
    Verdict,
    Window,
)
from trialrules.terminology import Matcher

_OPS: dict[str, tuple[Callable[[float, float], bool], str]] = {
    ">": (lambda a, b: a > b, ">"),
    ">=": (lambda a, b: a >= b, "≥"),
    "<": (lambda a, b: a < b, "<"),
    "<=": (lambda a, b: a <= b, "≤"),
    "==": (lambda a, b: a == b, "="),
    "!=": (lambda a, b: a != b, "≠"),
}


class Evaluation:
    """Per-patient, per-trial state handed to compiled rules."""

    __slots__ = ("index", "as_of", "trial_id", "criterion_id", "functions_ctx")

    def __init__(self, index: PatientIndex, as_of: dt.date, trial_id: str, ctx: FunctionContext) -> None:
        self.index = index
        self.as_of = as_of
        self.trial_id = trial_id
        self.criterion_id = ""
        self.functions_ctx = ctx


Compiled = Callable[[Evaluation], Outcome]


def _dec(x: float | int | Decimal) -> float:
    # Snap to 12 significant digits so that decimal limits compare exactly as written:
    # 1.5 × 1.1 is 1.6500000000000001 in binary floating point, and must equal 1.65.
    return units._snap(float(x))


def _fmt(x: Any) -> str:
    if isinstance(x, float):
        return f"{x:.6g}"
    if isinstance(x, Decimal):
        return f"{float(x):.6g}"
    return str(x)


def _resource(kind: str, rid: str) -> str:
    return rid if "/" in rid else f"{kind}/{rid}"


def _evidence(obs: Observation, value: Any = None, unit: str | None = None) -> Evidence:
    if value is None:
        raw = obs.value
        if isinstance(raw, Quantity):
            value, unit = raw.value, raw.unit
        elif isinstance(raw, Coding):
            value = raw.display or raw.code
        else:
            value = raw
    return Evidence(_resource("Observation", obs.id), value, unit, obs.date)


# --------------------------------------------------------------------------
# Measurements
# --------------------------------------------------------------------------


class _Judgement:
    """How one observation fares against a comparison: result + sentence, or unusable."""

    __slots__ = ("result", "sentence", "evidence", "problem")

    def __init__(
        self,
        result: Result | None,
        sentence: str = "",
        evidence: Evidence | None = None,
        problem: str = "",
    ) -> None:
        self.result = result
        self.sentence = sentence
        self.evidence = evidence
        self.problem = problem


def _number(obs_value: Any) -> tuple[float | None, str | None]:
    """(number, unit) of a numeric observation value, or (None, None)."""
    if isinstance(obs_value, Quantity):
        return obs_value.value, obs_value.unit
    if isinstance(obs_value, bool):
        return None, None
    if isinstance(obs_value, (int, float)):
        return float(obs_value), None
    return None, None


def _make_numeric_judge(
    title: str, comp: Comparison, molar_mass: float | None, valence: float | None = None
) -> Callable[[Observation], _Judgement]:
    test, symbol = _OPS[comp.op or ">="]
    target_unit = comp.unit
    multiple = comp.uln if comp.uln is not None else comp.lln
    limit_name = "ULN" if comp.uln is not None else "LLN"

    def judge(obs: Observation) -> _Judgement:
        number, unit = _number(obs.value)
        date = obs.date.isoformat() if obs.date else "an unknown date"
        if number is None:
            return _Judgement(None, problem=f"{title} on {date} has no numeric value")
        if not math.isfinite(number):  # 1e999, a 400-digit integer: no limit can judge it
            return _Judgement(None, problem=f"{title} on {date} is not a finite number ({number})")
        if multiple is not None:
            rr = obs.reference_range
            bound = None if rr is None else (rr.high if comp.uln is not None else rr.low)
            if bound is None:
                return _Judgement(
                    None, problem=f"{title} on {date} has no reference range {'upper' if comp.uln is not None else 'lower'} limit, so ×{limit_name} cannot be judged"
                )
            if bound.unit != unit:
                # A bare number is dimensionless (a value in {INR} or 1 arrives so); a
                # Quantity without a unit code has no unit at all.
                value_unit = "1" if unit is None and not isinstance(obs.value, Quantity) else unit
                if bound.unit is None or value_unit is None:
                    return _Judgement(None, problem=f"{title} on {date}: the value and its reference range are not in comparable units")
                try:
                    bound_value = units.convert(bound.value, bound.unit, value_unit, molar_mass, valence)
                except UnitError as exc:
                    return _Judgement(None, problem=f"{title} on {date}: {exc}")
            else:
                bound_value = bound.value
            if bound_value <= 0:
                return _Judgement(None, problem=f"{title} on {date} has a reference limit of {bound_value}, which cannot scale a ×{limit_name} limit")
            limit = _dec(multiple * bound_value)
            ok = test(_dec(number), limit)
            ratio = number / bound_value
            sentence = (
                f"{title} {_fmt(number)} {unit or ''} on {date} is {_fmt(ratio)}×{limit_name} "
                f"({limit_name} {_fmt(bound_value)} {unit or ''}), which {'meets' if ok else 'does not meet'} {symbol} {_fmt(multiple)}×{limit_name}"
            )
            return _Judgement(MET if ok else NOT_MET, " ".join(sentence.split()), _evidence(obs))
        if target_unit is not None:
            if unit is None:
                return _Judgement(None, problem=f"{title} on {date} has no unit, so it cannot be compared with {target_unit}")
            try:
                converted = units.convert(number, unit, target_unit, molar_mass, valence)
            except UnitError as exc:
                return _Judgement(None, problem=f"{title} on {date}: {exc}")
            shown = f"{_fmt(number)} {unit}"
            if unit != target_unit:
                shown += f" (= {_fmt(converted)} {target_unit})"
            ok = test(_dec(converted), _dec(comp.value or 0))
            limit_text = f"{symbol} {_fmt(comp.value)} {target_unit}"
        else:
            if unit is not None and not units.is_convertible(unit, "1"):
                return _Judgement(None, problem=f"{title} on {date} is in {unit!r}, but the limit has no unit")
            converted = number if unit is None else units.convert(number, unit, "1")
            shown = _fmt(number)
            ok = test(_dec(converted), _dec(comp.value or 0))
            limit_text = f"{symbol} {_fmt(comp.value)}"
        verb = "meets" if ok else "does not meet"
        return _Judgement(MET if ok else NOT_MET, f"{title} {shown} on {date} {verb} {limit_text}", _evidence(obs))

    return judge


def _make_match_judge(
    title: str, comp: Comparison, result_sets: Sequence[Matcher]
) -> Callable[[Observation], _Judgement]:
    texts = {t.casefold() for t in comp.text_in}

    def judge(obs: Observation) -> _Judgement:
        value = obs.value
        date = obs.date.isoformat() if obs.date else "an unknown date"
        if comp.equals is not None and isinstance(value, bool):
            ok = value is comp.equals
            shown = "yes" if value else "no"
        elif isinstance(value, Coding):
            ok = any(m.matches(value) for m in result_sets) or bool(
                texts & {(value.display or "").casefold(), value.code.casefold()}
            )
            shown = value.display or value.code
        elif isinstance(value, str):
            ok = value.strip().casefold() in texts
            shown = value
        else:
            return _Judgement(None, problem=f"{title} on {date} has no coded or text result")
        word = "is" if ok else "is not"
        return _Judgement(
            MET if ok else NOT_MET, f"{title} on {date} was {shown!r}, which {word} a matching result", _evidence(obs)
        )

    return judge


def _compile_measurement(node: Measurement, env: _CompileEnv) -> Compiled:
    concept = env.valuesets[node.concept]
    matcher = env.matchers[node.concept]
    title = concept.title or node.concept.replace("_", " ")
    comp = node.comparison
    if comp.op is not None:
        judge = _make_numeric_judge(title, comp, concept.molar_mass, concept.valence)
    else:
        judge = _make_match_judge(title, comp, [env.matchers[n] for n in comp.result_in])
    window = node.window
    use = node.use

    def run(ev: Evaluation) -> Outcome:
        start = window_start(window, ev.as_of)
        problems: list[str] = []
        judged: list[_Judgement] = []
        for obs in ev.index.observations(matcher):
            if obs.date is None:
                problems.append(f"{title} {obs.id} has no date")
                continue
            if obs.date > ev.as_of:
                continue
            if start is not None and obs.date < start:
                break  # sorted most recent first: the rest are older still
            j = judge(obs)
            if j.result is None:
                problems.append(j.problem)
                continue
            judged.append(j)
            if use == "latest":
                break
        if not judged:
            where = describe_window(window, ev.as_of)
            reason = f"no usable {title} result {where}"
            if problems:
                reason += " (" + "; ".join(problems[:3]) + ")"
            return Outcome(UNKNOWN, (reason,))
        if use == "latest":
            j = judged[0]
            return Outcome(j.result, (j.sentence,), (j.evidence,) if j.evidence else ())  # type: ignore[arg-type]
        outcomes = [Outcome(j.result, (j.sentence,), (j.evidence,) if j.evidence else ()) for j in judged]  # type: ignore[arg-type]
        return any_of(outcomes) if use == "any" else all_of(outcomes)

    return run


# --------------------------------------------------------------------------
# Derived values
# --------------------------------------------------------------------------


def _compile_derived(node: Derived, env: _CompileEnv) -> Compiled:
    spec = env.functions[node.function]
    fn = spec.fn
    comp = node.comparison
    args = node.args
    test, symbol = _OPS[comp.op or ">="]
    label = spec.description or node.function.replace("_", " ")

    def run(ev: Evaluation) -> Outcome:
        try:
            derived: DerivedValue = fn(ev.functions_ctx, args)
        except Exception as exc:  # a plugin's function must not crash a screening
            return Outcome(UNKNOWN, (f"{label} could not be computed ({type(exc).__name__}: {exc})",))
        if derived.value is None:
            return Outcome(UNKNOWN, (derived.reason or f"{label} could not be computed",), derived.evidence)
        value = derived.value
        shown = f"{_fmt(value)} {derived.unit or ''}".strip()
        if comp.unit is not None:
            if derived.unit is None:
                return Outcome(UNKNOWN, (f"{label} has no unit to compare with {comp.unit}",), derived.evidence)
            try:
                value = units.convert(float(value), derived.unit, comp.unit)
            except UnitError as exc:
                return Outcome(UNKNOWN, (f"{label}: {exc}",), derived.evidence)
            if derived.unit != comp.unit:
                shown += f" (= {_fmt(value)} {comp.unit})"
        ok = test(_dec(value), _dec(comp.value or 0))
        limit = f"{symbol} {_fmt(comp.value)} {comp.unit or ''}".strip()
        detail = f" ({derived.reason})" if derived.reason else ""
        sentence = f"{label} is {shown}{detail}, which {'meets' if ok else 'does not meet'} {limit}"
        return Outcome(MET if ok else NOT_MET, (sentence,), derived.evidence)

    return run


# --------------------------------------------------------------------------
# Record searches
# --------------------------------------------------------------------------

_SKIP_STATUS = {
    "condition": frozenset({"refuted", "entered-in-error"}),
    "allergy": frozenset({"refuted", "entered-in-error"}),
    "medication": frozenset({"entered-in-error", "cancelled", "not-taken", "draft"}),
    "procedure": frozenset({"entered-in-error", "not-done", "preparation"}),
    "immunization": frozenset({"entered-in-error", "not-done"}),
}
#: verificationStatus values under which a diagnosis (or allergy) is neither present
#: nor absent (CONTRACT.md section 5).
UNCONFIRMED = frozenset({"provisional", "differential", "unconfirmed"})
_ACTIVE = frozenset({"active", "recurrence", "relapse"})
_RECORDS_ATTR = {"condition": "conditions", "medication": "medications", "procedure": "procedures",
                 "immunization": "immunizations", "allergy": "allergies"}


def _period(record: Any, kind: str) -> tuple[dt.date | None, dt.date | None]:
    if kind == "condition":
        return record.onset or record.recorded, record.abatement
    if kind == "medication":
        return record.start or record.end, record.end
    if kind == "procedure":
        return record.date, record.end or record.date
    if kind == "immunization":
        return record.date, record.date
    return record.date, None


def record_shown(rec: Any, entry: Any = None) -> str:
    """What a coordinator reads for a record: the matching code's display, else the first
    code's, else the source's own words."""
    codes = (*rec.codes, *getattr(rec, "ingredients", ()))
    if entry is not None and entry.code:
        want = entry.code.replace(".", "").upper()
        for c in codes:
            if c.code.replace(".", "").upper().startswith(want):
                return c.display or c.code
    if codes:
        return codes[0].display or codes[0].code
    return getattr(rec, "text", None) or "a record without code or text"


@frozen
class RecordFinding:
    """How one record fares in a search: it matches (``entry``) or cannot be judged (``why``)."""

    entry: Any
    why: str = ""
    how: str = ""  # how the record matched, when not by its own code (an ingredient name...)


def assess_record(rec: Any, kind: str, include: Sequence[Matcher], exclude: Sequence[Matcher]) -> RecordFinding | None:
    """A record against a search's value sets (statuses already filtered).

    None: the record is judged and is not one searched for. A record that the value sets
    cannot judge (text only, codes only in another system) or a diagnosis that is only
    provisional is a finding with ``why`` set: it makes the search unknown unless other
    records decide (CONTRACT.md section 5).
    """
    codes = rec.codes
    ingredients = getattr(rec, "ingredients", ())  # a product matches through its ingredients
    cannot = ""
    for m in include:
        found = m.assess(codes, ingredients)
        if found.entry is not None:
            if any(x.matches_any((*codes, *ingredients)) for x in exclude):
                return None
            status = getattr(rec, "verification_status", None)
            if status in UNCONFIRMED:
                return RecordFinding(found.entry, f"its verificationStatus is {status}, neither present nor absent")
            return RecordFinding(found.entry, how=found.how)
        if found.cannot_judge and not cannot:
            cannot = found.cannot_judge
    if cannot and not any(x.matches_any((*codes, *ingredients)) for x in exclude):
        return RecordFinding(None, f"cannot be judged: {cannot}")
    return None


def _compile_search(node: RecordSearch, env: _CompileEnv) -> Compiled:
    kind = node.record
    include = [env.matchers[n] for n in node.valuesets]
    exclude = [env.matchers[n] for n in node.exclude]
    skip = _SKIP_STATUS[kind]
    window = node.window
    label = " or ".join((env.valuesets[n].title or n.replace("_", " ")) for n in node.valuesets)
    attr = _RECORDS_ATTR[kind]
    need_active = node.status == "active"
    wider = [(n, env.matchers[n]) for n in node.open_list]
    by_diagnosis = kind == "condition" and node.dated_by == "diagnosis"

    def run(ev: Evaluation) -> Outcome:
        start = window_start(window, ev.as_of)
        found: list[tuple[str, Evidence]] = []
        undecided: list[tuple[str, Evidence]] = []
        uncertain: list[str] = []
        for rec in getattr(ev.index.record, attr):
            status = getattr(rec, "verification_status", None)
            if status in skip or getattr(rec, "status", None) in skip:
                continue
            finding = assess_record(rec, kind, include, exclude)
            if finding is None:
                finding = _open_list_finding(rec, kind, wider, exclude)
            if finding is None:
                continue
            entry = finding.entry
            shown = record_shown(rec, entry)
            clinical = getattr(rec, "clinical_status", None)
            begin, end = _period(rec, kind)
            if need_active and clinical is not None and clinical not in _ACTIVE:
                continue
            if need_active and clinical is None and end is not None and end <= ev.as_of:
                continue
            if begin is not None and begin > ev.as_of:
                continue  # recorded as starting after the as-of date
            resource = rec.reference
            ev_date = end if (end is not None and end <= ev.as_of) else begin
            evidence = Evidence(resource, shown, None, ev_date)
            if start is not None or (window is not None and window.half_lives):
                limit = start
                if window is not None and window.half_lives and entry is not None and entry.half_life_hours:
                    hl_days = window.half_lives * entry.half_life_hours / 24.0
                    hl_start = ev.as_of - dt.timedelta(days=hl_days)
                    # "whichever is shorter": the later of the two starts
                    limit = hl_start if limit is None or hl_start > limit else limit
                last = begin if by_diagnosis else _last_date(rec, kind, begin, end, ev.as_of)
                if last is None:
                    uncertain.append(f"{shown} ({resource}) has no date")
                    continue
                if limit is not None and last < limit:
                    continue
            if by_diagnosis:
                ev_date = begin
                evidence = Evidence(resource, shown, None, ev_date)
            text = f"{shown} ({resource}{', ' + ev_date.isoformat() if ev_date else ''})"
            if finding.how:
                text += f", {finding.how}"
            if finding.why:
                undecided.append((f"{text} {finding.why}", evidence))
            else:
                found.append((text, evidence))
        return search_outcome(node, label, window, ev.as_of, found, undecided, uncertain)

    return run


def _open_list_finding(
    rec: Any, kind: str, wider: Sequence[tuple[str, Matcher]], exclude: Sequence[Matcher]
) -> RecordFinding | None:
    """A record outside an open list ("such as ...") but inside its wider class: a person decides."""
    for name, matcher in wider:
        found = assess_record(rec, kind, [matcher], exclude)
        if found is not None and found.entry is not None:
            return RecordFinding(found.entry, f"is not listed but belongs to {name.replace('_', ' ')}, "
                                              "which the protocol's open list may include; a person decides")
    return None


def search_outcome(
    node: RecordSearch,
    label: str,
    window: Window | None,
    as_of: dt.date,
    found: Sequence[tuple[str, Evidence]],
    undecided: Sequence[tuple[str, Evidence]],
    uncertain: Sequence[str],
) -> Outcome:
    """A search's result from the records it found (sentence, evidence), those it cannot
    judge, and those it cannot place in time."""
    noun = node.record
    where = "" if window is None else " " + describe_window(window, as_of)
    if len(found) >= node.min_count:
        text = f"recorded {noun}{where}: " + ", ".join(t for t, _ in found[:5])
        return Outcome(MET, (text,), tuple(e for _, e in found))
    if len(found) + len(undecided) + len(uncertain) >= node.min_count and (undecided or uncertain):
        reasons = []
        if undecided:
            reasons.append(f"a {noun}{where} may be {label}: " + "; ".join(t for t, _ in undecided[:3]))
        if uncertain:
            reasons.append(f"a matching {noun} cannot be placed in time: " + "; ".join(uncertain[:3]))
        return Outcome(UNKNOWN, tuple(reasons), tuple(e for _, e in (*found, *undecided)))
    if found:
        text = f"only {len(found)} matching {noun} record(s){where}, {node.min_count} needed"
        return Outcome(node.if_absent, (text,), tuple(e for _, e in found))
    if node.if_absent == UNKNOWN:
        return Outcome(UNKNOWN, (f"no record of {label}{where}; the record may be incomplete",))
    return Outcome(node.if_absent, (f"no record of {label}{where}",))


_ONGOING = frozenset({"active", "in-progress", "on-hold", "intended", "recurrence", "relapse"})


def _last_date(rec: Any, kind: str, begin: dt.date | None, end: dt.date | None, as_of: dt.date) -> dt.date | None:
    """The last day a record is known to apply, for window tests.

    An ongoing record (active condition or medication with no end) applies up to
    the as-of date; a finished one with no end date is only known on its start.
    """
    if end is not None:
        return min(end, as_of)
    status = getattr(rec, "clinical_status", None) or getattr(rec, "status", None)
    if kind in ("condition", "medication") and begin is not None and (status is None or status in _ONGOING):
        return as_of
    return begin


# --------------------------------------------------------------------------
# Other leaves and logic
# --------------------------------------------------------------------------


def _compile_attestation(node: Attestation) -> Compiled:
    fixed = node.id

    def run(ev: Evaluation) -> Outcome:
        key = fixed or ev.criterion_id
        attestations = ev.index.record.attestations
        answer = attestations.get(f"{ev.trial_id}:{key}", attestations.get(key))
        if answer is None:
            return Outcome(UNKNOWN, (f"awaits a person's attestation ({key}); only a person can decide it",))
        return Outcome(MET if answer else NOT_MET, (f"attested {'true' if answer else 'false'} ({key})",))

    return run


def _compile_sex(node: Sex) -> Compiled:
    wanted = node.sex

    def run(ev: Evaluation) -> Outcome:
        sex = ev.index.record.sex
        if sex in (None, "unknown", "other"):
            return Outcome(UNKNOWN, (f"the record does not state the patient's sex as {wanted} or otherwise",))
        return Outcome(MET if sex == wanted else NOT_MET, (f"sex is {sex}",))

    return run


def _compile_if(node: If, env: _CompileEnv) -> Compiled:
    cond, then, other = compile_rule(node.condition, env), compile_rule(node.then, env), compile_rule(node.else_, env)

    def run(ev: Evaluation) -> Outcome:
        c = cond(ev)
        if c.result == MET:
            t = then(ev)
            return Outcome(t.result, c.reasons + t.reasons, c.evidence + t.evidence)
        if c.result == NOT_MET:
            e = other(ev)
            return Outcome(e.result, c.reasons + e.reasons, c.evidence + e.evidence)
        t, e = then(ev), other(ev)
        if t.result == e.result:
            return Outcome(t.result, c.reasons + t.reasons + e.reasons, c.evidence + t.evidence + e.evidence)
        return Outcome(UNKNOWN, c.reasons, c.evidence)

    return run


@frozen
class _CompileEnv:
    valuesets: Mapping[str, ValueSet]
    matchers: Mapping[str, Matcher]
    functions: Mapping[str, Any]


def compile_rule(node: Rule, env: _CompileEnv) -> Compiled:
    """Turn a rule tree into a function of an :class:`Evaluation`."""
    if isinstance(node, AllOf):
        parts = [compile_rule(p, env) for p in node.parts]
        return lambda ev: all_of([p(ev) for p in parts])
    if isinstance(node, AnyOf):
        parts = [compile_rule(p, env) for p in node.parts]
        return lambda ev: any_of([p(ev) for p in parts])
    if isinstance(node, Not):
        inner = compile_rule(node.part, env)
        return lambda ev: negate(inner(ev))
    if isinstance(node, AtLeast):
        parts = [compile_rule(p, env) for p in node.of]
        n = node.n
        return lambda ev: at_least(n, [p(ev) for p in parts])
    if isinstance(node, If):
        return _compile_if(node, env)
    if isinstance(node, Const):
        outcome = Outcome(node.result, (node.reason,) if node.reason else ())
        return lambda ev: outcome
    if isinstance(node, Sex):
        return _compile_sex(node)
    if isinstance(node, Measurement):
        return _compile_measurement(node, env)
    if isinstance(node, Derived):
        return _compile_derived(node, env)
    if isinstance(node, RecordSearch):
        return _compile_search(node, env)
    if isinstance(node, Attestation):
        return _compile_attestation(node)
    raise TypeError(f"not a rule node: {node!r}")


# --------------------------------------------------------------------------
# Criteria, trials, verdicts
# --------------------------------------------------------------------------


@frozen
class CompiledCriterion:
    criterion: Criterion
    rule: Compiled | None
    children: tuple[CompiledCriterion, ...]
    combine: str

    def evaluate(self, ev: Evaluation) -> tuple[CriterionResult, Outcome]:
        c = self.criterion
        ev.criterion_id = c.id
        parts: list[Outcome] = []
        if self.rule is not None:
            parts.append(self.rule(ev))
        child_results = []
        for child in self.children:
            result, outcome = child.evaluate(ev)
            child_results.append(result)
            parts.append(Outcome(outcome.result, tuple(f"{child.criterion.id}: {r}" for r in outcome.reasons[:1]), outcome.evidence))
        ev.criterion_id = c.id
        if not parts:
            outcome = Outcome(UNKNOWN, ("no rule decides this criterion from data",))
        elif len(parts) == 1:
            outcome = parts[0]
        else:
            outcome = all_of(parts) if self.combine == "all" else any_of(parts)
        return (
            CriterionResult(
                id=c.id,
                kind=c.kind,
                text=c.text,
                result=outcome.result,
                reason=_sentence(outcome),
                evidence=outcome.evidence,
                criteria=tuple(child_results),
            ),
            outcome,
        )


def _sentence(outcome: Outcome) -> str:
    text = "; ".join(r for r in outcome.reasons if r) or {
        MET: "met", NOT_MET: "not met", UNKNOWN: "cannot be decided from the data given"
    }[outcome.result]
    text = text[0].upper() + text[1:]
    return text if text.endswith(".") else text + "."


def compile_criterion(criterion: Criterion, env: _CompileEnv) -> CompiledCriterion:
    combine = criterion.combine or ("all" if criterion.kind == "inclusion" else "any")
    return CompiledCriterion(
        criterion,
        None if criterion.rule is None else compile_rule(criterion.rule, env),
        tuple(compile_criterion(c, env) for c in criterion.criteria),
        combine,
    )


def verdict_of(results: Sequence[CriterionResult]) -> Verdict:
    """CONTRACT.md section 3, over the top-level criteria."""
    if any(
        (r.kind == "inclusion" and r.result == NOT_MET) or (r.kind == "exclusion" and r.result == MET)
        for r in results
    ):
        return "ineligible"
    if all(
        (r.kind == "inclusion" and r.result == MET) or (r.kind == "exclusion" and r.result == NOT_MET)
        for r in results
    ):
        return "eligible"
    return "needs_review"


class CompiledTrial:
    """A trial ready to evaluate patients."""

    def __init__(
        self,
        trial: Trial,
        valuesets: Mapping[str, ValueSet],
        matchers: Mapping[str, Matcher],
        functions: Mapping[str, Any],
    ) -> None:
        self.trial = trial
        self.valuesets = valuesets
        self.functions = functions
        self.matchers = matchers
        env = _CompileEnv(valuesets, matchers, functions)
        self.criteria = tuple(compile_criterion(c, env) for c in trial.criteria)

    def evaluate(self, record: PatientRecord, as_of: dt.date, index: PatientIndex | None = None) -> ScreeningResult:
        """Screen one patient at an as-of date."""
        index = index or PatientIndex(record)
        ctx = FunctionContext(record, as_of, index, self.matchers, self.trial.id)
        ev = Evaluation(index, as_of, self.trial.id, ctx)
        results = tuple(c.evaluate(ev)[0] for c in self.criteria)
        return ScreeningResult(record.id, self.trial.id, as_of, verdict_of(results), results, definition=self)


def window_from(days: int | None = None, weeks: int | None = None) -> Window:
    """A convenience for functions: ``Window(days=...)``."""
    return Window(days=days, weeks=weeks)


__all__ = ["CompiledTrial", "verdict_of", "age_in_years"]
