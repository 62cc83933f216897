"""SDTM reading, ISO 8601 parsing and the SAS transport v5 reader."""

from __future__ import annotations

import datetime as dt
import struct
from pathlib import Path

import pytest

from trialrules.outcomes.dates import parse_date, parse_datetime, parse_duration_hours
from trialrules.outcomes.sdtm import SDTMError, read_study
from trialrules.outcomes.xpt import (
    XPTError,
    float_to_ibm,
    ibm_to_float,
    read_xpt,
    write_xpt,
)

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "sdtm"


def _write(path: Path, text: str) -> None:
    path.write_text(text, encoding="utf-8")


class TestReader:
    def test_missing_column_names_file_and_column(self, tmp_path: Path) -> None:
        """A file lacking a required column is a file-level problem naming both; its domain is absent."""
        _write(tmp_path / "dm.csv", "USUBJID,ARM\nS1,A\n")
        _write(tmp_path / "ex.csv", "USUBJID,EXTRT\nS1,X\n")

        study = read_study(tmp_path)

        assert {"dm"} == set(study.domains)
        [problem] = study.problems
        assert ("ex", "ex.csv", None) == (problem.domain, problem.file, problem.row)
        assert "EXSTDTC" in problem.describe() and "ex.csv" in problem.describe()

    def test_pc_needs_a_time_column(self, tmp_path: Path) -> None:
        """PC without PCDTC and PCELTM is reported as such."""
        _write(tmp_path / "pc.csv", "USUBJID,PCSTRESN\nS1,1\n")

        [problem] = read_study(tmp_path).problems

        assert "PCDTC or PCELTM" in problem.reason

    def test_column_names_any_case_and_optional_domains(self, tmp_path: Path) -> None:
        """Lower-case headers are accepted and absent domains are simply empty."""
        _write(tmp_path / "DM.csv", "usubjid,arm,dthdtc\nS1,A,2025-02\nS2,B,2025-03-04\n")
        _write(tmp_path / "ex.csv", "usubjid,exstdtc\nS1,2025-01-02T08:30\nS1,2025-01-01T09:00:15\n")

        study = read_study(tmp_path)

        assert {"dm", "ex"} == set(study.domains)
        assert ["A", "B"] == study.arms()
        # partial death date: imputed, not before the last date known alive (EX 2025-01-02)
        assert (dt.date(2025, 2, 1), "D") == (study.subjects[0].dthdtc, study.subjects[0].dth_flag)
        assert (dt.date(2025, 3, 4), "") == (study.subjects[1].dthdtc, study.subjects[1].dth_flag)
        assert dt.datetime(2025, 1, 1, 9, 0, 15) == study.first_dose()["S1"]
        assert () == study.adverse_events

    def test_blq_text_becomes_zero(self, tmp_path: Path) -> None:
        """A '<LLOQ' PCSTRESC with empty PCSTRESN is BLQ, coded 0 (PKNCA)."""
        _write(tmp_path / "pc.csv", "USUBJID,PCSTRESN,PCSTRESC,PCLLOQ,PCELTM\nS1,,<1.0,1,PT0H\nS1,5,5,1,PT2H\n")

        pcs = read_study(tmp_path).concentrations

        assert [(0.0, True, 0.0), (5.0, False, 2.0)] == [(c.value, c.blq, c.eltm_hours) for c in pcs]

    def test_not_a_directory(self, tmp_path: Path) -> None:
        """A missing directory is an SDTMError with .file set."""
        with pytest.raises(SDTMError) as info:
            read_study(tmp_path / "nope")

        assert tmp_path / "nope" == info.value.file

    def test_examples_read(self) -> None:
        """The generated example studies read cleanly."""
        cel = read_study(EXAMPLES / "cel001")
        jk = read_study(EXAMPLES / "jk500")

        assert ["Dose group 1", "Dose group 2", "Dose group 3"] == cel.arms()
        assert [1, 6, 6] == [sum(s.arm == a for s in cel.subjects) for a in cel.arms()]
        assert 9 == len(jk.subjects)


class TestDates:
    @pytest.mark.parametrize(
        "text,expected",
        [
            ("2025-03-01", dt.datetime(2025, 3, 1)),
            ("2025-03-01T08:30", dt.datetime(2025, 3, 1, 8, 30)),
            ("2025-03-01T08:30:05", dt.datetime(2025, 3, 1, 8, 30, 5)),
            ("2025-03-01T08:30:05.5", dt.datetime(2025, 3, 1, 8, 30, 5, 500000)),
            ("2025-03", None),
            ("2025", None),
            ("", None),
            ("2025-02-30", None),
        ],
    )
    def test_parse_datetime(self, text: str, expected: dt.datetime | None) -> None:
        """Complete dates/datetimes parse; partial or invalid ones are None."""
        assert expected == parse_datetime(text)

    @pytest.mark.parametrize(
        "text,hours",
        [("PT2H", 2.0), ("P1D", 24.0), ("PT30M", 0.5), ("P1DT12H", 36.0), ("-PT15M", -0.25), ("P2W", 336.0), ("X", None)],
    )
    def test_duration(self, text: str, hours: float | None) -> None:
        """ISO 8601 durations (PCELTM) convert to hours."""
        assert hours == parse_duration_hours(text)

    def test_parse_date(self) -> None:
        """The date part of a datetime."""
        assert dt.date(2024, 2, 29) == parse_date("2024-02-29T23:59")


class TestXPT:
    @pytest.mark.parametrize(
        "value,raw",
        [
            (1.0, "4110000000000000"),
            (-118.625, "C276A00000000000"),  # the classic IBM hexadecimal float example
            (0.0, "0000000000000000"),
            (100.0, "4264000000000000"),
            (0.5, "4080000000000000"),
        ],
    )
    def test_ibm_known_encodings(self, value: float, raw: str) -> None:
        """Known IBM-370 bit patterns decode to their values and back."""
        assert value == ibm_to_float(bytes.fromhex(raw))
        assert raw == float_to_ibm(value).hex().upper()

    def test_missing_value(self) -> None:
        """SAS missing '.' and '.A' decode to None."""
        assert None is ibm_to_float(b".\x00\x00\x00\x00\x00\x00\x00")
        assert None is ibm_to_float(b"A\x00\x00\x00\x00\x00\x00\x00")

    def test_round_trip(self, tmp_path: Path) -> None:
        """A written transport file reads back with names, strings and numbers."""
        rows = [
            {"USUBJID": "S-001", "AGE": 34.0, "ARM": "Dose group 1", "WT": 70.25},
            {"USUBJID": "S-002", "AGE": None, "ARM": "B", "WT": 0.1},
        ]
        write_xpt(tmp_path / "dm.xpt", "DM", ["USUBJID", "AGE", "ARM", "WT"], rows)

        cols, back = read_xpt(tmp_path / "dm.xpt")

        assert ["USUBJID", "AGE", "ARM", "WT"] == cols
        assert rows == back

    def test_byte_layout(self, tmp_path: Path) -> None:
        """Headers sit on 80-byte boundaries as TS-140 lays them out."""
        write_xpt(tmp_path / "x.xpt", "X", ["A"], [{"A": 1.0}])
        data = (tmp_path / "x.xpt").read_bytes()

        assert 0 == len(data) % 80
        assert data[:80].startswith(b"HEADER RECORD*******LIBRARY HEADER RECORD!!!!!!!")
        assert data[240:320].startswith(b"HEADER RECORD*******MEMBER  HEADER RECORD!!!!!!!")
        assert b"0140" == data[240 + 74 : 240 + 78]  # namestr length, columns 75-78
        obs = data.index(b"HEADER RECORD*******OBS     HEADER RECORD")
        assert bytes.fromhex("4110000000000000") == data[obs + 80 : obs + 88]
        # namestr: type 1 (numeric), length 8, position 0
        ns = data.index(b"HEADER RECORD*******NAMESTR") + 80
        assert (1, 0, 8, 1) == struct.unpack(">hhhh", data[ns : ns + 8])

    def test_study_from_xpt(self, tmp_path: Path) -> None:
        """read_study accepts .xpt domains alongside .csv."""
        write_xpt(tmp_path / "dm.xpt", "DM", ["USUBJID", "ARM"], [{"USUBJID": "S1", "ARM": "A"}])
        write_xpt(tmp_path / "ex.xpt", "EX", ["USUBJID", "EXSTDTC", "EXDOSE"],
                  [{"USUBJID": "S1", "EXSTDTC": "2025-01-01", "EXDOSE": 5.0}])

        study = read_study(tmp_path)

        assert ["A"] == study.arms()
        assert 5.0 == study.exposures[0].dose

    def test_not_xpt(self, tmp_path: Path) -> None:
        """Garbage is rejected with XPTError."""
        (tmp_path / "a.xpt").write_bytes(b"hello")

        with pytest.raises(XPTError):
            read_xpt(tmp_path / "a.xpt")
