"""
Where a resource came from, and the CONTRACT section 4 text of a problem there.

Messages read ``FILE[:LINE][:Resource/id]: what is wrong (at JSON path)``; they are
built by :class:`trialrules.errors.InputError` so every input path words them alike.
"""

from __future__ import annotations

from typing import NamedTuple

from trialrules.errors import InputError


class Where(NamedTuple):
    """The location of one resource: its file, NDJSON line or Bundle entry.

    Cheap to make (one per resource); the JSON path prefix and the fallback id
    are only worked out when a message or an id-less resource needs them.
    """

    file: str
    line: int | None = None
    entry: int | None = None
    full_url: str | None = None

    @property
    def prefix(self) -> str:
        """``$`` for an NDJSON line, ``$.entry[3].resource`` in a Bundle."""
        return "$" if self.entry is None else f"$.entry[{self.entry}].resource"

    def fallback_id(self) -> str:
        """An id for a resource without one: transaction Bundles often leave ids to
        the server and name entries by a ``urn:uuid`` fullUrl instead."""
        if self.full_url:
            tail = self.full_url.rsplit(":", 1)[-1].rsplit("/", 1)[-1]
            if tail:
                return tail
        return f"entry-{self.entry}" if self.entry is not None else f"line-{self.line}"


def message(text: str, where: Where, resource: str | None = None, path: str = "") -> str:
    """The contract text for a problem ``text`` at ``where`` (+ ``path`` inside it)."""
    full = where.prefix + path
    return InputError(
        text, file=where.file, line=where.line, resource=resource,
        path=None if full == "$" else full,
    ).format_message()
