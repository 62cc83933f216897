"""
"Did you mean ...?": the one way an error message proposes the name that was
probably meant (an unknown trial id, rule-file key, value set, function or unit).
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

__all__ = ["did_you_mean"]


def did_you_mean(name: str, known: Iterable[str]) -> str:
    """``"; did you mean 'x'?"`` for the known name closest to ``name`` (difflib's ratio
    ≥ 0.6), else the empty string; ready to append to a message."""
    close = difflib.get_close_matches(name, sorted(known), n=1)
    return f"; did you mean {close[0]!r}?" if close else ""
