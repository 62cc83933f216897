"""
trialrules: clinical-trial protocols as executable, tested rules.

Public API: ``Engine``, ``read_patients``, the model classes, ``hookimpl`` for
plugins, and the errors. Everything else is private.
"""

from __future__ import annotations

from typing import Any

from trialrules.api import Engine, read_patients
from trialrules.errors import (
    InputError,
    PluginError,
    RuleFileError,
    TrialRulesError,
    UnitError,
    UnknownTrialError,
)
from trialrules.functions import DerivedValue, FunctionContext, last_day_applies
from trialrules.language.models import (
    Coding,
    CriterionResult,
    Evidence,
    InputFailure,
    PatientRecord,
    Quantity,
    Trial,
)
from trialrules.plugin import hookimpl
from trialrules.results import ScreeningResult

__all__ = [
    "Coding",
    "CriterionResult",
    "DerivedValue",
    "Engine",
    "Evidence",
    "FunctionContext",
    "InputError",
    "InputFailure",
    "PatientRecord",
    "PluginError",
    "Quantity",
    "RuleFileError",
    "ScreeningResult",
    "Trial",
    "TrialRulesError",
    "UnitError",
    "UnknownTrialError",
    "hookimpl",
    "last_day_applies",
    "read_patients",
]


def __getattr__(name: str) -> Any:
    if name == "__version__":
        from importlib.metadata import version

        return version("trialrules")
    raise AttributeError(f"module 'trialrules' has no attribute {name!r}")
