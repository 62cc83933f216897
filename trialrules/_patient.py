"""
A patient's record indexed for evaluation, look-back windows, and the context
handed to derived-value functions.
"""

from __future__ import annotations

import calendar
import datetime as dt
import itertools
from collections.abc import Callable, Mapping
from typing import Any

from attrs import field, frozen

from trialrules._latest import Candidate, When, compare, in_window, newest, newest_first, when_of
from trialrules.models import Evidence, Observation, PatientRecord, Window
from trialrules.terminology import Matcher, _normal_code, system_uri

#: Observation statuses that make a result unusable (CONTRACT.md section 5).
IGNORED_OBSERVATION_STATUS = frozenset({"entered-in-error", "cancelled", "preliminary"})


def months_back(day: dt.date, months: int) -> dt.date:
    """The same day ``months`` calendar months earlier (clamped to the month's end)."""
    total = day.year * 12 + day.month - 1 - months
    year, month = divmod(total, 12)
    month += 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


#: Statuses under which a condition or medication with no end date still applies (FHIR
#: clinicalStatus / MedicationStatement.status / MedicationRequest.status values).
ONGOING_STATUS = frozenset({"active", "in-progress", "on-hold", "intended", "recurrence", "relapse"})


def last_day_applies(start: dt.date, end: dt.date | None, status: str | None, as_of: dt.date) -> dt.date:
    """The last day a dated condition or medication is known to apply: its end (never after
    ``as_of``); ``as_of`` while it is ongoing with no end; otherwise only its start day."""
    if end is not None:
        return min(end, as_of)
    if status is None or status in ONGOING_STATUS:
        return as_of
    return start


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day ``months`` calendar months later (clamped to the month's end: Jan 31 + 1 = Feb 28/29)."""
    return months_back(day, -months)


def window_start(window: Window | None, as_of: dt.date) -> dt.date | None:
    """First day inside the window (inclusive); None for an open window."""
    if window is None:
        return None
    if window.days is not None:
        return as_of - dt.timedelta(days=window.days)
    if window.weeks is not None:
        return as_of - dt.timedelta(weeks=window.weeks)
    if window.months is not None:
        return months_back(as_of, window.months)
    if window.years is not None:
        return months_back(as_of, 12 * window.years)
    return None


def describe_window(window: Window | None, as_of: dt.date) -> str:
    """``in the 7 days before 2026-01-15`` or ``on or before 2026-01-15``."""
    if window is None:
        return f"on or before {as_of.isoformat()}"
    for unit in ("days", "weeks", "months", "years"):
        n = getattr(window, unit)
        if n is not None:
            label = unit if n != 1 else unit[:-1]
            return f"in the {n} {label} up to {as_of.isoformat()}"
    return f"on or before {as_of.isoformat()}"


class WindowAt:
    """A rule's window at an as-of date: its first day and its words, worked out once per
    as-of date rather than once per patient (a batch shares one as-of date)."""

    __slots__ = ("window", "as_of", "start", "where")

    def __init__(self, window: Window | None) -> None:
        self.window = window
        self.as_of: dt.date | None = None
        self.start: dt.date | None = None
        self.where = ""

    def at(self, as_of: dt.date) -> WindowAt:
        if as_of != self.as_of:
            self.start = window_start(self.window, as_of)
            self.where = describe_window(self.window, as_of)
            self.as_of = as_of
        return self


def age_in_years(birth: dt.date, on: dt.date) -> int:
    """Completed years. Someone born on 29 February turns a year older on 1 March
    in common years (the day after 28 February), as ``date`` arithmetic gives."""
    years = on.year - birth.year
    if (on.month, on.day) < (birth.month, birth.day):
        years -= 1
    return years


_CODE_KEYS: dict[tuple[str | None, str], tuple[str | None, str]] = {}


def _code_key(raw: tuple[str | None, str]) -> tuple[str | None, str]:
    """(canonical system, normalised code) of a coding's (system, code), remembered."""
    system = system_uri(raw[0])
    key = (system, _normal_code(system, raw[1]))
    if len(_CODE_KEYS) >= 100_000:
        _CODE_KEYS.clear()
    _CODE_KEYS[raw] = key
    return key


class PatientIndex:
    """One patient's record with observations indexed by code, built once per patient."""

    __slots__ = ("record", "_by_code", "_cache", "_when", "_groups", "_keyed", "_windows", "_newest")

    def __init__(self, record: PatientRecord) -> None:
        self.record = record
        self._by_code: dict[tuple[str | None, str], list[Observation]] = {}
        keys = _CODE_KEYS
        for obs in record.observations:
            if obs.status in IGNORED_OBSERVATION_STATUS:
                continue
            for coding in obs.codes:
                raw = (coding.system, coding.code)
                key = keys.get(raw)
                if key is None:
                    key = _code_key(raw)
                self._by_code.setdefault(key, []).append(obs)
        self._cache: dict[str, list[Observation]] = {}
        self._when: dict[int, When | None] = {}
        self._groups: dict[str, list[list[tuple[int, Any]]]] = {}
        self._keyed: dict[str, list[tuple[int, list[tuple[int, Any]]]]] = {}
        self._windows: dict[tuple[str, dt.date | None, dt.date], list[Candidate]] = {}
        self._newest: dict[tuple[str, dt.date | None, dt.date], list[Candidate]] = {}

    def record_groups(self, attr: str) -> list[list[tuple[int, Any]]]:
        """The records of one kind (``conditions``...) grouped by what a value set judges them
        by (codes, ingredients, verificationStatus), each as (position, record), once per
        patient: a search judges each group once, so its cost follows the patient's distinct
        codes, not the length of the history."""
        groups = self._groups.get(attr)
        if groups is None:
            by_key: dict[Any, list[tuple[int, Any]]] = {}
            for pos, rec in enumerate(getattr(self.record, attr)):
                key = (rec.codes, getattr(rec, "ingredients", ()), getattr(rec, "verification_status", None))
                by_key.setdefault(key, []).append((pos, rec))
            groups = self._groups[attr] = list(by_key.values())
            self._keyed[attr] = [(_group_number(key), group) for key, group in by_key.items()]
        return groups

    def keyed_groups(self, attr: str) -> list[tuple[int, list[tuple[int, Any]]]]:
        """:meth:`record_groups` with a number for what each group is judged by, the same
        number for the same codes in every patient of the process: a compiled search
        remembers its judgement of a group by it (:func:`group_memo`)."""
        keyed = self._keyed.get(attr)
        if keyed is None:
            self.record_groups(attr)
            keyed = self._keyed[attr]
        return keyed

    def when(self, obs: Observation) -> When | None:
        """Where the observation sits in time (:func:`trialrules._latest.when_of`), once."""
        key = id(obs)
        try:
            return self._when[key]
        except KeyError:
            found = self._when[key] = when_of(obs)
            return found

    def in_window(self, matcher: Matcher, start: dt.date | None, as_of: dt.date) -> list[Candidate]:
        """:func:`trialrules._latest.in_window` over the value set's observations, once per
        window: a concept asked twice (both branches of an ``if``, a derived value's input,
        another trial) is placed in time once. The list is shared: do not change it."""
        key = (matcher.name, start, as_of)
        found = self._windows.get(key)
        if found is None:
            found = self._windows[key] = in_window(self.observations(matcher), start, as_of, self.when)
        return found

    def newest(self, matcher: Matcher, start: dt.date | None, as_of: dt.date) -> list[Candidate]:
        """:func:`trialrules._latest.newest` of :meth:`in_window`, once per window (shared list)."""
        key = (matcher.name, start, as_of)
        found = self._newest.get(key)
        if found is None:
            found = self._newest[key] = newest(self.in_window(matcher, start, as_of), as_of)
        return found

    def observations(self, matcher: Matcher) -> list[Observation]:
        """Observations whose code is in the value set, newest first (undated last), in an
        order that depends only on the data (:func:`trialrules._latest.sort_key`)."""
        hit = self._cache.get(matcher.name)
        if hit is not None:
            return hit
        found: dict[int, Observation] = {}
        if not matcher.exact_only:
            for obs in self.record.observations:
                if obs.status not in IGNORED_OBSERVATION_STATUS and matcher.matches_any(obs.codes):
                    found[id(obs)] = obs
        else:
            for key in matcher.exact:
                for obs in self._by_code.get(key, ()):
                    found[id(obs)] = obs
        ordered = newest_first(found.values(), self.when)
        self._cache[matcher.name] = ordered
        return ordered


_GROUP_NUMBERS: dict[Any, int] = {}
_NEXT_NUMBER = itertools.count()
#: Distinct (codes, ingredients, verificationStatus) remembered before the table starts
#: afresh; numbers are never reused, so a memo keyed by an old number is only stale, never wrong.
GROUP_MEMO_LIMIT = 100_000


def _group_number(key: Any) -> int:
    number = _GROUP_NUMBERS.get(key)
    if number is None:
        if len(_GROUP_NUMBERS) >= GROUP_MEMO_LIMIT:
            _GROUP_NUMBERS.clear()
        number = _GROUP_NUMBERS[key] = next(_NEXT_NUMBER)
    return number


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
    #: (``<20``) does not settle ``op limit`` (:func:`trialrules._latest.compare`).
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


DerivedFunction = Callable[[FunctionContext, Mapping[str, Any]], DerivedValue]
