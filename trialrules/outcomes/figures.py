"""
The outcomes report's figures, as SVG: Kaplan–Meier curves with numbers at
risk, waterfall and swimmer plots of tumour response, and mean
concentration–time curves. Each returns None when it has nothing to draw.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from trialrules.outcomes._svgplot import PALETTE, Plot, esc, label_el, legend, nice_ticks, svg, text_width, tick_label
from trialrules.outcomes.sdtm import StudyData
from trialrules.outcomes.survival import kaplan_meier, numbers_at_risk

__all__ = ["arm_colours", "conc_time", "km", "swimmer", "waterfall"]

#: Best-response colours, from complete response to progression (and not evaluable).
RESPONSE_COLOURS = {
    "CR": "#1a7f37", "CRI": "#1a7f37", "CRH": "#1a7f37", "MLFS": "#56a86b", "PR": "#66bb6a", "MR": "#a5d6a7",
    "SD": "#9e9e9e", "NR": "#e57373", "PD": "#d32f2f", "RELAPSE": "#b71c1c", "NE": "#ffd54f", "ND": "#ffd54f",
    "MISSING": "#ffffff",
}
RESPONSE_WORDS = {
    "CR": "complete response", "CRI": "CR with incomplete recovery", "CRH": "CR with partial haematological recovery",
    "MLFS": "morphologic leukaemia-free state", "PR": "partial response", "MR": "minor response",
    "SD": "stable disease", "NR": "no response", "PD": "progressive disease", "RELAPSE": "relapse",
    "NE": "not evaluable", "ND": "not done", "MISSING": "no assessment",
}


def arm_colours(arms: Sequence[str]) -> dict[str, str]:
    """One colour per arm, the same in every figure."""
    return {a: PALETTE[i % len(PALETTE)] for i, a in enumerate(arms)}


# --------------------------------------------------------------------------
# Kaplan–Meier


def km(measure: Mapping[str, Any], colours: Mapping[str, str]) -> str | None:
    """KM curves (per arm when there are several), censor marks, numbers at risk under the ticks."""
    curves = [(str(r["group"].get("arm", "all")), r.get("records") or [])
              for r in measure.get("results", []) if r.get("parameter") == "median" and r.get("records")]
    if not curves:
        return None
    if len(curves) > 2:  # "all" plus one arm is the same curve twice; plus several arms, show the arms
        curves = [c for c in curves if c[0] != "all"] or curves
    elif len(curves) == 2 and curves[0][0] == "all":
        curves = curves[1:]
    tmax = max(float(rec["months"]) for _, recs in curves for rec in recs)
    xt = nice_ticks(0.0, max(tmax, 1e-9))
    labels = [f"{arm} (n={len(recs)})" for arm, recs in curves]
    label_col = max(max(text_width(lbl, 11) for lbl in labels) + 16, 70.0)
    x0, y0, w, h = label_col, 16.0, 560.0, 280.0
    plot = Plot(x0, y0, w, h, (xt[0], xt[-1]), (0.0, 1.0))
    yticks = [(v, tick_label(v)) for v in (0.0, 0.25, 0.5, 0.75, 1.0)]
    origin = "first response" if str(measure.get("id")) == "dor" else "first dose"
    body = plot.axes([(t, tick_label(t)) for t in xt], yticks, f"Months from {origin}", "")
    body.append(label_el(x0 + 4, y0 - 4, "Probability", "start", weight="600"))
    marks: list[str] = []
    risk_top = y0 + h + 62
    body.append(label_el(8, risk_top, "Number at risk", "start", weight="600"))
    legend_items: list[tuple[str, str, str]] = []
    for i, ((arm, recs), label) in enumerate(zip(curves, labels, strict=True)):
        colour = colours.get(arm, PALETTE[i % len(PALETTE)])
        times = [float(r["months"]) for r in recs]
        events = [bool(r["event"]) for r in recs]
        fit = kaplan_meier(times, events)
        pts = [(plot.x(0.0), plot.y(1.0))]
        s_prev = 1.0
        surv_at: dict[float, float] = {}
        for t, s in zip(fit.time, fit.surv, strict=True):
            pts.append((plot.x(t), plot.y(s_prev)))
            pts.append((plot.x(t), plot.y(s)))
            surv_at[t] = s
            s_prev = s
        pts.append((plot.x(max(times)), plot.y(s_prev)))
        marks.append(f'<polyline class="datum" fill="none" stroke="{colour}" stroke-width="2" points="'
                     + " ".join(f"{px:.1f},{py:.1f}" for px, py in pts) + f'" data-arm="{esc(arm)}"/>')
        for rec, t, event in zip(recs, times, events, strict=True):
            if event:
                continue
            s = _surv_at(fit.time, fit.surv, t)
            px, py = plot.x(t), plot.y(s)
            marks.append(f'<line class="datum censor" data-subject="{esc(rec.get("subject", ""))}" data-arm="{esc(arm)}" '
                         f'x1="{px:.1f}" y1="{py - 5:.1f}" x2="{px:.1f}" y2="{py + 5:.1f}" stroke="{colour}" stroke-width="1.5">'
                         f'<title>{esc(rec.get("subject", ""))}: censored at {t:.2f} months</title></line>')
        legend_items.append(("line", colour, label))
        row_y = risk_top + 18 * (i + 1)
        body.append(label_el(8, row_y, label, "start", size=11, fill=colour))
        for t, k in zip(xt, numbers_at_risk(fit, xt), strict=True):
            body.append(label_el(plot.x(t), row_y, str(k), size=11))
    legend_items.append(("censor", "#444", "censored"))
    leg, lw, lh = legend(x0 + w + 18, y0, legend_items)
    body.extend(leg)
    body.append(plot.group(marks))
    width = x0 + w + 18 + lw + 10
    height = max(risk_top + 18 * len(curves) + 14, y0 + lh + 10)
    title = f"Kaplan–Meier estimate: {measure.get('title') or measure.get('id')}"
    caption = ("Steps at events; a vertical tick marks each censored subject (ties share a position). "
               "Numbers at risk at each tick. Months = days / 30.4375.")
    return svg(width, height, body, title, caption)


def _surv_at(times: Sequence[float], surv: Sequence[float], t: float) -> float:
    s = 1.0
    for ti, si in zip(times, surv, strict=True):
        if ti <= t:
            s = si
        else:
            break
    return s


# --------------------------------------------------------------------------
# Waterfall and swimmer


def best_responses(study: StudyData, criteria: str) -> dict[str, str]:
    """USUBJID → best overall response code, by the trial's response criteria."""
    from trialrules.outcomes.measures import _bors  # the same derivation as ORR/DCR

    return {u: b.bor for u, b in _bors(study, {"criteria": criteria}).items()}


def waterfall(study: StudyData, bor: Mapping[str, str]) -> str | None:
    """Best % change in the sum of diameters per subject, coloured by best overall response."""
    first = {u: t.date() for u, t in study.first_dose().items()}
    series: dict[str, list[tuple[Any, float]]] = {}
    for t in study.tumor_results:
        if t.testcd == "SUMDIAM" and t.value is not None and t.date is not None:
            series.setdefault(t.usubjid, []).append((t.date, t.value))
    best: list[tuple[float, str]] = []
    for u, vals in series.items():
        vals.sort()
        start = first.get(u)
        base = [v for d, v in vals if start is None or d <= start]
        post = [v for d, v in vals if start is not None and d > start]
        if base and post and base[-1] > 0:
            best.append((100 * (min(post) - base[-1]) / base[-1], u))
    if not best:
        return None
    best.sort(key=lambda b: (-b[0], b[1]))
    lo, hi = min(-100.0, min(b for b, _ in best)), max(30.0, max(b for b, _ in best))
    yt = nice_ticks(lo, hi)
    x0, y0, w, h = 84.0, 16.0, max(360.0, min(640.0, 26.0 * len(best))), 280.0
    plot = Plot(x0, y0, w, h, (0.0, float(len(best))), (yt[0], yt[-1]))
    body = plot.axes([], [(v, tick_label(v)) for v in yt], "Subjects, ordered by best change", "Best change in sum of diameters (%)")
    marks = []
    slot = (w - 2 * plot.pad) / len(best)
    seen: dict[str, None] = {}
    for i, (v, u) in enumerate(best):
        code = bor.get(u, "NE")
        seen.setdefault(code, None)
        colour = RESPONSE_COLOURS.get(code, "#607d8b")
        left = plot.x(float(i)) + 1
        top, bottom = sorted((plot.y(v), plot.y(0.0)))
        marks.append(f'<rect class="datum" x="{left:.1f}" y="{top:.1f}" width="{max(slot - 2, 1):.1f}" '
                     f'height="{max(bottom - top, 0.5):.1f}" fill="{colour}" stroke="#555" stroke-width="0.4">'
                     f"<title>{esc(u)}: {v:.1f}% ({esc(code)})</title></rect>")
    for ref, text in ((-30.0, "−30 %: partial response"), (20.0, "+20 %: progression")):
        py = plot.y(ref)
        body.append(f'<line x1="{x0:.1f}" y1="{py:.1f}" x2="{x0 + w:.1f}" y2="{py:.1f}" stroke="#333" stroke-dasharray="5 3"/>')
        body.append(label_el(x0 + w + 8, py + 4, text, "start", size=11))
    body.append(f'<line x1="{x0:.1f}" y1="{plot.y(0.0):.1f}" x2="{x0 + w:.1f}" y2="{plot.y(0.0):.1f}" stroke="#333"/>')
    order = [c for c in RESPONSE_COLOURS if c in seen] + [c for c in seen if c not in RESPONSE_COLOURS]
    items = [("box", RESPONSE_COLOURS.get(c, "#607d8b"), f"{c}: {RESPONSE_WORDS.get(c, c)}") for c in order]
    refs_w = text_width("−30 %: partial response", 11) + 16
    leg, lw, lh = legend(x0 + w + refs_w + 12, y0, items, "Best overall response")
    body.extend(leg)
    body.append(plot.group(marks))
    return svg(x0 + w + refs_w + 12 + lw + 10, max(y0 + h + 48, y0 + lh + 10), body,
               "Waterfall: best percentage change from baseline in the sum of target-lesion diameters",
               "One bar per subject with a baseline and at least one post-baseline measurement; dashed lines at the "
               "RECIST 1.1 thresholds (−30 % partial response, +20 % progression).")


def swimmer(study: StudyData, colours: Mapping[str, str]) -> str | None:
    """One lane per subject from first dose to the last assessment, with each response assessment marked."""
    first = {u: t.date() for u, t in study.first_dose().items()}
    lanes: dict[str, list[tuple[int, str]]] = {}
    for r in study.responses:
        if r.usubjid in first and r.date is not None:
            lanes.setdefault(r.usubjid, []).append(((r.date - first[r.usubjid]).days, r.result.upper()))
    if not lanes:
        return None
    arm_of = study.arm_of()
    subjects = sorted(lanes, key=lambda u: (-max(d for d, _ in lanes[u]), u))
    dmax = max(d for v in lanes.values() for d, _ in v)
    dmin = min(0, min(d for v in lanes.values() for d, _ in v))
    xt = nice_ticks(float(dmin), float(max(dmax, 1)))
    label_col = max(text_width(u, 11) for u in subjects) + 16
    x0, y0, w = label_col, 16.0, 520.0
    h = 18.0 * len(subjects) + 12
    plot = Plot(x0, y0, w, h, (xt[0], xt[-1]), (0.0, float(len(subjects))), pad=6.0)
    body = plot.axes([(t, tick_label(t)) for t in xt], [], "Days from first dose", "", grid=False)
    marks = []
    seen: dict[str, None] = {}
    for i, u in enumerate(subjects):
        y = plot.y(len(subjects) - i - 0.5)
        end = max(d for d, _ in lanes[u])
        arm = arm_of.get(u, "")
        lane = colours.get(arm, "#bbb")
        marks.append(f'<line class="datum" x1="{plot.x(0):.1f}" y1="{y:.1f}" x2="{plot.x(end):.1f}" y2="{y:.1f}" '
                     f'stroke="{lane}" stroke-opacity="0.35" stroke-width="10"/>')
        body.append(label_el(x0 - 8, y + 4, u, "end", size=11))
        for d, res in sorted(lanes[u]):
            seen.setdefault(res, None)
            marks.append(f'<circle class="datum" cx="{plot.x(d):.1f}" cy="{y:.1f}" r="4.5" '
                         f'fill="{RESPONSE_COLOURS.get(res, "#000")}" stroke="#333" stroke-width="0.6">'
                         f"<title>{esc(u)} day {d}: {esc(res)}</title></circle>")
    arms = [a for a in dict.fromkeys(arm_of.get(u, "") for u in subjects) if a]
    items = [("box", colours.get(a, "#bbb") + "59", f"lane: {a}") for a in arms]
    order = [c for c in RESPONSE_COLOURS if c in seen] + [c for c in seen if c not in RESPONSE_COLOURS]
    items += [("dot", RESPONSE_COLOURS.get(c, "#000"), f"{c}: {RESPONSE_WORDS.get(c, c)}") for c in order]
    leg, lw, lh = legend(x0 + w + 18, y0, items, "Arm and response")
    body.extend(leg)
    body.append(plot.group(marks))
    return svg(x0 + w + 18 + lw + 10, max(y0 + h + 48, y0 + lh + 10), body,
               "Swimmer plot: response assessments per subject",
               "Each lane runs from the first dose to the subject's last response assessment; lane colour is the arm.")


# --------------------------------------------------------------------------
# Concentration–time


def conc_time(study: StudyData, colours: Mapping[str, str]) -> list[str]:
    """Geometric mean concentration–time curves per arm on a log axis, one figure per analyte."""
    from trialrules.outcomes.measures import pc_profiles  # local: measures imports this module's peers

    arm_of = study.arm_of()
    data: dict[str, dict[str, dict[float, list[float | None]]]] = {}
    units: dict[str, str] = {}
    for (u, analyte), (times, concs, unit) in sorted(pc_profiles(study).items()):
        units.setdefault(analyte, unit)
        by_time = data.setdefault(analyte, {}).setdefault(arm_of.get(u, "all"), {})
        for t, c in zip(times, concs, strict=True):
            by_time.setdefault(round(t, 2), []).append(c if c is not None and c > 0 else None)
    figures = []
    for analyte, per_arm in data.items():
        fig = _conc_figure(analyte, units.get(analyte, ""), per_arm, colours)
        if fig:
            figures.append(fig)
    return figures


def _geomean(values: Sequence[float]) -> float:
    return math.exp(sum(math.log(v) for v in values) / len(values))


def _conc_figure(analyte: str, unit: str, per_arm: Mapping[str, Mapping[float, list[float | None]]],
                 colours: Mapping[str, str]) -> str | None:
    means: dict[str, list[tuple[float, float, int, int]]] = {}
    for arm, by_time in per_arm.items():
        pts = []
        for t, values in sorted(by_time.items()):
            quantified = [v for v in values if v is not None]
            if quantified and 2 * len(quantified) >= len(values):
                pts.append((t, _geomean(quantified), len(quantified), len(values)))
        if pts:
            means[arm] = pts
    if not means:
        return None
    all_c = [c for pts in means.values() for _, c, _, _ in pts]
    all_t = [t for pts in means.values() for t, _, _, _ in pts]
    lo, hi = math.floor(math.log10(min(all_c))), math.ceil(math.log10(max(all_c)))
    hi = hi if hi > lo else lo + 1
    xt = nice_ticks(min(0.0, min(all_t)), max(all_t))
    x0, y0, w, h = 92.0, 16.0, 560.0, 280.0
    plot = Plot(x0, y0, w, h, (xt[0], xt[-1]), (10.0 ** lo, 10.0 ** hi), ylog=True)
    yt = [(10.0 ** e, tick_label(10.0 ** e) if -3 <= e <= 5 else f"1e{e}") for e in range(lo, hi + 1)]
    body = plot.axes([(t, tick_label(t)) for t in xt], yt, "Hours after first dose",
                     f"Geometric mean concentration ({unit})" if unit else "Geometric mean concentration")
    marks = []
    items = []
    for i, arm in enumerate(sorted(means)):
        colour = colours.get(arm, PALETTE[i % len(PALETTE)])
        pts = means[arm]
        marks.append(f'<polyline class="datum" fill="none" stroke="{colour}" stroke-width="2" points="'
                     + " ".join(f"{plot.x(t):.1f},{plot.y(c):.1f}" for t, c, _, _ in pts) + '"/>')
        for t, c, nq, n in pts:
            marks.append(f'<circle class="datum" cx="{plot.x(t):.1f}" cy="{plot.y(c):.1f}" r="3" fill="{colour}">'
                         f"<title>{esc(arm)}, {t:g} h: {c:.4g} {esc(unit)} (geometric mean of {nq}/{n} quantifiable)</title></circle>")
        n_subjects = max(n for _, _, _, n in pts)
        items.append(("line", colour, f"{arm} (n={n_subjects})"))
    leg, lw, lh = legend(x0 + w + 18, y0, items, "Arm")
    body.extend(leg)
    body.append(plot.group(marks))
    return svg(x0 + w + 18 + lw + 10, max(y0 + h + 48, y0 + lh + 10), body,
               f"Concentration–time profile of {analyte} by arm (log scale)",
               f"Geometric mean of the quantifiable concentrations at each time (unit {unit or 'not stated'}). "
               "Samples below the limit of quantification (BLQ, or reported as 0) are left out of the mean; "
               "a time is plotted only when at least half of its samples are quantifiable, so pre-dose BLQ "
               "samples do not appear on the log axis.")
