"""
Outcome computations for trialrules (CONTRACT §7).

Pure functions over SDTM data: exact binomial CIs, Kaplan–Meier, RECIST/AML/INRC
response, safety incidences, 3+3 escalation, NCA PK and change from baseline,
plus the measure registry (:data:`COMPUTATIONS`, :func:`run_measures`) and
report rendering (:func:`render`). Runtime dependencies: the standard library
and attrs only.
"""

from trialrules.outcomes.binomial import clopper_pearson, proportion_ci, wilson
from trialrules.outcomes.escalation import Decision, mtd, three_plus_three
from trialrules.outcomes.measures import COMPUTATIONS, run_measures
from trialrules.outcomes.pk import NCAResult, nca
from trialrules.outcomes.report import render
from trialrules.outcomes.response import Assessment, BestResponse, best_response, recist_bor
from trialrules.outcomes.sdtm import SDTMError, StudyData, read_study
from trialrules.outcomes.survival import KMFit, MedianCI, kaplan_meier, median_ci, numbers_at_risk

__all__ = [
    "COMPUTATIONS",
    "Assessment",
    "BestResponse",
    "Decision",
    "KMFit",
    "MedianCI",
    "NCAResult",
    "SDTMError",
    "StudyData",
    "best_response",
    "clopper_pearson",
    "kaplan_meier",
    "median_ci",
    "mtd",
    "nca",
    "numbers_at_risk",
    "proportion_ci",
    "read_study",
    "recist_bor",
    "render",
    "run_measures",
    "three_plus_three",
    "wilson",
]
