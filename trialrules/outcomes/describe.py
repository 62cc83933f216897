"""
Words for a measure's definition, window and conventions, as ``show`` prints them.

One home for the text: the computations' conventions in brief, the window from
:mod:`trialrules.outcomes.windows`, and the parameters the plugin set.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from trialrules.outcomes.windows import Window, measure_window

__all__ = ["CONVENTIONS", "measure_lines"]

_RESPONSE = (
    "best overall response from the first dose up to the first PD; one evaluator (RSEVAL, INVESTIGATOR "
    "unless 'evaluator' says otherwise); assessments after a new anti-cancer therapy do not count; "
    "exact Clopper–Pearson 95% CI"
)
_TTE = (
    "Kaplan–Meier median in months (days/30.4375, days = end − start + 1) with a log-log 95% CI "
    "(median_rule 'r-exact' reproduces R's quantile.survfit step by step); start = first dose"
)

#: What each computation does, in one sentence (details in its module's docstring).
CONVENTIONS: dict[str, str] = {
    "ae": "treatment-emergent AEs (start on/after the first dose; a missing start counts), treatment-related unless "
          "related_only is false; subjects counted once at their worst CTCAE grade",
    "sae": "as ae, serious AEs (AESER = Y) only",
    "dlt": "AEDLT flag when the data carry it, else the stated default: related AE of CTCAE grade ≥ 3; AE start on/after "
           "the first dose and inside the window",
    "orr": "responders / treated; " + _RESPONSE,
    "dcr": "responders + SD (≥ 42 days after the first dose) / treated; " + _RESPONSE,
    "dor": "confirmed responders, from the first response to PD or death; " + _TTE,
    "pfs": "PD or death, censored at the last adequate assessment; " + _TTE,
    "efs": "first of the event responses or death; " + _TTE,
    "os": "death, censored at the last complete date known alive (a partial death date is imputed, never before it); "
          + _TTE,
    "mrd": "MRD-negative rate (LBSTRESC negative or LBSTRESN below the threshold), Clopper–Pearson CI",
    "cytokines": "value, change and fold change from baseline (last value on/before the first dose) per visit, and peak",
    "immune_cells": "absolute counts and change from baseline per visit",
    "ada": "treatment-emergent ADA incidence (induced + boosted ≥ 0.60 log10 titre), titres by visit, nAb status",
    "pk": "NCA per subject × analyte × specimen: C0 as PKNCA, AUC lin-up/log-down unless auc_method says linear, "
          "λz best fit (adjusted R² within 1e-4, then most points)",
    "escalation": "DLT counts per dose level; 3+3 (R escalation) and BOIN (Liu & Yuan 2015) next dose, MTD and "
                  "BOIN's boundary table",
}
_DEFAULT_WINDOWS = {"dlt": Window("first_dose", days=28)}
_HIDDEN = {"window", "days_after_first_dose", "days_after_last_dose", "window_days_after_last_dose", "window_days",
           "trial_arms"}


def measure_lines(computation: str, parameters: Mapping[str, Any]) -> list[str]:
    """
    Lines describing a measure: definition, window, conventions and parameters.

    Args:
        computation: The computation name.
        parameters: The measure's parameters.

    Returns:
        Lines without indentation.
    """
    lines = []
    if computation in CONVENTIONS:
        lines.append(f"computed as: {CONVENTIONS[computation]}")
    try:
        default = _DEFAULT_WINDOWS.get(computation)
        if computation == "dlt" and parameters.get("window_days") is not None:
            default = Window("first_dose", days=int(parameters["window_days"]))
        window = measure_window(parameters, default)
    except ValueError as exc:
        lines.append(f"window: invalid ({exc})")
    else:
        if window is not None:
            lines.append(f"window: {window.describe()}")
        elif computation == "pk" and parameters.get("window_hours"):
            lo, hi = parameters["window_hours"]
            lines.append(f"window: {lo}–{hi} h after the first dose")
        else:
            lines.append("window: none declared (every record on/after the first dose)")
    shown = {k: v for k, v in parameters.items() if k not in _HIDDEN}
    if shown:
        lines.append("parameters: " + "; ".join(f"{k}: {v}" for k, v in shown.items()))
    return lines
