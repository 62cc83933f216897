"""The example patient records under examples/patients/nk-gd2 screen to the verdict their names tell."""

import datetime
from pathlib import Path

import pytest

import trialrules

EXAMPLES = Path(__file__).resolve().parents[3] / "examples" / "patients" / "nk-gd2"
AS_OF = datetime.date(2026, 1, 15)
CASES = [
    ("eligible-maintenance-with-attestations.json", "eligible", {}),
    ("eligible-relapsed-with-measurable-lesion.json", "eligible", {"inc03_measurable_lesion": "met"}),
    ("ineligible-platelets-low.json", "ineligible", {"inc04_organ_function": "not_met"}),
    ("ineligible-relapsed-without-measurable-lesion.json", "ineligible", {"inc03_measurable_lesion": "not_met"}),
    (
        "needs-review-missing-coagulation-hiv-and-attestations.json",
        "needs_review",
        {"inc04_organ_function": "unknown", "exc05_hiv": "unknown", "inc05_expected_survival": "unknown"},
    ),
]


@pytest.mark.skipif(not EXAMPLES.is_dir(), reason="examples are not shipped with the wheel")
@pytest.mark.parametrize(("name", "verdict", "criteria"), CASES)
def test_example_verdict(name, verdict, criteria):
    """Each example gets the verdict in its file name, for the reason it names."""
    patients = trialrules.read_patients(str(EXAMPLES / name))
    [result] = list(trialrules.Engine().screen(patients, trials=["nk-gd2"], as_of=AS_OF))
    got = {c.id: c.result for c in result.criteria}

    assert verdict == result.verdict
    assert criteria == {k: got[k] for k in criteria}


@pytest.mark.skipif(not EXAMPLES.is_dir(), reason="examples are not shipped with the wheel")
def test_every_example_is_listed():
    """No example file is left untested."""

    assert sorted(p.name for p in EXAMPLES.glob("*.json")) == sorted(c[0] for c in CASES)
