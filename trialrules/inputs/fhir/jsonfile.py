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

When `orjson <https://github.com/ijl/orjson>`_ is installed, it parses the usual
document (about 2x faster); the standard parser reads every document orjson refuses
or could read differently, so results and messages are the same with or without it:
errors (with their line and column), NaN and Infinity (read as non-finite numbers,
which the readers report), numbers beyond a double (``1e400``), lone surrogates,
integers beyond 64 bits (orjson would round them to floats silently) and nesting
near Python's limit all take the standard path. Large documents are parsed with the
cyclic garbage collector paused (:mod:`trialrules.inputs.gc_paused`).
"""

from __future__ import annotations

import codecs
import importlib
import json
from types import ModuleType
from typing import Any

from trialrules.inputs import gc_paused as _gc
from trialrules.limits import JSON_MAX_DEPTH, JSON_MAX_INT_DIGITS

_orjson: ModuleType | None
try:  # import_module: one declaration, whether or not orjson (and so its types) is installed
    _orjson = importlib.import_module("orjson")
except ImportError:  # optional (pyproject extra "fast"): the standard parser reads everything
    _orjson = None


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
    return _deeper_than(doc, JSON_MAX_DEPTH)


def _deeper_than(doc: Any, limit: int) -> bool:
    """True when ``doc`` nests objects and arrays more than ``limit`` levels."""
    if type(doc) is not dict and type(doc) is not list:
        return False
    stack = [(doc, 1)]
    while stack:
        node, depth = stack.pop()
        children = node.values() if type(node) is dict else node
        for child in children:
            if type(child) is dict or type(child) is list:
                if depth >= limit:
                    return True
                stack.append((child, depth + 1))
    return False


#: Documents at least this long (bytes) are parsed with the garbage collector paused;
#: below it (an NDJSON line) the pause costs more than the collections it saves.
PAUSE_GC_BYTES = 16 * 1024

# Every byte to itself, except digits to "0": a run of 19 zeros then finds any integer
# orjson might not hold exactly (beyond -2**63 .. 2**64-1).
_DIGITS_AS_ZERO = bytes(48 if 48 <= b <= 57 else b for b in range(256))
_LONG_DIGIT_RUN = b"0" * 19
# orjson refuses nesting beyond 1,024 levels; the standard parser's limit is about 1,000
# levels less the caller's stack. Parsed inside 224 more arrays, a document deeper than
# 800 levels is refused by orjson and read by the standard parser, as without orjson.
_DEEP = 800
_WRAP = 1024 - _DEEP
_OPEN, _CLOSE = b"[" * _WRAP, b"]" * _WRAP


def loads(data: bytes | str) -> tuple[Any, str | None]:
    """``(document, None)``, or ``(None, problem)`` when ``data`` is not JSON."""
    if isinstance(data, str):
        data = data.removeprefix("\ufeff")
    else:
        data = data.removeprefix(codecs.BOM_UTF8)
    if len(data) < PAUSE_GC_BYTES:
        return _loads(data)
    with _gc.paused():
        return _loads(data)


def _loads(data: bytes | str) -> tuple[Any, str | None]:
    if _orjson is not None and type(data) is bytes:
        doc = _fast(data)
        if doc is not _STANDARD:
            return doc, None
    try:
        if type(data) is bytes:
            # json.loads(data, parse_int=_int) step by step, with one decoder for every call
            # (json.loads builds a new one whenever it is given an option: 1.5 µs a line)
            return _DECODER.decode(data.decode(json.detect_encoding(data), "surrogatepass")), None
        return json.loads(data, parse_int=_int), None
    except (ValueError, RecursionError) as exc:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        return None, describe_json_error(exc, data)


_DECODER = json.JSONDecoder(parse_int=_int)
_STANDARD = object()


def _fast(data: bytes) -> Any:
    """The document as orjson reads it, or _STANDARD where the standard parser must
    read it (refused, or read differently, by orjson)."""
    if _LONG_DIGIT_RUN in data.translate(_DIGITS_AS_ZERO):
        return _STANDARD
    wrapped = len(data) > 2 * _DEEP  # a shorter text cannot nest _DEEP levels
    try:
        doc = _orjson.loads(_OPEN + data + _CLOSE if wrapped else data)  # type: ignore[union-attr]
    except _orjson.JSONDecodeError:  # type: ignore[union-attr]
        return _STANDARD
    if wrapped:
        for _ in range(_WRAP):
            # one element at every level of the wrapping, or the text was not one value ("1],[2")
            if type(doc) is not list or len(doc) != 1:
                return _STANDARD
            doc = doc[0]
    return doc
