"""
Hook implementations for the CEA CAR-T trial (``cea-car-t``).

Protocol source: rules/protocol.txt.
"""

from __future__ import annotations

from pathlib import Path

from trialrules import hookimpl
from trialrules_cea_car_t import courses, pregnancy


@hookimpl
def trialrules_register_trials(registry):
    """Register the rules directory (criteria, value sets, arms, outcomes)."""
    registry.add_trial(Path(__file__).parent / "rules")


@hookimpl
def trialrules_register_functions(registry):
    """Functions the rule language cannot express (see pregnancy.py)."""
    registry.add_function(
        "cea_car_t_positive_pregnancy_test",
        pregnancy.positive_pregnancy_test,
        description="positive pregnancy test (1) or not (0; also when no test is on record)",
        sql=pregnancy.positive_pregnancy_test_sql,
    )
    registry.add_function(
        "cea_car_t_negative_pregnancy_test",
        pregnancy.negative_pregnancy_test,
        description="negative pregnancy test (1) or not (0; also when no test is on record)",
        sql=pregnancy.negative_pregnancy_test_sql,
    )
    registry.add_function(
        "cea_car_t_course_days",
        courses.course_days,
        description="days the current course of a drug class has run (0 when none is taken recently)",
        sql=courses.course_days_sql,
    )
