"""
Render an outcomes document (CONTRACT §7) as JSON, text tables or one HTML report.

The HTML is self-contained (inline CSS and SVG, no scripts, nothing fetched).
Figures (``figures.py``): Kaplan–Meier curves with numbers at risk, a waterfall
plot coloured by best overall response (or a swimmer plot without tumour
measurements), geometric mean concentration–time curves on a log axis. Tables
(``tables.py``): AEs as n (%) by arm and overall, PK parameters by arm, every
measure's results, and a provenance block. A figure that needs the SDTM records
and was not given them says so instead of disappearing.
"""

from __future__ import annotations

import html
import json
from collections.abc import Mapping, Sequence
from typing import Any, Literal

from trialrules.outcomes import figures
from trialrules.outcomes.sdtm import StudyData
from trialrules.outcomes.tables import ae_table, pk_summary, result_rows

__all__ = ["render"]

_TTE = ("pfs", "os", "dor", "efs")
_AE = ("ae", "sae", "dlt")


def render(
    document: Mapping[str, Any],
    fmt: Literal["json", "text", "html"],
    study: StudyData | None = None,
    provenance: Mapping[str, Any] | None = None,
) -> str:
    """
    Render an outcomes document.

    Args:
        document: ``{"trial": ..., "measures": [...]}`` from
            :func:`trialrules.outcomes.measures.run_measures`.
        fmt: ``"json"``, ``"text"`` or ``"html"``.
        study: The study data, for the figures that need raw records
            (waterfall/swimmer, concentration–time) and for arms without events.
        provenance: From :func:`trialrules.outcomes.tables.provenance` (versions,
            data folder, file checksums, run date); shown in text and HTML.

    Returns:
        The rendered document.
    """
    if fmt == "json":
        return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    if fmt == "text":
        return _text(document, study, provenance)
    if fmt == "html":
        return _html(document, study, provenance)
    raise ValueError(f"unknown format {fmt!r}; use json, text or html")


def _arms(document: Mapping[str, Any], study: StudyData | None) -> tuple[list[str], dict[str, int]]:
    """Arms in DM order (then as the results name them) and treated subjects per arm."""
    arms: list[str] = list(study.arms()) if study is not None else []
    sizes: dict[str, int] = {}
    if study is not None:
        arm_of = study.arm_of()
        for u in study.treated():
            sizes[arm_of.get(u, "")] = sizes.get(arm_of.get(u, ""), 0) + 1
    for m in document.get("measures", []):
        for r in m.get("results", []):
            arm = r.get("group", {}).get("arm")
            if arm and arm != "all" and arm not in arms:
                arms.append(arm)
    return arms, sizes


def _tables(m: Mapping[str, Any], arms: Sequence[str], sizes: Mapping[str, int]) -> list[tuple[str, tuple[list[str], list[list[str]]]]]:
    """(title, table) pairs for one measure: the summary table first, then all results."""
    mid = str(m.get("id"))
    out = []
    skip: frozenset[str] = frozenset()
    if mid in _AE or any(str(r.get("parameter", "")).startswith("pt:") for r in m.get("results", [])):
        table = ae_table(m, arms, sizes)
        if table:
            out.append(("Subjects with events, n (%), worst grade per subject", table))
    if any("subject" in r.get("group", {}) for r in m.get("results", [])) and mid == "pk":
        table = pk_summary(m)
        if table:
            out.append(("PK parameters by arm", table))
    if mid in _TTE:
        skip = frozenset({"n_at_risk_"})
    rows = result_rows(m, skip)
    if rows:
        out.append(("Results", rows))
    return out


# --------------------------------------------------------------------------
# text


def _text_table(header: list[str], rows: list[list[str]]) -> list[str]:
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(header)]
    out = ["   " + "  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)).rstrip()]
    out.append("   " + "  ".join("-" * w for w in widths))
    out.extend(("   " + "  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True))).rstrip() for r in rows)
    return out


def _text(document: Mapping[str, Any], study: StudyData | None, provenance: Mapping[str, Any] | None) -> str:
    arms, sizes = _arms(document, study)
    out = [f"Outcomes for trial {document.get('trial', '')}", ""]
    for m in document.get("measures", []):
        out.append(f"== {m.get('id')}: {m.get('title', '')}")
        if m.get("time_frame"):
            out.append(f"   time frame: {m['time_frame']}")
        if m.get("note"):
            out.append(f"   note: {m['note']}")
        for title, (header, rows) in _tables(m, arms, sizes):
            if title != "Results":
                out.append(f"   {title}")
            out.extend(_text_table(header, rows))
            out.append("")
        out.append("")
    out.append("NR = not reached / not estimable. CIs: exact Clopper–Pearson for rates, log-log for KM medians.")
    if provenance:
        out.append("")
        out.extend(f"{k}: {v}" for k, v in _provenance_lines(provenance))
    return "\n".join(out) + "\n"


def _provenance_lines(p: Mapping[str, Any]) -> list[tuple[str, str]]:
    lines = []
    for key, label in (("trial", "trial"), ("plugin", "plugin"), ("trialrules", "trialrules"), ("data", "data folder"),
                       ("run", "run")):
        if p.get(key):
            lines.append((label, str(p[key])))
    for f in p.get("files", []):
        lines.append((f"  {f['file']}", f"{f['bytes']} bytes, sha256 {f['sha256']}"))
    return lines


# --------------------------------------------------------------------------
# HTML


_CSS = """
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans",sans-serif;margin:24px 32px;color:#1d2430;max-width:1200px}
h1{font-size:22px;margin:0 0 4px} h2{font-size:17px;border-bottom:1px solid #d5dae1;padding-bottom:4px;margin-top:32px}
h3{font-size:13px;text-transform:uppercase;letter-spacing:.04em;color:#4a5568;margin:14px 0 4px}
table{border-collapse:collapse;margin:.4em 0 1.2em;font-size:13px}
th,td{border:1px solid #d5dae1;padding:3px 9px;text-align:left;vertical-align:top}
th{background:#f1f3f6;font-weight:600} th.num{text-align:right} td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
.note{color:#7a4100;background:#fff4e0;padding:4px 8px;display:inline-block;border-radius:4px}
figure{margin:12px 0 18px} figcaption{font-size:12.5px;color:#4a5568;max-width:900px}
.prov td{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:12px}
.meta{color:#4a5568}
"""


def _e(s: object) -> str:
    return html.escape(str(s), quote=True)


_NUMERIC = frozenset({"n", "Estimate", "95% CI", "Geometric mean", "Geo. CV%", "Median", "Min – max"})


def _html_table(header: list[str], rows: list[list[str]]) -> str:
    numeric = [h in _NUMERIC or "(N=" in h for h in header]
    head = "".join(f'<th class="num">{_e(h)}</th>' if num else f"<th>{_e(h)}</th>" for h, num in zip(header, numeric, strict=True))
    body = "".join(
        "<tr>" + "".join(f'<td class="num">{_e(c)}</td>' if num else f"<td>{_e(c)}</td>"
                         for c, num in zip(r, numeric, strict=True)) + "</tr>"
        for r in rows
    )
    table = f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
    if len(rows) > 30:  # long listings (one row per subject) fold under the summary
        return f"<details><summary>All {len(rows)} results</summary>{table}</details>"
    return table


def _figures_for(m: Mapping[str, Any], study: StudyData | None, colours: Mapping[str, str]) -> list[str]:
    mid = str(m.get("id"))
    out: list[str] = []
    if mid in _TTE or any(r.get("records") for r in m.get("results", [])):
        fig = figures.km(m, colours)
        if fig:
            out.append(fig)
    if mid in ("orr", "dcr") and m.get("results"):
        if study is None:
            out.append('<p class="note">Waterfall / swimmer plot not drawn: it needs the SDTM records '
                       "(render(document, \"html\", study=read_study(folder))).</p>")
        elif mid == "orr":
            criteria = str(m["results"][0].get("criteria", "recist"))
            fig = figures.waterfall(study, figures.best_responses(study, criteria)) or figures.swimmer(study, colours)
            if fig:
                out.append(fig)
    if mid == "pk" and m.get("results"):
        if study is None:
            out.append('<p class="note">Concentration–time plot not drawn: it needs the SDTM PC records.</p>')
        else:
            out.extend(figures.conc_time(study, colours))
    return out


def _html(document: Mapping[str, Any], study: StudyData | None, provenance: Mapping[str, Any] | None) -> str:
    trial = _e(document.get("trial", ""))
    arms, sizes = _arms(document, study)
    colours = figures.arm_colours(arms)
    meta = ""
    if provenance:
        meta = (f'<div class="meta">{_e(provenance.get("trial", ""))} · data {_e(provenance.get("data", ""))} · '
                f'run {_e(provenance.get("run", ""))} · trialrules {_e(provenance.get("trialrules", ""))}</div>')
    parts = [f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Outcomes: {trial}</title>'
             f"<style>{_CSS}</style></head><body><h1>Outcomes: {trial}</h1>{meta}"]
    for m in document.get("measures", []):
        parts.append(f'<section id="{_e(m.get("id"))}"><h2>{_e(m.get("title") or m.get("id"))}</h2>')
        if m.get("time_frame"):
            parts.append(f"<p>Time frame: {_e(m['time_frame'])}</p>")
        if m.get("note"):
            parts.append(f'<p class="note">{_e(m["note"])}</p>')
        parts.extend(_figures_for(m, study, colours))
        for title, (header, rows) in _tables(m, arms, sizes):
            if title != "Results":
                parts.append(f"<h3>{_e(title)}</h3>")
            parts.append(_html_table(header, rows))
        parts.append("</section>")
    parts.append("<footer><p>NR = not reached / not estimable. Rates: exact Clopper–Pearson 95% CI. "
                 "Kaplan–Meier medians: log-log 95% CI (Brookmeyer–Crowley). Months = days / 30.4375.</p>")
    if provenance:
        listing = "".join(f"<tr><th>{_e(k)}</th><td>{_e(v)}</td></tr>" for k, v in _provenance_lines(provenance))
        parts.append(f'<h2>Provenance</h2><table class="prov">{listing}</table>')
    parts.append("</footer></body></html>\n")
    return "".join(parts)
