"""
Outcome computations for trialrules (CONTRACT §7).

Pure functions over SDTM data: exact binomial CIs, Kaplan–Meier, RECIST/AML/INRC
response, safety incidences, 3+3 escalation, NCA PK and change from baseline,
plus the measure registry (:mod:`trialrules.outcomes.measures`) and report
rendering (:mod:`trialrules.outcomes.report`). Runtime dependencies: the
standard library and attrs only.
"""
