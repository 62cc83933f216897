"""
The HTML view of screening results: one self-contained page (inline CSS, no
JavaScript, no external resources) that an EHR can embed or a browser print.

Each result opens with the verdict and what it rests on, like the text view;
the full criteria tree follows in ``<details>`` elements with the protocol's
words, the reason and the evidence (resource id, value, unit, date).
"""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from trialrules.language.models import CriterionResult, Evidence, InputFailure
from trialrules.views.todo import Mark, TodoItem, blocking, mark, set_aside_sentence, todo

if TYPE_CHECKING:  # annotations only: results.py calls the views, not the other way round
    from trialrules.results import ScreeningResult

_VERDICT = {"eligible": "Eligible", "ineligible": "Ineligible", "needs_review": "Needs review"}
_SYMBOL: dict[Mark, str] = {"favourable": "✓", "unfavourable": "✗", "unknown": "?"}
_MARK_WORD: dict[Mark, str] = {"favourable": "favourable", "unfavourable": "against the patient", "unknown": "unknown"}

_CSS = """
.trv{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans",sans-serif;color:#1d2430;max-width:1100px}
.trv h1{font-size:20px;margin:0 0 4px}
.trv h2{font-size:17px;margin:0;display:flex;gap:10px;align-items:center;flex-wrap:wrap}
.trv h3{font-size:14px;margin:14px 0 6px;text-transform:uppercase;letter-spacing:.04em;color:#4a5568}
.trv .meta{color:#4a5568;font-size:13px}
.trv .counts{display:flex;gap:8px;flex-wrap:wrap;margin:8px 0 16px}
.trv .chip{border-radius:12px;padding:2px 10px;font-size:13px;font-weight:600;border:1px solid transparent}
.trv .v-eligible{background:#e3f4e8;color:#14532d;border-color:#9fd5b0}
.trv .v-ineligible{background:#fbe4e4;color:#7f1d1d;border-color:#efa9a9}
.trv .v-needs_review{background:#fdf3d7;color:#713f12;border-color:#ecd08a}
.trv .v-errors{background:#ececec;color:#333;border-color:#ccc}
.trv section.result{border:1px solid #d5dae1;border-radius:8px;padding:14px 16px;margin:0 0 18px;background:#fff}
.trv section.result.r-ineligible{border-left:6px solid #c53030}
.trv section.result.r-eligible{border-left:6px solid #2f855a}
.trv section.result.r-needs_review{border-left:6px solid #b7791f}
.trv .reason{margin:2px 0}
.trv .card.aside{background:#fff8e6;border-color:#ecd08a;color:#713f12}
.trv blockquote{margin:4px 0;padding:2px 10px;border-left:3px solid #cbd2d9;color:#2d3748;font-style:italic}
.trv .cid{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12.5px}
.trv .card{border:1px solid #e2e6ea;border-radius:6px;padding:8px 10px;margin:6px 0;background:#fcfcfd}
.trv .todo{display:grid;grid-template-columns:1fr 1fr;gap:14px}
.trv .todo ul{margin:0;padding-left:18px}
.trv .todo li{margin:0 0 6px}
.trv .window{color:#4a5568}
.trv table.ev{border-collapse:collapse;margin:4px 0 2px;font-size:12.5px}
.trv table.ev th,.trv table.ev td{border:1px solid #e2e6ea;padding:2px 8px;text-align:left;vertical-align:top}
.trv table.ev th{background:#f4f6f8;font-weight:600}
.trv details{margin:2px 0}
.trv details>summary{cursor:pointer}
.trv ul.tree{list-style:none;padding-left:0;margin:6px 0}
.trv ul.tree ul.tree{padding-left:22px;border-left:1px dashed #d5dae1;margin-left:7px}
.trv ul.tree li{margin:4px 0}
.trv .mk{display:inline-block;width:1.25em;text-align:center;font-weight:700;border-radius:3px;margin-right:4px}
.trv .m-favourable{color:#fff;background:#2f855a}
.trv .m-unfavourable{color:#fff;background:#c53030}
.trv .m-unknown{color:#1d2430;background:#f6c453}
.trv .legend{font-size:12.5px;color:#4a5568;margin:4px 0 8px}
.trv .words{color:#2d3748}
.trv .sub{color:#4a5568;font-size:13px}
.trv .failures li{color:#7f1d1d}
@media (max-width:700px){.trv .todo{grid-template-columns:1fr}}
"""


def _e(value: Any) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def _chips(results: Sequence[ScreeningResult], errors: int) -> str:
    n = {"eligible": 0, "ineligible": 0, "needs_review": 0}
    for r in results:
        n[r.verdict] += 1
    chips = [
        f'<span class="chip v-eligible">{n["eligible"]} eligible</span>',
        f'<span class="chip v-ineligible">{n["ineligible"]} ineligible</span>',
        f'<span class="chip v-needs_review">{n["needs_review"]} need review</span>',
        f'<span class="chip v-errors">{errors} input error{"" if errors == 1 else "s"}</span>',
    ]
    return '<div class="counts">' + "".join(chips) + "</div>"


def _legend() -> str:
    items = " ".join(f'<span class="mk m-{m}">{_SYMBOL[m]}</span>{_e(_MARK_WORD[m])}' for m in _SYMBOL)
    return f'<div class="legend">Marks: {items} (an exclusion that does not apply is favourable)</div>'


def _evidence(evidence: Sequence[Evidence]) -> str:
    if not evidence:
        return ""
    rows = "".join(
        f'<tr><td class="cid">{_e(e.resource or "—")}</td><td>{_e(_value(e))}</td>'
        f"<td>{_e(e.date.isoformat() if e.date else '—')}"
        f"{_e(' (dated by ' + e.dated_by + ')') if e.dated_by else ''}</td></tr>"
        for e in evidence
    )
    return f'<table class="ev"><tr><th>resource</th><th>value</th><th>date</th></tr>{rows}</table>'


def _value(e: Evidence) -> str:
    if e.value is None:
        return "—"
    value = f"{e.value:.6g}" if isinstance(e.value, float) else str(e.value)
    return f"{value} {e.unit}" if e.unit else value


def _blocking_card(c: CriterionResult) -> str:
    return (
        f'<div class="card"><div><span class="mk m-unfavourable">✗</span><span class="cid">{_e(c.id)}</span> '
        f'<span class="sub">({_e(c.kind)})</span></div><blockquote>{_e(c.text)}</blockquote>'
        f'<div class="reason">{_e(c.reason)}</div>{_evidence(c.evidence)}</div>'
    )


def _todo_item(item: TodoItem) -> str:
    if item.kind == "person":
        # not an attestation (a record set aside): what to decide, and why
        extra = "" if item.what.startswith("attestation ") else (
            f' <b>{_e(item.what)}</b><div class="sub">{_e(item.why)}</div>')
        return "".join(
            f'<li><span class="cid">{_e(cid)}</span>: <span class="words">{_e(text)}</span>{extra}</li>'
            for cid, text in zip(item.criteria, item.texts, strict=True)
        )
    window = f' <span class="window">{_e(item.window)}</span>' if item.window else ""
    used = ", ".join(f'<span class="cid">{_e(c)}</span>' for c in item.criteria)
    return (f"<li><b>{_e(item.what)}</b>{window}<div class=\"sub\">now: {_e(item.why)}</div>"
            f"<div class=\"sub\">for {used}</div></li>")


def _tree(c: CriterionResult, depth: int) -> str:
    m = mark(c)
    head = (
        f'<span class="mk m-{m}" title="{_e(_MARK_WORD[m])}">{_SYMBOL[m]}</span>'
        f'<span class="cid">{_e(c.id)}</span> <span class="sub">({_e(c.kind)}, {_e(_MARK_WORD[m])})</span> '
        f'<span class="words">{_e(c.text)}</span>'
    )
    body = f'<div class="reason sub">{_e(c.reason)}</div>{_evidence(c.evidence)}' if not c.criteria else ""
    if not c.criteria:
        return f"<li>{head}{body}</li>"
    children = "".join(_tree(k, depth + 1) for k in c.criteria)
    is_open = "" if m == "favourable" else " open"
    return f'<li><details{is_open}><summary>{head}</summary><ul class="tree">{children}</ul></details></li>'


def _result(r: ScreeningResult) -> str:
    out = [
        f'<section class="result r-{r.verdict}"><h2><span>Patient <span class="cid">{_e(r.patient)}</span></span>'
        f'<span class="meta">trial {_e(r.trial)} · as of {_e(r.as_of.isoformat())}</span>'
        f'<span class="chip v-{r.verdict}">{_VERDICT[r.verdict]}</span></h2>'
    ]
    aside = set_aside_sentence(r)
    if aside:
        out.append(f'<div class="card aside"><b>⚠</b> {_e(aside)}</div>')
    if r.verdict == "ineligible":
        cards = blocking(r)
        out.append(f"<h3>Excluded by {len(cards)} {'criterion' if len(cards) == 1 else 'criteria'}</h3>")
        out.extend(_blocking_card(c) for c in cards)
    elif r.verdict == "needs_review":
        items = todo(r)
        data = "".join(_todo_item(i) for i in items["data"]) or "<li>nothing</li>"
        person = "".join(_todo_item(i) for i in items["person"]) or "<li>nothing</li>"
        out.append(
            f'<div class="todo"><div><h3>Data to obtain ({len(items["data"])})</h3><ul>{data}</ul></div>'
            f'<div><h3>Needs a person ({sum(len(i.criteria) for i in items["person"])})</h3><ul>{person}</ul></div></div>'
        )
    else:
        out.append(f'<p class="reason">Every one of the {len(r.criteria)} criteria is favourable.</p>')
    marks = [mark(c) for c in r.criteria]
    counts = ", ".join(f"{marks.count(m)} {_MARK_WORD[m]}" for m in _SYMBOL)
    tree = "".join(_tree(c, 0) for c in r.criteria)
    out.append(
        f"<details><summary><b>All {len(r.criteria)} criteria</b> ({counts})</summary>{_legend()}"
        f'<ul class="tree">{tree}</ul></details></section>'
    )
    return "".join(out)


def render_fragment(
    results: Iterable[ScreeningResult], failures: Iterable[InputFailure] = (), *, heading: str = ""
) -> str:
    """The view as an HTML fragment (with its own ``<style>``), for notebooks and embedding."""
    results = list(results)
    failures = list(failures)
    parts = [f'<div class="trv"><style>{_CSS}</style>{heading}']
    if heading or len(results) + len(failures) > 1:
        parts.append(_chips(results, len(failures)))
    if failures:
        items = "".join(f"<li>{_e(f.error)}</li>" for f in failures)
        parts.append(f'<h3>Inputs that could not be read</h3><ul class="failures">{items}</ul>')
    parts.extend(_result(r) for r in results)
    parts.append("</div>")
    return "".join(parts)


def render_html(
    results: Iterable[ScreeningResult],
    failures: Iterable[InputFailure] = (),
    *,
    title: str = "Screening",
    generated: dt.datetime | None = None,
    version: str | None = None,
) -> str:
    """A self-contained HTML page of one or many screening results."""
    results = list(results)
    failures = list(failures)
    trials = sorted({r.trial for r in results})
    dates = sorted({r.as_of.isoformat() for r in results})
    patients = len({r.patient for r in results})
    when = (generated or dt.datetime.now(dt.UTC)).strftime("%Y-%m-%d %H:%M UTC")
    meta = (
        f"{patients} patient{'' if patients == 1 else 's'} · trial{'' if len(trials) == 1 else 's'} "
        f"{_e(', '.join(trials) or '—')} · as of {_e(', '.join(dates) or '—')} · generated {when}"
        + (f" by trialrules {_e(version)}" if version else "")
    )
    body = render_fragment(results, failures, heading=f'<h1>{_e(title)}</h1><div class="meta">{meta}</div>')
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{_e(title)}</title></head><body style=\"margin:24px;background:#f7f8fa\">{body}</body></html>\n"
    )
