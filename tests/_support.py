"""Helpers for the core suite: tiny trials built inline, never the real plugins."""

from __future__ import annotations

import datetime as dt
import textwrap
from pathlib import Path
from typing import Any

from trialrules import Engine, hookimpl
from trialrules.language.converters import converter
from trialrules.language.models import PatientRecord

AS_OF = dt.date(2026, 1, 15)
LOINC = "http://loinc.org"


#: Independent reference results vendored with the tests (tests/refdata/README.md).
REFDATA = Path(__file__).resolve().parent / "refdata"


def write_trial(root: Path, criteria: dict[str, str], valuesets: str = "", trial_id: str = "mini") -> Path:
    """Write a rules directory: ``criteria`` maps 'inclusion/inc01_x' to YAML text."""
    rules = root / trial_id / "rules"
    (rules / "criteria" / "inclusion").mkdir(parents=True, exist_ok=True)
    (rules / "criteria" / "exclusion").mkdir(parents=True, exist_ok=True)
    (rules / "trial.yaml").write_text(f"id: {trial_id}\nversion: 1.0.0\ntitle: Mini trial\n", encoding="utf-8")
    if valuesets:
        (rules / "valuesets").mkdir(exist_ok=True)
        (rules / "valuesets" / "sets.yaml").write_text(textwrap.dedent(valuesets), encoding="utf-8")
    for name, text in criteria.items():
        (rules / "criteria" / f"{name}.yaml").write_text(textwrap.dedent(text), encoding="utf-8")
    return rules


class TrialPlugin:
    """A plugin object that registers the given rules directories."""

    def __init__(self, *dirs: Path) -> None:
        self.dirs = dirs

    @hookimpl
    def trialrules_register_trials(self, registry: Any) -> None:
        for d in self.dirs:
            registry.add_trial(d)


def engine_for(*dirs: Path) -> Engine:
    return Engine(plugins=[TrialPlugin(*dirs)], load_entrypoints=False)


def obs(oid: str, code: str, value: Any, date: str, high: Any = None, unit: str | None = None, **extra: Any) -> dict[str, Any]:
    """A native observation; a number with ``unit`` becomes a Quantity."""
    data: dict[str, Any] = {"id": oid, "code": {"system": LOINC, "code": code}, "date": date, **extra}
    data["value"] = {"value": value, "unit": unit} if unit is not None else value
    if high is not None:
        data["reference_range"] = {"high": {"value": high[0], "unit": high[1]}}
    return data


def patient(**fields: Any) -> PatientRecord:
    data = {"id": "p1", "birth_date": "1970-06-01", "sex": "female", **fields}
    return converter.structure(data, PatientRecord)

