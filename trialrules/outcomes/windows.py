"""
A measure's time frame as one declared window (CONTRACT §7; issue 20).

Every computation reads its window through :func:`measure_window`, from the
measure's ``window`` parameter::

    window: {after: first_dose, days: 48}      # up to 48 days after the first dose
    window: {after: last_dose, months: 12}     # up to 12 months after the last dose
    window: {after: study_last_dose, months: 12}   # a study cut-off

Conventions (one for the core and every plugin):

- "within / up to N days after date X" means on or before X + N days: X's own
  date is day 0, so an event dated X + N counts and X + N + 1 does not
  (SDTM study day N + 1 when X is the first dose);
- "N months after X" is the same day-of-month N calendar months later
  (clipped to the month's last day), so 12 months after 2025-02-28 is
  2026-02-28 and 24 months after 2024-02-29 is 2026-02-28;
- ``first_dose`` / ``last_dose`` are the subject's earliest EXSTDTC and latest
  EXENDTC (else EXSTDTC); ``study_last_dose`` is the latest of every subject's
  last dose, giving one cut-off date for the whole study.

The older parameters are read as windows too: ``days_after_first_dose``,
``days_after_last_dose`` and ``window_days_after_last_dose``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any, Literal

import attrs

from trialrules.calendar_arithmetic import add_months
from trialrules.outcomes.sdtm import StudyData

__all__ = ["Window", "measure_window"]

Anchor = Literal["first_dose", "last_dose", "study_last_dose"]
_ANCHORS: tuple[str, ...] = ("first_dose", "last_dose", "study_last_dose")
_ANCHOR_WORDS = {
    "first_dose": "the subject's first dose",
    "last_dose": "the subject's last dose",
    "study_last_dose": "the last dose of the last subject (study cut-off)",
}


@attrs.frozen
class Window:
    """
    A declared window.

    Attributes:
        after: What the window counts from.
        days: Length in days (exclusive with ``months``).
        months: Length in calendar months.
    """

    after: Anchor
    days: int | None = None
    months: int | None = None

    def end_from(self, anchor: dt.date) -> dt.date:
        """Last day inside the window (inclusive) for an anchor date."""
        if self.months is not None:
            return add_months(anchor, self.months)
        return anchor + dt.timedelta(days=self.days or 0)

    def describe(self) -> str:
        """The window in words, with the convention."""
        length = f"{self.months} months" if self.months is not None else f"{self.days} days"
        return (
            f"up to {length} after {_ANCHOR_WORDS[self.after]}, inclusive "
            f"(the anchor date is day 0; a record dated anchor + {length} counts)"
        )

    def as_dict(self) -> dict[str, Any]:
        """JSON form."""
        out: dict[str, Any] = {"after": self.after}
        if self.months is not None:
            out["months"] = self.months
        else:
            out["days"] = self.days
        out["description"] = self.describe()
        return out

    def ends(self, study: StudyData) -> dict[str, dt.date]:
        """USUBJID → last day inside the window, for every dosed subject."""
        first = {u: t.date() for u, t in study.first_dose().items()}
        last = {u: t.date() for u, t in study.last_dose().items()}
        if self.after == "first_dose":
            return {u: self.end_from(d) for u, d in first.items()}
        if self.after == "last_dose":
            return {u: self.end_from(last.get(u, d)) for u, d in first.items()}
        if not last:
            return {}
        cutoff = self.end_from(max(last.values()))
        return {u: cutoff for u in first}


def parse_window(spec: Any) -> Window:
    """
    A :class:`Window` from its parameter mapping.

    Raises:
        ValueError: On an unknown anchor or a length that is not a
            non-negative whole number of days or months.
    """
    if not isinstance(spec, Mapping):
        raise ValueError(f"window must be a mapping, got {spec!r}")
    after = spec.get("after")
    if after not in _ANCHORS:
        raise ValueError(f"window.after must be one of {', '.join(_ANCHORS)}, got {after!r}")
    days, months = spec.get("days"), spec.get("months")
    if (days is None) == (months is None):
        raise ValueError("window needs exactly one of days or months")
    length = days if days is not None else months
    if isinstance(length, bool) or not isinstance(length, int) or not 0 <= length <= 100 * 366:
        raise ValueError(f"window length must be a whole number from 0 to 36600, got {length!r}")
    return Window(after, days, months)  # type: ignore[arg-type]


def measure_window(params: Mapping[str, Any], default: Window | None = None) -> Window | None:
    """
    The window a measure declares (``window``, or one of the older keys).

    Args:
        params: The measure's parameters.
        default: Window when none is declared.

    Returns:
        The :class:`Window`, or ``default``.
    """
    if params.get("window") is not None:
        return parse_window(params["window"])
    for key, after in (
        ("days_after_last_dose", "last_dose"),
        ("window_days_after_last_dose", "last_dose"),
        ("days_after_first_dose", "first_dose"),
    ):
        if params.get(key) is not None:
            return parse_window({"after": after, "days": params[key]})
    return default
