"""
The BOIN dose-escalation design (Bayesian optimal interval), as R ``BOIN``.

Anchors: Liu S, Yuan Y. "Bayesian optimal interval designs for phase I clinical
trials." J R Stat Soc C 2015;64:507–523, and Yuan Y, Hess KR, Hilsenbeck SG,
Gilbert MR. Clin Cancer Res 2016;22:4291–4301; R package BOIN
(``get.boundary``, ``select.mtd``; notes/outcome-conventions.md §4).

- Boundaries with φ1 = 0.6φ and φ2 = 1.4φ (the package defaults):
  λe = ln((1−φ1)/(1−φ)) / ln(φ(1−φ1)/(φ1(1−φ))),
  λd = ln((1−φ)/(1−φ2)) / ln(φ2(1−φ)/(φ(1−φ2))).
- With n patients and y DLTs at the current dose: escalate if y ≤ floor(λe·n),
  de-escalate if y ≥ ceil(λd·n) (capped at the elimination count), else stay.
- Elimination: with n ≥ 3, a dose (and every higher one) is eliminated when
  P(p > φ | y, n) > 0.95 under a Beta(1, 1) prior, i.e. 1 − I_φ(y+1, n−y+1);
  the trial stops when dose 1 is eliminated.
- MTD: among doses given and not eliminated, p̂ = (y+0.05)/(n+0.1), made
  monotone by weighted pool-adjacent-violators with weights 1/var, ties broken
  by adding 1e-10·index; the dose whose p̂ is closest to φ.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import attrs

from trialrules.outcomes.binomial import beta_inc

__all__ = ["BoinDecision", "BoundaryRow", "boundaries", "boundary_table", "decide", "eliminated", "select_mtd"]

#: R BOIN ``cutoff.eli``.
CUTOFF_ELI = 0.95


def boundaries(target: float, p_saf: float | None = None, p_tox: float | None = None) -> tuple[float, float]:
    """
    (λe, λd) for a target DLT rate.

    Args:
        target: Target DLT rate φ (0 < φ < 1).
        p_saf: φ1, highest rate deemed sub-therapeutic (default 0.6φ).
        p_tox: φ2, lowest rate deemed overly toxic (default 1.4φ).

    Raises:
        ValueError: Unless 0 < φ1 < φ < φ2 < 1.
    """
    phi1 = 0.6 * target if p_saf is None else p_saf
    phi2 = 1.4 * target if p_tox is None else p_tox
    if not 0 < phi1 < target < phi2 < 1:
        raise ValueError(f"BOIN needs 0 < p_saf < target < p_tox < 1, got {phi1}, {target}, {phi2}")
    lam_e = math.log((1 - phi1) / (1 - target)) / math.log(target * (1 - phi1) / (phi1 * (1 - target)))
    lam_d = math.log((1 - target) / (1 - phi2)) / math.log(phi2 * (1 - target) / (target * (1 - phi2)))
    return lam_e, lam_d


def _elimination_count(target: float, n: int, cutoff: float = CUTOFF_ELI) -> int | None:
    if n < 3:
        return None
    for y in range(1, n + 1):
        if 1.0 - beta_inc(y + 1, n - y + 1, target) > cutoff:
            return y
    return None


@attrs.frozen
class BoundaryRow:
    """One column of BOIN's boundary table: for ``n`` patients, the DLT counts deciding."""

    n: int
    escalate_at_most: int
    deescalate_at_least: int
    eliminate_at_least: int | None

    def as_dict(self) -> dict[str, int | None]:
        """JSON form."""
        return {"n": self.n, "escalate_if_dlt_at_most": self.escalate_at_most,
                "deescalate_if_dlt_at_least": self.deescalate_at_least,
                "eliminate_if_dlt_at_least": self.eliminate_at_least}


def boundary_table(target: float, max_n: int, cohort_size: int = 1) -> list[BoundaryRow]:
    """
    The decision table (R ``get.boundary``) for 1..max_n patients, every ``cohort_size``-th row.

    Args:
        target: Target DLT rate.
        max_n: Largest number of patients at one dose.
        cohort_size: Report rows for n = cohort_size, 2·cohort_size, ...
    """
    lam_e, lam_d = boundaries(target)
    rows = []
    for n in range(cohort_size, max_n + 1, cohort_size):
        elim = _elimination_count(target, n)
        down = math.ceil(lam_d * n)
        if elim is not None:
            down = min(down, elim)
        rows.append(BoundaryRow(n, math.floor(lam_e * n), down, elim))
    return rows


def eliminated(target: float, n: Sequence[int], y: Sequence[int], cutoff: float = CUTOFF_ELI) -> int | None:
    """1-based lowest eliminated dose (it and every higher one are out), or None."""
    for i, (ni, yi) in enumerate(zip(n, y, strict=True)):
        if ni >= 3 and 1.0 - beta_inc(yi + 1, ni - yi + 1, target) > cutoff:
            return i + 1
    return None


@attrs.frozen
class BoinDecision:
    """
    The next step after the patients so far.

    Attributes:
        decision: "escalate", "stay", "de-escalate" or "stop".
        next_dose: 1-based dose for the next cohort (None when the trial stops).
        eliminated_from: Lowest eliminated dose, if any.
        reason: The comparison made, in words.
    """

    decision: str
    next_dose: int | None
    eliminated_from: int | None
    reason: str


def decide(target: float, n: Sequence[int], y: Sequence[int], current: int, n_earlystop: int = 100) -> BoinDecision:
    """
    BOIN's decision at the current dose.

    Args:
        target: Target DLT rate.
        n: Patients per dose level (index 0 = dose 1).
        y: DLTs per dose level.
        current: 1-based dose of the last cohort.
        n_earlystop: Stop when this many patients have had the current dose (R default 100).
    """
    lam_e, lam_d = boundaries(target)
    elim = eliminated(target, n, y)
    ni, yi = n[current - 1], y[current - 1]
    top = len(n) if elim is None else elim - 1
    if elim is not None and elim <= current:
        if elim == 1:
            return BoinDecision("stop", None, elim, "dose 1 eliminated: P(DLT rate > target) > 0.95")
        return BoinDecision("de-escalate", elim - 1, elim, f"dose {elim} and above eliminated")
    if ni >= n_earlystop:
        return BoinDecision("stop", current, elim, f"{ni} patients at the current dose (n.earlystop {n_earlystop})")
    if ni and yi <= math.floor(lam_e * ni):
        if current < top:
            return BoinDecision("escalate", current + 1, elim, f"{yi}/{ni} ≤ λe = {lam_e:.3f}")
        return BoinDecision("stay", current, elim, f"{yi}/{ni} ≤ λe = {lam_e:.3f}, but no higher dose is open")
    if ni and yi >= math.ceil(lam_d * ni):
        if current > 1:
            return BoinDecision("de-escalate", current - 1, elim, f"{yi}/{ni} ≥ λd = {lam_d:.3f}")
        return BoinDecision("stay", current, elim, f"{yi}/{ni} ≥ λd = {lam_d:.3f} at the lowest dose")
    return BoinDecision("stay", current, elim, f"λe = {lam_e:.3f} < {yi}/{ni} < λd = {lam_d:.3f}")


def _pava(values: list[float], weights: list[float]) -> list[float]:
    """Weighted pool-adjacent-violators: the non-decreasing fit."""
    blocks: list[list[float]] = []  # [value, weight, count]
    for v, w in zip(values, weights, strict=True):
        blocks.append([v, w, 1])
        while len(blocks) > 1 and blocks[-2][0] > blocks[-1][0]:
            v2, w2, c2 = blocks.pop()
            v1, w1, c1 = blocks.pop()
            blocks.append([(v1 * w1 + v2 * w2) / (w1 + w2), w1 + w2, c1 + c2])
    out: list[float] = []
    for v, _w, c in blocks:
        out.extend([v] * int(c))
    return out


def select_mtd(target: float, n: Sequence[int], y: Sequence[int]) -> int | None:
    """
    The MTD after the trial (R ``BOIN::select.mtd``), 1-based, or None.

    Args:
        target: Target DLT rate.
        n: Patients per dose level.
        y: DLTs per dose level.
    """
    elim = eliminated(target, n, y)
    usable = [i for i in range(len(n)) if n[i] > 0 and (elim is None or i + 1 < elim)]
    if elim == 1 or not usable:
        return None
    phat = [(y[i] + 0.05) / (n[i] + 0.1) for i in usable]
    var = [(y[i] + 0.05) * (n[i] - y[i] + 0.05) / ((n[i] + 0.1) ** 2 * (n[i] + 0.1 + 1)) for i in usable]
    iso = _pava(phat, [1.0 / v for v in var])
    iso = [p + (k + 1) * 1e-10 for k, p in enumerate(iso)]
    best = min(range(len(iso)), key=lambda k: (abs(iso[k] - target), k))
    return usable[best] + 1
