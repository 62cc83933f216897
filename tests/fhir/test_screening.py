"""End to end: each native example and its FHIR Bundle screen to the same results.

Every criterion's result and reason must agree, so the FHIR path loses nothing
the engine uses. Skipped when the engine is not importable.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from tests.fhir.conftest import REPO

trialrules = pytest.importorskip("trialrules")
if not hasattr(trialrules, "Engine"):
    pytest.skip("the engine is not built yet", allow_module_level=True)

NATIVES = sorted((REPO / "examples" / "patients").glob("*/*.json"))


# The generator sends native medications as MedicationStatement, MedicationAdministration
# or MedicationRequest in turn; evidence names the type the Bundle used, which a native
# record without ``source`` cannot know.
_MEDICATION_TYPE = re.compile(r"Medication(?:Statement|Administration|Request)/")


def _flat(result: dict[str, Any]) -> tuple[str, dict[str, tuple[str, str]]]:
    out: dict[str, tuple[str, str]] = {}

    def walk(criteria: list[dict[str, Any]]) -> None:
        for c in criteria:
            out[c["id"]] = (c["result"], _MEDICATION_TYPE.sub("Medication*/", c["reason"]))
            walk(c.get("criteria", []))

    walk(result["criteria"])
    return result["verdict"], out


@pytest.fixture(scope="module")
def engine() -> Any:
    return trialrules.Engine()


@pytest.mark.parametrize("native", NATIVES, ids=[f"{p.parent.name}/{p.stem}" for p in NATIVES])
def test_fhir_screens_like_native(native: Path, tmp_path: Path, engine: Any, generator: ModuleType) -> None:
    trial = native.parent.name
    if engine.installed.resolve_trial(trial) is None:
        pytest.skip(f"trial {trial} is not installed")
    bundle = tmp_path / "bundle.json"
    bundle.write_text(json.dumps(generator.bundle(json.loads(native.read_text(encoding="utf-8")))))
    as_of = dt.date(2026, 1, 15)
    results = []
    for path in (native, bundle):
        (result,) = engine.screen(list(trialrules.read_patients(str(path))), trials=[trial], as_of=as_of)
        results.append(_flat(result.to_dict()))
    assert results[1] == results[0]
