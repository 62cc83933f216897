"""UCUM parsing and conversion against hand-checked values."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from trialrules.errors import UnitError
from trialrules.language import units


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


class TestAnnotations:
    @pytest.mark.parametrize(
        ("source", "target"),
        [("{INR}", "{INR}"), ("{INR}", "1"), ("1", "{INR}"), ("{ratio}", "{INR}"), ("{cells}/uL", "/uL"),
         ("mL/min/{1.73_m2}", "mL/min"), ("%{HemoglobinSaturation}", "%")],
    )
    def test_annotation_is_unity(self, source, target):
        """An annotation changes no unit: {INR} is 1, {cells}/uL is /uL."""

        assert units.convert(2.5, source, target) == 2.5

    def test_annotation_characters(self):
        """UCUM annotations hold printable ASCII without spaces (LHC agrees)."""

        with pytest.raises(UnitError, match="annotation"):
            units.parse("{3 times}/d")


class TestAtoms:
    @pytest.mark.parametrize(
        ("value", "source", "target", "expected"),
        [
            (5, "m[IU]/mL", "[IU]/L", 5),  # a prefix before a bracketed atom
            (120, "mm[Hg]", "kPa", 15.99864),  # mm[Hg] is m + m[Hg]; 1 m[Hg] = 133.3220 kPa
            (1, "mm[Hg]", "Pa", 133.322),
            (10, "cm[H2O]", "Pa", 980.665),  # 1 m[H2O] = 9.80665 kPa
            (1, "bar", "kPa", 100),
            (1, "[psi]", "Pa", 6894.757293168361),  # 1 lbf/in2, lbf = 0.45359237 kg x 9.80665 m/s2
            (60, "U/L", "ukat/L", 1),  # 1 U = 1 umol/min, 1 kat = 1 mol/s
            (1, "nkat/L", "U/L", 0.06),
            (3, "[HPF]", "1", 3),
            (1, "[ft_i]", "[in_i]", 12),
            (1, "[gal_us]", "L", 3.785411784),  # 231 in3
        ],
    )
    def test_atom_values(self, value, source, target, expected):
        """The atoms clinical feeds use convert by UCUM's definitions."""

        assert math.isclose(units.convert(value, source, target), expected, rel_tol=1e-9)

    @pytest.mark.parametrize("code", ["[arb'U]", "[CFU]/mL", "[IU]/L", "10*6.[iU]"])
    def test_arbitrary_units_stay_apart(self, code):
        """An arbitrary unit converts to no other unit and to no number."""

        assert not units.is_convertible(code, "1")
        assert not units.is_convertible(code, "[arb'U]" if "arb" not in code else "[IU]")


class TestEquivalents:
    @pytest.mark.parametrize(
        ("value", "source", "target", "valence", "expected"),
        [
            (140, "meq/L", "mmol/L", 1, 140),  # sodium, charge 1
            (5, "meq/L", "mmol/L", 2, 2.5),  # calcium, charge 2: 1 mmol = 2 meq
            (2.5, "mmol/L", "meq/L", 2, 5),
            (1, "eq/L", "meq/mL", 3, 1),
        ],
    )
    def test_with_valence(self, value, source, target, valence, expected):
        """Equivalents and moles convert through the valence the caller gives."""

        assert math.isclose(units.convert(value, source, target, valence=valence), expected, rel_tol=1e-12)

    def test_mass_to_equivalents_needs_both(self):
        """10 mg/dL calcium (40.078 g/mol, charge 2) is 4.990 meq/L; either fact alone is not enough."""

        assert math.isclose(units.convert(10, "mg/dL", "meq/L", 40.078, 2), 100 / 40.078 * 2, rel_tol=1e-12)
        with pytest.raises(UnitError, match="molar mass"):
            units.convert(10, "mg/dL", "meq/L", valence=2)
        with pytest.raises(UnitError, match="valence"):
            units.convert(10, "mg/dL", "meq/L", molar_mass=40.078)

    @pytest.mark.parametrize(("source", "target"), [("meq/L", "mmol/L"), ("mmol/L", "meq/L"), ("eq", "mol")])
    def test_without_valence(self, source, target):
        """No valence: a clear error naming what is missing, never a guessed charge of 1."""

        with pytest.raises(UnitError, match="valence"):
            units.convert(1, source, target)

    @pytest.mark.parametrize("bad", [0, -1, math.nan, math.inf])
    def test_bad_valence_or_molar_mass(self, bad):
        """A valence or molar mass must be a positive finite number."""

        with pytest.raises(UnitError):
            units.convert(1, "meq/L", "mmol/L", valence=bad)
        with pytest.raises(UnitError):
            units.convert(1, "mg/dL", "umol/L", molar_mass=bad)


class TestTemperature:
    @pytest.mark.parametrize(
        ("value", "source", "target", "expected"),
        [
            (38.5, "Cel", "[degF]", 101.3),
            (101.3, "[degF]", "Cel", 38.5),
            (0, "Cel", "K", 273.15),
            (-40, "Cel", "[degF]", -40),  # the scales cross at -40
            (32, "[degF]", "Cel", 0),
            (212, "[degF]", "K", 373.15),
            (310.15, "K", "Cel", 37),
            (37, "Cel{oral}", "Cel", 37),
        ],
    )
    def test_values_with_offset(self, value, source, target, expected):
        """Temperatures convert with their offsets, not by a factor (38.5 °C is 101.3 °F, not 69.3)."""

        assert math.isclose(units.convert(value, source, target), expected, rel_tol=1e-12, abs_tol=1e-9)

    def test_no_factor(self):
        """A temperature has no conversion factor: asking for one is an error, not 1.8."""

        with pytest.raises(UnitError, match="non-ratio"):
            units.conversion_factor("Cel", "[degF]")
        assert units.is_convertible("Cel", "[degF]")

    @pytest.mark.parametrize("code", ["Cel/h", "Cel2", "(Cel)", "mg/Cel", "[degF].s"])
    def test_special_units_stand_alone(self, code):
        """Cel, [degF]: a unit on an interval scale cannot be multiplied or raised."""

        with pytest.raises(UnitError):
            units.parse(code)

    def test_ph(self):
        """pH 7.4 is 39.8 nmol/L of H+ (10^-7.4 mol/L), and back."""

        assert math.isclose(units.convert(7.4, "[pH]", "nmol/L"), 10 ** -7.4 * 1e9, rel_tol=1e-9)
        assert math.isclose(units.convert(39.81071705534969, "nmol/L", "[pH]"), 7.4, rel_tol=1e-9)


class TestHostileUnits:
    @pytest.mark.parametrize(
        "code",
        [
            "10*9/0", "0", "/0", "10*400/L", "10*-400", "kg400", "kg-400", "m99999999999999999999",
            "(" * 1000 + "m" + ")" * 1000, "(" * 25 + "m" + ")" * 25, "1" * 400,
            "10*99.10*99.10*99.10*99", "10*9/(10*-99.10*-99.10*-99.10*-99)", "m." * 150 + "m",
            "}", "{", "{a{b}", "[", "]", "m]", "()", "(m", "m)", "..", "/", "//m", "m//s", "+", "-",
            "1e3", "m^2", "10**9", "x10E9", "µg", "m\x00", "m {x}", "mg\u00b2", "{x}Cel",
            "[degF]/(Cel)", "B[SPL]",
        ],
    )
    def test_hostile_code_is_a_unit_error(self, code):
        """Hostile codes raise UnitError, never ZeroDivisionError, OverflowError or RecursionError."""

        with pytest.raises(UnitError):
            units.parse(code)

    @pytest.mark.parametrize(
        ("value", "source", "target"),
        [(1e308, "kg", "mg"), (1e308, "Cel", "[degF]"), (-400, "[pH]", "mol/L"), (0, "mol/L", "[pH]"),
         (-1, "mol/L", "[pH]"), (1e300, "dB", "1")],
    )
    def test_value_out_of_range(self, value, source, target):
        """A finite value with no finite equivalent is a UnitError, never inf or OverflowError."""

        with pytest.raises(UnitError):
            units.convert(value, source, target)

    def test_deep_but_sane_nesting(self):
        """Parentheses up to 20 deep are read."""

        assert units.convert(1, "(" * 20 + "mg" + ")" * 20, "g") == 0.001

    @given(st.text(alphabet="m0123456789*^+-./()[]{}gLIUCel_'%", max_size=40))
    def test_random_codes_raise_only_unit_error(self, code):
        """Whatever the code, parsing returns a Unit with a finite non-zero factor or raises UnitError."""
        try:
            unit = units.parse(code)
        except UnitError:
            return

        assert math.isfinite(unit.factor) and unit.factor != 0


class TestTables:
    def test_every_atom_resolves(self):
        """Every atom of the UCUM tables is defined down to the base units, finite and non-zero."""
        atoms = [*units._ATOMS, *units._ARBITRARY, *units._SPECIAL, *units._BASES]

        for atom in atoms:
            unit = units.parse(atom)
            assert math.isfinite(unit.factor) and unit.factor > 0, atom

    @pytest.mark.parametrize(
        ("source", "target", "expected"),
        [
            # UCUM 2.1 definitions worked by hand
            ("[mi_us]", "m", 5280 * 1200 / 3937),  # 8 furlongs of 40 rods of 16.5 US survey feet
            ("[lton_av]", "kg", 2240 * 0.45359237),
            ("Oe", "A/m", 250 / math.pi),  # UCUM writes it "/[pi].A/m" x 250: unity over pi, not over all
            ("[mu_0]", "N/A2", 4e-7 * math.pi),
            ("eV", "J", 1.60217733e-19),
            ("[Cal]", "J", 4184),
            ("[ppm]", "1", 1e-6),
            ("[drp]", "mL", 0.05),
            ("[MET]", "mL/min/kg", 3.5),
        ],
    )
    def test_atoms_outside_the_reference(self, source, target, expected):
        """Atoms the reference list does not hold, against their UCUM definitions."""

        assert math.isclose(units.conversion_factor(source, target), expected, rel_tol=1e-12)
