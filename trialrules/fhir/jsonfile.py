"""
Reading a JSON document with an error a person can act on (line, column, truncation).
"""

from __future__ import annotations

import json
from typing import Any


def describe_json_error(exc: ValueError | RecursionError, data: bytes | str) -> str:
    """What is wrong with a JSON text, and where (CONTRACT section 4 wording)."""
    if isinstance(exc, json.JSONDecodeError):
        rest = exc.doc[exc.pos:] if isinstance(exc.doc, str) else ""
        if not exc.doc.strip():
            return "is empty, not JSON"
        if not rest.strip():
            return (f"is truncated: the JSON ends at line {exc.lineno} column {exc.colno} "
                    f"before the document is complete ({exc.msg})")
        return f"is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
    if isinstance(exc, UnicodeDecodeError):
        return f"is not UTF-8 text (byte {exc.start})"
    if isinstance(exc, RecursionError):
        return "is nested too deeply to read"
    return f"is not valid JSON: {exc}"


def loads(data: bytes | str) -> tuple[Any, str | None]:
    """``(document, None)``, or ``(None, problem)`` when ``data`` is not JSON."""
    try:
        return json.loads(data), None
    except (ValueError, RecursionError) as exc:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        return None, describe_json_error(exc, data)
