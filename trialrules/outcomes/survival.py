"""
Kaplan–Meier estimation with Greenwood variance, pointwise CIs and medians.

Anchors: R ``survival`` (``survfit``, ``quantile.survfit``; therneau/survival)
and lifelines ``KaplanMeierFitter`` (``median_survival_times`` applied to
``confidence_interval_``). See notes/outcome-conventions.md §2.

- S(t) = Π (1 − d_i/n_i); censorings tied with events at t count as at risk.
- Greenwood σ²(t) = Σ d_i / (n_i (n_i − d_i)) is the variance of ln S.
- CI transforms as R ``conf.type``: ``"log-log"`` (our default, = lifelines,
  = SAS LIFETEST), ``"log"`` (R's default), ``"plain"``.
- Median and its CI: Brookmeyer–Crowley read-off as R and lifelines do it:
  the first time the estimate / lower band / upper band reaches ≤ 0.5.
  ``rule="r"`` applies R's midpoint rule on an exact 0.5 plateau (within
  √eps); ``rule="lifelines"`` takes the first time, exact comparison.
- ``rule="r-exact"`` reproduces R survival 3.5 ``quantile.survfit`` step by
  step, also where a band is not monotone (R's default ``conf.type="log"``
  upper band, S·exp(zσ) clipped at 1, can rise again): R removes repeated
  values, then reads the curve with ``approx(1 − curve ± tol, index, 0.5,
  method="constant", f=1)``; ``approx`` sorts by value, so R takes the point
  whose 1 − curve is the smallest value ≥ 0.5 — the highest band value ≤ 0.5,
  wherever it lies in time — not the first crossing. The textbook
  (Brookmeyer–Crowley) limit is the first time the band reaches 0.5, which is
  ``"r"``; the two differ only for a non-monotone band.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Literal

import attrs

from trialrules.outcomes.binomial import norm_ppf

__all__ = [
    "KMFit",
    "MedianCI",
    "kaplan_meier",
    "median_ci",
    "numbers_at_risk",
    "survival_at",
]

ConfType = Literal["log-log", "log", "plain"]
MedianRule = Literal["r", "r-exact", "lifelines"]

_R_TOL = math.sqrt(2.220446049250313e-16)  # sqrt(.Machine$double.eps)


@attrs.frozen
class KMFit:
    """
    A fitted Kaplan–Meier curve, one row per distinct observed time.

    Attributes:
        time: Distinct observed times (events and censorings), ascending.
        n_risk: Number at risk just before each time.
        n_event: Events at each time.
        n_censor: Censorings at each time.
        surv: S(t) just after each time.
        std_log: Greenwood standard error of ln S(t) (inf when S = 0).
        lower: Lower pointwise band (None where undefined).
        upper: Upper pointwise band (None where undefined).
        conf_type: Transform used for the bands.
        conf_level: Two-sided level of the bands.
    """

    time: tuple[float, ...]
    n_risk: tuple[int, ...]
    n_event: tuple[int, ...]
    n_censor: tuple[int, ...]
    surv: tuple[float, ...]
    std_log: tuple[float, ...]
    lower: tuple[float | None, ...]
    upper: tuple[float | None, ...]
    conf_type: str
    conf_level: float

    @property
    def n(self) -> int:
        """Number of subjects."""
        return self.n_risk[0] if self.n_risk else 0

    @property
    def events(self) -> int:
        """Total number of events."""
        return sum(self.n_event)


@attrs.frozen
class MedianCI:
    """Median survival time with its confidence limits (None = not reached)."""

    median: float | None
    lower: float | None
    upper: float | None


def kaplan_meier(
    times: Sequence[float],
    events: Sequence[bool | int],
    conf_type: ConfType = "log-log",
    conf_level: float = 0.95,
) -> KMFit:
    """
    Fit a Kaplan–Meier curve.

    Args:
        times: Follow-up time per subject.
        events: 1/True for an event, 0/False for censoring.
        conf_type: ``"log-log"`` (default), ``"log"`` or ``"plain"``.
        conf_level: Two-sided confidence level of the pointwise bands.

    Returns:
        The :class:`KMFit`.

    Raises:
        ValueError: If the lengths differ or conf_type is unknown.
    """
    if len(times) != len(events):
        raise ValueError("times and events must have the same length")
    if conf_type not in ("log-log", "log", "plain"):
        raise ValueError(f"unknown conf_type {conf_type!r}")
    z = norm_ppf(1.0 - (1.0 - conf_level) / 2.0)
    table: dict[float, list[int]] = {}
    for t, e in zip(times, events, strict=False):
        row = table.setdefault(float(t), [0, 0])
        row[0 if e else 1] += 1
    at_risk = len(times)
    s = 1.0
    var = 0.0
    out_t: list[float] = []
    out_n: list[int] = []
    out_d: list[int] = []
    out_c: list[int] = []
    out_s: list[float] = []
    out_se: list[float] = []
    out_lo: list[float | None] = []
    out_hi: list[float | None] = []
    for t in sorted(table):
        d, c = table[t]
        if d:
            s *= 1.0 - d / at_risk
            var = math.inf if d == at_risk else var + d / (at_risk * (at_risk - d))
        se = math.sqrt(var)
        lo, hi = _band(s, se, z, conf_type)
        out_t.append(t)
        out_n.append(at_risk)
        out_d.append(d)
        out_c.append(c)
        out_s.append(s)
        out_se.append(se)
        out_lo.append(lo)
        out_hi.append(hi)
        at_risk -= d + c
    return KMFit(
        tuple(out_t), tuple(out_n), tuple(out_d), tuple(out_c), tuple(out_s),
        tuple(out_se), tuple(out_lo), tuple(out_hi), conf_type, conf_level,
    )


def _band(s: float, se: float, z: float, conf_type: str) -> tuple[float | None, float | None]:
    """Pointwise limits as R ``survfit`` computes them for each conf.type."""
    if s >= 1.0 or se == 0.0:
        return s, s
    if s <= 0.0 or math.isinf(se):
        # R returns NA here; the curve has already dropped past 0.5 before.
        return None, None
    if conf_type == "log-log":
        # exp(-exp(log(-log S) ± z σ / log S))
        shift = z * se / math.log(s)
        a = math.exp(-math.exp(math.log(-math.log(s)) - shift))
        b = math.exp(-math.exp(math.log(-math.log(s)) + shift))
        return min(a, b), max(a, b)
    if conf_type == "log":
        return s * math.exp(-z * se), min(1.0, s * math.exp(z * se))
    return max(0.0, s - z * s * se), min(1.0, s + z * s * se)


def _first_at_or_below_r(
    times: Sequence[float], values: Sequence[float | None], p: float, tol: float
) -> float | None:
    """
    R ``quantile.survfit``'s read-off of the time where a curve crosses p.

    The curve starts at (0, 1). Repeated values (censorings) keep their
    first time. If the curve sits at p (within tol) on a flat, the answer is
    the midpoint of that flat, running to the last time if the curve ends
    there; if the curve never reaches p the answer is None (R's NA).
    """
    pts = [(0.0, 1.0)] + [(t, v) for t, v in zip(times, values, strict=False) if v is not None]
    xmax = times[-1] if times else 0.0
    seen: set[float] = set()
    xs: list[float] = []
    ys: list[float] = []
    for t, v in pts:
        if v in seen:
            continue
        seen.add(v)
        xs.append(t)
        ys.append(v)
    if min(ys) > p + tol:
        return None
    i1 = next(i for i, v in enumerate(ys) if v <= p + tol)
    i2 = next((i for i, v in enumerate(ys) if v <= p - tol), None)
    if i2 is not None:
        return (xs[i1] + xs[i2]) / 2.0
    if abs(ys[-1] - p) < tol:
        return (xs[i1] + xmax) / 2.0
    return None


def _first_at_or_below_exact(
    times: Sequence[float], values: Sequence[float | None], p: float
) -> float | None:
    """lifelines ``qth_survival_time``: first time with value ≤ p (exact)."""
    for t, v in zip(times, values, strict=False):
        if v is not None and v <= p:
            return t
    return None


def _r_findq(times: Sequence[float], curve: Sequence[float | None], p: float, tol: float) -> float | None:
    """
    R survival 3.5 ``quantile.survfit``'s ``findq`` on ``c(0, 1 − curve)``.

    Steps as R: NA if the curve never reaches p; drop repeated values (R
    ``duplicated``, NA included); index1/index2 = ``approx(y ± tol, 1:n, p,
    method="constant", f=1)`` (rule 1: NA outside the range; ``approx``
    drops NA pairs and sorts by y, returning the index of the smallest knot
    ≥ p); quantile = mean of the two times; on a flat at p at the curve's end,
    the mean of the first time and the last time of the whole curve.
    """
    xs = [0.0, *times]
    ys: list[float | None] = [0.0, *[None if v is None else 1.0 - v for v in curve]]
    present = [y for y in ys if y is not None]
    if not present or max(present) < p:
        return None
    xmax = xs[-1]
    seen: set[float] = set()
    seen_na = False
    dx: list[float] = []
    dy: list[float | None] = []
    for x, y in zip(xs, ys, strict=True):
        if y is None:
            if seen_na:
                continue
            seen_na = True
        elif y in seen:
            continue
        else:
            seen.add(y)
        dx.append(x)
        dy.append(y)

    def right_index(shift: float) -> int | None:
        knots = sorted((y + shift, i) for i, y in enumerate(dy) if y is not None)
        if not knots or p < knots[0][0] or p > knots[-1][0]:
            return None
        return next(i for k, i in knots if k >= p)

    i1, i2 = right_index(tol), right_index(-tol)
    quant = (dx[i1] + dx[i2]) / 2.0 if i1 is not None and i2 is not None else None
    last = dy[-1]
    if last is not None and abs(p - last) < tol:
        quant = (dx[i1] + xmax) / 2.0 if i1 is not None else None
    return quant


def median_ci(fit: KMFit, rule: MedianRule = "r", p: float = 0.5) -> MedianCI:
    """
    Median (or other quantile) survival time with its CI.

    The CI is where the lower band (→ lower limit) and the upper band (→ upper
    limit) first reach ≤ p, the Brookmeyer–Crowley construction used by both
    R survival and lifelines (Therneau, survival issue #175).

    Args:
        fit: A :class:`KMFit`; its bands carry the transform.
        rule: ``"r"`` (first crossing, midpoint on an exact plateau, √eps
            tolerance), ``"r-exact"`` (R ``quantile.survfit`` step by step,
            also for non-monotone bands) or ``"lifelines"`` (first time,
            exact comparison).
        p: Survival probability to read off (0.5 for the median).

    Returns:
        :class:`MedianCI`; any part not reached is None.
    """
    if not fit.time:
        return MedianCI(None, None, None)
    if rule == "r-exact":
        q = 1.0 - p
        return MedianCI(
            _r_findq(fit.time, fit.surv, q, _R_TOL),
            _r_findq(fit.time, fit.lower, q, _R_TOL),
            _r_findq(fit.time, fit.upper, q, _R_TOL),
        )
    if rule == "lifelines":
        return MedianCI(
            _first_at_or_below_exact(fit.time, fit.surv, p),
            _first_at_or_below_exact(fit.time, fit.lower, p),
            _first_at_or_below_exact(fit.time, fit.upper, p),
        )
    return MedianCI(
        _first_at_or_below_r(fit.time, fit.surv, p, _R_TOL),
        _first_at_or_below_r(fit.time, fit.lower, p, _R_TOL),
        _first_at_or_below_r(fit.time, fit.upper, p, _R_TOL),
    )


def survival_at(fit: KMFit, t: float) -> float:
    """
    S(t) of a fitted curve (right-continuous step function).

    Args:
        fit: The fit.
        t: Time.

    Returns:
        The survival probability at t.
    """
    s = 1.0
    for ti, si in zip(fit.time, fit.surv, strict=False):
        if ti > t:
            break
        s = si
    return s


def numbers_at_risk(fit: KMFit, at: Iterable[float]) -> list[int]:
    """
    Number at risk at given times (subjects with follow-up ≥ t).

    Same as R ``summary(fit, times=...)$n.risk``.

    Args:
        fit: The fit.
        at: Times to report.

    Returns:
        One count per requested time.
    """
    out = []
    for t in at:
        # the first row at or after t holds everyone still followed at t
        count = next((ni for ti, ni in zip(fit.time, fit.n_risk, strict=False) if ti >= t), 0)
        out.append(count)
    return out
