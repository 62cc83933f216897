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
- OS: event death, censor at the last date known alive;
- PFS: events PD and death, censor at the last adequate assessment, or at
  start when there is none after baseline; optionally censor at the last
  adequate assessment before new anticancer therapy;
- DOR: responders only, from the first (confirmed) response to PD/death,
  censored at the last adequate assessment;
- EFS: like PFS with extra event codes (relapse, treatment failure).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Mapping

import attrs

from trialrules.outcomes.response import Assessment, BestResponse, recist_bor
from trialrules.outcomes.sdtm import StudyData

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
DEATH_CODES = frozenset({"DEATH", "DIED"})
NEW_THERAPY_CODES = frozenset({"NEW ANTICANCER THERAPY", "NEW ANTI-CANCER THERAPY"})


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
    """

    usubjid: str
    start: dt.date
    adt: dt.date
    event: bool
    reason: str

    @property
    def days(self) -> int:
        """AVAL in days, ADT − STARTDT + 1."""
        return (self.adt - self.start).days + 1

    @property
    def months(self) -> float:
        """AVAL in months (days / 30.4375)."""
        return self.days / DAYS_PER_MONTH


def death_dates(study: StudyData) -> dict[str, dt.date]:
    """USUBJID → death date from DM DTHDTC, else DS DSDECOD = DEATH."""
    out: dict[str, dt.date] = {}
    for d in study.dispositions:
        if d.decod in DEATH_CODES and d.date is not None:
            out[d.usubjid] = min(d.date, out.get(d.usubjid, d.date))
    for s in study.subjects:
        if s.dthdtc is not None:
            out[s.usubjid] = s.dthdtc
    return out


def new_therapy_dates(study: StudyData, codes: Collection[str] = NEW_THERAPY_CODES) -> dict[str, dt.date]:
    """USUBJID → first DS date with a new-anticancer-therapy decode."""
    wanted = {c.upper() for c in codes}
    out: dict[str, dt.date] = {}
    for d in study.dispositions:
        if d.decod in wanted and d.date is not None:
            out[d.usubjid] = min(d.date, out.get(d.usubjid, d.date))
    return out


def last_known_alive(study: StudyData) -> dict[str, dt.date]:
    """
    USUBJID → latest date the subject was known alive.

    admiral's LSTALVDT: the maximum of the dates in EX, AE, RS, TR, LB, PC,
    DS (except death records) and DM RFPENDTC.
    """
    out: dict[str, dt.date] = {}

    def bump(u: str, d: dt.date | dt.datetime | None) -> None:
        if d is None:
            return
        day = d.date() if isinstance(d, dt.datetime) else d
        if u not in out or day > out[u]:
            out[u] = day

    for e in study.exposures:
        bump(e.usubjid, e.start)
        bump(e.usubjid, e.end)
    for a in study.adverse_events:
        bump(a.usubjid, a.start)
        bump(a.usubjid, a.end)
    for r in study.responses:
        bump(r.usubjid, r.date)
    for t in study.tumor_results:
        bump(t.usubjid, t.date)
    for lb in study.labs:
        bump(lb.usubjid, lb.dtc)
    for c in study.concentrations:
        bump(c.usubjid, c.dtc)
    for ds in study.dispositions:
        if ds.decod not in DEATH_CODES:
            bump(ds.usubjid, ds.date)
    for s in study.subjects:
        bump(s.usubjid, s.rfpendtc)
    return out


def responses_by_subject(study: StudyData, testcd: str | None = "OVRLRESP") -> dict[str, list[Assessment]]:
    """
    Dated response assessments per subject.

    Args:
        study: The study.
        testcd: Keep rows with this RSTESTCD; rows without RSTESTCD are kept;
            None keeps all.

    Returns:
        USUBJID → assessments.
    """
    out: dict[str, list[Assessment]] = {}
    for r in study.responses:
        if r.date is None or not r.result:
            continue
        if testcd is not None and r.testcd and r.testcd != testcd.upper():
            continue
        out.setdefault(r.usubjid, []).append(Assessment(r.date, r.result))
    return out


def _first_dose_dates(study: StudyData) -> dict[str, dt.date]:
    return {u: t.date() for u, t in study.first_dose().items()}


def _record(u: str, start: dt.date, when: dt.date, event: bool, reason: str) -> TimeToEvent:
    return TimeToEvent(u, start, max(when, start), event, reason)


def derive_os(study: StudyData) -> list[TimeToEvent]:
    """
    Overall survival per treated subject.

    Args:
        study: The study.

    Returns:
        One :class:`TimeToEvent` per subject with a first dose.
    """
    deaths = death_dates(study)
    alive = last_known_alive(study)
    out = []
    for u, start in _first_dose_dates(study).items():
        if u in deaths:
            out.append(_record(u, start, deaths[u], True, "DEATH"))
        else:
            out.append(_record(u, start, alive.get(u, start), False, "LAST KNOWN ALIVE"))
    return out


def _pfs_like(
    study: StudyData,
    event_codes: Collection[str],
    censor_at_new_therapy: bool,
    label: str,
) -> list[TimeToEvent]:
    deaths = death_dates(study)
    therapy = new_therapy_dates(study) if censor_at_new_therapy else {}
    assessments = responses_by_subject(study)
    codes = {c.upper() for c in event_codes}
    out = []
    for u, start in _first_dose_dates(study).items():
        seq = sorted(a for a in assessments.get(u, []) if a.date >= start)
        cutoff = therapy.get(u)
        if cutoff is not None:
            seq = [a for a in seq if a.date <= cutoff]
        progression = next((a.date for a in seq if a.result in codes), None)
        before = [a for a in seq if progression is None or a.date <= progression]
        adequate = [a.date for a in before if a.result not in ("NE", "ND") and a.result not in codes]
        death = deaths.get(u)
        if death is not None and cutoff is not None and death > cutoff:
            death = None  # censored at new therapy before death
        events = [(d, r) for d, r in ((progression, label), (death, "DEATH")) if d is not None]
        if events:
            when, reason = min(events, key=lambda e: e[0])
            out.append(_record(u, start, when, True, reason))
        elif adequate:
            reason = "LAST ADEQUATE ASSESSMENT" + (" BEFORE NEW THERAPY" if cutoff else "")
            out.append(_record(u, start, adequate[-1], False, reason))
        else:
            out.append(_record(u, start, start, False, "NO POST-BASELINE ASSESSMENT"))
    return out


def derive_pfs(study: StudyData, censor_at_new_therapy: bool = False) -> list[TimeToEvent]:
    """
    Progression-free survival per treated subject.

    Args:
        study: The study.
        censor_at_new_therapy: Censor at the last adequate assessment on or
            before a DS "NEW ANTICANCER THERAPY" date.

    Returns:
        One :class:`TimeToEvent` per subject with a first dose.
    """
    return _pfs_like(study, {"PD"}, censor_at_new_therapy, "PD")


def derive_efs(
    study: StudyData,
    event_codes: Collection[str] = ("PD", "RELAPSE", "NR", "TREATMENT FAILURE"),
    censor_at_new_therapy: bool = False,
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
    return _pfs_like(study, event_codes, censor_at_new_therapy, "EVENT")


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
    deaths = death_dates(study)
    starts = _first_dose_dates(study)
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
        start = b.response_date
        events = [(d, r) for d, r in ((b.pd_date, "PD"), (deaths.get(u), "DEATH")) if d is not None]
        if events:
            when, reason = min(events, key=lambda e: e[0])
            out.append(_record(u, start, when, True, reason))
        else:
            out.append(_record(u, start, b.last_adequate or start, False, "LAST ADEQUATE ASSESSMENT"))
    return out
