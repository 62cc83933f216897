"""
Text for people: a trial's criteria, arms and outcomes, and screening results.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

from trialrules.models import Arm, Criterion, CriterionResult, ScreeningResult, Trial
from trialrules.outcomes.describe import measure_lines

_MARK = {"met": "✓", "not_met": "✗", "unknown": "?"}


def _wrap(text: str, indent: str, width: int = 100) -> str:
    return textwrap.fill(" ".join(text.split()), width=width, initial_indent=indent, subsequent_indent=indent)


def _criterion(c: Criterion, depth: int) -> list[str]:
    pad = "  " * depth
    who = {"data": "decided from data", "person": "decided by a person (attestation)",
           "data_and_person": "data and a person's attestation"}[c.decided_by]
    lines = [f"{pad}- {c.id}  [{who}]" + (f"  ({c.reference})" if c.reference else "")]
    lines.append(_wrap(c.text, pad + "    "))
    if c.note:
        lines.append(_wrap("Note: " + c.note, pad + "    "))
    for child in c.criteria:
        lines.extend(_criterion(child, depth + 1))
    return lines


def _arm(arm: Arm) -> list[str]:
    from trialrules.arms import describe_arm

    lines = [f"- {arm.id}: {arm.title}"]
    lines.extend(_wrap(line, "    ") for line in describe_arm(arm))
    if arm.note:
        lines.append(_wrap("Note: " + arm.note, "    "))
    return lines


def render_trial(trial: Trial) -> str:
    """The criteria tree, arms and outcomes of a trial, readable in a terminal."""
    out = [f"{trial.label}  {trial.title}"]
    if trial.aliases:
        out.append(f"aliases: {', '.join(trial.aliases)}")
    if trial.protocol:
        out.append("protocol: " + "; ".join(f"{k}: {v}" for k, v in trial.protocol.items() if v))
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
            out.extend(_criterion(c, 1))
    out.append(f"\nArms ({len(trial.arms)})")
    for arm in trial.arms:
        out.extend("  " + line for line in _arm(arm))
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


def _result_lines(r: CriterionResult, depth: int) -> list[str]:
    pad = "  " * depth
    lines = [f"{pad}{_MARK[r.result]} {r.id} ({r.kind}): {r.result}"]
    lines.append(_wrap(r.reason, pad + "    "))
    for child in r.criteria:
        lines.extend(_result_lines(child, depth + 1))
    return lines


def render_result(result: ScreeningResult) -> str:
    """One screening result for a coordinator: verdict, then every criterion."""
    verdict = result.verdict.replace("_", " ").upper()
    out = [f"Patient {result.patient} — {result.trial} as of {result.as_of.isoformat()}: {verdict}"]
    todo = result.unknown_criteria()
    if todo:
        out.append(f"  to review: {', '.join(c.id for c in todo)}")
    for r in result.criteria:
        out.extend(_result_lines(r, 1))
    return "\n".join(out) + "\n\n"
