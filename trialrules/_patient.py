"""
A patient's record indexed for evaluation, look-back windows, and the context
handed to derived-value functions.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Callable, Mapping
from typing import Any

from attrs import field, frozen

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


def age_in_years(birth: dt.date, on: dt.date) -> int:
    """Completed years. Someone born on 29 February turns a year older on 1 March
    in common years (the day after 28 February), as ``date`` arithmetic gives."""
    years = on.year - birth.year
    if (on.month, on.day) < (birth.month, birth.day):
        years -= 1
    return years


class PatientIndex:
    """One patient's record with observations indexed by code, built once per patient."""

    __slots__ = ("record", "_by_code", "_cache")

    def __init__(self, record: PatientRecord) -> None:
        self.record = record
        self._by_code: dict[tuple[str | None, str], list[Observation]] = {}
        for obs in record.observations:
            if obs.status in IGNORED_OBSERVATION_STATUS:
                continue
            for coding in obs.codes:
                system = system_uri(coding.system)
                self._by_code.setdefault((system, _normal_code(system, coding.code)), []).append(obs)
        self._cache: dict[str, list[Observation]] = {}

    def observations(self, matcher: Matcher) -> list[Observation]:
        """Observations whose code is in the value set, most recent first (undated last)."""
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
        ordered = sorted(found.values(), key=lambda o: o.date or dt.date.min, reverse=True)
        self._cache[matcher.name] = ordered
        return ordered


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


@frozen
class FunctionContext:
    """What a derived-value function may look at."""

    patient: PatientRecord
    as_of: dt.date
    index: PatientIndex = field(repr=False)
    matchers: Mapping[str, Matcher] = field(repr=False)
    trial_id: str = ""

    def valueset(self, name: str) -> Matcher:
        """The compiled value set ``name`` (the trial's own, then shared)."""
        return self.matchers[name]

    def observations(self, concept: str, window: Window | None = None) -> list[Observation]:
        """Dated observations of a concept inside a window ending on the as-of date,
        most recent first."""
        start = window_start(window, self.as_of)
        return [
            o
            for o in self.index.observations(self.matchers[concept])
            if o.date is not None and o.date <= self.as_of and (start is None or o.date >= start)
        ]


DerivedFunction = Callable[[FunctionContext, Mapping[str, Any]], DerivedValue]
