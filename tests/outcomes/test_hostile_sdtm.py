"""Hostile SDTM input: no traceback, nothing dropped silently, strict JSON, safe output files."""

from __future__ import annotations

import json
import os
import random
import shutil
import time
from pathlib import Path

import pytest

from trialrules import cli
from trialrules.outcomes.measures import COMPUTATIONS, run_measures
from trialrules.outcomes.sdtm import read_study

from ._sdtm import write_study

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "sdtm"
ALL = [{"id": n, "title": n, "time_frame": "", "computation": n, "parameters": {}} for n in sorted(COMPUTATIONS)]


def _outcomes(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = cli.main(["outcomes", *argv])
    out, err = capsys.readouterr()
    return code, out, err


class TestValidation:
    @pytest.mark.parametrize("grade", ["nan", "inf", "-inf", "1e999", "Grade three", "2.5", "7", "0"])
    def test_bad_aetoxgr_is_named_and_the_ae_kept_ungraded(self, tmp_path: Path, grade: str) -> None:
        folder = write_study(tmp_path, dm=[{"USUBJID": "S1", "ARM": "A"}], ex=[{"USUBJID": "S1", "EXSTDTC": "2025-01-01"}],
                             ae=[{"USUBJID": "S1", "AETERM": "Rash", "AESTDTC": "2025-01-05", "AETOXGR": grade,
                                  "AEREL": "RELATED"}])
        ae = run_measures("t", [{"id": "ae", "title": "", "time_frame": "", "computation": "ae", "parameters": {}}],
                          folder)["measures"][0]
        rows = {r["parameter"]: r for r in ae["results"] if r["group"] == {"arm": "all"}}
        assert (1, 0) == (rows["any"]["count"], sum(rows[f"grade_{g}"]["count"] for g in range(1, 6)))
        assert [("ae.csv", 1, "AETOXGR")] == [(p["file"], p["row"], p["column"]) for p in ae["unusable_records"]]

    def test_duplicate_dm_rows_do_not_double_n(self, tmp_path: Path) -> None:
        folder = write_study(tmp_path, dm=[{"USUBJID": "S1", "ARM": "A"}, {"USUBJID": "S1", "ARM": "A"}],
                             ex=[{"USUBJID": "S1", "EXSTDTC": "2025-01-01"}],
                             rs=[{"USUBJID": "S1", "RSSTRESC": "SD", "RSDTC": "2025-03-01"}])
        orr = run_measures("t", [{"id": "orr", "title": "", "time_frame": "", "computation": "orr", "parameters": {}}],
                           folder)["measures"][0]
        assert [1, 1] == [r["n"] for r in orr["results"]]
        assert ["second DM row for this subject (row 1 used)"] == [p["reason"] for p in orr["unusable_records"]]

    def test_non_finite_concentration_is_named(self, tmp_path: Path) -> None:
        folder = write_study(tmp_path, pc=[{"USUBJID": "S1", "PCSTRESN": v, "PCELTM": f"PT{h}H"}
                                           for h, v in ((1, "4"), (2, "1e999"), (3, "nan"), (4, "1"))])
        study = read_study(folder)
        assert [2, 3] == [p.row for p in study.problems]
        assert [4.0, None, None, 1.0] == [c.value for c in study.concentrations]


class TestCli:
    def test_no_readable_domain_is_exit_1(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        (tmp_path / "dm.xpt").write_bytes(b"not a transport file")
        (tmp_path / "notes.txt").write_text("x")
        code, out, err = _outcomes(capsys, "cel001", "--data", str(tmp_path))
        assert (1, "") == (code, out)
        assert "dm.xpt" in err and "no SDTM domain could be read" in err and "Traceback" not in err

    def test_one_unreadable_domain_is_exit_1_with_the_document(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        shutil.copytree(EXAMPLES / "cel001", tmp_path / "d")
        data = (tmp_path / "d" / "ae.csv").read_bytes()
        (tmp_path / "d" / "ae.csv").write_bytes(data[:200] + b"\xff\xfe" + data[200:])
        code, out, err = _outcomes(capsys, "cel001", "--data", str(tmp_path / "d"))
        doc = json.loads(out)
        assert 1 == code
        assert "ae.csv" in err
        assert next(m for m in doc["measures"] if m["id"] == "ae")["note"].startswith("no data: ae.csv: cannot read")

    def test_strict_json_never_infinity(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        folder = write_study(tmp_path, dm=[{"USUBJID": "S1", "ARM": "A"}], ex=[{"USUBJID": "S1", "EXSTDTC": "2025-01-01"}],
                             lb=[{"USUBJID": "S1", "LBTESTCD": "IL6", "LBSTRESN": v, "LBDTC": d}
                                 for v, d in (("1e-320", "2024-12-31"), ("1e308", "2025-01-05"), ("1e999", "2025-01-06"))])
        code, out, _ = _outcomes(capsys, "cel001", "--data", str(folder))
        assert 0 == code
        json.loads(out, parse_constant=lambda c: pytest.fail(f"non-strict JSON constant {c}"))
        assert "Infinity" not in out and "NaN" not in out

    def test_out_naming_a_file_is_a_clean_error(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        target = tmp_path / "report"
        target.write_text("keep")
        code, _, err = _outcomes(capsys, "cel001", "--data", str(EXAMPLES / "cel001"), "--out", str(target))
        assert (2, "keep") == (code, target.read_text())
        assert "not a directory" in err

    def test_symlink_at_the_output_name_is_replaced_not_followed(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        outside = tmp_path / "outside.txt"
        outside.write_text("precious")
        out_dir = tmp_path / "out"
        out_dir.mkdir()
        os.symlink(outside, out_dir / "cel001-outcomes.json")
        code, _, _ = _outcomes(capsys, "cel001", "--data", str(EXAMPLES / "cel001"), "--out", str(out_dir))
        written = out_dir / "cel001-outcomes.json"
        assert (0, "precious", False) == (code, outside.read_text(), written.is_symlink())
        assert "cel001" == json.loads(written.read_text())["trial"]
        assert [written] == list(out_dir.iterdir())  # no temporary file left behind


def _mutate(rng: random.Random, text: str) -> str:
    """One hostile edit of a CSV: a cell replaced, a row cut, duplicated, truncated, or garbage bytes."""
    lines = text.splitlines(keepends=True)
    choice = rng.randrange(7)
    if choice == 0 and len(lines) > 1:
        i = rng.randrange(1, len(lines))
        cells = lines[i].rstrip("\n").split(",")
        cells[rng.randrange(len(cells))] = rng.choice(["nan", "inf", "-1e999", "03/01/2025", "2025-13-45", "2025",
                                                      "2025-06", "", "﻿", "x" * 5000, "\"", "1" * 400, "\x00",
                                                      "PT-3H", "-0", "Grade 9", "2025---15"])
        lines[i] = ",".join(cells) + "\n"
    elif choice == 1 and len(lines) > 2:
        del lines[rng.randrange(1, len(lines))]
    elif choice == 2 and len(lines) > 1:
        lines.insert(rng.randrange(1, len(lines)), lines[rng.randrange(1, len(lines))])
    elif choice == 3:
        return text[: rng.randrange(len(text) + 1)]
    elif choice == 4 and lines:
        lines[0] = lines[0].replace(rng.choice(lines[0].split(",")), "", 1)
    elif choice == 5 and len(lines) > 1:
        lines[rng.randrange(1, len(lines))] += ",extra,fields"
    else:
        pos = rng.randrange(len(text) + 1)
        return text[:pos] + "".join(chr(rng.randrange(0, 0x2FF)) for _ in range(rng.randrange(1, 20))) + text[pos:]
    return "".join(lines)


def test_seeded_fuzz_of_sdtm_folders(tmp_path: Path) -> None:
    """Up to 300 mutated copies of the CEL001 study (20 s budget): every run finishes and no measure fails."""
    rng = random.Random(20261129)
    sources = {p.name: p.read_text(encoding="utf-8") for p in (EXAMPLES / "cel001").glob("*.csv")}
    started = time.monotonic()
    runs = 0
    for k in range(300):
        folder = tmp_path / f"f{k}"
        folder.mkdir()
        for name, text in sources.items():
            for _ in range(rng.choice([0, 0, 1, 3])):
                text = _mutate(rng, text)
            (folder / name).write_text(text, encoding="utf-8", errors="surrogateescape")
        doc = run_measures("cel001", ALL, folder)
        json.dumps(doc, allow_nan=False, default=str)  # strict JSON after the CLI's finite() pass is checked above
        for m in doc["measures"]:
            assert "computation failed" not in (m.get("note") or ""), (k, m["id"], m.get("note"))
        runs += 1
        shutil.rmtree(folder)
        if time.monotonic() - started > 20:
            break
    assert runs >= 50, runs
    print(f"fuzz: {runs} mutated SDTM folders")


def test_seeded_fuzz_of_xpt_bytes(tmp_path: Path) -> None:
    """Mutated v5/v8 transport files (flipped bytes, cuts, repeated records): read or refused, never a traceback."""
    pd = pytest.importorskip("pandas")
    pyreadstat = pytest.importorskip("pyreadstat")
    df = pd.DataFrame({"USUBJID": ["S1", "S2", "", "S4"], "ARM": ["A", "B", "", "A"], "AGE": [50.0, None, 3.0, 70.5]})
    seeds = []
    for version in (5, 8):
        path = tmp_path / f"seed{version}.xpt"
        pyreadstat.write_xport(df, str(path), file_format_version=version, table_name="DM")
        seeds.append(path.read_bytes())
    rng = random.Random(1129)
    started, runs, refused = time.monotonic(), 0, 0
    folder = tmp_path / "study"
    folder.mkdir()
    while time.monotonic() - started < 5 and runs < 2000:
        data = bytearray(rng.choice(seeds))
        for _ in range(rng.randint(1, 4)):
            op, pos = rng.randrange(4), rng.randrange(len(data))
            if op == 0:
                data[pos] = rng.randrange(256)
            elif op == 1:
                del data[pos:]
            elif op == 2:
                data[pos:pos] = data[(pos // 80) * 80 : (pos // 80) * 80 + 80]
            else:
                data[pos : pos + 6] = rng.choice([b"009999", b"000000", b"-00001", b"\xff\xff\xff\xff\xff\xff"])
        (folder / "dm.xpt").write_bytes(bytes(data))
        study = read_study(folder)
        refused += bool(study.problems and study.problems[0].row is None)
        runs += 1
    assert runs >= 100 and 0 < refused < runs
