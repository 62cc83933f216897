"""Fixtures for the outcome computation tests: the shared reference data."""

from __future__ import annotations

import csv
import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def shared_dir() -> Path:
    """The shared folder: $TRIALRULES_SHARED, else <repo>/../shared."""
    env = os.environ.get("TRIALRULES_SHARED")
    return Path(env) if env else REPO.parent / "shared"


REFDATA = shared_dir() / "refdata"


def read_csv(name: str) -> list[dict[str, str]]:
    """Rows of a refdata CSV as dicts."""
    with (REFDATA / name).open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


@pytest.fixture(scope="session")
def refdata() -> Path:
    """Path of the refdata folder; skip when it is not available."""
    if not REFDATA.is_dir():
        pytest.skip(f"refdata not found at {REFDATA}")
    return REFDATA
