"""
Write each trial's example patients in three coding styles, the ways real feeds code the
same facts (issue 13), as FHIR R4 Bundles:

(a) ``icd-atc``: diagnoses in ICD-10-CM, drugs as ATC plus RxNorm ingredients, procedures in CPT;
(b) ``snomed-rxnorm``: diagnoses in SNOMED CT, drugs as RxNorm clinical drugs (SCD) only,
    given as MedicationRequest and MedicationAdministration, procedures in SNOMED CT
    (Synthea / US Core style);
(c) ``both``: every coding of (a) and (b) on every record.

Codes come from examples/codings.py; a code without a checked equivalent stays as it is.
Deterministic (the medication resource types rotate by position; no randomness is needed).

    python examples/coding_styles.py            # writes examples/fhir/snomed-rxnorm/*.json
"""

from __future__ import annotations

import copy
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import codings as c  # noqa: E402 - the examples folder is not a package
import generate_fhir  # noqa: E402

STYLES = ("icd-atc", "snomed-rxnorm", "both")
#: Medication resource types per style (generate_fhir._medication): (b) orders and administrations.
_MEDICATION_STYLES = {"icd-atc": (0, 1, 2, 3), "snomed-rxnorm": (3, 4), "both": (0, 1, 2, 3)}
_SCT_TO_ICD = {sct: icd for icd, (sct, _) in c.CONDITIONS.items()}
_ATC_TO_IN = {atc: rx for rx, (_, atc, _, _) in c.DRUGS.items()}
_SCD_TO_IN = {scd: rx for rx, (_, _, scd, _) in c.DRUGS.items()}
_SCT_TO_CPT = {sct: cpt for cpt, (sct, _) in c.PROCEDURES.items()}


def _coding(system: str, code: str, display: str | None) -> dict[str, Any]:
    out = {"system": system, "code": code}
    if display:
        out["display"] = display
    return out


def _condition_codes(codes: list[dict[str, Any]], style: str) -> list[dict[str, Any]]:
    icd: dict[str, dict[str, Any]] = {}
    sct: dict[str, dict[str, Any]] = {}
    other: list[dict[str, Any]] = []
    for k in codes:
        if k["system"] == c.ICD:
            icd[k["code"]] = k
            if k["code"] in c.CONDITIONS:
                code, display = c.CONDITIONS[k["code"]]
                sct.setdefault(code, _coding(c.SCT, code, display))
        elif k["system"] == c.SCT:
            sct[k["code"]] = k
            if k["code"] in _SCT_TO_ICD:
                icd.setdefault(_SCT_TO_ICD[k["code"]], _coding(c.ICD, _SCT_TO_ICD[k["code"]], None))
        else:
            other.append(k)
    return _pick(icd, sct, other, style, lambda k: k["system"] == c.SCT and k["code"] in _SCT_TO_ICD,
                 lambda k: k["system"] == c.ICD and k["code"] in c.CONDITIONS)


def _pick(first: dict[str, Any], second: dict[str, Any], other: list[dict[str, Any]], style: str,
          has_first: Any, has_second: Any) -> list[dict[str, Any]]:
    """Style (a) keeps the first system and any second-system code without an equivalent;
    (b) the reverse; (c) everything."""
    if style == "both":
        return [*first.values(), *second.values(), *other]
    if style == "icd-atc":
        return [*first.values(), *(k for k in second.values() if not has_first(k)), *other]
    return [*second.values(), *(k for k in first.values() if not has_second(k)), *other]


def _drug_codes(codes: list[dict[str, Any]], style: str) -> list[dict[str, Any]]:
    ingredients: set[str] = set()
    kept: list[dict[str, Any]] = []
    for k in codes:
        if k["system"] == c.RX and k["code"] in c.DRUGS:
            ingredients.add(k["code"])
        elif k["system"] == c.RX and k["code"] in _SCD_TO_IN:
            ingredients.add(_SCD_TO_IN[k["code"]])
        elif k["system"] == c.ATC and k["code"] in _ATC_TO_IN:
            ingredients.add(_ATC_TO_IN[k["code"]])
        else:
            kept.append(k)  # no checked equivalent: the feed keeps what it has
    out: list[dict[str, Any]] = []
    for rx in sorted(ingredients):
        name, atc, scd, scd_name = c.DRUGS[rx]
        if style in ("icd-atc", "both"):
            out += [_coding(c.ATC, atc, name), _coding(c.RX, rx, name)]
        if style in ("snomed-rxnorm", "both"):
            out.append(_coding(c.RX, scd, scd_name))
    return out + kept


def _procedure_codes(codes: list[dict[str, Any]], style: str) -> list[dict[str, Any]]:
    cpt: dict[str, dict[str, Any]] = {}
    sct: dict[str, dict[str, Any]] = {}
    other: list[dict[str, Any]] = []
    for k in codes:
        if k["system"] == c.CPT:
            cpt[k["code"]] = k
            if k["code"] in c.PROCEDURES:
                code, display = c.PROCEDURES[k["code"]]
                sct.setdefault(code, _coding(c.SCT, code, display))
        elif k["system"] == c.SCT:
            sct[k["code"]] = k
            if k["code"] in _SCT_TO_CPT:
                cpt.setdefault(_SCT_TO_CPT[k["code"]], _coding(c.CPT, _SCT_TO_CPT[k["code"]], None))
        else:
            other.append(k)
    return _pick(cpt, sct, other, style, lambda k: k["system"] == c.SCT and k["code"] in _SCT_TO_CPT,
                 lambda k: k["system"] == c.CPT and k["code"] in c.PROCEDURES)


def restyle(record: dict[str, Any], style: str) -> dict[str, Any]:
    """A native patient record with its diagnoses, drugs and procedures coded in ``style``."""
    out = copy.deepcopy(record)
    for item in out.get("conditions", []):
        item["codes"] = _condition_codes(item["codes"], style)
    for item in out.get("medications", []):
        item["codes"] = _drug_codes(item["codes"], style)
    for item in out.get("procedures", []):
        item["codes"] = _procedure_codes(item["codes"], style)
    return out


def styled_bundle(record: dict[str, Any], style: str) -> dict[str, Any]:
    """A FHIR Bundle of the record in ``style``."""
    return generate_fhir.bundle(restyle(record, style), _MEDICATION_STYLES[style])


def examples(root: Path = HERE / "patients") -> Iterator[tuple[str, Path]]:
    """(trial, path) of every native example patient."""
    for path in sorted(root.glob("*/*.json")):
        yield path.parent.name, path


def main() -> int:
    out = HERE / "fhir" / "snomed-rxnorm"
    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob("*.json"):
        old.unlink()
    n = 0
    for trial, path in examples():
        record = json.loads(path.read_text(encoding="utf-8"))
        target = out / f"{trial}-{path.stem}.json"
        target.write_text(json.dumps(styled_bundle(record, "snomed-rxnorm"), indent=1) + "\n", encoding="utf-8")
        n += 1
    print(f"wrote {n} Bundles coded SNOMED CT + RxNorm clinical drugs to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
