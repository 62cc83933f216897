"""
Non-compartmental PK analysis (NCA) of one concentration–time profile.

Anchors: R PKNCA (humanpred/pknca: ``R/half.life.R``, ``R/auc_integrate.R``,
``R/cleaners.R``, ``R/PKNCA.options.R``) and the Phoenix WinNonlin NCA
computation rules; notes/outcome-conventions.md §1.

Conventions (stated in every result so a report can print them):

- BLQ values are coded as 0 and handled as PKNCA's default
  ``conc.blq = list(first="keep", middle="drop", last="keep")``; NA values are
  dropped. A non-zero value at dose time is kept as is (as WinNonlin did for
  Theoph).
- Samples before the dose (negative times) are not part of the profile
  (AUC0-t starts at the dose; PKNCA intervals start at 0); they are counted.
- C0 (concentration at dose time) as PKNCA ``pk.calc.c0`` / Phoenix: an
  observed sample at t = 0 is used as it is; otherwise, for an IV bolus, C0 is
  back-extrapolated log-linearly from the first two samples when they decline
  (C0 = C1·(C1/C2)^(t1/(t2−t1))), else the first observed concentration; for an
  extravascular dose or an infusion, C0 = 0 (nothing in the body before the
  dose). The inserted C0 is integrated from 0 like any other point.
- Tmax is the first time of Cmax. Tlast/Clast: last conc > 0.
- AUC: ``"lin-up/log-down"`` (default, PKNCA's default) or ``"linear"``
  (Phoenix's default). The log rule applies only when 0 < C2 < C1.
- λz: PKNCA/Phoenix "best fit": points after Tmax with conc > 0, last k ≥ 3
  points, keep fits with slope < 0 and adjR² within 1e-4 of the best, then the
  one with the most points. A window whose concentrations are all equal has
  no R² (R's ``lm`` gives NaN: 0/0) and, as in PKNCA, neither counts as the
  best fit nor can be chosen. For an IV bolus the Tmax sample may be used
  (Phoenix: Tmax is excluded for non-bolus data only); the back-extrapolated
  C0 never is.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Literal

import attrs

__all__ = [
    "AucMethod",
    "LambdaZ",
    "NCAResult",
    "auc_segment",
    "clean_blq",
    "lambda_z",
    "nca",
]

AucMethod = Literal["lin-up/log-down", "linear"]
DoseType = Literal["extravascular", "infusion", "bolus"]

#: PKNCA ``adj.r.squared.factor``; Phoenix: "within 0.0001 of the largest".
ADJ_R2_FACTOR = 1e-4
#: PKNCA ``min.hl.points``.
MIN_HL_POINTS = 3


@attrs.frozen
class LambdaZ:
    """
    Terminal-phase regression.

    Attributes:
        lambda_z: −slope of ln C on t (1/time).
        intercept: Intercept b0 of ln C = b0 − λz·t.
        r2: R².
        r2adj: Adjusted R² = 1 − (1−R²)(k−1)/(k−2).
        n_points: Points used (k).
        t_first: First time used.
        t_last: Last time used.
    """

    lambda_z: float
    intercept: float
    r2: float
    r2adj: float
    n_points: int
    t_first: float
    t_last: float

    @property
    def half_life(self) -> float:
        """t½ = ln 2 / λz."""
        return math.log(2.0) / self.lambda_z

    @property
    def span_ratio(self) -> float:
        """(t_last − t_first) / t½, PKNCA's span.ratio."""
        return (self.t_last - self.t_first) / self.half_life


@attrs.frozen
class NCAResult:
    """
    NCA parameters of one profile (None = not estimable).

    Attributes mirror PKNCA/WinNonlin names: ``cmax``, ``tmax``, ``clast``,
    ``tlast``, ``auclast``, ``aucinf_obs``, ``aucinf_pred``, ``pct_extrap_obs``,
    ``pct_extrap_pred``, ``lambda_z`` (the :class:`LambdaZ` fit or None),
    ``auc_method`` and ``blq_rule`` (what was applied, for reports).
    """

    cmax: float | None
    tmax: float | None
    clast: float | None
    tlast: float | None
    auclast: float | None
    aucinf_obs: float | None
    aucinf_pred: float | None
    pct_extrap_obs: float | None
    pct_extrap_pred: float | None
    lambda_z: LambdaZ | None
    auc_method: str
    blq_rule: str = "PKNCA default: first BLQ kept as 0, middle dropped, last kept as 0"
    c0: float | None = None
    c0_rule: str = ""
    pct_back_ext_obs: float | None = None
    predose_excluded: int = 0
    dose_type: str = "extravascular"

    def parameters(self) -> dict[str, float | None]:
        """The CONTRACT §7 pk parameter names and values."""
        lz = self.lambda_z
        return {
            "cmax": self.cmax,
            "tmax": self.tmax,
            "clast": self.clast,
            "tlast": self.tlast,
            "auclast": self.auclast,
            "aucinf_obs": self.aucinf_obs,
            "aucinf_pred": self.aucinf_pred,
            "lambda_z": lz.lambda_z if lz else None,
            "half_life": lz.half_life if lz else None,
            "r2adj": lz.r2adj if lz else None,
            "c0": self.c0,
        }


def clean_blq(
    times: Sequence[float], concs: Sequence[float | None]
) -> tuple[list[float], list[float]]:
    """
    Sort by time, drop NA and apply PKNCA's default BLQ rule (BLQ = 0).

    Leading zeros (before the first quantifiable value) and trailing zeros
    (after the last) are kept as 0; zeros between quantifiable values are
    dropped (PKNCA ``clean.conc.blq`` with first="keep", middle="drop",
    last="keep").

    Args:
        times: Sample times.
        concs: Concentrations, 0 for BLQ, None for missing.

    Returns:
        (times, concs) after cleaning.
    """
    pairs = sorted((t, c) for t, c in zip(times, concs, strict=False) if c is not None and not math.isnan(c))
    positive = [i for i, (_, c) in enumerate(pairs) if c > 0]
    if not positive:
        return [t for t, _ in pairs], [c for _, c in pairs]
    first, last = positive[0], positive[-1]
    kept = [(t, c) for i, (t, c) in enumerate(pairs) if c > 0 or i < first or i > last]
    return [t for t, _ in kept], [c for _, c in kept]


def auc_segment(t1: float, c1: float, t2: float, c2: float, log_down: bool) -> float:
    """
    Area of one interval.

    Args:
        t1: Start time.
        c1: Concentration at t1.
        t2: End time.
        c2: Concentration at t2.
        log_down: Use the log rule when 0 < c2 < c1 (lin-up/log-down).

    Returns:
        The interval's AUC.
    """
    dt = t2 - t1
    if log_down and 0 < c2 < c1:
        return dt * (c1 - c2) / math.log(c1 / c2)
    return dt * (c1 + c2) / 2.0


def _ols(xs: Sequence[float], ys: Sequence[float]) -> tuple[float, float, float]:
    n = len(xs)
    mx = sum(xs) / n
    my = sum(ys) / n
    sxx = sum((x - mx) ** 2 for x in xs)
    sxy = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=False))
    syy = sum((y - my) ** 2 for y in ys)
    slope = sxy / sxx
    intercept = my - slope * mx
    r2 = math.nan if syy == 0 else (sxy * sxy) / (sxx * syy)
    return slope, intercept, r2


def lambda_z(
    times: Sequence[float],
    concs: Sequence[float],
    tmax: float,
    min_points: int = MIN_HL_POINTS,
    adj_r2_factor: float = ADJ_R2_FACTOR,
    allow_tmax: bool = False,
) -> LambdaZ | None:
    """
    Automatic ("best fit") terminal slope selection, as PKNCA ``half.life``.

    Args:
        times: Cleaned, ascending times.
        concs: Cleaned concentrations.
        tmax: Time of Cmax; it and earlier points are excluded
            (PKNCA ``allow.tmax.in.half.life=FALSE``).
        min_points: Minimum points in a fit (3).
        adj_r2_factor: Tolerance on adjusted R² (1e-4).
        allow_tmax: Let the Tmax sample into the fit (Phoenix, IV bolus).

    Returns:
        The chosen :class:`LambdaZ`, or None with too few points or no
        window with a negative slope (PKNCA #107, #583).
    """
    cand = [(t, c) for t, c in zip(times, concs, strict=False) if (t >= tmax if allow_tmax else t > tmax) and c > 0]
    if len(cand) < min_points:
        return None
    fits: list[LambdaZ] = []
    best_adj = -math.inf
    for k in range(min_points, len(cand) + 1):
        pts = cand[-k:]
        xs = [t for t, _ in pts]
        ys = [math.log(c) for _, c in pts]
        slope, b0, r2 = _ols(xs, ys)
        if math.isnan(r2):
            continue  # all-equal tail: R's lm gives R² = NaN, which PKNCA skips
        adj = 1.0 - (1.0 - r2) * (k - 1) / (k - 2)
        # the best adjR² is taken over all windows, also those with slope ≥ 0
        # (PKNCA NEWS, #583)
        best_adj = max(best_adj, adj)
        if slope < 0:
            fits.append(LambdaZ(-slope, b0, r2, adj, k, xs[0], xs[-1]))
    good = [f for f in fits if f.r2adj > best_adj - adj_r2_factor]
    if not good:
        return None
    return max(good, key=lambda f: f.n_points)


def c0_for(times: Sequence[float], concs: Sequence[float], dose_type: DoseType) -> tuple[float | None, str]:
    """
    Concentration at dose time (t = 0) when no sample was taken then.

    Args:
        times: Cleaned, ascending times ≥ 0.
        concs: Their concentrations.
        dose_type: ``"bolus"``, ``"infusion"`` or ``"extravascular"``.

    Returns:
        (C0, rule in words); C0 None only for an empty bolus profile.
    """
    if times and times[0] == 0:
        return concs[0], "observed at dose time"
    if dose_type != "bolus":
        return 0.0, "0 at dose time (extravascular/infusion, no pre-dose exposure)"
    if len(times) >= 2 and concs[0] > concs[1] > 0:
        t1, t2, c1, c2 = times[0], times[1], concs[0], concs[1]
        return c1 * (c1 / c2) ** (t1 / (t2 - t1)), "IV bolus: log-linear back-extrapolation from the first two samples"
    if times:
        return concs[0], "IV bolus: first observed concentration (first two samples do not decline)"
    return None, ""


def nca(
    times: Sequence[float],
    concs: Sequence[float | None],
    auc_method: AucMethod = "lin-up/log-down",
    window: tuple[float, float] | None = None,
    dose_type: DoseType = "extravascular",
) -> NCAResult:
    """
    Compute NCA parameters for one subject's profile.

    Args:
        times: Times after dose (hours); negative times are pre-dose samples.
        concs: Concentrations; 0 for BLQ, None for missing.
        auc_method: ``"lin-up/log-down"`` (default) or ``"linear"``.
        window: Optional (start, end) analysis window in the same time unit;
            samples outside are ignored (e.g. (0, 336)).
        dose_type: ``"extravascular"`` (default, as PKNCA), ``"infusion"`` or
            ``"bolus"``; decides C0 when there is no sample at dose time.

    Returns:
        The :class:`NCAResult`.
    """
    if auc_method not in ("lin-up/log-down", "linear"):
        raise ValueError(f"unknown auc_method {auc_method!r}")
    if dose_type not in ("extravascular", "infusion", "bolus"):
        raise ValueError(f"unknown dose_type {dose_type!r}")
    predose = sum(1 for t, c in zip(times, concs, strict=False) if t < 0 and c is not None)
    sel = [(t, c) for t, c in zip(times, concs, strict=False) if t >= 0]
    if window is not None:
        lo, hi = window
        sel = [(t, c) for t, c in sel if lo <= t <= hi]
    ts, cs = clean_blq([t for t, _ in sel], [c for _, c in sel])
    empty = NCAResult(None, None, None, None, None, None, None, None, None, None, auc_method,
                      predose_excluded=predose, dose_type=dose_type)
    if not ts:
        return empty
    cmax = max(cs)
    tmax = ts[cs.index(cmax)]
    positive = [i for i, c in enumerate(cs) if c > 0]
    if not positive:
        return attrs.evolve(empty, cmax=cmax, tmax=tmax)
    ilast = positive[-1]
    tlast, clast = ts[ilast], cs[ilast]
    c0, c0_rule = c0_for(ts, cs, dose_type)
    log_down = auc_method == "lin-up/log-down"
    auc_ts, auc_cs = (ts, cs) if ts[0] == 0 or c0 is None else ([0.0, *ts], [c0, *cs])
    ilast_auc = ilast + (len(auc_ts) - len(ts))
    segments = [auc_segment(auc_ts[i], auc_cs[i], auc_ts[i + 1], auc_cs[i + 1], log_down) for i in range(ilast_auc)]
    auclast = sum(segments)
    back_ext = segments[0] if dose_type == "bolus" and ts[0] != 0 and segments else None
    lz = lambda_z(ts, cs, tmax, allow_tmax=dose_type == "bolus")
    aucinf_obs = aucinf_pred = pext_obs = pext_pred = back_pct = None
    if lz is not None:
        aucinf_obs = auclast + clast / lz.lambda_z
        clast_pred = math.exp(lz.intercept - lz.lambda_z * tlast)
        aucinf_pred = auclast + clast_pred / lz.lambda_z
        pext_obs = 100.0 * (aucinf_obs - auclast) / aucinf_obs
        pext_pred = 100.0 * (aucinf_pred - auclast) / aucinf_pred
        if back_ext is not None:
            back_pct = 100.0 * back_ext / aucinf_obs
    return NCAResult(
        cmax, tmax, clast, tlast, auclast, aucinf_obs, aucinf_pred, pext_obs, pext_pred,
        lz, auc_method, c0=c0, c0_rule=c0_rule, pct_back_ext_obs=back_pct, predose_excluded=predose,
        dose_type=dose_type,
    )
