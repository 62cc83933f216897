"""BOIN against the published boundaries and R BOIN's documented example; escalation through `outcomes`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from trialrules import cli
from trialrules.outcomes.boin import boundaries, boundary_table, decide, select_mtd

from ._sdtm import write_study


@pytest.mark.parametrize(
    ("target", "lambda_e", "lambda_d"),
    [
        # Liu & Yuan, J R Stat Soc C 2015;64:507-523, Table 1 (φ1 = 0.6φ, φ2 = 1.4φ), three decimals
        (0.20, 0.157, 0.238),
        (0.25, 0.197, 0.298),
        (0.30, 0.236, 0.358),
        # 0.33 is not a column of that table: hand-computed from the same formula,
        # λe = ln(0.802/0.67)/ln(0.33·0.802/(0.198·0.67)) = 0.2604, λd = ln(0.67/0.538)/ln(0.462·0.67/(0.33·0.538)) = 0.3947
        (0.33, 0.260, 0.395),
    ],
)
def test_boundaries_match_the_published_table(target: float, lambda_e: float, lambda_d: float) -> None:
    """Within the table's rounding (published to 3 decimals, some truncated: 0.3585 is printed 0.358)."""
    got_e, got_d = boundaries(target)
    assert abs(got_e - lambda_e) < 0.001
    assert abs(got_d - lambda_d) < 0.001


def test_boundary_table_target_030() -> None:
    """R BOIN get.boundary(target = 0.3, ncohort = 10, cohortsize = 3), as printed in the package docs / Yuan et al. 2016."""
    rows = boundary_table(0.3, 30, 3)
    assert list(range(3, 31, 3)) == [r.n for r in rows]
    assert [0, 1, 2, 2, 3, 4, 4, 5, 6, 7] == [r.escalate_at_most for r in rows]
    assert [2, 3, 4, 5, 6, 7, 8, 9, 10, 11] == [r.deescalate_at_least for r in rows]
    assert [3, 4, 5, 7, 8, 9, 10, 11, 12, 14] == [r.eliminate_at_least for r in rows]


def test_elimination_row_against_scipy() -> None:
    """Elimination count = smallest y with 1 − pbeta(0.3, y+1, n−y+1) > 0.95 (scipy's beta as the reference)."""
    beta = pytest.importorskip("scipy.stats").beta
    for row in boundary_table(0.25, 24, 1):
        if row.n < 3:
            assert row.eliminate_at_least is None
            continue
        expected = next((y for y in range(1, row.n + 1) if beta.sf(0.25, y + 1, row.n - y + 1) > 0.95), None)
        assert expected == row.eliminate_at_least, row


def test_select_mtd_documented_example() -> None:
    """R BOIN select.mtd docs: n = (3, 3, 15, 9, 0), y = (0, 0, 4, 4, 0), target 0.3 → dose 3."""
    assert 3 == select_mtd(0.3, [3, 3, 15, 9, 0], [0, 0, 4, 4, 0])


def test_no_mtd_when_dose_1_is_eliminated() -> None:
    """3 of 3 DLTs at dose 1: P(rate > 0.3) = 1 − I_0.3(4, 1) = 0.9919 > 0.95 → eliminated, no MTD, stop."""
    assert select_mtd(0.3, [3, 0], [3, 0]) is None
    assert ("stop", None) == (decide(0.3, [3, 0], [3, 0], 1).decision, decide(0.3, [3, 0], [3, 0], 1).next_dose)


@pytest.mark.parametrize(
    ("n", "y", "decision"),
    [
        ([6, 0, 0], [1, 0, 0], "escalate"),  # 1/6 = 0.167 ≤ 0.236
        ([6, 0, 0], [2, 0, 0], "stay"),  # 0.333 between the boundaries
        ([6, 3, 0], [0, 2, 0], "de-escalate"),  # at dose 2: 2/3 ≥ 0.359 (not eliminated: 1 − I_0.3(3, 2) = 0.916)
    ],
)
def test_decisions(n: list[int], y: list[int], decision: str) -> None:
    current = max(i + 1 for i, k in enumerate(n) if k)
    assert decision == decide(0.3, n, y, current).decision


def test_cea_car_t_outcomes_reports_both_designs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Dose level 1: 0/3 DLT; level 2: 1/6 DLT → 3+3 escalates to level 3 and BOIN too (1/6 ≤ 0.236)."""
    levels = [("Dose level 1", 1e5)] * 3 + [("Dose level 2", 3e5)] * 6
    dm = [{"USUBJID": f"P{k}", "ARM": arm} for k, (arm, _) in enumerate(levels)]
    ex = [{"USUBJID": f"P{k}", "EXSTDTC": f"2025-{1 + k // 3:02d}-{1 + k % 3:02d}", "EXDOSE": dose, "EXDOSU": "cells/kg",
           "EXROUTE": "INTRAPERITONEAL"} for k, (_, dose) in enumerate(levels)]
    ae = [{"USUBJID": "P5", "AETERM": "Peritonitis", "AESTDTC": "2025-02-10", "AETOXGR": "3", "AEREL": "RELATED"}]
    folder = write_study(tmp_path, dm=dm, ex=ex, ae=ae)

    cli.main(["outcomes", "cea-car-t", "--data", str(folder), "--format", "json"])
    doc = json.loads(capsys.readouterr().out)

    esc = next(m for m in doc["measures"] if m["id"] == "escalation")
    got = {r["parameter"]: r for r in esc["results"] if r["group"] == {"arm": "all"}}
    assert (3, True) == (got["3+3:next_dose"]["estimate"], got["3+3:next_dose"]["continue_trial"])
    assert (3, "escalate") == (got["boin:next_dose"]["estimate"], got["boin:next_dose"]["decision"])
    assert 2 == got["3+3:mtd"]["estimate"]  # ≥ 6 patients with ≤ 1 DLT at level 2
    assert [0, 1, 2, 2] == [r["escalate_if_dlt_at_most"] for r in esc["boin_boundaries"]["table"]][:4]
    assert any("assumed" in n or "target DLT rate 0.3" in n for n in esc["notes"])
