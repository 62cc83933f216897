"""R's conf.type = "log" median CI, reproduced exactly (rule "r-exact") next to the textbook first crossing."""

from __future__ import annotations

from trialrules.outcomes.survival import kaplan_meier, median_ci

from .conftest import read_csv

# 38 subjects (time, event) where the log band's upper limit is not monotone near 0.5.
DATA = [(1, 0), (1, 1), (3, 0), (4, 0), (8, 0), (12, 1), (17, 0), (17, 1), (20, 1), (24, 1), (37, 1), (43, 1),
        (43, 1), (45, 1), (53, 1), (55, 1), (55, 1), (57, 1), (58, 0), (60, 1), (64, 0), (68, 0), (68, 1), (68, 1),
        (70, 0), (72, 0), (76, 1), (78, 1), (80, 0), (81, 1), (84, 1), (85, 1), (86, 0), (86, 1), (86, 1), (91, 0),
        (92, 1), (95, 1)]


def test_non_monotone_upper_band() -> None:
    """
    Upper band S·exp(1.96σ) (clipped at 1) at 85, 86, 91, 92: 0.5301, 0.4393, 0.4393, 0.4784 (NA at 95, S = 0).

    Textbook (first crossing ≤ 0.5): 86. R 3.5 quantile.survfit: approx(1 − upper ± tol, index, 0.5,
    method = "constant", f = 1) sorts the unique values of 1 − upper and takes the smallest ≥ 0.5, i.e.
    0.5216 (upper 0.4784) at t = 92 → UCL 92. Median (S = 0.4672 first ≤ 0.5 at 76) and LCL agree.
    """
    fit = kaplan_meier([t for t, _ in DATA], [bool(e) for _, e in DATA], "log")
    bands = {t: u for t, u in zip(fit.time, fit.upper, strict=True)}
    assert [0.530084, 0.439274, 0.439274, 0.478381] == [round(bands[t], 6) for t in (85, 86, 91, 92)]
    assert bands[95] is None

    textbook, r_exact = median_ci(fit, "r"), median_ci(fit, "r-exact")

    assert (76.0, 86.0) == (textbook.median, textbook.upper)
    assert (76.0, 92.0) == (r_exact.median, r_exact.upper)
    assert textbook.lower == r_exact.lower


def _data(dataset: str, stratum: str) -> tuple[list[float], list[bool]]:
    if dataset == "lung":
        rows = [r for r in read_csv("lung.csv") if stratum == "all" or f"sex={r['sex']}" == stratum]
        return [float(r["time"]) for r in rows], [r["status"] == "2" for r in rows]
    rows = [r for r in read_csv("waltons.csv") if stratum == "all" or f"group={r['group']}" == stratum]
    return [float(r["T"]) for r in rows], [float(r["E"]) == 1 for r in rows]


def test_r_exact_equals_r_survival_on_the_reference_groups(refdata: object) -> None:
    """All 18 groups × conf types of km_medians_R_survival.csv (R survival 3.5-3) are reproduced."""
    for ref in read_csv("km_medians_R_survival.csv"):
        times, events = _data(ref["dataset"], ref["stratum"])
        m = median_ci(kaplan_meier(times, events, ref["conf_type"]), "r-exact")  # type: ignore[arg-type]
        expected = tuple(None if ref[k] == "NA" else float(ref[k]) for k in ("median", "lcl95", "ucl95"))
        assert expected == (m.median, m.lower, m.upper), ref
