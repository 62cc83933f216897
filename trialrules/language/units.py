"""
UCUM unit codes: parsing and conversion.

A strict implementation of UCUM, the Unified Code for Units of Measure
(https://ucum.org/ucum, version 2.1), written for this project: the case-sensitive
grammar (prefixes, ``.``, ``/``, integer exponents, parentheses, integer factors,
annotations ``{...}``) over the atoms of ``_ATOMS``, ``_ARBITRARY`` and
``_SPECIAL``. Anything else is a :class:`~trialrules.errors.UnitError`, never a
guess: an unparsable unit makes the value unusable.

Where this departs from UCUM's own reading, it does so to keep clinical
quantities apart that UCUM would let mix:

- ``mol`` is a base dimension (UCUM: the number 6.0221367e23), so an amount of
  substance never converts to a count. Mass and amount convert only through a
  molar mass the caller supplies (the measured substance's).
- ``eq`` is a base dimension too (UCUM: 1 mol): equivalents and moles convert
  only through a valence (charge) the caller supplies.
- Each arbitrary unit (``[IU]``, ``[arb'U]``, ``[CFU]``, ...) is a dimension of
  its own: it converts to itself with other prefixes and denominators
  (``[IU]/L`` = ``m[IU]/mL``), never to another unit.
- Annotations are unity: ``{INR}``, ``{cells}/uL`` and ``mL/min/{1.73_m2}``
  mean ``1``, ``/uL`` and ``mL/min``.

Units on a non-ratio scale (``Cel``, ``[degF]``, ``[pH]``, ``dB``) convert values
through their function, not through a factor: use :func:`convert`. They stand alone
in a code; ``Cel/h`` is an error.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import cache, lru_cache

from trialrules.errors import UnitError

# A dimension: the non-zero exponents of the base dimensions, sorted by name.
_Dim = tuple[tuple[str, int], ...]
_ONE: _Dim = ()

#: UCUM's base units, and the two kept apart here (see the module docstring).
_BASES = frozenset({"m", "s", "g", "rad", "K", "C", "cd", "mol", "eq"})

# Limits against hostile codes: no clinical unit comes near them.
_MAX_CODE_LENGTH = 200
_MAX_EXPONENT = 99
_MAX_DEPTH = 20

_PREFIXES: dict[str, float] = {
    "Y": 1e24, "Z": 1e21, "E": 1e18, "P": 1e15, "T": 1e12, "G": 1e9, "M": 1e6,
    "k": 1e3, "h": 1e2, "da": 1e1, "d": 1e-1, "c": 1e-2, "m": 1e-3, "u": 1e-6,
    "n": 1e-9, "p": 1e-12, "f": 1e-15, "a": 1e-18, "z": 1e-21, "y": 1e-24,
}

# atom -> (value, unit it is defined in, metric: may take a prefix).
# Definitions from the UCUM 2.1 tables (ucum-essence.xml, version 2.1, 2017-11-21);
# each atom is defined through atoms above it, down to the base units.
_ATOMS: dict[str, tuple[float, str, bool]] = {
    # dimensionless
    "10*": (10, "1", False),
    "10^": (10, "1", False),
    "[pi]": (math.pi, "1", False),
    "%": (1e-2, "1", False),
    "[ppth]": (1e-3, "1", False),
    "[ppm]": (1e-6, "1", False),
    "[ppb]": (1e-9, "1", False),
    "[pptr]": (1e-12, "1", False),
    # SI derived units
    "sr": (1, "rad2", True),
    "Hz": (1, "s-1", True),
    "N": (1, "kg.m/s2", True),
    "Pa": (1, "N/m2", True),
    "J": (1, "N.m", True),
    "W": (1, "J/s", True),
    "A": (1, "C/s", True),
    "V": (1, "J/C", True),
    "F": (1, "C/V", True),
    "Ohm": (1, "V/A", True),
    "S": (1, "Ohm-1", True),
    "Wb": (1, "V.s", True),
    "T": (1, "Wb/m2", True),
    "H": (1, "Wb/A", True),
    "lm": (1, "cd.sr", True),
    "lx": (1, "lm/m2", True),
    "Bq": (1, "s-1", True),
    "Gy": (1, "J/kg", True),
    "Sv": (1, "J/kg", True),
    # other units from ISO 1000, ISO 2955 and ANSI X3.50
    "gon": (0.9, "deg", False),
    "deg": (2 / 360, "[pi].rad", False),
    "l": (1, "dm3", True),
    "L": (1, "l", True),
    "ar": (100, "m2", True),
    "min": (60, "s", False),
    "h": (60, "min", False),
    "d": (24, "h", False),
    "a_t": (365.24219, "d", False),
    "a_j": (365.25, "d", False),
    "a_g": (365.2425, "d", False),
    "a": (1, "a_j", False),
    "wk": (7, "d", False),
    "mo_s": (29.53059, "d", False),
    "mo_j": (1 / 12, "a_j", False),
    "mo_g": (1 / 12, "a_g", False),
    "mo": (1, "mo_j", False),
    "t": (1e3, "kg", True),
    "bar": (1e5, "Pa", True),
    "u": (1.6605402e-24, "g", True),
    "eV": (1, "[e].V", True),
    "pc": (3.085678e16, "m", True),
    # natural constants used as units
    "[c]": (299792458, "m/s", True),
    "[h]": (6.6260755e-34, "J.s", True),
    "[k]": (1.380658e-23, "J/K", True),
    "[eps_0]": (8.854187817e-12, "F/m", True),
    "[mu_0]": (4e-7, "[pi].N/A2", True),
    "[e]": (1.60217733e-19, "C", True),
    "[m_e]": (9.1093897e-28, "g", True),
    "[m_p]": (1.6726231e-24, "g", True),
    "[G]": (6.67259e-11, "m3.kg-1.s-2", True),
    "[g]": (9.80665, "m/s2", True),
    "atm": (101325, "Pa", False),
    "[ly]": (1, "[c].a_j", True),
    "gf": (1, "g.[g]", True),
    # CGS units
    "Ky": (1, "cm-1", True),
    "Gal": (1, "cm/s2", True),
    "dyn": (1, "g.cm/s2", True),
    "erg": (1, "dyn.cm", True),
    "P": (1, "dyn.s/cm2", True),
    "Bi": (10, "A", True),
    "St": (1, "cm2/s", True),
    "Mx": (1e-8, "Wb", True),
    "G": (1e-4, "T", True),
    "Oe": (250, "/[pi].A/m", True),
    "Gb": (1, "Oe.cm", True),
    "sb": (1, "cd/cm2", True),
    "Lmb": (1, "cd/cm2/[pi]", True),
    "ph": (1e-4, "lx", True),
    "Ci": (3.7e10, "Bq", True),
    "R": (2.58e-4, "C/kg", True),
    "RAD": (100, "erg/g", True),
    "REM": (1, "RAD", True),
    # international customary units
    "[in_i]": (2.54, "cm", False),
    "[ft_i]": (12, "[in_i]", False),
    "[yd_i]": (3, "[ft_i]", False),
    "[mi_i]": (5280, "[ft_i]", False),
    "[fth_i]": (6, "[ft_i]", False),
    "[nmi_i]": (1852, "m", False),
    "[kn_i]": (1, "[nmi_i]/h", False),
    "[sin_i]": (1, "[in_i]2", False),
    "[sft_i]": (1, "[ft_i]2", False),
    "[syd_i]": (1, "[yd_i]2", False),
    "[cin_i]": (1, "[in_i]3", False),
    "[cft_i]": (1, "[ft_i]3", False),
    "[cyd_i]": (1, "[yd_i]3", False),
    "[mil_i]": (1e-3, "[in_i]", False),
    "[hd_i]": (4, "[in_i]", False),
    # US survey lengths
    "[ft_us]": (1200 / 3937, "m", False),
    "[yd_us]": (3, "[ft_us]", False),
    "[in_us]": (1 / 12, "[ft_us]", False),
    "[rd_us]": (16.5, "[ft_us]", False),
    "[ch_us]": (4, "[rd_us]", False),
    "[fur_us]": (40, "[rd_us]", False),
    "[mi_us]": (8, "[fur_us]", False),
    # US volumes
    "[gal_us]": (231, "[in_i]3", False),
    "[bbl_us]": (42, "[gal_us]", False),
    "[qt_us]": (1 / 4, "[gal_us]", False),
    "[pt_us]": (1 / 2, "[qt_us]", False),
    "[gil_us]": (1 / 4, "[pt_us]", False),
    "[foz_us]": (1 / 4, "[gil_us]", False),
    "[fdr_us]": (1 / 8, "[foz_us]", False),
    "[min_us]": (1 / 60, "[fdr_us]", False),
    "[tbs_us]": (1 / 2, "[foz_us]", False),
    "[tsp_us]": (1 / 3, "[tbs_us]", False),
    "[cup_us]": (16, "[tbs_us]", False),
    "[foz_m]": (30, "mL", False),
    "[cup_m]": (240, "mL", False),
    "[tsp_m]": (5, "mL", False),
    "[tbs_m]": (15, "mL", False),
    # British imperial volumes
    "[gal_br]": (4.54609, "l", False),
    "[qt_br]": (1 / 4, "[gal_br]", False),
    "[pt_br]": (1 / 2, "[qt_br]", False),
    "[gil_br]": (1 / 4, "[pt_br]", False),
    "[foz_br]": (1 / 5, "[gil_br]", False),
    "[fdr_br]": (1 / 8, "[foz_br]", False),
    "[min_br]": (1 / 60, "[fdr_br]", False),
    # avoirdupois, troy and apothecaries' weights
    "[gr]": (64.79891, "mg", False),
    "[lb_av]": (7000, "[gr]", False),
    "[oz_av]": (1 / 16, "[lb_av]", False),
    "[dr_av]": (1 / 16, "[oz_av]", False),
    "[scwt_av]": (100, "[lb_av]", False),
    "[lcwt_av]": (112, "[lb_av]", False),
    "[ston_av]": (20, "[scwt_av]", False),
    "[lton_av]": (20, "[lcwt_av]", False),
    "[stone_av]": (14, "[lb_av]", False),
    "[pwt_tr]": (24, "[gr]", False),
    "[oz_tr]": (20, "[pwt_tr]", False),
    "[lb_tr]": (12, "[oz_tr]", False),
    "[sc_ap]": (20, "[gr]", False),
    "[dr_ap]": (3, "[sc_ap]", False),
    "[oz_ap]": (8, "[dr_ap]", False),
    "[lb_ap]": (12, "[oz_ap]", False),
    # force and pressure
    "[lbf_av]": (1, "[lb_av].[g]", False),
    "[psi]": (1, "[lbf_av]/[in_i]2", False),
    "att": (1, "kgf/cm2", False),
    # heat
    "[degR]": (5 / 9, "K", False),
    "cal_[15]": (4.18580, "J", True),
    "cal_[20]": (4.18190, "J", True),
    "cal_m": (4.19002, "J", True),
    "cal_IT": (4.1868, "J", True),
    "cal_th": (4.184, "J", True),
    "cal": (1, "cal_th", True),
    "[Cal]": (1, "kcal_th", False),
    # clinical medicine
    "[diop]": (1, "/m", False),
    "m[H2O]": (9.80665, "kPa", True),
    "m[Hg]": (133.3220, "kPa", True),
    "[in_i'H2O]": (1, "m[H2O].[in_i]/m", False),
    "[in_i'Hg]": (1, "m[Hg].[in_i]/m", False),
    "[PRU]": (1, "mm[Hg].s/ml", False),
    "[wood'U]": (1, "mm[Hg].min/L", False),
    "[drp]": (1 / 20, "ml", False),
    "[mesh_i]": (1, "/[in_i]", False),
    "[Ch]": (1 / 3, "mm", False),
    "[MET]": (3.5, "mL/min/kg", False),
    "[HPF]": (1, "1", False),
    "[LPF]": (100, "1", False),
    # chemistry and laboratory
    "osm": (1, "mol", True),
    "g%": (1, "g/dL", True),
    "[S]": (1e-13, "s", False),
    "kat": (1, "mol/s", True),
    "U": (1, "umol/min", True),
    # miscellaneous
    "Ao": (0.1, "nm", False),
    "b": (100, "fm2", False),
    "mho": (1, "S", True),
    "circ": (2, "[pi].rad", False),
    "sph": (4, "[pi].sr", False),
    "[car_m]": (0.2, "g", False),
    "[smoot]": (67, "[in_i]", False),
    "bit": (1, "1", True),
    "By": (8, "bit", True),
    "Bd": (1, "/s", True),
}

# Arbitrary units: each is its own dimension. atom -> (dimension name, metric).
# [iU] and [IU] are one unit (UCUM defines [IU] as 1 [iU]).
_ARBITRARY: dict[str, tuple[str, bool]] = {
    "[iU]": ("[IU]", True),
    "[IU]": ("[IU]", True),
    **{atom: (atom, False) for atom in (
        "[arb'U]", "[USP'U]", "[GPL'U]", "[MPL'U]", "[APL'U]", "[beth'U]", "[anti'Xa'U]",
        "[todd'U]", "[dye'U]", "[smgy'U]", "[bdsk'U]", "[ka'U]", "[knk'U]", "[mclg'U]",
        "[tb'U]", "[CCID_50]", "[TCID_50]", "[EID_50]", "[PFU]", "[FFU]", "[CFU]", "[IR]",
        "[BAU]", "[AU]", "[Amb'a'1'U]", "[PNU]", "[Lf]", "[D'ag'U]", "[FEU]", "[ELU]", "[EU]",
    )},
}


class _Special:
    """A unit on a non-ratio scale: a value converts to its base units through a function."""

    __slots__ = ("to_base", "from_base", "unit")

    def __init__(self, to_base: Callable[[float], float], from_base: Callable[[float], float],
                 unit: str) -> None:
        self.to_base = to_base
        self.from_base = from_base
        self.unit = unit  # the units to_base gives (a UCUM code)


# atom -> (scale, metric). UCUM 2.1: Cel = cel(1 K), [degF] = degf(5 K/9),
# [degRe] = degre(5 K/4), [pH] = pH(1 mol/l), B = lg(1 1).
_SPECIAL: dict[str, tuple[_Special, bool]] = {
    "Cel": (_Special(lambda v: v + 273.15, lambda k: k - 273.15, "K"), True),
    "[degF]": (_Special(lambda v: (v + 459.67) * 5 / 9, lambda k: k * 9 / 5 - 459.67, "K"), False),
    "[degRe]": (_Special(lambda v: v * 5 / 4 + 273.15, lambda k: (k - 273.15) * 4 / 5, "K"), False),
    "[pH]": (_Special(lambda v: 10.0 ** -v, lambda c: -math.log10(c), "mol/l"), False),
    "B": (_Special(lambda v: 10.0 ** v, math.log10, "1"), True),
}


def _mul(a: _Dim, b: _Dim, power: int = 1) -> _Dim:
    """The dimension of a . b^power."""
    exps = dict(a)
    for name, exp in b:
        exps[name] = exps.get(name, 0) + power * exp
    return tuple(sorted((name, exp) for name, exp in exps.items() if exp))


class Unit:
    """A parsed UCUM unit: a factor to base units and a dimension.

    A special unit (``Cel``, ``[degF]``, ...) converts values through the function
    of :attr:`special`; its factor is then that of the units the function gives
    (``mol/l`` for ``[pH]``).
    """

    __slots__ = ("code", "factor", "dim", "special")

    def __init__(self, code: str, factor: float, dim: _Dim, special: tuple[float, _Special] | None = None) -> None:
        self.code = code
        self.factor = factor
        self.dim = dim
        self.special = special  # (prefix factor, scale) of a special unit

    @property
    def arbitrary(self) -> bool:
        """True for a unit built on an arbitrary unit (``[IU]/L``, ``[arb'U]``)."""
        return any(name not in _BASES for name, _ in self.dim)

    def to_base(self, value: float) -> float:
        """``value`` in this unit, in base units."""
        if self.special is None:
            return value * self.factor
        scale, special = self.special
        return _checked(special.to_base, value * scale, self.code) * self.factor

    def from_base(self, value: float) -> float:
        """``value`` in base units, in this unit."""
        if self.special is None:
            return value / self.factor
        scale, special = self.special
        return _checked(special.from_base, value / self.factor, self.code) / scale

    def __repr__(self) -> str:
        return f"Unit({self.code!r})"


def _checked(function: Callable[[float], float], value: float, code: str) -> float:
    try:
        return function(value)
    except (OverflowError, ValueError, ZeroDivisionError):
        raise UnitError(f"{value!r} cannot be expressed in {code!r}") from None


class _Parser:
    """Recursive descent over UCUM's grammar, one code at a time."""

    def __init__(self, code: str) -> None:
        self.code = code
        self.tokens = _tokenize(code)
        self.pos = 0
        self.depth = 0
        self.special: tuple[float, _Special] | None = None

    def error(self, why: str) -> UnitError:
        return UnitError(f"unit {self.code!r}: {why}")

    def peek(self) -> str | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self) -> str:
        token = self.tokens[self.pos]
        self.pos += 1
        return token

    def main_term(self) -> tuple[float, _Dim]:
        # A leading "/" divides unity by what follows it, as in "/[pi].A/m" (UCUM's oersted).
        value = self.term(leading_slash=self.peek() == "/")
        if self.peek() is not None:
            raise self.error(f"unexpected {self.peek()!r}")
        if self.special is not None and not (
            len(self.tokens) == 1 or (len(self.tokens) == 2 and self.tokens[1].startswith("{"))
        ):
            raise self.error("a unit on a non-ratio scale (Cel, [degF], [pH], dB) stands alone")
        return value

    def term(self, leading_slash: bool = False) -> tuple[float, _Dim]:
        factor, dim = 1.0, _ONE
        operator = "/" if leading_slash else "."
        if leading_slash:
            self.take()
        while True:
            other_factor, other_dim = self.component()
            if operator == ".":
                factor, dim = factor * other_factor, _mul(dim, other_dim)
            else:
                factor, dim = factor / other_factor, _mul(dim, other_dim, -1)
            if factor == 0 or not math.isfinite(factor):
                raise self.error("its factor is out of range")
            if self.peek() not in (".", "/"):
                return factor, dim
            operator = self.take()

    def component(self) -> tuple[float, _Dim]:
        token = self.peek()
        if token is None or token in (".", "/", ")"):
            raise self.error("a unit is missing" + ("" if token is None else f" before {token!r}"))
        self.take()
        if token == "(":
            self.depth += 1
            if self.depth > _MAX_DEPTH:
                raise self.error("too deeply nested")
            value = self.term()
            if self.peek() != ")":
                raise self.error("unbalanced parenthesis")
            self.take()
            self.depth -= 1
        elif token.startswith("{"):
            return 1.0, _ONE  # an annotation alone is the unity
        else:
            value = self.simple(token)
        if (self.peek() or "").startswith("{"):
            self.take()  # annotations ({cells}, {RBCs}) do not change the unit
        return value

    def simple(self, token: str) -> tuple[float, _Dim]:
        """An integer factor, or an atom with its prefix and exponent."""
        if token.isdigit():
            number = float(token)
            if number == 0 or not math.isfinite(number):
                raise self.error(f"factor {token[:20]!r} is out of range")
            return number, _ONE
        symbol, exponent = _split_exponent(token, self.code)
        if abs(exponent) > _MAX_EXPONENT:
            raise self.error(f"exponent {exponent} is out of range")
        factor, dim, special = _unit_atom(symbol, self.code, token)
        if special is not None:
            if exponent != 1:
                raise self.error(f"{symbol!r} is on a non-ratio scale and takes no exponent")
            self.special = special
            return factor, dim
        try:
            power = factor**exponent
        except OverflowError:
            power = math.inf
        if power == 0 or not math.isfinite(power):
            raise self.error(f"{token!r} is out of range")
        return power, _mul(_ONE, dim, exponent)


def _tokenize(code: str) -> list[str]:
    """Operators, parentheses, annotations and simple units (with their exponent)."""
    tokens = []
    pos = 0
    while pos < len(code):
        char = code[pos]
        if char in "./()":
            tokens.append(char)
            pos += 1
        elif char == "{":
            end = code.find("}", pos)
            if end < 0:
                raise UnitError(f"unit {code!r}: annotation {code[pos:]!r} is not closed")
            text = code[pos + 1:end]
            # UCUM: an annotation holds ASCII 33-126 except the curly braces.
            if any(not 33 <= ord(c) <= 126 or c == "{" for c in text):
                raise UnitError(f"unit {code!r}: annotation {code[pos:end + 1]!r} holds a character UCUM does not allow")
            tokens.append(code[pos:end + 1])
            pos = end + 1
        elif char == "}":
            raise UnitError(f"unit {code!r}: '}}' closes no annotation")
        else:
            start = pos
            while pos < len(code) and code[pos] not in "./(){}":
                if code[pos] == "[":
                    end = code.find("]", pos)
                    if end < 0:
                        raise UnitError(f"unit {code!r}: {code[pos:]!r} has no closing ']'")
                    pos = end + 1
                elif not 33 <= ord(code[pos]) <= 126 or code[pos] in "]}":
                    raise UnitError(f"unit {code!r}: cannot read {code[pos]!r}")
                else:
                    pos += 1
            tokens.append(code[start:pos])
    return tokens


def _split_exponent(token: str, code: str) -> tuple[str, int]:
    """``m2`` -> (``m``, 2); ``10*-3`` -> (``10*``, -3); ``mg`` -> (``mg``, 1)."""
    end = len(token)
    while end > 0 and token[end - 1].isdigit():
        end -= 1
    if end == len(token):
        return token, 1
    if end > 0 and token[end - 1] in "+-":
        end -= 1
    symbol, digits = token[:end], token[end:]
    if not symbol or symbol[-1] in "+-":
        raise UnitError(f"unit {code!r}: {token!r} is not a UCUM unit with an exponent")
    if len(digits.lstrip("+-")) > 3:
        raise UnitError(f"unit {code!r}: exponent {digits[:20]} is out of range")
    return symbol, int(digits)


def _atom(symbol: str) -> tuple[float, _Dim, _Special | None, bool] | None:
    """An atom's factor to base units, dimension, scale if special, and whether metric."""
    if symbol in _BASES or symbol in _ARBITRARY or symbol in _SPECIAL or symbol in _ATOMS:
        return _known_atom(symbol)
    return None


@cache  # bounded: only the atoms of the tables above reach it
def _known_atom(symbol: str) -> tuple[float, _Dim, _Special | None, bool]:
    if symbol in _BASES:
        return 1.0, ((symbol, 1),), None, True
    if symbol in _ARBITRARY:
        name, metric = _ARBITRARY[symbol]
        return 1.0, ((name, 1),), None, metric
    if symbol in _SPECIAL:
        special, metric = _SPECIAL[symbol]
        unit = parse(special.unit)
        return unit.factor, unit.dim, special, metric
    value, definition, metric = _ATOMS[symbol]
    unit = parse(definition)
    return value * unit.factor, unit.dim, None, metric


def _unit_atom(symbol: str, code: str, token: str) -> tuple[float, _Dim, tuple[float, _Special] | None]:
    """An atom, maybe with a prefix: its factor, dimension, and (prefix factor, scale) if special."""
    found = _atom(symbol)
    prefix = 1.0
    if found is None:
        for length in (2, 1):
            if symbol[:length] in _PREFIXES:
                candidate = _atom(symbol[length:])
                if candidate is not None and candidate[3]:
                    found, prefix = candidate, _PREFIXES[symbol[:length]]
                    break
    if found is None:
        raise UnitError(f"unit {code!r}: {token!r} is not a UCUM unit")
    factor, dim, special, _ = found
    if special is not None:  # the prefix scales the value on the special scale
        return factor, dim, (prefix, special)
    return prefix * factor, dim, None


def parse(code: str) -> Unit:
    """Parse a UCUM code; raise UnitError when it is not one."""
    if not isinstance(code, str) or not code.strip():
        raise UnitError("no unit given")
    if len(code) > _MAX_CODE_LENGTH:
        raise UnitError(f"unit {code[:40]!r}...: longer than {_MAX_CODE_LENGTH} characters")
    return _parse(code)


@lru_cache(maxsize=1024)
def _parse(code: str) -> Unit:
    parser = _Parser(code.strip())
    factor, dim = parser.main_term()
    return Unit(code, factor, dim, parser.special)


def _amounts(dim: _Dim, molar_mass: float | None, valence: float | None) -> tuple[float, _Dim]:
    """Express equivalents as moles (given a valence) and moles as grams (given a molar mass).

    Returns the factor the quantity is multiplied by and its new dimension.
    """
    factor = 1.0
    exps = dict(dim)
    if valence is not None and exps.get("eq"):
        n = exps.pop("eq")
        factor /= valence**n  # 1 eq = 1/valence mol
        exps["mol"] = exps.get("mol", 0) + n
    if molar_mass is not None and exps.get("mol"):
        n = exps.pop("mol")
        factor *= molar_mass**n  # 1 mol = molar_mass g
        exps["g"] = exps.get("g", 0) + n
    return factor, tuple(sorted((k, v) for k, v in exps.items() if v))


def _bridge(a: Unit, b: Unit, molar_mass: float | None, valence: float | None) -> float:
    """The number base units of ``a`` are multiplied by to give base units of ``b``."""
    if a.dim == b.dim:
        return 1.0
    for name, given in (("molar mass", molar_mass), ("valence", valence)):
        if given is not None and not (math.isfinite(given) and given > 0):
            raise UnitError(f"{name} {given!r} is not a positive number")
    fa, da = _amounts(a.dim, molar_mass, valence)
    fb, db = _amounts(b.dim, molar_mass, valence)
    if da == db:
        return fa / fb
    # Say what is missing when a molar mass or a valence would have done it.
    for needs, mass, charge in (
        ("a molar mass", molar_mass or 1.0, valence),
        ("a valence (charge)", molar_mass, valence or 1.0),
        ("a molar mass and a valence (charge)", molar_mass or 1.0, valence or 1.0),
    ):
        if _amounts(a.dim, mass, charge)[1] == _amounts(b.dim, mass, charge)[1]:
            raise UnitError(
                f"{a.code!r} and {b.code!r} differ by mass, amount of substance or equivalents; "
                f"converting needs {needs} of the substance, and none is known for this measurement"
            )
    raise UnitError(f"{a.code!r} cannot be converted to {b.code!r}")


def conversion_factor(source: str, target: str, molar_mass: float | None = None,
                      valence: float | None = None) -> float:
    """The factor f such that ``value [source] * f = value [target]``.

    Args:
        source: UCUM code of the value.
        target: UCUM code wanted.
        molar_mass: g/mol of the substance, needed between mass and amount units
            (e.g. creatinine 113.12 g/mol between mg/dL and umol/L).
        valence: equivalents per mole of the substance (its charge), needed
            between equivalents and amount units (calcium 2: 1 mmol/L = 2 meq/L).

    Raises:
        UnitError: either unit is unknown, they measure different things, or one is
            on a non-ratio scale (``Cel``): convert its values with :func:`convert`.
    """
    factor = _factor(source, target, molar_mass, valence)
    if factor is None:
        raise UnitError(f"{source!r} or {target!r} is on a non-ratio scale: its values convert, not by a factor")
    return factor


@lru_cache(maxsize=4096)
def _factor(source: str, target: str, molar_mass: float | None, valence: float | None) -> float | None:
    """The conversion factor; None when a unit is special (convert its values instead)."""
    a, b = parse(source), parse(target)
    bridge = _bridge(a, b, molar_mass, valence)
    if a.special is not None or b.special is not None:
        return None
    return a.factor * bridge / b.factor


def convert(value: float, source: str, target: str, molar_mass: float | None = None,
            valence: float | None = None) -> float:
    """Convert ``value`` from ``source`` to ``target`` (see :func:`conversion_factor`).

    Units on a non-ratio scale convert through their functions (38.5 Cel = 101.3 [degF]).

    Raises:
        UnitError: as :func:`conversion_factor`, or a finite value has no finite
            equivalent in ``target``.
    """
    factor = _factor(source, target, molar_mass, valence)
    if factor is not None:
        result = value * factor
    else:
        a, b = parse(source), parse(target)
        result = b.from_base(a.to_base(value) * _bridge(a, b, molar_mass, valence))
    if math.isfinite(value) and not math.isfinite(result):
        raise UnitError(f"{value!r} {source} is out of range in {target}")
    # Keep conversions exact at the boundaries people write (1.5 x 10^9/L in 10*3/uL):
    # a relative round-off of a few ulps must not flip a >= comparison.
    return _snap(result)


_SNAPPED: dict[float, float] = {}


def _snap(x: float) -> float:
    found = _SNAPPED.get(x)  # a batch sees the same few thousand values again and again
    if found is not None:
        return found
    if x == 0 or not math.isfinite(x):
        return x
    rounded = float(f"{x:.12g}")
    found = rounded if math.isclose(rounded, x, rel_tol=1e-12) else x
    if len(_SNAPPED) >= 65536:
        _SNAPPED.clear()
    _SNAPPED[x] = found
    return found


def is_convertible(source: str, target: str, molar_mass: float | None = None,
                   valence: float | None = None) -> bool:
    """True when values in ``source`` convert to ``target``."""
    try:
        _bridge(parse(source), parse(target), molar_mass, valence)
    except UnitError:
        return False
    return True
