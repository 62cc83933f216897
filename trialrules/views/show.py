"""
``trialrules show``: a trial's protocol source, criteria (the protocol's words and
each rule in readable form), arms and outcome measures, for a terminal.

(The screening views are in ``trialrules.views``.)
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from trialrules.language.models import (
    AllOf,
    AnyOf,
    Arm,
    AtLeast,
    Attestation,
    Comparison,
    Const,
    Criterion,
    Derived,
    If,
    Measurement,
    Not,
    RecordSearch,
    Rule,
    Sex,
    Trial,
    ValueSet,
    Window,
)
from trialrules.outcomes.describe import measure_lines

_OPS = {">": ">", ">=": "≥", "<": "<", "<=": "≤", "==": "=", "!=": "≠"}
_SUPERSCRIPT = str.maketrans("0123456789-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻")
_RESULT_WORDS = {"met": "met", "not_met": "not met", "unknown": "unknown"}


def pretty_unit(code: str | None) -> str:
    """A UCUM code as people write it: ``10*9/L`` → ``×10⁹/L``, ``uL`` → ``µL``, ``{cells}`` → ``cells``."""
    if not code or code == "1":
        return ""
    text = re.sub(r"10\*(-?\d+)", lambda m: "×10" + m.group(1).translate(_SUPERSCRIPT), code)
    text = re.sub(r"(?<![A-Za-z])u(?=(g|L|mol|IU|\[IU\]))", "µ", text)
    text = re.sub(r"\{([^}]*)\}", r"\1", text)
    return text.replace("[IU]", "IU").replace("[", "").replace("]", "")


def _number(v: float | None) -> str:
    if v is None:
        return "?"
    return f"{v:g}" if abs(v) < 1e6 else f"{v:.3g}".replace("e+0", "e").replace("e+", "e")


def _window(w: Window | None, use: str = "latest") -> str:
    lead = {"latest": "latest", "any": "any result", "all": "every result"}.get(use, use)
    if w is None:
        return f"{lead} on record"
    for unit in ("days", "weeks", "months", "years"):
        n = getattr(w, unit)
        if n is not None:
            text = f"{lead} within {n} {unit if n != 1 else unit[:-1]}"
            if w.half_lives:
                text += f" or {w.half_lives:g} half-lives, whichever is shorter"
            return text
    return f"{lead} on record"


def _comparison(c: Comparison) -> str:
    if c.op is not None:
        op = _OPS.get(c.op, c.op)
        if c.uln is not None:
            return f"{op} {_number(c.uln)} × ULN"
        if c.lln is not None:
            return f"{op} {_number(c.lln)} × LLN"
        unit = pretty_unit(c.unit)
        return f"{op} {_number(c.value)}" + (f" {unit}" if unit else "")
    if c.result_in:
        return "result in " + " or ".join(c.result_in)
    if c.text_in:
        return "result reads " + " or ".join(repr(t) for t in c.text_in)
    if c.equals is not None:
        return "is " + ("yes" if c.equals else "no")
    return ""


class RuleText:
    """Renders rule trees in words, with value-set titles and function descriptions.

    Args:
        valuesets: name → ValueSet (the trial's and the shared ones).
        functions: name → a function spec with a ``description``.
    """

    def __init__(self, valuesets: Mapping[str, ValueSet] | None = None, functions: Mapping[str, Any] | None = None) -> None:
        self.valuesets = valuesets or {}
        self.functions = functions or {}

    def title(self, name: str) -> str:
        vs = self.valuesets.get(name)
        return vs.title if vs is not None and vs.title else name.replace("_", " ")

    def lines(self, rule: Rule, indent: str = "") -> list[str]:
        """The rule as lines: one per leaf, nested groups indented under their connective."""
        if isinstance(rule, (AllOf, AnyOf)):
            word = "all of" if isinstance(rule, AllOf) else "any of"
            return [f"{indent}{word}:"] + [line for part in rule.parts for line in self.lines(part, indent + "  ")]
        if isinstance(rule, AtLeast):
            return [f"{indent}at least {rule.n} of:"] + [line for part in rule.of for line in self.lines(part, indent + "  ")]
        if isinstance(rule, Not):
            inner = self.lines(rule.part, indent + "  ")
            if len(inner) == 1:
                return [f"{indent}not: {inner[0].strip()}"]
            return [f"{indent}not:"] + inner
        if isinstance(rule, If):
            return ([f"{indent}if:"] + self.lines(rule.condition, indent + "  ")
                    + [f"{indent}then:"] + self.lines(rule.then, indent + "  ")
                    + [f"{indent}else:"] + self.lines(rule.else_, indent + "  "))
        return [indent + self.leaf(rule)]

    def leaf(self, rule: Rule) -> str:
        """One leaf in words: ``absolute neutrophil count ≥ 1.5 ×10⁹/L, latest within 7 days``."""
        if isinstance(rule, Measurement):
            return f"{self.title(rule.concept)} {_comparison(rule.comparison)}, {_window(rule.window, rule.use)}"
        if isinstance(rule, Derived):
            spec = self.functions.get(rule.function)
            label = getattr(spec, "description", None) or rule.function.replace("_", " ")
            args = ", ".join(f"{k} {v}" for k, v in rule.args.items())
            return f"{label} {_comparison(rule.comparison)}" + (f" ({args})" if args else "")
        if isinstance(rule, RecordSearch):
            what = " or ".join(self.title(n) for n in rule.valuesets)
            text = f"{rule.record} record of {what}"
            if rule.exclude:
                text += " (not " + " or ".join(self.title(n) for n in rule.exclude) + ")"
            if rule.status == "active":
                text += ", active"
            if rule.window is not None:
                text += ", " + _window(rule.window, "any").replace("any result within", "within")
            if rule.min_count > 1:
                text += f", at least {rule.min_count} records"
            return text + f"; none recorded: {_RESULT_WORDS[rule.if_absent]}"
        if isinstance(rule, Attestation):
            return "a person attests it" + (f" (attestation {rule.id})" if rule.id else "")
        if isinstance(rule, Sex):
            return f"sex is {rule.sex}"
        if isinstance(rule, Const):
            return f"{_RESULT_WORDS[rule.result]}" + (f": {rule.reason}" if rule.reason else "")
        return type(rule).__name__


def protocol_line(trial: Trial) -> str | None:
    """The protocol source as registry, registry id, title and version (never a file path)."""
    p = dict(trial.protocol or {})
    source = p.pop("source", None)
    if isinstance(source, Mapping):  # an older layout: the record nested under source
        p = {**source, **p}
    elif source and not re.search(r"[/\\]|\.(txt|pdf)$", str(source)):
        p.setdefault("title", str(source))
    record = " ".join(str(p[k]) for k in ("registry", "registry_id") if p.get(k))
    parts = [record] if record else []
    if p.get("title") and p["title"] != trial.title:
        parts.append(str(p["title"]))
    for key in ("url", "version"):
        if p.get(key) and str(p[key]) not in parts:
            parts.append(str(p[key]))
    return " — ".join(parts) or None


def _wrap(text: str, indent: str, width: int = 100, first: str | None = None) -> str:
    return textwrap.fill(" ".join(text.split()), width=width, initial_indent=indent if first is None else first,
                         subsequent_indent=indent, break_on_hyphens=False)


def _criterion(c: Criterion, depth: int, rules: RuleText) -> list[str]:
    pad = "  " * depth
    who = {"data": "decided from data", "person": "decided by a person (attestation)",
           "data_and_person": "data and a person's attestation"}[c.decided_by]
    lines = [_wrap(f"- {c.id}  [{who}]" + (f"  ({c.reference})" if c.reference else ""), pad + "    ", first=pad)]
    lines.append(_wrap(c.text, pad + "    "))
    if c.rule is not None:
        rule_lines = rules.lines(c.rule)
        if len(rule_lines) == 1:
            lines.append(_wrap("Rule: " + rule_lines[0].strip(), pad + "      ", first=pad + "    "))
        else:
            lines.append(pad + "    Rule:")
        if len(rule_lines) > 1:
            for line in rule_lines:
                depth_pad = pad + "      " + " " * (len(line) - len(line.lstrip()))
                lines.append(_wrap(line.strip(), depth_pad + "  ", first=depth_pad))
    if c.note:
        lines.append(_wrap("Note: " + c.note, pad + "    "))
    for child in c.criteria:
        lines.extend(_criterion(child, depth + 1, rules))
    return lines


def _arm(arm: Arm) -> list[str]:
    from trialrules.arms import describe_arm

    lines = [f"- {arm.id}: {arm.title}"]
    lines.extend(_wrap(line, "    ", width=98) for line in describe_arm(arm))  # printed indented by 2
    if arm.note:
        lines.append(_wrap("Note: " + arm.note, "    ", width=98))
    return lines


def render_trial(trial: Trial, valuesets: Mapping[str, ValueSet] | None = None, functions: Mapping[str, Any] | None = None) -> str:
    """The criteria tree (with each rule in words), arms and outcomes of a trial, readable in a terminal."""
    rules = RuleText(valuesets if valuesets is not None else {v.name: v for v in trial.valuesets}, functions)
    out = [_wrap(f"{trial.label}  {trial.title}", "    ", first="")]
    if trial.aliases:
        out.append(f"aliases: {', '.join(trial.aliases)}")
    protocol = protocol_line(trial)
    if protocol:
        out.append(_wrap("protocol: " + protocol, "    ", first=""))
    if trial.rules_dir and (Path(trial.rules_dir) / "protocol.txt").is_file():
        out.append(f"protocol text: {Path(trial.rules_dir) / 'protocol.txt'}")
    if trial.plugin:
        out.append(f"plugin: {trial.plugin}")
    for note in trial.notes:
        out.append(_wrap("Note: " + note, ""))
    for kind in ("inclusion", "exclusion"):
        crits = [c for c in trial.criteria if c.kind == kind]
        out.append(f"\n{kind.capitalize()} criteria ({len(crits)})")
        for c in crits:
            out.extend(_criterion(c, 1, rules))
    out.append(f"\nArms ({len(trial.arms)})")
    for arm in trial.arms:
        out.extend("  " + line for block in _arm(arm) for line in block.splitlines())
    if trial.escalation:
        from trialrules.arms import describe_escalation

        out.append(_wrap("Dose escalation: " + describe_escalation(trial.escalation), "  "))
        if trial.escalation.review:
            out.append(_wrap("Review: " + trial.escalation.review, "    "))
    for note in trial.arm_notes:
        out.append(_wrap("Note: " + note, "  "))
    out.append(f"\nOutcome measures ({len(trial.outcomes)})")
    for o in trial.outcomes:
        out.append(f"  - {o.id} [{o.kind}] {o.title}")
        out.append(f"      time frame: {o.time_frame}")
        if o.description:
            out.append(_wrap(o.description, "      "))
        for line in measure_lines(o.computation or o.id, o.parameters):
            out.append(_wrap(line, "      "))
    for note in trial.outcome_notes:
        out.append(_wrap("Note: " + note, "  "))
    return "\n".join(out) + "\n"
