"""
Render an outcomes document (CONTRACT §7) as JSON, a text table or one HTML file.

The HTML is self-contained: inline CSS and hand-written SVG (no scripts, no
network). Figures: Kaplan–Meier curves with numbers at risk (from the
``records`` of time-to-event results), a waterfall plot (best % change of
TR SUMDIAM) or else a swimmer plot (RS), mean concentration–time curves on a
log scale per arm (PC), and an AE grade heat map (from the ``ae`` results).
"""

from __future__ import annotations

import html
import json
import math
from collections.abc import Mapping, Sequence
from typing import Any, Literal

from trialrules.outcomes.sdtm import StudyData
from trialrules.outcomes.survival import kaplan_meier, numbers_at_risk

__all__ = ["render"]

_PALETTE = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf")
_GRADE_COLOURS = {None: "#f5f5f5", 1: "#fde0c5", 2: "#facba6", 3: "#f59e72", 4: "#e4572e", 5: "#8b1e0f"}
_TTE = ("pfs", "os", "dor", "efs")


def render(document: Mapping[str, Any], fmt: Literal["json", "text", "html"], study: StudyData | None = None) -> str:
    """
    Render an outcomes document.

    Args:
        document: ``{"trial": ..., "measures": [...]}`` from
            :func:`trialrules.outcomes.measures.run_measures`.
        fmt: ``"json"``, ``"text"`` or ``"html"``.
        study: The study data, for the figures that need raw records
            (waterfall/swimmer, concentration–time). Optional.

    Returns:
        The rendered document.
    """
    if fmt == "json":
        return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    if fmt == "text":
        return _text(document)
    if fmt == "html":
        return _html(document, study)
    raise ValueError(f"unknown format {fmt!r}; use json, text or html")


# --------------------------------------------------------------------------
# text


def _fmt(v: Any) -> str:
    if v is None:
        return "NR"
    if isinstance(v, float):
        if v != 0 and (abs(v) >= 1e5 or abs(v) < 1e-3):
            return f"{v:.3e}"
        return f"{v:.4g}"
    return str(v)


def _group(g: Mapping[str, Any]) -> str:
    return ", ".join(f"{v}" if k in ("arm", "subject") else f"{k}={v}" for k, v in g.items())


def _rows(measure: Mapping[str, Any]) -> list[list[str]]:
    rows = []
    for r in measure.get("results", []):
        ci = r.get("ci")
        ci_text = f"{_fmt(ci[0])} – {_fmt(ci[1])}" if ci else ""
        rows.append([_group(r.get("group", {})), str(r.get("parameter", "")), _fmt(r.get("estimate")),
                     ci_text, str(r.get("n", "")), str(r.get("unit", ""))])
    return rows


def _text(document: Mapping[str, Any]) -> str:
    out = [f"Outcomes for trial {document.get('trial', '')}", ""]
    header = ["group", "parameter", "estimate", "95% CI", "n", "unit"]
    for m in document.get("measures", []):
        out.append(f"== {m.get('id')}: {m.get('title', '')}")
        if m.get("time_frame"):
            out.append(f"   time frame: {m['time_frame']}")
        if m.get("note"):
            out.append(f"   note: {m['note']}")
        rows = _rows(m)
        if rows:
            widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(header)]
            out.append("   " + "  ".join(h.ljust(w) for h, w in zip(header, widths, strict=False)))
            out.append("   " + "  ".join("-" * w for w in widths))
            out.extend("   " + "  ".join(c.ljust(w) for c, w in zip(r, widths, strict=False)) for r in rows)
        out.append("")
    out.append("NR = not reached / not estimable. CIs: exact Clopper–Pearson for rates, log-log for KM medians.")
    return "\n".join(out) + "\n"


# --------------------------------------------------------------------------
# SVG helpers


def _svg(width: int, height: int, body: list[str], title: str) -> str:
    return (
        f'<figure><svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="{html.escape(title)}">'
        + "".join(body) + f"</svg><figcaption>{html.escape(title)}</figcaption></figure>"
    )


def _text_el(x: float, y: float, s: str, anchor: str = "middle", size: int = 11, extra: str = "") -> str:
    return (f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" text-anchor="{anchor}" {extra}>'
            f"{html.escape(s)}</text>")


def _nice_ticks(lo: float, hi: float, n: int = 5) -> list[float]:
    if hi <= lo:
        return [lo]
    raw = (hi - lo) / n
    mag = 10 ** math.floor(math.log10(raw))
    step = min((m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw), default=raw)
    start = math.ceil(lo / step) * step
    ticks = []
    t = start
    while t <= hi + 1e-9 * step:
        ticks.append(round(t, 10))
        t += step
    return ticks


def _axes(x0: float, y0: float, w: float, h: float, xt: Sequence[tuple[float, str]],
          yt: Sequence[tuple[float, str]], xlabel: str, ylabel: str) -> list[str]:
    body = [f'<rect x="{x0}" y="{y0}" width="{w}" height="{h}" fill="none" stroke="#333"/>']
    for px, label in xt:
        body.append(f'<line x1="{px:.1f}" y1="{y0 + h}" x2="{px:.1f}" y2="{y0 + h + 4}" stroke="#333"/>')
        body.append(_text_el(px, y0 + h + 16, label))
    for py, label in yt:
        body.append(f'<line x1="{x0 - 4}" y1="{py:.1f}" x2="{x0}" y2="{py:.1f}" stroke="#333"/>')
        body.append(f'<line x1="{x0}" y1="{py:.1f}" x2="{x0 + w}" y2="{py:.1f}" stroke="#eee"/>')
        body.append(_text_el(x0 - 7, py + 4, label, "end"))
    body.append(_text_el(x0 + w / 2, y0 + h + 32, xlabel))
    body.append(_text_el(14, y0 + h / 2, ylabel, extra=f'transform="rotate(-90 14 {y0 + h / 2:.1f})"'))
    return body


# --------------------------------------------------------------------------
# figures


def _km_figure(measure: Mapping[str, Any]) -> str | None:
    curves = [(r["group"].get("arm", "all"), r.get("records") or [])
              for r in measure.get("results", []) if r.get("parameter") == "median" and r.get("records")]
    if not curves:
        return None
    if len(curves) > 1:
        curves = [c for c in curves if c[0] != "all"] or curves
    tmax = max(rec["months"] for _, recs in curves for rec in recs) or 1.0
    ticks = _nice_ticks(0, tmax)
    x0, y0, w, h = 60.0, 20.0, 520.0, 220.0
    sx = lambda t: x0 + w * t / (ticks[-1] or 1.0)  # noqa: E731 - tiny local scale
    sy = lambda s: y0 + h * (1 - s)  # noqa: E731
    body = _axes(x0, y0, w, h, [(sx(t), f"{t:g}") for t in ticks],
                 [(sy(v), f"{v:.1f}") for v in (0, 0.25, 0.5, 0.75, 1.0)], "Months", "Probability")
    risk_y = y0 + h + 56
    body.append(_text_el(x0 - 50, risk_y - 14, "Number at risk", "start", 11, 'font-weight="bold"'))
    for i, (arm, recs) in enumerate(curves):
        colour = _PALETTE[i % len(_PALETTE)]
        fit = kaplan_meier([r["months"] for r in recs], [r["event"] for r in recs])
        pts = [f"{sx(0):.1f},{sy(1):.1f}"]
        s_prev = 1.0
        for t, s, c in zip(fit.time, fit.surv, fit.n_censor, strict=False):
            pts.append(f"{sx(t):.1f},{sy(s_prev):.1f}")
            pts.append(f"{sx(t):.1f},{sy(s):.1f}")
            if c:
                body.append(f'<line x1="{sx(t):.1f}" y1="{sy(s) - 4:.1f}" x2="{sx(t):.1f}" y2="{sy(s) + 4:.1f}" stroke="{colour}"/>')
            s_prev = s
        body.append(f'<polyline fill="none" stroke="{colour}" stroke-width="2" points="{" ".join(pts)}"/>')
        body.append(f'<rect x="{x0 + w - 150}" y="{y0 + 8 + 16 * i}" width="10" height="10" fill="{colour}"/>')
        body.append(_text_el(x0 + w - 135, y0 + 17 + 16 * i, arm, "start"))
        row_y = risk_y + 14 * i
        body.append(_text_el(x0 - 50, row_y, arm[:14], "start", 10, f'fill="{colour}"'))
        for t, k in zip(ticks, numbers_at_risk(fit, ticks), strict=False):
            body.append(_text_el(sx(t), row_y, str(k), size=10))
    height = int(risk_y + 14 * len(curves) + 10)
    return _svg(int(x0 + w + 20), height, body, f"Kaplan–Meier: {measure.get('title') or measure.get('id')}")


def _waterfall(study: StudyData) -> str | None:
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
    best.sort(reverse=True)
    x0, y0, w, h = 60.0, 20.0, 520.0, 220.0
    lo, hi = min(-100.0, min(b for b, _ in best)), max(30.0, max(b for b, _ in best))
    sy = lambda v: y0 + h * (hi - v) / (hi - lo)  # noqa: E731
    ticks = _nice_ticks(lo, hi)
    body = _axes(x0, y0, w, h, [], [(sy(t), f"{t:g}") for t in ticks], "Subjects", "Best % change in SLD")
    bw = w / len(best)
    for i, (v, u) in enumerate(best):
        colour = "#2ca02c" if v <= -30 else ("#d62728" if v >= 20 else "#7f7f7f")
        top, bottom = sorted((sy(v), sy(0)))
        body.append(f'<rect x="{x0 + i * bw + 1:.1f}" y="{top:.1f}" width="{max(bw - 2, 1):.1f}" '
                    f'height="{max(bottom - top, 0.5):.1f}" fill="{colour}"><title>{html.escape(u)}: {v:.1f}%</title></rect>')
    for ref in (-30, 20):
        body.append(f'<line x1="{x0}" y1="{sy(ref):.1f}" x2="{x0 + w}" y2="{sy(ref):.1f}" stroke="#333" stroke-dasharray="4 3"/>')
    return _svg(int(x0 + w + 20), int(y0 + h + 45), body, "Waterfall: best percentage change in sum of diameters (RECIST −30% / +20%)")


def _swimmer(study: StudyData) -> str | None:
    first = {u: t.date() for u, t in study.first_dose().items()}
    lanes: dict[str, list[tuple[int, str]]] = {}
    for r in study.responses:
        if r.usubjid in first and r.date is not None:
            lanes.setdefault(r.usubjid, []).append(((r.date - first[r.usubjid]).days, r.result))
    if not lanes:
        return None
    subjects = sorted(lanes, key=lambda u: max(d for d, _ in lanes[u]), reverse=True)
    dmax = max(d for v in lanes.values() for d, _ in v) or 1
    x0, y0, w = 120.0, 20.0, 460.0
    h = 16.0 * len(subjects)
    ticks = _nice_ticks(0, dmax)
    sx = lambda d: x0 + w * d / (ticks[-1] or 1)  # noqa: E731
    body = _axes(x0, y0, w, h, [(sx(t), f"{t:g}") for t in ticks], [], "Days from first dose", "")
    colours = {"CR": "#2ca02c", "CRI": "#2ca02c", "PR": "#1f77b4", "SD": "#7f7f7f", "PD": "#d62728",
               "NR": "#d62728", "RELAPSE": "#d62728"}
    for i, u in enumerate(subjects):
        y = y0 + 16 * i + 8
        end = max(d for d, _ in lanes[u])
        body.append(f'<line x1="{sx(0):.1f}" y1="{y:.1f}" x2="{sx(end):.1f}" y2="{y:.1f}" stroke="#bbb" stroke-width="8"/>')
        body.append(_text_el(x0 - 6, y + 4, u, "end", 10))
        for d, res in lanes[u]:
            body.append(f'<circle cx="{sx(d):.1f}" cy="{y:.1f}" r="4" fill="{colours.get(res, "#000")}">'
                        f"<title>{html.escape(u)} day {d}: {html.escape(res)}</title></circle>")
    return _svg(int(x0 + w + 20), int(y0 + h + 45), body, "Swimmer plot: response assessments per subject")


def _conc_time(study: StudyData) -> str | None:
    from trialrules.outcomes.measures import pc_profiles  # local: measures imports this module's peers

    arm_of = study.arm_of()
    by_arm: dict[str, dict[float, list[float]]] = {}
    for (u, _analyte), (times, concs, _unit) in pc_profiles(study).items():
        for t, c in zip(times, concs, strict=False):
            if c is not None and c > 0:
                by_arm.setdefault(arm_of.get(u, "all"), {}).setdefault(round(t, 2), []).append(c)
    if not by_arm:
        return None
    means = {a: sorted((t, sum(v) / len(v)) for t, v in d.items()) for a, d in by_arm.items()}
    all_c = [c for pts in means.values() for _, c in pts]
    all_t = [t for pts in means.values() for t, _ in pts]
    lo, hi = math.floor(math.log10(min(all_c))), math.ceil(math.log10(max(all_c)))
    hi = hi if hi > lo else lo + 1
    x0, y0, w, h = 60.0, 20.0, 520.0, 220.0
    ticks = _nice_ticks(0, max(all_t))
    sx = lambda t: x0 + w * t / (ticks[-1] or 1)  # noqa: E731
    sy = lambda c: y0 + h * (hi - math.log10(c)) / (hi - lo)  # noqa: E731
    body = _axes(x0, y0, w, h, [(sx(t), f"{t:g}") for t in ticks],
                 [(sy(10.0 ** e), f"1e{e}") for e in range(lo, hi + 1)], "Hours after first dose",
                 "Mean concentration (log)")
    for i, (arm, pts) in enumerate(sorted(means.items())):
        colour = _PALETTE[i % len(_PALETTE)]
        body.append(f'<polyline fill="none" stroke="{colour}" stroke-width="2" points="'
                    + " ".join(f"{sx(t):.1f},{sy(c):.1f}" for t, c in pts) + '"/>')
        body.extend(f'<circle cx="{sx(t):.1f}" cy="{sy(c):.1f}" r="2.5" fill="{colour}"/>' for t, c in pts)
        body.append(f'<rect x="{x0 + w - 150}" y="{y0 + 8 + 16 * i}" width="10" height="10" fill="{colour}"/>')
        body.append(_text_el(x0 + w - 135, y0 + 17 + 16 * i, arm, "start"))
    return _svg(int(x0 + w + 20), int(y0 + h + 45), body, "Mean concentration–time profiles by arm (log scale)")


def _ae_heatmap(measure: Mapping[str, Any]) -> str | None:
    cells: dict[tuple[str, str], tuple[int, int | None]] = {}
    for r in measure.get("results", []):
        p = str(r.get("parameter", ""))
        arm = r.get("group", {}).get("arm")
        if p.startswith("pt:") and arm and arm != "all":
            grades = [g for g in (r.get("worst_grade") or {}).values() if g is not None]
            cells[(p[3:], arm)] = (int(r.get("count", 0)), max(grades) if grades else None)
    if not cells:
        return None
    terms = sorted({t for t, _ in cells})
    arms = list(dict.fromkeys(a for _, a in cells))
    cw, ch, x0, y0 = 90.0, 20.0, 200.0, 40.0
    body = [_text_el(x0 + cw * (j + 0.5), y0 - 8, a[:14], size=10) for j, a in enumerate(arms)]
    for i, t in enumerate(terms):
        body.append(_text_el(x0 - 6, y0 + ch * i + 14, t[:32], "end", 10))
        for j, a in enumerate(arms):
            count, grade = cells.get((t, a), (0, None))
            colour = _GRADE_COLOURS.get(grade if count else None, "#f5f5f5")
            body.append(f'<rect x="{x0 + cw * j:.1f}" y="{y0 + ch * i:.1f}" width="{cw - 2}" height="{ch - 2}" fill="{colour}">'
                        f"<title>{html.escape(t)} / {html.escape(a)}: {count} subjects, worst grade {grade}</title></rect>")
            if count:
                body.append(_text_el(x0 + cw * (j + 0.5), y0 + ch * i + 14, f"{count} (G{grade})", size=10))
    ly = y0 + ch * len(terms) + 16
    for k, g in enumerate((1, 2, 3, 4, 5)):
        body.append(f'<rect x="{x0 + 60 * k:.1f}" y="{ly:.1f}" width="12" height="12" fill="{_GRADE_COLOURS[g]}"/>')
        body.append(_text_el(x0 + 60 * k + 16, ly + 10, f"Grade {g}", "start", 10))
    return _svg(int(x0 + cw * len(arms) + 20), int(ly + 24), body,
                f"AE heat map: subjects per term and arm, colour = worst CTCAE grade ({measure.get('id')})")


# --------------------------------------------------------------------------
# HTML


_CSS = """
body{font-family:system-ui,sans-serif;margin:2em;color:#222;max-width:1100px}
table{border-collapse:collapse;margin:.5em 0 1.5em;font-size:13px}
th,td{border:1px solid #ccc;padding:3px 8px;text-align:left}
th{background:#f0f0f0} td.num{text-align:right;font-variant-numeric:tabular-nums}
.note{color:#8a4b00;background:#fff4e0;padding:4px 8px;display:inline-block}
figure{margin:1em 0} figcaption{font-size:12px;color:#555}
h2{border-bottom:1px solid #ddd;padding-bottom:4px}
"""


def _html(document: Mapping[str, Any], study: StudyData | None) -> str:
    trial = html.escape(str(document.get("trial", "")))
    parts = [f"<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Outcomes: {trial}</title>"
             f"<style>{_CSS}</style></head><body><h1>Outcomes: {trial}</h1>"]
    for m in document.get("measures", []):
        parts.append(f"<section id=\"{html.escape(str(m.get('id')))}\"><h2>{html.escape(str(m.get('title') or m.get('id')))}</h2>")
        if m.get("time_frame"):
            parts.append(f"<p>Time frame: {html.escape(str(m['time_frame']))}</p>")
        if m.get("note"):
            parts.append(f"<p class=\"note\">{html.escape(str(m['note']))}</p>")
        if str(m.get("id")) in _TTE or any(r.get("records") for r in m.get("results", [])):
            fig = _km_figure(m)
            if fig:
                parts.append(fig)
        if any(str(r.get("parameter", "")).startswith("pt:") for r in m.get("results", [])):
            fig = _ae_heatmap(m)
            if fig:
                parts.append(fig)
        if study is not None and str(m.get("id")) in ("orr", "dcr"):
            fig = _waterfall(study) or _swimmer(study)
            if fig:
                parts.append(fig)
        if study is not None and m.get("results") and m["results"][0].get("group", {}).get("subject") \
                and str(m.get("id")) == "pk":
            fig = _conc_time(study)
            if fig:
                parts.append(fig)
        rows = _rows(m)
        if rows:
            parts.append("<table><thead><tr><th>Group</th><th>Parameter</th><th>Estimate</th><th>95% CI</th>"
                         "<th>n</th><th>Unit</th></tr></thead><tbody>")
            for r in rows:
                parts.append("<tr>" + "".join(
                    f"<td class=\"num\">{html.escape(c)}</td>" if k in (2, 3, 4) else f"<td>{html.escape(c)}</td>"
                    for k, c in enumerate(r)) + "</tr>")
            parts.append("</tbody></table>")
        parts.append("</section>")
    parts.append("<footer><p>NR = not reached / not estimable. Rates: exact Clopper–Pearson 95% CI. "
                 "Kaplan–Meier medians: log-log 95% CI (Brookmeyer–Crowley). Months = days/30.4375.</p></footer>")
    parts.append("</body></html>\n")
    return "".join(parts)
