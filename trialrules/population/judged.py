"""
What the population engines share between the record path (``population/__init__``) and
the summary path (``population/summary``): the codes the trials' value sets select, and
a patient judged on a worker.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from trialrules.api import Engine
from trialrules.language.models import evolve
from trialrules.language.registry import valueset_lookup
from trialrules.language.terminology import Matcher, compile_valueset
from trialrules.population.backends import valueset_codes
from trialrules.results import ScreeningResult


def trial_codes(engine: Engine, trial_ids: Sequence[str]) -> list[tuple[str | None, str, bool]]:
    """The (system, code, prefix) entries of every value set the trials can use: what SQL selects."""
    matchers: list[Matcher] = []
    for tid in trial_ids:
        trial = engine.trial(tid)
        lookup = valueset_lookup(engine.registry, trial)
        matchers.extend(compile_valueset(vs, lookup) for vs in lookup.values())
    return valueset_codes(matchers)


class Judged:
    """A patient a population engine judged on its workers: what the CLI needs of a record
    (``id``, ``warnings``) and its results, handed over by :meth:`results`."""

    __slots__ = ("id", "warnings", "_outcome", "_engine")

    def __init__(self, pid: str, warnings: tuple[str, ...], outcome: Any, engine: Engine) -> None:
        self.id, self.warnings, self._outcome, self._engine = pid, warnings, outcome, engine

    def results(self) -> list[ScreeningResult]:
        """The results (the audit hook sees each here, in the driver); a worker's error is raised again."""
        if isinstance(self._outcome, BaseException):
            raise self._outcome
        hook = self._engine.plugin_manager.hook.trialrules_screening_finish
        results = [evolve(r, definition=self._engine.compiled(r.trial)) for r in self._outcome]
        for result in results:
            hook(result=result)
        return results
