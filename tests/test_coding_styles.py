"""Coding invariance (issue 13): every example patient, coded the three ways real feeds code
it (ICD-10-CM + ATC + RxNorm ingredients; SNOMED CT + RxNorm clinical drugs as orders and
administrations; both), screens to the same verdict and the same result for every criterion.
Also: unrelated common records (hypertension, type 2 diabetes, metformin, a statin,
paracetamol, an influenza vaccine, an appendectomy decades ago) change no verdict."""

from __future__ import annotations

import datetime as dt
import importlib.util
import json
import sys
from pathlib import Path
from typing import Any

import pytest

import trialrules

REPO = Path(__file__).resolve().parents[1]
AS_OF = dt.date(2026, 1, 15)


def _load(name: str) -> Any:
    sys.path.insert(0, str(REPO / "examples"))
    spec = importlib.util.spec_from_file_location(name, REPO / "examples" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


styles = _load("coding_styles")
EXAMPLES = list(styles.examples())


@pytest.fixture(scope="module")
def engine() -> Any:
    return trialrules.Engine()


def _as_of(trial: str, record: dict[str, Any]) -> dt.date:
    return dt.date.fromisoformat(record["as_of"]) if record.get("as_of") else AS_OF


def _results(engine: Any, bundle: dict[str, Any], trial: str, as_of: dt.date, tmp_path: Path) -> tuple[str, dict[str, str]]:
    path = tmp_path / "bundle.json"
    path.write_text(json.dumps(bundle), encoding="utf-8")
    (result,) = engine.screen(list(trialrules.read_patients(str(path))), trials=[trial], as_of=as_of)
    flat: dict[str, str] = {}

    def walk(criteria: list[dict[str, Any]]) -> None:
        for c in criteria:
            flat[c["id"]] = c["result"]
            walk(c.get("criteria", []))

    data = result.to_dict()
    walk(data["criteria"])
    return data["verdict"], flat


@pytest.mark.parametrize(("trial", "path"), EXAMPLES, ids=[f"{t}/{p.stem}" for t, p in EXAMPLES])
def test_same_results_in_every_coding_style(trial: str, path: Path, engine: Any, tmp_path: Path) -> None:
    """The verdict and every criterion's result are the same whichever way the record is coded."""
    if engine.installed.resolve_trial(trial) is None:
        pytest.skip(f"trial {trial} is not installed")
    record = json.loads(path.read_text(encoding="utf-8"))
    as_of = _as_of(trial, record)
    got = {s: _results(engine, styles.styled_bundle(record, s), trial, as_of, tmp_path) for s in styles.STYLES}

    differing = {cid: {s: got[s][1].get(cid) for s in styles.STYLES}
                 for cid in got["both"][1] if len({got[s][1].get(cid) for s in styles.STYLES}) > 1}
    assert {} == differing
    assert 1 == len({got[s][0] for s in styles.STYLES})


def _negative_space(record: dict[str, Any], as_of: dt.date, style: str) -> dict[str, Any]:
    """The record plus unrelated common records, coded in ``style`` (real codes: SNOMED CT as
    Synthea codes them and their ICD-10-CM counterparts; RxNorm clinical drugs of VSAC value
    sets; CVX 140; SNOMED CT 80146002 appendectomy)."""
    out = json.loads(json.dumps(record))
    year = as_of.year
    snomed = style != "icd-atc"
    icd = style != "snomed-rxnorm"

    def codes(*pairs: tuple[bool, str, str, str]) -> list[dict[str, str]]:
        return [{"system": s, "code": c, "display": d} for ok, s, c, d in pairs if ok]

    out.setdefault("conditions", []).extend([
        {"id": "ns-htn", "codes": codes((snomed, "http://snomed.info/sct", "59621000", "Essential hypertension"),
                                        (icd, "http://hl7.org/fhir/sid/icd-10-cm", "I10", "Essential (primary) hypertension")),
         "clinical_status": "active", "verification_status": "confirmed", "onset": "2010-01-01"},
        {"id": "ns-t2dm", "codes": codes((snomed, "http://snomed.info/sct", "44054006", "Diabetes mellitus type 2"),
                                         (icd, "http://hl7.org/fhir/sid/icd-10-cm", "E11.9", "Type 2 diabetes mellitus without complications")),
         "clinical_status": "active", "verification_status": "confirmed", "onset": "2012-01-01"},
    ])
    rx = "http://www.nlm.nih.gov/research/umls/rxnorm"
    atc = "http://www.whocc.no/atc"
    out.setdefault("medications", []).extend([
        {"id": "ns-metformin", "status": "active", "start": "2012-01-01", "codes": codes(
            (snomed, rx, "1243846", "24 HR metformin hydrochloride 500 MG / sitagliptin 50 MG Extended Release Oral Tablet"),
            (icd, rx, "6809", "metformin"), (icd, atc, "A10BA02", "metformin"))},
        {"id": "ns-statin", "status": "active", "start": "2015-01-01", "codes": codes(
            (snomed, rx, "617310", "atorvastatin 20 MG Oral Tablet"), (icd, rx, "83367", "atorvastatin"),
            (icd, atc, "C10AA05", "atorvastatin"))},
        {"id": "ns-paracetamol", "status": "completed", "start": f"{year}-01-02", "end": f"{year}-01-05", "codes": codes(
            (snomed, rx, "1049214", "acetaminophen 325 MG / oxycodone hydrochloride 10 MG Oral Tablet"),
            (icd, rx, "161", "acetaminophen"), (icd, atc, "N02BE01", "paracetamol"))},
    ])
    out.setdefault("immunizations", []).append(
        {"id": "ns-flu", "codes": [{"system": "http://hl7.org/fhir/sid/cvx", "code": "140",
                                    "display": "Influenza, seasonal, injectable, preservative free"}],
         "date": f"{year - 1}-10-15", "status": "completed"})
    out.setdefault("procedures", []).append(
        {"id": "ns-appendectomy", "codes": codes((True, "http://snomed.info/sct", "80146002", "Appendectomy"),
                                                 (icd, "http://www.ama-assn.org/go/cpt", "44950", "Appendectomy")),
         "date": "1995-05-01", "status": "completed"})
    return out


@pytest.mark.parametrize("style", ["icd-atc", "snomed-rxnorm"])
@pytest.mark.parametrize(("trial", "path"), EXAMPLES, ids=[f"{t}/{p.stem}" for t, p in EXAMPLES])
def test_unrelated_common_records_change_nothing(trial: str, path: Path, style: str, engine: Any, tmp_path: Path) -> None:
    """Hypertension, type 2 diabetes, metformin, a statin, paracetamol, an influenza vaccine and
    an appendectomy decades ago leave the verdict and every criterion as they were."""
    if engine.installed.resolve_trial(trial) is None:
        pytest.skip(f"trial {trial} is not installed")
    record = json.loads(path.read_text(encoding="utf-8"))
    as_of = _as_of(trial, record)
    before = _results(engine, styles.styled_bundle(record, style), trial, as_of, tmp_path)
    after = _results(engine, styles.styled_bundle(_negative_space(record, as_of, style), style), trial, as_of, tmp_path)

    changed = {cid: (before[1][cid], after[1].get(cid)) for cid in before[1] if before[1][cid] != after[1].get(cid)}
    assert {} == changed
    assert before[0] == after[0]
