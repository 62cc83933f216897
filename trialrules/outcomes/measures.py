"""
The measure registry: computation names → functions producing CONTRACT §7 results.

Every computation takes ``(study, parameters)`` and returns a list of result
dicts ``{"group", "parameter", "estimate", "ci", "n", "unit", "subjects", ...}``,
or a mapping ``{"results": [...], "notes": [...], ...}`` when it has more to
say. Groups are ``{"arm": "all"}`` plus one per DM ARM (``{"subject": USUBJID}``
for pk). :func:`run_measures` reads a data directory and builds the §7 JSON
document; a measure whose data are missing gets ``results: []`` and a
``note``, never an exception. Every measure entry also lists (fields added to
the §7 shape): ``window`` (its time frame as applied), ``notes`` (conventions,
records left out and why), ``unusable_records`` and ``imputed_dates`` of the
domains it reads, and ``note`` (the notes in one line, as before).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Collection, Mapping, Sequence
from pathlib import Path
from typing import Any

from trialrules.outcomes import boin, change, escalation, pk, response, safety, survival, tte
from trialrules.outcomes.binomial import proportion_ci
from trialrules.outcomes.sdtm import SDTMError, StudyData, read_study
from trialrules.outcomes.windows import Window, measure_window

__all__ = ["COMPUTATIONS", "REQUIRED_DOMAINS", "MissingData", "run_measures"]

Result = dict[str, Any]
Computation = Callable[[StudyData, Mapping[str, Any]], Any]


class MissingData(Exception):
    """The data a computation needs are absent; the message says what."""


#: Domains each computation needs (besides DM for arms, which is optional).
REQUIRED_DOMAINS: dict[str, tuple[str, ...]] = {
    "ae": ("ae", "ex"),
    "sae": ("ae", "ex"),
    "dlt": ("ae", "ex"),
    "orr": ("rs", "ex"),
    "dcr": ("rs", "ex"),
    "dor": ("rs", "ex"),
    "pfs": ("rs", "ex"),
    "os": ("ex",),
    "efs": ("rs", "ex"),
    "mrd": ("lb", "ex"),
    "cytokines": ("lb", "ex"),
    "immune_cells": ("lb", "ex"),
    "ada": ("lb", "ex"),
    "pk": ("pc",),
    "escalation": ("ae", "ex"),
}
#: Domains whose unusable records and imputed dates a computation names.
DOMAINS_READ: dict[str, tuple[str, ...]] = {
    "ae": ("ae", "ex", "dm"),
    "sae": ("ae", "ex", "dm"),
    "dlt": ("ae", "ex", "dm"),
    "orr": ("rs", "ex", "dm", "ds", "cm"),
    "dcr": ("rs", "ex", "dm", "ds", "cm"),
    "dor": ("rs", "ex", "dm", "ds", "cm"),
    "pfs": ("rs", "ex", "dm", "ds", "cm"),
    "efs": ("rs", "ex", "dm", "ds", "cm"),
    "os": ("dm", "ex", "ds", "ae", "rs", "tr", "lb", "pc", "cm"),
    "mrd": ("lb", "ex", "dm"),
    "cytokines": ("lb", "ex", "dm"),
    "immune_cells": ("lb", "ex", "dm"),
    "ada": ("lb", "ex", "dm"),
    "pk": ("pc", "ex", "dm"),
    "escalation": ("ae", "ex", "dm"),
}
#: DM columns only the time-to-event measures read (others do not name their problems).
_TTE_ONLY_COLUMNS = frozenset({"DTHDTC", "RFPENDTC", "RFSTDTC"})
_TTE = frozenset({"os", "pfs", "efs", "dor"})
#: Named records listed in a note before "and N more" (the JSON lists all).
NOTE_LIST_LIMIT = 10

DEFAULT_CYTOKINES = ("IL1B", "IL2", "IL6", "IL10", "TNFA", "IFNG")
DEFAULT_IMMUNE_CELLS = ("NK", "T", "B", "TH", "CTL")


# --------------------------------------------------------------------------
# helpers


def _result(
    group: Mapping[str, str],
    parameter: str,
    estimate: float | None,
    ci: Sequence[float] | None,
    n: int,
    unit: str,
    subjects: Collection[str],
    **extra: Any,
) -> Result:
    out: Result = {
        "group": dict(group),
        "parameter": parameter,
        "estimate": estimate,
        "ci": [ci[0], ci[1]] if ci is not None else None,
        "n": n,
        "unit": unit,
        "subjects": sorted(subjects),
    }
    out.update(extra)
    return out


def _groups(study: StudyData) -> list[tuple[dict[str, str], list[str]]]:
    """[({"arm": "all"}, treated), ({"arm": ARM}, treated in arm), ...]."""
    treated = study.treated() if study.exposures else [s.usubjid for s in study.subjects]
    arm_of = study.arm_of()
    groups = [({"arm": "all"}, treated)]
    for arm in study.arms():
        groups.append(({"arm": arm}, [u for u in treated if arm_of.get(u) == arm]))
    return groups


def _rate(
    group: Mapping[str, str],
    parameter: str,
    hits: Collection[str],
    members: Sequence[str],
    ci_method: str = "clopper-pearson",
    **extra: Any,
) -> Result:
    n = len(members)
    k = len([u for u in members if u in hits])
    ci = proportion_ci(k, n, ci_method) if n else None  # type: ignore[arg-type]
    return _result(
        group, parameter, k / n if n else None, ci, n, "1",
        [u for u in members if u in hits], count=k, ci_method=ci_method if n else None, **extra,
    )


def _window(params: Mapping[str, Any], default: Window | None = None) -> Window | None:
    return measure_window(params, default)


def _ends(study: StudyData, window: Window | None) -> dict[str, dt.date] | None:
    return window.ends(study) if window is not None else None


def _output(results: list[Result], window: Window | None, notes: Sequence[str] = (), **extra: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"results": results, "notes": list(notes), **extra}
    out["window"] = window.as_dict() if window is not None else None
    return out


# --------------------------------------------------------------------------
# safety


def _ae_common(study: StudyData, params: Mapping[str, Any], serious_only: bool) -> Any:
    related_only = bool(params.get("related_only", True))
    related_values = params.get("related_values", safety.DEFAULT_RELATED)
    window = _window(params)
    events = safety.treatment_emergent(study, window_end=_ends(study, window))
    if related_only:
        events = [e for e in events if safety.is_related(e, related_values)]
    if serious_only:
        events = [e for e in events if e.serious]
    label = ("treatment-related " if related_only else "") + ("serious " if serious_only else "")
    definition = (
        f"{label}treatment-emergent AEs (start on/after first dose"
        + (f", {window.describe()}" if window is not None else "")
        + "; a missing start date counts as treatment-emergent); subjects counted once at worst CTCAE grade"
    )
    out: list[Result] = []
    for group, members in _groups(study):
        mine = [e for e in events if e.usubjid in set(members)]
        worst = safety.worst_grades(mine)
        out.append(_rate(group, "any", set(worst), members, definition=definition))
        for g in range(1, 6):
            out.append(_rate(group, f"grade_{g}", {u for u, w in worst.items() if w == g}, members))
        out.append(
            _rate(group, "grade_3_or_higher", {u for u, w in worst.items() if w is not None and w >= 3}, members)
        )
        if params.get("by_term", True):
            terms: dict[str, list[Any]] = {}
            for e in mine:
                terms.setdefault(e.decod or e.term, []).append(e)
            for term in sorted(terms):
                tw = safety.worst_grades(terms[term])
                out.append(
                    _rate(
                        group, f"pt:{term}", set(tw), members,
                        soc=next((e.bodsys for e in terms[term] if e.bodsys), ""),
                        worst_grade={u: tw[u] for u in sorted(tw)},
                    )
                )
    ungraded = sorted({e.usubjid for e in events if e.grade is None})
    notes = [definition]
    if ungraded:
        notes.append(f"{len(ungraded)} subject(s) with an AE of unknown grade (AETOXGR missing or unusable) are in "
                     f"'any' but in no grade row: {', '.join(ungraded)}")
    return _output(out, window, notes)  # type: ignore[return-value]


def compute_ae(study: StudyData, params: Mapping[str, Any]) -> Any:
    """
    Treatment-related (by default) TEAE incidence by worst grade and term.

    Parameters: ``related_only`` (True), ``related_values``
    (:data:`safety.DEFAULT_RELATED`), ``window`` (None; or the older
    ``window_days_after_last_dose``), ``by_term`` (True).
    """
    return _ae_common(study, params, serious_only=False)


def compute_sae(study: StudyData, params: Mapping[str, Any]) -> Any:
    """SAE (AESER = Y) incidence; same parameters as :func:`compute_ae`."""
    return _ae_common(study, params, serious_only=True)


def compute_dlt(study: StudyData, params: Mapping[str, Any]) -> Any:
    """
    DLT rate per group with the definition applied.

    Parameters: ``window`` (default 28 days after the first dose; or the older
    ``window_days``, counted from the first dose), ``related_values``,
    ``min_grade`` (3, the stated default when the data carry no AEDLT flag),
    ``use_flag`` (None = AEDLT if the column exists).
    """
    window = _window(params, Window("first_dose", days=int(params.get("window_days", 28))))
    res = safety.dlt_subjects(
        study,
        int(params.get("window_days", 28)),
        params.get("related_values", safety.DEFAULT_RELATED),
        int(params.get("min_grade", 3)),
        params.get("use_flag"),
        window_end=_ends(study, window),
        window_text=window.describe() if window else None,
    )
    results = [
        _rate(group, "dlt_rate", res.subjects, members, definition=res.definition,
              events=[{"subject": e.usubjid, "term": e.term, "start": e.start.isoformat() if e.start else None,
                       "grade": e.grade} for e in res.events if e.usubjid in set(members)])
        for group, members in _groups(study)
    ]
    undated = sorted({ae.usubjid for ae in study.adverse_events if ae.start is None})
    notes = [res.definition]
    if undated:
        notes.append(f"AEs without a usable start date cannot be placed in the DLT window (subjects: {', '.join(undated)})")
    return _output(results, window, notes)


# --------------------------------------------------------------------------
# response


def _evaluator(params: Mapping[str, Any]) -> str | None:
    value = params.get("evaluator", tte.DEFAULT_EVALUATOR)
    return None if value in (None, "", "all") else str(value).upper()


def _bors(study: StudyData, params: Mapping[str, Any]) -> dict[str, response.BestResponse]:
    criteria = str(params.get("criteria", "recist")).lower()
    testcd = params.get("testcd", "OVRLRESP" if criteria == "recist" else None)
    assessments = tte.responses_by_subject(study, testcd, _evaluator(params))
    first = {u: t.date() for u, t in study.first_dose().items()}
    ends = _ends(study, _window(params)) or {}
    therapy = tte.new_therapy_dates(study) if params.get("exclude_after_new_therapy", True) else {}
    out = {}
    for u, start in first.items():
        limits = [d for d in (ends.get(u), therapy.get(u)) if d is not None]
        end = min(limits) if limits else None
        seq = assessments.get(u, [])
        if criteria == "recist":
            out[u] = response.recist_bor(
                seq, start, end,
                confirmation_days=int(params.get("confirmation_days", 28)),
                sd_min_days=int(params.get("sd_min_days", 42)),
                max_nr_ne=int(params.get("max_nr_ne", 1)),
                accept_sd=bool(params.get("accept_sd", False)),
                confirm=bool(params.get("confirm", True)),
            )
        else:
            ranking = response.AML_RANKING if criteria == "aml" else response.INRC_RANKING
            out[u] = response.best_response(
                seq, start, params.get("ranking", ranking), _responders(params), end,
                params.get("confirm_days"),
            )
    return out


def _responders(params: Mapping[str, Any]) -> frozenset[str]:
    if "responders" in params:
        return frozenset(str(r).upper() for r in params["responders"])
    criteria = str(params.get("criteria", "recist")).lower()
    if criteria == "aml":
        return response.AML_RESPONDERS
    if criteria == "inrc":
        return response.INRC_RESPONDERS
    return frozenset({"CR", "PR"})


def _response_notes(study: StudyData, params: Mapping[str, Any]) -> list[str]:
    """The response conventions applied, and the records they left out."""
    evaluator = _evaluator(params)
    notes = [
        "best overall response from assessments on/after the first dose, up to and including the first PD, "
        "inside the measure's window; an NE-only subject has BOR NE and a subject without assessments MISSING "
        "(both in the denominator); PFS/DOR censor at the last adequate assessment (not NE/ND)"
    ]
    if evaluator is None:
        notes.append("all RSEVAL evaluators pooled (evaluator: all)")
    else:
        others = sorted({r.evaluator for r in study.responses if r.evaluator and r.evaluator != evaluator})
        used = sum(1 for r in study.responses if r.evaluator == evaluator)
        notes.append(f"evaluator RSEVAL = {evaluator} ({used} rows); rows without RSEVAL are used as well")
        if others:
            n = sum(1 for r in study.responses if r.evaluator in others)
            notes.append(f"{n} RS row(s) of other evaluators not used: {', '.join(others)}")
    if params.get("exclude_after_new_therapy", True):
        therapy = tte.new_therapy_dates(study)
        late = sorted({r.usubjid for r in study.responses if r.date and r.usubjid in therapy and r.date > therapy[r.usubjid]})
        notes.append("assessments dated after the start of a new anti-cancer therapy (DS decode or CM category) "
                     "do not count toward best overall response"
                     + (f"; left out for: {', '.join(late)}" if late else ""))
    return notes


def _response_rate(study: StudyData, params: Mapping[str, Any], name: str, codes: frozenset[str]) -> Any:
    bors = _bors(study, params)
    out = []
    for group, members in _groups(study):
        hits = {u for u in members if u in bors and bors[u].bor in codes}
        counts: dict[str, int] = {}
        for u in members:
            b = bors[u].bor if u in bors else "MISSING"
            counts[b] = counts.get(b, 0) + 1
        out.append(
            _rate(
                group, name, hits, members, params.get("ci_method", "clopper-pearson"),
                responders=sorted(codes), bor_counts=dict(sorted(counts.items())),
                criteria=str(params.get("criteria", "recist")),
            )
        )
    return _output(out, _window(params), _response_notes(study, params))


def compute_orr(study: StudyData, params: Mapping[str, Any]) -> Any:
    """
    Objective response rate with a Clopper–Pearson CI.

    Parameters: ``criteria`` ("recist" | "aml" | "inrc"), ``responders``
    (default CR+PR; AML CR+CRi+PR), ``confirm`` (True, RECIST),
    ``confirmation_days`` (28), ``sd_min_days`` (42), ``max_nr_ne`` (1),
    ``accept_sd`` (False), ``confirm_days`` (None, AML/INRC),
    ``window`` (or ``days_after_first_dose`` / ``days_after_last_dose``; None),
    ``testcd`` ("OVRLRESP" for RECIST, else all rows), ``ci_method``,
    ``evaluator`` (RSEVAL, "INVESTIGATOR"; "all" pools),
    ``exclude_after_new_therapy`` (True).
    """
    return _response_rate(study, params, "orr", _responders(params))


def compute_dcr(study: StudyData, params: Mapping[str, Any]) -> Any:
    """
    Disease control rate (responders + SD ≥ minimum duration).

    Parameters: as :func:`compute_orr`, plus ``include_non_cr_non_pd`` (False).
    """
    codes = set(_responders(params)) | {"SD"}
    if str(params.get("criteria", "recist")).lower() == "inrc":
        codes |= {"MR"}
    if params.get("include_non_cr_non_pd", False):
        codes.add("NON-CR/NON-PD")
    return _response_rate(study, params, "dcr", frozenset(codes))


# --------------------------------------------------------------------------
# time to event


def _km_results(
    records: Sequence[tte.TimeToEvent], study: StudyData, params: Mapping[str, Any], name: str
) -> list[Result]:
    conf_type = params.get("conf_type", "log-log")
    rule = params.get("median_rule", "r")
    if rule not in ("r", "r-exact", "lifelines"):
        raise ValueError(f"median_rule must be r, r-exact or lifelines, got {rule!r}")
    at_risk = params.get("at_risk_months", [0, 3, 6, 9, 12])
    by_subject = {r.usubjid: r for r in records}
    out = []
    for group, members in _groups(study):
        recs = [by_subject[u] for u in members if u in by_subject]
        subjects = [r.usubjid for r in recs]
        if not recs:
            out.append(_result(group, "median", None, None, 0, "months", [], events=0))
            continue
        fit = survival.kaplan_meier([r.months for r in recs], [r.event for r in recs], conf_type)
        m = survival.median_ci(fit, rule)
        ci = [m.lower, m.upper] if m.lower is not None or m.upper is not None else None
        out.append(
            _result(
                group, "median", m.median, None, len(recs), "months", subjects,
                events=fit.events, conf_type=conf_type, median_rule=rule,
                definition=f"{name}: Kaplan–Meier median, {conf_type} 95% CI; "
                "days = end − start + 1, months = days/30.4375",
            )
        )
        median_result = out[-1]
        median_result["ci"] = ci
        median_result["records"] = [
            {"subject": r.usubjid, "start": r.start.isoformat(), "adt": r.adt.isoformat(),
             "days": r.days, "months": r.months, "event": r.event, "reason": r.reason,
             "adt_imputed": r.adt_flag or None, "start_imputed": r.start_flag or None}
            for r in recs
        ]
        out.append(
            _result(group, "events", float(fit.events), None, len(recs), "subjects",
                    [r.usubjid for r in recs if r.event])
        )
        for t, k in zip(at_risk, survival.numbers_at_risk(fit, at_risk), strict=False):
            out.append(_result(group, f"n_at_risk_{t}m", float(k), None, len(recs), "subjects",
                               [r.usubjid for r in recs if r.months >= t]))
    return out


_KM_NOTE = (
    "Kaplan–Meier median with a {conf} 95% CI (median_rule {rule}); days = end − start + 1, "
    "months = days/30.4375; start = first dose"
)


def _tte_notes(records: Sequence[tte.TimeToEvent], params: Mapping[str, Any]) -> list[str]:
    notes = [_KM_NOTE.format(conf=params.get("conf_type", "log-log"), rule=params.get("median_rule", "r"))]
    imputed = [r for r in records if r.adt_flag or r.start_flag]
    if imputed:
        notes.append(
            f"{len(imputed)} record(s) rest on an imputed partial date (flag D = day, M = month and day): "
            + ", ".join(f"{r.usubjid} ({r.reason} {r.adt.isoformat()}"
                        + (f", ADT {r.adt_flag}" if r.adt_flag else "")
                        + (f", start {r.start_flag}" if r.start_flag else "") + ")" for r in imputed)
        )
    return notes


def compute_os(study: StudyData, params: Mapping[str, Any]) -> Any:
    """
    Overall survival (KM median in months).

    Parameters: ``conf_type`` ("log-log"), ``median_rule`` ("r" | "r-exact" |
    "lifelines"), ``at_risk_months`` ([0, 3, 6, 9, 12]), ``window`` (a cut-off:
    deaths after the window's end are censored at it).
    """
    window = _window(params)
    records = tte.derive_os(study, _ends(study, window))
    notes = _tte_notes(records, params)
    notes.append("event: death (DM DTHDTC, else DS); censored at the last complete date known alive"
                 + (f"; follow-up ends {window.describe()}" if window else ""))
    return _output(_km_results(records, study, params, "OS"), window, notes)


def compute_pfs(study: StudyData, params: Mapping[str, Any]) -> Any:
    """
    PFS; parameters as :func:`compute_os` plus ``censor_at_new_therapy`` (False),
    ``evaluator`` and ``window`` (assessments and deaths after its end are not used).
    """
    window = _window(params)
    records = tte.derive_pfs(study, bool(params.get("censor_at_new_therapy", False)), _ends(study, window),
                             _evaluator(params))
    notes = _tte_notes(records, params) + _response_notes(study, {**params, "exclude_after_new_therapy": False})
    if params.get("censor_at_new_therapy", False):
        notes.append("censored at the last adequate assessment on/before the start of a new anti-cancer therapy")
    return _output(_km_results(records, study, params, "PFS"), window, notes)


def compute_efs(study: StudyData, params: Mapping[str, Any]) -> Any:
    """EFS; as :func:`compute_pfs` plus ``event_codes`` (PD, RELAPSE, NR, TREATMENT FAILURE)."""
    codes = params.get("event_codes", ("PD", "RELAPSE", "NR", "TREATMENT FAILURE"))
    window = _window(params)
    records = tte.derive_efs(study, codes, bool(params.get("censor_at_new_therapy", False)), _ends(study, window),
                             _evaluator(params))
    return _output(_km_results(records, study, params, "EFS"), window, _tte_notes(records, params))


def compute_dor(study: StudyData, params: Mapping[str, Any]) -> Any:
    """DOR among confirmed responders; parameters as :func:`compute_os` and :func:`compute_orr`."""
    records = tte.derive_dor(study, _bors(study, params))
    notes = _tte_notes(records, params) + _response_notes(study, params)
    return _output(_km_results(records, study, params, "DOR"), _window(params), notes)


# --------------------------------------------------------------------------
# labs


def _outside_note(study: StudyData, tests: Sequence[str], window: Window | None) -> list[str]:
    late = change.outside_window(study, tests, _ends(study, window))
    if not late or window is None:
        return []
    listed = ", ".join(f"{study.files.get('lb', 'lb')} row {r.row} ({r.usubjid} {r.testcd} {r.dtc.date() if r.dtc else ''})"
                       for r in late[:NOTE_LIST_LIMIT])
    more = f" and {len(late) - NOTE_LIST_LIMIT} more" if len(late) > NOTE_LIST_LIMIT else ""
    return [f"{len(late)} LB record(s) after the window's end not used ({window.describe()}): {listed}{more}"]


def _change_summaries(study: StudyData, params: Mapping[str, Any], default_tests: Sequence[str], fold: bool) -> Any:
    tests = [t.upper() for t in params.get("tests", default_tests)]
    window = _window(params)
    records = change.change_from_baseline(study, tests, _ends(study, window))
    units = {lb.testcd: lb.unit for lb in study.labs}
    baselines: dict[tuple[str, str], float | None] = {(r.usubjid, r.param): r.base for r in records}
    out = []
    for group, members in _groups(study):
        ms = set(members)
        for test in tests:
            recs = [r for r in records if r.param == test and r.usubjid in ms]
            base = [(u, b) for (u, p), b in baselines.items() if p == test and u in ms and b is not None]
            s = change.Summary.of([b for _, b in base])
            out.append(_result(group, f"{test}:baseline", s.mean, None, s.n, units.get(test, ""),
                               [u for u, _ in base], median=s.median, min=s.min, max=s.max, statistic="mean"))
            visits = sorted({r.visit for r in recs}, key=lambda v: min(r.dtc or dt.datetime.min for r in recs if r.visit == v))
            for visit in visits:
                vr = [r for r in recs if r.visit == visit]
                for kind, values, unit in (
                    ("aval", [r.aval for r in vr], units.get(test, "")),
                    ("chg", [r.chg for r in vr], units.get(test, "")),
                    ("pchg", [r.pchg for r in vr], "%"),
                ) + ((("fold", [r.aval / r.base if r.base else None for r in vr], "1"),) if fold else ()):
                    s = change.summarise(values)
                    subj = [r.usubjid for r, v in zip(vr, values, strict=False) if v is not None]
                    out.append(_result(group, f"{test}:{visit}:{kind}", s.mean, None, s.n, unit, subj,
                                       median=s.median, min=s.min, max=s.max, statistic="mean"))
            if fold and recs:
                peaks: dict[str, float] = {}
                for r in recs:
                    peaks[r.usubjid] = max(r.aval, peaks.get(r.usubjid, r.aval))
                s = change.Summary.of(list(peaks.values()))
                out.append(_result(group, f"{test}:peak", s.mean, None, s.n, units.get(test, ""),
                                   list(peaks), median=s.median, min=s.min, max=s.max, statistic="mean"))
    notes = ["BASE = last non-missing value on/before the first dose (LBBLFL = Y wins); CHG = AVAL − BASE; "
             "PCHG = 100·CHG/|BASE| (none when BASE = 0)" + ("; fold = AVAL/BASE; peak = highest post-baseline value"
                                                             if fold else "")]
    return _output(out, window, notes + _outside_note(study, tests, window))


def compute_cytokines(study: StudyData, params: Mapping[str, Any]) -> Any:
    """
    Cytokine values, change and fold change from baseline, and peak, per visit.

    Parameters: ``tests`` (IL1B, IL2, IL6, IL10, TNFA, IFNG), ``window``.
    """
    return _change_summaries(study, params, DEFAULT_CYTOKINES, fold=True)


def compute_immune_cells(study: StudyData, params: Mapping[str, Any]) -> Any:
    """
    Immune-cell absolute counts and change from baseline per visit.

    Parameters: ``tests`` (NK, T, B, TH, CTL), ``window``.
    """
    return _change_summaries(study, params, DEFAULT_IMMUNE_CELLS, fold=False)


def compute_ada(study: StudyData, params: Mapping[str, Any]) -> Any:
    """
    Treatment-emergent ADA incidence (induced + boosted), titres by visit, nAb status.

    Parameters: ``testcds`` (["ADA", "ADAB"]), ``titre_testcd`` ("ADATITER"),
    ``nab_testcds`` (["NAB", "ADANAB"]), ``log10_rise`` (0.60), ``window``.
    """
    window = _window(params)
    testcds = params.get("testcds", ("ADA", "ADAB"))
    nab_testcds = params.get("nab_testcds", ("NAB", "ADANAB"))
    statuses = change.ada_status(
        study, testcds, params.get("titre_testcd", "ADATITER"),
        float(params.get("log10_rise", 0.60)), _ends(study, window), nab_testcds,
    )
    by_u = {s.usubjid: s for s in statuses}
    has_nab = any(s.nab_positive is not None for s in statuses)
    out = []
    for group, members in _groups(study):
        evaluable = [u for u in members if u in by_u and by_u[u].evaluable]
        out.append(_rate(group, "ada_incidence", {u for u in evaluable if by_u[u].treatment_emergent}, evaluable,
                         definition="treatment-emergent ADA = induced + boosted (≥ 0.60 log10 titre rise)"))
        out.append(_rate(group, "ada_induced", {u for u in evaluable if by_u[u].induced}, evaluable))
        out.append(_rate(group, "ada_boosted", {u for u in evaluable if by_u[u].boosted}, evaluable))
        titres = {u: by_u[u].max_titre for u in evaluable if by_u[u].treatment_emergent and by_u[u].max_titre}
        s = change.summarise(list(titres.values()))
        out.append(_result(group, "ada_max_titre", s.median, None, s.n, "titre", list(titres),
                           median=s.median, min=s.min, max=s.max, mean=s.mean, statistic="median"))
        by_visit: dict[str, dict[str, float]] = {}
        for u in evaluable:
            for visit, t in by_u[u].titres:
                by_visit.setdefault(visit, {})[u] = max(t, by_visit.get(visit, {}).get(u, t))
        for visit, values in by_visit.items():
            s = change.summarise(list(values.values()))
            out.append(_result(group, f"ada_titre:{visit}", s.median, None, s.n, "titre", list(values),
                               median=s.median, min=s.min, max=s.max, mean=s.mean, statistic="median"))
        if has_nab:
            tested = [u for u in evaluable if by_u[u].nab_positive is not None]
            out.append(_rate(group, "nab_positive", {u for u in tested if by_u[u].nab_positive}, tested,
                             definition="neutralising antibodies detected after the first dose, among subjects tested"))
    notes = ["induced = negative (or missing) at baseline and positive after; boosted = positive at baseline with a "
             "titre rise ≥ 0.60 log10 (admiral ADAB); titres by visit are the medians of ADA-positive samples"]
    if not has_nab:
        notes.append(f"nAb status not reported: no LB rows with LBTESTCD in {sorted(str(c).upper() for c in nab_testcds)}")
    return _output(out, window, notes + _outside_note(study, [*testcds, *nab_testcds], window))


def compute_mrd(study: StudyData, params: Mapping[str, Any]) -> Any:
    """
    MRD-negative rate with a Clopper–Pearson CI.

    Parameters: ``testcd`` ("MRD"), ``threshold`` (0.1, % cells), ``at``
    ("best" | "last"), ``denominator`` ("evaluable" | "treated"), ``window``.
    """
    window = _window(params)
    status = change.mrd_status(
        study, params.get("testcd", "MRD"), float(params.get("threshold", 0.1)), params.get("at", "best"),
        _ends(study, window),
    )
    out = []
    for group, members in _groups(study):
        denom = members if params.get("denominator") == "treated" else [u for u in members if u in status]
        out.append(_rate(group, "mrd_negative_rate", {u for u, neg in status.items() if neg}, denom,
                         at=params.get("at", "best")))
    notes = [f"MRD negative: LBSTRESC negative, or LBSTRESN below {float(params.get('threshold', 0.1))} "
             f"({params.get('at', 'best')} post-baseline status)"]
    return _output(out, window, notes + _outside_note(study, [params.get("testcd", "MRD")], window))


# --------------------------------------------------------------------------
# PK


def _specimens(params: Mapping[str, Any]) -> set[str] | None:
    value = params.get("specimen")
    if value is None:
        return None
    values = [value] if isinstance(value, str) else list(value)
    return {str(v).strip().upper() for v in values}


def pc_profiles(
    study: StudyData, analyte: str | None = None
) -> dict[tuple[str, str], tuple[list[float], list[float | None], str]]:
    """
    Concentration–time points per subject and analyte, every specimen together.

    Kept for plots that show all samples (the report); NCA uses
    :func:`pk_profiles`, one profile per specimen.
    """
    out: dict[tuple[str, str], tuple[list[float], list[float | None], str]] = {}
    for (u, a, _spec), (times, concs, unit) in pk_profiles(study, analyte).items():
        t0, c0, _ = out.setdefault((u, a), ([], [], unit))
        t0.extend(times)
        c0.extend(concs)
    return out


def pk_profiles(
    study: StudyData, analyte: str | None = None, specimens: set[str] | None = None
) -> dict[tuple[str, str, str], tuple[list[float], list[float | None], str]]:
    """
    Concentration–time profiles in hours after each subject's first dose.

    One profile per subject, analyte (PCTESTCD) and specimen (PCSPEC). Time =
    PCDTC − first EXSTDTC; when PCDTC is missing (or there is no EX), PCELTM
    (ISO 8601 duration) is used.

    Args:
        study: The study.
        analyte: Keep this PCTESTCD only (None = all).
        specimens: Keep these PCSPEC values (upper case; None = all).

    Returns:
        (USUBJID, PCTESTCD, PCSPEC) → (times, concentrations, unit).
    """
    first = study.first_dose()
    out: dict[tuple[str, str, str], tuple[list[float], list[float | None], str]] = {}
    for c in study.concentrations:
        if analyte is not None and c.testcd.upper() != analyte.upper():
            continue
        if specimens is not None and c.specimen not in specimens:
            continue
        t: float | None = None
        if c.dtc is not None and c.usubjid in first:
            t = (c.dtc - first[c.usubjid]).total_seconds() / 3600.0
        elif c.eltm_hours is not None:
            t = c.eltm_hours
        if t is None:
            continue
        times, concs, _unit = out.setdefault((c.usubjid, c.testcd, c.specimen), ([], [], c.unit))
        times.append(t)
        concs.append(c.value)
    return out


def dose_types(study: StudyData) -> dict[str, tuple[pk.DoseType, str]]:
    """
    USUBJID → (dose type, reason) of the first dose, from EXROUTE and EXSTDTC/EXENDTC.

    IV bolus: EXROUTE says BOLUS, or an intravenous dose whose EXENDTC equals
    EXSTDTC; infusion: intravenous (or intraperitoneal) with a later EXENDTC or
    none; every other route: extravascular (PKNCA's default).
    """
    firsts: dict[str, Any] = {}
    for e in study.exposures:
        if e.start is not None and (e.usubjid not in firsts or e.start < firsts[e.usubjid].start):
            firsts[e.usubjid] = e
    out: dict[str, tuple[pk.DoseType, str]] = {}
    for u, e in firsts.items():
        route = e.route or ""
        if "BOLUS" in route or ("INTRAVENOUS" in route and e.end is not None and e.end == e.start):
            out[u] = ("bolus", f"EXROUTE {route or 'missing'}, EXENDTC = EXSTDTC")
        elif any(k in route for k in ("INTRAVENOUS", "INTRAPERITONEAL", "INFUSION", "DRIP")):
            hours = (e.end - e.start).total_seconds() / 3600 if e.end is not None else None
            out[u] = ("infusion", f"EXROUTE {route}" + (f", {hours:g} h" if hours is not None else ", no EXENDTC"))
        else:
            out[u] = ("extravascular", f"EXROUTE {route or 'missing'}")
    return out


def compute_pk(study: StudyData, params: Mapping[str, Any]) -> Any:
    """
    NCA per subject, analyte and specimen.

    Parameters: ``analyte`` (None = every PCTESTCD), ``specimen`` (PCSPEC
    value or list; None = every specimen, one profile each), ``auc_method``
    ("lin-up/log-down" | "linear"), ``window_hours`` (None, e.g. [0, 336]),
    ``dose_type`` (None = from EX: "bolus" | "infusion" | "extravascular").
    """
    window = params.get("window_hours")
    method = params.get("auc_method", "lin-up/log-down")
    specimens = _specimens(params)
    profiles = pk_profiles(study, params.get("analyte"), specimens)
    analytes = {a for _, a, _ in profiles}
    specs = {sp for _, _, sp in profiles}
    arm_of = study.arm_of()
    routes = dose_types(study)
    units = {
        "cmax": "{c}", "tmax": "h", "clast": "{c}", "tlast": "h", "auclast": "{c}*h",
        "aucinf_obs": "{c}*h", "aucinf_pred": "{c}*h", "lambda_z": "1/h", "half_life": "h", "r2adj": "1",
        "c0": "{c}",
    }
    out = []
    notes = []
    predose = 0
    for (u, analyte, specimen), (times, concs, unit) in sorted(profiles.items()):
        dose_type, why = (params["dose_type"], "measure parameter") if params.get("dose_type") else routes.get(
            u, ("extravascular", "no EX record: PKNCA default"))
        res = pk.nca(times, concs, method, tuple(window) if window else None, dose_type)
        predose += res.predose_excluded
        group = {"subject": u}
        if len(analytes) > 1:
            group["analyte"] = analyte
        if len(specs) > 1:
            group["specimen"] = specimen
        n_used = len([c for t, c in zip(times, concs, strict=False)
                      if c is not None and t >= 0 and (not window or window[0] <= t <= window[1])])
        for name, value in res.parameters().items():
            extra: dict[str, Any] = {"arm": arm_of.get(u, ""), "analyte": analyte, "specimen": specimen,
                                     "auc_method": method, "blq_rule": res.blq_rule, "dose_type": dose_type,
                                     "dose_type_from": why, "c0_rule": res.c0_rule}
            if name in ("lambda_z", "half_life", "r2adj") and res.lambda_z is not None:
                extra["lambda_z_points"] = res.lambda_z.n_points
            out.append(_result(group, name, value, None, n_used, units[name].format(c=unit or "conc"), [u], **extra))
    notes.append("one profile per subject × analyte (PCTESTCD) × specimen (PCSPEC); times are hours after the "
                 "first dose; C0 as PKNCA (observed at t = 0; IV bolus back-extrapolated from the first two samples; "
                 "extravascular/infusion 0); λz best fit as PKNCA (adjusted R² within 1e-4, then most points)")
    if specimens is not None:
        unlabelled = [c for c in study.concentrations if c.specimen not in specimens]
        if unlabelled:
            kinds = sorted({c.specimen or "(blank PCSPEC)" for c in unlabelled})
            notes.append(f"specimen {', '.join(sorted(specimens))} only: {len(unlabelled)} PC row(s) of other "
                         f"specimens not used ({', '.join(kinds)})")
    if predose:
        notes.append(f"{predose} pre-dose sample(s) (negative time) not part of AUC0-t or any parameter")
    return {"results": out, "notes": notes, "specimen": sorted(specimens) if specimens else None}


def _dose_levels(study: StudyData, params: Mapping[str, Any]) -> tuple[list[str], dict[str, int], str]:
    """
    Dose levels lowest first, DM ARM → level, and how the order was found.

    From the measure's ``dose_order`` (DM ARM values); else the trial's arms
    (``trial_arms``, passed by :func:`run_measures`) in order of dose, DM ARM
    matched by :func:`match_arm` — so levels no subject has reached yet still
    count; else the arms in the data by median EXDOSE.
    """
    arms = [a for a in study.arms() if a]
    if params.get("dose_order"):
        order = [str(a) for a in params["dose_order"]]
        return order, {a: k + 1 for k, a in enumerate(order)}, "the measure's dose_order"
    trial_arms = [a for a in params.get("trial_arms") or [] if (a.get("dose") or {}).get("value") is not None]
    if trial_arms:
        ranked = sorted(trial_arms, key=lambda a: float(a["dose"]["value"]))
        levels = {}
        for s in study.subjects:
            hit = match_arm(s.arm, s.armcd, ranked)
            if hit is not None:
                levels[s.arm] = ranked.index(hit) + 1
        if levels:
            return [str(a.get("title") or a.get("id")) for a in ranked], levels, "the trial's arms by dose"
    doses: dict[str, list[float]] = {}
    arm_of = study.arm_of()
    for e in study.exposures:
        if e.dose is not None and arm_of.get(e.usubjid):
            doses.setdefault(arm_of[e.usubjid], []).append(e.dose)
    if all(a in doses for a in arms):
        order = sorted(arms, key=lambda a: (sorted(doses[a])[len(doses[a]) // 2], arms.index(a)))
        how = "median EXDOSE of each arm in the data, ascending"
    else:
        order, how = arms, "order of first appearance in DM (EXDOSE missing)"
    return order, {a: k + 1 for k, a in enumerate(order)}, how


def compute_escalation(study: StudyData, params: Mapping[str, Any]) -> Any:
    """
    Dose-escalation status under 3+3 and BOIN from the DLT data.

    Parameters: ``dlt`` (parameters of the DLT definition, as :func:`compute_dlt`),
    ``dose_order`` (DM ARM values, lowest dose first; default by median EXDOSE),
    ``target`` (BOIN target DLT rate, 0.3 — stated as an assumption when the
    protocol gives none), ``designs`` (["3+3", "boin"]), ``cohort_size`` (3),
    ``n_earlystop`` (100, R BOIN's default).
    """
    dlt_params = dict(params.get("dlt") or {})
    window = _window(dlt_params, Window("first_dose", days=int(dlt_params.get("window_days", 28))))
    res = safety.dlt_subjects(
        study, int(dlt_params.get("window_days", 28)), dlt_params.get("related_values", safety.DEFAULT_RELATED),
        int(dlt_params.get("min_grade", 3)), dlt_params.get("use_flag"), window_end=_ends(study, window),
        window_text=window.describe() if window else None,
    )
    order, level, how = _dose_levels(study, params)
    arm_of = study.arm_of()
    first = study.first_dose()
    patients = sorted((first[u], level[arm_of[u]], u in res.subjects, u)
                      for u in study.treated() if arm_of.get(u) in level and u in first)
    n = [0] * len(order)
    y = [0] * len(order)
    for _, d, tox, _ in patients:
        n[d - 1] += 1
        y[d - 1] += int(tox)
    results = [
        _rate({"dose_level": str(k + 1)}, "dlt_rate", {u for _, d, t, u in patients if d == k + 1 and t},
              [u for _, d, _, u in patients if d == k + 1], arm=arm)
        for k, arm in enumerate(order)
    ]
    unplaced = sorted({arm_of.get(u, "") for u in study.treated()} - set(level))
    if unplaced:
        raise MissingData(f"DM ARM values not matched to a dose level: {', '.join(repr(a) for a in unplaced)}; "
                          "give the measure a dose_order")
    designs = [str(d).lower() for d in params.get("designs", ["3+3", "boin"])]
    notes = [f"dose levels: {', '.join(f'{k + 1} = {a}' for k, a in enumerate(order))} ({how}); patients in order of "
             f"first dose; DLT: {res.definition}"]
    extra: dict[str, Any] = {"dose_levels": order}
    current = patients[-1][1] if patients else 1
    if "3+3" in designs and patients:
        outcomes = [(d, t) for _, d, t, _ in patients]
        dec = escalation.three_plus_three(outcomes, len(order))
        best = escalation.mtd(outcomes, len(order), min_patients=6)
        results.append(_result({"arm": "all"}, "3+3:next_dose", dec.recommended_dose, None, len(patients), "level",
                               [u for *_, u in patients], continue_trial=dec.continue_trial,
                               recommended_arm=order[dec.recommended_dose - 1] if dec.recommended_dose else None))
        results.append(_result({"arm": "all"}, "3+3:mtd", best, None, len(patients), "level", [u for *_, u in patients],
                               recommended_arm=order[best - 1] if best else None,
                               definition="highest dose with at least 6 patients and at most 1 DLT (Korn 1994)"))
        notes.append("3+3 as R escalation::three_plus_three (no de-escalation): decision at the dose given last")
    if "boin" in designs:
        target = float(params.get("target", 0.3))
        table = boin.boundary_table(target, max(12, max(n, default=0)), int(params.get("cohort_size", 3)))
        lam_e, lam_d = boin.boundaries(target)
        extra["boin_boundaries"] = {"target": target, "lambda_e": lam_e, "lambda_d": lam_d,
                                    "table": [r.as_dict() for r in table]}
        if patients:
            dec_b = boin.decide(target, n, y, current, int(params.get("n_earlystop", 100)))
            best_b = boin.select_mtd(target, n, y)
            results.append(_result({"arm": "all"}, "boin:next_dose", dec_b.next_dose, None, len(patients), "level",
                                   [u for *_, u in patients], decision=dec_b.decision, reason=dec_b.reason,
                                   eliminated_from=dec_b.eliminated_from,
                                   recommended_arm=order[dec_b.next_dose - 1] if dec_b.next_dose else None))
            results.append(_result({"arm": "all"}, "boin:mtd", best_b, None, len(patients), "level",
                                   [u for *_, u in patients], recommended_arm=order[best_b - 1] if best_b else None,
                                   definition="R BOIN select.mtd: isotonic estimate closest to the target"))
        notes.append(f"BOIN (Liu & Yuan 2015) with target DLT rate {target}"
                     + ("" if "target" in params else " (assumed: the protocol states none)")
                     + f": escalate if DLT/n ≤ λe = {lam_e:.4f}, de-escalate if ≥ λd = {lam_d:.4f}, eliminate when "
                     "P(rate > target) > 0.95")
    return _output(results, window, notes, **extra)


COMPUTATIONS: dict[str, Computation] = {
    "ae": compute_ae,
    "sae": compute_sae,
    "dlt": compute_dlt,
    "orr": compute_orr,
    "dcr": compute_dcr,
    "dor": compute_dor,
    "pfs": compute_pfs,
    "os": compute_os,
    "efs": compute_efs,
    "mrd": compute_mrd,
    "cytokines": compute_cytokines,
    "immune_cells": compute_immune_cells,
    "ada": compute_ada,
    "pk": compute_pk,
    "escalation": compute_escalation,
}

_LB_TESTS = {
    "mrd": lambda p: [p.get("testcd", "MRD")],
    "cytokines": lambda p: p.get("tests", DEFAULT_CYTOKINES),
    "immune_cells": lambda p: p.get("tests", DEFAULT_IMMUNE_CELLS),
    "ada": lambda p: p.get("testcds", ("ADA", "ADAB")),
}


def _missing_note(name: str, study: StudyData, params: Mapping[str, Any], data_dir: Path) -> str | None:
    missing = [d for d in REQUIRED_DOMAINS.get(name, ()) if d not in study.domains]
    if missing:
        unreadable = {p.domain: p for p in study.problems if p.row is None}
        parts = [unreadable[d].describe() if d in unreadable else f"no {d} file ({d}.csv, {d}.xpt or {d}.json) in the data folder"
                 for d in missing]
        return "no data: " + "; ".join(parts)
    if name in _LB_TESTS:
        wanted = {str(t).upper() for t in _LB_TESTS[name](params)}
        if not any(lb.testcd in wanted for lb in study.labs):
            return f"no data: no LB rows with LBTESTCD in {sorted(wanted)}"
    if name == "pk" and not study.concentrations:
        return "no data: pc has no rows"
    return None


def _listed(what: str, items: Sequence[str]) -> str:
    head = "; ".join(items[:NOTE_LIST_LIMIT])
    more = f"; and {len(items) - NOTE_LIST_LIMIT} more (all in the JSON)" if len(items) > NOTE_LIST_LIMIT else ""
    return f"{len(items)} {what}: {head}{more}"


def _norm(text: str) -> str:
    return "".join(ch for ch in text.lower() if ch.isalnum())


def match_arm(arm: str, armcd: str, arms: Sequence[Mapping[str, Any]]) -> Mapping[str, Any] | None:
    """
    The trial arm a DM row belongs to: ARMCD = arm id, else ARM compared with the
    arm's id and title on letters and digits only, case-insensitive (ARM may add
    text after them, or be the end of the title; the longest match wins).
    """
    arm_text = _norm(arm)
    scored: list[tuple[int, int]] = []
    for i, a in enumerate(arms):
        ident, title = _norm(str(a.get("id", ""))), _norm(str(a.get("title", "")))
        if armcd and _norm(armcd) == ident:
            return a
        keys = [k for k in (ident, title) if k and (arm_text.startswith(k) or (arm_text and k.endswith(arm_text)))]
        if keys:
            scored.append((max(len(k) for k in keys), i))
    return arms[max(scored)[1]] if scored else None


def dose_mismatches(study: StudyData, arms: Sequence[Mapping[str, Any]]) -> tuple[list[dict[str, Any]], list[str]]:
    """
    EX doses that differ from the dose of the subject's arm (DM ARM / ARMCD).

    An arm is matched by :func:`match_arm`. Doses are
    compared when the units are comparable: an arm dose per kg with an EXDOSU
    ending in ``/kg``, an arm dose per administration with any other EXDOSU of
    the same unit (``{cells}`` = ``cells``); else the row is "not compared".

    Args:
        study: The study.
        arms: ``{"id", "title", "dose": {"value", "unit", "per"}}`` per arm.

    Returns:
        (mismatches as dicts, notes).
    """
    def arm_for(s: Any) -> Mapping[str, Any] | None:
        return match_arm(s.arm, s.armcd, arms)

    by_subject = {s.usubjid: s for s in study.subjects}
    mismatches: list[dict[str, Any]] = []
    not_compared: set[str] = set()
    for e in study.exposures:
        s = by_subject.get(e.usubjid)
        arm = arm_for(s) if s is not None else None
        dose = (arm or {}).get("dose") or {}
        if arm is None or dose.get("value") is None or e.dose is None:
            continue
        unit = _norm(e.unit.replace("{", "").replace("}", ""))
        arm_unit = _norm(str(dose.get("unit") or "").replace("{", "").replace("}", ""))
        per_kg = e.unit.lower().replace(" ", "").endswith("/kg")
        if (dose.get("per") == "kg") != per_kg or (arm_unit and not unit.startswith(arm_unit)):
            not_compared.add(f"{e.usubjid} ({e.dose:g} {e.unit} vs {dose['value']:g} {dose.get('unit', '')} "
                             f"per {dose.get('per', 'administration')})")
            continue
        if not math.isclose(e.dose, float(dose["value"]), rel_tol=1e-6):
            mismatches.append({"subject": e.usubjid, "arm": s.arm if s else "", "ex_row": e.row,
                               "ex_dose": e.dose, "ex_unit": e.unit, "arm_dose": dose["value"],
                               "arm_unit": dose.get("unit"), "per": dose.get("per", "administration")})
    notes = []
    if mismatches:
        subjects: dict[str, list[dict[str, Any]]] = {}
        for m in mismatches:
            subjects.setdefault(m["subject"], []).append(m)
        items = []
        for u, ms in subjects.items():
            given = ", ".join(sorted({f"{m['ex_dose']:g}" for m in ms}))
            items.append(f"{u} ({ms[0]['arm']}: arm dose {ms[0]['arm_dose']:g}, EX {given} {ms[0]['ex_unit']}, "
                         f"{len(ms)} administration(s))")
        notes.append(_listed("subject(s) dosed differently from their arm (results are grouped by DM ARM)", items))
    if not_compared:
        notes.append(_listed("subject(s) whose EX dose unit cannot be compared with the arm's", sorted(not_compared)))
    return mismatches, notes


def run_measures(
    trial_id: str,
    measures: Sequence[Mapping[str, Any]],
    data_dir: Path,
    computations: Mapping[str, Computation] | None = None,
    arms: Sequence[Mapping[str, Any]] | None = None,
    study: StudyData | None = None,
) -> dict[str, Any]:
    """
    Compute a trial's outcome measures from an SDTM directory (CONTRACT §7).

    Args:
        trial_id: Trial id for the document.
        measures: Mappings with ``id``, ``title``, ``time_frame``,
            ``computation`` (a :data:`COMPUTATIONS` key; defaults to ``id``)
            and ``parameters`` (dict).
        data_dir: Directory of SDTM domain files.
        computations: The computations by name (default :data:`COMPUTATIONS`;
            the CLI passes every computation registered through the plugin hook).
        arms: The trial's arms with their doses, to compare EX doses with
            (see :func:`dose_mismatches`); None skips the check.
        study: The study already read from ``data_dir`` (read here when None).

    Returns:
        ``{"trial": trial_id, "measures": [{"id", "title", "time_frame",
        "results", "window", "notes", "unusable_records", "imputed_dates",
        ["note"]}, ...], "input": {...}}``. Missing data or a failing
        computation yields ``results: []`` and a ``note``.
    """
    data_dir = Path(data_dir)
    read_error: str | None = None
    if study is None:
        try:
            study = read_study(data_dir)
        except SDTMError as exc:
            study, read_error = None, str(exc)
    mismatches: list[dict[str, Any]] = []
    dose_notes: list[str] = []
    if study is not None and arms:
        mismatches, dose_notes = dose_mismatches(study, arms)
    doc_measures = []
    for m in measures:
        name = str(m.get("computation") or m["id"])
        params = dict(m.get("parameters") or {})
        entry: dict[str, Any] = {
            "id": m["id"],
            "title": m.get("title", ""),
            "time_frame": m.get("time_frame", ""),
            "results": [],
        }
        known = COMPUTATIONS if computations is None else computations
        func = known.get(name)
        notes: list[str] = []
        if func is None:
            entry["note"] = f"unknown computation {name!r}; known: {', '.join(sorted(known))}"
        elif study is None:
            entry["note"] = f"no data: {read_error}"
        else:
            note = _missing_note(name, study, params, data_dir)
            if note:
                entry["note"] = note
            else:
                if name == "escalation" and arms:
                    params.setdefault("trial_arms", [dict(a) for a in arms])
                try:
                    output = func(study, params)
                except MissingData as exc:
                    entry["note"] = f"no data: {exc}"
                except Exception as exc:  # noqa: BLE001 - a report must never crash on one measure
                    entry["note"] = f"computation failed: {type(exc).__name__}: {exc}"
                else:
                    if isinstance(output, Mapping):
                        entry.update({k: v for k, v in output.items() if k not in ("results", "notes")})
                        entry["results"] = list(output.get("results", []))
                        notes.extend(output.get("notes", []))
                    else:
                        entry["results"] = list(output)
            domains = DOMAINS_READ.get(name, REQUIRED_DOMAINS.get(name, ()))
            problems = [p for p in study.problems_in(domains) if name in _TTE or p.column not in _TTE_ONLY_COLUMNS]
            imputed = [i for i in study.imputations_in(domains) if name in _TTE or i.column not in _TTE_ONLY_COLUMNS]
            entry["unusable_records"] = [p.as_dict() for p in problems]
            entry["imputed_dates"] = [i.as_dict() for i in imputed]
            if problems:
                notes.append(_listed("unusable record(s) not used as recorded", [p.describe() for p in problems]))
            if imputed:
                notes.append(_listed("partial date(s) imputed (admiral: missing day = 1st, missing month = January; "
                                     "end dates to the last day; a death never before the last date known alive)",
                                     [i.describe() for i in imputed]))
            notes.extend(dose_notes)
        entry.setdefault("window", None)
        entry["notes"] = notes
        if notes and "note" not in entry:
            flagged = [n for n in notes if n.split(" ", 1)[0].isdigit() and n not in dose_notes]
            if flagged:
                entry["note"] = " | ".join(flagged)
        doc_measures.append(entry)
    document: dict[str, Any] = {"trial": trial_id, "measures": doc_measures}
    if study is not None:
        document["input"] = {
            "files": dict(study.files),
            "unreadable_files": [p.as_dict() for p in study.problems if p.row is None],
            "unusable_records": len([p for p in study.problems if p.row is not None]),
            "imputed_dates": len(study.imputations),
            "dose_mismatches": mismatches,
            "dose_notes": dose_notes,
        }
    return document
