"""
Three-valued (Kleene) logic over met / not_met / unknown, with the evidence
that decided each result.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from trialrules.language.models import MET, NOT_MET, UNKNOWN, Evidence, Result


class Outcome(NamedTuple):
    """A rule's result, the sentences that explain it and the data it rests on.

    A named tuple rather than an attrs class: every rule node of every patient makes one,
    and a tuple is built in a third of the time of a frozen attrs instance (issue 19)."""

    result: Result
    reasons: tuple[str, ...] = ()
    evidence: tuple[Evidence, ...] = ()


def _merge(parts: Sequence[Outcome]) -> tuple[tuple[str, ...], tuple[Evidence, ...]]:
    """The parts' reasons and evidence, each once, in first-seen order (linear: a dict
    keeps the order; evidence that cannot be hashed falls back to comparing)."""
    if len(parts) == 1:
        return tuple(dict.fromkeys(parts[0].reasons)), unique(parts[0].evidence)
    reasons: list[str] = []
    evidence: list[Evidence] = []
    for p in parts:
        reasons.extend(p.reasons)
        evidence.extend(p.evidence)
    return tuple(dict.fromkeys(reasons)), unique(tuple(evidence))


def unique(evidence: tuple[Evidence, ...]) -> tuple[Evidence, ...]:
    """Each piece of evidence once, in first-seen order."""
    if len(evidence) < 2:
        return evidence
    try:
        return tuple(dict.fromkeys(evidence))
    except TypeError:  # a value that cannot be hashed
        kept: list[Evidence] = []
        for e in evidence:
            if e not in kept:
                kept.append(e)
        return tuple(kept)


def _deciding(parts: Sequence[Outcome], first: Result, second: Result, otherwise: Result) -> Outcome:
    """The result of the first of ``first``, ``second`` that some part has (else
    ``otherwise``), explained by the parts that have it (else by all)."""
    results = [p.result for p in parts]
    if first in results:
        value = first
    elif second in results:
        value = second
    else:
        return Outcome(otherwise, *_merge(parts))
    return Outcome(value, *_merge([p for p in parts if p.result == value]))


def all_of(parts: Sequence[Outcome]) -> Outcome:
    """Kleene AND: not_met wins, then unknown; the deciding parts explain it."""
    return _deciding(parts, NOT_MET, UNKNOWN, MET)


def any_of(parts: Sequence[Outcome]) -> Outcome:
    """Kleene OR: met wins, then unknown."""
    return _deciding(parts, MET, UNKNOWN, NOT_MET)


def negate(part: Outcome) -> Outcome:
    """Kleene NOT: swaps met and not_met, keeps unknown."""
    flipped = {MET: NOT_MET, NOT_MET: MET, UNKNOWN: UNKNOWN}[part.result]
    return Outcome(flipped, part.reasons, part.evidence)


def at_least(n: int, parts: Sequence[Outcome]) -> Outcome:
    """Met when at least n parts are met; not_met when even the unknowns can't reach n."""
    met = [p for p in parts if p.result == MET]
    unknown = [p for p in parts if p.result == UNKNOWN]
    if len(met) >= n:
        return Outcome(MET, *_merge(met))
    if len(met) + len(unknown) < n:
        return Outcome(NOT_MET, *_merge(parts))
    return Outcome(UNKNOWN, *_merge(unknown + met))
