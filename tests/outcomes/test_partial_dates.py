"""ISO 8601 partial dates: parsing, admiral imputation, flags, and what OS/PFS do with them."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from trialrules.outcomes.dates import DTC, impute, parse_dtc
from trialrules.outcomes.measures import run_measures
from trialrules.outcomes.sdtm import read_study

from ._sdtm import measure, write_study


class TestParse:
    @pytest.mark.parametrize(
        ("text", "parts"),
        [
            ("2025-06-15", (2025, 6, 15)),
            ("2025-06-15T08:30:12.5", (2025, 6, 15)),
            ("2025-06-15T08", (2025, 6, 15)),
            ("2025-06", (2025, 6, None)),
            ("2025", (2025, None, None)),
            ("2025---15", (2025, None, 15)),  # SDTM: month unknown, day known
        ],
    )
    def test_forms(self, text: str, parts: tuple[int, int | None, int | None]) -> None:
        """Every SDTM form is read with the parts it has."""
        value = parse_dtc(text)
        assert isinstance(value, DTC)
        assert parts == (value.year, value.month, value.day)

    @pytest.mark.parametrize("text", ["03/01/2025", "2025-02-30", "2025-13", "25-06-01", "2025-06-15T25:00", "June 2025"])
    def test_not_iso(self, text: str) -> None:
        """Text that is not an ISO 8601 date is unusable (False), not missing (None)."""
        assert parse_dtc(text) is False

    def test_empty_is_missing(self) -> None:
        assert parse_dtc("  ") is None


class TestImpute:
    """admiral impute_dtc_dt(highest_imputation = "M"), date_imputation "first"/"last", min_dates."""

    @pytest.mark.parametrize(
        ("text", "rule", "expected", "flag"),
        [
            ("2025-06", "first", dt.date(2025, 6, 1), "D"),
            ("2025", "first", dt.date(2025, 1, 1), "M"),
            ("2025-06", "last", dt.date(2025, 6, 30), "D"),
            ("2024-02", "last", dt.date(2024, 2, 29), "D"),  # leap year
            ("2025-02", "last", dt.date(2025, 2, 28), "D"),
            ("2025", "last", dt.date(2025, 12, 31), "M"),
            ("2025-06-15", "first", dt.date(2025, 6, 15), ""),
        ],
    )
    def test_rules(self, text: str, rule: str, expected: dt.date, flag: str) -> None:
        value = parse_dtc(text)
        assert isinstance(value, DTC)
        when, got_flag = impute(value, rule)  # type: ignore[arg-type]
        assert (expected, flag) == (when.date(), got_flag)

    def test_min_date_inside_the_range_moves_the_date_up(self) -> None:
        """admiral min_dates: 2025-06 with a reference 2025-06-15 gives 2025-06-15."""
        value = parse_dtc("2025-06")
        assert isinstance(value, DTC)
        assert dt.date(2025, 6, 15) == impute(value, "first", dt.date(2025, 6, 15))[0].date()

    def test_min_date_outside_the_range_is_ignored(self) -> None:
        """A reference date after the month (2025-07-01) does not move 2025-06: both sides of the boundary."""
        value = parse_dtc("2025-06")
        assert isinstance(value, DTC)
        assert dt.date(2025, 6, 30) == impute(value, "first", dt.date(2025, 6, 30))[0].date()
        assert dt.date(2025, 6, 1) == impute(value, "first", dt.date(2025, 7, 1))[0].date()


def _os_study(folder: Path, dthdtc: str, ds_death: str | None = None) -> Path:
    dm = [
        {"STUDYID": "T", "USUBJID": "S1", "ARM": "A", "DTHDTC": dthdtc, "DTHFL": "Y" if dthdtc else ""},
        {"STUDYID": "T", "USUBJID": "S2", "ARM": "A", "DTHDTC": "", "DTHFL": ""},
    ]
    ex = [{"USUBJID": u, "EXSTDTC": "2025-01-10T09:00", "EXENDTC": "2025-01-10T10:00"} for u in ("S1", "S2")]
    rs = [
        {"USUBJID": "S1", "RSTESTCD": "OVRLRESP", "RSSTRESC": "SD", "RSDTC": "2025-06-12"},
        {"USUBJID": "S2", "RSTESTCD": "OVRLRESP", "RSSTRESC": "SD", "RSDTC": "2025-03-01"},
    ]
    ds = [{"USUBJID": "S1", "DSDECOD": "DEATH", "DSSTDTC": ds_death}] if ds_death else []
    return write_study(folder, dm=dm, ex=ex, rs=rs, **({"ds": ds} if ds else {}))


class TestPartialDeath:
    def test_partial_death_is_an_event_not_before_last_known_alive(self, tmp_path: Path) -> None:
        """DTHDTC 2025-06 with a visit on 2025-06-12: event on 2025-06-12 (day 154), flagged D."""
        doc = run_measures("t", [measure("os")], _os_study(tmp_path, "2025-06"))
        [os_] = doc["measures"]
        median = os_["results"][0]
        rec = {r["subject"]: r for r in median["records"]}["S1"]
        # 2025-01-10 → 2025-06-12 is 153 days; +1 (ADaM) = 154
        assert (True, "2025-06-12", 154, "D") == (rec["event"], rec["adt"], rec["days"], rec["adt_imputed"])
        assert 1 == median["events"]
        assert [("dm.csv", 1, "DTHDTC", "2025-06", "2025-06-12", "D")] == [
            (i["file"], i["row"], i["column"], i["text"], i["date"], i["flag"]) for i in os_["imputed_dates"]
        ]
        assert "partial date(s) imputed" in os_["note"]

    def test_partial_death_month_after_last_visit_is_first_of_month(self, tmp_path: Path) -> None:
        """Last known alive 2025-06-12 lies before 2025-07: the death is 2025-07-01."""
        doc = run_measures("t", [measure("os")], _os_study(tmp_path, "2025-07"))
        rec = {r["subject"]: r for r in doc["measures"][0]["results"][0]["records"]}["S1"]
        assert ("2025-07-01", 173) == (rec["adt"], rec["days"])

    def test_partial_ds_death_year_only(self, tmp_path: Path) -> None:
        """DS DEATH '2025' (month missing, flag M), no DTHDTC: last known alive 2025-06-12 is used."""
        doc = run_measures("t", [measure("os")], _os_study(tmp_path, "", ds_death="2025"))
        rec = {r["subject"]: r for r in doc["measures"][0]["results"][0]["records"]}["S1"]
        assert (True, "2025-06-12", "M") == (rec["event"], rec["adt"], rec["adt_imputed"])

    def test_death_year_before_last_known_alive_is_a_named_conflict(self, tmp_path: Path) -> None:
        """DTHDTC 2024 while the subject was seen in 2025: never before last known alive, and named."""
        doc = run_measures("t", [measure("os")], _os_study(tmp_path, "2024"))
        os_ = doc["measures"][0]
        rec = {r["subject"]: r for r in os_["results"][0]["records"]}["S1"]
        assert (True, "2025-06-12") == (rec["event"], rec["adt"])
        assert any("before the last date known alive" in p["reason"] for p in os_["unusable_records"])


class TestPartialExposure:
    def test_partial_exstdtc_is_imputed_and_the_subject_counted(self, tmp_path: Path) -> None:
        """EXSTDTC 2025-01 (first of month) keeps the subject in ORR's denominator, flagged."""
        folder = write_study(
            tmp_path,
            dm=[{"USUBJID": "S1", "ARM": "A"}],
            ex=[{"USUBJID": "S1", "EXSTDTC": "2025-01"}],
            rs=[{"USUBJID": "S1", "RSTESTCD": "OVRLRESP", "RSSTRESC": "PR", "RSDTC": "2025-03-01"},
                {"USUBJID": "S1", "RSTESTCD": "OVRLRESP", "RSSTRESC": "PR", "RSDTC": "2025-04-05"}],
        )
        study = read_study(folder)
        assert (dt.datetime(2025, 1, 1), "D") == (study.exposures[0].start, study.exposures[0].start_flag)
        doc = run_measures("t", [measure("orr")], folder)
        orr = doc["measures"][0]
        assert (1, 1.0) == (orr["results"][0]["n"], orr["results"][0]["estimate"])
        assert ["EXSTDTC"] == [i["column"] for i in orr["imputed_dates"]]

    def test_partial_ae_start_in_first_dose_month_is_the_first_dose_date(self, tmp_path: Path) -> None:
        """admiral ADAE: AESTDTC 2025-01 with first dose 2025-01-20 → 2025-01-20 (treatment-emergent)."""
        folder = write_study(
            tmp_path,
            dm=[{"USUBJID": "S1", "ARM": "A"}],
            ex=[{"USUBJID": "S1", "EXSTDTC": "2025-01-20"}],
            ae=[{"USUBJID": "S1", "AETERM": "Pyrexia", "AESTDTC": "2025-01", "AETOXGR": "3", "AEREL": "RELATED"}],
        )
        study = read_study(folder)
        assert dt.date(2025, 1, 20) == study.adverse_events[0].start
        doc = run_measures("t", [measure("ae")], folder)
        grade3 = next(r for r in doc["measures"][0]["results"] if r["parameter"] == "grade_3")
        assert 1 == grade3["count"]
