"""
The ``--format csv`` rows (CONTRACT.md section 2): one per patient and trial, for
coordinators and spreadsheets. Every engine writes through :func:`csv_row`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from trialrules.language.models import MET, NOT_MET, UNKNOWN

if TYPE_CHECKING:  # annotations only (results.py imports the views; csvout is one)
    from trialrules.results import ScreeningResult

CSV_HEADER = ("patient", "trial", "as_of", "verdict", "blocking", "unknown")


def csv_row(result: ScreeningResult) -> tuple[str, str, str, str, str, str]:
    """``blocking``: top-level criteria that make the patient ineligible; ``unknown``:
    top-level criteria still unknown (the to-do list); ids separated by spaces."""
    blocking = [c.id for c in result.criteria
                if (c.kind == "inclusion" and c.result == NOT_MET) or (c.kind == "exclusion" and c.result == MET)]
    unknown = [c.id for c in result.criteria if c.result == UNKNOWN]
    return (result.patient, result.trial, result.as_of.isoformat(), result.verdict,
            " ".join(blocking), " ".join(unknown))
