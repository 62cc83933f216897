"""Each measure's time frame through one window, with data on both sides of every boundary (hand-computed)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from trialrules.calendar_arithmetic import add_months
from trialrules.outcomes.measures import run_measures
from trialrules.outcomes.windows import Window, measure_window, parse_window

from ._sdtm import measure, write_study

D1 = dt.date(2025, 1, 10)  # first dose


def _day(n: int) -> str:
    """Date of the day n days after the first dose (the first dose date is day 0)."""
    return (D1 + dt.timedelta(days=n)).isoformat()


class TestWindow:
    @pytest.mark.parametrize(
        ("day", "months", "end"),
        [
            (dt.date(2025, 2, 28), 12, dt.date(2026, 2, 28)),
            (dt.date(2024, 2, 29), 24, dt.date(2026, 2, 28)),  # clipped to the month's end
            (dt.date(2025, 1, 31), 1, dt.date(2025, 2, 28)),
            (dt.date(2025, 11, 15), 2, dt.date(2026, 1, 15)),
        ],
    )
    def test_calendar_months(self, day: dt.date, months: int, end: dt.date) -> None:
        assert end == add_months(day, months)

    def test_legacy_keys_are_windows(self) -> None:
        assert Window("last_dose", days=365) == measure_window({"days_after_last_dose": 365})
        assert Window("first_dose", days=731) == measure_window({"days_after_first_dose": 731})
        assert Window("last_dose", days=730) == measure_window({"window_days_after_last_dose": 730})

    @pytest.mark.parametrize("spec", [{"after": "randomisation", "days": 3}, {"after": "first_dose"},
                                      {"after": "first_dose", "days": 1, "months": 1}, {"after": "first_dose", "days": -1},
                                      {"after": "first_dose", "days": 10**11}, {"after": "first_dose", "days": 1.5}])
    def test_bad_windows_are_refused(self, spec: dict[str, object]) -> None:
        with pytest.raises(ValueError):
            parse_window(spec)


def _base(folder: Path, doses: tuple[int, ...] = (0,)) -> dict[str, list[dict[str, object]]]:
    return {
        "dm": [{"USUBJID": "S1", "ARM": "A"}, {"USUBJID": "S2", "ARM": "A"}],
        "ex": [{"USUBJID": u, "EXSTDTC": _day(d), "EXENDTC": _day(d)} for u in ("S1", "S2") for d in doses],
    }


class TestPfsWindow:
    def _pfs(self, tmp_path: Path, pd_day: int) -> dict[str, object]:
        data = _base(tmp_path)
        data["rs"] = [
            {"USUBJID": "S1", "RSTESTCD": "OVRLRESP", "RSSTRESC": "SD", "RSDTC": _day(60)},
            {"USUBJID": "S1", "RSTESTCD": "OVRLRESP", "RSSTRESC": "PD", "RSDTC": _day(pd_day)},
            {"USUBJID": "S2", "RSTESTCD": "OVRLRESP", "RSSTRESC": "SD", "RSDTC": _day(60)},
        ]
        doc = run_measures("t", [measure("pfs", window={"after": "last_dose", "days": 365})], write_study(tmp_path, **data))
        median = doc["measures"][0]["results"][0]
        return {r["subject"]: r for r in median["records"]}["S1"]

    def test_pd_on_the_last_day_of_the_window_is_an_event(self, tmp_path: Path) -> None:
        """PD on day 365 after the (single) dose: event; 365 + 1 = 366 days."""
        rec = self._pfs(tmp_path, 365)
        assert (True, 366) == (rec["event"], rec["days"])

    def test_pd_one_day_after_the_window_is_not_used(self, tmp_path: Path) -> None:
        """PD on day 366: outside; censored at the last adequate assessment inside (day 60 → 61 days)."""
        rec = self._pfs(tmp_path, 366)
        assert (False, 61, "LAST ADEQUATE ASSESSMENT") == (rec["event"], rec["days"], rec["reason"])


class TestOsCutoff:
    def test_death_after_the_study_cutoff_is_censored_at_it(self, tmp_path: Path) -> None:
        """Cut-off = latest last dose (S2, day 30) + 12 months = 2026-02-09; deaths on each side."""
        data = _base(tmp_path)
        data["ex"].append({"USUBJID": "S2", "EXSTDTC": _day(30), "EXENDTC": _day(30)})
        cutoff = add_months(D1 + dt.timedelta(days=30), 12)
        data["dm"][0]["DTHDTC"] = cutoff.isoformat()  # S1 dies on the cut-off day: event
        data["dm"][1]["DTHDTC"] = (cutoff + dt.timedelta(days=1)).isoformat()  # S2 the day after: censored
        doc = run_measures("t", [measure("os", window={"after": "study_last_dose", "months": 12})],
                           write_study(tmp_path, **data))
        recs = {r["subject"]: r for r in doc["measures"][0]["results"][0]["records"]}
        assert (True, cutoff.isoformat()) == (recs["S1"]["event"], recs["S1"]["adt"])
        assert (False, cutoff.isoformat(), "CUT-OFF") == (recs["S2"]["event"], recs["S2"]["adt"], recs["S2"]["reason"])


class TestLabWindows:
    def _lb(self, tmp_path: Path, late_day: int) -> Path:
        data = _base(tmp_path)
        data["lb"] = [
            {"USUBJID": "S1", "LBTESTCD": "IL6", "LBSTRESN": 2.0, "LBDTC": _day(-1), "VISIT": "BASELINE"},
            {"USUBJID": "S1", "LBTESTCD": "IL6", "LBSTRESN": 7.75, "LBDTC": _day(20), "VISIT": "DAY 21"},
            {"USUBJID": "S1", "LBTESTCD": "IL6", "LBSTRESN": 14.93, "LBDTC": _day(late_day), "VISIT": "LATE"},
            {"USUBJID": "S1", "LBTESTCD": "ADA", "LBSTRESC": "NEGATIVE", "LBDTC": _day(-1)},
            {"USUBJID": "S1", "LBTESTCD": "ADA", "LBSTRESC": "NEGATIVE", "LBDTC": _day(20)},
            {"USUBJID": "S1", "LBTESTCD": "ADA", "LBSTRESC": "POSITIVE", "LBDTC": _day(late_day)},
            {"USUBJID": "S2", "LBTESTCD": "ADA", "LBSTRESC": "NEGATIVE", "LBDTC": _day(-1)},
            {"USUBJID": "S2", "LBTESTCD": "ADA", "LBSTRESC": "NEGATIVE", "LBDTC": _day(20)},
        ]
        return write_study(tmp_path, **data)

    @pytest.mark.parametrize(("late_day", "peak", "incidence"), [(48, 14.93, 0.5), (49, 7.75, 0.0)])
    def test_day_48_is_in_day_49_is_out(self, tmp_path: Path, late_day: int, peak: float, incidence: float) -> None:
        """Window 48 days after the first dose: a sample on day 48 counts, on day 49 it does not."""
        window = {"after": "first_dose", "days": 48}
        doc = run_measures("t", [measure("cytokines", tests=["IL6"], window=window), measure("ada", window=window)],
                           self._lb(tmp_path, late_day))
        cyto, ada = doc["measures"]
        peak_row = next(r for r in cyto["results"] if r["parameter"] == "IL6:peak" and r["group"] == {"arm": "all"})
        inc = next(r for r in ada["results"] if r["parameter"] == "ada_incidence" and r["group"] == {"arm": "all"})
        assert (peak, incidence) == (peak_row["estimate"], inc["estimate"])
        if late_day == 49:
            assert any("after the window's end not used" in n for n in cyto["notes"])

    @pytest.mark.parametrize(("months_after", "negative"), [(0, 0.5), (1, 0.0)])
    def test_mrd_24_months(self, tmp_path: Path, months_after: int, negative: float) -> None:
        """MRD negative exactly 24 calendar months after the first dose counts; a day later it does not."""
        data = _base(tmp_path)
        last = add_months(D1, 24) + dt.timedelta(days=months_after)
        data["lb"] = [
            {"USUBJID": "S1", "LBTESTCD": "MRD", "LBSTRESN": 1.2, "LBDTC": _day(30)},
            {"USUBJID": "S1", "LBTESTCD": "MRD", "LBSTRESN": 0.05, "LBDTC": last.isoformat()},
            {"USUBJID": "S2", "LBTESTCD": "MRD", "LBSTRESN": 2.0, "LBDTC": _day(30)},
        ]
        doc = run_measures("t", [measure("mrd", window={"after": "first_dose", "months": 24})],
                           write_study(tmp_path, **data))
        assert negative == doc["measures"][0]["results"][0]["estimate"]


class TestDltWindow:
    @pytest.mark.parametrize(("ae_day", "counted"), [(39, True), (40, False)])
    def test_jk500_reading_four_weeks_after_the_last_dose(self, tmp_path: Path, ae_day: int, counted: bool) -> None:
        """Six doses on days 0–11; window = day 11 + 28 = day 39: a grade-4 related AE on day 39 counts, day 40 not."""
        data = _base(tmp_path, doses=(0, 2, 4, 7, 9, 11))
        data["ae"] = [{"USUBJID": "S1", "AETERM": "Neutropenia", "AESTDTC": _day(ae_day), "AETOXGR": "4",
                       "AEREL": "RELATED"}]
        doc = run_measures("t", [measure("dlt", window={"after": "last_dose", "days": 28})],
                           write_study(tmp_path, **data))
        rate = doc["measures"][0]["results"][0]
        assert (1 if counted else 0, 2) == (rate["count"], rate["n"])

    def test_issue_example_day_33_after_dose_6_counts(self, tmp_path: Path) -> None:
        """Study day 33 (21 days after the sixth dose on day 12): outside 'first dose + 28', inside the JK500 window."""
        data = _base(tmp_path, doses=(0, 2, 4, 7, 9, 11))
        data["ae"] = [{"USUBJID": "S1", "AETERM": "Sepsis", "AESTDTC": _day(32), "AETOXGR": "4", "AEREL": "RELATED"}]
        folder = write_study(tmp_path, **data)
        old = run_measures("t", [measure("dlt", window_days=28)], folder)
        new = run_measures("t", [measure("dlt", window={"after": "last_dose", "days": 28})], folder)
        assert (0, 1) == (old["measures"][0]["results"][0]["count"], new["measures"][0]["results"][0]["count"])

    def test_flag_wins_and_default_is_stated(self, tmp_path: Path) -> None:
        """With AEDLT the flag decides (a grade-2 flagged AE counts); without it the stated default is grade ≥ 3."""
        data = _base(tmp_path)
        data["ae"] = [{"USUBJID": "S1", "AETERM": "Rash", "AESTDTC": _day(3), "AETOXGR": "2", "AEREL": "RELATED",
                       "AEDLT": "Y"}]
        flagged = run_measures("t", [measure("dlt")], write_study(tmp_path / "a", **data))["measures"][0]
        for r in data["ae"]:
            del r["AEDLT"]
        default = run_measures("t", [measure("dlt")], write_study(tmp_path / "b", **data))["measures"][0]
        assert (1, 0) == (flagged["results"][0]["count"], default["results"][0]["count"])
        assert "stated default" in default["results"][0]["definition"]


class TestAeWindow:
    @pytest.mark.parametrize(("day", "counted"), [(730, 1), (731, 0)])
    def test_two_years_after_the_last_dose(self, tmp_path: Path, day: int, counted: int) -> None:
        data = _base(tmp_path)
        data["ae"] = [{"USUBJID": "S1", "AETERM": "Fatigue", "AESTDTC": _day(day), "AETOXGR": "1", "AEREL": "RELATED"}]
        doc = run_measures("t", [measure("ae", window={"after": "last_dose", "days": 730})], write_study(tmp_path, **data))
        assert counted == doc["measures"][0]["results"][0]["count"]


def test_show_prints_each_measures_window_and_conventions(capsys: pytest.CaptureFixture[str]) -> None:
    """`trialrules show` prints every measure's computation, window and parameters, and the outcome notes."""
    from trialrules import cli

    assert 0 == cli.main(["show", "jk500"])
    text = capsys.readouterr().out.split("Outcome measures", 1)[1]
    assert "window: up to 28 days after the subject's last dose" in text
    assert "window: up to 24 months after the subject's first dose" in text
    assert "computed as: AEDLT flag when the data carry it, else the stated default" in text
    assert text.count("computed as:") == text.count("  - ")
    assert "Note: Time frames are applied" in cli_text("cel001", capsys)


def cli_text(trial: str, capsys: pytest.CaptureFixture[str]) -> str:
    from trialrules import cli

    cli.main(["show", trial])
    return " ".join(capsys.readouterr().out.split())
