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

import attrs
from attrs import frozen

from trialrules.engine.kleene import Outcome, all_of, any_of, at_least, negate, unique
from trialrules.engine.latest import compare, shown_bound
from trialrules.engine.measure import (
    Judge,
    each_outcome,
    fmt,
    latest_outcome,
    make_match_judge,
    make_numeric_judge,
    snap,
)
from trialrules.engine.patient import (
    GROUP_MEMO_LIMIT,
    PatientIndex,
    WindowAt,
    describe_window,
)
from trialrules.engine.spans import record_bounds, span_of
from trialrules.errors import UnitError
from trialrules.functions import DerivedValue, FunctionContext
from trialrules.language import units
from trialrules.language.models import (
    MET,
    NOT_MET,
    SET_ASIDE_PHRASE,
    UNKNOWN,
    AllOf,
    AnyOf,
    AtLeast,
    Attestation,
    Const,
    Criterion,
    CriterionResult,
    Derived,
    Evidence,
    If,
    Measurement,
    Not,
    PatientRecord,
    RecordSearch,
    Rule,
    SetAside,
    Sex,
    Trial,
    ValueSet,
    Verdict,
    Window,
)
from trialrules.language.statuses import CLINICAL_ACTIVE, NOT_HAPPENED, VERIFICATION_UNCONFIRMED
from trialrules.language.terminology import Matcher
from trialrules.results import ScreeningResult


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


# --------------------------------------------------------------------------
# Measurements
# --------------------------------------------------------------------------


def _compile_measurement(node: Measurement, env: _CompileEnv) -> Compiled:
    concept = env.valuesets[node.concept]
    matcher = env.matchers[node.concept]
    title = concept.title or node.concept.replace("_", " ")
    comp = node.comparison
    judge: Judge
    if comp.op is not None:
        judge = make_numeric_judge(title, comp, concept.molar_mass, concept.valence)
    else:
        judge = make_match_judge(title, comp, [env.matchers[n] for n in comp.result_in])
    window = WindowAt(node.window)
    use = node.use

    def run(ev: Evaluation) -> Outcome:
        at = window.at(ev.as_of)
        where = at.where
        patient = ev.index.record
        if use == "latest":
            chosen = ev.index.newest(matcher, at.start, ev.as_of)
            return latest_outcome(title, where, chosen, [judge(c.obs, patient) for c in chosen])
        candidates = ev.index.in_window(matcher, at.start, ev.as_of)
        return each_outcome(title, where, use, candidates, [judge(c.obs, patient) for c in candidates])

    return run


# --------------------------------------------------------------------------
# Derived values
# --------------------------------------------------------------------------


def _compile_derived(node: Derived, env: _CompileEnv) -> Compiled:
    spec = env.functions[node.function]
    fn = spec.fn
    comp = node.comparison
    args = node.args
    op = comp.op or ">="
    symbol = {">": ">", ">=": "≥", "<": "<", "<=": "≤", "==": "=", "!=": "≠"}[op]
    label = spec.description or node.function.replace("_", " ")

    def run(ev: Evaluation) -> Outcome:
        try:
            derived: DerivedValue = fn(ev.functions_ctx, args)
        except Exception as exc:  # a plugin's function must not crash a screening
            return Outcome(UNKNOWN, (f"{label} could not be computed ({type(exc).__name__}: {exc})",))
        if derived.value is None:
            return Outcome(UNKNOWN, (derived.reason or f"{label} could not be computed",), derived.evidence)
        value = derived.value
        if isinstance(value, bool) or not isinstance(value, (int, float, Decimal)) or not math.isfinite(value):
            return Outcome(UNKNOWN, (f"{label} is {value!r}, not a finite number",), derived.evidence)
        bound = shown_bound(derived.comparator)
        shown = f"{bound}{fmt(value)} {derived.unit or ''}".strip()
        if comp.unit is not None:
            if derived.unit is None:
                return Outcome(UNKNOWN, (f"{label} has no unit to compare with {comp.unit}",), derived.evidence)
            try:
                value = units.convert(float(value), derived.unit, comp.unit)
            except UnitError as exc:
                return Outcome(UNKNOWN, (f"{label}: {exc}",), derived.evidence)
            if derived.unit != comp.unit:
                shown += f" (= {bound}{fmt(value)} {comp.unit})"
        result = compare(snap(value), derived.comparator, op, snap(comp.value or 0))
        limit = f"{symbol} {fmt(comp.value)} {comp.unit or ''}".strip()
        detail = f" ({derived.reason})" if derived.reason else ""
        if result is None:
            return Outcome(UNKNOWN, (f"{label} is {shown}{detail}, a bound that cannot settle {limit}",),
                           derived.evidence)
        sentence = f"{label} is {shown}{detail}, which {'meets' if result == MET else 'does not meet'} {limit}"
        return Outcome(result, (sentence,), derived.evidence)

    return run


# --------------------------------------------------------------------------
# Record searches
# --------------------------------------------------------------------------

_RECORDS_ATTR = {"condition": "conditions", "medication": "medications", "procedure": "procedures",
                 "immunization": "immunizations", "allergy": "allergies"}


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
            if status in VERIFICATION_UNCONFIRMED:
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
    skip = NOT_HAPPENED[kind]
    window = node.window
    label = " or ".join((env.valuesets[n].title or n.replace("_", " ")) for n in node.valuesets)
    attr = _RECORDS_ATTR[kind]
    need_active = node.status == "active"
    wider = [(n, env.matchers[n]) for n in node.open_list]
    by_diagnosis = kind == "condition" and node.dated_by == "diagnosis"
    at_window = WindowAt(window)
    # This search's judgement of each kind of record (codes, ingredients, verificationStatus),
    # by the process-wide group number: a patient's records are judged once per distinct
    # coding across the whole batch, not once per patient.
    judged: dict[int, RecordFinding | None] = {}
    absent: list[Any] = [None, None]  # [as-of date, the outcome when no record matches]

    def run(ev: Evaluation) -> Outcome:
        at = at_window.at(ev.as_of)
        start = at.start
        found: list[tuple[str, Evidence]] = []
        undecided: list[tuple[str, Evidence]] = []
        uncertain: list[tuple[str, Evidence]] = []
        matched: list[tuple[int, Any, RecordFinding]] = []
        for number, group in ev.index.keyed_groups(attr):  # records alike in what is judged, judged once
            try:
                finding = judged[number]
            except KeyError:
                finding = assess_record(group[0][1], kind, include, exclude)
                if finding is None:
                    finding = _open_list_finding(group[0][1], kind, wider, exclude)
                if len(judged) >= GROUP_MEMO_LIMIT:
                    judged.clear()
                judged[number] = finding
            if finding is not None:
                matched.extend((pos, rec, finding) for pos, rec in group)
        if not matched:
            if absent[0] != ev.as_of:
                absent[:] = [ev.as_of, search_outcome(node, label, window, ev.as_of, (), (), (), at.where)]
            return absent[1]  # type: ignore[no-any-return]
        matched.sort(key=lambda m: m[0])  # the records' own order
        for _, rec, finding in matched:
            status = getattr(rec, "verification_status", None)
            if status in skip or getattr(rec, "status", None) in skip:
                continue
            entry = finding.entry
            shown = record_shown(rec, entry)
            clinical = getattr(rec, "clinical_status", None)
            bounds = record_bounds(rec, kind)
            begin, end = bounds.first_lo, bounds.end_hi
            if need_active and clinical is not None and clinical not in CLINICAL_ACTIVE:
                continue
            if need_active and clinical is None and end is not None and end <= ev.as_of:
                continue  # ended by the as-of date, whichever day its end may mean
            if need_active and clinical is None and kind == "condition" and rec.end_unknown:
                continue  # it abated, on a day the record does not give
            span = span_of(bounds, kind, ev.as_of)
            if span.first_lo is not None and span.first_lo > ev.as_of:
                continue  # recorded as starting after the as-of date
            resource = rec.reference
            ev_date = end if (end is not None and end <= ev.as_of) else begin
            evidence = Evidence(resource, shown, None, ev_date)
            # a record whose days (a partial date, an end not given) do not all agree: shown, undecided
            doubt = ""
            if span.first_hi is not None and span.first_hi > ev.as_of:
                doubt = f"may have begun after {ev.as_of.isoformat()}"
            elif need_active and clinical is None and bounds.end_lo is not None and bounds.end_lo <= ev.as_of:
                doubt = f"may have ended by {ev.as_of.isoformat()}"
            if start is not None or (window is not None and window.half_lives):
                limit = start
                if window is not None and window.half_lives and entry is not None and entry.half_life_hours:
                    hl_days = window.half_lives * entry.half_life_hours / 24.0
                    hl_start = ev.as_of - dt.timedelta(days=hl_days)
                    # "whichever is shorter": the later of the two starts
                    limit = hl_start if limit is None or hl_start > limit else limit
                lo, hi = (span.first_lo, span.first_hi) if by_diagnosis else (span.last_lo, span.last_hi)
                if lo is None or hi is None:
                    uncertain.append((f"{shown} ({resource}) has no date", evidence))
                    continue
                if limit is not None and hi < limit:
                    continue  # before the window on every day its dates may mean
                if limit is not None and lo < limit and not doubt:
                    # before the window on some of its days, inside it on others
                    doubt = "may fall before the window"
            if doubt:
                when = span.when() if not by_diagnosis else f"was diagnosed on {_days(span.first_lo, span.first_hi)}"
                if span.end_unknown and not by_diagnosis and not span.partial:
                    uncertain.append((f"{shown} ({resource}) {when}", evidence))
                else:
                    uncertain.append((f"{shown} ({resource}) {when}: it {doubt}", evidence))
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
        return search_outcome(node, label, window, ev.as_of, found, undecided, uncertain, at.where)

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


def _record_order(item: tuple[str, Evidence]) -> tuple[Any, ...]:
    text, evidence = item
    return (evidence.date is not None, evidence.date or dt.date.min, evidence.resource or "", text)


def search_outcome(
    node: RecordSearch,
    label: str,
    window: Window | None,
    as_of: dt.date,
    found: Sequence[tuple[str, Evidence]],
    undecided: Sequence[tuple[str, Evidence]],
    uncertain: Sequence[tuple[str, Evidence]],
    described: str | None = None,
) -> Outcome:
    """A search's result from the records it found (sentence, evidence), those it cannot
    judge, and those it cannot place in time (``described``: the window's words, when the
    caller has them)."""
    noun = node.record
    if window is None:
        where = ""
    else:
        where = " " + (describe_window(window, as_of) if described is None else described)
    # the order of records in the input never shows in the result: by date, then resource
    found = sorted(found, key=_record_order)
    undecided = sorted(undecided, key=_record_order)
    uncertain = sorted(uncertain, key=_record_order)
    if len(found) >= node.min_count:
        text = f"recorded {noun}{where}: " + ", ".join(t for t, _ in found[:5])
        return Outcome(MET, (text,), tuple(e for _, e in found))
    if len(found) + len(undecided) + len(uncertain) >= node.min_count and (undecided or uncertain):
        reasons = []
        if undecided:
            reasons.append(f"a {noun}{where} may be {label}: " + "; ".join(t for t, _ in undecided[:3]))
        if uncertain:
            reasons.append(f"a matching {noun} cannot be placed in time: " + "; ".join(t for t, _ in uncertain[:3]))
        return Outcome(UNKNOWN, tuple(reasons), tuple(e for _, e in (*found, *undecided, *uncertain)))
    if found:
        text = f"only {len(found)} matching {noun} record(s){where}, {node.min_count} needed"
        return Outcome(node.if_absent, (text,), tuple(e for _, e in found))
    if node.if_absent == UNKNOWN:
        return Outcome(UNKNOWN, (f"no record of {label}{where}; the record may be incomplete",))
    return Outcome(node.if_absent, (f"no record of {label}{where}",))


def _days(lo: dt.date | None, hi: dt.date | None) -> str:
    if lo is None or hi is None:
        return "an unknown day"
    return lo.isoformat() if lo == hi else f"a day in {lo.isoformat()}..{hi.isoformat()}"


# --------------------------------------------------------------------------
# Other leaves and logic
# --------------------------------------------------------------------------


def _attestation_outcomes(key: str) -> dict[bool | None, Outcome]:
    """The three outcomes of an attestation: answered true, false, or not at all."""
    return {
        None: Outcome(UNKNOWN, (f"awaits a person's attestation ({key}); only a person can decide it",)),
        True: Outcome(MET, (f"attested true ({key})",)),
        False: Outcome(NOT_MET, (f"attested false ({key})",)),
    }


def _compile_attestation(node: Attestation) -> Compiled:
    fixed = node.id
    # (trial id, attestation key) -> (qualified key, the three outcomes): built once, not per patient
    known: dict[tuple[str, str], tuple[str, dict[bool | None, Outcome]]] = {}

    def run(ev: Evaluation) -> Outcome:
        key = fixed or ev.criterion_id
        found = known.get((ev.trial_id, key))
        if found is None:
            found = known[(ev.trial_id, key)] = (f"{ev.trial_id}:{key}", _attestation_outcomes(key))
        attestations = ev.index.record.attestations
        answer = attestations.get(found[0], attestations.get(key))
        if answer is None:
            return found[1][None]
        return found[1][bool(answer)]

    return run


def _compile_sex(node: Sex) -> Compiled:
    wanted = node.sex

    unstated = Outcome(UNKNOWN, (f"the record does not state the patient's sex as {wanted} or otherwise",))
    stated = {sex: Outcome(MET if sex == wanted else NOT_MET, (f"sex is {sex}",)) for sex in ("female", "male")}

    def run(ev: Evaluation) -> Outcome:
        sex = ev.index.record.sex
        if sex in (None, "unknown", "other"):
            return unstated
        found = stated.get(sex)
        if found is None:
            return Outcome(MET if sex == wanted else NOT_MET, (f"sex is {sex}",))
        return found

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


_NO_RULE = Outcome(UNKNOWN, ("no rule decides this criterion from data",))
_SAID = {MET: "met", NOT_MET: "not met", UNKNOWN: "cannot be decided from the data given"}
#: (results that decide, in order; the result when none does) of a criterion's combination
_DECIDING = {"all": ((NOT_MET, UNKNOWN), MET), "any": ((MET, UNKNOWN), NOT_MET)}


class CompiledCriterion:
    """A criterion ready to evaluate: its own rule and its sub-criteria, combined.

    Everything that does not depend on the patient (the sub-criteria's ``id: `` prefixes,
    the combination) is worked out here once, at compile time.
    """

    __slots__ = ("criterion", "rule", "children", "combine", "_prefixes", "_deciding")

    def __init__(self, criterion: Criterion, rule: Compiled | None, children: tuple[CompiledCriterion, ...],
                 combine: str) -> None:
        self.criterion = criterion
        self.rule = rule
        self.children = children
        self.combine = combine
        self._prefixes = tuple(f"{child.criterion.id}: " for child in children)
        self._deciding = _DECIDING["all" if combine == "all" else "any"]

    def evaluate(self, ev: Evaluation) -> tuple[CriterionResult, Outcome]:
        c = self.criterion
        ev.criterion_id = c.id
        if not self.children:
            outcome = _NO_RULE if self.rule is None else self.rule(ev)
            return CriterionResult(c.id, c.kind, c.text, outcome.result, _sentence(outcome), outcome.evidence), outcome
        # (outcome, prefix of its reasons: "" for the rule's own, "id: " for a sub-criterion's first)
        parts: list[tuple[Outcome, str | None]] = []
        if self.rule is not None:
            parts.append((self.rule(ev), None))
        child_results = []
        for child, prefix in zip(self.children, self._prefixes, strict=True):
            result, child_outcome = child.evaluate(ev)
            child_results.append(result)
            parts.append((child_outcome, prefix))
        ev.criterion_id = c.id
        outcome = self._combined(parts)
        return (
            CriterionResult(c.id, c.kind, c.text, outcome.result, _sentence(outcome), outcome.evidence,
                            tuple(child_results)),
            outcome,
        )

    def _combined(self, parts: list[tuple[Outcome, str | None]]) -> Outcome:
        """Kleene AND / OR of the parts (:func:`trialrules.engine.kleene.all_of`), each sub-criterion
        speaking through its first reason, prefixed by its id; only the deciding parts explain."""
        if len(parts) == 1:
            outcome, prefix = parts[0]
            if prefix is None:
                return outcome
            return Outcome(outcome.result, tuple(prefix + r for r in outcome.reasons[:1]), outcome.evidence)
        order, otherwise = self._deciding
        value = otherwise
        deciding = parts
        for wanted in order:
            chosen = [p for p in parts if p[0].result == wanted]
            if chosen:
                value, deciding = wanted, chosen
                break
        reasons: list[str] = []
        evidence: list[Evidence] = []
        for outcome, prefix in deciding:
            if prefix is None:
                reasons.extend(outcome.reasons)
            elif outcome.reasons:
                reasons.append(prefix + outcome.reasons[0])
            evidence.extend(outcome.evidence)
        return Outcome(value, tuple(dict.fromkeys(reasons)), unique(tuple(evidence)))


_SENTENCES: dict[tuple[tuple[str, ...], str], str] = {}


def _sentence(outcome: Outcome) -> str:
    """The criterion's reason: its outcome's reasons joined, as one sentence. Remembered:
    most criteria of most patients say the same few things (attested, no record of ...)."""
    key = (outcome.reasons, outcome.result)
    found = _SENTENCES.get(key)
    if found is None:
        if len(_SENTENCES) >= 4096:
            _SENTENCES.clear()
        found = _SENTENCES[key] = _sentence_of(outcome)
    return found


def _sentence_of(outcome: Outcome) -> str:
    reasons = outcome.reasons
    if len(reasons) == 1:
        text = reasons[0]
    elif "" in reasons:
        text = "; ".join([r for r in reasons if r])
    else:
        text = "; ".join(reasons)
    if not text:
        text = _SAID[outcome.result]
    first = text[0]
    if first != first.upper():
        text = first.upper() + text[1:]
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
        results = self._results(record, as_of, index or PatientIndex(record))
        if record.set_aside:
            results = self._unsettled_by_set_aside(record, as_of, results)
        return ScreeningResult(record.id, self.trial.id, as_of, verdict_of(results), results,
                               record.set_aside, definition=self)

    def _results(self, record: PatientRecord, as_of: dt.date, index: PatientIndex) -> tuple[CriterionResult, ...]:
        ctx = FunctionContext(record, as_of, index, self.matchers, self.trial.id)
        ev = Evaluation(index, as_of, self.trial.id, ctx)
        return tuple(c.evaluate(ev)[0] for c in self.criteria)

    def _unsettled_by_set_aside(
        self, record: PatientRecord, as_of: dt.date, results: tuple[CriterionResult, ...]
    ) -> tuple[CriterionResult, ...]:
        """A criterion that a record set aside for its subject would judge otherwise, were it the
        patient's, is ``unknown`` (that record may be the deciding one; README, "Records set aside").

        The patient is screened again with each set-aside record added, and with all of them."""
        asides = record.set_aside
        groups = [(s,) for s in asides[:MAX_SET_ASIDE_TRIED]] + ([asides] if len(asides) > 1 else [])
        others = [(group, self._results(merged, as_of, PatientIndex(merged)))
                  for group in groups for merged in (with_set_aside(record, group),)]
        return tuple(_unsettled(base, [(g, alt[i]) for g, alt in others]) for i, base in enumerate(results))


#: Set-aside records tried one by one (beyond these only together): bounds the work on a hostile input.
MAX_SET_ASIDE_TRIED = 20


def with_set_aside(record: PatientRecord, group: Sequence[SetAside]) -> PatientRecord:
    """The patient's record as it would be were the set-aside records theirs (their
    attestations over the patient's own)."""
    parts = [s.content for s in group if s.content is not None]
    attestations = dict(record.attestations)
    for p in parts:
        attestations.update(p.attestations)
    return attrs.evolve(
        record,
        observations=record.observations + tuple(o for p in parts for o in p.observations),
        conditions=record.conditions + tuple(c for p in parts for c in p.conditions),
        medications=record.medications + tuple(m for p in parts for m in p.medications),
        procedures=record.procedures + tuple(x for p in parts for x in p.procedures),
        allergies=record.allergies + tuple(a for p in parts for a in p.allergies),
        immunizations=record.immunizations + tuple(i for p in parts for i in p.immunizations),
        attestations=attestations,
        set_aside=(),
    )


def _unsettled(base: CriterionResult, others: Sequence[tuple[Sequence[SetAside], CriterionResult]]) -> CriterionResult:
    """``base``, or ``unknown`` where a set-aside record would change it (sub-criteria alike)."""
    children = tuple(_unsettled(child, [(g, alt.criteria[i]) for g, alt in others])
                     for i, child in enumerate(base.criteria))
    differ = [(g, alt) for g, alt in others if alt.result != base.result]
    if not differ:
        return attrs.evolve(base, criteria=children) if children != base.criteria else base
    named = [s.resource for g, _ in differ if len(g) == 1 for s in g] or [s.resource for s in differ[0][0]]
    alt = differ[0][1]
    new = {a.resource for a in base.evidence}
    theirs = tuple(e for _, a in differ for e in a.evidence if e.resource not in new
                   and e.resource is not None and e.resource.split("#")[0] in named)
    evidence = base.evidence + tuple(dict.fromkeys(theirs)) + tuple(
        Evidence(r) for r in named if not any(e.resource and e.resource.split("#")[0] == r for e in theirs))
    shown = ", ".join(named[:5]) + (f" and {len(named) - 5} more" if len(named) > 5 else "")
    word = {MET: "met", NOT_MET: "not met", UNKNOWN: "unknown"}
    reason = (f"{base.reason.rstrip('.')}; but {shown} {SET_ASIDE_PHRASE} would make it {word[alt.result]} "
              "were it this patient's record; a person must check whose it is.")
    return attrs.evolve(base, result=UNKNOWN, reason=reason, evidence=evidence, criteria=children)


def window_from(days: int | None = None, weeks: int | None = None) -> Window:
    """A convenience for functions: ``Window(days=...)``."""
    return Window(days=days, weeks=weeks)


__all__ = ["CompiledTrial", "verdict_of"]
