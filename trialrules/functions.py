"""
The API a derived-value function is written against (docs/plugin-guide.md): what it
receives (:class:`FunctionContext`), what it returns (:class:`DerivedValue`), and the
helpers plugin functions share. Plugins import these from here or from ``trialrules``.

A function is registered with ``registry.add_function(name, fn)`` and called as
``fn(ctx, args)`` with the rule's ``args`` mapping.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable, Hashable, Mapping, Sequence
from typing import Any, TypeVar

from attrs import field, frozen

from trialrules.engine.latest import compare
from trialrules.engine.patient import PatientIndex, describe_window, window_start
from trialrules.engine.spans import Span, record_span
from trialrules.language.models import Evidence, Observation, PatientRecord, Window
from trialrules.language.statuses import ONGOING
from trialrules.language.terminology import Matcher

__all__ = ["DerivedFunction", "DerivedValue", "FunctionContext", "Latest", "Span", "SqlValue", "every_reading",
           "last_day_applies", "record_span", "span_days"]

T = TypeVar("T")
R = TypeVar("R", bound=Hashable)

#: At most this many combinations of readings are evaluated by :func:`every_reading`; beyond
#: it the dates are too uncertain to read. One record dated only to a year has 366 readings at
#: most, so it is read alongside ten more of two or three readings each (366 x 11 = 4,026), or
#: two records dated to a month (31 x 31 = 961) alongside a few others; a bundled function takes
#: well under a millisecond per reading, so a patient costs a second at the very worst.
READINGS_BUDGET = 4096


def last_day_applies(start: dt.date, end: dt.date | None, status: str | None, as_of: dt.date) -> dt.date:
    """The last day a dated condition or medication is known to apply: its end (never after
    ``as_of``); ``as_of`` while it is ongoing with no end; otherwise only its start day.

    Kept for plugins written against it; it reads exact dates only and takes a finished
    record without an end as ending on its start. :func:`record_span` gives every day a
    record's dates may mean (partial dates, ends not given), which the core and the
    bundled plugins judge by."""
    if end is not None:
        return min(end, as_of)
    if status is None or status in ONGOING:
        return as_of
    return start


def every_reading(ways: Sequence[Sequence[T]], compute: Callable[[Sequence[T]], R]) -> tuple[R, ...]:
    """The distinct results of ``compute`` over every combination of ``ways`` (one choice per
    item), in the order first seen. An item is a record's every possible reading: for a record
    whose dates are not exact, every day (or every pair of days) its dates may mean, built by
    :func:`span_days`; for an exact one, its only reading. A function whose result depends on
    records' dates calls this and gives a value only when one result comes back: a partial
    date or an end not given must not decide by a guessed day (CONTRACT.md section 5), and a
    result may turn on a day strictly inside a range (a relapse dated ``2025`` is within six
    months of a CR of 2025-03-01 only for some of its days), so no day is skipped.

    When the combinations number more than :data:`READINGS_BUDGET`, none is evaluated and
    the result is empty: the caller says the dates are too uncertain (the value is unknown).
    """
    total = 1
    for w in ways:
        total *= len(w)
        if total > READINGS_BUDGET:
            return ()
    seen: dict[R, None] = {}
    for choice in itertools.product(*ways):
        seen.setdefault(compute(choice), None)
    return tuple(seen)


def span_days(lo: dt.date, hi: dt.date) -> tuple[dt.date, ...]:
    """Every day from ``lo`` to ``hi`` (both included; ``lo`` alone when ``hi`` is not after
    it): the readings of one bound of a :class:`Span` for :func:`every_reading`."""
    return tuple(lo + dt.timedelta(days=n) for n in range(max(0, (hi - lo).days) + 1))


@frozen
class DerivedValue:
    """What a derived-value function returns.

    ``value`` None means the function could not compute it; ``reason`` then says
    why (it becomes the criterion's reason).
    """

    value: Any
    unit: str | None = None
    evidence: tuple[Evidence, ...] = ()
    reason: str = ""
    #: ``<``, ``<=``, ``>``, ``>=``: ``value`` is a bound (an input was one), judged as such.
    comparator: str | None = None


@frozen
class FunctionContext:
    """What a derived-value function may look at."""

    patient: PatientRecord
    as_of: dt.date
    index: PatientIndex = field(repr=False)
    matchers: Mapping[str, Matcher] = field(repr=False)
    trial_id: str = ""

    #: ``compare(value, comparator, op, limit)``: MET / NOT_MET / None where a bound
    #: (``<20``) does not settle ``op limit`` (:func:`trialrules.engine.latest.compare`).
    compare = staticmethod(compare)

    def valueset(self, name: str) -> Matcher:
        """The compiled value set ``name`` (the trial's own, then shared)."""
        return self.matchers[name]

    def observations(self, concept: str, window: Window | None = None) -> list[Observation]:
        """Observations of a concept surely inside a window ending on the as-of date,
        newest first. To judge a value, use :meth:`latest`: it does not skip the newest
        result when that one cannot be judged."""
        start = window_start(window, self.as_of)
        return [c.obs for c in self.index.in_window(self.matchers[concept], start, self.as_of) if c.certain]

    def latest(
        self, concept: str, window: Window | int | None, read: Callable[[Observation], tuple[Any, str]],
    ) -> Latest:
        """The latest-value rule for a derived value's input (CONTRACT.md section 5).

        ``read`` turns one result into ``(value, "")``, or ``(None, why)`` when it cannot
        be read; ``window`` a :class:`Window` or a number of days up to the as-of date.
        The value is that of the newest result in the window; when the newest
        cannot be read, may fall outside the window, or several results at the same time
        (the same day where a time is missing) read differently, the value is None and
        ``reason`` names them: an older result never stands in.
        """
        if isinstance(window, int):
            window = Window(days=window)
        start = window_start(window, self.as_of)
        name = self.matchers[concept].name.replace("_", " ")
        where = describe_window(window, self.as_of)
        chosen = self.index.newest(self.matchers[concept], start, self.as_of)
        results = tuple(c.obs for c in chosen)
        if not chosen:
            return Latest(None, results, f"no {name} result {where}")
        readings = [read(c.obs) for c in chosen]
        values = {repr(v) for v, _ in readings}
        problems = [f"{c.obs.reference}: {why}" for c, (v, why) in zip(chosen, readings, strict=True) if v is None]
        if problems:
            return Latest(None, results, f"the newest {name} result {where} cannot be used ({'; '.join(problems[:3])})")
        if not any(c.certain for c in chosen):
            return Latest(None, results, f"the newest {name} result may fall outside the window ({where})")
        if len(values) > 1:
            shown = "; ".join(f"{c.obs.reference} {v}" for c, (v, _) in zip(chosen, readings, strict=True))
            return Latest(None, results, f"{name} results at the same time differ ({shown})")
        return Latest(readings[0][0], results, "")


@frozen
class Latest:
    """What :meth:`FunctionContext.latest` found: the value (None: not usable), the newest
    result(s) it rests on (always evidence), and why there is no value."""

    value: Any
    results: tuple[Observation, ...]
    reason: str



@frozen
class SqlValue:
    """What a function's SQL form returns (docs/plugin-guide.md, "SQL forms"): SQL expressions
    over the patient (``q.patient``) and the per-patient relations the form asked the context
    for (``trialrules.population.sqlform.SqlContext``), one value per patient.

    For each patient: where ``defer`` holds (or is NULL), the Python function decides; else
    where ``unknown`` holds (or is NULL: deferred too), the function returns no value (the
    rule is ``unknown``); else ``value`` is the function's value (NULL, or not finite: deferred).
    The compiler compares it with the rule's ``op``/``value``/``unit`` as the evaluator does.
    """

    #: the derived value, a number (read only where neither ``unknown`` nor ``defer`` holds)
    value: str
    #: where the function returns no value (``DerivedValue(None)``)
    unknown: str = "FALSE"
    #: where the SQL does not reproduce the function exactly: the Python function decides
    defer: str = "FALSE"
    #: the unit of ``value``, as the function's ``DerivedValue.unit``
    unit: str | None = None
    #: how far ``value`` may be from the function's (which rounds, e.g. to 4 decimals: 1e-4):
    #: a value this close to the rule's limit is left to the Python function
    tolerance: float = 0.0
    #: ``value`` is exactly the function's value where it is an integer (a count, a 0/1 flag):
    #: compared with the limit as it is, with no margin
    exact: bool = False
    #: where ``value`` is a bound, the function's ``DerivedValue.comparator`` (SQL giving ``'<'``,
    #: ``'<='``, ``'>'`` or ``'>='``; NULL: an exact value): compared as the evaluator compares a bound
    comparator: str = "NULL"


DerivedFunction = Callable[[FunctionContext, Mapping[str, Any]], DerivedValue]
