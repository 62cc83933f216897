"""
Hook implementations for the CNK-UT trial (NCT06751134).

Registers the rule files under ``rules/`` and the derived values in
:mod:`trialrules_cnk_ut.functions`; arms are data (rules/arms.yaml), planned by the core.
"""

from pathlib import Path

from trialrules import hookimpl
from trialrules_cnk_ut import functions


@hookimpl
def trialrules_register_trials(registry):
    """Register the CNK-UT rules directory."""
    registry.add_trial(Path(__file__).parent / "rules")


@hookimpl
def trialrules_register_functions(registry):
    """Register the CNK-UT derived values (:mod:`trialrules_cnk_ut.functions`)."""
    registry.add_function(
        "cnk_ut_infection_test",
        functions.infection_test,
        description="latest screening test (1 = positive, 0 = negative or none on record)",
        sql=functions.infection_test_sql,
    )
    registry.add_function(
        "cnk_ut_gene_therapy_recorded",
        functions.gene_therapy_recorded,
        description="gene therapy product on record (1 = yes, 0 = none recognised)",
        sql=functions.gene_therapy_recorded_sql,
    )
