"""
A patient's record indexed for evaluation, and look-back windows (the context
handed to derived-value functions is in ``functions.py``).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from trialrules._latest import When, sort_key, when_of
from trialrules.calendar_arithmetic import add_months
from trialrules.models import Observation, PatientRecord, Window
from trialrules.statuses import OBSERVATION_UNUSABLE
from trialrules.terminology import Matcher, _normal_code, system_uri


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


class PatientIndex:
    """One patient's record with observations indexed by code, built once per patient."""

    __slots__ = ("record", "_by_code", "_cache", "_when", "_groups")

    def __init__(self, record: PatientRecord) -> None:
        self.record = record
        self._by_code: dict[tuple[str | None, str], list[Observation]] = {}
        for obs in record.observations:
            if obs.status in OBSERVATION_UNUSABLE:
                continue
            for coding in obs.codes:
                system = system_uri(coding.system)
                self._by_code.setdefault((system, _normal_code(system, coding.code)), []).append(obs)
        #: by compiled set (its identity: one name may hold different sets in different trials)
        self._cache: dict[Matcher, list[Observation]] = {}
        self._when: dict[int, When | None] = {}
        self._groups: dict[str, list[list[tuple[int, Any]]]] = {}

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
        return groups

    def when(self, obs: Observation) -> When | None:
        """Where the observation sits in time (:func:`trialrules._latest.when_of`), once."""
        key = id(obs)
        try:
            return self._when[key]
        except KeyError:
            found = self._when[key] = when_of(obs)
            return found

    def observations(self, matcher: Matcher) -> list[Observation]:
        """Observations whose code is in the value set, newest first (undated last), in an
        order that depends only on the data (:func:`trialrules._latest.sort_key`)."""
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
        ordered = sorted(found.values(), key=lambda o: sort_key(o, self.when(o)))
        self._cache[matcher] = ordered
        return ordered
