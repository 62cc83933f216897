"""
Hook implementations for the CNK-UT trial (NCT06751134).

Registers the rule files under ``rules/``; arms are data (rules/arms.yaml), planned by the core.
"""

from pathlib import Path

from trialrules import hookimpl


@hookimpl
def trialrules_register_trials(registry):
    """Register the CNK-UT rules directory."""
    registry.add_trial(Path(__file__).parent / "rules")
