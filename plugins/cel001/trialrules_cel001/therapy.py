"""
Derived values for the CEL001 rules that the rule language cannot express.

Trial: CEL001 injection in advanced solid tumours (ClinicalTrials.gov record, last
update posted 2025-12-02). ``cel001_lines_of_therapy`` reads the medication history
for the footnote "standard treatment failure" of inclusion criterion 3;
``cel001_serum_hcg_negative`` reads a serum pregnancy test reported either as a coded
or text result or as a number (inclusion criterion 8).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from trialrules import Coding, Evidence, Quantity
from trialrules.functions import DerivedValue, FunctionContext, every_reading, record_span
from trialrules.language import qualitative, units
from trialrules.language.statuses import MEDICATION_NOT_TAKEN

#: Drugs started within this many days of a line's first drug belong to that line.
REGIMEN_DAYS = 28
#: A gap longer than this without any systemic therapy starts a new line.
GAP_DAYS = 120

def _drug_key(med: Any, matcher: Any) -> str:
    # The drug itself, not its class: the name of the first specific (not class-prefix)
    # value-set entry any of its codings matches, so one ingredient coded in RxNorm, in
    # ATC or as a product is one drug; else the record's own first name or code.
    codings = (*med.codes, *med.ingredients)
    for c in codings:
        entry = matcher.entry_for(c)
        if entry is not None and not entry.prefix and entry.display:
            return str(entry.display).strip().lower()
    first = codings[0]
    return str(first.display or f"{first.system}|{first.code}").strip().lower()


def _is_antibody(key: str, med: Any) -> bool:
    """A monoclonal antibody: INN stem -mab, or ATC L01F (monoclonal antibodies and conjugates)."""
    names = [key, *((c.display or "").lower() for c in (*med.codes, *med.ingredients))]
    if any(n.split(" ")[0].split("-")[0].endswith("mab") for n in names if n):
        return True
    return any((c.system or "").rstrip("/").endswith("whocc.no/atc") and c.code.upper().startswith("L01F")
               for c in med.codes)


def _label(med: Any) -> str:
    for c in (*med.codes, *med.ingredients):
        if c.display:
            return str(c.display)
    return str((*med.codes, *med.ingredients)[0].code)


def lines_of_therapy(ctx: FunctionContext, args: Mapping[str, Any]) -> DerivedValue:
    """Distinct lines of systemic anticancer therapy started on or before the as-of date.

    A line is the set of drugs started within 28 days of its first drug. A later drug
    that is not part of the current regimen starts a new line, unless it is a monoclonal
    antibody added while the regimen still runs; any drug started after more than 120
    days without systemic therapy starts a new line. Drugs are told apart by the value-set
    entry they match, named where it has a name (RxNorm, ATC and products of one
    ingredient are one drug).

    A record whose days are not exact (a partial date, a finished course whose end is not
    given) is read at each end of its range; the count is given only when every reading
    gives the same count, else it is unknown and the reason names the records.
    """
    matcher = ctx.valueset(str(args.get("valueset", "systemic_anticancer_therapy")))
    ways: list[list[tuple[dt.date, dt.date, str, Any] | None]] = []
    undated = 0
    unread: list[Any] = []
    for med in ctx.patient.medications:
        if med.status in MEDICATION_NOT_TAKEN:
            continue
        match = matcher.assess(med.codes, med.ingredients)
        if match.entry is None:
            if match.cannot_judge and (med.start or med.end or ctx.as_of) <= ctx.as_of:
                unread.append(med)  # text only, or codes the set cannot judge: may be a line
            continue
        span = record_span(med, "medication", ctx.as_of)
        if span.first_lo is None or span.first_hi is None or span.last_lo is None or span.last_hi is None:
            undated += 1
            continue
        if span.first_lo > ctx.as_of:
            continue
        key = _drug_key(med, matcher)
        readings: dict[tuple[dt.date, dt.date, str, Any] | None, None] = {}
        for start in (span.first_lo, span.first_hi):
            for end in (span.last_lo, span.last_hi):
                # a reading that begins after the as-of date leaves the record out
                readings[(start, max(start, end), key, med) if start <= ctx.as_of else None] = None
        ways.append(list(readings))
    dated = [w[0] for w in ways if w[0] is not None]
    if not dated:
        why = "no dated systemic anticancer therapy in the medication history"
        if undated:
            why += f" ({undated} record(s) without dates)"
        return DerivedValue(None, reason=why + "; the history may be incomplete")
    counts = every_reading(ways, lambda choice: len(_lines([c for c in choice if c is not None])))
    if len(counts) != 1:
        uncertain = sorted({w[0][3].reference for w in ways if len(w) > 1 and w[0] is not None})
        shown = (f"{min(counts)} to {max(counts)} line(s)" if counts else "more readings than are tried")
        return DerivedValue(None, reason=f"{shown} of systemic therapy, by the days records whose dates are not exact "
                                         f"may mean (a partial date or an end the record does not give: "
                                         f"{', '.join(uncertain[:5])})")
    lines = _lines(dated)
    described = "; ".join(
        f"line {n} from {line[0][0].isoformat()}: " + ", ".join(sorted({_label(i[3]) for i in line}))
        for n, line in enumerate(lines, start=1)
    )
    evidence = tuple(
        Evidence(i[3].reference, _label(i[3]), None, i[0]) for line in lines for i in line
    )
    reason = f"{len(lines)} line(s) of systemic therapy ({described})"
    if undated:
        reason += f"; {undated} undated record(s) not counted"
    if unread:
        reason += "; at least that many: medication(s) that cannot be judged as systemic therapy: " + ", ".join(
            f"{m.text or m.id} ({m.reference})" for m in sorted(unread, key=lambda m: m.reference)[:3])
        evidence += tuple(Evidence(m.reference, m.text, None, m.start or m.end)
                          for m in sorted(unread, key=lambda m: m.reference))
    # undated or unjudgeable records may add lines: the count is then a lower bound
    return DerivedValue(len(lines), None, evidence, reason, comparator=">=" if undated or unread else None)


def _lines(dated: list[tuple[dt.date, dt.date, str, Any]]) -> list[list[tuple[dt.date, dt.date, str, Any]]]:
    """The lines of therapy of dated records (start, last day, drug, record)."""
    dated = sorted(dated, key=lambda t: (t[0], t[2]))
    groups: dict[dt.date, list[tuple[dt.date, dt.date, str, Any]]] = {}
    for item in dated:
        groups.setdefault(item[0], []).append(item)
    lines: list[list[tuple[dt.date, dt.date, str, Any]]] = []
    regimen: set[str] = set()
    line_start = last_end = dt.date.min
    for start, items in groups.items():  # drugs started the same day belong together
        keys = {i[2] for i in items}
        # An antibody added to a regimen that is still running (bevacizumab joining FOLFOX
        # in cycle 3) is the same line, not a second one.
        add_on = bool(lines) and last_end >= start and all(_is_antibody(i[2], i[3]) for i in items)
        new_line = (
            not lines
            or (start - last_end).days > GAP_DAYS
            or (start > line_start + dt.timedelta(days=REGIMEN_DAYS) and not keys <= regimen and not add_on)
        )
        if new_line:
            lines.append([])
            regimen = set()
            line_start = start
        lines[-1].extend(items)
        regimen |= keys
        last_end = max(last_end, *(i[1] for i in items))
    return lines


#: hCG results are compared in this unit; the core converts every UCUM form of it
#: (m[IU]/mL, [iU]/L, u[IU]/mL, ...).
_HCG_UNIT = "[IU]/L"


def _hcg_reading(obs: Any, cutoff: float) -> tuple[Any, str]:
    """One serum hCG as (1 negative / 0 positive, shown), or (None, why it cannot be read)."""
    value = obs.value
    if isinstance(value, Quantity):
        if not value.unit or not units.is_convertible(value.unit, _HCG_UNIT):
            return None, f"hCG in {value.unit!r} cannot be read"
        iu_l = units.convert(value.value, value.unit, _HCG_UNIT)
        bound = value.comparator
        # a bound (<5) decides only where every value it allows is on one side of the cut-off
        below = iu_l < cutoff if bound is None else (iu_l <= cutoff if bound == "<" else
                                                        iu_l < cutoff if bound == "<=" else False)
        above = iu_l >= cutoff if bound in (None, ">=", ">") else False
        if not below and not above:
            return None, f"hCG {bound}{iu_l:g} IU/L does not settle the cut-off {cutoff:g} IU/L"
        return (1 if below else 0), ""
    reading = qualitative.reading_of(value)
    if reading == "negative":
        return 1, ""
    if reading == "positive":
        return 0, ""
    return None, f"the result {value.display or value.code if isinstance(value, Coding) else value!r} " \
                 "is neither positive nor negative"


def serum_hcg_negative(ctx: FunctionContext, args: Mapping[str, Any]) -> DerivedValue:
    """1 when the newest serum hCG in the window is negative, 0 when positive.

    Coded or text results are read by the core vocabulary (trialrules.language.qualitative); a
    quantity is negative below ``cutoff`` IU/L (default 5). When the newest result is
    neither, the value is unknown: an older result never stands in (CONTRACT.md section 5).
    """
    concept = str(args.get("concept", "hcg_serum"))
    days = int(args.get("days", 7))
    cutoff = float(args.get("cutoff", 5))
    found = ctx.latest(concept, days, lambda obs: _hcg_reading(obs, cutoff))
    evidence = tuple(Evidence(o.reference, _shown(o.value), None, o.date) for o in found.results)
    if found.value is None:
        return DerivedValue(None, None, evidence, f"serum hCG: {found.reason}")
    word = "negative" if found.value else "positive"
    shown = "; ".join(f"{_shown(o.value)} on {o.date.isoformat() if o.date else o.effective}" for o in found.results)
    return DerivedValue(found.value, None, evidence, f"serum hCG {shown} is {word} (cut-off {cutoff:g} IU/L)")


def _shown(value: Any) -> str:
    if isinstance(value, Quantity):
        return f"{value.comparator or ''}{value.value:g} {value.unit or ''}".strip()
    if isinstance(value, Coding):
        return value.display or value.code
    return str(value)
