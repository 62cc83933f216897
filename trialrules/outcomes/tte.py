"""
ADaM-style time-to-event derivation (OS, PFS, DOR, EFS) from SDTM.

Anchors: pharmaverse admiral ``derive_param_tte`` and admiralonco
``inst/templates/ad_adtte.R`` / ``R/tte_sources.R`` (notes §2; CONTRACT §7):

- start = first dose (earliest EXSTDTC; single-arm trials have no RANDDT);
- event date = earliest qualifying event; censor date = latest qualifying
  censoring date; an event wins over censoring; a date before start becomes
  the start date;
- AVAL = ADT − start + 1 days (``derive_vars_duration(add_one=TRUE)``);
  months = days / 30.4375;
- OS: event death, censor at the last date known alive (complete dates only);
  with a study cut-off, a death after it is censored at the cut-off;
- PFS: events PD and death, censor at the last adequate assessment, or at
  start when there is none after baseline; assessments and deaths after the
  measure's window end are not used (the censoring date is then the last
  adequate assessment inside the window); optionally censor at the last
  adequate assessment before new anticancer therapy;
- every record says whether its start or event/censoring date was imputed
  from a partial date (admiral ``--DTF`` flags ``D``/``M``).
- DOR: responders only, from the first (confirmed) response to PD/death,
  censored at the last adequate assessment;
- EFS: like PFS with extra event codes (relapse, treatment failure).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Mapping

import attrs

from trialrules.outcomes.response import Assessment, BestResponse, recist_bor
from trialrules.outcomes.sdtm import DEATH_CODES, StudyData

__all__ = [
    "DAYS_PER_MONTH",
    "TimeToEvent",
    "death_dates",
    "derive_dor",
    "derive_efs",
    "derive_os",
    "derive_pfs",
    "last_known_alive",
    "new_therapy_dates",
    "responses_by_subject",
]

DAYS_PER_MONTH = 30.4375
NEW_THERAPY_CODES = frozenset({"NEW ANTICANCER THERAPY", "NEW ANTI-CANCER THERAPY"})
#: CM categories (CMCAT/CMSCAT) that mark an anti-cancer therapy.
ANTICANCER_CATEGORIES = ("ANTICANCER", "ANTI-CANCER", "ANTINEOPLASTIC", "ANTI-NEOPLASTIC", "ONCOLOGY")


@attrs.frozen
class TimeToEvent:
    """
    One subject's time-to-event record (an ADTTE row).

    Attributes:
        usubjid: Subject.
        start: STARTDT.
        adt: Event or censoring date.
        event: True for an event (CNSR = 0).
        reason: EVNTDESC / CNSDTDSC text.
        adt_flag: Imputation flag of the date behind ADT ("" complete, "D", "M").
        start_flag: Imputation flag of the start date.
    """

    usubjid: str
    start: dt.date
    adt: dt.date
    event: bool
    reason: str
    adt_flag: str = ""
    start_flag: str = ""

    @property
    def days(self) -> int:
        """AVAL in days, ADT − STARTDT + 1."""
        return (self.adt - self.start).days + 1

    @property
    def months(self) -> float:
        """AVAL in months (days / 30.4375)."""
        return self.days / DAYS_PER_MONTH


def death_dates(study: StudyData) -> dict[str, dt.date]:
    """USUBJID → death date from DM DTHDTC, else DS DSDECOD = DEATH (imputed when partial)."""
    return {u: d for u, (d, _) in death_dates_flagged(study).items()}


def death_dates_flagged(study: StudyData) -> dict[str, tuple[dt.date, str]]:
    """USUBJID → (death date, imputation flag); DM DTHDTC wins over DS."""
    out: dict[str, tuple[dt.date, str]] = {}
    for d in study.dispositions:
        if d.decod in DEATH_CODES and d.date is not None:
            if d.usubjid not in out or d.date < out[d.usubjid][0]:
                out[d.usubjid] = (d.date, d.date_flag)
    for s in study.subjects:
        if s.dthdtc is not None:
            out[s.usubjid] = (s.dthdtc, s.dth_flag)
    return out


def new_therapy_dates(study: StudyData, codes: Collection[str] = NEW_THERAPY_CODES) -> dict[str, dt.date]:
    """
    USUBJID → start of the first new anti-cancer therapy after the first dose.

    Sources, as SDTM carries them: a DS record with a new-anticancer-therapy
    decode, and a CM record whose CMCAT or CMSCAT names an anti-cancer therapy
    (:data:`ANTICANCER_CATEGORIES`) starting after the first dose.
    """
    wanted = {c.upper() for c in codes}
    first = {u: t.date() for u, t in study.first_dose().items()}
    out: dict[str, dt.date] = {}

    def keep(u: str, when: dt.date | None) -> None:
        if when is not None and (u not in out or when < out[u]):
            out[u] = when

    for d in study.dispositions:
        if d.decod in wanted:
            keep(d.usubjid, d.date)
    for cm in study.therapies:
        cat = f"{cm.category} {cm.subcategory}"
        if any(c in cat for c in ANTICANCER_CATEGORIES) and cm.start is not None:
            if cm.usubjid in first and cm.start > first[cm.usubjid]:
                keep(cm.usubjid, cm.start)
    return out


def last_known_alive(study: StudyData) -> dict[str, dt.date]:
    """USUBJID → latest complete date known alive (:meth:`StudyData.last_known_alive`)."""
    return study.last_known_alive()


#: RSEVAL used unless a measure says otherwise (CONTRACT §7).
DEFAULT_EVALUATOR = "INVESTIGATOR"


def responses_by_subject(
    study: StudyData, testcd: str | None = "OVRLRESP", evaluator: str | None = DEFAULT_EVALUATOR
) -> dict[str, list[Assessment]]:
    """
    Dated response assessments per subject, of one evaluator.

    Args:
        study: The study.
        testcd: Keep rows with this RSTESTCD; rows without RSTESTCD are kept;
            None keeps all.
        evaluator: Keep rows whose RSEVAL is this (case-insensitive); rows
            without RSEVAL are kept (the data name no other evaluator); None
            keeps every evaluator (pooled, not recommended).

    Returns:
        USUBJID → assessments (rows without a usable date or result are left
        out; they are :class:`~trialrules.outcomes.sdtm.Problem` records).
    """
    out: dict[str, list[Assessment]] = {}
    for r in study.responses:
        if r.date is None or not r.result:
            continue
        if testcd is not None and r.testcd and r.testcd != testcd.upper():
            continue
        if evaluator is not None and r.evaluator and r.evaluator != evaluator.upper():
            continue
        out.setdefault(r.usubjid, []).append(Assessment(r.date, r.result))
    return out


def response_date_flags(study: StudyData) -> dict[tuple[str, dt.date], str]:
    """(USUBJID, RS date) → imputation flag, for the dates that were imputed."""
    return {(r.usubjid, r.date): r.date_flag for r in study.responses if r.date is not None and r.date_flag}


def _first_dose_dates(study: StudyData) -> dict[str, tuple[dt.date, str]]:
    flags: dict[str, tuple[dt.datetime, str]] = {}
    for e in study.exposures:
        if e.start is not None and (e.usubjid not in flags or e.start < flags[e.usubjid][0]):
            flags[e.usubjid] = (e.start, e.start_flag)
    return {u: (t.date(), f) for u, (t, f) in flags.items()}


def _record(
    u: str, start: tuple[dt.date, str], when: dt.date, event: bool, reason: str, flag: str = ""
) -> TimeToEvent:
    return TimeToEvent(u, start[0], max(when, start[0]), event, reason, flag, start[1])


def derive_os(
    study: StudyData,
    cutoff: Mapping[str, dt.date] | dt.date | None = None,
) -> list[TimeToEvent]:
    """
    Overall survival per treated subject.

    Args:
        study: The study.
        cutoff: Cut-off date (inclusive), one for the study or one per
            USUBJID: a death after it is not an event and follow-up is
            censored at it.

    Returns:
        One :class:`TimeToEvent` per subject with a first dose.
    """
    deaths = death_dates_flagged(study)
    alive = last_known_alive(study)
    out = []
    for u, start in _first_dose_dates(study).items():
        death = deaths.get(u)
        limit = cutoff.get(u) if isinstance(cutoff, Mapping) else cutoff
        if death is not None and (limit is None or death[0] <= limit):
            out.append(_record(u, start, death[0], True, "DEATH", death[1]))
            continue
        last = alive.get(u, start[0])
        if death is not None:
            last = max(last, death[0])
        if limit is not None and last > limit:
            out.append(_record(u, start, limit, False, "CUT-OFF"))
        else:
            out.append(_record(u, start, last, False, "LAST KNOWN ALIVE"))
    return out


def _pfs_like(
    study: StudyData,
    event_codes: Collection[str],
    censor_at_new_therapy: bool,
    label: str,
    window_end: Mapping[str, dt.date | None] | None = None,
    evaluator: str | None = DEFAULT_EVALUATOR,
) -> list[TimeToEvent]:
    deaths = death_dates_flagged(study)
    therapy = new_therapy_dates(study) if censor_at_new_therapy else {}
    assessments = responses_by_subject(study, evaluator=evaluator)
    flags = response_date_flags(study)
    codes = {c.upper() for c in event_codes}
    out = []
    for u, start in _first_dose_dates(study).items():
        end = (window_end or {}).get(u)
        seq = sorted(a for a in assessments.get(u, []) if a.date >= start[0] and (end is None or a.date <= end))
        cutoff = therapy.get(u)
        if cutoff is not None:
            seq = [a for a in seq if a.date <= cutoff]
        progression = next((a.date for a in seq if a.result in codes), None)
        before = [a for a in seq if progression is None or a.date <= progression]
        adequate = [a.date for a in before if a.result not in ("NE", "ND") and a.result not in codes]
        death = deaths.get(u)
        if death is not None and ((cutoff is not None and death[0] > cutoff) or (end is not None and death[0] > end)):
            death = None  # censored at new therapy / outside the measure's window
        events: list[tuple[dt.date, str, str]] = []
        if progression is not None:
            events.append((progression, label, flags.get((u, progression), "")))
        if death is not None:
            events.append((death[0], "DEATH", death[1]))
        if events:
            when, reason, flag = min(events, key=lambda e: e[0])
            out.append(_record(u, start, when, True, reason, flag))
        elif adequate:
            reason = "LAST ADEQUATE ASSESSMENT" + (" BEFORE NEW THERAPY" if cutoff else "")
            out.append(_record(u, start, adequate[-1], False, reason, flags.get((u, adequate[-1]), "")))
        else:
            out.append(_record(u, start, start[0], False, "NO POST-BASELINE ASSESSMENT"))
    return out


def derive_pfs(
    study: StudyData,
    censor_at_new_therapy: bool = False,
    window_end: Mapping[str, dt.date | None] | None = None,
    evaluator: str | None = DEFAULT_EVALUATOR,
) -> list[TimeToEvent]:
    """
    Progression-free survival per treated subject.

    Args:
        study: The study.
        censor_at_new_therapy: Censor at the last adequate assessment on or
            before the start of a new anti-cancer therapy.
        window_end: USUBJID → last day (inclusive) of the measure's window;
            later assessments and deaths are not used.
        evaluator: RSEVAL to use (None pools every evaluator).

    Returns:
        One :class:`TimeToEvent` per subject with a first dose.
    """
    return _pfs_like(study, {"PD"}, censor_at_new_therapy, "PD", window_end, evaluator)


def derive_efs(
    study: StudyData,
    event_codes: Collection[str] = ("PD", "RELAPSE", "NR", "TREATMENT FAILURE"),
    censor_at_new_therapy: bool = False,
    window_end: Mapping[str, dt.date | None] | None = None,
    evaluator: str | None = DEFAULT_EVALUATOR,
) -> list[TimeToEvent]:
    """
    Event-free survival: the first of the event responses or death.

    Args:
        study: The study.
        event_codes: RS results that are events (default PD, RELAPSE,
            NR = induction failure, TREATMENT FAILURE).
        censor_at_new_therapy: As for PFS.

    Returns:
        One :class:`TimeToEvent` per subject with a first dose.
    """
    return _pfs_like(study, event_codes, censor_at_new_therapy, "EVENT", window_end, evaluator)


def derive_dor(
    study: StudyData,
    bor: Mapping[str, BestResponse] | None = None,
    confirmation_days: int = 28,
    sd_min_days: int = 42,
) -> list[TimeToEvent]:
    """
    Duration of response for confirmed responders (CR/PR).

    Args:
        study: The study.
        bor: Precomputed best responses; computed with :func:`recist_bor`
            when None.
        confirmation_days: As in :func:`recist_bor`.
        sd_min_days: As in :func:`recist_bor`.

    Returns:
        One :class:`TimeToEvent` per responder, starting at the first response.
    """
    deaths = death_dates_flagged(study)
    starts = {u: s for u, (s, _) in _first_dose_dates(study).items()}
    flags = response_date_flags(study)
    if bor is None:
        assessments = responses_by_subject(study)
        bor = {
            u: recist_bor(assessments.get(u, []), s, None, confirmation_days, sd_min_days)
            for u, s in starts.items()
        }
    out = []
    for u, b in bor.items():
        if b.bor not in ("CR", "PR") or b.response_date is None:
            continue
        start = (b.response_date, flags.get((u, b.response_date), ""))
        death = deaths.get(u)
        if death is not None and b.window_end is not None and death[0] > b.window_end:
            death = None
        events = [
            (d, r, f)
            for d, r, f in ((b.pd_date, "PD", flags.get((u, b.pd_date), "") if b.pd_date else ""),
                            (death[0] if death else None, "DEATH", death[1] if death else ""))
            if d is not None
        ]
        if events:
            when, reason, flag = min(events, key=lambda e: e[0])
            out.append(_record(u, start, when, True, reason, flag))
        else:
            last = b.last_adequate or start[0]
            out.append(_record(u, start, last, False, "LAST ADEQUATE ASSESSMENT", flags.get((u, last), "")))
    return out
