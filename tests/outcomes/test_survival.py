"""Kaplan–Meier medians and CIs against R survival and lifelines."""

from __future__ import annotations

import math

import pytest

from trialrules.outcomes.survival import (
    kaplan_meier,
    median_ci,
    numbers_at_risk,
    survival_at,
)

from .conftest import read_csv

LUNG = read_csv("lung.csv")
WALTONS = read_csv("waltons.csv")


def _data(dataset: str, stratum: str) -> tuple[list[float], list[bool]]:
    if dataset == "lung":
        rows = [r for r in LUNG if stratum == "all" or f"sex={r['sex']}" == stratum]
        return [float(r["time"]) for r in rows], [r["status"] == "2" for r in rows]
    rows = [r for r in WALTONS if stratum == "all" or f"group={r['group']}" == stratum]
    return [float(r["T"]) for r in rows], [r["E"] == "1" for r in rows]


R_ROWS = read_csv("km_medians_R_survival.csv")
LL_ROWS = read_csv("km_medians_lifelines.csv")


@pytest.mark.parametrize("row", R_ROWS, ids=lambda r: f"{r['dataset']}-{r['stratum']}-{r['conf_type']}")
def test_median_ci_matches_r_survival(row: dict[str, str]) -> None:
    """Median and 95% CI equal R survfit for log, log-log and plain."""
    times, events = _data(row["dataset"], row["stratum"])

    fit = kaplan_meier(times, events, conf_type=row["conf_type"])  # type: ignore[arg-type]
    m = median_ci(fit, rule="r")

    assert int(row["n"]) == fit.n
    assert int(row["events"]) == fit.events
    assert (float(row["median"]), float(row["lcl95"]), float(row["ucl95"])) == (m.median, m.lower, m.upper)


@pytest.mark.parametrize("row", LL_ROWS, ids=lambda r: f"{r['dataset']}-{r['stratum']}")
def test_median_ci_matches_lifelines_csv(row: dict[str, str]) -> None:
    """With the default log-log transform and lifelines' rule, numbers equal lifelines 0.30.3."""
    times, events = _data(row["dataset"], row["stratum"])

    m = median_ci(kaplan_meier(times, events), rule="lifelines")

    assert (float(row["median"]), float(row["lcl95"]), float(row["ucl95"])) == (m.median, m.lower, m.upper)


def test_r_survival_quantile_test_cases() -> None:
    """therneau/survival tests/quantile.R: flats give midpoints, also at the curve's end."""
    fit = kaplan_meier([9, 1, 1, 6, 6, 8, 10], [1, 1, 0, 1, 1, 0, 0], conf_type="log")
    qq = [13 / 14, 6 / 7, 2 / 3, 0.5, 9 / 35, 0.1]

    got = [median_ci(fit, "r", p) for p in qq]

    assert [1, 3.5, 6, 9, 9.5, None] == [g.median for g in got]
    assert [1, 1, 1, 6, 6, 9] == [g.lower for g in got]
    assert [None] * 6 == [g.upper for g in got]


def test_exact_half_plateau_rules_differ() -> None:
    """On an exact S = 0.5 flat, R takes the midpoint and lifelines the first time."""
    fit = kaplan_meier([1, 2, 3, 4], [1, 1, 1, 1])

    assert 2.5 == median_ci(fit, "r").median
    assert 2.0 == median_ci(fit, "lifelines").median


@pytest.mark.parametrize("dataset,stratum", [("lung", "all"), ("lung", "sex=1"), ("lung", "sex=2"), ("waltons", "all"), ("waltons", "group=miR-137")])
def test_curve_and_bands_match_lifelines_in_process(dataset: str, stratum: str) -> None:
    """S(t), the log-log bands and the median CI equal lifelines run in-process."""
    lifelines = pytest.importorskip("lifelines")
    from lifelines.utils import median_survival_times

    times, events = _data(dataset, stratum)
    kmf = lifelines.KaplanMeierFitter().fit(times, events)
    ci = median_survival_times(kmf.confidence_interval_)
    fit = kaplan_meier(times, events)

    sf = kmf.survival_function_.iloc[:, 0]
    lo_ref = kmf.confidence_interval_.iloc[:, 0]
    hi_ref = kmf.confidence_interval_.iloc[:, 1]
    for t, s, lo, hi in zip(fit.time, fit.surv, fit.lower, fit.upper, strict=False):
        assert float(sf.loc[t]) == pytest.approx(s, abs=1e-12)
        if lo is not None and 0 < s < 1:
            assert float(lo_ref.loc[t]) == pytest.approx(lo, abs=1e-9)
            assert float(hi_ref.loc[t]) == pytest.approx(hi, abs=1e-9)
    m = median_ci(fit, "lifelines")
    assert float(kmf.median_survival_time_) == m.median
    assert (float(ci.iloc[0, 0]), float(ci.iloc[0, 1])) == (m.lower, m.upper)


def test_greenwood_by_hand() -> None:
    """Greenwood var of ln S at t=6 is 1/(7·6) + 2/(5·3) for the survival test data."""
    fit = kaplan_meier([9, 1, 1, 6, 6, 8, 10], [1, 1, 0, 1, 1, 0, 0])
    i = fit.time.index(6.0)

    assert 18 / 35 == pytest.approx(fit.surv[i], rel=1e-15)
    assert math.sqrt(1 / 42 + 2 / 15) == pytest.approx(fit.std_log[i], rel=1e-15)


def test_numbers_at_risk_lung() -> None:
    """Numbers at risk equal the count of subjects followed at least t, and lifelines' at_risk."""
    times, events = _data("lung", "all")
    fit = kaplan_meier(times, events)
    at = [0, 250, 500, 750, 1000]

    expected = [sum(1 for x in times if x >= t) for t in at]
    assert expected == numbers_at_risk(fit, at)
    assert [228, 2] == [expected[0], expected[-1]]


def test_median_not_reached() -> None:
    """A curve that stays above 0.5 has no median (None, R's NA / lifelines' inf)."""
    fit = kaplan_meier([1, 2, 3, 4, 5], [1, 0, 0, 0, 0])

    assert None is median_ci(fit).median
    assert math.isclose(0.8, survival_at(fit, 10))
