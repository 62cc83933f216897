"""
When a dated record (a condition, medication, procedure, immunization or allergy) may
have applied, as two ranges of days, so that a window is judged only where every day a
record's dates could mean agrees (CONTRACT.md section 5).

A record's dates are seldom exact: a partial date (``2020``, ``2020-03``) means any day of
its year or month, and a course that ended on a day the record does not give (an
abatementString, a finished MedicationStatement dated by one day) may have gone on until
the as-of date. A :class:`Span` keeps both ends as ranges instead of choosing a day:

* ``first_lo``..``first_hi``: the days it may have begun on;
* ``last_lo``..``last_hi``: the days it may last have applied on, never after the as-of
  date (an ongoing record applies up to it).

A window ``[start, as_of]`` is then met by the record when ``first_hi <= as_of`` and
``last_lo >= start``, not met when ``first_lo > as_of`` or ``last_hi < start``, and
undecided otherwise: the search shows the record and says why.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from attrs import frozen

from trialrules.language.statuses import ONGOING


@frozen
class Span:
    """The days a record may have begun on and may last have applied on (see the module)."""

    first_lo: dt.date | None
    first_hi: dt.date | None
    last_lo: dt.date | None
    last_hi: dt.date | None
    #: A bound comes from a partial date (the record gives only a month or a year).
    partial: bool = False
    #: It ended on a day the record does not give (after it began, up to the as-of date).
    end_unknown: bool = False

    def when(self) -> str:
        """The record's dates in words, for reasons: ``2020-01-01..2020-12-31 to 2021-03-01``."""
        def days(lo: dt.date | None, hi: dt.date | None) -> str:
            if lo is None or hi is None:
                return "an unknown day"
            return lo.isoformat() if lo == hi else f"a day in {lo.isoformat()}..{hi.isoformat()}"
        began = days(self.first_lo, self.first_hi)
        if self.end_unknown:
            return f"began on {began} and ended on a day the record does not give"
        ended = days(self.last_lo, self.last_hi)
        return f"dated {began}" if ended == began else f"began on {began}, last applied on {ended}"


def ongoing(status: str | None) -> bool:
    """Whether a record with this status (clinical status for a condition) still applies
    when no end is given."""
    return status is None or status in ONGOING


@frozen
class Bounds:
    """A record's dates as given, whatever the as-of date: the days it may have begun on
    (``first_lo``..``first_hi``) and, when an end is given, the days it may have ended on
    (``end_lo``..``end_hi``; a one-day procedure or immunization ends when it begins).
    ``end_unknown``: over on a day not given, or a period without an end (the record's flag)."""

    first_lo: dt.date | None
    first_hi: dt.date | None
    end_lo: dt.date | None
    end_hi: dt.date | None
    end_unknown: bool
    status: str | None


def record_bounds(rec: Any, kind: str) -> Bounds:
    """The :class:`Bounds` of a record of ``kind`` (``condition``, ``medication``,
    ``procedure``, ``immunization``, ``allergy``)."""
    if kind == "condition":
        if rec.onset is not None:
            first = (rec.onset, rec.onset_latest or rec.onset)
        else:  # only when it was recorded: it began by then (the recorded day stands in)
            first = (rec.recorded, rec.recorded_latest or rec.recorded)
        return Bounds(*first, rec.abatement_earliest or rec.abatement, rec.abatement, rec.end_unknown,
                      rec.clinical_status)
    if kind == "medication":
        return Bounds(rec.start or rec.end_earliest or rec.end, rec.start_latest or rec.start or rec.end,
                      rec.end_earliest or rec.end, rec.end, rec.end_unknown, rec.status)
    if kind == "procedure":
        first_hi = rec.date_latest or rec.date
        if rec.end is None and not rec.end_unknown:  # one day: it ended when it began
            return Bounds(rec.date, first_hi, rec.date, first_hi, False, rec.status)
        return Bounds(rec.date, first_hi, rec.end_earliest or rec.end, rec.end, rec.end_unknown, rec.status)
    if kind == "immunization":
        return Bounds(rec.date, rec.date, rec.date, rec.date, False, rec.status)
    return Bounds(rec.date, rec.date, None, None, False, None)  # an allergy: known on its day


def record_span(rec: Any, kind: str, as_of: dt.date) -> Span:
    """The :class:`Span` of a record of ``kind`` seen on ``as_of``."""
    return span_of(record_bounds(rec, kind), kind, as_of)


def span_of(b: Bounds, kind: str, as_of: dt.date) -> Span:
    """The :class:`Span` of a record's :class:`Bounds` seen on ``as_of`` (compiled SQL, in
    ``population.compile``, says the same)."""
    first_lo, first_hi = b.first_lo, b.first_hi
    partial = first_lo != first_hi or b.end_lo != b.end_hi
    if first_hi is not None and b.end_hi is not None and b.end_hi < first_hi:
        first_hi = b.end_hi  # it began by the day it ended
    open_end = False
    last_lo: dt.date | None
    last_hi: dt.date | None
    if b.end_hi is not None:
        last_lo, last_hi = b.end_lo, b.end_hi
    elif b.end_unknown:
        # ended on a day not given (a condition whose abatement or status says it is over), or
        # a period without an end: ongoing while the status says so, else over on a day not given
        if kind != "condition" and first_lo is not None and ongoing(b.status):
            last_lo = last_hi = as_of
        else:
            last_lo, last_hi, open_end = first_lo, (as_of if first_lo is not None else None), True
    elif kind in ("condition", "medication") and first_lo is not None and ongoing(b.status):
        last_lo = last_hi = as_of
    else:  # a single day (an administration, an allergy): it ended when it began
        last_lo, last_hi = first_lo, first_hi
    if last_lo is not None and first_lo is not None and last_lo < first_lo:
        last_lo = first_lo  # it ended no earlier than it began
    if last_hi is not None and last_hi > as_of:
        last_hi = as_of
    if last_lo is not None and last_lo > as_of:
        last_lo = as_of
    return Span(first_lo, first_hi, last_lo, last_hi, partial, open_end)
