"""The latest-value rule through FHIR Bundles: what the adapter reads must reach the verdict.

Comparators, effective instants with zones, partial dates (and ``issued`` never standing in),
reference ranges with appliesTo and age, non-finite numbers, and qualitative codes, each from
a Bundle as a feed sends it (CONTRACT.md section 5).
"""

from __future__ import annotations

import math
from typing import Any

import pytest
from _support import AS_OF, engine_for, write_trial

from tests.fhir.conftest import UCUM, concept, make_bundle, read, with_subject

SNOMED = "http://snomed.info/sct"
ALT = '{measurement: {concept: alt, op: "<=", uln: 3, window: {days: 14}}}'
CREAT = '{measurement: {concept: creatinine, op: "<=", uln: 1.5, window: {days: 14}}}'
ANC = '{measurement: {concept: anc, op: ">=", value: 1.5, unit: "10*9/L", window: {days: 14}}}'
HIV = "{measurement: {concept: hiv_ab, window: {days: 28}, result_in: negative_results, text_in: [negative]}}"
CG = '{derived: {function: cockcroft_gault, op: ">=", value: 60, unit: mL/min, args: {window: {days: 14}}}}'


def screen(rules_root, rule: str, *resources: dict[str, Any], patient: dict[str, Any] | None = None):
    rules = write_trial(rules_root, {"inclusion/inc01_x": f"""
        id: inc01_x
        text: the protocol's words
        rule: {rule}
        """})
    subjects = [with_subject(r) for r in resources]
    record = read(make_bundle(*subjects, patient=patient) if patient else make_bundle(*subjects))
    return engine_for(rules).screen_one(record, "mini", AS_OF).criteria[0]


def obs(oid: str, code: str, when: str | None, value: dict[str, Any] | None = None, **extra: Any) -> dict[str, Any]:
    r: dict[str, Any] = {"resourceType": "Observation", "id": oid, "status": "final", "code": concept(code), **extra}
    if when is not None:
        r["effectiveDateTime"] = when
    if value is not None:
        r["valueQuantity"] = value
    return r


def q(value: Any, code: str, comparator: str | None = None) -> dict[str, Any]:
    out = {"value": value, "system": UCUM, "code": code}
    if comparator:
        out["comparator"] = comparator
    return out


def rng(high: Any, code: str, **more: Any) -> list[dict[str, Any]]:
    return [{"high": q(high, code), **more}]


def refs(out: Any) -> list[str]:
    return [e.resource for e in out.evidence]


class TestNewestThroughBundles:
    def test_alt_above_1000_yesterday_is_not_met_despite_18_last_week(self, rules_root):
        out = screen(rules_root, ALT,
                     obs("new", "1742-6", "2026-01-14", q(1000, "U/L", ">"), referenceRange=rng(40, "U/L")),
                     obs("old", "1742-6", "2026-01-08", q(18, "U/L"), referenceRange=rng(40, "U/L")))

        assert ("not_met", ["Observation/new"]) == (out.result, refs(out))

    @pytest.mark.parametrize(("comparator", "value", "expected"), [
        ("<", 120, "met"), ("<=", 120, "met"), (">", 119, "unknown"), ("<", 121, "unknown"), (">=", 120, "unknown")])
    def test_each_comparator_direction(self, rules_root, comparator, value, expected):
        out = screen(rules_root, ALT, obs("o", "1742-6", "2026-01-14", q(value, "U/L", comparator),
                                          referenceRange=rng(40, "U/L")))

        assert expected == out.result

    def test_creatinine_without_a_range_yesterday_is_not_replaced(self, rules_root):
        """Creatinine 3.0 mg/dL without a range the day before does not give way to last week's 0.9."""
        out = screen(rules_root, CREAT, obs("new", "2160-0", "2026-01-14", q(3.0, "mg/dL")),
                     obs("old", "2160-0", "2026-01-08", q(0.9, "mg/dL"), referenceRange=rng(1.2, "mg/dL")))

        assert ("unknown", ["Observation/new"]) == (out.result, refs(out))

    @pytest.mark.parametrize("raw", [math.nan, math.inf, -math.inf, float("1e400")])
    def test_a_non_finite_value_is_an_input_error_and_unknown(self, rules_root, raw):
        """NaN, ±Infinity and 1e400 (infinite once read) decide nothing and are named."""
        out = screen(rules_root, ANC, obs("bad", "751-8", "2026-01-14", q(raw, "10*9/L")),
                     obs("old", "751-8", "2026-01-08", q(2.0, "10*9/L")))

        assert ("unknown", ["Observation/bad"]) == (out.result, refs(out))

    def test_a_non_finite_range_limit_is_unknown(self, rules_root):
        """'creatinine 5 mg/dL is 0×ULN (ULN inf)' must never be eligible."""
        out = screen(rules_root, CREAT, obs("c", "2160-0", "2026-01-14", q(5, "mg/dL"), referenceRange=rng(math.inf, "mg/dL")))

        assert "unknown" == out.result
        record = read(make_bundle(with_subject(obs("c", "2160-0", "2026-01-14", q(5, "mg/dL"),
                                                   referenceRange=rng(math.inf, "mg/dL")))))
        assert any("not a finite number" in w for w in record.warnings)


class TestTimeThroughBundles:
    def test_same_day_two_codes_disagreeing_are_unknown_with_both(self, rules_root):
        out = screen(rules_root, ANC, obs("a", "751-8", "2026-01-13", q(1.6, "10*9/L")),
                     obs("b", "26499-4", "2026-01-13", q(1.2, "10*9/L")))

        assert ("unknown", ["Observation/a", "Observation/b"]) == (out.result, refs(out))

    def test_times_and_zones_order_results(self, rules_root):
        """08:00+02:00 (06:00Z) is before 07:30Z: the 07:30Z result decides."""
        out = screen(rules_root, ANC, obs("local", "751-8", "2026-01-13T08:00:00+02:00", q(1.2, "10*9/L")),
                     obs("utc", "751-8", "2026-01-13T07:30:00Z", q(1.6, "10*9/L")))

        assert ("met", ["Observation/utc"]) == (out.result, refs(out))

    def test_effective_instant_is_read(self, rules_root):
        late = {**obs("late", "751-8", None, q(1.6, "10*9/L")), "effectiveInstant": "2026-01-13T14:00:00Z"}
        out = screen(rules_root, ANC, obs("early", "751-8", "2026-01-13T08:00:00Z", q(1.2, "10*9/L")), late)

        assert ("met", ["Observation/late"]) == (out.result, refs(out))

    @pytest.mark.parametrize("effective", ["2025", "2026-01"])
    def test_a_partial_date_never_falls_back_to_issued(self, rules_root, effective):
        """A year-old result dated '2025' with a recent issued date does not pass a 14-day window."""
        out = screen(rules_root, ANC, obs("p", "751-8", effective, q(2.0, "10*9/L"), issued="2026-01-14T10:00:00Z"))

        assert "unknown" == out.result

    def test_no_effective_at_all_is_not_dated_by_issued(self, rules_root):
        out = screen(rules_root, ANC, obs("p", "751-8", None, q(2.0, "10*9/L"), issued="2026-01-14T10:00:00Z"))

        assert "unknown" == out.result


def age(low: float | None, high: float | None) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if low is not None:
        out["low"] = {"value": low, "system": UCUM, "code": "a"}
    if high is not None:
        out["high"] = {"value": high, "system": UCUM, "code": "a"}
    return out


PAEDIATRIC = [{"high": q(1.2, "mg/dL"), "age": age(18, None)},
              {"high": q(0.7, "mg/dL"), "age": age(1, 17)}]
BY_SEX = [{"high": q(1.3, "mg/dL"), "appliesTo": [concept("248153007", SNOMED, "Male")]},
          {"high": q(1.0, "mg/dL"), "appliesTo": [concept("248152002", SNOMED, "Female")]}]


class TestRangesThroughBundles:
    @pytest.mark.parametrize(("birth", "value", "expected"), [
        ("2018-06-01", 1.05, "met"), ("2018-06-01", 1.1, "not_met"), ("1980-06-01", 1.8, "met"),
        ("1980-06-01", 1.81, "not_met")])
    def test_age_bands(self, rules_root, birth, value, expected):
        """2.3× a 7-year-old's ULN does not pass 'creatinine ≤ 1.5×ULN' on the adult range."""
        patient = {"resourceType": "Patient", "id": "p1", "birthDate": birth, "gender": "female"}
        out = screen(rules_root, CREAT, obs("c", "2160-0", "2026-01-14", q(value, "mg/dL"), referenceRange=PAEDIATRIC),
                     patient=patient)

        assert expected == out.result

    @pytest.mark.parametrize(("gender", "value", "expected"), [
        ("male", 1.95, "met"), ("male", 1.96, "not_met"), ("female", 1.5, "met"), ("female", 1.51, "not_met"),
        ("unknown", 1.2, "unknown")])
    def test_applies_to_sex(self, rules_root, gender, value, expected):
        patient = {"resourceType": "Patient", "id": "p1", "birthDate": "1970-01-01", "gender": gender}
        out = screen(rules_root, CREAT, obs("c", "2160-0", "2026-01-14", q(value, "mg/dL"), referenceRange=BY_SEX),
                     patient=patient)

        assert expected == out.result

    def test_no_applicable_range(self, rules_root):
        patient = {"resourceType": "Patient", "id": "p1", "birthDate": "2025-09-01", "gender": "male"}
        out = screen(rules_root, CREAT, obs("c", "2160-0", "2026-01-14", q(0.2, "mg/dL"), referenceRange=PAEDIATRIC),
                     patient=patient)

        assert ("unknown", ["Observation/c"]) == (out.result, refs(out))


class TestQualitativeThroughBundles:
    @pytest.mark.parametrize(("value", "expected"), [
        ({"valueCodeableConcept": concept("260385009", SNOMED, "Negative")}, "met"),
        ({"valueCodeableConcept": concept("10828004", SNOMED, "Positive")}, "not_met"),
        ({"valueCodeableConcept": concept("42425007", SNOMED, "Equivocal")}, "unknown"),
        ({"valueCodeableConcept": concept("82334004", SNOMED, "Indeterminate")}, "unknown"),
        ({"valueCodeableConcept": concept(
            "NEG", "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation")}, "met"),
        ({"valueString": "  NON-REACTIVE "}, "met"),
        ({"valueString": "Weakly reactive"}, "unknown"),
        ({"valueString": "borderline"}, "unknown"),
        ({"valueCodeableConcept": {"text": "see lab comment"}}, "unknown")])
    def test_hiv_negative_required(self, rules_root, value, expected):
        out = screen(rules_root, HIV, {**obs("hiv", "7917-8", "2026-01-10"), **value})

        assert expected == out.result


class TestDerivedThroughBundles:
    def test_cockcroft_gault_on_the_newest_creatinine_only(self, rules_root):
        """A newer creatinine '<0.5' (a bound) is not replaced by last week's exact 0.9."""
        patient = {"resourceType": "Patient", "id": "p1", "birthDate": "1966-01-01", "gender": "male"}
        out = screen(rules_root, CG,
                     obs("new", "2160-0", "2026-01-13", q(0.5, "mg/dL", "<")),
                     obs("old", "2160-0", "2026-01-06", q(0.9, "mg/dL")),
                     obs("w", "29463-7", "2026-01-10", q(70, "kg")), patient=patient)

        assert "unknown" == out.result
        assert "Observation/new" in refs(out) and "Observation/old" not in refs(out)
