"""NCA against Phoenix WinNonlin output for Theoph, and PKNCA's BLQ rule."""

from __future__ import annotations

import math

import pytest

from trialrules.outcomes.pk import clean_blq, lambda_z, nca

from .conftest import read_csv

THEOPH: dict[str, tuple[list[float], list[float]]] = {}
for _r in read_csv("theoph.csv"):
    _t, _c = THEOPH.setdefault(_r["Subject"], ([], []))
    _t.append(float(_r["Time"]))
    _c.append(float(_r["conc"]))

FILES = {
    "linear": ("theoph_winnonlin_linear.csv", "linear"),
    "linuplogdown": ("theoph_winnonlin_linuplogdown.csv", "lin-up/log-down"),
}
CASES = [
    (key, row) for key, (name, _m) in FILES.items() for row in read_csv(name)
]


def _ours(subject: str, method: str) -> dict[str, float]:
    times, concs = THEOPH[subject]
    res = nca(times, concs, method)  # type: ignore[arg-type]
    assert res.lambda_z is not None
    return {
        "Cmax": res.cmax, "Tmax": res.tmax, "Clast": res.clast, "Tlast": res.tlast,
        "AUClast": res.auclast, "AUCINF_obs": res.aucinf_obs, "AUCINF_pred": res.aucinf_pred,
        "Lambda_z": res.lambda_z.lambda_z, "HL_Lambda_z": res.lambda_z.half_life,
        "Rsq": res.lambda_z.r2, "Rsq_adjusted": res.lambda_z.r2adj,
        "No_points_lambda_z": res.lambda_z.n_points,
        "Lambda_z_lower": res.lambda_z.t_first, "Lambda_z_upper": res.lambda_z.t_last,
        "AUC_%Extrap_obs": res.pct_extrap_obs, "AUC_%Extrap_pred": res.pct_extrap_pred,
    }  # type: ignore[return-value]


@pytest.mark.parametrize("key,row", CASES, ids=[f"{k}-subject{r['Subject']}" for k, r in CASES])
def test_theoph_matches_winnonlin(key: str, row: dict[str, str]) -> None:
    """Every parameter equals WinNonlin's for every subject to 1e-6 relative."""
    ours = _ours(row["Subject"], FILES[key][1])

    for name, value in ours.items():
        assert float(row[name]) == pytest.approx(value, rel=1e-6), name


def test_theoph_number_of_subjects() -> None:
    """Both WinNonlin files cover all 12 Theoph subjects."""
    assert [12, 12] == [len(read_csv(n)) for n, _ in FILES.values()]


class TestBLQ:
    def test_pknca_default_rule(self) -> None:
        """Leading BLQ kept as 0, middle BLQ dropped, trailing BLQ kept as 0."""
        times, concs = clean_blq([0, 1, 2, 3, 4, 5, 6], [0, 0, 5, 0, 3, 0, 0])

        assert [0, 1, 2, 4, 5, 6] == times
        assert [0, 0, 5, 3, 0, 0] == concs

    def test_missing_dropped(self) -> None:
        """NA concentrations are dropped before anything else."""
        assert ([0, 2], [1.0, 2.0]) == clean_blq([0, 1, 2], [1.0, None, 2.0])

    def test_auc_with_blq(self) -> None:
        """AUClast ends at Tlast; a trailing 0 does not add area; middle 0 is skipped."""
        res = nca([0, 1, 2, 3, 4], [0, 4, 0, 2, 0], "linear")

        # 0→1: 2, 1→3 (middle BLQ dropped): 2·(4+2)/2 = 6
        assert 8.0 == res.auclast
        assert (3, 2) == (res.tlast, res.clast)


def test_too_few_points_gives_no_lambda_z() -> None:
    """With fewer than 3 points after Tmax there is no λz and no AUCinf (PKNCA #107)."""
    res = nca([0, 1, 2, 4, 8], [0, 10, 6, 3, 0])

    assert None is res.lambda_z
    assert None is res.aucinf_obs


def test_equal_concentrations_use_linear_rule() -> None:
    """Lin-up/log-down uses the linear rule when C1 = C2 (PKNCA #46)."""
    res = nca([0, 1, 2, 3], [0, 5, 5, 2.5])

    assert 2.5 + 5 + 2.5 / math.log(2) == pytest.approx(res.auclast, rel=1e-14)


def test_rising_tail_has_no_terminal_phase() -> None:
    """A rising tail gives no λz: no window with a negative slope."""
    assert None is lambda_z([1, 2, 3, 4], [1, 2, 3, 4], tmax=0)


def test_window_limits_samples() -> None:
    """An analysis window drops samples outside it."""
    res = nca([0, 1, 2, 400], [0, 5, 4, 1], window=(0, 336))

    assert 2 == res.tlast
