"""Fixtures for the outcome computation tests: the reference data vendored in tests/refdata/."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
#: Independent results (R, lifelines, WinNonlin, ...); see tests/refdata/README.md.
REFDATA = REPO / "tests" / "refdata"


def read_csv(name: str) -> list[dict[str, str]]:
    """Rows of a reference CSV as dicts; a missing file is an error (tests never skip for it)."""
    with (REFDATA / name).open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


@pytest.fixture(scope="session")
def refdata() -> Path:
    """Path of the reference data folder; fails when it is missing."""
    if not REFDATA.is_dir():
        pytest.fail(f"reference data not found at {REFDATA}")
    return REFDATA
