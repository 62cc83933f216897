"""
Confidence intervals for a proportion (response rates, incidences).

The exact Clopper–Pearson interval is what R ``binom.test`` reports and what
CONTRACT §7 asks for ORR/DCR. Wilson (score, no continuity correction) is what
R ``prop.test(correct=FALSE)`` reports. Only the standard library is used: the
beta quantile is found by bisection on our own regularized incomplete beta.
"""

from __future__ import annotations

import math
from typing import Literal

__all__ = [
    "Z_975",
    "beta_inc",
    "beta_ppf",
    "clopper_pearson",
    "proportion_ci",
    "wilson",
]

#: Standard normal 97.5% quantile (qnorm(0.975) in R).
Z_975 = 1.959963984540054

_EPS = 1e-16
_TINY = 1e-300


def _beta_cf(a: float, b: float, x: float) -> float:
    """
    Evaluate the continued fraction of the incomplete beta function.

    Modified Lentz's method on the classical continued fraction
    (Abramowitz & Stegun 26.5.8); it converges fast for x < (a+1)/(a+b+2).
    """
    qab = a + b
    qap = a + 1.0
    qam = a - 1.0
    c = 1.0
    d = 1.0 - qab * x / qap
    if abs(d) < _TINY:
        d = _TINY
    d = 1.0 / d
    h = d
    for m in range(1, 1000):
        m2 = 2 * m
        aa = m * (b - m) * x / ((qam + m2) * (a + m2))
        d = 1.0 + aa * d
        d = _TINY if abs(d) < _TINY else d
        c = 1.0 + aa / c
        c = _TINY if abs(c) < _TINY else c
        d = 1.0 / d
        h *= d * c
        aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))
        d = 1.0 + aa * d
        d = _TINY if abs(d) < _TINY else d
        c = 1.0 + aa / c
        c = _TINY if abs(c) < _TINY else c
        d = 1.0 / d
        delta = d * c
        h *= delta
        if abs(delta - 1.0) < _EPS:
            break
    return h


def beta_inc(a: float, b: float, x: float) -> float:
    """
    Regularized incomplete beta function I_x(a, b) (R ``pbeta(x, a, b)``).

    Args:
        a: First shape parameter, > 0.
        b: Second shape parameter, > 0.
        x: Point in [0, 1].

    Returns:
        The cumulative probability of Beta(a, b) at x.
    """
    if x <= 0.0:
        return 0.0
    if x >= 1.0:
        return 1.0
    log_front = (
        math.lgamma(a + b)
        - math.lgamma(a)
        - math.lgamma(b)
        + a * math.log(x)
        + b * math.log1p(-x)
    )
    front = math.exp(log_front)
    # Use the symmetry I_x(a,b) = 1 - I_{1-x}(b,a) where the fraction converges.
    if x < (a + 1.0) / (a + b + 2.0):
        return front * _beta_cf(a, b, x) / a
    return 1.0 - front * _beta_cf(b, a, 1.0 - x) / b


def beta_ppf(q: float, a: float, b: float) -> float:
    """
    Quantile of the Beta(a, b) distribution (R ``qbeta(q, a, b)``).

    Bisection to machine precision: I_x is monotone in x, so this is slow but
    cannot fail, and it is only called a handful of times per report.

    Args:
        q: Probability in [0, 1].
        a: First shape parameter, > 0.
        b: Second shape parameter, > 0.

    Returns:
        x with I_x(a, b) = q.
    """
    if q <= 0.0:
        return 0.0
    if q >= 1.0:
        return 1.0
    lo, hi = 0.0, 1.0
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        if mid in (lo, hi):
            break
        if beta_inc(a, b, mid) < q:
            lo = mid
        else:
            hi = mid
    return 0.5 * (lo + hi)


def clopper_pearson(x: int, n: int, conf_level: float = 0.95) -> tuple[float, float]:
    """
    Exact Clopper–Pearson interval, as R ``binom.test(x, n)$conf.int``.

    Args:
        x: Number of successes.
        n: Number of trials (> 0).
        conf_level: Two-sided confidence level.

    Returns:
        (lower, upper). Lower is 0 when x = 0 and upper is 1 when x = n.

    Raises:
        ValueError: If n <= 0 or x is outside [0, n].
    """
    _check(x, n)
    alpha = 1.0 - conf_level
    lower = 0.0 if x == 0 else beta_ppf(alpha / 2.0, x, n - x + 1)
    upper = 1.0 if x == n else beta_ppf(1.0 - alpha / 2.0, x + 1, n - x)
    return lower, upper


def wilson(x: int, n: int, conf_level: float = 0.95) -> tuple[float, float]:
    """
    Wilson score interval without continuity correction.

    Same as R ``prop.test(x, n, correct=FALSE)$conf.int``.

    Args:
        x: Number of successes.
        n: Number of trials (> 0).
        conf_level: Two-sided confidence level.

    Returns:
        (lower, upper), clipped to [0, 1].
    """
    _check(x, n)
    z = Z_975 if conf_level == 0.95 else _norm_ppf(1.0 - (1.0 - conf_level) / 2.0)
    p = x / n
    z2 = z * z
    centre = p + z2 / (2 * n)
    half = z * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n))
    denom = 1 + z2 / n
    return max(0.0, (centre - half) / denom), min(1.0, (centre + half) / denom)


def proportion_ci(
    x: int,
    n: int,
    method: Literal["clopper-pearson", "wilson"] = "clopper-pearson",
    conf_level: float = 0.95,
) -> tuple[float, float]:
    """
    Dispatch to :func:`clopper_pearson` (default) or :func:`wilson`.

    Args:
        x: Number of successes.
        n: Number of trials.
        method: ``"clopper-pearson"`` or ``"wilson"``.
        conf_level: Two-sided confidence level.

    Returns:
        (lower, upper).
    """
    if method == "wilson":
        return wilson(x, n, conf_level)
    if method == "clopper-pearson":
        return clopper_pearson(x, n, conf_level)
    raise ValueError(f"unknown CI method {method!r}; use 'clopper-pearson' or 'wilson'")


def _check(x: int, n: int) -> None:
    if n <= 0:
        raise ValueError(f"n must be positive, got {n}")
    if not 0 <= x <= n:
        raise ValueError(f"x must be within [0, {n}], got {x}")


def _norm_ppf(p: float) -> float:
    """Normal quantile by bisection on erfc (only used for non-95% levels)."""
    lo, hi = -40.0, 40.0
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        if 0.5 * math.erfc(-mid / math.sqrt(2.0)) < p:
            lo = mid
        else:
            hi = mid
    return 0.5 * (lo + hi)


def norm_ppf(p: float) -> float:
    """
    Standard normal quantile.

    Args:
        p: Probability in (0, 1).

    Returns:
        z with Φ(z) = p; exactly :data:`Z_975` for p = 0.975.
    """
    if p == 0.975:
        return Z_975
    return _norm_ppf(p)
