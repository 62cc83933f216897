"""
trialrules plugin for JK500 (ClinicalTrials.gov NCT05519384).

"Safety and Preliminary Efficacy of JK500 Cell Injection in Relapsed/Refractory
Pediatric Acute Myeloid Leukemia": an early phase 1, single-centre, single-arm
study (Institute of Hematology & Blood Diseases Hospital, Tianjin) of human
embryonic stem cell derived NK cells after cyclophosphamide/fludarabine
lymphodepletion, in three per-kg dose groups with 3+3 escalation.

Protocol source: rules/protocol.txt (MedPath copy of the registry
record); https://clinicaltrials.gov/study/NCT05519384
"""
