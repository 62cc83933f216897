"""
Code systems and value-set matching.

Value sets match by system and code; ICD-10(-CM) and ATC entries marked
``prefix`` also match every code below them in the hierarchy (CONTRACT.md
section 5: a set holding ``C92.0`` matches ``C92.00`` and ``C92.02``).

RxNorm products (SCD, SBD, packs) rarely appear in a value set: a product matches
through its ingredients, the codes a FHIR Medication lists (``Medication.ingredient``)
or else the ingredient names its RxNorm normalized name begins with, compared with the
names (``display``) of the set's RxNorm ingredient entries. An RxNorm code that is
neither listed nor named cannot be judged (docs/rule-language.md, "Value sets").
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence

from attrs import frozen

from trialrules.language.models import CodeEntry, Coding, ValueSet

#: Short names used in rule files -> FHIR code system URIs.
SYSTEMS: dict[str, str] = {
    "loinc": "http://loinc.org",
    "snomed": "http://snomed.info/sct",
    "icd10cm": "http://hl7.org/fhir/sid/icd-10-cm",
    "icd10": "http://hl7.org/fhir/sid/icd-10",
    "rxnorm": "http://www.nlm.nih.gov/research/umls/rxnorm",
    "atc": "http://www.whocc.no/atc",
    "cvx": "http://hl7.org/fhir/sid/cvx",
    "cpt": "http://www.ama-assn.org/go/cpt",
    "ucum": "http://unitsofmeasure.org",
    # NCI Thesaurus, as HL7 (terminology.hl7.org CodeSystem v3-nciThesaurus) and mCODE name it
    "ncit": "http://ncicb.nci.nih.gov/xml/owl/EVS/Thesaurus.owl",
    "local": "urn:trialrules:local",
}
_HIERARCHICAL = {SYSTEMS["icd10cm"], SYSTEMS["icd10"], SYSTEMS["atc"]}
# Other spellings of the same systems met in real feeds.
_SYSTEM_ALIASES = {
    "urn:oid:2.16.840.1.113883.6.1": SYSTEMS["loinc"],
    "urn:oid:2.16.840.1.113883.6.96": SYSTEMS["snomed"],
    "urn:oid:2.16.840.1.113883.6.90": SYSTEMS["icd10cm"],
    "urn:oid:2.16.840.1.113883.6.88": SYSTEMS["rxnorm"],
    "urn:oid:2.16.840.1.113883.12.292": SYSTEMS["cvx"],
    "http://hl7.org/fhir/sid/icd-10-cm/": SYSTEMS["icd10cm"],
    "http://snomed.info/sct/": SYSTEMS["snomed"],
    "https://www.whocc.no/atc": SYSTEMS["atc"],
    "http://www.whocc.no/atc/": SYSTEMS["atc"],
}


def system_uri(system: str | None) -> str | None:
    """The canonical URI for a short name, URI or OID of a code system."""
    if system is None:
        return None
    if system in SYSTEMS:
        return SYSTEMS[system]
    return _SYSTEM_ALIASES.get(system, system)


def _normal_code(system: str | None, code: str) -> str:
    code = code.strip()
    if system in _HIERARCHICAL:
        return code.replace(".", "").upper()
    return code


@frozen
class CodeMatch:
    """How a record's codings fare against a value set (:meth:`Matcher.assess`).

    ``entry`` set: the record is in the set (``how`` may say how, e.g. through an
    ingredient name). ``entry`` None and ``cannot_judge`` empty: the record was judged
    and is not in the set. ``cannot_judge`` set: the set cannot tell either way (no
    code, or codes only in systems the set does not cover), and it says why.
    """

    entry: CodeEntry | None = None
    how: str = ""
    cannot_judge: str = ""


_NOT_IN_SET = CodeMatch()
_RXNORM = SYSTEMS["rxnorm"]
#: Distinct codings remembered per value set before the memo starts afresh (memory bounded).
_MEMO_LIMIT = 65536


@frozen
class _Lookup:
    """One coding against one value set: its entry, how it matched, whether it was judged."""

    entry: CodeEntry | None
    how: str
    judged: bool


_BRAND = re.compile(r"\[[^\]]*\]")
_PACK_PART = re.compile(r"\(([^()]*)\)")
# A quantified drug starts with its amount or duration: "5 ML ...", "24 HR ...".
_LEADING_QUANTITY = re.compile(r"^(\d+(\.\d+)? [a-z]+ )+")
# An FDA biosimilar suffix ("bevacizumab-awwb") names the same active ingredient.
_SUFFIX = re.compile(r"-[a-z]{4}(?= |$)")


def product_components(name: str) -> tuple[str, ...]:
    """The ingredient-led parts of an RxNorm normalized name, lower case.

    RxNorm clinical drug names (SCD, SCDF) begin with the ingredient names; a
    multi-ingredient drug joins its parts with " / "; a branded drug (SBD, SBDF)
    carries the brand in brackets at the end; a pack lists its drugs in parentheses
    inside braces; a quantified or extended-release drug begins with its amount or
    duration ("5 ML", "24 HR").
    """
    text = _BRAND.sub("", name.lower()).strip()
    if text.startswith("{"):
        parts = [p for inner in _PACK_PART.findall(text) for p in inner.split(" / ")]
    else:
        parts = text.split(" / ")
    return tuple(_LEADING_QUANTITY.sub("", p.strip()) for p in parts if p.strip())


def _leads_with(component: str, name: str) -> bool:
    """The component begins with the name as whole words (a biosimilar suffix allowed)."""
    if not component.startswith(name):
        return False
    rest = component[len(name):]
    return not rest or rest[0] == " " or _SUFFIX.match(rest) is not None


class Matcher:
    """A value set compiled for fast membership tests.

    Membership is remembered per coding (system, code and display): value-set
    matching is most of a screening's time, and a feed repeats the same codes.
    """

    __slots__ = ("name", "exact", "prefixes", "exclude_exact", "exclude_prefixes", "entries",
                 "ranges", "exclude_ranges", "names", "exclude_names", "included", "declared", "_covered", "_memo")

    def __init__(self, name: str) -> None:
        self.name = name
        self.exact: set[tuple[str | None, str]] = set()
        self.prefixes: list[tuple[str | None, str]] = []
        self.exclude_exact: set[tuple[str | None, str]] = set()
        self.exclude_prefixes: list[tuple[str | None, str]] = []
        self.entries: dict[tuple[str | None, str], CodeEntry] = {}
        #: CPT ranges: (system, first, last, entry); codes of equal length compare in order.
        self.ranges: list[tuple[str | None, str, str, CodeEntry]] = []
        self.exclude_ranges: list[tuple[str | None, str, str, CodeEntry]] = []
        #: RxNorm ingredient names (the entries' display, lower case) -> entry.
        self.names: dict[str, CodeEntry] = {}
        self.exclude_names: set[str] = set()
        #: Included sets with exclusions of their own, asked in turn (their exclusions
        #: narrow them, not the union).
        self.included: list[Matcher] = []
        #: Systems the set judges without listing codes in them (ValueSet.covers).
        self.declared: frozenset[str | None] = frozenset()
        self._covered: frozenset[str | None] | None = None
        self._memo: dict[tuple[str | None, str, str | None], _Lookup] = {}

    def _add(self, entry: CodeEntry, exclude: bool) -> None:
        system = system_uri(entry.system)
        key = (system, _normal_code(system, entry.code))
        if entry.to:
            (self.exclude_ranges if exclude else self.ranges).append((system, key[1], entry.to.strip(), entry))
        elif entry.prefix:
            (self.exclude_prefixes if exclude else self.prefixes).append(key)
        else:
            (self.exclude_exact if exclude else self.exact).add(key)
        if system == _RXNORM and entry.display and not entry.prefix:
            name = entry.display.strip().lower()
            if exclude:
                self.exclude_names.add(name)
            else:
                self.names.setdefault(name, entry)
        if not exclude:
            self.entries[key] = entry

    def _excluded(self, system: str | None, code: str) -> bool:
        return (system, code) in self.exclude_exact or any(
            s == system and code.startswith(p) for s, p in self.exclude_prefixes
        ) or any(s == system and len(code) == len(a) and a <= code <= b for s, a, b, _ in self.exclude_ranges)

    def _listed(self, system: str | None, code: str) -> CodeEntry | None:
        if (system, code) in self.exact:
            return self.entries[(system, code)]
        for s, p in self.prefixes:
            if s == system and code.startswith(p):
                return self.entries[(s, p)]
        for s, first, last, entry in self.ranges:
            if s == system and len(code) == len(first) and first <= code <= last:
                return entry
        return None

    def _by_name(self, display: str) -> tuple[CodeEntry | None, str]:
        """Match an RxNorm product by the ingredient names leading its name."""
        components = product_components(display)
        if any(_leads_with(part, n) for part in components for n in self.exclude_names):
            return None, ""
        for part in components:
            for name, entry in self.names.items():
                if _leads_with(part, name):
                    return entry, f"matched by ingredient name {name} in {display.strip()!r}"
        return None, ""

    def lookup(self, coding: Coding) -> _Lookup:
        """One coding against the set, remembered (see the class docstring)."""
        memo_key = (coding.system, coding.code, coding.display)
        found = self._memo.get(memo_key)
        if found is not None:
            return found
        system = system_uri(coding.system)
        code = _normal_code(system, coding.code)
        if self._excluded(system, code):
            found = _Lookup(None, "", True)
        else:
            entry = self._listed(system, code)
            inner = self._from_included(coding) if entry is None else None
            if entry is not None:
                found = _Lookup(entry, "", True)
            elif inner is not None and inner.entry is not None:
                found = inner
            elif system == _RXNORM and system in self.systems():
                # Not listed: an ingredient outside the set, or a product whose name
                # says what it holds. Without a name it cannot be told apart.
                if coding.display and coding.display.strip():
                    named, how = self._by_name(coding.display)
                    found = _Lookup(named, how, True)
                else:
                    found = _Lookup(None, "", inner is not None and inner.judged)
            else:
                found = _Lookup(None, "", system in self.systems() or (inner is not None and inner.judged))
        if len(self._memo) >= _MEMO_LIMIT:
            self._memo.clear()
        self._memo[memo_key] = found
        return found

    def _from_included(self, coding: Coding) -> _Lookup | None:
        judged = None
        for inner in self.included:
            found = inner.lookup(coding)
            if found.entry is not None:
                return found
            if found.judged:
                judged = found
        return judged

    @property
    def exact_only(self) -> bool:
        """True when membership is a plain lookup of exact codes (no prefix, range, exclusion)."""
        return not (self.prefixes or self.ranges or self.exclude_exact or self.exclude_prefixes
                    or self.exclude_ranges or self.included)

    def entry_for(self, coding: Coding) -> CodeEntry | None:
        """The value-set entry a coding matches (None when it does not match)."""
        return self.lookup(coding).entry

    def matches(self, coding: Coding) -> bool:
        """True when the coding belongs to the value set."""
        return self.lookup(coding).entry is not None

    def matches_any(self, codings: Iterable[Coding]) -> bool:
        """True when any of the codings belongs to the value set."""
        return any(self.lookup(c).entry is not None for c in codings)

    def systems(self) -> frozenset[str | None]:
        """The code systems the set has codes in (what it can judge)."""
        if self._covered is None:
            self._covered = (frozenset(s for s, _ in self.exact) | frozenset(s for s, _ in self.prefixes)
                             | frozenset(s for s, _, _, _ in self.ranges)
                             | frozenset(s for m in self.included for s in m.systems()) | self.declared)
        return self._covered

    def assess(self, codings: Sequence[Coding], ingredients: Sequence[Coding] = ()) -> CodeMatch:
        """Whether a record with these codings is in the set, is not, or cannot be judged.

        The one place record searches ask; CONTRACT.md section 5: a record whose codes
        the set cannot judge is not an absence. ``ingredients`` are a medication's
        ingredient codings (FHIR ``Medication.ingredient``): a product matches through
        them, or through the ingredient names leading its RxNorm name.
        """
        judged = False
        for c in codings:
            found = self.lookup(c)
            if found.entry is not None:
                return CodeMatch(found.entry, found.how)
            judged = judged or found.judged
        for c in ingredients:
            found = self.lookup(c)
            if found.entry is not None:
                # the ingredient's own code is shown as the record's: no "how" needed
                return CodeMatch(found.entry)
            judged = judged or found.judged
        if judged:
            return _NOT_IN_SET
        if not codings and not ingredients:
            return CodeMatch(cannot_judge="it carries no code")
        return CodeMatch(cannot_judge=self._why_not_judged([*codings, *ingredients]))

    def _why_not_judged(self, codings: Sequence[Coding]) -> str:
        covered = self.systems()
        unnamed = sorted({c.code for c in codings if system_uri(c.system) == _RXNORM and _RXNORM in covered})
        others = sorted({str(system_uri(c.system)) for c in codings if system_uri(c.system) not in covered})
        parts = []
        if unnamed:
            parts.append(f"RxNorm code {', '.join(unnamed)} is not listed in this value set and has neither a "
                         "name nor ingredient codes to match through")
        if others:
            parts.append(f"its codes are only in {', '.join(others)}, which this value set does not cover"
                         if not unnamed else f"its other codes are in {', '.join(others)}, which this value set does not cover")
        return "; ".join(parts)

    def first_entry(self, codings: Iterable[Coding]) -> CodeEntry | None:
        """The entry of the first coding that matches."""
        for c in codings:
            entry = self.lookup(c).entry
            if entry is not None:
                return entry
        return None


def valueset_key(vs: ValueSet, lookup: Mapping[str, ValueSet], _seen: frozenset[str] = frozenset()) -> tuple[object, ...]:
    """What a compiled set depends on: the set itself and, as they resolve in ``lookup``,
    the sets it includes. Two trials may give one name different contents; equal keys
    compile to matchers that match alike, whatever the names."""
    inner = tuple(valueset_key(lookup[name], lookup, _seen | {vs.name})
                  for name in vs.include if name not in _seen and name in lookup)
    return (vs, inner)


def compile_valueset(vs: ValueSet, lookup: Mapping[str, ValueSet], _seen: frozenset[str] = frozenset()) -> Matcher:
    """Compile a value set and the sets it includes into a :class:`Matcher`."""
    matcher = Matcher(vs.name)
    matcher.declared = frozenset(system_uri(s) for s in vs.covers)
    for entry in vs.codes:
        matcher._add(entry, exclude=False)
    for entry in vs.exclude:
        matcher._add(entry, exclude=True)
    for name in vs.include:
        if name in _seen or name not in lookup:
            continue  # the validator reports dangling and circular includes
        inner = compile_valueset(lookup[name], lookup, _seen | {vs.name})
        if not inner.exact_only or inner.exclude_names:
            matcher.included.append(inner)  # its exclusions narrow it alone
            continue
        matcher.exact |= inner.exact
        for key, entry in inner.entries.items():
            matcher.entries.setdefault(key, entry)
        for name_, entry in inner.names.items():
            matcher.names.setdefault(name_, entry)
    return matcher
