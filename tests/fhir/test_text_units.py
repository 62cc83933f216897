"""A unit given only as text is never compared (CONTRACT.md section 5: units are converted,
never assumed): neither the result's unit nor its reference range's."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from _support import engine_for, write_trial

import trialrules

AS_OF = dt.date(2026, 1, 15)
ULN_RULE = 'id: inc01_x\ntext: ALT ≤ 2.5 × ULN\nrule: {measurement: {concept: alt, window: {days: 14}, op: "<=", uln: 2.5}}\n'
ABS_RULE = 'id: inc01_x\ntext: ALT ≤ 100 U/L\nrule: {measurement: {concept: alt, window: {days: 14}, op: "<=", value: 100, unit: "U/L"}}\n'


def _screen(tmp_path, rule: str, value: dict, high: dict | None) -> str:
    obs = {"resourceType": "Observation", "id": "alt1", "status": "final",
           "code": {"coding": [{"system": "http://loinc.org", "code": "1742-6"}]},
           "subject": {"reference": "Patient/p"}, "effectiveDateTime": "2026-01-10", "valueQuantity": value}
    if high is not None:
        obs["referenceRange"] = [{"high": high}]
    bundle = {"resourceType": "Bundle", "type": "collection", "entry": [
        {"resource": {"resourceType": "Patient", "id": "p", "gender": "female", "birthDate": "1970-01-01"}},
        {"resource": obs}]}
    path = tmp_path / "b.json"
    path.write_text(json.dumps(bundle), encoding="utf-8")
    engine = engine_for(write_trial(tmp_path / "rules", {"inclusion/inc01_x": rule}))
    patients = trialrules.read_patients(str(path), on_error=lambda *a: None)
    (result,) = engine.screen(patients, as_of=AS_OF)
    return result.criteria[0].result


UCUM = {"system": "http://unitsofmeasure.org", "code": "U/L", "unit": "U/L"}


@pytest.mark.parametrize(
    ("value", "high", "expected"),
    [
        ({"value": 90, **UCUM}, {"value": 40, **UCUM}, "met"),  # 2.25 × ULN
        ({"value": 110, **UCUM}, {"value": 40, **UCUM}, "not_met"),  # 2.75 × ULN
        ({"value": 110, "unit": "U/L"}, {"value": 40, "unit": "U/L"}, "unknown"),  # both units text only
        ({"value": 90, "unit": "U/L"}, {"value": 40, **UCUM}, "unknown"),  # the result's unit is text only
        ({"value": 90, **UCUM}, {"value": 40, "unit": "U/L"}, "unknown"),  # the range's unit is text only
        ({"value": 90}, {"value": 40}, "met"),  # bare numbers on both sides are dimensionless alike
        ({"value": 90, **UCUM}, {"value": 40}, "unknown"),  # a unit against a bare number
    ],
)
def test_uln_with_text_only_units(tmp_path, value, high, expected):
    assert _screen(tmp_path, ULN_RULE, value, high) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [({"value": 90, **UCUM}, "met"), ({"value": 101, **UCUM}, "not_met"), ({"value": 90, "unit": "U/L"}, "unknown"),
     ({"value": 90}, "unknown")],
)
def test_absolute_limit_with_text_only_unit(tmp_path, value, expected):
    assert _screen(tmp_path, ABS_RULE, value, None) == expected
