"""The example patient records under examples/patients/cnk-ut screen to the verdict their names tell."""

import datetime
from pathlib import Path

import pytest

import trialrules

EXAMPLES = Path(__file__).resolve().parents[3] / "examples" / "patients" / "cnk-ut"
AS_OF = datetime.date(2026, 3, 2)


@pytest.mark.skipif(not EXAMPLES.is_dir(), reason="examples are not shipped with the wheel")
@pytest.mark.parametrize(
    "name, verdict",
    [
        ("eligible-with-attestations.json", "eligible"),
        ("ineligible-anc-low.json", "ineligible"),
        ("needs-review-labs-older-than-7-days.json", "needs_review"),
    ],
)
def test_example_verdict(name, verdict):
    """Each example gets the verdict in its file name."""
    patients = trialrules.read_patients(str(EXAMPLES / name))
    [result] = list(trialrules.Engine().screen(patients, trials=["cnk-ut"], as_of=AS_OF))

    assert verdict == result.verdict
