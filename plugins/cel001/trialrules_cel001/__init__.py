"""
trialrules plugin for CEL001 injection in advanced solid tumours.

Trial: "Safety and Tolerability Evaluation of CEL001 Injection in Advanced Solid
Tumors", a phase I, open-label, dose-escalation study of allogeneic NK cells
(Guangzhou Xiling Biotechnology Co., Ltd.). Protocol source: the
ClinicalTrials.gov record, last update posted 2025-12-02
(``rules/protocol.txt``).
"""
