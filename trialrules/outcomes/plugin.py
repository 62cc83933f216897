"""Registers the outcome library's computations through the plugin hook."""

from __future__ import annotations

from trialrules.language.registry import Registry
from trialrules.outcomes.measures import COMPUTATIONS
from trialrules.plugin import hookimpl


@hookimpl
def trialrules_register_outcome_computations(registry: Registry) -> None:
    for name, fn in COMPUTATIONS.items():
        registry.add_outcome_computation(name, fn)
