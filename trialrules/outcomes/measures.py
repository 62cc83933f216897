"""
The measure registry: computation names → functions producing CONTRACT §7 results.

Every computation takes ``(study, parameters)`` and returns a list of result
dicts ``{"group", "parameter", "estimate", "ci", "n", "unit", "subjects", ...}``.
Groups are ``{"arm": "all"}`` plus one per DM ARM (``{"subject": USUBJID}``
for pk). :func:`run_measures` reads a data directory and builds the §7 JSON
document; a measure whose data are missing gets ``results: []`` and a
``note``, never an exception.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Collection, Mapping, Sequence
from pathlib import Path
from typing import Any

from trialrules.outcomes import change, pk, response, safety, survival, tte
from trialrules.outcomes.binomial import proportion_ci
from trialrules.outcomes.sdtm import SDTMError, StudyData, read_study

__all__ = ["COMPUTATIONS", "REQUIRED_DOMAINS", "MissingData", "run_measures"]

Result = dict[str, Any]
Computation = Callable[[StudyData, Mapping[str, Any]], list[Result]]


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
}

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


def _window_end(
    params: Mapping[str, Any], first: dt.date, last: dt.date | None
) -> dt.date | None:
    """End of the evaluation window from ``days_after_first_dose`` / ``days_after_last_dose``."""
    if params.get("days_after_last_dose") is not None:
        return (last or first) + dt.timedelta(days=int(params["days_after_last_dose"]))
    if params.get("days_after_first_dose") is not None:
        return first + dt.timedelta(days=int(params["days_after_first_dose"]))
    return None


# --------------------------------------------------------------------------
# safety


def _ae_common(study: StudyData, params: Mapping[str, Any], serious_only: bool) -> list[Result]:
    related_only = bool(params.get("related_only", True))
    related_values = params.get("related_values", safety.DEFAULT_RELATED)
    events = safety.treatment_emergent(study, params.get("window_days_after_last_dose"))
    if related_only:
        events = [e for e in events if safety.is_related(e, related_values)]
    if serious_only:
        events = [e for e in events if e.serious]
    label = ("treatment-related " if related_only else "") + ("serious " if serious_only else "")
    definition = (
        f"{label}treatment-emergent AEs (start on/after first dose"
        + (
            f", up to last dose + {params['window_days_after_last_dose']} days"
            if params.get("window_days_after_last_dose") is not None
            else ""
        )
        + "); subjects counted once at worst CTCAE grade"
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
    return out


def compute_ae(study: StudyData, params: Mapping[str, Any]) -> list[Result]:
    """
    Treatment-related (by default) TEAE incidence by worst grade and term.

    Parameters: ``related_only`` (True), ``related_values``
    (:data:`safety.DEFAULT_RELATED`), ``window_days_after_last_dose`` (None),
    ``by_term`` (True).
    """
    return _ae_common(study, params, serious_only=False)


def compute_sae(study: StudyData, params: Mapping[str, Any]) -> list[Result]:
    """SAE (AESER = Y) incidence; same parameters as :func:`compute_ae`."""
    return _ae_common(study, params, serious_only=True)


def compute_dlt(study: StudyData, params: Mapping[str, Any]) -> list[Result]:
    """
    DLT rate per group with the definition applied.

    Parameters: ``window_days`` (28), ``related_values``, ``min_grade`` (3),
    ``use_flag`` (None = AEDLT if the column exists).
    """
    res = safety.dlt_subjects(
        study,
        int(params.get("window_days", 28)),
        params.get("related_values", safety.DEFAULT_RELATED),
        int(params.get("min_grade", 3)),
        params.get("use_flag"),
    )
    return [
        _rate(group, "dlt_rate", res.subjects, members, definition=res.definition)
        for group, members in _groups(study)
    ]


# --------------------------------------------------------------------------
# response


def _bors(study: StudyData, params: Mapping[str, Any]) -> dict[str, response.BestResponse]:
    criteria = str(params.get("criteria", "recist")).lower()
    testcd = params.get("testcd", "OVRLRESP" if criteria == "recist" else None)
    assessments = tte.responses_by_subject(study, testcd)
    first = {u: t.date() for u, t in study.first_dose().items()}
    last = {u: t.date() for u, t in study.last_dose().items()}
    out = {}
    for u, start in first.items():
        end = _window_end(params, start, last.get(u))
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


def _response_rate(study: StudyData, params: Mapping[str, Any], name: str, codes: frozenset[str]) -> list[Result]:
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
    return out


def compute_orr(study: StudyData, params: Mapping[str, Any]) -> list[Result]:
    """
    Objective response rate with a Clopper–Pearson CI.

    Parameters: ``criteria`` ("recist" | "aml" | "inrc"), ``responders``
    (default CR+PR; AML CR+CRi+PR), ``confirm`` (True, RECIST),
    ``confirmation_days`` (28), ``sd_min_days`` (42), ``max_nr_ne`` (1),
    ``accept_sd`` (False), ``confirm_days`` (None, AML/INRC),
    ``days_after_first_dose`` / ``days_after_last_dose`` (window, None),
    ``testcd`` ("OVRLRESP" for RECIST, else all rows), ``ci_method``.
    """
    return _response_rate(study, params, "orr", _responders(params))


def compute_dcr(study: StudyData, params: Mapping[str, Any]) -> list[Result]:
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
             "days": r.days, "months": r.months, "event": r.event, "reason": r.reason}
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


def compute_os(study: StudyData, params: Mapping[str, Any]) -> list[Result]:
    """
    Overall survival (KM median in months).

    Parameters: ``conf_type`` ("log-log"), ``median_rule`` ("r" | "lifelines"),
    ``at_risk_months`` ([0, 3, 6, 9, 12]).
    """
    return _km_results(tte.derive_os(study), study, params, "OS")


def compute_pfs(study: StudyData, params: Mapping[str, Any]) -> list[Result]:
    """PFS; parameters as :func:`compute_os` plus ``censor_at_new_therapy`` (False)."""
    records = tte.derive_pfs(study, bool(params.get("censor_at_new_therapy", False)))
    return _km_results(records, study, params, "PFS")


def compute_efs(study: StudyData, params: Mapping[str, Any]) -> list[Result]:
    """EFS; as :func:`compute_pfs` plus ``event_codes`` (PD, RELAPSE, NR, TREATMENT FAILURE)."""
    codes = params.get("event_codes", ("PD", "RELAPSE", "NR", "TREATMENT FAILURE"))
    records = tte.derive_efs(study, codes, bool(params.get("censor_at_new_therapy", False)))
    return _km_results(records, study, params, "EFS")


def compute_dor(study: StudyData, params: Mapping[str, Any]) -> list[Result]:
    """DOR among confirmed responders; parameters as :func:`compute_os` and :func:`compute_orr`."""
    records = tte.derive_dor(study, _bors(study, params))
    return _km_results(records, study, params, "DOR")


# --------------------------------------------------------------------------
# labs


def _change_summaries(study: StudyData, params: Mapping[str, Any], default_tests: Sequence[str], fold: bool) -> list[Result]:
    tests = [t.upper() for t in params.get("tests", default_tests)]
    records = change.change_from_baseline(study, tests)
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
    return out


def compute_cytokines(study: StudyData, params: Mapping[str, Any]) -> list[Result]:
    """
    Cytokine values, change and fold change from baseline, and peak, per visit.

    Parameters: ``tests`` (IL1B, IL2, IL6, IL10, TNFA, IFNG).
    """
    return _change_summaries(study, params, DEFAULT_CYTOKINES, fold=True)


def compute_immune_cells(study: StudyData, params: Mapping[str, Any]) -> list[Result]:
    """
    Immune-cell absolute counts and change from baseline per visit.

    Parameters: ``tests`` (NK, T, B, TH, CTL).
    """
    return _change_summaries(study, params, DEFAULT_IMMUNE_CELLS, fold=False)


def compute_ada(study: StudyData, params: Mapping[str, Any]) -> list[Result]:
    """
    Treatment-emergent ADA incidence (induced + boosted) and titres.

    Parameters: ``testcds`` (["ADA", "ADAB"]), ``titre_testcd`` ("ADATITER"),
    ``log10_rise`` (0.60).
    """
    statuses = change.ada_status(
        study, params.get("testcds", ("ADA", "ADAB")), params.get("titre_testcd", "ADATITER"),
        float(params.get("log10_rise", 0.60)),
    )
    by_u = {s.usubjid: s for s in statuses}
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
    return out


def compute_mrd(study: StudyData, params: Mapping[str, Any]) -> list[Result]:
    """
    MRD-negative rate with a Clopper–Pearson CI.

    Parameters: ``testcd`` ("MRD"), ``threshold`` (0.1, % cells), ``at``
    ("best" | "last"), ``denominator`` ("evaluable" | "treated").
    """
    status = change.mrd_status(
        study, params.get("testcd", "MRD"), float(params.get("threshold", 0.1)), params.get("at", "best")
    )
    out = []
    for group, members in _groups(study):
        denom = members if params.get("denominator") == "treated" else [u for u in members if u in status]
        out.append(_rate(group, "mrd_negative_rate", {u for u, neg in status.items() if neg}, denom,
                         at=params.get("at", "best")))
    return out


# --------------------------------------------------------------------------
# PK


def pc_profiles(
    study: StudyData, analyte: str | None = None
) -> dict[tuple[str, str], tuple[list[float], list[float | None], str]]:
    """
    Concentration–time profiles in hours after each subject's first dose.

    Time = PCDTC − first EXSTDTC; when PCDTC is missing (or there is no EX),
    PCELTM (ISO 8601 duration) is used.

    Args:
        study: The study.
        analyte: Keep this PCTESTCD only (None = all).

    Returns:
        (USUBJID, PCTESTCD) → (times, concentrations, unit).
    """
    first = study.first_dose()
    out: dict[tuple[str, str], tuple[list[float], list[float | None], str]] = {}
    for c in study.concentrations:
        if analyte is not None and c.testcd.upper() != analyte.upper():
            continue
        t: float | None = None
        if c.dtc is not None and c.usubjid in first:
            t = (c.dtc - first[c.usubjid]).total_seconds() / 3600.0
        elif c.eltm_hours is not None:
            t = c.eltm_hours
        if t is None:
            continue
        times, concs, _unit = out.setdefault((c.usubjid, c.testcd), ([], [], c.unit))
        times.append(t)
        concs.append(c.value)
    return out


def compute_pk(study: StudyData, params: Mapping[str, Any]) -> list[Result]:
    """
    NCA per subject (and analyte).

    Parameters: ``analyte`` (None = every PCTESTCD), ``auc_method``
    ("lin-up/log-down" | "linear"), ``window_hours`` (None, e.g. [0, 336]).
    """
    window = params.get("window_hours")
    method = params.get("auc_method", "lin-up/log-down")
    profiles = pc_profiles(study, params.get("analyte"))
    analytes = {a for _, a in profiles}
    arm_of = study.arm_of()
    units = {
        "cmax": "{c}", "tmax": "h", "clast": "{c}", "tlast": "h", "auclast": "{c}*h",
        "aucinf_obs": "{c}*h", "aucinf_pred": "{c}*h", "lambda_z": "1/h", "half_life": "h", "r2adj": "1",
    }
    out = []
    for (u, analyte), (times, concs, unit) in sorted(profiles.items()):
        res = pk.nca(times, concs, method, tuple(window) if window else None)
        group = {"subject": u}
        if len(analytes) > 1:
            group["analyte"] = analyte
        n_used = len([c for t, c in zip(times, concs, strict=False) if c is not None and (not window or window[0] <= t <= window[1])])
        for name, value in res.parameters().items():
            extra: dict[str, Any] = {"arm": arm_of.get(u, ""), "analyte": analyte, "auc_method": method,
                                     "blq_rule": res.blq_rule}
            if name in ("lambda_z", "half_life", "r2adj") and res.lambda_z is not None:
                extra["lambda_z_points"] = res.lambda_z.n_points
            out.append(_result(group, name, value, None, n_used, units[name].format(c=unit or "conc"), [u], **extra))
    return out


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
        files = ", ".join(f"{d}.csv/{d}.xpt" for d in missing)
        return f"no data: {files} not found in {data_dir}"
    if name in _LB_TESTS:
        wanted = {str(t).upper() for t in _LB_TESTS[name](params)}
        if not any(lb.testcd in wanted for lb in study.labs):
            return f"no data: no LB rows with LBTESTCD in {sorted(wanted)}"
    if name == "pk" and not study.concentrations:
        return "no data: pc has no rows"
    return None


def run_measures(
    trial_id: str,
    measures: Sequence[Mapping[str, Any]],
    data_dir: Path,
    computations: Mapping[str, Computation] | None = None,
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

    Returns:
        ``{"trial": trial_id, "measures": [{"id", "title", "time_frame",
        "results", ["note"]}, ...]}``. Missing data or a failing computation
        yields ``results: []`` and a ``note``.
    """
    data_dir = Path(data_dir)
    study: StudyData | None
    read_error: str | None = None
    try:
        study = read_study(data_dir)
    except SDTMError as exc:
        study, read_error = None, str(exc)
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
        if func is None:
            entry["note"] = f"unknown computation {name!r}; known: {', '.join(sorted(known))}"
        elif study is None:
            entry["note"] = f"no data: {read_error}"
        else:
            note = _missing_note(name, study, params, data_dir)
            if note:
                entry["note"] = note
            else:
                try:
                    entry["results"] = func(study, params)
                except MissingData as exc:
                    entry["note"] = f"no data: {exc}"
                except Exception as exc:  # noqa: BLE001 - a report must never crash on one measure
                    entry["note"] = f"computation failed: {type(exc).__name__}: {exc}"
        doc_measures.append(entry)
    return {"trial": trial_id, "measures": doc_measures}
