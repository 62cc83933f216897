"""
The text view of screening results, for a coordinator at a terminal.

Each result opens with its verdict and what it rests on: the criteria that
exclude the patient (the protocol's words and the reason), or the to-do list
(data to obtain, decisions for a person). The full criteria tree follows, marked
favourable / unfavourable / unknown for the patient rather than by raw result,
so an exclusion that does not apply shows as favourable.
"""

from __future__ import annotations

import os
import shutil
import textwrap
from collections.abc import Iterable
from typing import IO, TYPE_CHECKING

from attrs import frozen

from trialrules.language.models import CriterionResult
from trialrules.views.todo import Mark, TodoItem, blocking, mark, set_aside_sentence, todo

if TYPE_CHECKING:  # annotations only: results.py calls the views, not the other way round
    from trialrules.results import ScreeningResult

_SYMBOL: dict[Mark, str] = {"favourable": "✓", "unfavourable": "✗", "unknown": "?"}
_COLOUR: dict[str, str] = {
    "favourable": "32", "unfavourable": "31", "unknown": "33",
    "eligible": "1;32", "ineligible": "1;31", "needs_review": "1;33", "bold": "1", "dim": "2",
}
_VERDICT = {"eligible": "ELIGIBLE", "ineligible": "INELIGIBLE", "needs_review": "NEEDS REVIEW"}


@frozen
class Style:
    """Line width and whether to colour (ANSI) the output.

    Use :meth:`for_stream` to pick both from the stream the text goes to.
    """

    width: int = 100
    colour: bool = False

    @classmethod
    def for_stream(cls, stream: IO[str]) -> Style:
        """Terminal width and colour on a terminal (unless ``NO_COLOR`` is set); 100 columns, no colour elsewhere."""
        try:
            tty = stream.isatty()
        except (AttributeError, ValueError):
            tty = False
        if not tty:
            return cls()
        width = shutil.get_terminal_size((100, 24)).columns
        return cls(max(60, min(width, 160)), "NO_COLOR" not in os.environ)

    def paint(self, text: str, what: str) -> str:
        return f"\x1b[{_COLOUR[what]}m{text}\x1b[0m" if self.colour else text

    def wrap(self, text: str, indent: str, first: str | None = None) -> list[str]:
        return textwrap.wrap(
            " ".join(text.split()), width=self.width, initial_indent=first if first is not None else indent,
            subsequent_indent=indent, break_on_hyphens=False,
        ) or [indent.rstrip()]

    def clip(self, text: str, room: int) -> str:
        text = " ".join(text.split())
        return text if len(text) <= room else text[: max(room - 1, 0)].rstrip() + "…"


def render_text(result: ScreeningResult, style: Style | None = None) -> str:
    """One result: header with the verdict and its reasons or to-do list, then the criteria tree."""
    style = style or Style()
    lines = _header(result, style)
    lines.append("")
    lines.append(
        style.paint("Criteria", "bold")
        + f"  ({_SYMBOL['favourable']} favourable, {_SYMBOL['unfavourable']} against the patient, "
        + f"{_SYMBOL['unknown']} unknown)"
    )
    for criterion in result.criteria:
        lines.extend(_tree(criterion, 1, style))
    return "\n".join(lines) + "\n\n"


def _header(result: ScreeningResult, style: Style) -> list[str]:
    verdict = style.paint(_VERDICT[result.verdict], result.verdict)
    lines = [
        style.paint(f"Patient {result.patient}", "bold")
        + f" · trial {result.trial} · as of {result.as_of.isoformat()}: {verdict}"
    ]
    aside = set_aside_sentence(result)
    if aside:
        lines.extend(style.wrap(aside, "  ", "! "))
    if result.verdict == "ineligible":
        reasons = blocking(result)
        lines.append(f"Excluded by {len(reasons)} {'criterion' if len(reasons) == 1 else 'criteria'}:")
        for c in reasons:
            lines.extend(_reason_lines(c, style))
        unknown = sum(1 for c in result.criteria if c.result == "unknown")
        if unknown:
            lines.append(f"({unknown} other criteria are still unknown; see below)")
        return lines
    if result.verdict == "eligible":
        lines.append(f"Every one of the {len(result.criteria)} criteria is favourable.")
        return lines
    items = todo(result)
    data, person = items["data"], items["person"]
    lines.append(f"To decide: {len(data)} data to obtain, {len(person)} decision(s) by a person.")
    if data:
        lines.append("Data to obtain:")
        for item in data:
            lines.extend(_todo_lines(item, style))
    if person:
        lines.append("Needs a person:")
        for item in person:
            lines.extend(_todo_lines(item, style))
    return lines


def _reason_lines(c: CriterionResult, style: Style) -> list[str]:
    symbol = style.paint(_SYMBOL["unfavourable"], "unfavourable")
    lines = style.wrap(f'{c.id} ({c.kind}): "{c.text}"', "      ", f"  {symbol} ")
    lines.extend(style.wrap(c.reason, "      "))
    return lines


def _todo_lines(item: TodoItem, style: Style) -> list[str]:
    if item.kind == "person":
        lines: list[str] = []
        for cid, text in zip(item.criteria, item.texts, strict=True):
            key = item.what.removeprefix("attestation ")
            if not item.what.startswith("attestation "):  # not an attestation: say what to decide
                who = f"{cid} ({item.what})"
                text = f"{text} {item.why}."
            else:
                who = cid if key == cid else f"{cid} (attestation {key})"
            lines.extend(style.wrap(f"{who}: {text}", "      ", "  - "))
        return lines
    head = item.what + (f", {item.window}" if item.window else "")
    lines = style.wrap(head, "      ", "  - ")
    lines.extend(style.paint(line, "dim") for line in style.wrap(f"now: {item.why}", "        ", "      "))
    lines.append("      " + style.paint(style.clip("for " + ", ".join(item.criteria), style.width - 6), "dim"))
    return lines


def _all_favourable(c: CriterionResult) -> bool:
    return mark(c) == "favourable" and all(_all_favourable(k) for k in c.criteria)


def _tree(c: CriterionResult, depth: int, style: Style) -> list[str]:
    pad = "  " * depth
    m = mark(c)
    symbol = style.paint(_SYMBOL[m], m)
    head = f"{pad}{_SYMBOL[m]} {c.id} ({c.kind}) "
    words = style.clip(c.text, style.width - len(head) - 2)
    lines = [f"{pad}{symbol} {c.id} ({c.kind}) " + style.paint(f"“{words}”", "dim")]
    body = pad + "    "
    if c.criteria and _all_favourable(c):
        count = sum(len(_walk(k)) for k in c.criteria)
        lines.extend(style.wrap(c.reason, body))
        lines.append(style.paint(f"{body}({count} sub-criteria, all favourable, folded)", "dim"))
        return lines
    if not c.criteria:
        lines.extend(style.wrap(c.reason, body))
    for child in c.criteria:
        lines.extend(_tree(child, depth + 1, style))
    return lines


def _walk(c: CriterionResult) -> list[CriterionResult]:
    out = [c]
    for k in c.criteria:
        out.extend(_walk(k))
    return out


def summary_line(verdicts: Iterable[str], errors: int) -> str:
    """``3 screened: 1 eligible, 1 ineligible, 1 need review; 0 input errors``."""
    n = {"eligible": 0, "ineligible": 0, "needs_review": 0}
    total = 0
    for v in verdicts:
        n[v] += 1
        total += 1
    return (
        f"{total:,} screened: {n['eligible']:,} eligible, {n['ineligible']:,} ineligible, "
        f"{n['needs_review']:,} need review; {errors:,} input error{'' if errors == 1 else 's'}"
    )
