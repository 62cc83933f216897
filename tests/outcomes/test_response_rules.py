"""One evaluator (RSEVAL), new anti-cancer therapy, and the ADA/nAb and dose checks (hand-computed)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from trialrules.outcomes.measures import run_measures

from ._sdtm import measure, write_study

D1 = dt.date(2025, 1, 10)


def _day(n: int) -> str:
    return (D1 + dt.timedelta(days=n)).isoformat()


def _rs(u: str, day: int, result: str, evaluator: str | None = None) -> dict[str, object]:
    row: dict[str, object] = {"USUBJID": u, "RSTESTCD": "OVRLRESP", "RSSTRESC": result, "RSDTC": _day(day)}
    if evaluator is not None:
        row["RSEVAL"] = evaluator
    return row


def _study(tmp_path: Path, rs: list[dict[str, object]], **extra: list[dict[str, object]]) -> Path:
    return write_study(tmp_path, dm=[{"USUBJID": "S1", "ARM": "A"}],
                       ex=[{"USUBJID": "S1", "EXSTDTC": _day(0)}], rs=rs, **extra)


class TestEvaluator:
    RS = [
        _rs("S1", 42, "PR", "INVESTIGATOR"), _rs("S1", 84, "PR", "INVESTIGATOR"),
        _rs("S1", 42, "SD", "INDEPENDENT ASSESSOR"), _rs("S1", 84, "PD", "INDEPENDENT ASSESSOR"),
    ]

    def test_investigator_by_default(self, tmp_path: Path) -> None:
        """Investigator PR, PR (42 days apart, confirmed) → responder; the review's rows are not pooled."""
        doc = run_measures("t", [measure("orr"), measure("pfs")], _study(tmp_path, self.RS))
        orr, pfs = doc["measures"]
        assert (1.0, {"PR": 1}) == (orr["results"][0]["estimate"], orr["results"][0]["bor_counts"])
        assert 0 == pfs["results"][0]["events"]
        assert any("2 RS row(s) of other evaluators not used: INDEPENDENT ASSESSOR" in n for n in orr["notes"])

    def test_independent_review_as_an_option(self, tmp_path: Path) -> None:
        """evaluator = INDEPENDENT ASSESSOR: SD then PD → BOR SD (SD at day 42 ≥ 42), PFS event on day 84."""
        folder = _study(tmp_path, self.RS)
        doc = run_measures("t", [measure("orr", evaluator="INDEPENDENT ASSESSOR"),
                                 measure("pfs", evaluator="INDEPENDENT ASSESSOR")], folder)
        orr, pfs = doc["measures"]
        assert (0.0, {"SD": 1}) == (orr["results"][0]["estimate"], orr["results"][0]["bor_counts"])
        rec = pfs["results"][0]["records"][0]
        assert (True, 85) == (rec["event"], rec["days"])


class TestNewTherapy:
    def test_assessments_after_new_therapy_do_not_count(self, tmp_path: Path) -> None:
        """SD (day 56), new therapy day 70 (CM category ANTI-CANCER THERAPY), then PR, PR → BOR SD, not PR."""
        rs = [_rs("S1", 56, "SD"), _rs("S1", 98, "PR"), _rs("S1", 140, "PR")]
        cm = [{"USUBJID": "S1", "CMTRT": "FOLFIRI", "CMCAT": "ANTI-CANCER THERAPY", "CMSTDTC": _day(70)}]
        doc = run_measures("t", [measure("orr"), measure("orr", exclude_after_new_therapy=False)],
                           _study(tmp_path, rs, cm=cm))
        kept, pooled = doc["measures"]
        assert ({"SD": 1}, {"PR": 1}) == (kept["results"][0]["bor_counts"], pooled["results"][0]["bor_counts"])
        assert any("left out for: S1" in n for n in kept["notes"])

    def test_ds_new_therapy_record(self, tmp_path: Path) -> None:
        """The same with a DS record 'NEW ANTICANCER THERAPY' on day 70."""
        rs = [_rs("S1", 56, "SD"), _rs("S1", 98, "PR"), _rs("S1", 140, "PR")]
        ds = [{"USUBJID": "S1", "DSDECOD": "NEW ANTICANCER THERAPY", "DSSTDTC": _day(70)}]
        doc = run_measures("t", [measure("orr")], _study(tmp_path, rs, ds=ds))
        assert {"SD": 1} == doc["measures"][0]["results"][0]["bor_counts"]

    def test_unusable_rsdtc_is_named_not_silent(self, tmp_path: Path) -> None:
        """RSDTC '03/01/2025' is not ISO 8601: the row is named in the notes, the others still used."""
        rs = [_rs("S1", 42, "PR"), {**_rs("S1", 84, "PR"), "RSDTC": "03/01/2025"}]
        orr = run_measures("t", [measure("orr")], _study(tmp_path, rs))["measures"][0]
        assert [("rs.csv", 2, "RSDTC", "03/01/2025")] == [
            (p["file"], p["row"], p["column"], p["value"]) for p in orr["unusable_records"]]
        assert "1 unusable record(s)" in orr["note"]


class TestAda:
    def test_titre_by_visit_and_nab(self, tmp_path: Path) -> None:
        """Induced ADA with titres 40 (day 20) and 160 (day 48); nAb positive in 1 of 1 tested."""
        lb = [
            {"USUBJID": "S1", "LBTESTCD": "ADA", "LBSTRESC": "NEGATIVE", "LBDTC": _day(-1), "VISIT": "BASELINE"},
            {"USUBJID": "S1", "LBTESTCD": "ADA", "LBSTRESC": "POSITIVE", "LBSTRESN": 40, "LBDTC": _day(19), "VISIT": "DAY 20"},
            {"USUBJID": "S1", "LBTESTCD": "ADA", "LBSTRESC": "POSITIVE", "LBSTRESN": 160, "LBDTC": _day(47), "VISIT": "DAY 48"},
            {"USUBJID": "S1", "LBTESTCD": "NAB", "LBSTRESC": "POSITIVE", "LBDTC": _day(47), "VISIT": "DAY 48"},
        ]
        folder = write_study(tmp_path, dm=[{"USUBJID": "S1", "ARM": "A"}], ex=[{"USUBJID": "S1", "EXSTDTC": _day(0)}], lb=lb)
        ada = run_measures("t", [measure("ada")], folder)["measures"][0]
        allg = {r["parameter"]: r for r in ada["results"] if r["group"] == {"arm": "all"}}
        assert (1.0, 40, 160, 1.0) == (allg["ada_incidence"]["estimate"], allg["ada_titre:DAY 20"]["estimate"],
                                       allg["ada_titre:DAY 48"]["estimate"], allg["nab_positive"]["estimate"])


class TestDoseCheck:
    ARMS = [{"id": "dose_group_1", "title": "Experimental: Dose group 1",
             "dose": {"value": 5e8, "unit": "{cells}", "per": "administration"}},
            {"id": "dose_group_2", "title": "Experimental: Dose group 2",
             "dose": {"value": 2e9, "unit": "{cells}", "per": "administration"}}]

    def test_mismatch_is_reported(self, tmp_path: Path) -> None:
        """5×10^9 cells to a dose-group-1 subject (arm dose 5×10^8) is named; the right dose is not."""
        folder = write_study(
            tmp_path, dm=[{"USUBJID": "S1", "ARM": "Dose group 1"}, {"USUBJID": "S2", "ARM": "Dose group 2"}],
            ex=[{"USUBJID": "S1", "EXSTDTC": _day(0), "EXDOSE": "5000000000", "EXDOSU": "cells"},
                {"USUBJID": "S2", "EXSTDTC": _day(0), "EXDOSE": "2000000000.0", "EXDOSU": "cells"}],
            rs=[_rs("S1", 42, "SD")])
        doc = run_measures("t", [measure("orr")], folder, arms=self.ARMS)
        assert [("S1", 5e9, 5e8)] == [(m["subject"], m["ex_dose"], m["arm_dose"]) for m in doc["input"]["dose_mismatches"]]
        assert any("1 subject(s) dosed differently" in n for n in doc["measures"][0]["notes"])


def test_conflicting_assessments_on_one_date_are_named(tmp_path: Path) -> None:
    """PR and PD on the same date by the same evaluator: named; the PD ends the evaluation (not a responder)."""
    rs = [_rs("S1", 42, "PR"), _rs("S1", 84, "PR"), _rs("S1", 84, "PD")]
    orr = run_measures("t", [measure("orr")], _study(tmp_path, rs))["measures"][0]
    assert [(3, "RSSTRESC")] == [(p["row"], p["column"]) for p in orr["unusable_records"]]
    assert 0.0 == orr["results"][0]["estimate"]


def test_conflicting_cr_and_sd_take_the_worse_first(tmp_path: Path) -> None:
    """CR and SD on day 84 after a CR on day 42: the SD is taken first, so the day-42 CR is not confirmed by it."""
    rs = [_rs("S1", 42, "CR"), _rs("S1", 84, "CR"), _rs("S1", 84, "SD")]
    orr = run_measures("t", [measure("orr")], _study(tmp_path, rs))["measures"][0]
    # CR(42) → SD(84) between → not confirmed; CR(84) has no later confirmation → SD at ≥ 42 days
    assert ({"SD": 1}, 0.0) == (orr["results"][0]["bor_counts"], orr["results"][0]["estimate"])
