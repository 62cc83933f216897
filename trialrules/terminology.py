"""
Code systems and value-set matching.

Value sets match by system and code; ICD-10(-CM) and ATC entries marked
``prefix`` also match every code below them in the hierarchy (CONTRACT.md
section 5: a set holding ``C92.0`` matches ``C92.00`` and ``C92.02``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from attrs import frozen

from trialrules.models import CodeEntry, Coding, ValueSet

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


class Matcher:
    """A value set compiled for fast membership tests."""

    __slots__ = ("name", "exact", "prefixes", "exclude_exact", "exclude_prefixes", "entries")

    def __init__(self, name: str) -> None:
        self.name = name
        self.exact: set[tuple[str | None, str]] = set()
        self.prefixes: list[tuple[str | None, str]] = []
        self.exclude_exact: set[tuple[str | None, str]] = set()
        self.exclude_prefixes: list[tuple[str | None, str]] = []
        self.entries: dict[tuple[str | None, str], CodeEntry] = {}

    def _add(self, entry: CodeEntry, exclude: bool) -> None:
        system = system_uri(entry.system)
        key = (system, _normal_code(system, entry.code))
        if entry.prefix:
            (self.exclude_prefixes if exclude else self.prefixes).append(key)
        else:
            (self.exclude_exact if exclude else self.exact).add(key)
        if not exclude:
            self.entries[key] = entry

    def entry_for(self, coding: Coding) -> CodeEntry | None:
        """The value-set entry a coding matches (None when it does not match)."""
        system = system_uri(coding.system)
        key = (system, _normal_code(system, coding.code))
        if key in self.exclude_exact or any(
            s == system and key[1].startswith(p) for s, p in self.exclude_prefixes
        ):
            return None
        if key in self.exact:
            return self.entries[key]
        for s, p in self.prefixes:
            if s == system and key[1].startswith(p):
                return self.entries[(s, p)]
        return None

    def matches(self, coding: Coding) -> bool:
        """True when the coding belongs to the value set."""
        return self.entry_for(coding) is not None

    def matches_any(self, codings: Iterable[Coding]) -> bool:
        """True when any of the codings belongs to the value set."""
        return any(self.entry_for(c) is not None for c in codings)

    def systems(self) -> frozenset[str | None]:
        """The code systems the set has codes in (what it can judge)."""
        return frozenset(s for s, _ in self.exact) | frozenset(s for s, _ in self.prefixes)

    def assess(self, codings: Sequence[Coding]) -> CodeMatch:
        """Whether a record with these codings is in the set, is not, or cannot be judged.

        The one place record searches ask; CONTRACT.md section 5: a record whose codes
        the set cannot judge is not an absence.
        """
        entry = self.first_entry(codings)
        if entry is not None:
            return CodeMatch(entry)
        if not codings:
            return CodeMatch(cannot_judge="it carries no code")
        covered = self.systems()
        if not any(system_uri(c.system) in covered for c in codings):
            shown = ", ".join(sorted({str(system_uri(c.system)) for c in codings}))
            return CodeMatch(cannot_judge=f"its codes are only in {shown}, which this value set does not cover")
        return _NOT_IN_SET

    def first_entry(self, codings: Iterable[Coding]) -> CodeEntry | None:
        """The entry of the first coding that matches."""
        for c in codings:
            entry = self.entry_for(c)
            if entry is not None:
                return entry
        return None


def compile_valueset(vs: ValueSet, lookup: Mapping[str, ValueSet], _seen: frozenset[str] = frozenset()) -> Matcher:
    """Compile a value set and the sets it includes into a :class:`Matcher`."""
    matcher = Matcher(vs.name)
    for entry in vs.codes:
        matcher._add(entry, exclude=False)
    for entry in vs.exclude:
        matcher._add(entry, exclude=True)
    for name in vs.include:
        if name in _seen or name not in lookup:
            continue  # the validator reports dangling and circular includes
        inner = compile_valueset(lookup[name], lookup, _seen | {vs.name})
        matcher.exact |= inner.exact
        matcher.prefixes += inner.prefixes
        matcher.exclude_exact |= inner.exclude_exact
        matcher.exclude_prefixes += inner.exclude_prefixes
        for key, entry in inner.entries.items():
            matcher.entries.setdefault(key, entry)
    return matcher
