"""UCUM against NLM's reference library (ucum-lhc 7.1.10) on FHIR R4's common-UCUM codes.

The answers are in tests/refdata/ucum/ (see its README for where they come from and
how they are compared). A missing file fails the suite: it never skips.
"""

from __future__ import annotations

import csv
import math
import re
from pathlib import Path

import pytest

from trialrules.errors import UnitError
from trialrules.language import units

REFDATA = Path(__file__).parent / "refdata" / "ucum"
#: LHC's Avogadro number: its mol is this many units (UCUM 2.1), where trialrules keeps a dimension.
LHC_MOL = 6.0221367e23
#: Where LHC departs from UCUM 2.1's own table: [LPF] = 100 (Table "Chemical and
#: biochemical units"), LHC 7.1.10 gives 1. Code -> the factor UCUM defines.
UCUM_NOT_LHC = {"[LPF]": 100.0, "/[LPF]": 0.01}
#: Special units whose LHC answer is an amount: the power of mol LHC folds into it.
SPECIAL_MOL_EXPONENT = {"[pH]": 1}


def _rows(name: str) -> list[dict[str, str]]:
    with (REFDATA / name).open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


CODES = _rows("common_units_lhc.csv")
PAIRS = _rows("conversions_lhc.csv")
ACCEPTED = [r for r in CODES if r["lhc_valid"] == "1"]
WITH_FACTOR = [r for r in ACCEPTED if r["lhc_canonical_factor"]]


def _canonical_target(row: dict[str, str]) -> tuple[str, int]:
    """LHC's canonical unit with the mol and eq it counts as numbers, and their total power."""
    mol = int(row["lhc_mol_exponent"] or 0)
    found = re.search(r"power (-?\d+)", row["lhc_message"]) if "equivalents" in row["lhc_message"] else None
    eq = int(found.group(1)) if found else 0
    parts = [p for p in row["lhc_canonical_unit"].split(".") if p != "1"]
    parts += [f"mol{mol}"] * bool(mol) + [f"eq{eq}"] * bool(eq)
    return ".".join(parts) or "1", mol + eq


class TestReferenceData:
    def test_shape(self):
        """The vendored files are the ones the README describes (997 codes, 986 valid, 72 pairs)."""

        assert (len(CODES), len(ACCEPTED), len(WITH_FACTOR), len(PAIRS)) == (997, 986, 933, 72)


class TestCodes:
    def test_every_accepted_code_parses(self):
        """All 986 codes LHC accepts parse (the target was at least 980)."""

        failed = []
        for row in ACCEPTED:
            try:
                units.parse(row["code"])
            except UnitError as exc:
                failed.append(f"{row['code']}: {exc}")

        assert failed == []

    @pytest.mark.parametrize("row", [r for r in CODES if r["lhc_valid"] == "0"], ids=lambda r: r["code"])
    def test_rejected_code_is_rejected(self, row):
        """Annotations with a space are not UCUM: LHC and trialrules both refuse them."""

        with pytest.raises(UnitError, match="annotation"):
            units.parse(row["code"])

    def test_every_factor_agrees(self):
        """Each of the 933 factors to base units equals LHC's to 1e-9 (UCUM's own for [LPF])."""

        disagree = []
        for row in WITH_FACTOR:
            target, power = _canonical_target(row)
            expected = UCUM_NOT_LHC.get(row["code"], float(row["lhc_canonical_factor"]))
            got = units.conversion_factor(row["code"], target) * LHC_MOL**power
            if not math.isclose(got, expected, rel_tol=1e-9):
                disagree.append(f"{row['code']} -> {target}: {got!r}, reference {expected!r}")

        assert disagree == []

    @pytest.mark.parametrize("code", sorted(UCUM_NOT_LHC))
    def test_lpf_is_where_lhc_departs_from_ucum(self, code):
        """The two exceptions above are exactly LHC's factor 1 against UCUM's 100."""

        (row,) = [r for r in CODES if r["code"] == code]

        assert float(row["lhc_canonical_factor"]) == 1.0
        assert units.conversion_factor(code, "1") == UCUM_NOT_LHC[code]

    @pytest.mark.parametrize(
        "row", [r for r in ACCEPTED if r["lhc_message"].startswith("special")], ids=lambda r: r["code"]
    )
    def test_special_unit_value(self, row):
        """Cel, [degF], [pH], dB: 1 of each converts to the value LHC gives through its function."""
        found = re.search(r"\(1 \S+ = (\S+) (\S+)\)", row["lhc_message"])
        assert found is not None
        value, unit = float(found.group(1)), found.group(2)
        mol = SPECIAL_MOL_EXPONENT.get(row["code"], 0)
        target = unit + ".mol" * mol

        assert math.isclose(units.convert(1, row["code"], target) * LHC_MOL**mol, value, rel_tol=1e-9)

    @pytest.mark.parametrize(
        "row", [r for r in ACCEPTED if r["lhc_message"].startswith("arbitrary")], ids=lambda r: r["code"]
    )
    def test_arbitrary_unit(self, row):
        """The 49 arbitrary codes parse as arbitrary, and convert to no plain unit."""
        unit = units.parse(row["code"])

        assert unit.arbitrary
        assert not units.is_convertible(row["code"], "1")


class TestConversions:
    @pytest.mark.parametrize("row", [r for r in PAIRS if r["lhc_result"]], ids=lambda r: f"{r['from']}->{r['to']}")
    def test_pair_lhc_converts(self, row):
        """Each of the 62 pairs LHC converts gives its value to 1e-9 (with the molar mass it was given)."""
        molar = float(row["molar_mass_g_per_mol"]) if row["molar_mass_g_per_mol"] else None

        got = units.convert(float(row["value"]), row["from"], row["to"], molar)

        assert math.isclose(got, float(row["lhc_result"]), rel_tol=1e-9)

    @pytest.mark.parametrize(
        "row",
        [r for r in PAIRS if not r["lhc_result"] and "arbitrary" not in r["lhc_message"]],
        ids=lambda r: f"{r['from']}->{r['to']}",
    )
    def test_pair_lhc_refuses(self, row):
        """What LHC refuses for want of a charge, a molar mass or a common dimension, trialrules refuses."""

        with pytest.raises(UnitError):
            units.convert(float(row["value"]), row["from"], row["to"])

    @pytest.mark.parametrize(
        ("source", "target", "value", "expected"),
        [
            # LHC refuses every arbitrary unit; UCUM's definitions still give these
            # (same unit, another prefix or volume): 1 m[IU]/mL = 1e-3 [IU] / 1e-3 L.
            ("m[IU]/mL", "[IU]/L", 5, 5.0),
            ("[IU]/L", "m[IU]/mL", 25, 25.0),
            ("[IU]/L", "[IU]/mL", 25, 0.025),
            ("u[IU]/mL", "m[IU]/L", 2.5, 2.5),
            ("[iU]/L", "[IU]/L", 5, 5.0),  # UCUM: [IU] = 1 [iU]
        ],
    )
    def test_pair_lhc_refuses_as_arbitrary(self, source, target, value, expected):
        """Arbitrary pairs LHC refuses: one arbitrary unit converts through prefixes and volumes only."""
        assert [r for r in PAIRS if (r["from"], r["to"]) == (source, target) and not r["lhc_result"]]

        assert units.convert(value, source, target) == expected
