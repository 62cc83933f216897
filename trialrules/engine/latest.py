"""
The latest-value rule (CONTRACT.md section 5) as small pure functions.

Every measurement, and every input of a derived value, is judged on the newest result
inside its window. When that result cannot be judged, the answer is ``unknown`` with it as
evidence: an older result never stands in for a newer one. These functions decide *which*
results are the newest, and how bounds and reference ranges settle a comparison, so that a
second engine (SQL over a columnar store) can reproduce the same semantics field by field.

Time. Each result's effective[x] is an interval of instants it may mean:

* a time with a zone: that instant (compared in UTC);
* a time without a zone: that wall-clock time, in one zone shared by the record's zoneless
  values but unknown against zoned ones (UTC offsets run from -12:00 to +14:00);
* a date: the whole day; a partial date (``2025``, ``2025-06``): every day it may mean;
* no date at all: any time up to the as-of date.

A result is *after* another only when every instant it may mean is later than every instant
the other may mean. The newest results are those no other result in the window is after:
one, or several that cannot be told apart (the same instant; the same day where a time is
missing; a partial date). They must all judge alike, or the answer is ``unknown``.

Windows are calendar days as written (a time and its zone never move a result to another
day). A result inside the window for some of the days it may mean and outside for others
(a partial date across the window's start, or across the as-of date) is only *possibly* in
the window: it can block a verdict, never make one.
"""

from __future__ import annotations

import datetime as dt
import math
import operator
import re
from collections.abc import Callable, Iterable, Sequence
from functools import lru_cache
from typing import Any, NamedTuple

from attrs import frozen

from trialrules.language.models import MET, NOT_MET, Coding, Observation, Quantity, ReferenceRange, Result

_EPOCH = dt.datetime(1, 1, 1)
_DAY = 86400.0
# A zoneless wall time W is the UTC instant W - offset, offset in [-12:00, +14:00].
_EARLIEST_SHIFT = 14 * 3600.0  # UTC may be up to 14 h before the wall time
_LATEST_SHIFT = 12 * 3600.0  # ... and up to 12 h after it

_DATETIME = re.compile(
    r"(?P<y>\d{4})(?:-(?P<m>\d{2})(?:-(?P<d>\d{2})"
    r"(?:T(?P<H>\d{2}):(?P<M>\d{2})(?::(?P<S>\d{2})(?P<f>\.\d+)?)?(?P<z>Z|[+-]\d{2}:\d{2})?)?)?)?"
)


@frozen
class When:
    """Where a result sits in time: the instants it may mean, and the days as written.

    ``lo``/``hi`` are seconds since 0001-01-01: UTC when ``zoned``, else wall-clock time.
    ``text`` is how a coordinator reads it.
    """

    lo: float
    hi: float
    zoned: bool
    first_day: dt.date
    last_day: dt.date
    text: str

    @property
    def partial(self) -> bool:
        return self.first_day != self.last_day


def _seconds(moment: dt.datetime) -> float:
    return (moment - _EPOCH).total_seconds()


@lru_cache(maxsize=65536)
def parse_effective(text: str) -> When | None:
    """A FHIR date or dateTime as a :class:`When` (None when it is not one)."""
    m = _DATETIME.fullmatch(text.strip())
    if m is None:
        return None
    try:
        year = int(m["y"])
        if m["m"] is None:
            first, last = dt.date(year, 1, 1), dt.date(year, 12, 31)
        elif m["d"] is None:
            month = int(m["m"])
            first = dt.date(year, month, 1)
            last = (dt.date(year + month // 12, month % 12 + 1, 1)) - dt.timedelta(days=1)
        else:
            first = last = dt.date(year, int(m["m"]), int(m["d"]))
        if m["H"] is None:
            lo = _seconds(dt.datetime.combine(first, dt.time()))
            hi = _seconds(dt.datetime.combine(last, dt.time())) + _DAY - 1e-6
            return When(lo, hi, False, first, last, text if first != last else first.isoformat())
        wall = dt.datetime.combine(first, dt.time(int(m["H"]), int(m["M"]), int(m["S"] or 0)))
        instant = _seconds(wall) + float(m["f"] or 0)
        shown = f"{first.isoformat()} {m['H']}:{m['M']}"
        if m["z"] is None:
            return When(instant, instant, False, first, last, shown)
        offset = 0.0 if m["z"] == "Z" else (1 if m["z"][0] == "+" else -1) * (
            int(m["z"][1:3]) * 3600 + int(m["z"][4:6]) * 60)
        utc = instant - offset
        return When(utc, utc, True, first, last, shown + ("Z" if m["z"] == "Z" else m["z"]))
    except ValueError:  # 31 February, hour 25 ...
        return None


_DAYS: dict[dt.date, When | None] = {}


def when_of(obs: Observation) -> When | None:
    """The observation's :class:`When`; None when it has no (readable) date."""
    if obs.effective:
        found = parse_effective(obs.effective)
        if found is not None:
            return found
    day = obs.date
    if day is not None:
        try:
            return _DAYS[day]
        except KeyError:
            if len(_DAYS) >= 65536:
                _DAYS.clear()
            found = _DAYS[day] = parse_effective(day.isoformat())
            return found
    return None


def is_after(a: When, b: When) -> bool:
    """True when every instant ``a`` may mean is later than every instant ``b`` may mean."""
    if a.zoned == b.zoned:
        return a.lo > b.hi
    if a.zoned:  # b is wall-clock time: in UTC it may be as late as hi + 12 h
        return a.lo > b.hi + _LATEST_SHIFT
    return a.lo - _EARLIEST_SHIFT > b.hi


# --------------------------------------------------------------------------
# The newest results in a window
# --------------------------------------------------------------------------

IN, MAYBE, OUT, LATER = "in", "maybe", "out", "later"


def placement(when: When | None, start: dt.date | None, as_of: dt.date) -> str:
    """``in`` the window [start, as_of], ``out`` before it, ``later`` than the as-of date,
    or ``maybe`` (some of the days it may mean are inside and some are not)."""
    if when is None:
        return MAYBE
    if when.first_day > as_of:
        return LATER
    if start is not None and when.last_day < start:
        return OUT
    if when.last_day > as_of or (start is not None and when.first_day < start):
        return MAYBE
    return IN


class Candidate(NamedTuple):
    """A result that may be judged: ``certain`` when it is surely inside the window."""

    obs: Observation
    when: When | None
    certain: bool


@lru_cache(maxsize=64)
def _day_end(as_of: dt.date) -> float:
    """The last instant of the as-of date (wall-clock seconds)."""
    return _seconds(dt.datetime.combine(as_of, dt.time())) + _DAY - 1e-6


def _clip(when: When | None, as_of: dt.date, end: float | None = None) -> tuple[float, float, bool]:
    """(lo, hi, zoned) of the instants a candidate may mean, up to the as-of date
    (``end``: :func:`_day_end` of it, when the caller has it)."""
    if end is None:
        end = _day_end(as_of)
    if when is None:
        return -math.inf, end, False
    if when.last_day > as_of and not when.zoned:
        return when.lo, min(when.hi, end), False
    return when.lo, when.hi, when.zoned


def sort_key(obs: Observation, when: When | None) -> tuple[Any, ...]:
    """A total order, newest first, that depends on nothing but the data (never on input
    order): latest possible instant, then earliest, then id and value."""
    hi = -math.inf if when is None else when.hi + (_LATEST_SHIFT if not when.zoned else 0.0)
    lo = -math.inf if when is None else when.lo
    return (-hi, -lo, obs.id, repr(obs.value), obs.effective or "", str(obs.date))


def newest_first(observations: Iterable[Observation], when: Callable[[Observation], When | None]) -> list[Observation]:
    """``observations`` in :func:`sort_key` order. The full key (``repr`` of every value) is
    built only when two results share instants and id, which real feeds rarely send: the
    first three parts of the key then already give the same order."""
    if not isinstance(observations, list):
        observations = list(observations)
    if len(observations) < 2:
        return list(observations)
    keyed = []
    for obs in observations:
        w = when(obs)
        if w is None:
            keyed.append((math.inf, math.inf, obs.id, obs))
        else:
            keyed.append((-(w.hi + (_LATEST_SHIFT if not w.zoned else 0.0)), -w.lo, obs.id, obs))
    if len({k[:3] for k in keyed}) < len(keyed):
        return sorted((k[3] for k in keyed), key=lambda o: sort_key(o, when(o)))
    keyed.sort(key=lambda k: k[:3])
    return [k[3] for k in keyed]


def in_window(observations: Iterable[Observation], start: dt.date | None, as_of: dt.date,
              when: Callable[[Observation], When | None] = when_of) -> list[Candidate]:
    """Every result that is, or may be, inside the window, in the order given (give them in
    :func:`sort_key` order, as ``PatientIndex.observations`` does: sorted once per patient)."""
    out = []
    for obs in observations:
        w = when(obs)
        where = placement(w, start, as_of)
        if where in (IN, MAYBE):
            out.append(Candidate(obs, w, where == IN))
    return out


def newest(candidates: Sequence[Candidate], as_of: dt.date) -> list[Candidate]:
    """The candidates no other candidate is after: the newest result, or several that
    cannot be told apart in time. Linear: only the latest starts can be after anything."""
    if len(candidates) < 2:
        return list(candidates)  # a lone result is never after itself (lo <= hi, even clipped)
    end = _day_end(as_of)
    spans = [_clip(c.when, as_of, end) for c in candidates]
    latest_zoned = max((lo for lo, _, z in spans if z), default=-math.inf)
    latest_wall = max((lo for lo, _, z in spans if not z), default=-math.inf)
    out = []
    for c, (_, hi, zoned) in zip(candidates, spans, strict=True):
        if zoned:
            beaten = latest_zoned > hi or latest_wall - _EARLIEST_SHIFT > hi
        else:
            beaten = latest_wall > hi or latest_zoned > hi + _LATEST_SHIFT
        if not beaten:
            out.append(c)
    return out


# --------------------------------------------------------------------------
# Bounds: a value with a comparator, against a limit
# --------------------------------------------------------------------------

_Interval = tuple[float, bool, float, bool]  # (low, low included, high, high included)


def _values(comparator: str | None, x: float) -> _Interval:
    """The values a result may be: exactly x, or the bound ``<x``, ``<=x``, ``>x``, ``>=x``."""
    if comparator is None:
        return (x, True, x, True)
    if comparator == "<":
        return (-math.inf, False, x, False)
    if comparator == "<=":
        return (-math.inf, False, x, True)
    if comparator == ">":
        return (x, False, math.inf, False)
    return (x, True, math.inf, False)


def _within(a: _Interval, b: _Interval) -> bool:
    low_ok = a[0] > b[0] or (a[0] == b[0] and (b[1] or not a[1]))
    high_ok = a[2] < b[2] or (a[2] == b[2] and (b[3] or not a[3]))
    return low_ok and high_ok


def _apart(a: _Interval, b: _Interval) -> bool:
    return (a[2] < b[0] or (a[2] == b[0] and not (a[3] and b[1]))
            or b[2] < a[0] or (b[2] == a[0] and not (b[3] and a[1])))


_EXACT: dict[str, Callable[[float, float], bool]] = {
    ">=": operator.ge, ">": operator.gt, "<=": operator.le, "<": operator.lt, "==": operator.eq, "!=": operator.ne,
}


def compare(value: float, comparator: str | None, op: str, limit: float) -> Result | None:
    """Whether ``value`` (a bound when ``comparator`` is set) meets ``op limit``.

    MET when every value the result may be meets it, NOT_MET when none does, None when
    the bound does not settle it (``<0.5`` against ``>= 0.3``).
    """
    if comparator is None and -math.inf < value < math.inf and -math.inf < limit < math.inf:
        # an exact finite value: the intervals reduce to the comparison itself
        return MET if _EXACT[op](value, limit) else NOT_MET
    return compare_intervals(value, comparator, op, limit)


def compare_intervals(value: float, comparator: str | None, op: str, limit: float) -> Result | None:
    """:func:`compare` worked out on the intervals of values the result and the limit allow."""
    values = _values(comparator, value)
    if op == "!=":
        point = (limit, True, limit, True)
        return MET if _apart(values, point) else (NOT_MET if _within(values, point) else None)
    wanted = {
        ">=": (limit, True, math.inf, False), ">": (limit, False, math.inf, False),
        "<=": (-math.inf, False, limit, True), "<": (-math.inf, False, limit, False),
        "==": (limit, True, limit, True),
    }[op]
    if _within(values, wanted):
        return MET
    if _apart(values, wanted):
        return NOT_MET
    return None


def shown_bound(comparator: str | None) -> str:
    """``<`` or ``≤``... to write before a number; empty for an exact value."""
    return {None: "", "<": "<", "<=": "≤", ">": ">", ">=": "≥"}[comparator]


def is_finite(q: Quantity | None) -> bool:
    return q is None or math.isfinite(q.value)


# --------------------------------------------------------------------------
# Reference ranges that apply to the patient
# --------------------------------------------------------------------------

#: appliesTo codes for sex: FHIR administrative-gender, HL7 v3 AdministrativeGender,
#: SNOMED CT 248152002 |Female| and 248153007 |Male|.
_SEX_CODES = {
    ("http://hl7.org/fhir/administrative-gender", "female"): "female",
    ("http://hl7.org/fhir/administrative-gender", "male"): "male",
    ("http://terminology.hl7.org/CodeSystem/v3-AdministrativeGender", "F"): "female",
    ("http://terminology.hl7.org/CodeSystem/v3-AdministrativeGender", "M"): "male",
    ("http://snomed.info/sct", "248152002"): "female",
    ("http://snomed.info/sct", "248153007"): "male",
}


def _sex_of(coding: Coding) -> str | None:
    return _SEX_CODES.get((coding.system or "", coding.code))


def _age(birth: dt.date, on: dt.date, unit: str) -> int | None:
    """Completed years, months, weeks or days at ``on`` (None for another unit)."""
    if unit == "a":
        return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))
    if unit == "mo":
        return (on.year - birth.year) * 12 + on.month - birth.month - (on.day < birth.day)
    if unit == "wk":
        return (on - birth).days // 7
    if unit == "d":
        return (on - birth).days
    return None


def _applies_on(rr: ReferenceRange, birth: dt.date | None, sex: str | None, on: dt.date | None) -> bool | None:
    verdicts: list[bool | None] = []
    for coding in rr.applies_to:
        wanted = _sex_of(coding)
        if wanted is None:
            verdicts.append(None)  # a population we cannot place the patient in
        elif sex not in ("female", "male"):
            verdicts.append(None)
        else:
            verdicts.append(sex == wanted)
    for bound, low in ((rr.age_low, True), (rr.age_high, False)):
        if bound is None:
            continue
        age = None if birth is None or on is None or bound.unit is None else _age(birth, on, bound.unit)
        if age is None or not math.isfinite(bound.value):
            verdicts.append(None)
        else:
            verdicts.append(age >= bound.value if low else age <= bound.value)
    if False in verdicts:
        return False
    return None if None in verdicts else True


def applicable_ranges(
    ranges: Sequence[ReferenceRange], birth: dt.date | None, sex: str | None, when: When | None
) -> list[tuple[ReferenceRange, bool]]:
    """The ranges that apply, or may apply, to the patient at the observation's date:
    ``(range, certain)``. A range without appliesTo and age applies to everyone."""
    out = []
    for rr in ranges:
        if when is None:
            verdict = _applies_on(rr, birth, sex, None)
        else:
            first = _applies_on(rr, birth, sex, when.first_day)
            verdict = first if when.first_day == when.last_day else (
                first if first == _applies_on(rr, birth, sex, when.last_day) else None)
        if verdict is not False:
            out.append((rr, verdict is True))
    return out
