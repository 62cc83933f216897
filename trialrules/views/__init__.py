"""
What people see of a screening: a text view for a terminal and a self-contained
HTML view, both opening with the verdict and what it rests on; the to-do list
(``todo``), the coordinators' CSV (``csvout``), a trial's rules in words (``show``)
and progress on stderr (``progress``). The JSON of a result is the converters' job
(``trialrules.language.converters``).

May import the layers below (``language``, ``engine``, ``inputs``) and the top-level
modules they use; nothing imports the views but the public facade, ``results``,
the CLI and the population engines.
"""

from __future__ import annotations

from trialrules.views.html import render_fragment, render_html
from trialrules.views.text import Style, render_text, summary_line
from trialrules.views.todo import Mark, TodoItem, blocking, mark, todo, unknown_leaves

__all__ = ["Mark", "Style", "TodoItem", "blocking", "mark", "render_fragment", "render_html", "render_text", "summary_line", "todo", "unknown_leaves"]
