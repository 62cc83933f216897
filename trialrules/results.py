"""
The screening result: one patient against one trial at one as-of date.

The result is data (``models.CriterionResult`` and ``models.Evidence`` are its
parts); its methods are conveniences of the public API that hand the result to
the modules that own each job: JSON serialisation to ``converters``, the to-do
list and the blocking criteria to ``views.todo``, the HTML view to ``views.html``.
Those modules name this class in annotations only, so the imports run one way.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from attrs import field, frozen

from trialrules.language.converters import screening_result_to_dict
from trialrules.language.models import UNKNOWN, CriterionResult, SetAside, Verdict
from trialrules.views.html import render_fragment
from trialrules.views.todo import TodoItem, blocking, todo


@frozen
class ScreeningResult:
    """The screening of one patient against one trial at one as-of date."""

    patient: str
    trial: str
    as_of: dt.date
    verdict: Verdict
    criteria: tuple[CriterionResult, ...]
    #: Records of the input set aside for their subject (in JSON only when there are some).
    set_aside: tuple[SetAside, ...] = ()
    #: The compiled trial that produced this result (not part of the JSON): the
    #: views read the rule definitions from it to say what data a to-do item needs.
    definition: Any = field(default=None, eq=False, repr=False)

    def __reduce__(self) -> tuple[Any, ...]:
        # Pickles travel without the compiled trial (closures do not pickle); the views
        # then fall back to the reasons alone.
        return (ScreeningResult, (self.patient, self.trial, self.as_of, self.verdict, self.criteria,
                                  self.set_aside))

    def to_dict(self) -> dict[str, Any]:
        """The JSON object of CONTRACT.md section 2 (``converters.screening_result_to_dict``)."""
        return screening_result_to_dict(self)

    def unknown_criteria(self) -> list[CriterionResult]:
        """Every top-level criterion still unknown (see :meth:`todo` for the leaves)."""
        return [c for c in self.criteria if c.result == UNKNOWN]

    def blocking(self) -> list[CriterionResult]:
        """The deepest criteria that make the patient ineligible (empty unless ineligible).

        .. versionadded:: 0.2
        """
        return blocking(self)

    def todo(self) -> dict[str, list[TodoItem]]:
        """The coordinator's to-do list: unknown leaf criteria, by what resolves them.

        Returns:
            ``{"data": [TodoItem...], "person": [TodoItem...]}``: data to obtain (which
            test, dated within which window) and decisions only a person can attest.

        .. versionadded:: 0.2
        """
        return todo(self)

    def _repr_html_(self) -> str:
        """The HTML screening view, for notebooks."""
        return render_fragment([self])
