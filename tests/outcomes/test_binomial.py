"""Clopper–Pearson and Wilson intervals against R and scipy."""

from __future__ import annotations

import pytest

from trialrules.outcomes.binomial import (
    beta_inc,
    beta_ppf,
    clopper_pearson,
    proportion_ci,
    wilson,
)

from .conftest import read_csv

ROWS = read_csv("binomial_ci_reference.csv")


class TestClopperPearson:
    @pytest.mark.parametrize("row", ROWS, ids=lambda r: f"{r['responders']}/{r['n']}")
    def test_matches_r_binom_test(self, row: dict[str, str]) -> None:
        """The CP interval equals R binom.test to 1e-12."""
        lo, hi = clopper_pearson(int(row["responders"]), int(row["n"]))

        assert float(row["cp_lower95"]) == pytest.approx(lo, abs=1e-12)
        assert float(row["cp_upper95"]) == pytest.approx(hi, abs=1e-12)

    def test_published_example(self) -> None:
        """3/10 gives 0.0667–0.6525 as the conventions note quotes."""
        lo, hi = clopper_pearson(3, 10)

        assert (0.0667, 0.6525) == (round(lo, 4), round(hi, 4))

    @pytest.mark.parametrize("x,n", [(k, n) for n in (1, 2, 5, 12, 13, 40, 97) for k in range(0, n + 1, max(1, n // 6))])
    def test_matches_scipy_binomtest(self, x: int, n: int) -> None:
        """The CP interval equals scipy.stats.binomtest(...).proportion_ci('exact')."""
        stats = pytest.importorskip("scipy.stats")
        ref = stats.binomtest(x, n).proportion_ci(confidence_level=0.95, method="exact")

        lo, hi = clopper_pearson(x, n)
        assert ref.low == pytest.approx(lo, abs=1e-10)
        assert ref.high == pytest.approx(hi, abs=1e-10)

    def test_rejects_bad_counts(self) -> None:
        """x > n is an error, not a silent interval."""
        with pytest.raises(ValueError):
            clopper_pearson(4, 3)


class TestWilson:
    @pytest.mark.parametrize("row", ROWS, ids=lambda r: f"{r['responders']}/{r['n']}")
    def test_matches_r_prop_test(self, row: dict[str, str]) -> None:
        """Wilson equals R prop.test(correct=FALSE)."""
        lo, hi = proportion_ci(int(row["responders"]), int(row["n"]), method="wilson")

        assert float(row["wilson_lower95"]) == pytest.approx(lo, abs=1e-12)
        assert float(row["wilson_upper95"]) == pytest.approx(hi, abs=1e-12)

    def test_other_level(self) -> None:
        """A 90% Wilson interval uses the 95% normal quantile (scipy reference)."""
        stats = pytest.importorskip("scipy.stats")
        ref = stats.binomtest(7, 20).proportion_ci(confidence_level=0.9, method="wilson")

        lo, hi = wilson(7, 20, conf_level=0.9)
        assert ref.low == pytest.approx(lo, abs=1e-9)
        assert ref.high == pytest.approx(hi, abs=1e-9)


class TestBeta:
    @pytest.mark.parametrize("a,b,x", [(0.5, 0.5, 0.2), (2, 3, 0.4), (10, 1, 0.95), (30, 70, 0.31), (1, 1, 0.7)])
    def test_beta_inc_matches_scipy(self, a: float, b: float, x: float) -> None:
        """I_x(a,b) equals scipy.special.betainc."""
        special = pytest.importorskip("scipy.special")

        assert float(special.betainc(a, b, x)) == pytest.approx(beta_inc(a, b, x), rel=1e-12)

    @pytest.mark.parametrize("q,a,b", [(0.025, 3, 8), (0.975, 4, 7), (0.5, 0.5, 0.5), (0.001, 50, 2)])
    def test_beta_ppf_matches_scipy(self, q: float, a: float, b: float) -> None:
        """qbeta equals scipy.stats.beta.ppf."""
        stats = pytest.importorskip("scipy.stats")

        assert float(stats.beta.ppf(q, a, b)) == pytest.approx(beta_ppf(q, a, b), rel=1e-10)
