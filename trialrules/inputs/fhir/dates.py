"""
FHIR ``date``, ``dateTime`` and ``instant`` values, validated and turned into days.

A FHIR date may be partial (``2019``, ``2019-05``). :func:`parse` returns both the
first and the last day the value can mean, so each caller chooses the conservative
end for its field (see ``resources.py``). The calendar date is taken as written in
the source: a time and its zone never shift it, because screening windows and the
as-of date are calendar dates in the same local sense.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from functools import lru_cache
from typing import NamedTuple

# The FHIR R4 regexes (datatypes.html), with one leniency: a time without a zone is
# accepted, because many EHR feeds omit it and it cannot change the date we keep.
_YEAR = r"(?P<y>[0-9]{4})"
_TIME = (
    r"T(?:[01][0-9]|2[0-3]):[0-5][0-9]:(?:[0-5][0-9]|60)(?:\.[0-9]+)?"
    r"(?:Z|[+-](?:(?:0[0-9]|1[0-3]):[0-5][0-9]|14:00))?"
)
_DATE_RE = re.compile(_YEAR + r"(?:-(?P<m>0[1-9]|1[0-2])(?:-(?P<d>0[1-9]|[12][0-9]|3[01]))?)?")
_DATETIME_RE = re.compile(
    _YEAR + r"(?:-(?P<m>0[1-9]|1[0-2])(?:-(?P<d>0[1-9]|[12][0-9]|3[01])(?P<t>" + _TIME + r")?)?)?"
)

YEAR, MONTH, DAY = 1, 2, 3
_PRECISION_NAMES = {YEAR: "the year", MONTH: "the month"}


class FhirDate(NamedTuple):
    """A parsed FHIR date: the first and last day it may mean, and its precision."""

    first: dt.date
    last: dt.date
    precision: int  # YEAR, MONTH or DAY

    @property
    def partial(self) -> bool:
        return self.precision != DAY

    def describe(self) -> str:
        """``the year`` / ``the month`` for a partial date (for warnings)."""
        return _PRECISION_NAMES.get(self.precision, "the day")


@lru_cache(maxsize=65536)
def _parse(text: str, kind: str) -> FhirDate | str:
    """Cached worker of :func:`parse` (dates repeat a lot within an export)."""
    regex = _DATE_RE if kind == "date" else _DATETIME_RE
    m = regex.fullmatch(text)
    if m is None:
        return f"{text!r} is not a FHIR {kind}"
    try:
        year = int(m["y"])
        if m["m"] is None:
            return FhirDate(dt.date(year, 1, 1), dt.date(year, 12, 31), YEAR)
        month = int(m["m"])
        if m["d"] is None:
            last = calendar.monthrange(year, month)[1]
            return FhirDate(dt.date(year, month, 1), dt.date(year, month, last), MONTH)
        day = dt.date(year, month, int(m["d"]))
    except ValueError:  # year 0000, 31 February...
        return f"{text!r} is not a calendar date"
    return FhirDate(day, day, DAY)


def cached(text: str) -> FhirDate | None:
    """A dateTime string as a :class:`FhirDate`, or None if it is not one (fast path)."""
    parsed = _parse(text, "dateTime")
    return parsed if type(parsed) is FhirDate else None


def parse(value: object, kind: str = "dateTime") -> FhirDate | str:
    """Parse a FHIR ``date`` or ``dateTime``/``instant`` value.

    Returns the :class:`FhirDate`, or a message saying why ``value`` is not one.
    """
    if not isinstance(value, str):
        return f"{value!r} is not a FHIR {kind} (a string)"
    return _parse(value, kind)
