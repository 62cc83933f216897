"""The latest-value rule (CONTRACT.md section 5) at engine level.

The newest result in the window decides, or the criterion is unknown naming it: never an
older result. Bounds (``<0.5``) decide only where they settle the comparison; results at the
same instant must agree; partial dates judge a window only where every day agrees; the
reference range is the one that applies to the patient; qualitative results are read by one
vocabulary. Each rule is tested on both sides of its bound, for measurement, ×ULN and
derived nodes.
"""

from __future__ import annotations

import math

import pytest
from _support import AS_OF, LOINC, TrialPlugin, engine_for, patient, write_trial

from trialrules import DerivedValue, Engine, hookimpl
from trialrules.engine.latest import compare, compare_intervals, is_after, newest, parse_effective

ANC = '{measurement: {concept: anc, op: ">=", value: 1.5, unit: "10*9/L", window: {days: 7}}}'
ALT = '{measurement: {concept: alt, op: "<=", uln: 3, window: {days: 14}}}'
CREAT_ULN = '{measurement: {concept: creatinine, op: "<=", uln: 1.5, window: {days: 14}}}'
CG = '{derived: {function: cockcroft_gault, op: ">=", value: 60, unit: mL/min, args: {window: {days: 14}}}}'
HIV_ANY = "{measurement: {concept: hiv_ab, use: any, result_in: positive_results, text_in: [positive, reactive]}}"
HIV_NEG = ("{measurement: {concept: hiv_ab, window: {days: 28}, result_in: negative_results, "
           "text_in: [negative, non-reactive]}}")


def screen(rules_root, rule: str, record, as_of=AS_OF):
    rules = write_trial(rules_root, {"inclusion/inc01_x": f"""
        id: inc01_x
        text: the protocol's words
        rule: {rule}
        """})
    return engine_for(rules).screen_one(record, "mini", as_of).criteria[0]


def q(value: float, unit: str, comparator: str | None = None) -> dict:
    out: dict = {"value": value, "unit": unit}
    if comparator:
        out["comparator"] = comparator
    return out


def anc(oid: str, value, date: str, code: str = "751-8", **extra) -> dict:
    return {"id": oid, "code": {"system": LOINC, "code": code}, "value": value, "date": date, **extra}


def refs(out) -> list[str]:
    return [e.resource for e in out.evidence]


class TestNewestIsJudged:
    @pytest.mark.parametrize(("newest", "why"), [
        (q(2.0, "x10E9/L"), "x10E9/L"),
        ({"value": 2.0}, "no unit"),
        ("see comment", "no numeric value"),
        (None, "no numeric value")])
    def test_an_unjudgeable_newest_value_is_unknown_never_replaced(self, rules_root, newest, why):
        """Each kind of unusable newest value: unknown, with it as evidence; the older 3.0 is not used."""
        rec = patient(observations=[anc("new", newest, "2026-01-12"), anc("old", q(3.0, "10*9/L"), "2026-01-10")])

        out = screen(rules_root, ANC, rec)

        assert ("unknown", ["Observation/new"]) == (out.result, refs(out))
        assert why in out.reason

    def test_newer_usable_value_decides(self, rules_root):
        rec = patient(observations=[anc("new", q(1.4, "10*9/L"), "2026-01-12"), anc("old", q(3.0, "10*9/L"), "2026-01-10")])

        assert ("not_met", ["Observation/new"]) == (screen(rules_root, ANC, rec).result, refs(screen(rules_root, ANC, rec)))

    def test_results_outside_the_window_are_not_newest(self, rules_root):
        """An unusable result 8 days back is outside a 7-day window: the in-window one decides."""
        rec = patient(observations=[anc("out", "garbled", "2026-01-07"), anc("in", q(1.6, "10*9/L"), "2026-01-08")])

        assert "met" == screen(rules_root, ANC, rec).result


class TestComparators:
    @pytest.mark.parametrize(("comparator", "value", "expected"), [
        ("<", 1.5, "not_met"), ("<=", 1.5, "unknown"), ("<", 1.6, "unknown"), ("<=", 1.49, "not_met"),
        (">=", 1.5, "met"), (">", 1.5, "met"), (">", 1.49, "unknown"), (">=", 1.4, "unknown")])
    def test_bounds_against_at_least(self, rules_root, comparator, value, expected):
        """'ANC ≥ 1.5': <1.5 settles it (not met), ≤1.5 does not; ≥1.5 settles it (met), >1.49 does not."""
        rec = patient(observations=[anc("o", q(value, "10*9/L", comparator), "2026-01-12")])

        assert expected == screen(rules_root, ANC, rec).result

    @pytest.mark.parametrize(("comparator", "value", "expected"), [
        (">", 1000, "not_met"), (">", 120, "not_met"), (">=", 120, "unknown"), (">", 119, "unknown"),
        ("<", 120, "met"), ("<", 121, "unknown"), ("<=", 120, "met")])
    def test_bounds_against_uln(self, rules_root, comparator, value, expected):
        """ALT ≤ 3×ULN with ULN 40: >1000 U/L is not met; >119 and ≥120 cannot be settled."""
        rec = patient(observations=[anc("alt", q(value, "U/L", comparator), "2026-01-12", code="1742-6",
                                        reference_range={"high": q(40, "U/L")})])

        assert expected == screen(rules_root, ALT, rec).result

    def test_bound_with_unit_conversion(self, rules_root):
        """<1000 /uL is <1.0 ×10⁹/L: settles 'ANC ≥ 1.5' as not met."""
        rec = patient(observations=[anc("o", q(1000, "/uL", "<"), "2026-01-12")])

        assert "not_met" == screen(rules_root, ANC, rec).result

    def test_alt_above_1000_yesterday_beats_18_last_week(self, rules_root):
        """The issue's example: ALT >1000 yesterday and 18 U/L last week is not 'met'."""
        rec = patient(observations=[
            anc("new", q(1000, "U/L", ">"), "2026-01-14", code="1742-6", reference_range={"high": q(40, "U/L")}),
            anc("old", q(18, "U/L"), "2026-01-08", code="1742-6", reference_range={"high": q(40, "U/L")})])

        out = screen(rules_root, ALT, rec)

        assert ("not_met", ["Observation/new"]) == (out.result, refs(out))

    @pytest.mark.parametrize(("comparator", "value", "op", "limit", "expected"), [
        ("<", 0.5, ">=", 1.5, "not_met"), ("<", 0.5, ">=", 0.3, None), ("<", 0.5, "<", 0.5, "met"),
        ("<", 0.5, "<=", 0.5, "met"), ("<=", 0.5, "<", 0.5, None), (">", 5, ">", 5, "met"),
        (">=", 5, ">", 5, None), (">", 5, "==", 5, "not_met"), (None, 5, "!=", 5, "not_met"),
        ("<", 5, "!=", 5, "met"), (None, 5, "==", 5, "met")])
    def test_compare(self, comparator, value, op, limit, expected):
        assert expected == compare(value, comparator, op, limit)

    @pytest.mark.parametrize("op", [">=", ">", "<=", "<", "==", "!="])
    @pytest.mark.parametrize("value", [-1.5, 0.0, 1.4999999999, 1.5, 1.5000000001, 1e308, -math.inf, math.inf, math.nan])
    @pytest.mark.parametrize("limit", [1.5, 0.0, math.inf, math.nan])
    def test_exact_values_take_the_short_way_to_the_same_answer(self, op, value, limit):
        """The shortcut for an exact finite value agrees with the intervals on both sides
        of every limit, and infinities and NaN still go through the intervals."""
        assert compare_intervals(value, None, op, limit) == compare(value, None, op, limit)


class TestTies:
    def test_same_day_disagreeing_codes_are_unknown_with_both(self, rules_root):
        """ANC 1.6 under 751-8 and 1.2 under 26499-4 on one day: unknown, both as evidence."""
        rec = patient(observations=[anc("a", q(1.6, "10*9/L"), "2026-01-12"),
                                    anc("b", q(1.2, "10*9/L"), "2026-01-12", code="26499-4")])

        out = screen(rules_root, ANC, rec)

        assert ("unknown", ["Observation/a", "Observation/b"]) == (out.result, refs(out))

    def test_same_day_agreeing_values_decide(self, rules_root):
        rec = patient(observations=[anc("a", q(1.6, "10*9/L"), "2026-01-12"),
                                    anc("b", q(1.9, "10*9/L"), "2026-01-12", code="26499-4")])

        out = screen(rules_root, ANC, rec)

        assert ("met", ["Observation/a", "Observation/b"]) == (out.result, refs(out))

    def test_times_order_results_within_a_day(self, rules_root):
        """08:00 then 14:00 on one day: the 14:00 result decides, whatever the input order."""
        early = anc("early", q(1.2, "10*9/L"), "2026-01-12T08:00:00Z")
        late = anc("late", q(1.6, "10*9/L"), "2026-01-12T14:00:00Z")

        one = screen(rules_root, ANC, patient(observations=[early, late]))
        other = screen(rules_root, ANC, patient(observations=[late, early]))

        assert ("met", ["Observation/late"]) == (one.result, refs(one)) == (other.result, refs(other))

    def test_zones_order_by_instant(self, rules_root):
        """23:00 at -05:00 on the 11th is 04:00Z on the 12th: later than 02:00Z on the 12th."""
        rec = patient(observations=[anc("west", q(1.2, "10*9/L"), "2026-01-11T23:00:00-05:00"),
                                    anc("utc", q(1.6, "10*9/L"), "2026-01-12T02:00:00Z")])

        out = screen(rules_root, ANC, rec)

        assert ("not_met", ["Observation/west"]) == (out.result, refs(out))

    def test_a_result_without_a_time_ties_with_its_day(self, rules_root):
        """A date-only result cannot be ordered against a timed one on the same day."""
        rec = patient(observations=[anc("day", q(1.2, "10*9/L"), "2026-01-12"),
                                    anc("timed", q(1.6, "10*9/L"), "2026-01-12T14:00:00Z")])

        assert "unknown" == screen(rules_root, ANC, rec).result

    def test_is_after_with_and_without_zones(self):
        a, b = parse_effective("2026-01-12T14:00:00Z"), parse_effective("2026-01-12T08:00:00Z")
        wall = parse_effective("2026-01-12T10:00:00")
        assert a is not None and b is not None and wall is not None

        assert (True, False) == (is_after(a, b), is_after(b, a))
        assert (False, False) == (is_after(a, wall), is_after(wall, b))  # a zoneless time may be anywhere ±14 h
        assert is_after(parse_effective("2026-01-14T00:00:00Z"), wall)  # type: ignore[arg-type]


class TestPartialDates:
    @pytest.mark.parametrize(("effective", "days", "expected"), [
        ("2026-01", 7, "unknown"),  # January: some days in the 7-day window, some not
        ("2025-12", 60, "met"),  # every day of December is inside 60 days before 2026-01-15
        ("2025-06", 14, "unknown"),  # wholly outside: no result in the window
        ("2026", 400, "unknown")])  # 2026 may also mean days after the as-of date
    def test_partial_date_judges_only_where_every_day_agrees(self, rules_root, effective, days, expected):
        rule = ANC.replace("{days: 7}", f"{{days: {days}}}")
        rec = patient(observations=[{"id": "p", "code": {"system": LOINC, "code": "751-8"},
                                     "value": q(2.0, "10*9/L"), "effective": effective}])

        assert expected == screen(rules_root, rule, rec).result

    def test_a_partial_date_that_may_be_newest_blocks_an_older_result(self, rules_root):
        """January 2026 may be after 2026-01-05: a disagreeing January result leaves it unknown."""
        rule = ANC.replace("{days: 7}", "{days: 60}")
        rec = patient(observations=[anc("day", q(2.0, "10*9/L"), "2026-01-05"),
                                    {"id": "month", "code": {"system": LOINC, "code": "751-8"},
                                     "value": q(1.0, "10*9/L"), "effective": "2026-01"}])

        out = screen(rules_root, rule, rec)

        assert ("unknown", ["Observation/month", "Observation/day"]) == (out.result, refs(out))

    def test_a_full_date_after_every_day_of_a_partial_one_decides(self, rules_root):
        rule = ANC.replace("{days: 7}", "{days: 60}")
        rec = patient(observations=[anc("day", q(2.0, "10*9/L"), "2026-01-05"),
                                    {"id": "month", "code": {"system": LOINC, "code": "751-8"},
                                     "value": q(1.0, "10*9/L"), "effective": "2025-12"}])

        assert "met" == screen(rules_root, rule, rec).result

    def test_newest_picks_ties_only(self):
        """The linear newest() agrees with the pairwise definition on a mixed set."""
        from trialrules.engine.latest import in_window
        from trialrules.language.models import Observation

        obs_ = [Observation(str(i), (), 1.0, None, (), None, e) for i, e in enumerate(
            ["2026-01-10", "2026-01-12T08:00:00Z", "2026-01-12", "2026-01", "2026-01-12T20:00:00+09:00"])]
        cands = in_window(obs_, None, AS_OF)
        by_pairs = [c.obs.id for c in cands if not any(
            d.when is not None and c.when is not None and is_after(d.when, c.when) for d in cands)]

        assert by_pairs == [c.obs.id for c in newest(cands, AS_OF)]


def creat(oid: str, value: float, ranges: list[dict], date: str = "2026-01-12") -> dict:
    return {"id": oid, "code": {"system": LOINC, "code": "2160-0"}, "value": q(value, "mg/dL"), "date": date,
            "reference_ranges": ranges}


ADULT = {"high": q(1.2, "mg/dL"), "age_low": q(18, "a"), "age_high": q(120, "a")}
CHILD = {"high": q(0.7, "mg/dL"), "age_low": q(1, "a"), "age_high": q(17, "a")}
MALE = {"high": q(1.3, "mg/dL"), "applies_to": [{"system": "http://snomed.info/sct", "code": "248153007"}]}
FEMALE = {"high": q(1.0, "mg/dL"), "applies_to": [{"system": "http://hl7.org/fhir/administrative-gender",
                                                   "code": "female"}]}


class TestReferenceRanges:
    @pytest.mark.parametrize(("birth", "value", "expected"), [
        ("2018-06-01", 1.05, "met"), ("2018-06-01", 1.06, "not_met"),  # child: ULN 0.7, 1.5×ULN = 1.05
        ("1970-06-01", 1.8, "met"), ("1970-06-01", 1.81, "not_met")])  # adult: ULN 1.2, 1.5×ULN = 1.8
    def test_the_age_band_of_the_patient_at_the_observation(self, rules_root, birth, value, expected):
        """A 7-year-old is judged on the child's ULN, never the adult one listed first."""
        rec = patient(birth_date=birth, observations=[creat("c", value, [ADULT, CHILD])])

        assert expected == screen(rules_root, CREAT_ULN, rec).result

    @pytest.mark.parametrize(("sex", "value", "expected"), [
        ("male", 1.95, "met"), ("male", 1.96, "not_met"), ("female", 1.5, "met"), ("female", 1.51, "not_met"),
        (None, 1.2, "unknown"), (None, 1.6, "unknown")])
    def test_the_sex_of_the_patient(self, rules_root, sex, value, expected):
        """Sex not stated: which range applies is not known, so ×ULN is unknown."""
        rec = patient(sex=sex, observations=[creat("c", value, [MALE, FEMALE])])

        assert expected == screen(rules_root, CREAT_ULN, rec).result

    def test_no_applicable_range_is_unknown(self, rules_root):
        rec = patient(birth_date="2025-06-01", observations=[creat("c", 0.2, [ADULT, CHILD])])  # 7 months old

        out = screen(rules_root, CREAT_ULN, rec)

        assert ("unknown", ["Observation/c"]) == (out.result, refs(out))
        assert "none of its reference ranges applies" in out.reason

    def test_two_applicable_ranges_that_disagree_are_unknown(self, rules_root):
        rec = patient(observations=[creat("c", 1.6, [{"high": q(1.2, "mg/dL")}, {"high": q(0.9, "mg/dL")}])])

        assert "unknown" == screen(rules_root, CREAT_ULN, rec).result

    def test_age_bands_without_a_birth_date_are_unknown(self, rules_root):
        rec = patient(birth_date=None, observations=[creat("c", 1.0, [ADULT, CHILD])])

        assert "unknown" == screen(rules_root, CREAT_ULN, rec).result

    def test_no_range_on_the_newest_is_unknown_never_an_older_range(self, rules_root):
        """Creatinine 3.0 without a range the day before does not give way to last week's 0.9."""
        rec = patient(observations=[creat("new", 3.0, [], "2026-01-14"), creat("old", 0.9, [{"high": q(1.2, "mg/dL")}])])

        out = screen(rules_root, CREAT_ULN, rec)

        assert ("unknown", ["Observation/new"]) == (out.result, refs(out))


class TestQualitative:
    @pytest.mark.parametrize(("value", "expected"), [
        ("Positive", "met"), (" REACTIVE ", "met"), ("pos", "met"), ("negative", "not_met"),
        ("Non-Reactive", "not_met"), ("not detected.", "not_met"),
        ("equivocal", "unknown"), ("Borderline", "unknown"), ("weakly reactive", "unknown"),
        ("indeterminate", "unknown"), ("see comment", "unknown"),
        ({"system": "http://snomed.info/sct", "code": "10828004"}, "met"),
        ({"system": "http://snomed.info/sct", "code": "260385009"}, "not_met"),
        ({"system": "http://snomed.info/sct", "code": "82334004"}, "unknown"),
        ({"system": "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation", "code": "POS"}, "met"),
        ({"system": "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation", "code": "NEG"}, "not_met"),
        ({"system": "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation", "code": "IND"}, "unknown"),
        ({"system": "http://acme.example/results", "code": "X1", "display": "Equivocal"}, "unknown")])
    def test_one_vocabulary(self, rules_root, value, expected):
        """Equivocal, borderline, weakly reactive, indeterminate: neither positive nor negative."""
        rec = patient(observations=[anc("hiv", value, "2026-01-12", code="7917-8")])

        assert expected == screen(rules_root, HIV_ANY, rec).result

    @pytest.mark.parametrize(("value", "expected"), [("negative", "met"), ("equivocal", "unknown"),
                                                      ("positive", "not_met"), ("weakly reactive", "unknown")])
    def test_a_negative_test_is_required(self, rules_root, value, expected):
        rec = patient(observations=[anc("hiv", value, "2026-01-12", code="7917-8")])

        assert expected == screen(rules_root, HIV_NEG, rec).result

    def test_an_equivocal_newest_test_does_not_give_way_to_an_older_negative(self, rules_root):
        rec = patient(observations=[anc("new", "equivocal", "2026-01-12", code="7917-8"),
                                    anc("old", "negative", "2026-01-02", code="7917-8")])

        out = screen(rules_root, HIV_NEG, rec)

        assert ("unknown", ["Observation/new"]) == (out.result, refs(out))

    def test_use_any_counts_an_unreadable_result_as_unknown(self, rules_root):
        """Ever positive: an equivocal test and a negative one are unknown, not 'never positive'."""
        rec = patient(observations=[anc("a", "equivocal", "2025-06-01", code="7917-8"),
                                    anc("b", "negative", "2026-01-02", code="7917-8")])

        assert "unknown" == screen(rules_root, HIV_ANY, rec).result


def cg_record(creatinine: list[dict], weights: list[dict] | None = None) -> object:
    weights = weights if weights is not None else [
        {"id": "w", "code": {"system": LOINC, "code": "29463-7"}, "value": q(70, "kg"), "date": "2026-01-10"}]
    return patient(sex="male", birth_date="1966-01-01", observations=[*creatinine, *weights])


def scr(oid: str, value, date: str) -> dict:
    return {"id": oid, "code": {"system": LOINC, "code": "2160-0"}, "value": value, "date": date}


class TestDerivedInputs:
    """Cockcroft–Gault, male, 60 years, 70 kg: CrCl = 80 × 70 / (72 × Scr); 60 mL/min at Scr 1.296."""

    def test_usable_newest_inputs(self, rules_root):
        assert "met" == screen(rules_root, CG, cg_record([scr("s", q(1.0, "mg/dL"), "2026-01-12")])).result
        assert "not_met" == screen(rules_root, CG, cg_record([scr("s", q(1.4, "mg/dL"), "2026-01-12")])).result

    @pytest.mark.parametrize("newest", [q(3.0, "mmol"), {"value": 3.0}, q(0.5, "mg/dL", "<"), "haemolysed"])
    def test_an_unusable_newest_creatinine_is_unknown_never_the_older(self, rules_root, newest):
        rec = cg_record([scr("new", newest, "2026-01-13"), scr("old", q(0.9, "mg/dL"), "2026-01-06")])

        out = screen(rules_root, CG, rec)

        assert "unknown" == out.result
        assert "Observation/new" in refs(out) and "Observation/old" not in refs(out)

    def test_same_day_weights_that_differ_are_unknown(self, rules_root):
        weights = [{"id": "w1", "code": {"system": LOINC, "code": "29463-7"}, "value": q(70, "kg"), "date": "2026-01-10"},
                   {"id": "w2", "code": {"system": LOINC, "code": "3141-9"}, "value": q(52, "kg"), "date": "2026-01-10"}]

        out = screen(rules_root, CG, cg_record([scr("s", q(1.0, "mg/dL"), "2026-01-12")], weights))

        assert "unknown" == out.result
        assert {"Observation/w1", "Observation/w2"} <= set(refs(out))

    def test_qtcf_from_the_newest_ecg_only(self, rules_root):
        """A newer unreadable QTcF is not replaced by an older QT/HR pair."""
        rule = '{derived: {function: qtcf, op: "<=", value: 470, unit: ms, args: {window: {days: 28}}}}'
        rec = patient(observations=[
            {"id": "qtc", "code": {"system": LOINC, "code": "8636-3"}, "value": q(450, "ms", ">"), "date": "2026-01-12"},
            {"id": "qt", "code": {"system": LOINC, "code": "8634-8"}, "value": q(400, "ms"), "date": "2026-01-05"},
            {"id": "hr", "code": {"system": LOINC, "code": "8867-4"}, "value": q(60, "/min"), "date": "2026-01-05"}])

        out = screen(rules_root, rule, rec)

        assert ("unknown", ["Observation/qtc"]) == (out.result, refs(out))


class _BoundFunction:
    """A plugin whose function returns a bound, as a count with records it could not judge does."""

    def __init__(self, comparator: str | None) -> None:
        self.comparator = comparator

    @hookimpl
    def trialrules_register_functions(self, registry) -> None:
        comparator = self.comparator
        registry.add_function("lines_seen", lambda ctx, args: DerivedValue(2, None, (), "2 lines", comparator))


class TestDerivedBounds:
    @pytest.mark.parametrize(("comparator", "op", "limit", "expected"), [
        (">=", ">=", 2, "met"), (">=", ">=", 3, "unknown"), (">=", "<=", 3, "unknown"), (">=", "<", 2, "not_met"),
        ("<", "<=", 2, "met"), ("<", ">=", 1, "unknown"), (None, ">=", 3, "not_met")])
    def test_a_derived_bound_decides_only_where_it_settles(self, rules_root, comparator, op, limit, expected):
        """'At least 2 lines' meets '≥ 2' but leaves '≥ 3' and '≤ 3' unknown."""
        rules = write_trial(rules_root, {"inclusion/inc01_x": f"""
            id: inc01_x
            text: the protocol's words
            rule: {{derived: {{function: lines_seen, op: "{op}", value: {limit}}}}}
            """})
        engine = Engine(plugins=[TrialPlugin(rules), _BoundFunction(comparator)], load_entrypoints=False)

        assert expected == engine.screen_one(patient(), "mini", AS_OF).criteria[0].result
