"""
Hook implementations for the nk-gd2 trial.

Registers the rule files under ``rules/`` (arms are data,
planned by the core).
"""

from pathlib import Path

from trialrules import hookimpl


@hookimpl
def trialrules_register_trials(registry):
    """Register the nk-gd2 rules directory."""
    registry.add_trial(Path(__file__).parent / "rules")
