"""
Adverse-event incidence: treatment-emergent, related, serious, by worst grade; DLT.

Anchors: admiral ``derive_var_trtemfl`` and PHUSE WP-087 (notes §5):

- TEAE: AE start on/after the first dose (and ≤ last dose + window when a
  window is given); a missing start date counts as treatment-emergent. The
  "worsened on treatment" rule needs the pre-treatment grade history, which
  plain AE rows do not carry; it is not applied.
- Incidence counts a subject once, at the worst CTCAE grade (AETOXGR).
- DLT: the AE's DLT flag (AEDLT) when the AE file has that column, otherwise
  (a stated default, since the data carry no flag) a related AE of CTCAE
  grade ≥ 3; in both cases starting on/after the first dose and within the
  measure's window (:mod:`trialrules.outcomes.windows`; default 28 days
  after the first dose, the first dose date being day 0).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterable, Mapping

import attrs

from trialrules.outcomes.sdtm import AdverseEvent, StudyData

__all__ = [
    "DEFAULT_RELATED",
    "DltResult",
    "dlt_subjects",
    "is_related",
    "treatment_emergent",
    "worst_grades",
]

DEFAULT_RELATED = frozenset(
    {"RELATED", "PROBABLY RELATED", "POSSIBLY RELATED", "DEFINITELY RELATED", "Y"}
)


def is_related(ae: AdverseEvent, related_values: Collection[str] = DEFAULT_RELATED) -> bool:
    """
    Whether AEREL counts as related.

    Args:
        ae: The AE.
        related_values: AEREL values counted as related (upper case).

    Returns:
        True if related.
    """
    return ae.related.upper() in {v.upper() for v in related_values}


def treatment_emergent(
    study: StudyData,
    window_days_after_last_dose: int | None = None,
    window_end: Mapping[str, dt.date] | None = None,
) -> list[AdverseEvent]:
    """
    Treatment-emergent AEs of treated subjects (admiral TRTEMFL = Y).

    Args:
        study: The study.
        window_days_after_last_dose: If given, AEs starting later than last
            dose + this many days are not treatment-emergent.
        window_end: USUBJID → last day of the measure's window (inclusive);
            wins over ``window_days_after_last_dose``.

    Returns:
        The TEAEs.
    """
    first = {u: t.date() for u, t in study.first_dose().items()}
    last = {u: t.date() for u, t in study.last_dose().items()}
    out = []
    for ae in study.adverse_events:
        if ae.usubjid not in first:
            continue
        if ae.start is None:
            out.append(ae)
            continue
        if ae.start < first[ae.usubjid]:
            continue
        if window_end is not None:
            if ae.usubjid in window_end and ae.start > window_end[ae.usubjid]:
                continue
        elif window_days_after_last_dose is not None:
            limit = last.get(ae.usubjid, first[ae.usubjid]) + dt.timedelta(days=window_days_after_last_dose)
            if ae.start > limit:
                continue
        out.append(ae)
    return out


def worst_grades(events: Iterable[AdverseEvent]) -> dict[str, int | None]:
    """
    Worst CTCAE grade per subject among the given AEs (None if ungraded).

    Args:
        events: AEs.

    Returns:
        USUBJID → worst grade.
    """
    out: dict[str, int | None] = {}
    for ae in events:
        prev = out.get(ae.usubjid)
        if ae.usubjid not in out or (ae.grade is not None and (prev is None or ae.grade > prev)):
            out[ae.usubjid] = ae.grade
    return out


@attrs.frozen
class DltResult:
    """DLT subjects and the definition applied (for the report)."""

    subjects: frozenset[str]
    definition: str
    events: tuple[AdverseEvent, ...]


def dlt_subjects(
    study: StudyData,
    window_days: int = 28,
    related_values: Collection[str] = DEFAULT_RELATED,
    min_grade: int = 3,
    use_flag: bool | None = None,
    window_end: Mapping[str, dt.date] | None = None,
    window_text: str | None = None,
) -> DltResult:
    """
    Subjects with a DLT within the window after the first dose.

    Args:
        study: The study.
        window_days: DLT window; an AE starting up to first dose + this many
            days counts (protocols say e.g. "within 28 days").
        related_values: AEREL values counted as related (fallback rule).
        min_grade: Minimum grade for the fallback rule.
        use_flag: Force (True) or forbid (False) the AEDLT flag; None = use it
            when the AE data have the column.
        window_end: USUBJID → last day of the DLT window (inclusive); wins
            over ``window_days``.
        window_text: The window in words, for the definition.

    Returns:
        The :class:`DltResult`.
    """
    has_flag = any(ae.dlt is not None for ae in study.adverse_events)
    flag = has_flag if use_flag is None else use_flag
    when = window_text or f"up to {window_days} days after the first dose (first dose date = day 0)"
    if flag:
        definition = f"AE flagged AEDLT=Y (the data's own flag) starting on/after the first dose and {when}"
    else:
        definition = (
            f"related AE (AEREL in {sorted(related_values)}) of CTCAE grade ≥ {min_grade} "
            f"starting on/after the first dose and {when}; the data carry no AEDLT flag, so this "
            f"stated default applies"
        )
    first = {u: t.date() for u, t in study.first_dose().items()}
    events = []
    for ae in study.adverse_events:
        start = first.get(ae.usubjid)
        if start is None or ae.start is None:
            continue
        end = window_end.get(ae.usubjid) if window_end is not None else start + dt.timedelta(days=window_days)
        if ae.start < start or end is None or ae.start > end:
            continue
        if flag:
            ok = bool(ae.dlt)
        else:
            ok = is_related(ae, related_values) and ae.grade is not None and ae.grade >= min_grade
        if ok:
            events.append(ae)
    return DltResult(frozenset(ae.usubjid for ae in events), definition, tuple(events))
