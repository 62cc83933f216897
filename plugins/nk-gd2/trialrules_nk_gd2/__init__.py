"""
nk-gd2 trial plugin for trialrules.

Trial: A Clinical Trial on Autologous NK Cells Combined With GD2 Monoclonal Antibody in
the Treatment of Children With Newly Diagnosed High-risk or Relapsed/Refractory
Neuroblastoma; sponsor Guangzhou Women and Children's Medical Center; launched
22 April 2025, not yet recruiting; no registry id given.
Protocol source: the public trial listing, current as of 26 June 2025
(rules/protocol.txt).
"""
