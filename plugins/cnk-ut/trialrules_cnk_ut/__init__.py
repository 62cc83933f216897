"""
CNK-UT trial plugin for trialrules.

Trial: Chimeric Natural Killer Receptor-Universal T Cells for Relapsed or Refractory
Neuroblastoma (CNK-UT), NCT06751134, sponsor Nanjing Children's Hospital.
Protocol source: the public trial listing (rules/protocol.txt, dated 3 September 2025).
"""
