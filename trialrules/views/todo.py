"""
What a screening result asks of people: the criteria that exclude a patient,
and the to-do list of an undecided screening split into data to obtain and
decisions only a person can make.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any, Literal

import attrs
from attrs import frozen

from trialrules.engine.patient import window_start
from trialrules.language.models import (
    MET,
    SET_ASIDE_PHRASE,
    UNKNOWN,
    AllOf,
    AnyOf,
    AtLeast,
    Attestation,
    Criterion,
    CriterionResult,
    Derived,
    If,
    Measurement,
    Not,
    RecordSearch,
    Rule,
    ValueSet,
    Window,
)

if TYPE_CHECKING:  # annotations only: results.py calls the views, not the other way round
    from trialrules.results import ScreeningResult

Mark = Literal["favourable", "unfavourable", "unknown"]

_LOINC = ("loinc", "http://loinc.org")
_PERSON_PHRASE = "awaits a person's attestation"


def mark(criterion: CriterionResult) -> Mark:
    """Whether a criterion's result counts for the patient or against.

    An exclusion that is ``met`` applies to the patient (unfavourable); an
    inclusion that is ``met`` is favourable.
    """
    if criterion.result == UNKNOWN:
        return "unknown"
    applies = criterion.result == MET
    if criterion.kind == "exclusion":
        applies = not applies
    return "favourable" if applies else "unfavourable"


def set_aside_sentence(result: ScreeningResult) -> str | None:
    """``2 records were set aside: ...`` when the input held records not read as the patient's."""
    n = len(result.set_aside)
    if not n:
        return None
    were = "record was" if n == 1 else "records were"
    return (f"{n} {were} set aside: the subject does not resolve to this patient, and a criterion such a "
            "record would decide otherwise is unknown. " + "; ".join(f"{s.resource}: {s.reason}" for s in result.set_aside))


def blocking(result: ScreeningResult) -> list[CriterionResult]:
    """The deepest unfavourable criteria under each unfavourable top-level criterion."""
    out: list[CriterionResult] = []
    for top in result.criteria:
        if mark(top) == "unfavourable":
            out.extend(_deepest(top, "unfavourable"))
    return out


def _deepest(criterion: CriterionResult, wanted: Mark) -> list[CriterionResult]:
    children = [c for c in criterion.criteria if mark(c) == wanted]
    if not children:
        return [criterion]
    out: list[CriterionResult] = []
    for child in children:
        out.extend(_deepest(child, wanted))
    return out


def unknown_leaves(result: ScreeningResult) -> list[CriterionResult]:
    """The deepest unknown criteria: what has to be resolved for a verdict."""
    out: list[CriterionResult] = []
    for top in result.criteria:
        if top.result == UNKNOWN:
            out.extend(_deepest(top, "unknown"))
    return out


@frozen
class TodoItem:
    """One thing to do before a screening can be decided.

    Attributes:
        kind: ``data`` (a test or record to obtain) or ``person`` (an attestation).
        what: the test, record or decision, e.g. ``absolute neutrophil count (LOINC 751-8)``.
        window: for data, when it must be dated, e.g. ``dated 2026-01-01 to 2026-01-15
            (within 14 days up to the as-of date)``; None for an open window or a person.
        criteria: the ids of the unknown criteria it resolves.
        texts: the protocol's words of those criteria, in the same order.
        reason: why the criterion is unknown (the engine's sentence) for the first of them.
        why: the part of that reason about this test or record (``no usable ANC result in
            the 14 days up to ...``, ``... has no reference range upper limit``).

    .. versionadded:: 0.2
    """

    kind: Literal["data", "person"]
    what: str
    window: str | None
    criteria: tuple[str, ...]
    texts: tuple[str, ...]
    reason: str
    why: str = ""


def todo(result: ScreeningResult) -> dict[str, list[TodoItem]]:
    """The to-do list of a result: ``{"data": [...], "person": [...]}`` (see :class:`TodoItem`)."""
    compiled = result.definition
    definitions: dict[str, Criterion] = {}
    valuesets: Mapping[str, ValueSet] = {}
    if compiled is not None:
        for top in compiled.trial.criteria:
            for c in top.walk():
                definitions[c.id] = c
        valuesets = compiled.valuesets
    functions: Mapping[str, Any] = getattr(compiled, "functions", {}) if compiled is not None else {}
    # One item per test: the narrowest window asked for (a dated window's text sorts by its start date).
    merged: dict[tuple[str, str], TodoItem] = {}
    for leaf in unknown_leaves(result):
        for kind, what, window, phrase in _needs(leaf, definitions.get(leaf.id), valuesets, functions, result.as_of):
            key = (kind, what)
            item = merged.get(key)
            if item is None:
                merged[key] = TodoItem(kind, what, window, (leaf.id,), (leaf.text,), leaf.reason, _why(leaf.reason, phrase))
                continue
            if window is not None and (item.window is None or window > item.window):
                item = attrs.evolve(item, window=window)
            if leaf.id not in item.criteria:
                item = attrs.evolve(item, criteria=(*item.criteria, leaf.id), texts=(*item.texts, leaf.text))
            merged[key] = item
    out: dict[str, list[TodoItem]] = {"data": [], "person": []}
    for item in merged.values():
        out[item.kind].append(item)
    return out


def _needs(
    leaf: CriterionResult,
    definition: Criterion | None,
    valuesets: Mapping[str, ValueSet],
    functions: Mapping[str, Any],
    as_of: dt.date,
) -> list[tuple[Literal["data", "person"], str, str | None, str]]:
    """What resolves one unknown leaf: the rule nodes its reason names (with the phrase that names them)."""
    reason = leaf.reason.casefold()
    needs: list[tuple[Literal["data", "person"], str, str | None, str]] = []
    nodes = list(_leaves(definition.rule)) if definition is not None and definition.rule is not None else []
    for node in nodes:
        if isinstance(node, Attestation):
            key = node.id or leaf.id
            if f"({key.casefold()})" in reason:
                needs.append(("person", f"attestation {key}", None, f"({key})"))
        elif isinstance(node, Measurement):
            vs = valuesets.get(node.concept)
            title = (vs.title if vs is not None and vs.title else node.concept.replace("_", " "))
            if title.casefold() in reason:
                needs.append(("data", _test_name(title, vs), _window_text(node.window, as_of), title))
        elif isinstance(node, RecordSearch):
            titles = [(valuesets[n].title if n in valuesets and valuesets[n].title else n.replace("_", " ")) for n in node.valuesets]
            label = " or ".join(t for t in titles if t)
            if label.casefold() in reason or (node.if_absent == UNKNOWN and "cannot be placed in time" in reason):
                needs.append(("data", f"{node.record} history: {label}", _window_text(node.window, as_of), label))
        elif isinstance(node, Derived):
            spec = functions.get(node.function)
            label = getattr(spec, "description", None) or node.function.replace("_", " ")
            if node.function.replace("_", " ").casefold() in reason or label.casefold() in reason:
                needs.append(("data", f"{label}, or the values it is computed from", None, label))
    if SET_ASIDE_PHRASE.casefold() in reason:
        needs.append(("person", "check whose the set-aside record is", None, SET_ASIDE_PHRASE))
    if not needs:
        if _PERSON_PHRASE in reason or (definition is not None and definition.decided_by == "person"):
            needs.append(("person", f"attestation {leaf.id}", None, f"({leaf.id})"))
        else:
            needs.append(("data", _first_sentence(leaf.reason), None, ""))
    return needs


def _why(reason: str, phrase: str) -> str:
    """The clauses of a reason that mention a phrase (the whole reason when none does)."""
    clauses = [c.strip() for c in reason.rstrip(".").split("; ")]
    hits = [c for c in clauses if phrase and phrase.casefold() in c.casefold()]
    text = "; ".join(hits) if hits else reason.rstrip(".")
    return text[:1].upper() + text[1:]


def _leaves(rule: Rule) -> Iterator[Rule]:
    if isinstance(rule, (AllOf, AnyOf)):
        for part in rule.parts:
            yield from _leaves(part)
    elif isinstance(rule, AtLeast):
        for part in rule.of:
            yield from _leaves(part)
    elif isinstance(rule, Not):
        yield from _leaves(rule.part)
    elif isinstance(rule, If):
        yield from _leaves(rule.condition)
        yield from _leaves(rule.then)
        yield from _leaves(rule.else_)
    else:
        yield rule


def _test_name(title: str, vs: ValueSet | None) -> str:
    if vs is None:
        return title
    loinc = [c.code for c in vs.codes if c.system in _LOINC]
    return f"{title} (LOINC {', '.join(loinc[:3])})" if loinc else title


def _window_text(window: Window | None, as_of: dt.date) -> str | None:
    start = window_start(window, as_of)
    if window is None or start is None:
        return None
    for unit in ("days", "weeks", "months", "years"):
        n = getattr(window, unit)
        if n is not None:
            label = unit if n != 1 else unit[:-1]
            return f"dated {start.isoformat()} to {as_of.isoformat()} ({n} {label})"
    return None


def _first_sentence(text: str) -> str:
    return text.split("; ")[0].rstrip(".")


__all__ = ["Mark", "TodoItem", "blocking", "mark", "todo", "unknown_leaves"]
