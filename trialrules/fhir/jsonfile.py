"""
Reading a JSON document with an error a person can act on (line, column, truncation),
within the limits of :mod:`trialrules.limits`.

A UTF-8 byte-order mark is accepted (FHIR servers and Windows tools write one);
nesting deeper than Python's parser goes (about 1,000 levels) is an error, and
:func:`too_deep` checks the tighter ``JSON_MAX_DEPTH`` where a reader passes
values through whole (native records); an integer of more than
``JSON_MAX_INT_DIGITS`` digits is read as a float (infinite if it overflows),
which the engine reports as a value it cannot judge, rather than as an integer
that overflows later.
"""

from __future__ import annotations

import codecs
import json
from typing import Any

from trialrules.limits import JSON_MAX_DEPTH, JSON_MAX_INT_DIGITS


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
        return _TOO_DEEP
    return f"is not valid JSON: {exc}"


_TOO_DEEP = "is nested too deeply to read"
TOO_DEEP = f"is nested too deeply to read (more than {JSON_MAX_DEPTH} levels)"


def _int(text: str) -> int | float:
    if len(text) > JSON_MAX_INT_DIGITS:
        return float(text)  # inf beyond ~308 digits: an unjudgeable value, not an overflow later
    return int(text)


def too_deep(doc: Any) -> bool:
    """True when ``doc`` nests objects and arrays deeper than JSON_MAX_DEPTH.

    A walk of the whole document: worth it where values are kept whole (a native
    record's values reach the output), not on the FHIR paths, which read known
    fields of bounded depth and where it would cost more than half a parse."""
    if type(doc) is not dict and type(doc) is not list:
        return False
    stack = [(doc, 1)]
    while stack:
        node, depth = stack.pop()
        children = node.values() if type(node) is dict else node
        for child in children:
            if type(child) is dict or type(child) is list:
                if depth >= JSON_MAX_DEPTH:
                    return True
                stack.append((child, depth + 1))
    return False


def loads(data: bytes | str) -> tuple[Any, str | None]:
    """``(document, None)``, or ``(None, problem)`` when ``data`` is not JSON."""
    if isinstance(data, str):
        data = data.removeprefix("\ufeff")
    else:
        data = data.removeprefix(codecs.BOM_UTF8)
    try:
        return json.loads(data, parse_int=_int), None
    except (ValueError, RecursionError) as exc:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        return None, describe_json_error(exc, data)
