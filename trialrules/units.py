"""
UCUM unit codes: parsing and conversion.

A small, strict implementation of the part of UCUM (https://ucum.org/ucum,
Unified Code for Units of Measure, version 2.1) that laboratory and clinical data
use: SI prefixes, multiplication ``.``, division ``/``, integer exponents,
parentheses, annotations ``{...}``, the ``10*N``/``10^N`` factors, and the atoms
listed in ``_ATOMS``. Anything else is an error, never a guess: an unparsable
unit makes the value unusable. Mass and amount of substance convert only
through a molar mass the caller supplies (the measured substance's).
"""

from __future__ import annotations

import math
import re
from functools import lru_cache

from trialrules.errors import UnitError

# Dimensions are tuples of exponents over these base dimensions.
_BASES = ("m", "g", "s", "mol", "U", "[IU]")
_Dim = tuple[int, ...]
_NONE: _Dim = (0, 0, 0, 0, 0, 0)


def _dim(**exps: int) -> _Dim:
    return tuple(exps.get(b.strip("[]"), 0) for b in _BASES)


# atom -> (factor to the base units, dimension, may take a prefix)
# Factors from the UCUM 2.1 tables (ucum-essence.xml).
_ATOMS: dict[str, tuple[float, _Dim, bool]] = {
    "m": (1.0, _dim(m=1), True),
    "g": (1.0, _dim(g=1), True),
    "s": (1.0, _dim(s=1), True),
    "mol": (6.02214076e23, _dim(mol=1), True),  # UCUM defines mol as 6.0221367e23 {#}; we keep mol as a base
    "L": (1e-3, _dim(m=3), True),
    "l": (1e-3, _dim(m=3), True),
    "U": (1.0, _dim(U=1), True),  # enzyme unit, umol/min: kept apart from mol/s on purpose
    "[IU]": (1.0, _dim(IU=1), True),
    "[iU]": (1.0, _dim(IU=1), True),
    "%": (1e-2, _NONE, False),
    "min": (60.0, _dim(s=1), False),
    "h": (3600.0, _dim(s=1), False),
    "d": (86400.0, _dim(s=1), False),
    "wk": (604800.0, _dim(s=1), False),
    "mo": (2629800.0, _dim(s=1), False),  # mean Julian month: 30.4375 d
    "a": (31557600.0, _dim(s=1), False),  # Julian year: 365.25 d
    "[lb_av]": (453.59237, _dim(g=1), False),
    "[oz_av]": (28.349523125, _dim(g=1), False),
    "[in_i]": (0.0254, _dim(m=1), False),
    "[ft_i]": (0.3048, _dim(m=1), False),
    "[mi_i]": (1609.344, _dim(m=1), False),
}
# mol is a base dimension here, so its factor must be 1 for conversions inside it.
_ATOMS["mol"] = (1.0, _dim(mol=1), True)

_PREFIXES: dict[str, float] = {
    "Y": 1e24, "Z": 1e21, "E": 1e18, "P": 1e15, "T": 1e12, "G": 1e9, "M": 1e6,
    "k": 1e3, "h": 1e2, "da": 1e1, "d": 1e-1, "c": 1e-2, "m": 1e-3, "u": 1e-6,
    "n": 1e-9, "p": 1e-12, "f": 1e-15, "a": 1e-18, "z": 1e-21, "y": 1e-24,
}

_TOKEN = re.compile(r"\s*(\{[^{}]*\}|\(|\)|\.|/|10[*^][+-]?\d+|\[[^\[\]]+\]|[A-Za-z%]+(?:[+-]?\d+)?|[+-]?\d+)")


class Unit:
    """A parsed UCUM unit: a factor to base units and a dimension vector."""

    __slots__ = ("code", "factor", "dim")

    def __init__(self, code: str, factor: float, dim: _Dim) -> None:
        self.code = code
        self.factor = factor
        self.dim = dim

    def __repr__(self) -> str:
        return f"Unit({self.code!r})"


def _atom(symbol: str, code: str) -> tuple[float, _Dim]:
    if symbol in _ATOMS:
        factor, dim, _ = _ATOMS[symbol]
        return factor, dim
    for plen in (2, 1):
        prefix, rest = symbol[:plen], symbol[plen:]
        if prefix in _PREFIXES and rest in _ATOMS and _ATOMS[rest][2]:
            factor, dim, _ = _ATOMS[rest]
            return _PREFIXES[prefix] * factor, dim
    raise UnitError(f"unit {code!r}: {symbol!r} is not a UCUM unit this library knows")


def _combine(a: tuple[float, _Dim], b: tuple[float, _Dim], sign: int) -> tuple[float, _Dim]:
    return a[0] * b[0] ** sign, tuple(x + sign * y for x, y in zip(a[1], b[1], strict=True))


class _Parser:
    def __init__(self, code: str) -> None:
        self.code = code
        self.tokens = self._tokenize(code)
        self.pos = 0

    def _tokenize(self, code: str) -> list[str]:
        out, pos = [], 0
        while pos < len(code):
            match = _TOKEN.match(code, pos)
            if not match or match.end() == pos:
                raise UnitError(f"unit {code!r}: cannot read from {code[pos:]!r}")
            out.append(match.group(1))
            pos = match.end()
        return out

    def peek(self) -> str | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self) -> str:
        token = self.tokens[self.pos]
        self.pos += 1
        return token

    def term(self) -> tuple[float, _Dim]:
        if self.peek() == "/":  # a leading "/" divides 1
            self.take()
            value = _combine((1.0, _NONE), self.component(), -1)
        else:
            value = self.component()
        while self.peek() in (".", "/"):
            sign = 1 if self.take() == "." else -1
            value = _combine(value, self.component(), sign)
        return value

    def component(self) -> tuple[float, _Dim]:
        token = self.peek()
        if token is None:
            raise UnitError(f"unit {self.code!r}: a unit is missing")
        self.take()
        if token == "(":
            value = self.term()
            if self.peek() != ")":
                raise UnitError(f"unit {self.code!r}: unbalanced parenthesis")
            self.take()
        elif token.startswith("{"):
            return 1.0, _NONE  # an annotation alone is the unity
        elif re.fullmatch(r"10[*^][+-]?\d+", token):
            value = (10.0 ** int(token[3:]), _NONE)
        elif re.fullmatch(r"[+-]?\d+", token):
            value = (float(token), _NONE)
        else:
            symbol = token
            exponent = 1
            match = re.fullmatch(r"(.*?[^\d+-])([+-]?\d+)", symbol)
            if match and not symbol.startswith("["):
                symbol, exponent = match.group(1), int(match.group(2))
            factor, dim = _atom(symbol, self.code)
            value = (factor**exponent, tuple(d * exponent for d in dim))
        if self.peek() and self.peek().startswith("{"):  # type: ignore[union-attr]
            self.take()  # annotations ({cells}, {RBCs}) do not change the unit
        return value


@lru_cache(maxsize=1024)
def parse(code: str) -> Unit:
    """Parse a UCUM code; raise UnitError when it is not one this library reads."""
    if not isinstance(code, str) or not code.strip():
        raise UnitError("no unit given")
    if code.strip() == "1":
        return Unit(code, 1.0, _NONE)
    parser = _Parser(code.strip())
    factor, dim = parser.term()
    if parser.peek() is not None:
        raise UnitError(f"unit {code!r}: unexpected {parser.peek()!r}")
    return Unit(code, factor, dim)


_MASS_PER_MOL = tuple(g - mol for g, mol in zip(_dim(g=1), _dim(mol=1), strict=True))


@lru_cache(maxsize=4096)
def conversion_factor(source: str, target: str, molar_mass: float | None = None) -> float:
    """The factor f such that ``value [source] * f = value [target]``.

    Args:
        source: UCUM code of the value.
        target: UCUM code wanted.
        molar_mass: g/mol of the substance, needed between mass and amount units
            (e.g. creatinine 113.12 g/mol between mg/dL and umol/L).

    Raises:
        UnitError: either unit is unknown, or they measure different things.
    """
    a, b = parse(source), parse(target)
    if a.dim == b.dim:
        return a.factor / b.factor
    diff = tuple(x - y for x, y in zip(b.dim, a.dim, strict=True))
    if molar_mass is not None and diff in (_MASS_PER_MOL, tuple(-d for d in _MASS_PER_MOL)):
        # source is amount and target mass: multiply by g/mol; the reverse divides.
        molar = molar_mass if diff == _MASS_PER_MOL else 1.0 / molar_mass
        return a.factor * molar / b.factor
    if diff in (_MASS_PER_MOL, tuple(-d for d in _MASS_PER_MOL)):
        raise UnitError(
            f"{source!r} and {target!r} differ by mass and amount of substance; "
            "no molar mass is known for this measurement"
        )
    raise UnitError(f"{source!r} cannot be converted to {target!r}")


def convert(value: float, source: str, target: str, molar_mass: float | None = None) -> float:
    """Convert ``value`` from ``source`` to ``target`` (see :func:`conversion_factor`)."""
    result = value * conversion_factor(source, target, molar_mass)
    # Keep conversions exact at the boundaries people write (1.5 x 10^9/L in 10*3/uL):
    # a relative round-off of a few ulps must not flip a >= comparison.
    return _snap(result)


def _snap(x: float) -> float:
    if x == 0 or not math.isfinite(x):
        return x
    rounded = float(f"{x:.12g}")
    return rounded if math.isclose(rounded, x, rel_tol=1e-12) else x


def is_convertible(source: str, target: str, molar_mass: float | None = None) -> bool:
    """True when ``source`` converts to ``target``."""
    try:
        conversion_factor(source, target, molar_mass)
    except UnitError:
        return False
    return True
