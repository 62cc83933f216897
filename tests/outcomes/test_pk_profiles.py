"""PK: Indometh IV bolus through the CLI vs WinNonlin, C0 rules, pre-dose samples, specimens, flat tails."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from trialrules import cli
from trialrules.outcomes.pk import nca

from ._sdtm import write_study
from .conftest import read_csv

#: WinNonlin column → our pk parameter.
WINNONLIN = {"Cmax": "cmax", "Tmax": "tmax", "C0": "c0", "Tlast": "tlast", "Clast": "clast", "AUClast": "auclast",
             "AUCINF_obs": "aucinf_obs", "AUCINF_pred": "aucinf_pred", "Lambda_z": "lambda_z",
             "HL_Lambda_z": "half_life", "Rsq_adjusted": "r2adj"}


def test_indometh_through_the_cli_equals_winnonlin(refdata: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """R Indometh as SDTM (IV bolus, EXROUTE INTRAVENOUS BOLUS, PCELTM), `trialrules outcomes cnk-ut`: 1e-6 relative."""
    rows = read_csv("indometh.csv")
    subjects = sorted({r["Subject"] for r in rows}, key=int)
    pc = [{"USUBJID": f"IND-{r['Subject']}", "PCTESTCD": "INDOMETH", "PCSTRESN": r["conc"], "PCSTRESU": "mg/L",
           "PCELTM": f"PT{float(r['time']) * 60:g}M"} for r in rows]
    ex = [{"USUBJID": f"IND-{s}", "EXTRT": "INDOMETACIN", "EXDOSE": 25, "EXDOSU": "mg",
           "EXROUTE": "INTRAVENOUS BOLUS", "EXSTDTC": "2025-01-01T08:00", "EXENDTC": "2025-01-01T08:00"}
          for s in subjects]
    dm = [{"USUBJID": f"IND-{s}", "ARM": "Indometacin 25 mg IV"} for s in subjects]
    folder = write_study(tmp_path / "sdtm", dm=dm, ex=ex, pc=pc)

    code = cli.main(["outcomes", "cnk-ut", "--data", str(folder), "--format", "json"])
    doc = json.loads(capsys.readouterr().out)

    assert 0 == code
    pk = next(m for m in doc["measures"] if m["id"] == "pk")
    got = {(r["group"]["subject"], r["parameter"]): r["estimate"] for r in pk["results"]}
    worst = 0.0
    for ref in read_csv("indometh_winnonlin_ivbolus_linuplogdown.csv"):
        for column, name in WINNONLIN.items():
            expected, value = float(ref[column]), got[(f"IND-{ref['Subject']}", name)]
            worst = max(worst, abs(value - expected) / abs(expected))
    assert worst < 1e-6
    assert {"bolus"} == {r["dose_type"] for r in pk["results"]}


class TestC0:
    def test_extravascular_without_time_zero_starts_at_zero(self) -> None:
        """Samples 1 h: 4, 2 h: 2 (no t = 0): C0 = 0; AUC = 1·4/2 (linear up) + 1·(4−2)/ln 2 (log down)."""
        res = nca([1.0, 2.0], [4.0, 2.0], dose_type="extravascular")
        assert 0.0 == res.c0
        assert res.auclast == pytest.approx(2.0 + 2.0 / math.log(2.0), rel=1e-12)

    def test_infusion_without_time_zero_starts_at_zero(self) -> None:
        res = nca([0.5, 1.0], [3.0, 6.0], dose_type="infusion")
        assert res.auclast == pytest.approx(0.5 * 3.0 / 2 + 0.5 * (3.0 + 6.0) / 2, rel=1e-12)

    def test_observed_time_zero_is_kept(self) -> None:
        """Theoph-style non-zero pre-dose value at t = 0 stays as observed (WinNonlin)."""
        res = nca([0.0, 1.0], [0.74, 4.0], dose_type="extravascular")
        assert (0.74, pytest.approx(0.5 * (0.74 + 4.0))) == (res.c0, res.auclast)

    def test_bolus_not_declining_uses_first_observation(self) -> None:
        """IV bolus whose first two samples rise: C0 = the first observed value (PKNCA 'c1')."""
        res = nca([0.5, 1.0], [2.0, 3.0], dose_type="bolus")
        assert 2.0 == res.c0

    def test_negative_time_is_not_integrated(self) -> None:
        """A pre-dose sample at −0.5 h (C = 1) is not in AUC0-t (+2.3 % in the issue's case) and is counted."""
        with_pre = nca([-0.5, 1.0, 2.0], [1.0, 4.0, 2.0])
        without = nca([1.0, 2.0], [4.0, 2.0])
        assert (without.auclast, 1) == (with_pre.auclast, with_pre.predose_excluded)


def test_flat_tail_still_gives_lambda_z() -> None:
    """Three equal last values: that window has no R² (R lm: NaN) and is skipped, as PKNCA; λz comes from the others."""
    scipy_stats = pytest.importorskip("scipy.stats")
    times, concs = [0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0], [0.0, 10.0, 8.0, 4.0, 2.0, 2.0, 2.0]
    res = nca(times, concs)
    assert res.lambda_z is not None
    # candidate windows after Tmax (1 h): last 4 and last 5 points; adjusted R² from scipy's linregress
    fits = {}
    for k in (4, 5):
        fit = scipy_stats.linregress(times[-k:], [math.log(c) for c in concs[-k:]])
        fits[k] = (-fit.slope, 1 - (1 - fit.rvalue**2) * (k - 1) / (k - 2))
    best = max(a for _, a in fits.values())
    chosen = max(k for k, (_, a) in fits.items() if a > best - 1e-4)
    assert (chosen, fits[chosen][0]) == (res.lambda_z.n_points, pytest.approx(res.lambda_z.lambda_z, rel=1e-12))


def test_cea_car_t_measures_follow_their_specimens(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Blood and peritoneal-fluid samples of one subject give two different profiles; each measure its own."""
    blood = [(0, 0.0), (24, 10.5), (72, 6.0), (168, 2.0), (336, 0.5)]
    fluid = [(0, 0.0), (24, 105.0), (72, 40.0), (168, 9.0), (336, 1.0)]
    pc = [{"USUBJID": "C1", "PCTESTCD": "CART", "PCSPEC": spec, "PCSTRESN": c, "PCELTM": f"PT{h}H"}
          for spec, points in (("BLOOD", blood), ("PERITONEAL FLUID", fluid)) for h, c in points]
    folder = write_study(tmp_path, dm=[{"USUBJID": "C1", "ARM": "Dose level 1"}],
                         ex=[{"USUBJID": "C1", "EXSTDTC": "2025-01-01T08:00", "EXENDTC": "2025-01-01T09:00",
                              "EXROUTE": "INTRAPERITONEAL"}], pc=pc)

    cli.main(["outcomes", "cea-car-t", "--data", str(folder), "--format", "json"])
    doc = json.loads(capsys.readouterr().out)

    by_id = {m["id"]: {r["parameter"]: r["estimate"] for r in m["results"]} for m in doc["measures"] if m["id"].startswith("pk")}
    assert (10.5, 105.0) == (by_id["pk"]["cmax"], by_id["pk_peritoneal"]["cmax"])
    assert by_id["pk"]["auclast"] == pytest.approx(nca(*zip(*blood, strict=True)).auclast, rel=1e-12)  # type: ignore[arg-type]
