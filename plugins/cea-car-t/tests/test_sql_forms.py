"""The SQL forms of the CEA CAR-T functions (pregnancy tests, course days) against the
functions themselves, value by value, on hand-built patients: one per branch (no test, coded,
text, equivocal, ties, window edges both sides, partial and future dates, each coding style of
a drug, undated and reversed records). A patient whose id ends in ``-defer`` must be left to
the Python function; every other must be decided by SQL, as Python decides it.
"""

from __future__ import annotations

from typing import Any

import pytest
from _sqlforms_support import (
    ATC,
    RXNORM,
    SNOMED,
    assert_form_matches,
    compare_form,
    day,
    drug,
    lab,
    person,
    screen_csv,
    spark_available,
    sql_on_spark,
    write_export,
)

pytest.importorskip("duckdb")

TRIAL = "cea-car-t"
SERUM, URINE = "2118-8", "2106-3"
NEG = {"system": SNOMED, "code": "260385009", "display": "Negative"}
POS = {"system": SNOMED, "code": "10828004", "display": "Positive"}
V3_NEG = {"system": "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation", "code": "NEG"}
LOCAL_NEG = {"system": "urn:oid:1.2.3.4.local", "code": "N", "display": "Negative"}
SNOMED_OTHER = {"system": SNOMED, "code": "123456789", "display": "Negative"}


def hcg_results(pid: str, *results: tuple[Any, ...]) -> list[dict[str, Any]]:
    """A patient with pregnancy tests: (value, when[, code[, unit[, comparator[, status]]]])."""
    out = [person(pid)]
    for i, r in enumerate(results):
        value, when, *rest = r
        code = rest[0] if rest else SERUM
        unit = rest[1] if len(rest) > 1 else None
        comparator = rest[2] if len(rest) > 2 else None
        status = rest[3] if len(rest) > 3 else "final"
        out.append(lab(pid, i, code, value, when, unit=unit, comparator=comparator, status=status))
    return out


PREGNANCY = [
    hcg_results("none"),
    hcg_results("neg-coded-today", (NEG, day(0))),
    hcg_results("pos-coded", (POS, day(3))),
    hcg_results("neg-text", ("Negative", day(2))),
    hcg_results("neg-text-words", ("not detected", day(1))),
    hcg_results("pos-text-plus", ("+", day(1))),
    hcg_results("equivocal-text", ("weakly positive", day(1))),
    hcg_results("unreadable-text", ("see lab report", day(1))),
    hcg_results("v3-neg", (V3_NEG, day(1))),
    hcg_results("local-code-neg-by-words", (LOCAL_NEG, day(1))),
    hcg_results("snomed-outside-vocabulary", (SNOMED_OTHER, day(1))),
    hcg_results("tie-differ", (NEG, day(2)), (POS, day(2))),
    hcg_results("tie-same", (NEG, day(2)), ("negative", day(2))),
    hcg_results("newest-unreadable-older-neg", ("equivocal", day(1)), (NEG, day(3))),
    hcg_results("newer-neg-older-pos", (NEG, day(1)), (POS, day(5))),
    hcg_results("edge-7-in", (NEG, day(7))),
    hcg_results("edge-8-out", (NEG, day(8))),
    hcg_results("edge-28-in", (POS, day(28))),
    hcg_results("edge-29-out", (POS, day(29))),
    hcg_results("future", (NEG, day(-1))),
    hcg_results("month-this", (NEG, day(0)[:7])),
    hcg_results("month-last", (POS, day(30)[:7])),
    hcg_results("preliminary", (POS, day(1), SERUM, None, None, "preliminary")),
    hcg_results("times", (POS, day(1) + "T07:00:00Z"), (NEG, day(1) + "T11:00:00+02:00")),
    hcg_results("urine-pos", (POS, day(4), URINE)),
    hcg_results("qty-neg-milli", (3, day(1), SERUM, "m[IU]/mL")),
    hcg_results("qty-neg-micro", (4900, day(1), SERUM, "u[IU]/mL")),
    hcg_results("qty-below-5", (4.99, day(1), SERUM, "[IU]/L")),
    hcg_results("qty-at-5", (5, day(1), SERUM, "[IU]/L")),
    hcg_results("qty-24.9", (24.9, day(1), SERUM, "[IU]/L")),
    hcg_results("qty-at-25", (25, day(1), SERUM, "m[IU]/mL")),
    hcg_results("qty-pos", (1200, day(1), SERUM, "[IU]/L")),
    hcg_results("qty-below-bound-5", (5, day(1), SERUM, "[IU]/L", "<")),
    hcg_results("qty-at-most-5", (5, day(1), SERUM, "[IU]/L", "<=")),
    hcg_results("qty-at-most-4", (4, day(1), SERUM, "[IU]/L", "<=")),
    hcg_results("qty-below-bound-30", (30, day(1), SERUM, "[IU]/L", "<")),
    hcg_results("qty-above-bound-25", (25, day(1), SERUM, "[IU]/L", ">")),
    hcg_results("qty-at-least-24", (24, day(1), SERUM, "[IU]/L", ">=")),
    hcg_results("qty-no-unit", (3, day(1), SERUM)),
    hcg_results("qty-wrong-unit", (3, day(1), SERUM, "ng/mL")),
    hcg_results("qty-tie-agree", (NEG, day(1)), (3, day(1), URINE, "[IU]/L")),
    hcg_results("qty-tie-differ", (NEG, day(1)), (300, day(1), URINE, "[IU]/L")),
    hcg_results("qty-older", (NEG, day(1)), (40, day(4), SERUM, "[IU]/L")),
]


@pytest.fixture(scope="module")
def pregnancy_export(tmp_path_factory: pytest.TempPathFactory) -> Any:
    return write_export(tmp_path_factory.mktemp("pregnancy") / "export", PREGNANCY)


@pytest.mark.parametrize(("function", "args"), [
    ("cea_car_t_positive_pregnancy_test", {"window_days": 28}),
    ("cea_car_t_negative_pregnancy_test", {"window_days": 7}),
    ("cea_car_t_negative_pregnancy_test", {}),
    ("cea_car_t_positive_pregnancy_test", {"window_days": 7}),
])
def test_pregnancy_test_forms_decide_as_the_functions(pregnancy_export, tmp_path, function, args):
    compared = compare_form(pregnancy_export, TRIAL, function, args, tmp_path / "cache")
    assert_form_matches(compared)
    # the branches are reached: a test, no test, an unreadable test
    values = {c.python[0] for c in compared.values()}
    assert {0, 1, None} <= values


PREDNISONE = {"system": RXNORM, "code": "8640", "display": "prednisone"}
PREDNISOLONE_ATC = {"system": ATC, "code": "H02AB06", "display": "prednisolone"}
AZATHIOPRINE = {"system": RXNORM, "code": "1256", "display": "azathioprine"}
AZATHIOPRINE_PRODUCT = {"system": RXNORM, "code": "197388", "display": "azathioprine 50 MG Oral Tablet"}
METFORMIN = {"system": RXNORM, "code": "6809", "display": "metformin"}


def meds(pid: str, *records: dict[str, Any]) -> list[dict[str, Any]]:
    out = [person(pid)]
    for i, r in enumerate(records):
        out.append(drug(pid, i, **r))
    return out


COURSES = [
    meds("none"),
    meds("other-drug", {"coding": METFORMIN, "start": day(300), "status": "active"}),
    meds("active-200", {"coding": PREDNISONE, "start": day(200), "status": "active"}),
    meds("active-89", {"coding": PREDNISONE, "start": day(89), "status": "active"}),
    meds("active-90", {"coding": PREDNISONE, "start": day(90), "status": "active"}),
    meds("ended-on-recent", {"coding": PREDNISONE, "start": day(200), "end": day(28)}),
    meds("ended-before-recent", {"coding": PREDNISONE, "start": day(200), "end": day(29)}),
    meds("stopped-no-end-old-defer", {"coding": PREDNISONE, "start": day(100), "status": "stopped"}),
    meds("stopped-no-end-recent-defer", {"coding": PREDNISONE, "start": day(10), "status": "stopped"}),
    meds("touching", {"coding": PREDNISONE, "start": day(300), "end": day(151)},
         {"coding": PREDNISOLONE_ATC, "start": day(150), "status": "active"}),
    meds("gap-of-one-day", {"coding": PREDNISONE, "start": day(300), "end": day(152)},
         {"coding": PREDNISOLONE_ATC, "start": day(150), "status": "active"}),
    meds("nested", {"coding": PREDNISONE, "start": day(400), "end": day(10)},
         {"coding": AZATHIOPRINE, "start": day(300), "end": day(200)}),
    meds("same-start", {"coding": PREDNISONE, "start": day(120), "end": day(60)},
         {"coding": AZATHIOPRINE, "start": day(120), "status": "active"}),
    meds("old-long-recent-short", {"coding": PREDNISONE, "start": day(500), "end": day(200)},
         {"coding": PREDNISONE, "start": day(20), "status": "active"}),
    meds("atc", {"coding": PREDNISOLONE_ATC, "start": day(120), "status": "active"}),
    meds("product-ingredient", {"coding": AZATHIOPRINE_PRODUCT, "ingredients": [AZATHIOPRINE], "start": day(95),
                                "status": "active"}),
    meds("text-only", {"coding": None, "text": "steroid tablets", "start": day(200), "status": "active"}),
    meds("undated", {"coding": PREDNISONE, "status": "active"}),
    meds("end-only", {"coding": PREDNISONE, "end": day(5)}),
    meds("undated-beside-dated", {"coding": PREDNISONE, "start": day(200), "status": "active"},
         {"coding": AZATHIOPRINE, "status": "completed"}),
    meds("future", {"coding": PREDNISONE, "start": day(-5), "status": "active"}),
    meds("request", {"coding": PREDNISONE, "start": day(100), "status": "active", "resource": "MedicationRequest"}),
    meds("month-start-defer", {"coding": PREDNISONE, "start": day(120)[:7], "status": "active"}),
    meds("single-day", {"coding": PREDNISONE, "when": day(3), "resource": "MedicationAdministration"}),
    meds("single-day-old", {"coding": PREDNISONE, "when": day(40), "resource": "MedicationAdministration"}),
    meds("not-taken", {"coding": PREDNISONE, "start": day(200), "status": "not-taken"}),
    meds("reversed-defer", {"coding": PREDNISONE, "start": day(100), "end": day(150)},
         {"coding": AZATHIOPRINE, "start": day(120), "status": "active"}),
]


@pytest.fixture(scope="module")
def courses_export(tmp_path_factory: pytest.TempPathFactory) -> Any:
    return write_export(tmp_path_factory.mktemp("courses") / "export", COURSES)


@pytest.mark.parametrize("args", [{"valueset": "immunosuppressants", "recent_days": 28}, {}, {"recent_days": 200}])
def test_course_days_form_decides_as_the_function(courses_export, tmp_path, args):
    compared = compare_form(courses_export, TRIAL, "cea_car_t_course_days", args, tmp_path / "cache")
    assert_form_matches(compared)
    values = [c.python[0] for c in compared.values()]
    assert None in values and 0 in values and any(v and v >= 90 for v in values)


@pytest.mark.skipif(bool(spark_available()), reason=spark_available() or "spark available")
def test_forms_run_alike_on_spark(pregnancy_export, courses_export, tmp_path):
    """The same SQL through sqlglot on Spark."""
    cases = [(pregnancy_export, TRIAL, "cea_car_t_positive_pregnancy_test", {"window_days": 28}),
             (pregnancy_export, TRIAL, "cea_car_t_negative_pregnancy_test", {"window_days": 7}),
             (courses_export, TRIAL, "cea_car_t_course_days", {})]
    spark = sql_on_spark(cases, tmp_path / "cache")
    for (export, trial, function, args), found in zip(cases, spark, strict=True):
        duckdb = {pid: c.sql for pid, c in compare_form(export, trial, function, args, tmp_path / "cache").items()}
        assert found == duckdb


def test_compiled_verdicts_equal_python(tmp_path, pregnancy_export, courses_export):
    """The whole trial on these patients: the compiled csv (the forms compared with the rules'
    limits, a lower bound included) is the per-patient engine's, row by row."""
    python = screen_csv(pregnancy_export, "python", TRIAL, tmp_path / "cache")
    compiled = screen_csv(pregnancy_export, "duckdb", TRIAL, tmp_path / "cache")
    assert compiled == python and python.count("\n") > 10
    python = screen_csv(courses_export, "python", TRIAL, tmp_path / "cache")
    compiled = screen_csv(courses_export, "duckdb", TRIAL, tmp_path / "cache")
    assert compiled == python and python.count("\n") > 10
