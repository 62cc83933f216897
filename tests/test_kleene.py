"""Three-valued logic: truth tables and Kleene laws."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from trialrules.engine.kleene import Outcome, all_of, any_of, at_least, negate

M, N, U = "met", "not_met", "unknown"
values = st.sampled_from([M, N, U])


def o(r: str) -> Outcome:
    return Outcome(r, (r,))


class TestTruthTables:
    @pytest.mark.parametrize(("a", "b", "expected"), [
        (M, M, M), (M, N, N), (M, U, U), (N, N, N), (N, U, N), (U, U, U), (N, M, N), (U, M, U), (U, N, N)])
    def test_and(self, a, b, expected):
        """Kleene AND: not_met dominates, then unknown."""

        assert expected == all_of([o(a), o(b)]).result

    @pytest.mark.parametrize(("a", "b", "expected"), [
        (M, M, M), (M, N, M), (M, U, M), (N, N, N), (N, U, U), (U, U, U), (N, M, M), (U, M, M), (U, N, U)])
    def test_or(self, a, b, expected):
        """Kleene OR: met dominates, then unknown."""

        assert expected == any_of([o(a), o(b)]).result

    @pytest.mark.parametrize(("a", "expected"), [(M, N), (N, M), (U, U)])
    def test_not(self, a, expected):
        assert expected == negate(o(a)).result

    def test_reasons_come_from_deciding_parts(self):
        """An AND that fails is explained by the failing part only."""

        out = all_of([Outcome(M, ("fine",)), Outcome(N, ("too low",))])

        assert ("too low",) == out.reasons


class TestAtLeast:
    @pytest.mark.parametrize("combo", list(itertools.product([M, N, U], repeat=3)))
    def test_two_of_three(self, combo):
        """at_least 2: met when 2 met; not_met when even all unknowns can't reach 2."""
        met = combo.count(M)
        unknown = combo.count(U)
        expected = M if met >= 2 else N if met + unknown < 2 else U

        assert expected == at_least(2, [o(c) for c in combo]).result


class TestLaws:
    @given(values, values)
    def test_de_morgan(self, a, b):
        """not(a and b) == (not a) or (not b)."""

        assert negate(all_of([o(a), o(b)])).result == any_of([negate(o(a)), negate(o(b))]).result

    @given(values)
    def test_double_negation(self, a):
        assert a == negate(negate(o(a))).result

    @given(values, values, values)
    def test_associative_and_commutative(self, a, b, c):
        assert all_of([o(a), all_of([o(b), o(c)])]).result == all_of([all_of([o(c), o(a)]), o(b)]).result
        assert any_of([o(a), any_of([o(b), o(c)])]).result == any_of([any_of([o(c), o(a)]), o(b)]).result
