"""RECIST 1.1 confirmation (two-visit table), AML and INRC best response."""

from __future__ import annotations

import datetime as dt

import pytest

from trialrules.outcomes.response import (
    AML_RANKING,
    AML_RESPONDERS,
    INRC_RANKING,
    INRC_RESPONDERS,
    Assessment,
    best_response,
    recist_bor,
)

START = dt.date(2025, 1, 6)


def _a(day: int, result: str) -> Assessment:
    return Assessment(START + dt.timedelta(days=day), result)


def _bor(*visits: tuple[int, str], **kw: object) -> str:
    return recist_bor([_a(d, r) for d, r in visits], START, **kw).bor  # type: ignore[arg-type]


# RECIST 1.1 (Eisenhauer 2009) two-visit table, notes §3. "met" = the SD
# minimum (42 days from first dose) is reached by the first visit; "not met" =
# both visits fall before day 42. Visits 28+ days apart so a confirmation can count.
@pytest.mark.parametrize(
    "first,second,sd_met,expected",
    [
        ("CR", "CR", True, "CR"),
        ("PR", "CR", True, "PR"),
        ("PR", "PR", True, "PR"),
        ("CR", "PR", True, "SD"),
        ("PR", "SD", True, "SD"),
        ("CR", "SD", True, "SD"),
        ("CR", "PD", True, "SD"),
        ("PR", "PD", True, "SD"),
        ("CR", "PD", False, "PD"),
        ("PR", "PD", False, "PD"),
        ("CR", "NE", True, "SD"),
        ("PR", "NE", True, "SD"),
        ("CR", "NE", False, "NE"),
        ("PR", "NE", False, "NE"),
        ("NE", "NE", True, "NE"),
    ],
)
def test_two_visit_table(first: str, second: str, sd_met: bool, expected: str) -> None:
    """Each row of RECIST 1.1's two-visit table gives the published BOR."""
    days = (43, 71) if sd_met else (8, 36)
    if not sd_met:
        # keep visit 2 before day 42 too, so no SD can be met
        days = (10, 38)

    assert expected == _bor((days[0], first), (days[1], second))


def test_cr_then_sd_early_is_ne_not_pd() -> None:
    """CR then SD before day 42: admiralonco gives NE where RECIST's table says PD (documented choice)."""
    assert "NE" == _bor((10, "CR"), (38, "SD"))


def test_confirmation_needs_28_days() -> None:
    """A CR confirmed 27 days later is not confirmed; 28 days is."""
    assert "SD" == _bor((50, "CR"), (77, "CR"))
    assert "CR" == _bor((50, "CR"), (78, "CR"))


def test_one_ne_between_allowed_two_not() -> None:
    """At most one NE between a response and its confirmation (max_nr_ne = 1)."""
    assert "PR" == _bor((43, "PR"), (60, "NE"), (85, "PR"))
    assert "SD" == _bor((43, "PR"), (55, "NE"), (65, "NE"), (85, "PR"))


def test_sd_between_only_with_accept_sd() -> None:
    """One SD between PR and confirmation breaks it unless accept_sd."""
    visits = ((43, "PR"), (60, "SD"), (85, "PR"))

    assert "SD" == _bor(*visits)
    assert "PR" == _bor(*visits, accept_sd=True)


def test_pr_after_cr_is_not_confirmed_pr() -> None:
    """PR, CR, PR: the confirming run contains a PR after a CR (admiralonco)."""
    assert "SD" == _bor((43, "PR"), (60, "CR"), (62, "PR"))


def test_assessments_after_pd_ignored() -> None:
    """Only assessments up to the first PD count."""
    assert "PD" == _bor((20, "PD"), (60, "CR"), (90, "CR"))


def test_before_first_dose_ignored() -> None:
    """Screening assessments are not responses."""
    assert "MISSING" == _bor((-5, "CR"))


def test_window_end() -> None:
    """An evaluation window end drops later assessments."""
    b = recist_bor([_a(43, "PR"), _a(85, "PR")], START, end=START + dt.timedelta(days=60))

    assert "SD" == b.bor


def test_unconfirmed_allowed_when_confirm_false() -> None:
    """With confirm=False a single PR counts (randomised trials)."""
    assert "PR" == _bor((43, "PR"), confirm=False)


def test_response_date_is_first_response() -> None:
    """DOR starts at the first response date, not at the confirmation."""
    b = recist_bor([_a(43, "PR"), _a(85, "CR"), _a(120, "CR"), _a(160, "PD")], START)

    assert ("CR", START + dt.timedelta(days=43)) == (b.bor, b.response_date)
    assert START + dt.timedelta(days=160) == b.pd_date
    assert START + dt.timedelta(days=160) == b.last_adequate


class TestAML:
    def test_cri_counts_without_confirmation(self) -> None:
        """ORR set CR + CRi + PR; no confirmation by default."""
        b = best_response([_a(28, "NR"), _a(56, "CRi")], START, AML_RANKING, AML_RESPONDERS)

        assert "CRI" == b.bor
        assert b.bor in AML_RESPONDERS

    def test_cr_beats_cri(self) -> None:
        """CR ranks above CRi."""
        b = best_response([_a(28, "CRi"), _a(56, "CR")], START, AML_RANKING, AML_RESPONDERS)

        assert "CR" == b.bor

    def test_confirmation_when_asked(self) -> None:
        """With confirm_days a lone response becomes NE."""
        seq = [_a(28, "PR"), _a(40, "NR")]

        assert "PR" == best_response(seq, START, AML_RANKING, AML_RESPONDERS).bor
        assert "NR" == best_response(seq, START, AML_RANKING, AML_RESPONDERS, confirm_days=28).bor

    def test_relapse_ends_evaluation(self) -> None:
        """Assessments after relapse are not used."""
        seq = [_a(28, "NR"), _a(56, "RELAPSE"), _a(90, "CR")]

        assert "NR" == best_response(seq, START, AML_RANKING, AML_RESPONDERS).bor


class TestINRC:
    def test_mr_is_not_a_response(self) -> None:
        """INRC ORR = CR + PR; MR ranks between PR and SD."""
        b = best_response([_a(40, "SD"), _a(80, "MR")], START, INRC_RANKING, INRC_RESPONDERS)

        assert "MR" == b.bor
        assert b.bor not in INRC_RESPONDERS
