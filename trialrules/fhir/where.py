"""
Where a resource came from, and the CONTRACT section 4 text of a problem there.

Messages read ``FILE[:LINE][:Resource/id]: what is wrong (at JSON path)``; they are
built by :class:`trialrules.errors.InputError` so every input path words them alike.
"""

from __future__ import annotations

from typing import NamedTuple

from trialrules.errors import InputError


class Where(NamedTuple):
    """The location of one resource: its file, NDJSON line, and JSON path prefix.

    ``prefix`` is ``$`` for an NDJSON line and ``$.entry[3].resource`` in a Bundle;
    ``fallback_id`` names a resource that has no ``id`` (transaction Bundles often
    leave ids to the server and identify entries by ``urn:uuid`` fullUrl instead).
    """

    file: str
    line: int | None
    prefix: str
    fallback_id: str


def message(text: str, where: Where, resource: str | None = None, path: str = "") -> str:
    """The contract text for a problem ``text`` at ``where`` (+ ``path`` inside it)."""
    full = where.prefix + path
    return InputError(
        text, file=where.file, line=where.line, resource=resource,
        path=None if full == "$" else full,
    ).format_message()
