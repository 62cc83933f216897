"""Change from baseline (BASE = 0), ADA classification and MRD status."""

from __future__ import annotations

import datetime as dt

from trialrules.outcomes.change import (
    ada_status,
    change_from_baseline,
    mrd_status,
    pchg,
    summarise,
)
from trialrules.outcomes.sdtm import Exposure, LabResult, StudyData, Subject

D0 = dt.datetime(2025, 1, 10, 9, 0)


def _lb(u: str, code: str, day: float, value: float | None, text: str = "", visit: str = "") -> LabResult:
    return LabResult(u, code, value, text or ("" if value is None else str(value)), "", D0 + dt.timedelta(days=day), visit=visit)


def _study(labs: list[LabResult]) -> StudyData:
    return StudyData(subjects=(Subject("S1", "A"), Subject("S2", "B")),
                     exposures=(Exposure("S1", D0), Exposure("S2", D0)), labs=tuple(labs))


def test_pchg_base_zero_is_missing() -> None:
    """PCHG is NA when BASE = 0 (admiral derive_var_pchg); CHG is still defined."""
    recs = change_from_baseline(_study([_lb("S1", "IL2", -1, 0.0), _lb("S1", "IL2", 47, 3.0, visit="DAY 48")]))

    assert [(0.0, 3.0, None)] == [(r.base, r.chg, r.pchg) for r in recs]
    assert None is pchg(5.0, 0.0)
    assert 150.0 == pchg(1.0, -2.0)  # 100·(1 − (−2))/|−2|: |BASE| in the denominator


def test_baseline_is_last_on_or_before_first_dose() -> None:
    """BASE = last non-missing value on/before the first dose (same-day pre-dose counts)."""
    labs = [
        _lb("S1", "IL6", -7, 2.0),
        _lb("S1", "IL6", -0.1, None),
        _lb("S1", "IL6", -0.2, 4.0),
        _lb("S1", "IL6", 10, 10.0, visit="DAY 11"),
    ]

    recs = change_from_baseline(_study(labs))

    assert [(4.0, 6.0, 150.0)] == [(r.base, r.chg, r.pchg) for r in recs]


def test_summary() -> None:
    """n, mean, median, min, max ignore missing values."""
    s = summarise([1.0, None, 3.0, 8.0])

    assert (3, 4.0, 3.0, 1.0, 8.0) == (s.n, s.mean, s.median, s.min, s.max)


def test_ada_induced_and_boosted() -> None:
    """Induced: negative → positive; boosted: positive with ≥ 4-fold titre rise (0.60 log10)."""
    labs = [
        _lb("S1", "ADA", -1, None, "NEGATIVE"), _lb("S1", "ADA", 20, None, "POSITIVE"),
        _lb("S2", "ADA", -1, None, "POSITIVE"), _lb("S2", "ADATITER", -1, 40.0),
        _lb("S2", "ADA", 20, None, "POSITIVE"), _lb("S2", "ADATITER", 20, 160.0),
    ]

    st = {s.usubjid: s for s in ada_status(_study(labs))}

    assert (True, False, True) == (st["S1"].induced, st["S1"].boosted, st["S1"].treatment_emergent)
    assert (False, True, 160.0) == (st["S2"].induced, st["S2"].boosted, st["S2"].max_titre)


def test_ada_twofold_is_not_boosted() -> None:
    """A 2-fold rise in a baseline-positive subject is not treatment-emergent."""
    labs = [_lb("S2", "ADA", -1, None, "POSITIVE"), _lb("S2", "ADATITER", -1, 40.0),
            _lb("S2", "ADA", 20, None, "POSITIVE"), _lb("S2", "ADATITER", 20, 80.0)]

    assert [False] == [s.treatment_emergent for s in ada_status(_study(labs))]


def test_mrd_best_and_last() -> None:
    """MRD negative below the 0.1% threshold; best = any, last = last assessment."""
    labs = [_lb("S1", "MRD", -2, 20.0), _lb("S1", "MRD", 28, 0.05), _lb("S1", "MRD", 56, 2.0),
            _lb("S2", "MRD", 28, None, "NEGATIVE")]

    assert {"S1": True, "S2": True} == mrd_status(_study(labs))
    assert {"S1": False, "S2": True} == mrd_status(_study(labs), at="last")
