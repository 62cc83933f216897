"""SAS transport v5/v8 and Dataset-JSON v1.1: files written by independent writers read like the CSV study."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import pytest

from trialrules.outcomes.measures import COMPUTATIONS, run_measures
from trialrules.outcomes.xpt import XPTError, read_xpt_members

pd = pytest.importorskip("pandas")
pyreadstat = pytest.importorskip("pyreadstat")

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "sdtm"
NAMES = sorted(COMPUTATIONS)


def _frame(path: Path):  # type: ignore[no-untyped-def]
    """A CSV as a DataFrame: columns whose every value is a number (or blank) numeric, the rest text."""
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    for col in df.columns:
        values = [v for v in df[col] if v != ""]
        try:
            [float(v) for v in values]
        except ValueError:
            continue
        if values:
            df[col] = [float(v) if v != "" else float("nan") for v in df[col]]
    return df


def _measures(doc: dict) -> list:  # type: ignore[type-arg]
    return doc["measures"]


@pytest.mark.parametrize("trial", ["cel001", "jk500"])
@pytest.mark.parametrize("version", [5, 8])
def test_xpt_study_equals_csv_study(tmp_path: Path, trial: str, version: int) -> None:
    """pyreadstat's XPT v5 and v8 (its default) give the outcome document of the CSV study."""
    for csv_path in (EXAMPLES / trial).glob("*.csv"):
        pyreadstat.write_xport(_frame(csv_path), str(tmp_path / f"{csv_path.stem}.xpt"),
                               file_format_version=version, table_name=csv_path.stem.upper())
    measures = [{"id": n, "title": n, "time_frame": "", "computation": n, "parameters": {}} for n in NAMES]

    from_xpt = run_measures(trial, measures, tmp_path)
    from_csv = run_measures(trial, measures, EXAMPLES / trial)

    assert _measures(from_csv) == _measures(from_xpt)
    assert sorted(from_xpt["input"]["files"].values()) == sorted(f"{d}.xpt" for d in from_csv["input"]["files"])


def _dataset_json(csv_path: Path, out: Path) -> None:
    """Write a CSV as Dataset-JSON v1.1 (numbers as numbers; blanks as null in numeric columns)."""
    df = _frame(csv_path)
    columns, rows = [], []
    for col in df.columns:
        numeric = df[col].dtype.kind == "f"
        columns.append({"itemOID": f"IT.{csv_path.stem.upper()}.{col}", "name": col, "label": col,
                        "dataType": "double" if numeric else "string"})
    for rec in df.itertuples(index=False):
        rows.append([None if isinstance(v, float) and v != v else v for v in rec])
    doc = {"datasetJSONCreationDateTime": "2026-01-01T00:00:00", "datasetJSONVersion": "1.1.0",
           "itemGroupOID": f"IG.{csv_path.stem.upper()}", "records": len(rows), "name": csv_path.stem.upper(),
           "label": csv_path.stem, "columns": columns, "rows": rows}
    out.write_text(json.dumps(doc), encoding="utf-8")


@pytest.mark.parametrize("trial", ["cel001", "jk500"])
def test_dataset_json_study_equals_csv_study(tmp_path: Path, trial: str) -> None:
    """A Dataset-JSON v1.1 study gives the outcome document of the CSV study it was written from."""
    for csv_path in (EXAMPLES / trial).glob("*.csv"):
        _dataset_json(csv_path, tmp_path / f"{csv_path.stem}.json")
    measures = [{"id": n, "title": n, "time_frame": "", "computation": n, "parameters": {}} for n in NAMES]

    assert _measures(run_measures(trial, measures, EXAMPLES / trial)) == _measures(run_measures(trial, measures, tmp_path))


def test_dataset_json_short_row_is_named(tmp_path: Path) -> None:
    """A row with fewer values than columns is a named unusable record, the others are read."""
    doc = {"datasetJSONVersion": "1.1.0", "name": "DM", "records": 2,
           "columns": [{"itemOID": "IT.USUBJID", "name": "USUBJID", "dataType": "string"},
                       {"itemOID": "IT.ARM", "name": "ARM", "dataType": "string"}],
           "rows": [["S1", "A"], ["S2"]]}
    (tmp_path / "dm.json").write_text(json.dumps(doc), encoding="utf-8")
    from trialrules.outcomes.sdtm import read_study

    study = read_study(tmp_path)
    assert ["S1"] == [s.usubjid for s in study.subjects]
    assert [("dm.json", 2)] == [(p.file, p.row) for p in study.problems]


class TestXPT:
    def test_v8_long_names_labels_utf8_and_blank_rows(self, tmp_path: Path) -> None:
        """v8: 32-character names, labels > 40 characters, UTF-8 text, an all-blank row in the middle."""
        df = pd.DataFrame({"USUBJID": ["S1", "", "S3", "S4"],
                           "SITE_NAME_LONGER_THAN_EIGHT": ["Café Zürich", "", "Ärztehaus", "x"]})
        label = "A label well over forty characters long, as SAS v8 allows"
        pyreadstat.write_xport(df, str(tmp_path / "dm.xpt"), file_format_version=8, table_name="DM",
                               column_labels=["Unique Subject Identifier", label])

        [member] = read_xpt_members(tmp_path / "dm.xpt")

        assert ("DM", 8, "utf-8") == (member.name, member.version, member.encoding)
        assert ("USUBJID", "SITE_NAME_LONGER_THAN_EIGHT") == member.columns
        assert label == member.labels["SITE_NAME_LONGER_THAN_EIGHT"]
        assert ["Café Zürich", "", "Ärztehaus", "x"] == [r["SITE_NAME_LONGER_THAN_EIGHT"] for r in member.rows]

    def test_v5_blank_row_inside_the_data_is_a_row(self, tmp_path: Path) -> None:
        """v5 has no row count: a blank row followed by data is read (4 of 4 rows)."""
        df = pd.DataFrame({"USUBJID": ["S1", "", "", "S4"], "ARM": ["A", "", "", "B"]})
        pyreadstat.write_xport(df, str(tmp_path / "dm.xpt"), file_format_version=5, table_name="DM")

        [member] = read_xpt_members(tmp_path / "dm.xpt")

        assert ["S1", "", "", "S4"] == [r["USUBJID"] for r in member.rows]

    def test_latin1_text_detected(self, tmp_path: Path) -> None:
        """Bytes that are not UTF-8 are read as Windows-1252 (SAS WLATIN1)."""
        df = pd.DataFrame({"USUBJID": ["S1"], "AETERM": ["Caf\u00e9"]})
        pyreadstat.write_xport(df, str(tmp_path / "ae.xpt"), file_format_version=5, table_name="AE")
        data = (tmp_path / "ae.xpt").read_bytes().replace("Café".encode(), "Café".encode("cp1252") + b" ")
        (tmp_path / "ae.xpt").write_bytes(data)

        [member] = read_xpt_members(tmp_path / "ae.xpt")

        assert ("cp1252", "Café") == (member.encoding, member.rows[0]["AETERM"])

    def test_several_members(self, tmp_path: Path) -> None:
        """Every member of a file is read; the SDTM reader takes the one named like the domain."""
        one, two = tmp_path / "a.xpt", tmp_path / "b.xpt"
        pyreadstat.write_xport(pd.DataFrame({"USUBJID": ["S9"], "ARM": ["Z"]}), str(one), table_name="SUPPDM",
                               file_format_version=5)
        pyreadstat.write_xport(pd.DataFrame({"USUBJID": ["S1", "S2"], "ARM": ["A", "B"]}), str(two), table_name="DM",
                               file_format_version=5)
        both = one.read_bytes() + two.read_bytes()[3 * 80:]  # second library header dropped: one file, two members
        folder = tmp_path / "study"
        folder.mkdir()
        (folder / "dm.xpt").write_bytes(both)

        members = read_xpt_members(folder / "dm.xpt")
        from trialrules.outcomes.sdtm import read_study

        assert ["SUPPDM", "DM"] == [m.name for m in members]
        assert ["S1", "S2"] == [s.usubjid for s in read_study(folder).subjects]

    @pytest.mark.parametrize(
        ("mutate", "message"),
        [
            (lambda d: d[: 8 * 80 + 50], "truncated"),  # cut inside the namestrs
            (lambda d: d[: 9 * 80], "NAMESTR header says"),  # cut at a record boundary inside the namestrs
            (lambda d: d[:7 * 80 + 52] + b"009999" + d[7 * 80 + 58:], "9999 variables"),
            (lambda d: d[:8 * 80 + 4] + b"\x00\x00" + d[8 * 80 + 6:], "length 0"),
        ],
    )
    def test_broken_structure_is_an_error_not_a_traceback(self, tmp_path: Path, mutate, message: str) -> None:  # type: ignore[no-untyped-def]
        """Truncated NAMESTR region, NAMESTR count 9999, a variable of length 0: XPTError naming it."""
        pyreadstat.write_xport(pd.DataFrame({"USUBJID": ["S1"], "ARM": ["A"]}), str(tmp_path / "dm.xpt"),
                               file_format_version=5, table_name="DM")
        path = tmp_path / "dm.xpt"
        path.write_bytes(mutate(path.read_bytes()))

        with pytest.raises(XPTError, match=message):
            read_xpt_members(path)


def test_examples_unchanged_by_copy(tmp_path: Path) -> None:
    """Sanity: copying the CSV folder gives the same document (the comparisons above are meaningful)."""
    shutil.copytree(EXAMPLES / "cel001", tmp_path / "c")
    measures = [{"id": "orr", "title": "", "time_frame": "", "computation": "orr", "parameters": {}}]
    assert _measures(run_measures("c", measures, EXAMPLES / "cel001")) == _measures(run_measures("c", measures, tmp_path / "c"))
    assert csv  # imported for readers of this file: the CSV module is the reference format


def test_cut_xpt_is_an_error_or_named(tmp_path: Path) -> None:
    """
    dm.xpt cut mid-record is refused; cut at a record boundary (4 of 12 subjects gone: v5 has no row
    count, so the file alone cannot tell) the subjects that EX still has are named as lacking a DM row.
    """
    df = pd.DataFrame({"USUBJID": [f"SUBJ-{k:03d}" for k in range(12)], "ARM": ["Dose group 1"] * 12})
    pyreadstat.write_xport(df, str(tmp_path / "dm.xpt"), file_format_version=5, table_name="DM")
    data = (tmp_path / "dm.xpt").read_bytes()
    (tmp_path / "dm.xpt").write_bytes(data[: 80 * 15 + 37])
    with pytest.raises(XPTError, match="truncated"):
        read_xpt_members(tmp_path / "dm.xpt")

    (tmp_path / "dm.xpt").write_bytes(data[: 80 * 15])
    with (tmp_path / "ex.csv").open("w", encoding="utf-8") as fh:
        fh.write("USUBJID,EXSTDTC\n" + "".join(f"SUBJ-{k:03d},2025-01-0{1 + k % 9}\n" for k in range(12)))
    from trialrules.outcomes.sdtm import read_study

    study = read_study(tmp_path)
    assert 8 == len(study.subjects)
    assert [f"SUBJ-{k:03d}" for k in range(8, 12)] == [p.usubjid for p in study.problems]
    assert {"no DM row for this subject"} == {p.reason for p in study.problems}
