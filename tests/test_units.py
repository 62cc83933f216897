"""UCUM parsing and conversion against hand-checked values."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from trialrules import units
from trialrules.errors import UnitError


class TestConversions:
    @pytest.mark.parametrize(
        ("value", "source", "target", "expected", "molar"),
        [
            (1.5, "10*9/L", "10*3/uL", 1.5, None),  # 10^9/L = 10^3/µL (CONTRACT §5)
            (1.5, "10*9/L", "/nL", 1.5, None),
            (1500, "/uL", "10*9/L", 1.5, None),
            (1500, "/mm3", "10*9/L", 1.5, None),  # mm3 = µL
            (90, "10*9/L", "10^9/L", 90, None),
            (9.0, "g/dL", "g/L", 90.0, None),
            (900, "mg/dL", "g/L", 9.0, None),
            # haemoglobin as haem monomer: 1 mmol/L = 16.114 g/L
            (5.6, "mmol/L", "g/L", 90.2384, 16114.0),
            (90, "g/L", "mmol/L", 90 / 16.114, 16114.0),
            # creatinine 113.12 g/mol: 1 mg/dL = 10 mg/L / 113.12 g/mol = 88.40 µmol/L
            (1.0, "mg/dL", "umol/L", 88.40169731, 113.12),
            (88.4, "umol/L", "mg/dL", 0.9999808, 113.12),
            # bilirubin 584.66 g/mol: 1 mg/dL = 17.10 µmol/L
            (1.0, "mg/dL", "umol/L", 17.10395786, 584.66),
            (110, "[lb_av]", "kg", 49.8951607, None),  # 1 lb = 0.45359237 kg exactly
            (1000, "g", "kg", 1.0, None),
            (60, "[in_i]", "cm", 152.4, None),  # 1 in = 2.54 cm exactly
            (1.5, "m", "cm", 150.0, None),
            (450, "ms", "s", 0.45, None),
            (50, "%", "1", 0.5, None),
            (60, "mL/min", "L/h", 3.6, None),
            (40, "U/L", "U/mL", 0.04, None),
            (5, "{cells}/uL", "/uL", 5, None),
        ],
    )
    def test_known_values(self, value, source, target, expected, molar):
        """Each unit pair of the contract converts to the hand-checked value."""

        assert math.isclose(expected, units.convert(value, source, target, molar), rel_tol=1e-8)

    def test_boundary_stays_exact(self):
        """1.5 × 10^9/L is exactly 1.5 × 10^3/µL after conversion, so >= holds at the limit."""

        assert 1.5 == units.convert(1500, "/uL", "10*9/L")

    @pytest.mark.parametrize(
        ("source", "target"),
        [("mmol/L", "g/L"), ("g/L", "U/L"), ("kg", "cm"), ("10*9/L", "g/L"), ("%", "mL/min")],
    )
    def test_incompatible(self, source, target):
        """Units of different kinds never convert (amount/mass only with a molar mass)."""

        with pytest.raises(UnitError):
            units.convert(1, source, target)

    @pytest.mark.parametrize("code", ["x10E9/L", "mg/dl/", "", "foo", "10*9/", "(mg"])
    def test_unknown_units(self, code):
        """A code outside UCUM (or this subset) is an error, never a guess."""

        with pytest.raises(UnitError):
            units.parse(code)

    @given(st.floats(min_value=1e-6, max_value=1e9), st.sampled_from([
        ("10*9/L", "/uL", None), ("g/dL", "mmol/L", 16114.0), ("mg/dL", "umol/L", 113.12),
        ("[lb_av]", "kg", None), ("[in_i]", "m", None), ("ms", "min", None)]))
    def test_round_trip(self, value, pair):
        """Converting there and back returns the value (to 1e-9 relative)."""
        source, target, molar = pair

        back = units.convert(units.convert(value, source, target, molar), target, source, molar)

        assert math.isclose(value, back, rel_tol=1e-9)
