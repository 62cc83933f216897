"""
A patient's record indexed for evaluation, and look-back windows (the context
handed to derived-value functions is in ``functions.py``).
"""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

from trialrules.calendar_arithmetic import add_months
from trialrules.engine.latest import Candidate, When, in_window, newest, newest_first, when_of
from trialrules.language.models import Observation, PatientRecord, Window
from trialrules.language.statuses import OBSERVATION_UNUSABLE
from trialrules.language.terminology import Matcher, _normal_code, system_uri


def window_start(window: Window | None, as_of: dt.date) -> dt.date | None:
    """First day inside the window (inclusive); None for an open window."""
    if window is None:
        return None
    if window.days is not None:
        return as_of - dt.timedelta(days=window.days)
    if window.weeks is not None:
        return as_of - dt.timedelta(weeks=window.weeks)
    if window.months is not None:
        return add_months(as_of, -window.months)
    if window.years is not None:
        return add_months(as_of, -12 * window.years)
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


_CODE_KEYS: dict[tuple[str | None, str], tuple[str | None, str]] = {}


def _code_key(raw: tuple[str | None, str]) -> tuple[str | None, str]:
    """(canonical system, normalised code) of a coding's (system, code), remembered."""
    system = system_uri(raw[0])
    key = (system, _normal_code(system, raw[1]))
    if len(_CODE_KEYS) >= 100_000:
        _CODE_KEYS.clear()
    _CODE_KEYS[raw] = key
    return key


_GROUP_NUMBERS: dict[Any, int] = {}
_NEXT_NUMBER = itertools.count()
#: Distinct (codes, ingredients, verificationStatus) numbered before the table starts afresh
#: (it holds the codings alive); numbers are never reused, so a memo keyed by an old number is
#: only stale, never wrong.
GROUP_NUMBERS_LIMIT = 20_000
#: Judgements each compiled search remembers before starting afresh: five trials hold ~200
#: searches, so memory stays within tens of MB however many distinct codings a batch brings.
GROUP_MEMO_LIMIT = 4_096


def _group_number(key: Any) -> int:
    number = _GROUP_NUMBERS.get(key)
    if number is None:
        if len(_GROUP_NUMBERS) >= GROUP_NUMBERS_LIMIT:
            _GROUP_NUMBERS.clear()
        number = _GROUP_NUMBERS[key] = next(_NEXT_NUMBER)
    return number


class PatientIndex:
    """One patient's record with observations indexed by code, built once per patient."""

    __slots__ = ("record", "_by_code", "_cache", "_when", "_groups", "_keyed", "_windows", "_newest")

    def __init__(self, record: PatientRecord) -> None:
        self.record = record
        self._by_code: dict[tuple[str | None, str], list[Observation]] = {}
        keys = _CODE_KEYS
        for obs in record.observations:
            if obs.status in OBSERVATION_UNUSABLE:
                continue
            for coding in obs.codes:
                raw = (coding.system, coding.code)
                key = keys.get(raw)
                if key is None:
                    key = _code_key(raw)
                self._by_code.setdefault(key, []).append(obs)
        #: by compiled set (its identity: one name may hold different sets in different trials)
        self._cache: dict[Matcher, list[Observation]] = {}
        self._when: dict[int, When | None] = {}
        self._groups: dict[str, list[list[tuple[int, Any]]]] = {}
        self._keyed: dict[str, list[tuple[int, list[tuple[int, Any]]]]] = {}
        # by compiled set (identity, as ``_cache``), first day of the window, as-of date
        self._windows: dict[tuple[Matcher, dt.date | None, dt.date], list[Candidate]] = {}
        self._newest: dict[tuple[Matcher, dt.date | None, dt.date], list[Candidate]] = {}

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
        remembers its judgement of a group by it."""
        keyed = self._keyed.get(attr)
        if keyed is None:
            self.record_groups(attr)
            keyed = self._keyed[attr]
        return keyed

    def when(self, obs: Observation) -> When | None:
        """Where the observation sits in time (:func:`trialrules.engine.latest.when_of`), once."""
        key = id(obs)
        try:
            return self._when[key]
        except KeyError:
            found = self._when[key] = when_of(obs)
            return found

    def in_window(self, matcher: Matcher, start: dt.date | None, as_of: dt.date) -> list[Candidate]:
        """:func:`trialrules.engine.latest.in_window` over the value set's observations, once per
        window: a concept asked twice (both branches of an ``if``, a derived value's input,
        another trial) is placed in time once. The list is shared: do not change it."""
        key = (matcher, start, as_of)
        found = self._windows.get(key)
        if found is None:
            found = self._windows[key] = in_window(self.observations(matcher), start, as_of, self.when)
        return found

    def newest(self, matcher: Matcher, start: dt.date | None, as_of: dt.date) -> list[Candidate]:
        """:func:`trialrules.engine.latest.newest` of :meth:`in_window`, once per window (shared list)."""
        key = (matcher, start, as_of)
        found = self._newest.get(key)
        if found is None:
            found = self._newest[key] = newest(self.in_window(matcher, start, as_of), as_of)
        return found

    def observations(self, matcher: Matcher) -> list[Observation]:
        """Observations whose code is in the value set, newest first (undated last), in an
        order that depends only on the data (:func:`trialrules.engine.latest.sort_key`)."""
        hit = self._cache.get(matcher)
        if hit is not None:
            return hit
        found: dict[int, Observation] = {}
        if not matcher.exact_only:
            for obs in self.record.observations:
                if obs.status not in OBSERVATION_UNUSABLE and matcher.matches_any(obs.codes):
                    found[id(obs)] = obs
        else:
            for key in matcher.exact:
                for obs in self._by_code.get(key, ()):
                    found[id(obs)] = obs
        ordered = newest_first(found.values(), self.when)
        self._cache[matcher] = ordered
        return ordered
