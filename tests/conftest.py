"""Core-suite fixtures; helpers live in _support.py (tests/ is on pythonpath)."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture
def rules_root(tmp_path: Path) -> Path:
    return tmp_path
