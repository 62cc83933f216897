"""
Change from baseline, ADA incidence and MRD status from LB.

Anchors (notes §5): admiral ``derive_var_base`` / ``derive_var_chg`` /
``derive_var_pchg`` and the admiral ADAB vignette (``adab_web.Rmd``).

- BASE = last non-missing value on/before the first dose (LBBLFL = Y rows
  win when present); CHG = AVAL − BASE; PCHG = 100·CHG/|BASE|, None when
  BASE = 0.
- ADA: induced = negative (or missing) at baseline and positive after;
  boosted = positive at baseline and log10(titre) rising ≥ 0.60 (≈ 4-fold);
  treatment-emergent = induced + boosted.
- MRD: per subject negative/positive at the best (any negative) or last
  post-baseline assessment.
"""

from __future__ import annotations

import datetime as dt
import math
import statistics
from collections.abc import Collection, Mapping, Sequence
from typing import Literal

import attrs

from trialrules.outcomes.sdtm import LabResult, StudyData

__all__ = [
    "AdaStatus",
    "ChangeRecord",
    "Summary",
    "ada_status",
    "change_from_baseline",
    "mrd_status",
    "pchg",
    "summarise",
]

_POSITIVE = {"POSITIVE", "POS", "Y", "DETECTED", "REACTIVE"}
_NEGATIVE = {"NEGATIVE", "NEG", "N", "NOT DETECTED", "NON-REACTIVE", "UNDETECTABLE"}


def pchg(value: float, base: float) -> float | None:
    """
    Percent change from baseline (admiral ``derive_var_pchg``).

    Args:
        value: AVAL.
        base: BASE.

    Returns:
        100·(AVAL − BASE)/|BASE|, or None when BASE = 0.
    """
    if base == 0:
        return None
    return 100.0 * (value - base) / abs(base)


@attrs.frozen
class ChangeRecord:
    """One post-baseline value with its baseline (a BDS row)."""

    usubjid: str
    param: str
    visit: str
    aval: float
    base: float | None
    chg: float | None
    pchg: float | None
    dtc: dt.datetime | None


@attrs.frozen
class Summary:
    """n, mean, median, min, max of a set of values (None when n = 0)."""

    n: int
    mean: float | None
    median: float | None
    min: float | None
    max: float | None

    @classmethod
    def of(cls, values: Sequence[float]) -> Summary:
        """Summarise values (None values must be removed first)."""
        if not values:
            return cls(0, None, None, None, None)
        return cls(len(values), statistics.fmean(values), statistics.median(values), min(values), max(values))


def summarise(values: Sequence[float | None]) -> Summary:
    """
    Summary statistics of the non-missing values.

    Args:
        values: Values, None for missing.

    Returns:
        The :class:`Summary`.
    """
    return Summary.of([v for v in values if v is not None])


def _baseline(rows: Sequence[LabResult], first_dose: dt.datetime) -> LabResult | None:
    flagged = [r for r in rows if r.baseline_flag and r.value is not None]
    if flagged:
        return flagged[-1]
    pre = [r for r in rows if r.value is not None and r.dtc is not None and r.dtc <= first_dose]
    return max(pre, key=lambda r: r.dtc or dt.datetime.min) if pre else None


def _visit_label(r: LabResult, first_dose: dt.datetime) -> str:
    if r.visit:
        return r.visit
    if r.dtc is None:
        return "UNKNOWN"
    day = (r.dtc.date() - first_dose.date()).days
    # SDTM study day: no day 0 (day 1 is the first dose date).
    return f"DAY {day + 1 if day >= 0 else day}"


def _inside(r: LabResult, window_end: Mapping[str, dt.date] | None) -> bool:
    """Whether a post-baseline record lies inside the measure's window."""
    if window_end is None or r.dtc is None or r.usubjid not in window_end:
        return True
    return r.dtc.date() <= window_end[r.usubjid]


def outside_window(
    study: StudyData, tests: Collection[str], window_end: Mapping[str, dt.date] | None
) -> list[LabResult]:
    """LB records of the given tests dated after the window's end (left out, and named in notes)."""
    if window_end is None:
        return []
    wanted = {t.upper() for t in tests}
    return [r for r in study.labs if r.testcd in wanted and not _inside(r, window_end)]


def change_from_baseline(
    study: StudyData, params: Collection[str] | None = None, window_end: Mapping[str, dt.date] | None = None
) -> list[ChangeRecord]:
    """
    Post-baseline values with BASE, CHG and PCHG per subject and LBTESTCD.

    Args:
        study: The study.
        params: LBTESTCD values to keep (None = all).
        window_end: USUBJID → last day of the measure's window (inclusive);
            later values are left out.

    Returns:
        One :class:`ChangeRecord` per post-baseline non-missing value of a
        treated subject inside the window.
    """
    wanted = {p.upper() for p in params} if params is not None else None
    first = study.first_dose()
    groups: dict[tuple[str, str], list[LabResult]] = {}
    for r in study.labs:
        if wanted is not None and r.testcd not in wanted:
            continue
        if r.usubjid in first:
            groups.setdefault((r.usubjid, r.testcd), []).append(r)
    out = []
    for (u, param), rows in groups.items():
        rows.sort(key=lambda r: r.dtc or dt.datetime.min)
        base_row = _baseline(rows, first[u])
        base = base_row.value if base_row else None
        for r in rows:
            if r is base_row or r.value is None or r.dtc is None or r.dtc <= first[u]:
                continue
            if not _inside(r, window_end):
                continue
            chg = r.value - base if base is not None else None
            out.append(
                ChangeRecord(
                    u, param, _visit_label(r, first[u]), r.value, base, chg,
                    pchg(r.value, base) if base is not None else None, r.dtc,
                )
            )
    return out


def _is_positive(r: LabResult) -> bool | None:
    text = r.text.strip().upper()
    if text in _POSITIVE:
        return True
    if text in _NEGATIVE:
        return False
    return None


@attrs.frozen
class AdaStatus:
    """
    One subject's ADA classification.

    Attributes:
        evaluable: Has at least one post-baseline ADA result.
        baseline_positive: Positive at baseline (None if no baseline).
        induced: Negative/missing at baseline, positive after.
        boosted: Positive at baseline, titre up ≥ 4-fold (log10 ≥ 0.60).
        max_titre: Highest post-baseline titre, if titres are reported.
        nab_positive: Neutralising antibodies detected after baseline (None
            when no nAb result was reported).
        titres: Post-baseline (visit, titre) pairs of ADA-positive samples.
    """

    usubjid: str
    evaluable: bool
    baseline_positive: bool | None
    induced: bool
    boosted: bool
    max_titre: float | None
    nab_positive: bool | None = None
    titres: tuple[tuple[str, float], ...] = ()

    @property
    def treatment_emergent(self) -> bool:
        """Induced or boosted."""
        return self.induced or self.boosted


def ada_status(
    study: StudyData,
    testcds: Collection[str] = ("ADA", "ADAB"),
    titre_testcd: str | None = "ADATITER",
    log10_rise: float = 0.60,
    window_end: Mapping[str, dt.date] | None = None,
    nab_testcds: Collection[str] = ("NAB", "ADANAB"),
) -> list[AdaStatus]:
    """
    Classify each treated subject's ADA response.

    Args:
        study: The study.
        testcds: LBTESTCD of the ADA status (LBSTRESC POSITIVE/NEGATIVE).
        titre_testcd: LBTESTCD holding titres (LBSTRESN), matched by date;
            the ADA row's own LBSTRESN is used when this is absent.
        log10_rise: Minimum log10 titre increase for "boosted" (admiral 0.60).
        window_end: USUBJID → last day of the measure's window (inclusive).
        nab_testcds: LBTESTCD of neutralising-antibody results (POSITIVE/NEGATIVE).

    Returns:
        One :class:`AdaStatus` per treated subject with any ADA result.
    """
    codes = {c.upper() for c in testcds}
    first = study.first_dose()
    titres: dict[tuple[str, dt.date], float] = {}
    for r in study.labs:
        if titre_testcd and r.testcd == titre_testcd.upper() and r.value is not None and r.dtc:
            titres[(r.usubjid, r.dtc.date())] = r.value
    nab_codes = {c.upper() for c in nab_testcds}
    nab: dict[str, list[bool]] = {}
    by_subject: dict[str, list[LabResult]] = {}
    for r in study.labs:
        if r.usubjid not in first or r.dtc is None or not _inside(r, window_end):
            continue
        if r.testcd in codes:
            by_subject.setdefault(r.usubjid, []).append(r)
        elif r.testcd in nab_codes and r.dtc > first[r.usubjid] and _is_positive(r) is not None:
            nab.setdefault(r.usubjid, []).append(bool(_is_positive(r)))
    out = []
    for u, rows in by_subject.items():
        rows.sort(key=lambda r: r.dtc or dt.datetime.min)

        def titre(r: LabResult, u: str = u) -> float | None:
            assert r.dtc is not None
            return titres.get((u, r.dtc.date()), r.value)

        pre = [r for r in rows if r.dtc is not None and r.dtc <= first[u] and _is_positive(r) is not None]
        post = [r for r in rows if r.dtc is not None and r.dtc > first[u] and _is_positive(r) is not None]
        base = pre[-1] if pre else None
        base_pos = _is_positive(base) if base else None
        post_pos = [r for r in post if _is_positive(r)]
        induced = not base_pos and bool(post_pos)
        boosted = False
        if base_pos and post_pos:
            bt = titre(base) if base else None
            rises = [
                math.log10(t) - math.log10(bt)
                for t in (titre(r) for r in post_pos)
                if t is not None and bt is not None and t > 0 and bt > 0
            ]
            boosted = any(x >= log10_rise - 1e-12 for x in rises)
        visit_titres = [(_visit_label(r, first[u]), t) for r in post_pos if (t := titre(r)) is not None]
        post_titres = [t for _, t in visit_titres]
        out.append(
            AdaStatus(u, bool(post), base_pos, induced, boosted, max(post_titres) if post_titres else None,
                      any(nab[u]) if u in nab else None, tuple(visit_titres))
        )
    return out


def mrd_status(
    study: StudyData,
    testcd: str = "MRD",
    threshold: float = 0.1,
    at: Literal["best", "last"] = "best",
    window_end: Mapping[str, dt.date] | None = None,
) -> dict[str, bool]:
    """
    MRD negativity per treated subject with a post-baseline MRD result.

    A result is negative if LBSTRESC says so, or if the numeric LBSTRESN
    (percent of cells) is below ``threshold`` (0.1% by flow, ELN 2021).

    Args:
        study: The study.
        testcd: LBTESTCD of MRD.
        threshold: Numeric cut-off in the unit of LBSTRESN.
        at: ``"best"`` (negative at any assessment) or ``"last"`` assessment.
        window_end: USUBJID → last day of the measure's window (inclusive).

    Returns:
        USUBJID → True when MRD negative.
    """
    first = study.first_dose()
    by_subject: dict[str, list[tuple[dt.datetime, bool]]] = {}
    for r in study.labs:
        if r.testcd != testcd.upper() or r.usubjid not in first or r.dtc is None:
            continue
        if r.dtc <= first[r.usubjid] or not _inside(r, window_end):
            continue
        pos = _is_positive(r)
        if pos is None and r.value is not None:
            pos = r.value >= threshold
        if pos is None:
            continue
        by_subject.setdefault(r.usubjid, []).append((r.dtc, not pos))
    out = {}
    for u, vals in by_subject.items():
        vals.sort()
        out[u] = any(neg for _, neg in vals) if at == "best" else vals[-1][1]
    return out
