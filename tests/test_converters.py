"""The hand-written result serialiser gives exactly what the cattrs converter gives."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
from cattrs.gen import make_dict_unstructure_fn, override

import trialrules
from trialrules.language.converters import converter, criterion_result_to_dict, evidence_to_dict
from trialrules.language.models import Coding, CriterionResult, Evidence, Quantity

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
# cattrs' own function, as the converter generated it before the serialiser was written out
by_cattrs = make_dict_unstructure_fn(CriterionResult, converter, criteria=override(omit_if_default=True))


@pytest.mark.parametrize("value", [
    None, "text", 0, -3, 1.5, float("inf"), True, False, Decimal("1.10"), dt.date(2026, 1, 15),
    dt.datetime(2026, 1, 15, 8, 30), Quantity(0.5, "mg/dL", "<"), Coding("91936005", "http://snomed.info/sct", "x"),
    (1, "a"), [2.0, None], {"k": "v"},
])
@pytest.mark.parametrize("day", [None, dt.date(2025, 2, 28)])
def test_evidence_of_every_value_type(value, day):
    evidence = Evidence("Observation/o1", value, "mg/dL", day)

    assert converter.unstructure(evidence) == evidence_to_dict(evidence)


def test_nested_criteria_and_empty_children():
    leaf = CriterionResult("a_1", "inclusion", "t", "met", "Fine.", (Evidence(None),))
    parent = CriterionResult("a", "inclusion", "t", "unknown", "R.", (), (leaf,))

    assert by_cattrs(parent) == criterion_result_to_dict(parent)
    assert "criteria" not in criterion_result_to_dict(leaf)


def test_every_example_patient_of_every_trial():
    """Both serialisers on every criterion result of every example against every trial."""
    engine = trialrules.Engine()
    patients = [p for path in sorted((EXAMPLES / "fhir").glob("*.json")) for p in trialrules.read_patients(path)]
    results = list(engine.screen(patients, None, dt.date(2026, 1, 15)))

    assert len(results) == len(patients) * len(engine.trials) > 50
    for result in results:
        for c in result.criteria:
            assert by_cattrs(c) == criterion_result_to_dict(c)
