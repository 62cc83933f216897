"""Hook implementations of the JK500 (NCT05519384) plugin; nothing else lives here."""

from __future__ import annotations

from pathlib import Path

from trialrules import hookimpl
from trialrules_jk500 import functions


@hookimpl
def trialrules_register_trials(registry):
    registry.add_trial(Path(__file__).parent / "rules")


@hookimpl
def trialrules_register_functions(registry):
    registry.add_function(
        "jk500_relapsed_refractory",
        functions.relapsed_refractory,
        description="relapsed/refractory AML (1 = yes, 0 = no)",
        sql=functions.relapsed_refractory_sql,
    )
