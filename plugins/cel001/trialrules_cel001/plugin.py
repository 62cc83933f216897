"""
Hook implementations of the CEL001 trial plugin (CEL001 injection, NK cells, in
advanced solid tumours; ClinicalTrials.gov record, last update posted 2025-12-02).
"""

from __future__ import annotations

from pathlib import Path

from trialrules import hookimpl
from trialrules_cel001 import serology, therapy


@hookimpl
def trialrules_register_trials(registry):
    registry.add_trial(Path(__file__).parent / "rules")


@hookimpl
def trialrules_register_functions(registry):
    registry.add_function(
        "cel001_lines_of_therapy",
        therapy.lines_of_therapy,
        description="lines of systemic anticancer therapy",
        sql=therapy.lines_of_therapy_sql,
    )
    registry.add_function(
        "cel001_serum_hcg_negative",
        therapy.serum_hcg_negative,
        description="serum pregnancy test negative (1) or positive (0)",
        sql=therapy.serum_hcg_negative_sql,
    )
    registry.add_function(
        "cel001_viral_load_detectable",
        serology.viral_load_detectable,
        description="viral load detectable (1) or not (0), a number judged against its own range",
        sql=serology.viral_load_detectable_sql,
    )
