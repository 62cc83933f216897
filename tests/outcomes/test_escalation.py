"""3+3 decisions against R escalation::three_plus_three() expectations."""

from __future__ import annotations

import pytest

from trialrules.outcomes.escalation import (
    highest_dose_at_most_one_of_six,
    mtd,
    parse_outcomes,
    three_plus_three,
)

from .conftest import read_csv

ROWS = read_csv("three_plus_three_decisions.csv")


def test_reference_has_130_rows() -> None:
    """The reference file holds the 130 published cases."""
    assert 130 == len(ROWS)


@pytest.mark.parametrize(
    "row", ROWS, ids=lambda r: f"{r['outcomes'] or 'empty'}|deesc={r['allow_deescalate']}"
)
def test_decision_matches_escalation_package(row: dict[str, str]) -> None:
    """Each case gives the package's recommended dose and continue flag."""
    expected_dose = None if row["recommended_dose"] == "NA" else int(row["recommended_dose"])
    expected_continue = row["continue_trial"] == "TRUE"

    d = three_plus_three(row["outcomes"], int(row["num_doses"]), row["allow_deescalate"] == "TRUE")

    assert (expected_dose, expected_continue) == (d.recommended_dose, d.continue_trial)


def test_parse() -> None:
    """Outcome strings become (dose, DLT) per patient."""
    assert [(1, False), (1, False), (2, True)] == parse_outcomes("1NN 2T")


def test_parse_rejects_garbage() -> None:
    """A malformed cohort is reported."""
    with pytest.raises(ValueError, match="2NXT"):
        parse_outcomes("1NNN 2NXT")


def test_dose_out_of_range() -> None:
    """A dose above num_doses is an error, as in the R package."""
    with pytest.raises(ValueError):
        three_plus_three("1NNN 6NNN", 5)


class TestMTD:
    def test_korn_mtd_needs_six(self) -> None:
        """Korn's MTD is the highest dose with ≥ 6 patients and ≤ 1 DLT."""
        outcomes = "1NNN 2NNN 3NNT 3NNN 4NTT"

        assert 3 == mtd(outcomes, 5)
        assert 3 == highest_dose_at_most_one_of_six(outcomes, 5)

    def test_three_patient_mtd_when_allowed(self) -> None:
        """With min_patients=3 a clean 0/3 dose counts."""
        assert 2 == mtd("1NNN 2NNN 3NTT", 5, min_patients=3)
        assert None is mtd("1NNN 2NNN 3NTT", 5)

    def test_no_dose_when_two_of_six(self) -> None:
        """2/6 at dose 1 leaves no MTD."""
        assert None is highest_dose_at_most_one_of_six("1NNT 1NTN", 3)
