"""
The 3+3 dose-escalation rule, as R ``escalation::three_plus_three()``.

Anchor: brockk/escalation ``R/three_plus_three.R`` (Storer 1989; Korn et al.
1994 for the de-escalation variant). Outcome strings use the package's
notation: ``"1NNN 2NNT"`` is a cohort of three at dose 1 without toxicity,
then three at dose 2 of whom the last had a dose-limiting toxicity (T).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import attrs

__all__ = [
    "Decision",
    "DoseCounts",
    "highest_dose_at_most_one_of_six",
    "mtd",
    "parse_outcomes",
    "three_plus_three",
]

_COHORT = re.compile(r"^(\d+)([NT]+)$")


@attrs.frozen
class DoseCounts:
    """Patients and DLTs per dose level (index 0 is dose level 1)."""

    n: tuple[int, ...]
    tox: tuple[int, ...]


@attrs.frozen
class Decision:
    """
    A 3+3 recommendation.

    Attributes:
        recommended_dose: 1-based dose level, or None when no dose is acceptable.
        continue_trial: Whether the design would enrol more patients.
    """

    recommended_dose: int | None
    continue_trial: bool


def parse_outcomes(outcomes: str) -> list[tuple[int, bool]]:
    """
    Parse an outcome string into (dose level, had DLT) per patient, in order.

    Args:
        outcomes: e.g. ``"1NNN 2NNT"``; the empty string means no patients yet.

    Returns:
        One (dose, toxicity) tuple per patient.

    Raises:
        ValueError: On a malformed cohort.
    """
    patients: list[tuple[int, bool]] = []
    for cohort in outcomes.split():
        match = _COHORT.match(cohort.upper())
        if match is None:
            raise ValueError(f"cannot parse cohort {cohort!r}: expected e.g. '2NNT'")
        dose = int(match.group(1))
        if dose < 1:
            raise ValueError(f"dose levels start at 1, got {cohort!r}")
        patients.extend((dose, ch == "T") for ch in match.group(2))
    return patients


def _counts(patients: Sequence[tuple[int, bool]], num_doses: int) -> DoseCounts:
    n = [0] * num_doses
    tox = [0] * num_doses
    for dose, had_tox in patients:
        if dose > num_doses:
            raise ValueError(f"dose {dose} is above num_doses={num_doses}")
        n[dose - 1] += 1
        tox[dose - 1] += int(had_tox)
    return DoseCounts(tuple(n), tuple(tox))


def three_plus_three(
    outcomes: str | Sequence[tuple[int, bool]],
    num_doses: int,
    allow_deescalate: bool = False,
) -> Decision:
    """
    Recommend the next dose under the 3+3 design.

    The decision looks only at the dose given most recently (escalation's
    behaviour): with fewer than 3, or 4–5, patients there it keeps enrolling at
    that dose, whatever the DLT count, so "1NNN 2NNT 2TT" continues at dose 2.

    Args:
        outcomes: Outcome string (``"1NNN 2NNT"``) or parsed patient tuples.
        num_doses: Number of dose levels.
        allow_deescalate: Korn's variant: after too many DLTs go down to the
            highest lower dose that can still take patients, and stop only
            when that dose already has six.

    Returns:
        The :class:`Decision`.
    """
    patients = parse_outcomes(outcomes) if isinstance(outcomes, str) else list(outcomes)
    counts = _counts(patients, num_doses)
    if not patients:
        return Decision(1, True)
    dose = patients[-1][0]
    n = counts.n[dose - 1]
    tox = counts.tox[dose - 1]
    if n == 3:
        if tox == 0:
            return _escalate(dose, counts, num_doses)
        if tox == 1:
            return Decision(dose, True)
        return _too_toxic(dose, counts, allow_deescalate)
    if n >= 6:
        if tox <= 1:
            return _escalate(dose, counts, num_doses)
        return _too_toxic(dose, counts, allow_deescalate)
    return Decision(dose, True)


def _escalate(dose: int, counts: DoseCounts, num_doses: int) -> Decision:
    if dose == num_doses:
        return Decision(dose, False)
    # escalation stops rather than revisiting a dose already fully explored
    # (six patients) or already shown too toxic (two DLTs).
    if counts.n[dose] >= 6 or counts.tox[dose] >= 2:
        return Decision(dose, False)
    return Decision(dose + 1, True)


def _too_toxic(dose: int, counts: DoseCounts, allow_deescalate: bool) -> Decision:
    if not allow_deescalate:
        return Decision(dose - 1 if dose > 1 else None, False)
    lower = dose - 1
    while lower >= 1:
        n, tox = counts.n[lower - 1], counts.tox[lower - 1]
        if n >= 6:
            if tox <= 1:
                return Decision(lower, False)
            lower -= 1
            continue
        return Decision(lower, True)
    return Decision(None, False)


def mtd(
    outcomes: str | Sequence[tuple[int, bool]],
    num_doses: int,
    min_patients: int = 6,
) -> int | None:
    """
    Maximum tolerated dose from the cohorts so far.

    The Korn definition: the highest dose with at least ``min_patients``
    patients and at most one DLT among them. With ``min_patients=3`` it also
    accepts 0/3 (the classic table, where an MTD can rest on three patients).

    Args:
        outcomes: Outcome string or parsed tuples.
        num_doses: Number of dose levels.
        min_patients: Minimum number treated at the dose (6 per Korn).

    Returns:
        1-based dose level, or None.
    """
    patients = parse_outcomes(outcomes) if isinstance(outcomes, str) else list(outcomes)
    counts = _counts(patients, num_doses)
    best: int | None = None
    for level in range(1, num_doses + 1):
        n, tox = counts.n[level - 1], counts.tox[level - 1]
        if n >= min_patients and (tox <= 1 if n >= 6 else tox == 0):
            best = level
    return best


def highest_dose_at_most_one_of_six(
    outcomes: str | Sequence[tuple[int, bool]], num_doses: int
) -> int | None:
    """
    Recommended dose as "the highest dose level at which ≤ 1 of 6 had a DLT".

    Args:
        outcomes: Outcome string or parsed tuples.
        num_doses: Number of dose levels.

    Returns:
        1-based dose level, or None.
    """
    return mtd(outcomes, num_doses, min_patients=6)
