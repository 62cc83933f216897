"""Units through the engine: INR in {INR}, temperatures with their offset, from a FHIR Bundle.

The unit rules themselves are in test_units.py; here they must reach a verdict.
"""

from __future__ import annotations

from typing import Any

import pytest
from _support import AS_OF, engine_for, obs, patient, write_trial

from trialrules.inputs.fhir import record_from_bundle
from trialrules.language.models import PatientRecord

UCUM = "http://unitsofmeasure.org"
INR_RULE = '{measurement: {concept: inr, op: "<=", uln: 1.5, window: {days: 14}}}'
TEMPERATURE_SETS = """
- name: body_temperature
  title: body temperature
  unit: Cel
  codes: [{system: loinc, code: 8310-5}]
"""
FEVER_RULE = '{measurement: {concept: body_temperature, op: "<", value: 38.5, unit: Cel, window: {days: 14}}}'


def _quantity(value: float, code: str | None, text: str | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"value": value}
    if code is not None:
        out.update(system=UCUM, code=code)
    if text is not None:
        out["unit"] = text
    return out


def _record(loinc: str, value: dict[str, Any], high: dict[str, Any] | None = None) -> PatientRecord:
    observation: dict[str, Any] = {
        "resourceType": "Observation", "id": "o1", "status": "final",
        "code": {"coding": [{"system": "http://loinc.org", "code": loinc}]},
        "subject": {"reference": "Patient/p1"}, "effectiveDateTime": "2026-01-10",
        "valueQuantity": value,
    }
    if high is not None:
        observation["referenceRange"] = [{"high": high}]
    bundle = {"resourceType": "Bundle", "type": "collection", "entry": [
        {"resource": {"resourceType": "Patient", "id": "p1", "birthDate": "1970-05-01", "gender": "female"}},
        {"resource": observation}]}
    record = record_from_bundle(bundle, "test.json")
    assert isinstance(record, PatientRecord), record
    return record


def _screen(rules_root, rule: str, record: PatientRecord, valuesets: str = "") -> Any:
    rules = write_trial(rules_root, {"inclusion/inc01_x": f"""
        id: inc01_x
        text: the protocol's words
        rule: {rule}
        """}, valuesets)
    return engine_for(rules).screen_one(record, "mini", AS_OF).criteria[0]


class TestInr:
    @pytest.mark.parametrize(
        ("value", "value_unit", "high_unit", "expected"),
        [
            (1.8, "{INR}", "{INR}", "met"),  # 1.8 = 1.5 x 1.2: the limit itself
            (1.81, "{INR}", "{INR}", "not_met"),
            (1.8, "{INR}", "1", "met"),
            (1.81, "1", "{INR}", "not_met"),
            (1.7, "{ratio}", "{INR}", "met"),
        ],
    )
    def test_inr_annotations_are_unity(self, rules_root, value, value_unit, high_unit, expected):
        """INR in {INR} (value and range) is usable: annotations are unity, so ×ULN is judged."""
        record = _record("6301-6", _quantity(value, value_unit), _quantity(1.2, high_unit))

        assert _screen(rules_root, INR_RULE, record).result == expected

    @pytest.mark.parametrize(("value", "expected"), [(1.8, "met"), (1.81, "not_met")])
    def test_native_number_against_an_inr_range(self, rules_root, value, expected):
        """A bare number (a native INR) scales against a range limit in {INR} or 1."""
        for high_unit in ("{INR}", "1"):
            record = patient(observations=[obs("o1", "6301-6", value, "2026-01-10", high=(1.2, high_unit))])

            assert _screen(rules_root, INR_RULE, record).result == expected

    def test_range_in_another_dimension_is_unknown(self, rules_root):
        """An INR range given in seconds cannot scale a dimensionless INR."""
        record = _record("6301-6", _quantity(1.3, "{INR}"), _quantity(12.0, "s"))

        assert _screen(rules_root, INR_RULE, record).result == "unknown"


class TestTemperature:
    @pytest.mark.parametrize(
        ("value", "code", "expected"),
        [
            (38.4, "Cel", "met"),
            (38.5, "Cel", "not_met"),  # < is strict
            (101.1, "[degF]", "met"),  # 38.39 Cel
            (101.3, "[degF]", "not_met"),  # exactly 38.5 Cel: the offset is applied, not a factor
            (311.6, "K", "met"),  # 38.45 Cel
            (311.65, "K", "not_met"),
        ],
    )
    def test_fever_limit_in_each_scale(self, rules_root, value, code, expected):
        """A limit in Cel judges values sent in Cel, [degF] and K, boundary on both sides."""
        record = _record("8310-5", _quantity(value, code))

        assert _screen(rules_root, FEVER_RULE, record, TEMPERATURE_SETS).result == expected


CALCIUM_SETS = """
- name: calcium
  title: serum calcium
  unit: mmol/L
  molar_mass: 40.078
  valence: 2
  codes: [{system: loinc, code: 17861-6}]
- name: calcium_no_valence
  title: serum calcium
  unit: mmol/L
  codes: [{system: loinc, code: 17861-6}]
"""


class TestEquivalents:
    @pytest.mark.parametrize(
        ("value", "code", "expected"),
        [
            (4.4, "meq/L", "met"),  # 2.2 mmol/L: calcium carries 2 equivalents per mole
            (4.39, "meq/L", "not_met"),
            (2.2, "mmol/L", "met"),
            (8.82, "mg/dL", "met"),  # 2.2007 mmol/L at 40.078 g/mol
            (8.8, "mg/dL", "not_met"),  # 2.1957 mmol/L
        ],
    )
    def test_valence_from_the_value_set(self, rules_root, value, code, expected):
        """meq/L converts to mmol/L through the value set's valence, mg/dL through its molar mass."""
        rule = '{measurement: {concept: calcium, op: ">=", value: 2.2, unit: mmol/L, window: {days: 14}}}'
        record = _record("17861-6", _quantity(value, code))

        assert _screen(rules_root, rule, record, CALCIUM_SETS).result == expected

    def test_no_valence_is_unknown(self, rules_root):
        """Without a valence a value in meq/L is unknown, with the reason, never read as charge 1."""
        rule = '{measurement: {concept: calcium_no_valence, op: ">=", value: 2.2, unit: mmol/L, window: {days: 14}}}'
        record = _record("17861-6", _quantity(4.4, "meq/L"))

        result = _screen(rules_root, rule, record, CALCIUM_SETS)

        assert result.result == "unknown" and "valence" in result.reason
