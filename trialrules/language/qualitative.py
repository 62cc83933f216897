"""
The one vocabulary of qualitative results every trial reads: positive, negative, indeterminate.

A coded result is read by its code, else by its words; a text result by its words, with
case, surrounding whitespace, hyphens and a final full stop ignored. Anything the vocabulary
does not know is not read at all (None): the engine then answers ``unknown``, never
"negative". Equivocal, borderline, weakly reactive and similar results are indeterminate,
which is neither positive nor negative (CONTRACT.md section 5).
"""

from __future__ import annotations

import re
from typing import Any, Literal

from trialrules.language.models import Coding

Reading = Literal["positive", "negative", "indeterminate"]
POSITIVE: Reading = "positive"
NEGATIVE: Reading = "negative"
INDETERMINATE: Reading = "indeterminate"

SNOMED = "http://snomed.info/sct"
LOINC = "http://loinc.org"
V3_INTERPRETATION = "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation"

#: (system, code) -> reading, with the display each code is published with.
#: SNOMED CT qualifier values (International edition); HL7 v3 ObservationInterpretation
#: (terminology.hl7.org), the codes FHIR Observation.interpretation and many lab feeds use;
#: LOINC answers LA6576-8 / LA6577-6.
CODES: dict[tuple[str, str], tuple[Reading, str]] = {
    (SNOMED, "10828004"): (POSITIVE, "Positive"),
    (SNOMED, "260373001"): (POSITIVE, "Detected"),
    (SNOMED, "11214006"): (POSITIVE, "Reactive"),
    (SNOMED, "52101004"): (POSITIVE, "Present"),
    (SNOMED, "260385009"): (NEGATIVE, "Negative"),
    (SNOMED, "260415000"): (NEGATIVE, "Not detected"),
    (SNOMED, "131194007"): (NEGATIVE, "Non-Reactive"),
    (SNOMED, "2667000"): (NEGATIVE, "Absent"),
    (SNOMED, "82334004"): (INDETERMINATE, "Indeterminate"),
    (SNOMED, "42425007"): (INDETERMINATE, "Equivocal"),
    (SNOMED, "419984006"): (INDETERMINATE, "Inconclusive"),
    (LOINC, "LA6576-8"): (POSITIVE, "Positive"),
    (LOINC, "LA6577-6"): (NEGATIVE, "Negative"),
    (V3_INTERPRETATION, "POS"): (POSITIVE, "Positive"),
    (V3_INTERPRETATION, "DET"): (POSITIVE, "Detected"),
    (V3_INTERPRETATION, "RR"): (POSITIVE, "Reactive"),
    (V3_INTERPRETATION, "NEG"): (NEGATIVE, "Negative"),
    (V3_INTERPRETATION, "ND"): (NEGATIVE, "Not detected"),
    (V3_INTERPRETATION, "NR"): (NEGATIVE, "Non-reactive"),
    (V3_INTERPRETATION, "IND"): (INDETERMINATE, "Indeterminate"),
    (V3_INTERPRETATION, "E"): (INDETERMINATE, "Equivocal"),
    (V3_INTERPRETATION, "WR"): (INDETERMINATE, "Weakly reactive"),
}

#: Words (normalised by :func:`normal_text`) -> reading.
WORDS: dict[str, Reading] = {
    **{w: POSITIVE for w in ("positive", "pos", "detected", "reactive", "present", "+")},
    **{w: NEGATIVE for w in ("negative", "neg", "not detected", "non reactive", "nonreactive",
                             "undetected", "undetectable", "absent", "not present", "-")},
    **{w: INDETERMINATE for w in ("indeterminate", "equivocal", "borderline", "weakly reactive",
                                  "weak reactive", "weakly positive", "weak positive", "inconclusive",
                                  "grey zone", "gray zone", "ind")},
}

_SPACES = re.compile(r"[\s_-]+")


def normal_text(text: str) -> str:
    """Lower case, hyphens and runs of whitespace as one space, no final full stop."""
    return _SPACES.sub(" ", text.casefold()).strip().rstrip(".").strip()


def reading_of(value: Any) -> Reading | None:
    """How the vocabulary reads a result (a Coding or text); None when it cannot."""
    if isinstance(value, Coding):
        system = value.system or ""
        found = CODES.get((system, value.code.strip()))
        if found is not None:
            return found[0]
        if system in (SNOMED, V3_INTERPRETATION, LOINC):
            return None  # a code of these systems outside the vocabulary: its words do not decide
        return WORDS.get(normal_text(value.display)) if value.display else WORDS.get(normal_text(value.code))
    if isinstance(value, str):
        return WORDS.get(normal_text(value))
    return None


def codes_reading(reading: Reading) -> list[tuple[str, str, str]]:
    """``(system, code, display)`` of every code read as ``reading`` (for value sets)."""
    return [(s, c, d) for (s, c), (r, d) in CODES.items() if r == reading]
