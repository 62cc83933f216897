"""The evaluator: boundaries, windows, units, ×ULN, conditions, searches, attestations."""

from __future__ import annotations

import csv
import datetime as dt
import math

import pytest
from _support import AS_OF, REFDATA, engine_for, obs, patient, write_trial

VALUESETS = """
- name: liver_mets
  title: liver metastasis
  codes: [{system: icd10cm, code: C78.7, prefix: true}]
- name: chemo
  title: chemotherapy
  codes:
    - {system: rxnorm, code: "56946", display: paclitaxel, half_life_hours: 27}
    - {system: rxnorm, code: "68446", display: pemetrexed}
    - {system: atc, code: L01, prefix: true}
- name: live_vaccines
  codes: [{system: cvx, code: "03"}]
- name: cancers
  codes: [{system: icd10cm, code: C50, prefix: true}, {system: snomed, code: "254837009"}]
- name: down_syndrome
  codes: [{system: icd10cm, code: Q90, prefix: true}]
- name: chromosomal_anomalies
  codes: [{system: icd10cm, code: Q90, prefix: true}, {system: icd10cm, code: Q91, prefix: true}]
"""


def screen(rules_root, rule_yaml: str, record, as_of=AS_OF, kind="inclusion"):
    rules = write_trial(rules_root, {f"{kind}/{'inc' if kind == 'inclusion' else 'exc'}01_x": f"""
        id: {'inc' if kind == 'inclusion' else 'exc'}01_x
        text: the protocol's words
        rule: {rule_yaml}
        """}, VALUESETS)
    result = engine_for(rules).screen_one(record, "mini", as_of)
    return result.criteria[0]


ANC = '{measurement: {concept: anc, op: ">=", value: 1.5, unit: "10*9/L", window: {days: 7}}}'


class TestMeasurement:
    @pytest.mark.parametrize(("value", "unit", "expected"), [
        (1.5, "10*9/L", "met"), (1.49, "10*9/L", "not_met"), (1500, "/uL", "met"),
        (1499, "/mm3", "not_met"), (1.5, "10*3/uL", "met"), (1.5, "/nL", "met")])
    def test_boundary_and_units(self, rules_root, value, unit, expected):
        """>= includes the limit in every unit variant; just below fails."""
        rec = patient(observations=[obs("o1", "751-8", value, "2026-01-10", unit=unit)])

        assert expected == screen(rules_root, ANC, rec).result

    def test_strict_greater(self, rules_root):
        """> excludes the limit itself (LVEF > 50% fails at 50%)."""
        rule = '{measurement: {concept: lvef, op: ">", value: 50, unit: "%"}}'

        at = screen(rules_root, rule, patient(observations=[obs("o", "10230-1", 50, "2026-01-10", unit="%")]))
        above = screen(rules_root, rule, patient(observations=[obs("o", "10230-1", 50.1, "2026-01-10", unit="%")]))

        assert ("not_met", "met") == (at.result, above.result)

    @pytest.mark.parametrize(("date", "expected"), [
        ("2026-01-08", "met"), ("2026-01-15", "met"), ("2026-01-07", "unknown"), ("2026-01-16", "unknown")])
    def test_window_edges(self, rules_root, date, expected):
        """Day 7 before the as-of date is in, day 8 is out; data after the as-of date is never used."""
        rec = patient(observations=[obs("o1", "751-8", 2.0, date, unit="10*9/L")])

        assert expected == screen(rules_root, ANC, rec).result

    def test_latest_in_window_is_judged(self, rules_root):
        """The most recent value decides, even when an older one would pass."""
        rec = patient(observations=[
            obs("old", "751-8", 3.0, "2026-01-09", unit="10*9/L"),
            obs("new", "26499-4", 1.0, "2026-01-12", unit="10*9/L")])

        out = screen(rules_root, ANC, rec)

        assert ("not_met", "Observation/new") == (out.result, out.evidence[0].resource)

    def test_unconvertible_unit_is_unknown_and_never_skipped(self, rules_root):
        """An unusable newer value is unknown, named as evidence; an older one never stands in."""
        bad = obs("bad", "751-8", 2.0, "2026-01-12", unit="x10E9/L")
        good = obs("good", "751-8", 1.0, "2026-01-10", unit="10*9/L")

        alone = screen(rules_root, ANC, patient(observations=[bad]))
        both = screen(rules_root, ANC, patient(observations=[bad, good]))

        assert ("unknown", "unknown") == (alone.result, both.result)
        assert ["Observation/bad"] == [e.resource for e in both.evidence]
        assert "x10E9/L" in alone.reason

    def test_missing_unit_is_unknown(self, rules_root):
        rec = patient(observations=[obs("o", "751-8", {"value": 2.0}, "2026-01-10")])

        assert "unknown" == screen(rules_root, ANC, rec).result

    @pytest.mark.parametrize("status", ["entered-in-error", "cancelled", "preliminary"])
    def test_ignored_statuses(self, rules_root, status):
        rec = patient(observations=[obs("o", "751-8", 2.0, "2026-01-10", unit="10*9/L", status=status)])

        assert "unknown" == screen(rules_root, ANC, rec).result

    @pytest.mark.parametrize(("value", "unit", "expected"), [
        (90, "g/L", "met"), (9.0, "g/dL", "met"), (89.9, "g/L", "not_met"), (5.6, "mmol/L", "met"), (5.5, "mmol/L", "not_met")])
    def test_haemoglobin_molar(self, rules_root, value, unit, expected):
        """Hb in mmol/L converts through the haem monomer molar mass (16.114 g/mmol)."""
        rule = '{measurement: {concept: haemoglobin, op: ">=", value: 90, unit: g/L}}'
        rec = patient(observations=[obs("o", "718-7", value, "2026-01-10", unit=unit)])

        assert expected == screen(rules_root, rule, rec).result


class TestUpperLimitOfNormal:
    RULE = '{measurement: {concept: creatinine, op: "<=", uln: 1.5}}'

    @pytest.mark.parametrize(("value", "unit", "high", "expected"), [
        (1.65, "mg/dL", (1.1, "mg/dL"), "met"),       # exactly 1.5 × 1.1
        (1.66, "mg/dL", (1.1, "mg/dL"), "not_met"),
        (150, "umol/L", (1.1, "mg/dL"), "met"),       # 150 µmol/L = 1.697 mg/dL... vs 1.65: see next
        (147, "umol/L", (100, "umol/L"), "met"),
        (151, "umol/L", (100, "umol/L"), "not_met"),
    ])
    def test_multiples(self, rules_root, value, unit, high, expected):
        """× ULN uses the observation's own range, converting the range into the value's unit."""
        rec = patient(observations=[obs("o", "2160-0", value, "2026-01-10", high=high, unit=unit)])
        if value == 150:  # 150 µmol/L = 1.6968 mg/dL > 1.65: not met
            expected = "not_met"

        assert expected == screen(rules_root, self.RULE, rec).result

    def test_no_range_is_unknown(self, rules_root):
        """Without a reference range the limit is unknown, never a guessed range."""
        rec = patient(observations=[obs("o", "2160-0", 0.5, "2026-01-10", unit="mg/dL")])

        out = screen(rules_root, self.RULE, rec)

        assert "unknown" == out.result
        assert "reference range" in out.reason

    def test_strict_exclusion_at_two_uln(self, rules_root):
        """"> 2×ULN" does not exclude at exactly 2×ULN."""
        rule = '{measurement: {concept: bilirubin, op: ">", uln: 2}}'
        at = patient(observations=[obs("o", "1975-2", 2.4, "2026-01-10", high=(1.2, "mg/dL"), unit="mg/dL")])
        above = patient(observations=[obs("o", "1975-2", 2.41, "2026-01-10", high=(1.2, "mg/dL"), unit="mg/dL")])

        assert "not_met" == screen(rules_root, rule, at, kind="exclusion").result
        assert "met" == screen(rules_root, rule, above, kind="exclusion").result


class TestConditional:
    RULE = ('{if: {condition: {condition: {valueset: liver_mets, status: active, if_absent: not_met}}, '
            'then: {measurement: {concept: ast, op: "<=", uln: 5}}, else: {measurement: {concept: ast, op: "<=", uln: 2.5}}}}')

    def _rec(self, conditions):
        return patient(conditions=conditions, observations=[obs("ast", "1920-8", 120, "2026-01-10", high=(40, "U/L"), unit="U/L")])

    def test_with_liver_metastases(self, rules_root):
        """3×ULN passes the 5×ULN limit that applies with liver metastases (C78.7 matches C78.70)."""
        rec = self._rec([{"id": "c", "codes": [{"system": "http://hl7.org/fhir/sid/icd-10-cm", "code": "C78.70"}],
                          "clinical_status": "active"}])

        assert "met" == screen(rules_root, self.RULE, rec).result

    def test_without(self, rules_root):
        assert "not_met" == screen(rules_root, self.RULE, self._rec([])).result

    def test_refuted_diagnosis_does_not_count(self, rules_root):
        rec = self._rec([{"id": "c", "codes": [{"system": "http://hl7.org/fhir/sid/icd-10-cm", "code": "C78.7"}],
                          "clinical_status": "active", "verification_status": "refuted"}])

        assert "not_met" == screen(rules_root, self.RULE, rec).result

    def test_sex_specific(self, rules_root):
        """Male weight ≥ 50 kg, female ≥ 45 kg; unknown sex leaves it unknown."""
        rule = ('{if: {condition: {sex: male}, then: {measurement: {concept: body_weight, op: ">=", value: 50, unit: kg}}, '
                'else: {measurement: {concept: body_weight, op: ">=", value: 45, unit: kg}}}}')
        w = [obs("w", "29463-7", 100, "2026-01-10", unit="[lb_av]")]  # 45.36 kg

        assert "met" == screen(rules_root, rule, patient(sex="female", observations=w)).result
        assert "not_met" == screen(rules_root, rule, patient(sex="male", observations=w)).result
        assert "unknown" == screen(rules_root, rule, patient(sex=None, observations=w)).result


class TestSearches:
    def _med(self, code, system, start, end=None, status="completed"):
        return {"id": "m", "codes": [{"system": system, "code": code}], "start": start, "end": end, "status": status}

    RX = "http://www.nlm.nih.gov/research/umls/rxnorm"

    @pytest.mark.parametrize(("end", "expected"), [
        ("2025-12-18", "met"), ("2025-12-17", "not_met")])
    def test_four_weeks(self, rules_root, end, expected):
        """'within 4 weeks': 28 days before the as-of date is in, 29 is out."""
        rule = "{medication: {valueset: chemo, window: {weeks: 4}, if_absent: not_met}}"
        rec = patient(medications=[self._med("L01XA01", "http://www.whocc.no/atc", "2025-12-01", end)])

        assert expected == screen(rules_root, rule, rec, kind="exclusion").result

    @pytest.mark.parametrize(("end", "expected"), [("2026-01-10", "met"), ("2026-01-09", "not_met")])
    def test_half_lives_shorter(self, rules_root, end, expected):
        """Paclitaxel t½ 27 h: 5 half-lives = 5.6 days is shorter than 4 weeks, so it decides."""
        rule = "{medication: {valueset: chemo, window: {weeks: 4, half_lives: 5}, if_absent: not_met}}"
        rec = patient(medications=[self._med("56946", self.RX, "2025-12-01", end)])

        assert expected == screen(rules_root, rule, rec, kind="exclusion").result

    def test_if_absent(self, rules_root):
        """if_absent states what no record means, criterion by criterion."""
        closed = "{immunization: {valueset: live_vaccines, window: {weeks: 4}, if_absent: not_met}}"
        open_ = "{immunization: {valueset: live_vaccines, window: {weeks: 4}, if_absent: unknown}}"

        assert "not_met" == screen(rules_root, closed, patient(), kind="exclusion").result
        assert "unknown" == screen(rules_root, open_, patient(), kind="exclusion").result

    def test_undated_record_is_unknown(self, rules_root):
        rule = "{immunization: {valueset: live_vaccines, window: {weeks: 4}, if_absent: not_met}}"
        rec = patient(immunizations=[{"id": "i", "codes": [{"system": "http://hl7.org/fhir/sid/cvx", "code": "03"}]}])

        assert "unknown" == screen(rules_root, rule, rec, kind="exclusion").result


class TestSearchOptions:
    ICD = "http://hl7.org/fhir/sid/icd-10-cm"

    def _cond(self, code, onset, abatement=None):
        return {"id": "c", "codes": [{"system": self.ICD, "code": code}], "onset": onset,
                "abatement": abatement, "clinical_status": "resolved" if abatement else "active"}

    @pytest.mark.parametrize(("dated_by", "expected"), [("period", "met"), ("diagnosis", "not_met")])
    def test_diagnosed_within_tests_the_onset(self, rules_root, dated_by, expected):
        """Diagnosed 6 years ago, record ending 4.9 years ago: within 5 years by period, not by diagnosis."""
        rule = f"{{condition: {{valueset: cancers, window: {{years: 5}}, dated_by: {dated_by}, if_absent: not_met}}}}"
        rec = patient(conditions=[self._cond("C50.911", "2020-01-10", "2021-03-01")])

        assert expected == screen(rules_root, rule, rec, kind="exclusion").result

    @pytest.mark.parametrize(("onset", "expected"), [("2021-01-15", "met"), ("2021-01-14", "not_met")])
    def test_diagnosis_window_edges(self, rules_root, onset, expected):
        """Five calendar years back from the as-of date is in; a day earlier is out."""
        rule = "{condition: {valueset: cancers, window: {years: 5}, dated_by: diagnosis, if_absent: not_met}}"
        rec = patient(conditions=[self._cond("C50.911", onset)])

        assert expected == screen(rules_root, rule, rec, kind="exclusion").result

    @pytest.mark.parametrize(("code", "expected"), [("Q90.9", "met"), ("Q91.3", "unknown"), ("E11.9", "not_met")])
    def test_open_list(self, rules_root, code, expected):
        """'such as Down syndrome': listed decides met, another chromosomal anomaly is for a person."""
        rule = "{condition: {valueset: down_syndrome, open_list: chromosomal_anomalies, if_absent: not_met}}"
        rec = patient(conditions=[self._cond(code, "2020-01-01")])

        assert expected == screen(rules_root, rule, rec, kind="exclusion").result

    def test_product_match_is_explained(self, rules_root):
        """The reason says which ingredient name matched an RxNorm product."""
        rule = "{medication: {valueset: chemo, if_absent: not_met}}"
        rec = patient(medications=[{"id": "m", "status": "completed", "start": "2025-12-01", "codes": [
            {"system": TestSearches.RX, "code": "1728072", "display": "pemetrexed 500 MG Injection"}]}])

        got = screen(rules_root, rule, rec, kind="exclusion")

        assert "met" == got.result
        # RxNorm 1728072 "pemetrexed 500 MG Injection": VSAC 2.16.840.1.113762.1.4.1151.60
        assert "matched by ingredient name pemetrexed in 'pemetrexed 500 MG Injection'" in got.reason


class TestPersonAndAge:
    def test_attestation(self, rules_root):
        """Only an attestation decides what only a person can decide."""
        rule = "{attestation: {}}"

        assert "unknown" == screen(rules_root, rule, patient()).result
        assert "met" == screen(rules_root, rule, patient(attestations={"inc01_x": True})).result
        assert "not_met" == screen(rules_root, rule, patient(attestations={"mini:inc01_x": False})).result

    @pytest.mark.parametrize(("birth", "expected"), [
        ("2008-01-15", "met"), ("2008-01-16", "not_met"), (None, "unknown")])
    def test_age_on_birthday(self, rules_root, birth, expected):
        """Completed years: 18 on the 18th birthday, 17 the day before."""
        rule = '{derived: {function: age_years, op: ">=", value: 18}}'

        assert expected == screen(rules_root, rule, patient(birth_date=birth)).result

    def test_verdicts(self, rules_root):
        """Contract §3: eligible, ineligible and needs_review from top-level results."""
        rules = write_trial(rules_root, {
            "inclusion/inc01_age": 'id: inc01_age\ntext: adult\nrule: {derived: {function: age_years, op: ">=", value: 18}}\n',
            "exclusion/exc01_pi": "id: exc01_pi\ntext: investigator\ndecided_by: person\nrule: {attestation: {}}\n"}, trial_id="v")
        engine = engine_for(rules)

        def verdict(**kw):
            return engine.screen_one(patient(**kw), "v", AS_OF).verdict

        assert "eligible" == verdict(attestations={"exc01_pi": False})
        assert "needs_review" == verdict()
        assert "ineligible" == verdict(birth_date="2010-01-01")
        assert "ineligible" == verdict(attestations={"exc01_pi": True})


def _reference_rows(quantity):
    path = REFDATA / "derived_values_reference.csv"  # missing: the test fails, never skips
    with path.open(encoding="utf-8") as f:
        return [r for r in csv.DictReader(f) if r["quantity"] == quantity]


class TestDerivedAgainstReference:
    def test_cockcroft_gault_mg_dl(self, rules_root):
        """CG in its mg/dL form matches admiral's tests and hand calculation (refdata)."""
        for row in _reference_rows("CrCl_CG_mL_min"):
            inputs = dict(kv.split("=", 1) for kv in row["inputs"].split(";"))
            scr = inputs["scr"]
            if not scr.endswith(" mg/dL") or "/" in scr.split()[0]:
                continue  # the µmol/L form uses another constant (see notes §6)
            age, sex, wt = int(inputs["age"]), inputs["sex"], float(inputs["weight_kg"])
            birth = dt.date(AS_OF.year - age, 1, 1)
            rec = patient(sex="male" if sex == "M" else "female", birth_date=birth.isoformat(), observations=[
                obs("cr", "2160-0", float(scr.split()[0]), "2026-01-10", unit="mg/dL"),
                obs("w", "29463-7", wt, "2026-01-10", unit="kg")])
            from trialrules.engine.builtins import cockcroft_gault
            engine = engine_for(write_trial(rules_root, {"inclusion/inc01_x": 'id: inc01_x\ntext: t\nrule: {const: {result: met}}\n'}))
            compiled = engine.compiled("mini")
            from trialrules.engine.patient import PatientIndex
            from trialrules.functions import FunctionContext
            ctx = FunctionContext(rec, AS_OF, PatientIndex(rec), compiled.matchers)

            assert math.isclose(float(row["expected"]), cockcroft_gault(ctx, {}).value, rel_tol=1e-5), row

    def test_qtcf(self, rules_root):
        """QTcF (Fridericia) from QT and heart rate matches the reference rows."""
        from trialrules.engine.builtins import qtcf
        from trialrules.engine.patient import PatientIndex
        from trialrules.functions import FunctionContext

        rows = [r for r in _reference_rows("QTcF_ms")]
        engine = engine_for(write_trial(rules_root, {"inclusion/inc01_x": 'id: inc01_x\ntext: t\nrule: {const: {result: met}}\n'}))
        matchers = engine.compiled("mini").matchers
        for row in rows:
            inputs = {k: v.split()[0] for k, v in (kv.split("=", 1) for kv in row["inputs"].split(";"))}
            qt = float(inputs["QT"])
            hr = float(inputs["HR"]) if "HR" in inputs else 60000.0 / float(inputs["RR"])
            rec = patient(observations=[obs("qt", "8634-8", qt, "2026-01-10", unit="ms"),
                                        obs("hr", "8867-4", hr, "2026-01-10", unit="/min")])
            ctx = FunctionContext(rec, AS_OF, PatientIndex(rec), matchers)

            assert math.isclose(float(row["expected"]), qtcf(ctx, {}).value, rel_tol=1e-4), row
